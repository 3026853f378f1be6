//! What `bench load` asks for: the mix of operations (reads weighted as a dispatcher's
//! screens use them, writes at `--write-percent`) and the shipments it books.

use rand::rngs::StdRng;
use rand::Rng;
use serde_json::{json, Value};

/// What one operation was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Op {
    List,
    ListByStatus,
    Search,
    Get,
    Create,
    Update,
}

impl Op {
    pub(super) fn writes(self) -> bool {
        matches!(self, Op::Create | Op::Update)
    }
}

/// Relative weights of the read operations (writes are `--write-percent`).
const READS: &[(Op, u32)] = &[
    (Op::List, 25),
    (Op::ListByStatus, 20),
    (Op::Search, 10),
    (Op::Get, 25),
];

pub(super) fn pick(rng: &mut StdRng, write_percent: u32) -> Op {
    if rng.gen_range(0..100) < write_percent {
        return if rng.gen_bool(0.5) {
            Op::Create
        } else {
            Op::Update
        };
    }
    let total: u32 = READS.iter().map(|(_, w)| w).sum();
    let mut x = rng.gen_range(0..total);
    for (op, w) in READS {
        if x < *w {
            return *op;
        }
        x -= w;
    }
    Op::List
}

pub(super) fn new_shipment(rng: &mut StdRng, customer_id: i64) -> Value {
    let start = chrono::Utc::now() + chrono::Duration::hours(rng.gen_range(2..48));
    let window = |from: chrono::DateTime<chrono::Utc>| json!({"start": from, "end": from + chrono::Duration::hours(2)});
    json!({
        "customer_id": customer_id,
        "weight_kg": rng.gen_range(10.0..2000.0),
        "volume_m3": 2.5,
        "pallets": 2,
        "notes": "load test pallet of widgets",
        "pickup": {"address": "4800 Burleson Rd, Austin, TX", "lat": 30.2040, "lon": -97.7140, "window": window(start), "service_minutes": 15},
        "delivery": {"address": "11410 Century Oaks Terrace, Austin, TX", "lat": 30.4020, "lon": -97.7253,
                     "window": window(start + chrono::Duration::hours(3)), "service_minutes": 10}
    })
}
