use serde::{Deserialize, Serialize};

/// What one plugin run used. Every run returns one, whatever its outcome, and
/// it is stored with the job.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageReport {
    /// Elapsed time from store creation to teardown, microseconds.
    pub wall_time_us: u64,
    /// CPU time of the threads that ran the guest (guest code and host calls), microseconds.
    pub cpu_time_us: u64,
    /// Time to instantiate the component, microseconds.
    pub instantiate_us: u64,
    /// Highest linear memory held at once, bytes.
    pub peak_memory_bytes: u64,
    /// Bytes written to output files.
    pub output_bytes: u64,
    /// Output files completed.
    pub files: u64,
    /// Bytes of log lines, stdout and stderr.
    pub log_bytes: u64,
}
