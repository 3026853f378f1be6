//! The latest latency samples of one route or statement, kept as a ring for percentiles.

use std::time::Duration;

/// The last `N` latencies in microseconds (older ones are overwritten).
#[derive(Debug, Clone, Default)]
pub struct RecentSamples<const N: usize> {
    micros: Vec<u32>,
    next: usize,
}

impl<const N: usize> RecentSamples<N> {
    pub fn push(&mut self, elapsed: Duration) {
        let micros = elapsed.as_micros().min(u128::from(u32::MAX)) as u32;
        if self.micros.len() < N {
            self.micros.push(micros);
        } else {
            self.micros[self.next] = micros;
            self.next = (self.next + 1) % N;
        }
    }

    /// The samples held, in no particular order.
    pub fn as_slice(&self) -> &[u32] {
        &self.micros
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_last_n() {
        let mut ring = RecentSamples::<3>::default();
        for ms in 1..=5 {
            ring.push(Duration::from_millis(ms));
        }
        let mut held = ring.as_slice().to_vec();
        held.sort_unstable();
        assert_eq!(held, [3000, 4000, 5000]);
    }
}
