//! Lists: `word/numbering.xml` with one bulleted and one multi-level
//! numbered definition (1 / 1.1 / 1.1.1), and one instance per list so
//! that each list starts again at its own first number.

use std::fmt::Write as _;

/// Bullets or numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ListKind {
    Bullet,
    Numbered,
}

/// The list instances of a document.
#[derive(Debug, Default)]
pub(crate) struct Numbering {
    /// (kind, level it starts at, start number) of numId n+1.
    instances: Vec<(ListKind, u32, u32)>,
}

const BULLETS: [&str; 3] = ["•", "◦", "▪"];

/// (left indent, hanging) in twips of a list level.
pub(crate) fn indent(kind: ListKind, level: u32) -> (i32, i32) {
    match kind {
        ListKind::Bullet => (720 * (level as i32 + 1) - 360, 360),
        ListKind::Numbered => {
            // Wider hangs for the longer labels of deeper levels (1.1.1.).
            let hanging = 360 + 144 * level as i32;
            let left: i32 = (0..=level as i32).map(|l| 432 + 72 * l).sum::<i32>() - 72;
            (left.max(hanging), hanging)
        }
    }
}

impl Numbering {
    /// A new list instance; returns its numId.
    pub(crate) fn instance(&mut self, kind: ListKind, level: u32, start: u32) -> u32 {
        self.instances.push((kind, level, start));
        self.instances.len() as u32
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.instances.is_empty()
    }

    /// The `numbering.xml` part.
    pub(crate) fn xml(&self) -> String {
        let mut x = String::from(kiln_plugin_sdk::ooxml::XML_DECLARATION);
        x.push_str(r#"<w:numbering xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">"#);
        for (id, kind) in [(0, ListKind::Bullet), (1, ListKind::Numbered)] {
            let _ = write!(
                x,
                r#"<w:abstractNum w:abstractNumId="{id}"><w:multiLevelType w:val="{}"/>"#,
                if kind == ListKind::Bullet { "hybridMultilevel" } else { "multilevel" }
            );
            for level in 0..9u32 {
                let (left, hanging) = indent(kind, level);
                let (fmt, text) = match kind {
                    ListKind::Bullet => ("bullet", BULLETS[level as usize % 3].to_owned()),
                    ListKind::Numbered => {
                        ("decimal", (1..=level + 1).map(|l| format!("%{l}.")).collect::<String>())
                    }
                };
                let _ = write!(
                    x,
                    r#"<w:lvl w:ilvl="{level}"><w:start w:val="1"/><w:numFmt w:val="{fmt}"/><w:lvlText w:val="{text}"/><w:lvlJc w:val="left"/><w:pPr><w:ind w:left="{left}" w:hanging="{hanging}"/></w:pPr>"#
                );
                if kind == ListKind::Bullet {
                    x.push_str(r#"<w:rPr><w:rFonts w:ascii="Arial" w:hAnsi="Arial" w:cs="Arial" w:hint="default"/></w:rPr>"#);
                }
                x.push_str("</w:lvl>");
            }
            x.push_str("</w:abstractNum>");
        }
        for (n, (kind, level, start)) in self.instances.iter().enumerate() {
            let abstract_id = if *kind == ListKind::Bullet { 0 } else { 1 };
            let _ =
                write!(x, r#"<w:num w:numId="{}"><w:abstractNumId w:val="{abstract_id}"/>"#, n + 1);
            // Each list restarts: every level from the one it starts at.
            for l in *level..9 {
                let s = if l == *level { *start } else { 1 };
                let _ = write!(
                    x,
                    r#"<w:lvlOverride w:ilvl="{l}"><w:startOverride w:val="{s}"/></w:lvlOverride>"#
                );
            }
            x.push_str("</w:num>");
        }
        x.push_str("</w:numbering>");
        x
    }
}
