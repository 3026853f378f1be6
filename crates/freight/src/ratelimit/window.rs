//! The sliding-window counter, as pure arithmetic over counts and an injected clock, so the
//! in-process store, the Redis Lua script and the unit tests all share one definition.
//!
//! Time is cut into fixed windows of `W` ms. For each key we keep the count of the previous
//! window (`prev`) and of the current one (`curr`); `t` is the time elapsed in the current
//! window. The estimate of requests in the last `W` ms is `prev × (W − t) / W + curr`.
//!
//! A request is admitted when **either** rule holds:
//! - *sliding rule*: `prev × (W − t) / W + curr + 1 ≤ limit`;
//! - *burst rule*: `curr + 1 ≤ burst`.
//!
//! So `burst` is the part of each window's quota that is available immediately, even right
//! after a fully used previous window, instead of trickling back as the carry-over decays.
//! With `burst = 0` this is the plain sliding-window counter. Consequences: one fixed window
//! never admits more than `limit` (burst ≤ limit), and any span of `W` ms admits at most
//! `limit + burst`. Rejected requests are not counted.
//!
//! Everything is integer arithmetic (scaled by `W`) so Rust and Lua agree exactly.

/// One tier's limit: `limit` requests per `window_ms`, `burst` of them always available.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub limit: u64,
    pub window_ms: u64,
    pub burst: u64,
}

/// The counters for one key at one instant, *before* the request being decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    pub prev: u64,
    pub curr: u64,
    /// Milliseconds since the current window started (`0 ≤ elapsed_ms < window_ms`).
    pub elapsed_ms: u64,
}

/// The outcome of one check, with what the `RateLimit-*` headers report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    pub limit: u64,
    /// Requests that would still be admitted right now.
    pub remaining: u64,
    /// Seconds until the current window ends (allowed) or until a retry can succeed (refused).
    pub reset_secs: u64,
    /// Seconds to wait before retrying; `Some` only when refused.
    pub retry_after_secs: Option<u64>,
}

/// Whether a request is admitted given the counts before it.
pub fn admits(policy: Policy, c: Counts) -> bool {
    let w = u128::from(policy.window_ms.max(1));
    let t = u128::from(c.elapsed_ms).min(w);
    let sliding =
        u128::from(c.prev) * (w - t) + (u128::from(c.curr) + 1) * w <= u128::from(policy.limit) * w;
    let burst = c.curr < policy.burst;
    sliding || burst
}

/// Decides a request and computes the header values. `c` are the counts before it; when
/// admitted the caller adds one to `curr`.
pub fn decide(policy: Policy, c: Counts) -> Decision {
    let allowed = admits(policy, c);
    if allowed {
        let after = Counts {
            curr: c.curr + 1,
            ..c
        };
        Decision {
            allowed,
            limit: policy.limit,
            remaining: remaining(policy, after),
            reset_secs: ceil_secs(policy.window_ms.saturating_sub(c.elapsed_ms)),
            retry_after_secs: None,
        }
    } else {
        let wait = ceil_secs(retry_after_ms(policy, c)).max(1);
        Decision {
            allowed,
            limit: policy.limit,
            remaining: 0,
            reset_secs: wait,
            retry_after_secs: Some(wait),
        }
    }
}

/// How many more requests would be admitted now, given the counts after the last one.
pub fn remaining(policy: Policy, c: Counts) -> u64 {
    let w = u128::from(policy.window_ms.max(1));
    let t = u128::from(c.elapsed_ms).min(w);
    let used = u128::from(c.prev) * (w - t) + u128::from(c.curr) * w;
    let budget = u128::from(policy.limit) * w;
    let sliding = budget.saturating_sub(used) / w;
    let burst = u128::from(policy.burst.saturating_sub(c.curr));
    u64::try_from(sliding.max(burst)).unwrap_or(u64::MAX)
}

/// Milliseconds from now until a request would be admitted (0 when it would be now).
pub fn retry_after_ms(policy: Policy, c: Counts) -> u64 {
    if admits(policy, c) {
        return 0;
    }
    let w = policy.window_ms.max(1);
    let t = c.elapsed_ms.min(w);
    let left_in_window = w - t;
    // Later in this window: only the carry-over decays (curr and the burst rule are fixed).
    if c.curr < policy.limit && c.prev > 0 {
        // Smallest d with prev × (w − t − d) ≤ (limit − curr − 1) × w.
        let allowance = u128::from(policy.limit - c.curr - 1) * u128::from(w);
        let needed = u128::from(c.prev) * u128::from(left_in_window);
        let d = (needed - allowance.min(needed)).div_ceil(u128::from(c.prev));
        let d = u64::try_from(d).unwrap_or(u64::MAX);
        if d < left_in_window {
            return d;
        }
    }
    // In the next window, `curr` becomes the carry-over and the new count starts at zero.
    let into_next = if policy.burst > 0 || c.curr == 0 {
        0
    } else {
        // Smallest t' with curr × (w − t') + w ≤ limit × w.
        let allowance = u128::from(policy.limit.saturating_sub(1)) * u128::from(w);
        let needed = u128::from(c.curr) * u128::from(w);
        let d = (needed - allowance.min(needed)).div_ceil(u128::from(c.curr));
        u64::try_from(d).unwrap_or(u64::MAX).min(w)
    };
    left_in_window + into_next
}

fn ceil_secs(ms: u64) -> u64 {
    ms.div_ceil(1000)
}

/// The counters of one key in the in-process store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowState {
    /// Index of the current window (`now_ms / window_ms`).
    pub index: u64,
    pub window_ms: u64,
    pub prev: u64,
    pub curr: u64,
}

impl WindowState {
    /// Counts as seen at `now_ms`, rolling the windows forward if time has moved on.
    pub fn counts_at(&mut self, window_ms: u64, now_ms: u64) -> Counts {
        let window_ms = window_ms.max(1);
        let index = now_ms / window_ms;
        if window_ms != self.window_ms {
            *self = WindowState {
                index,
                window_ms,
                prev: 0,
                curr: 0,
            };
        } else if index == self.index + 1 {
            self.prev = self.curr;
            self.curr = 0;
            self.index = index;
        } else if index > self.index + 1 {
            self.prev = 0;
            self.curr = 0;
            self.index = index;
        }
        Counts {
            prev: self.prev,
            curr: self.curr,
            elapsed_ms: now_ms - index * window_ms,
        }
    }

    /// A fresh, empty state.
    pub fn new(window_ms: u64, now_ms: u64) -> Self {
        let window_ms = window_ms.max(1);
        WindowState {
            index: now_ms / window_ms,
            window_ms,
            prev: 0,
            curr: 0,
        }
    }

    /// Checks one request at `now_ms` and counts it when admitted.
    pub fn hit(&mut self, policy: Policy, now_ms: u64) -> Decision {
        let counts = self.counts_at(policy.window_ms, now_ms);
        let decision = decide(policy, counts);
        if decision.allowed {
            self.curr += 1;
        }
        decision
    }

    /// Whether the state can be forgotten: both windows it remembers are over.
    pub fn expired(&self, now_ms: u64) -> bool {
        now_ms / self.window_ms.max(1) > self.index + 1
    }
}
