//! Errors shown with their causes, for logs.

use std::error::Error;
use std::fmt;

/// Displays an error and each of its sources, `outer: cause: root`. A log
/// field written `%err` shows only the outermost message, which for a
/// storage or database error is often just "service error".
pub struct ErrorChain<'a>(pub &'a (dyn Error + 'static));

impl fmt::Display for ErrorChain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut shown = self.0.to_string();
        f.write_str(&shown)?;
        let mut source = self.0.source();
        while let Some(cause) = source {
            let text = cause.to_string();
            // Many messages already include their cause's text.
            if !shown.contains(&text) {
                write!(f, ": {text}")?;
                shown = text;
            }
            source = cause.source();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Wrapped(&'static str, Option<Box<Wrapped>>);

    impl fmt::Display for Wrapped {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.0)
        }
    }

    impl Error for Wrapped {
        fn source(&self) -> Option<&(dyn Error + 'static)> {
            self.1.as_deref().map(|e| e as _)
        }
    }

    #[test]
    fn shows_every_cause_once() {
        let root = Wrapped("connection refused", None);
        let middle = Wrapped("dispatch failure: connection refused", Some(Box::new(root)));
        let outer = Wrapped("service error", Some(Box::new(middle)));
        assert_eq!(
            ErrorChain(&outer).to_string(),
            "service error: dispatch failure: connection refused"
        );
    }
}
