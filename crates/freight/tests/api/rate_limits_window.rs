//! The sliding-window arithmetic, the in-process store and the report's statistics, driven
//! by an injected clock (plain millisecond values): no sleeping, no timing assertions.

use freight::db::rate_limits::TrafficRow;
use freight::ratelimit::report::{self, percentile, round_up_nicely};
use freight::ratelimit::store::MemoryStore;
use freight::ratelimit::window::{admits, retry_after_ms, Counts, Policy, WindowState};
use freight::ratelimit::RateLimitConfig;

const TEN_PER_SECOND: Policy = Policy {
    limit: 10,
    window_ms: 1000,
    burst: 0,
};

#[test]
fn a_full_window_refuses_and_the_carry_over_decays() {
    let mut state = WindowState::new(1000, 0);
    let remaining: Vec<u64> = (0..10)
        .map(|_| state.hit(TEN_PER_SECOND, 500).remaining)
        .collect();
    assert_eq!(remaining, vec![9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    let refused = state.hit(TEN_PER_SECOND, 999);
    assert!(!refused.allowed);
    // Next window: 10 × (1 − t/1000) + 1 ≤ 10 first holds at t = 100 ms, i.e. 101 ms
    // from now, which the header rounds up to one second.
    assert_eq!(refused.retry_after_secs, Some(1));
    assert_eq!(
        retry_after_ms(
            TEN_PER_SECOND,
            Counts {
                prev: 0,
                curr: 10,
                elapsed_ms: 999
            }
        ),
        1 + 100
    );
    assert!(!state.hit(TEN_PER_SECOND, 1050).allowed);
    assert!(!state.hit(TEN_PER_SECOND, 1099).allowed);
    assert!(state.hit(TEN_PER_SECOND, 1100).allowed);
    // Half-way through, half of the previous window still counts.
    let mid = state.counts_at(1000, 1500);
    assert_eq!(
        mid,
        Counts {
            prev: 10,
            curr: 1,
            elapsed_ms: 500
        }
    );
    assert!(admits(TEN_PER_SECOND, mid));
    assert!(!admits(TEN_PER_SECOND, Counts { curr: 5, ..mid }));
}

#[test]
fn burst_is_available_at_once_after_a_full_window() {
    let policy = Policy {
        burst: 3,
        ..TEN_PER_SECOND
    };
    let mut state = WindowState::new(1000, 0);
    for _ in 0..10 {
        assert!(state.hit(policy, 900).allowed);
    }
    assert!(
        !state.hit(policy, 950).allowed,
        "never more than `limit` in one window"
    );
    // Right after the boundary the plain sliding rule refuses (carry-over ≈ 10) but the
    // burst lets three through immediately.
    let burst: Vec<(bool, u64)> = (0..4)
        .map(|_| {
            let d = state.hit(policy, 1001);
            (d.allowed, d.remaining)
        })
        .collect();
    assert_eq!(burst, vec![(true, 2), (true, 1), (true, 0), (false, 0)]);
    assert!(
        !admits(TEN_PER_SECOND, state.counts_at(1000, 1001)),
        "no burst, no entry"
    );
    // In any span of one window: at most limit + burst = 13.
    let mut span = WindowState::new(1000, 0);
    let admitted = (0..40)
        .filter(|i| span.hit(policy, 500 + i * 20).allowed)
        .count();
    assert!(admitted <= 13, "{admitted}");
}

#[test]
fn idle_keys_start_afresh_and_expire() {
    let mut state = WindowState::new(1000, 0);
    for _ in 0..10 {
        state.hit(TEN_PER_SECOND, 10);
    }
    assert!(!state.expired(1999));
    assert!(state.expired(2000));
    assert_eq!(
        state.counts_at(1000, 5000),
        Counts {
            prev: 0,
            curr: 0,
            elapsed_ms: 0
        }
    );
    // A changed window length (an override) starts over rather than mixing units.
    state.hit(TEN_PER_SECOND, 5000);
    assert_eq!(state.counts_at(60_000, 5001).curr, 0);
}

#[test]
fn the_memory_store_stays_bounded() {
    let store = MemoryStore::new(16);
    for i in 0..200u64 {
        store.hit_at(&format!("k{i}"), TEN_PER_SECOND, i);
    }
    assert!(store.len() <= 16, "{}", store.len());
    // The most recently used key survived eviction with its count.
    assert_eq!(store.hit_at("k199", TEN_PER_SECOND, 200).remaining, 8);
    // Keys are swept once both windows they remember are over.
    assert_eq!(store.sweep(1999), 0);
    let kept = store.len();
    assert_eq!(store.sweep(2000), kept);
    assert!(store.is_empty());
}

fn row(
    minute: i64,
    subject: &str,
    tier: &str,
    endpoint: &str,
    requests: i64,
    throttled: i64,
) -> TrafficRow {
    TrafficRow {
        minute: minute * 60_000,
        org_id: 1,
        subject: subject.into(),
        tier: tier.into(),
        endpoint: endpoint.into(),
        requests,
        throttled,
    }
}

#[test]
fn the_report_summarizes_demand_and_suggests_limits() {
    assert_eq!(percentile(&[1, 2, 3, 4, 100], 0.5), 3);
    assert_eq!(percentile(&[1, 2, 3, 4, 100], 0.99), 100);
    assert_eq!(percentile(&[], 0.5), 0);
    assert_eq!(round_up_nicely(7.2), 8);
    assert_eq!(round_up_nicely(61.0), 65);
    assert_eq!(round_up_nicely(101.0), 110);
    assert_eq!(round_up_nicely(1234.0), 1300);

    let rows = vec![
        row(0, "user:1", "general", "GET /api/v1/shipments", 10, 0),
        row(1, "user:1", "general", "GET /api/v1/shipments", 30, 2),
        row(1, "user:2", "general", "GET /api/v1/shipments", 20, 0),
        row(2, "user:2", "general", "GET /api/v1/drivers", 4, 0),
        row(20, "user:2", "general", "GET /api/v1/drivers", 40, 5),
        row(3, "ip:127.0.0.1", "auth", "POST /api/v1/auth/login", 6, 1),
    ];
    let built = report::build(&rows, 0, &RateLimitConfig::default(), 1.5);
    let shipments = built
        .endpoints
        .iter()
        .find(|e| e.endpoint == "GET /api/v1/shipments")
        .unwrap();
    assert_eq!((shipments.requests, shipments.throttled), (60, 2));
    assert_eq!(shipments.active_minutes, 2);
    assert_eq!(
        (
            shipments.per_minute_p50,
            shipments.per_minute_p95,
            shipments.per_minute_max
        ),
        (10, 50, 50)
    );
    let who: Vec<(&str, i64)> = built
        .throttled
        .iter()
        .map(|t| (t.subject.as_str(), t.count))
        .collect();
    assert_eq!(who, vec![("user:2", 5), ("user:1", 2), ("ip:127.0.0.1", 1)]);
    // General windows are 15 min: user:1 made 40, user:2 made 24 then 40 → p99 40 × 1.5.
    let general = &built.suggestions[0];
    assert_eq!(
        (
            general.tier.as_str(),
            general.samples,
            general.p99_per_window
        ),
        ("general", 3, 40)
    );
    assert_eq!(general.suggested_limit, Some(60));
    let ai = built.suggestions.iter().find(|s| s.tier == "ai").unwrap();
    assert_eq!(ai.suggested_limit, None);
    let text = report::render_text(&built);
    assert!(
        text.contains("GET /api/v1/shipments") && text.contains("user:2"),
        "{text}"
    );
}
