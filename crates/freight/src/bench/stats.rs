//! Latency percentiles from recorded samples.

/// Summary of a latency sample, in milliseconds.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Percentiles {
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

/// Computes percentiles from microsecond samples (sorts in place).
pub fn percentiles(samples_us: &mut [u32]) -> Percentiles {
    if samples_us.is_empty() {
        return Percentiles {
            p50_ms: 0.0,
            p90_ms: 0.0,
            p99_ms: 0.0,
            max_ms: 0.0,
        };
    }
    samples_us.sort_unstable();
    let at = |q: f64| {
        let idx = ((samples_us.len() as f64 - 1.0) * q).round() as usize;
        f64::from(samples_us[idx]) / 1000.0
    };
    Percentiles {
        p50_ms: at(0.50),
        p90_ms: at(0.90),
        p99_ms: at(0.99),
        max_ms: at(1.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_of_a_known_sample() {
        let mut samples: Vec<u32> = (1..=100).map(|ms| ms * 1000).collect();
        let p = percentiles(&mut samples);
        assert_eq!((p.p50_ms, p.p99_ms, p.max_ms), (51.0, 99.0, 100.0));
    }
}
