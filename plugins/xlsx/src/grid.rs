//! What each worksheet cell will hold, by position: the view formulas are
//! evaluated against and overlaps are checked on.

use std::borrow::Cow;
use std::collections::HashMap;

use crate::a1::{Area, Pos};

/// The content of one cell as a formula sees it. Text and formulas borrow
/// from the spec (`'s`) where they can, so a layout costs no copy of them.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Content<'s> {
    Number(f64),
    Text(Cow<'s, str>),
    Bool(bool),
    /// Formula text without `=`; its value comes from the evaluator.
    Formula(Cow<'s, str>),
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
pub(crate) struct Entry<'s> {
    pub(crate) content: Content<'s>,
    pub(crate) source: Source,
}

/// One sheet's cells, sorted by position (row, then column) once settled.
#[derive(Debug, Default)]
pub(crate) struct SheetGrid<'s> {
    cells: Vec<(Pos, Entry<'s>)>,
}

impl<'s> SheetGrid<'s> {
    fn find(&self, pos: Pos) -> Result<usize, usize> {
        self.cells.binary_search_by_key(&pos, |(p, _)| *p)
    }

    pub(crate) fn get(&self, pos: Pos) -> Option<&Entry<'s>> {
        self.find(pos).ok().map(|i| &self.cells[i].1)
    }

    /// Every cell, row by row, left to right.
    pub(crate) fn entries(&self) -> impl Iterator<Item = (Pos, &Entry<'s>)> {
        self.cells.iter().map(|(pos, entry)| (*pos, entry))
    }

    /// Cells present inside `area`, row by row, left to right.
    pub(crate) fn range<'a>(
        &'a self,
        area: &Area,
    ) -> impl Iterator<Item = (Pos, &'a Entry<'s>)> + 'a {
        let area = *area;
        let start = self.cells.partition_point(|(p, _)| *p < area.first);
        self.cells[start..]
            .iter()
            .take_while(move |(p, _)| *p <= area.last)
            .filter(move |(p, _)| area.contains(*p))
            .map(|(pos, entry)| (*pos, entry))
    }
}

/// A cell that was written twice: the later entry, dropped, and where the
/// kept one came from.
#[derive(Debug)]
pub(crate) struct Clash<'s> {
    pub(crate) pos: Pos,
    pub(crate) dropped: Entry<'s>,
    pub(crate) kept: Source,
}

/// All sheets of a workbook, looked up by index or (case-insensitive) name.
///
/// Cells are added in bulk with [`Grid::push`] and then [`Grid::settle`]d
/// (sorted once, which is cheap for cells pushed in row order), or one at a
/// time with [`Grid::insert`].
#[derive(Debug, Default)]
pub(crate) struct Grid<'s> {
    pub(crate) sheets: Vec<SheetGrid<'s>>,
    by_name: HashMap<String, usize>,
}

impl<'s> Grid<'s> {
    /// Adds a sheet and returns its index. A duplicate name keeps the first.
    pub(crate) fn add_sheet(&mut self, name: &str) -> usize {
        let index = self.sheets.len();
        self.sheets.push(SheetGrid::default());
        self.by_name.entry(name.to_lowercase()).or_insert(index);
        index
    }

    pub(crate) fn sheet_index(&self, name: &str) -> Option<usize> {
        self.by_name.get(&name.to_lowercase()).copied()
    }

    /// Appends a cell; lookups are wrong until [`Grid::settle`].
    pub(crate) fn push(&mut self, sheet: usize, pos: Pos, entry: Entry<'s>) {
        self.sheets[sheet].cells.push((pos, entry));
    }

    /// Sorts a sheet's cells by position; of cells pushed to the same
    /// position the first stays and the others are returned.
    pub(crate) fn settle(&mut self, sheet: usize) -> Vec<Clash<'s>> {
        let cells = &mut self.sheets[sheet].cells;
        cells.sort_by_key(|(pos, _)| *pos);
        let mut clashes = Vec::new();
        // In place: a second vector of kept cells would double the grid's
        // peak. `dedup_by` passes the later cell first, then the kept one.
        cells.dedup_by(|(pos, later), (kept_pos, kept)| {
            let clash = *pos == *kept_pos;
            if clash {
                clashes.push(Clash {
                    pos: *pos,
                    dropped: later.clone(),
                    kept: kept.source.clone(),
                });
            }
            clash
        });
        clashes
    }

    /// Adds one cell to a settled sheet, unless the position is taken, in
    /// which case the entry there is returned.
    pub(crate) fn insert(
        &mut self,
        sheet: usize,
        pos: Pos,
        entry: Entry<'s>,
    ) -> Result<(), &Entry<'s>> {
        let grid = &mut self.sheets[sheet];
        match grid.find(pos) {
            Ok(i) => Err(&grid.cells[i].1),
            Err(i) => {
                grid.cells.insert(i, (pos, entry));
                Ok(())
            }
        }
    }

    pub(crate) fn get(&self, sheet: usize, pos: Pos) -> Option<&Entry<'s>> {
        self.sheets[sheet].get(pos)
    }
}
