//! Backoff between attempts after an infrastructure failure.

use std::time::Duration;

use rand::RngExt;

/// Exponential backoff with jitter: attempt `n` (1-based) waits a random time
/// in `[d/2, d]` where `d = min(base · 2^(n-1), max)`. The random half keeps
/// jobs that failed together (a storage outage) from returning together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    pub base: Duration,
    pub max: Duration,
}

impl Default for RetryPolicy {
    /// 2 s, 4 s, 8 s, ... capped at 10 minutes.
    fn default() -> Self {
        Self { base: Duration::from_secs(2), max: Duration::from_secs(600) }
    }
}

impl RetryPolicy {
    /// The ceiling `d` for the attempt that just failed.
    pub fn ceiling(&self, attempt: i32) -> Duration {
        let doublings = u32::try_from(attempt.saturating_sub(1)).unwrap_or(0).min(32);
        self.base.saturating_mul(2u32.saturating_pow(doublings)).min(self.max)
    }

    /// How long to wait before the next attempt after `attempt` failed.
    pub fn delay(&self, attempt: i32) -> Duration {
        let ceiling = self.ceiling(attempt);
        ceiling / 2 + ceiling.mul_f64(rand::rng().random_range(0.0..=0.5))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_within_half_to_full_ceiling_and_stop_at_max() {
        let policy = RetryPolicy { base: Duration::from_secs(1), max: Duration::from_secs(5) };
        assert_eq!(policy.ceiling(1), Duration::from_secs(1));
        assert_eq!(policy.ceiling(3), Duration::from_secs(4));
        assert_eq!(policy.ceiling(4), Duration::from_secs(5));
        assert_eq!(policy.ceiling(100), Duration::from_secs(5));
        for attempt in 1..6 {
            let delay = policy.delay(attempt);
            assert!(delay >= policy.ceiling(attempt) / 2 && delay <= policy.ceiling(attempt));
        }
    }
}
