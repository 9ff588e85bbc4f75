//! probe
pub fn probe() -> usize {
    let mut d = krilla::Document::new();
    let _ = d.start_page();
    let f = rustybuzz::Face::from_slice(&[], 0).is_some();
    let l = unicode_linebreak::linebreaks("a b").count();
    d.finish().map(|v| v.len()).unwrap_or(0) + f as usize + l
}
