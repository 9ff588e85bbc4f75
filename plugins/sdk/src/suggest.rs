//! "Did you mean": the closest valid name to a misspelt one.

/// The candidate closest to `word`, if one is close enough to be a likely
/// misspelling (case and `_`/`-` differences count as near).
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let norm = |s: &str| s.to_lowercase().replace(['-', ' '], "_");
    let target = norm(word);
    let mut best: Option<(f64, &str)> = None;
    for candidate in candidates {
        let normal = norm(candidate);
        let score = if normal == target {
            1.0
        } else if !target.is_empty()
            && (normal.starts_with(&target) || target.starts_with(&normal))
            && normal.len().min(target.len()) >= 3
        {
            0.9
        } else {
            strsim::jaro_winkler(&target, &normal)
        };
        if best.is_none_or(|(s, _)| score > s) {
            best = Some((score, candidate));
        }
    }
    best.filter(|(score, _)| *score >= 0.8).map(|(_, c)| c)
}

/// `"; did you mean `x`?"`, or nothing.
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    closest(word, candidates).map(|c| format!("; did you mean `{c}`?")).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn misspellings_find_their_word_and_strangers_find_none() {
        let fields = ["name", "rows", "columns", "colour_scale"];
        assert_eq!(closest("colums", fields), Some("columns"));
        assert_eq!(closest("Name", fields), Some("name"));
        assert_eq!(closest("colour-scale", fields), Some("colour_scale"));
        assert_eq!(closest("xyzzy", fields), None);
        assert_eq!(did_you_mean("rowz", fields), "; did you mean `rows`?");
    }
}
