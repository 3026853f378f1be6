//! Tests of the read-through cache: generations, coalesced misses, edits during a load.

use super::*;

async fn read(cache: &Cache, loads: &mut u32, value: u32) -> Bytes {
    let got: Result<Cached, anyhow::Error> = cache
        .get_or_load(
            "t",
            1,
            &[Subject::Fleet],
            "k".into(),
            || {
                *loads += 1;
                async move { Ok::<_, anyhow::Error>(vec![value]) }
            },
            |_| Describe::default(),
        )
        .await;
    got.unwrap().body
}

#[tokio::test]
async fn loads_once_then_hits_until_a_generation_changes() {
    let generations = Arc::new(Generations::default());
    let cache = Cache::new(1 << 20, Duration::from_secs(60), true, generations.clone());
    let mut loads = 0;
    for _ in 0..3 {
        assert_eq!(&read(&cache, &mut loads, 1).await[..], b"[1]");
    }
    assert_eq!(loads, 1);
    generations.bump(2, &[Subject::Fleet]).await;
    assert_eq!(&read(&cache, &mut loads, 2).await[..], b"[1]", "other org");
    generations.bump(1, &[Subject::Shipments]).await;
    assert_eq!(
        &read(&cache, &mut loads, 2).await[..],
        b"[1]",
        "other subject"
    );
    generations.bump(1, &[Subject::Fleet]).await;
    assert_eq!(
        &read(&cache, &mut loads, 3).await[..],
        b"[3]",
        "a new generation misses"
    );
    let stats = cache.stats();
    assert_eq!((stats[0].1.hits, stats[0].1.misses), (4, 2));
}

#[tokio::test]
async fn a_disabled_cache_always_loads() {
    let cache = Cache::new(1 << 20, Duration::from_secs(60), false, Arc::default());
    let mut loads = 0;
    for _ in 0..2 {
        read(&cache, &mut loads, 1).await;
    }
    assert_eq!(loads, 2);
    assert_eq!(cache.stats()[0].1.misses, 2);
}

/// A page of shipment 5 at `version`, loaded slowly: the load waits for `release`.
async fn slow_page(
    cache: &Cache,
    loads: &std::sync::atomic::AtomicU32,
    release: &tokio::sync::Notify,
    version: i64,
) -> Bytes {
    let got: Result<Cached, anyhow::Error> = cache
        .get_or_load(
            "t",
            1,
            &[Subject::Fleet],
            "page".into(),
            || async move {
                loads.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                release.notified().await;
                Ok::<_, anyhow::Error>(vec![version])
            },
            move |_| Describe {
                etag: None,
                items: vec![(5, version)],
            },
        )
        .await;
    got.unwrap().body
}

#[tokio::test]
async fn concurrent_misses_of_one_key_share_one_load() {
    let cache = Cache::new(1 << 20, Duration::from_secs(60), true, Arc::default());
    let loads = std::sync::atomic::AtomicU32::new(0);
    let release = tokio::sync::Notify::new();
    let readers = futures::future::join3(
        slow_page(&cache, &loads, &release, 1),
        slow_page(&cache, &loads, &release, 1),
        slow_page(&cache, &loads, &release, 1),
    );
    let releaser = async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        release.notify_waiters();
    };
    let ((a, b, c), ()) = futures::future::join(readers, releaser).await;
    assert_eq!(
        (&a[..], &b[..], &c[..]),
        (&b"[1]"[..], &b"[1]"[..], &b"[1]"[..])
    );
    assert_eq!(loads.load(std::sync::atomic::Ordering::SeqCst), 1);
    let stats = cache.stats()[0].1;
    assert_eq!((stats.hits, stats.misses, stats.coalesced), (0, 1, 2));
}

#[tokio::test]
async fn a_shared_load_older_than_an_edit_is_not_served_to_a_later_reader() {
    let generations = Arc::new(Generations::default());
    let cache = Cache::new(1 << 20, Duration::from_secs(60), true, generations.clone());
    let loads = std::sync::atomic::AtomicU32::new(0);
    let release = tokio::sync::Notify::new();
    let first = slow_page(&cache, &loads, &release, 1);
    // Shipment 5 is edited to version 2 while the first load runs; a reader arriving
    // after the edit joins that load but must not be answered with version 1.
    let later = async {
        tokio::time::sleep(Duration::from_millis(20)).await;
        generations.edited(1, 5, 2).await;
        let (body, ()) = futures::future::join(slow_page(&cache, &loads, &release, 2), async {
            tokio::time::sleep(Duration::from_millis(50)).await;
            release.notify_waiters();
            tokio::time::sleep(Duration::from_millis(50)).await;
            release.notify_waiters();
        })
        .await;
        body
    };
    let (first, later) = futures::future::join(first, later).await;
    assert_eq!(&first[..], b"[1]");
    assert_eq!(&later[..], b"[2]", "the later reader saw the edit");
    assert_eq!(loads.load(std::sync::atomic::Ordering::SeqCst), 2);
}
