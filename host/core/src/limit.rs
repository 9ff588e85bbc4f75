use serde::{Deserialize, Serialize};

/// A sandbox limit that can end a run. Each maps to one knob of the runtime's
/// `Limits`; the value recorded is the limit that was in force.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "limit", content = "value", rename_all = "snake_case")]
pub enum Limit {
    /// Linear memory, bytes, summed over the plugin's memories.
    Memory(u64),
    /// Time spent executing guest code, milliseconds.
    CpuTime(u64),
    /// Elapsed time of the whole run, milliseconds.
    WallClock(u64),
    /// Bytes written to output files, summed over files.
    OutputBytes(u64),
    /// Number of output files.
    OutputFiles(u64),
    /// Bytes of log lines, stdout and stderr.
    LogBytes(u64),
    /// Elements of any one table.
    TableElements(u64),
    /// Core and component instances.
    Instances(u64),
    /// Host resources (open files, streams) held at once.
    Resources(u64),
}

impl std::fmt::Display for Limit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            Limit::Memory(b) => write!(f, "memory ({})", format_bytes(b)),
            Limit::CpuTime(ms) => write!(f, "cpu time ({ms} ms)"),
            Limit::WallClock(ms) => write!(f, "wall clock ({ms} ms)"),
            Limit::OutputBytes(b) => write!(f, "output bytes ({})", format_bytes(b)),
            Limit::OutputFiles(n) => write!(f, "output files ({n})"),
            Limit::LogBytes(b) => write!(f, "log bytes ({})", format_bytes(b)),
            Limit::TableElements(n) => write!(f, "table elements ({n})"),
            Limit::Instances(n) => write!(f, "instances ({n})"),
            Limit::Resources(n) => write!(f, "resources ({n})"),
        }
    }
}

/// Formats a byte count the way limits are written: `256 MiB`, `64 KiB`, `100 B`.
pub fn format_bytes(bytes: u64) -> String {
    const UNITS: [(&str, u64); 3] = [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)];
    for (unit, size) in UNITS {
        if bytes >= size {
            return if bytes.is_multiple_of(size) {
                format!("{} {unit}", bytes / size)
            } else {
                format!("{:.1} {unit}", bytes as f64 / size as f64)
            };
        }
    }
    format!("{bytes} B")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_read_as_the_error_message_names_them() {
        assert_eq!(Limit::Memory(256 << 20).to_string(), "memory (256 MiB)");
        assert_eq!(Limit::CpuTime(10_000).to_string(), "cpu time (10000 ms)");
        assert_eq!(format_bytes(1536), "1.5 KiB");
        assert_eq!(format_bytes(100), "100 B");
    }
}
