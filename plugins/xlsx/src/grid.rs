//! What each worksheet cell will hold, by position: the view formulas are
//! evaluated against and overlaps are checked on.

use std::collections::{BTreeMap, HashMap};

use crate::a1::{Area, Pos};

/// The content of one cell as a formula sees it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Content {
    Number(f64),
    Text(String),
    Bool(bool),
    /// Formula text without `=`; its value comes from the evaluator.
    Formula(String),
    /// A styled cell with no value.
    Blank,
}

/// Where a cell's content came from, so violations can point at it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Source {
    Header { cell: usize },
    Row { row: usize, cell: usize },
    Merge { merge: usize },
    TableTotal { table: usize, column: usize },
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Entry {
    pub(crate) content: Content,
    pub(crate) source: Source,
}

#[derive(Debug, Default)]
pub(crate) struct SheetGrid {
    pub(crate) cells: BTreeMap<Pos, Entry>,
}

impl SheetGrid {
    /// Cells present inside `area`, row by row, left to right.
    pub(crate) fn range<'a>(&'a self, area: &Area) -> impl Iterator<Item = (Pos, &'a Entry)> + 'a {
        let area = *area;
        self.cells
            .range(area.first..=area.last)
            .filter(move |(pos, _)| area.contains(**pos))
            .map(|(pos, entry)| (*pos, entry))
    }
}

/// All sheets of a workbook, looked up by index or (case-insensitive) name.
#[derive(Debug, Default)]
pub(crate) struct Grid {
    pub(crate) sheets: Vec<SheetGrid>,
    by_name: HashMap<String, usize>,
}

impl Grid {
    /// Adds a sheet and returns its index. A duplicate name keeps the first.
    pub(crate) fn add_sheet(&mut self, name: &str) -> usize {
        let index = self.sheets.len();
        self.sheets.push(SheetGrid {
            cells: BTreeMap::new(),
        });
        self.by_name.entry(name.to_lowercase()).or_insert(index);
        index
    }

    pub(crate) fn sheet_index(&self, name: &str) -> Option<usize> {
        self.by_name.get(&name.to_lowercase()).copied()
    }

    /// Stores a cell; returns the entry it replaced, if any.
    pub(crate) fn set(&mut self, sheet: usize, pos: Pos, entry: Entry) -> Option<Entry> {
        self.sheets[sheet].cells.insert(pos, entry)
    }

    pub(crate) fn get(&self, sheet: usize, pos: Pos) -> Option<&Entry> {
        self.sheets[sheet].cells.get(&pos)
    }
}
