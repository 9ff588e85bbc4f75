//! The bundled fonts: Liberation Serif, Sans and Mono (Latin, Greek and
//! Cyrillic, metric-compatible with Times New Roman, Arial and Courier New)
//! in four styles each, and DejaVu Sans as the fallback for symbols the
//! Liberation fonts lack. All SIL OFL / Bitstream Vera licensed (see
//! `fonts/LICENSE-*.txt`). Faces are parsed once per process. A document
//! may bring more fonts as input assets (CJK and other scripts).

use std::sync::{Arc, Mutex, OnceLock};

use usvg::fontdb;

/// A font family of the bundled set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Family {
    Serif,
    Sans,
    Mono,
}

/// An index into [`FACES`], then into the faces loaded from assets.
pub type FaceId = u8;

/// The fallback face (DejaVu Sans).
pub const FALLBACK: FaceId = 12;

struct FaceData {
    name: &'static str,
    bytes: &'static [u8],
}

macro_rules! face {
    ($name:literal, $file:literal) => {
        FaceData { name: $name, bytes: include_bytes!(concat!("../fonts/", $file)) }
    };
}

/// Serif, Sans, Mono × Regular, Bold, Italic, BoldItalic, then the fallback.
static FACES: [FaceData; 13] = [
    face!("Liberation Serif", "LiberationSerif-Regular.ttf"),
    face!("Liberation Serif Bold", "LiberationSerif-Bold.ttf"),
    face!("Liberation Serif Italic", "LiberationSerif-Italic.ttf"),
    face!("Liberation Serif Bold Italic", "LiberationSerif-BoldItalic.ttf"),
    face!("Liberation Sans", "LiberationSans-Regular.ttf"),
    face!("Liberation Sans Bold", "LiberationSans-Bold.ttf"),
    face!("Liberation Sans Italic", "LiberationSans-Italic.ttf"),
    face!("Liberation Sans Bold Italic", "LiberationSans-BoldItalic.ttf"),
    face!("Liberation Mono", "LiberationMono-Regular.ttf"),
    face!("Liberation Mono Bold", "LiberationMono-Bold.ttf"),
    face!("Liberation Mono Italic", "LiberationMono-Italic.ttf"),
    face!("Liberation Mono Bold Italic", "LiberationMono-BoldItalic.ttf"),
    face!("DejaVu Sans", "DejaVuSans.ttf"),
];

/// Font names a spec may use, with the bundled family each maps to. Common
/// proprietary names map to the metric-compatible or closest bundled family.
pub const FONT_NAMES: &[(&str, Family)] = &[
    ("serif", Family::Serif),
    ("sans", Family::Sans),
    ("sans-serif", Family::Sans),
    ("mono", Family::Mono),
    ("monospace", Family::Mono),
    ("Liberation Serif", Family::Serif),
    ("Liberation Sans", Family::Sans),
    ("Liberation Mono", Family::Mono),
    ("Times New Roman", Family::Serif),
    ("Times", Family::Serif),
    ("Georgia", Family::Serif),
    ("Cambria", Family::Serif),
    ("Garamond", Family::Serif),
    ("Book Antiqua", Family::Serif),
    ("Palatino", Family::Serif),
    ("Palatino Linotype", Family::Serif),
    ("DejaVu Serif", Family::Serif),
    ("Noto Serif", Family::Serif),
    ("Arial", Family::Sans),
    ("Helvetica", Family::Sans),
    ("Helvetica Neue", Family::Sans),
    ("Calibri", Family::Sans),
    ("Aptos", Family::Sans),
    ("Segoe UI", Family::Sans),
    ("Verdana", Family::Sans),
    ("Tahoma", Family::Sans),
    ("Roboto", Family::Sans),
    ("Open Sans", Family::Sans),
    ("Inter", Family::Sans),
    ("Lato", Family::Sans),
    ("DejaVu Sans", Family::Sans),
    ("Noto Sans", Family::Sans),
    ("Source Sans Pro", Family::Sans),
    ("Courier New", Family::Mono),
    ("Courier", Family::Mono),
    ("Consolas", Family::Mono),
    ("Menlo", Family::Mono),
    ("Monaco", Family::Mono),
    ("Fira Code", Family::Mono),
    ("Source Code Pro", Family::Mono),
    ("DejaVu Sans Mono", Family::Mono),
    ("JetBrains Mono", Family::Mono),
    ("Constantia", Family::Serif),
    ("Baskerville", Family::Serif),
    ("Century Schoolbook", Family::Serif),
    ("Merriweather", Family::Serif),
    ("Trebuchet MS", Family::Sans),
    ("Gill Sans", Family::Sans),
    ("Century Gothic", Family::Sans),
    ("Corbel", Family::Sans),
    ("Candara", Family::Sans),
    ("Montserrat", Family::Sans),
    ("Lucida Console", Family::Mono),
];

/// The bundled family a font name maps to (case-insensitive): a listed
/// name, a listed name followed by a style ("Calibri Light", "Arial
/// Narrow"), or a name saying its kind ("... Sans", "... Serif", "... Mono").
pub fn family(name: &str) -> Option<Family> {
    let name = name.trim();
    let lower = name.to_ascii_lowercase();
    if let Some((_, f)) = FONT_NAMES.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)) {
        return Some(*f);
    }
    if let Some((_, f)) = FONT_NAMES
        .iter()
        .filter(|(n, _)| n.len() > 3)
        .find(|(n, _)| lower.starts_with(&format!("{} ", n.to_ascii_lowercase())))
    {
        return Some(*f);
    }
    let words: Vec<&str> = lower.split([' ', '-']).collect();
    if words.iter().any(|w| matches!(*w, "mono" | "code" | "courier" | "monospace" | "typewriter"))
    {
        Some(Family::Mono)
    } else if words.contains(&"sans") || words.contains(&"gothic") || words.contains(&"grotesk") {
        Some(Family::Sans)
    } else if words.contains(&"serif") || words.contains(&"roman") || words.contains(&"antiqua") {
        Some(Family::Serif)
    } else {
        None
    }
}

/// The face of a family in a style.
pub fn face(family: Family, bold: bool, italic: bool) -> FaceId {
    let base = match family {
        Family::Serif => 0,
        Family::Sans => 4,
        Family::Mono => 8,
    };
    base + u8::from(bold) + 2 * u8::from(italic)
}

/// A parsed face: for shaping (rustybuzz) and for embedding (krilla).
pub struct Face {
    pub shaper: rustybuzz::Face<'static>,
    pub pdf: krilla::text::Font,
    pub units_per_em: f32,
    /// Ascender and descender (positive, below the baseline) per em.
    pub ascender: f32,
    pub descender: f32,
    pub underline_position: f32,
    pub underline_thickness: f32,
    pub name: &'static str,
    bytes: &'static [u8],
}

fn parse(name: &'static str, bytes: &'static [u8]) -> Option<Face> {
    let shaper = rustybuzz::Face::from_slice(bytes, 0)?;
    let pdf = krilla::text::Font::new(krilla::Data::from(bytes), 0)?;
    let upem = shaper.units_per_em() as f32;
    Some(Face {
        units_per_em: upem,
        ascender: f32::from(shaper.ascender()) / upem,
        descender: -f32::from(shaper.descender()) / upem,
        underline_position: shaper
            .underline_metrics()
            .map_or(-0.1, |m| f32::from(m.position) / upem),
        underline_thickness: shaper
            .underline_metrics()
            .map_or(0.05, |m| f32::from(m.thickness) / upem),
        name,
        bytes,
        shaper,
        pdf,
    })
}

// SAFETY-free: the faces hold only shared, immutable data.
static PARSED: [OnceLock<Option<Face>>; 13] = [const { OnceLock::new() }; 13];

/// How many fonts a document may bring as input assets.
pub const MAX_ASSET_FONTS: usize = 8;

/// Faces loaded from input assets, numbered after the bundled ones. Each
/// distinct file is parsed once and kept for the life of the process (one
/// run, in the sandbox), as the bundled faces are.
static LOADED: Mutex<Vec<&'static Face>> = Mutex::new(Vec::new());

/// Loads a TrueType or OpenType font from an input asset and returns its
/// face id; the same bytes always give the same id. `None`: not a font
/// this plugin can shape and embed.
pub fn load(name: &str, bytes: &[u8]) -> Option<FaceId> {
    let mut loaded = LOADED.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(i) = loaded.iter().position(|f| f.bytes == bytes) {
        return FaceId::try_from(FACES.len() + i).ok();
    }
    let id = FaceId::try_from(FACES.len() + loaded.len()).ok()?;
    let bytes: &'static [u8] = Box::leak(bytes.to_vec().into_boxed_slice());
    let face = parse(Box::leak(name.to_owned().into_boxed_str()), bytes)?;
    loaded.push(Box::leak(Box::new(face)));
    Some(id)
}

/// The parsed face; `None` only if a bundled font failed to parse.
pub fn get(id: FaceId) -> Option<&'static Face> {
    let idx = usize::from(id);
    match PARSED.get(idx) {
        Some(cell) => cell.get_or_init(|| parse(FACES[idx].name, FACES[idx].bytes)).as_ref(),
        None => LOADED
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(idx - FACES.len())
            .copied(),
    }
}

static ASCII: [OnceLock<u128>; 13] = [const { OnceLock::new() }; 13];

/// Whether a face has a glyph for a character (ASCII answered from a bitmap).
pub fn covers(id: FaceId, c: char) -> bool {
    let code = c as u32;
    if code < 128
        && let Some(cell) = ASCII.get(id as usize)
    {
        let bits = cell.get_or_init(|| {
            let mut bits = 0u128;
            if let Some(f) = get(id) {
                for b in 0..128u8 {
                    if f.shaper.glyph_index(char::from(b)).is_some() {
                        bits |= 1 << b;
                    }
                }
            }
            bits
        });
        return bits & (1 << code) != 0;
    }
    get(id).is_some_and(|f| f.shaper.glyph_index(c).is_some())
}

/// The bundled faces as a font database for text inside SVG images (an SVG
/// names its own fonts; the generic names map to the bundled families).
/// Built once per process, without copying the fonts.
pub fn svg_fonts() -> Arc<fontdb::Database> {
    static FONTS: OnceLock<Arc<fontdb::Database>> = OnceLock::new();
    FONTS
        .get_or_init(|| {
            let mut db = fontdb::Database::new();
            for face in &FACES {
                db.load_font_source(fontdb::Source::Binary(Arc::new(face.bytes)));
            }
            db.set_serif_family("Liberation Serif");
            db.set_sans_serif_family("Liberation Sans");
            db.set_monospace_family("Liberation Mono");
            Arc::new(db)
        })
        .clone()
}
