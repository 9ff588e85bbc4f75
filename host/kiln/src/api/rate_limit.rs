//! Per-key request rate limits: a token bucket per API key, in memory (so
//! per server process), refilled at the configured rate with a burst of
//! twice that.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use kiln_queue::ApiKey;

use super::problem::ApiError;

#[derive(Debug)]
pub(crate) struct RateLimit {
    /// Requests per second per key; 0 turns the limit off.
    per_second: f64,
    buckets: Mutex<HashMap<uuid::Uuid, (f64, Instant)>>,
}

impl RateLimit {
    pub(crate) fn new(per_second: f64) -> Self {
        Self { per_second, buckets: Mutex::default() }
    }

    pub(crate) fn check(&self, key: &ApiKey) -> Result<(), ApiError> {
        if self.per_second <= 0.0 {
            return Ok(());
        }
        let burst = (self.per_second * 2.0).max(1.0);
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let (tokens, last) = buckets.entry(key.id).or_insert((burst, now));
        *tokens = (*tokens + now.duration_since(*last).as_secs_f64() * self.per_second).min(burst);
        *last = now;
        if *tokens < 1.0 {
            return Err(ApiError::RateLimited(format!(
                "key {} is limited to {} requests per second; retry after a second",
                key.prefix, self.per_second
            )));
        }
        *tokens -= 1.0;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_past_its_burst_is_refused_and_others_are_not() {
        let limit = RateLimit::new(2.0);
        let (first, _) = ApiKey::generate(
            kiln_core::OrgId(uuid::Uuid::nil()),
            kiln_queue::KeyKind::Standard,
            None,
        );
        let (second, _) = ApiKey::generate(
            kiln_core::OrgId(uuid::Uuid::nil()),
            kiln_queue::KeyKind::Standard,
            None,
        );
        for _ in 0..4 {
            limit.check(&first).unwrap();
        }
        assert!(matches!(limit.check(&first), Err(ApiError::RateLimited(_))));
        limit.check(&second).unwrap();
        assert!(RateLimit::new(0.0).check(&first).is_ok());
    }
}
