//! Tests of first pages taking in new shipments: after any mix of bookings (also committed
//! out of id order, as PostgreSQL sequences allow), edits and status changes, a page served
//! from the cache is byte for byte the page a reload would build.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::*;
use crate::db::creations::{Creation, MAX_PER_ORG};
use crate::domain::{Priority, ShipmentStatus};
use crate::http::pagination::{item_ends, take_in_created, Page, PageRequest};

#[derive(Serialize, Clone)]
struct Item {
    id: i64,
    status: ShipmentStatus,
    version: i64,
    note: String,
}

/// A booking as the write path logs it: version 1 of shipment `id`, listed as `json`.
fn creation(id: i64, status: ShipmentStatus, json: Vec<u8>) -> Creation {
    Creation {
        id,
        customer_id: 1,
        status,
        priority: Priority::Normal,
        created_at: 0,
        version: 1,
        item: json.into(),
    }
}

/// The "database", and how many times a page was loaded from it.
#[derive(Default)]
struct World {
    items: Mutex<Vec<Item>>,
    loads: AtomicU32,
    generations: Arc<Generations>,
}

impl World {
    fn cache(&self) -> Cache {
        let ttl = Duration::from_secs(60);
        Cache::new(1 << 24, ttl, true, self.generations.clone())
    }

    /// Asserts that `body` is the page a load would build now.
    fn assert_fresh(&self, body: &[u8], status: Option<ShipmentStatus>, limit: u32, at: &str) {
        let fresh = serde_json::to_vec(&self.page(status, limit)).unwrap();
        assert_eq!(
            String::from_utf8_lossy(body),
            String::from_utf8_lossy(&fresh),
            "{at}, page {status:?} limit {limit}"
        );
    }

    fn page(&self, status: Option<ShipmentStatus>, limit: u32) -> Page<Item> {
        let items = self.items.lock().unwrap();
        let mut rows: Vec<Item> = items
            .iter()
            .filter(|i| status.is_none_or(|s| i.status == s))
            .cloned()
            .collect();
        rows.sort_by_key(|i| std::cmp::Reverse(i.id));
        rows.truncate(limit as usize + 1);
        let request = PageRequest {
            limit,
            before_id: None,
        };
        Page::from_rows(rows, request, |i| i.id)
    }

    async fn book(&self, id: i64, status: ShipmentStatus) {
        let item = Item {
            id,
            status,
            version: 1,
            note: format!("booking {id} with \"quotes\" and }} braces"),
        };
        self.items.lock().unwrap().push(item.clone());
        let json = serde_json::to_vec(&item).unwrap();
        self.generations
            .created(1, creation(id, status, json), &[])
            .await;
    }

    async fn read(&self, cache: &Cache, status: Option<ShipmentStatus>, limit: u32) -> Bytes {
        let splice = |cached: &Cached, created: &[Arc<Creation>]| {
            take_in_created(cached, created, limit, |c| {
                status.is_none_or(|s| c.status == s)
            })
        };
        let depends_on = match status {
            None => vec![Subject::Shipments],
            Some(s) => vec![Subject::Status(s)],
        };
        let load = || async {
            self.loads.fetch_add(1, Ordering::SeqCst);
            Ok::<_, anyhow::Error>(self.page(status, limit))
        };
        let describe = |page: &Page<Item>| Describe {
            items: page.data.iter().map(|i| (i.id, i.version)).collect(),
            ..Describe::default()
        };
        let key = format!("{status:?}|{limit}");
        let got = cache
            .get_or_load_page("t", 1, &depends_on, key, &splice, load, describe)
            .await;
        let cached = got.unwrap();
        if let Some(ends) = cached.item_ends.get() {
            // Worked out while splicing: must be what a scan of the body finds.
            assert_eq!(ends, &item_ends(&cached.body), "spliced item ends");
        }
        cached.body
    }
}

const PAGES: [(Option<ShipmentStatus>, u32); 4] = [
    (None, 5),
    (Some(ShipmentStatus::Booked), 3),
    (Some(ShipmentStatus::Draft), 4),
    (None, 50),
];

#[tokio::test]
async fn cached_first_pages_equal_a_reload_after_any_bookings() {
    let world = World::default();
    let cache = world.cache();
    let mut rng = StdRng::seed_from_u64(7);
    let mut next_id = 1;
    let mut held_back: Option<i64> = None;
    let mut reads = 0;
    for step in 0..600 {
        let status = match rng.gen_bool(0.7) {
            true => ShipmentStatus::Booked,
            false => ShipmentStatus::Draft,
        };
        match rng.gen_range(0..10) {
            0..=5 => {
                // Now and then an id is allocated, held back and committed after a later one.
                let id = next_id;
                next_id += 1;
                match (held_back.take(), rng.gen_bool(0.2)) {
                    (None, true) => held_back = Some(id),
                    (Some(earlier), _) => {
                        world.book(id, status).await;
                        world.book(earlier, status).await;
                    }
                    (None, false) => world.book(id, status).await,
                }
            }
            6..=7 if next_id > 1 => {
                // An edit of a field no list filters on: the shipment's version.
                let edited = {
                    let mut items = world.items.lock().unwrap();
                    let n = items.len();
                    let item = &mut items[rng.gen_range(0..n)];
                    item.version += 1;
                    item.note = format!("edited at step {step}");
                    (item.id, item.version)
                };
                world.generations.edited(1, edited.0, edited.1).await;
            }
            8 if next_id > 1 => {
                // A status change moves the shipment between lists: a bump.
                let (id, from, to) = {
                    let mut items = world.items.lock().unwrap();
                    let n = items.len();
                    let item = &mut items[rng.gen_range(0..n)];
                    let from = item.status;
                    item.status = match from {
                        ShipmentStatus::Draft => ShipmentStatus::Booked,
                        _ => ShipmentStatus::Cancelled,
                    };
                    item.version += 1;
                    (item.id, from, item.status)
                };
                let changed = [
                    Subject::Shipments,
                    Subject::Shipment(id),
                    Subject::Status(from),
                    Subject::Status(to),
                ];
                world.generations.bump(1, &changed).await;
            }
            _ => {}
        }
        for (status, limit) in PAGES {
            let body = world.read(&cache, status, limit).await;
            reads += 1;
            world.assert_fresh(&body, status, limit, &format!("step {step}"));
        }
    }
    let stats = cache.stats()[0].1;
    let loads = world.loads.load(Ordering::SeqCst);
    assert!(stats.spliced > 300, "bookings were spliced in: {stats:?}");
    assert!(loads < reads / 3, "{loads} loads for {reads} reads");
}

#[tokio::test]
async fn a_page_older_than_the_creation_log_reloads() {
    let world = World::default();
    let cache = world.cache();
    world.book(1, ShipmentStatus::Booked).await;
    world.read(&cache, None, 5).await;
    world.book(2, ShipmentStatus::Booked).await;
    world.read(&cache, None, 5).await;
    assert_eq!(
        world.loads.load(Ordering::SeqCst),
        1,
        "the second was spliced"
    );
    for id in 3..(MAX_PER_ORG as i64 + 4) {
        world.book(id, ShipmentStatus::Booked).await;
    }
    let body = world.read(&cache, None, 5).await;
    assert_eq!(world.loads.load(Ordering::SeqCst), 2, "reloaded");
    world.assert_fresh(&body, None, 5, "after");
}

#[tokio::test]
async fn a_shipment_written_before_its_creation_is_logged_is_bumped_instead() {
    let world = World::default();
    let cache = world.cache();
    world.book(1, ShipmentStatus::Booked).await;
    world.read(&cache, None, 5).await;
    // Shipment 2 is committed, and changed by someone who saw it, before its booking
    // reaches the log: the booking must invalidate, not splice its first version in.
    world.items.lock().unwrap().push(Item {
        id: 2,
        status: ShipmentStatus::Cancelled,
        version: 2,
        note: String::new(),
    });
    world
        .generations
        .bump(
            1,
            &[
                Subject::Shipment(2),
                Subject::Status(ShipmentStatus::Cancelled),
            ],
        )
        .await;
    let first_version = b"{\"id\":2,\"status\":\"booked\"}".to_vec();
    let booking = creation(2, ShipmentStatus::Booked, first_version);
    world.generations.created(1, booking, &[]).await;
    let body = world.read(&cache, None, 5).await;
    assert_eq!(world.loads.load(Ordering::SeqCst), 2, "reloaded");
    world.assert_fresh(&body, None, 5, "after");
}
