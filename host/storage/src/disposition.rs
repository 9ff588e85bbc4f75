//! `Content-Disposition` values for downloads (RFC 6266).

use std::fmt::Write;

/// `attachment` with `filename` both as an ASCII fallback and, when it is not
/// plain ASCII, as RFC 8187 UTF-8 (`filename*`), which browsers prefer.
///
/// Path separators and control characters become `_`, so the value always
/// names a single file and is a valid header.
pub fn attachment(filename: &str) -> String {
    let clean: String = filename
        .chars()
        .map(|c| if c == '/' || c == '\\' || c.is_control() { '_' } else { c })
        .collect();
    let fallback: String =
        clean.chars().map(|c| if c.is_ascii() && c != '"' && c != '%' { c } else { '_' }).collect();
    let mut value = format!("attachment; filename=\"{fallback}\"");
    if fallback != clean {
        value.push_str("; filename*=UTF-8''");
        for byte in clean.bytes() {
            if byte.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&byte) {
                value.push(char::from(byte));
            } else {
                let _ = write!(value, "%{byte:02X}");
            }
        }
    }
    value
}

#[cfg(test)]
mod tests {
    use super::attachment;

    #[test]
    fn ascii_names_are_quoted_as_they_are() {
        assert_eq!(attachment("report 2024.xlsx"), "attachment; filename=\"report 2024.xlsx\"");
    }

    #[test]
    fn other_names_get_an_ascii_fallback_and_a_utf8_form() {
        assert_eq!(
            attachment("Bericht \"Q1\" ä.pdf"),
            "attachment; filename=\"Bericht _Q1_ _.pdf\"; filename*=UTF-8''Bericht%20%22Q1%22%20%C3%A4.pdf"
        );
    }

    #[test]
    fn separators_and_control_characters_cannot_leak_into_the_header() {
        assert_eq!(attachment("a/b\\c\r\nd"), "attachment; filename=\"a_b_c__d\"");
    }
}
