//! Unit tests of change generations (in process, and Redis key naming).

use super::*;

#[tokio::test]
async fn bumps_are_per_organization_and_subject() {
    let g = Generations::default();
    g.bump(1, &[Subject::Shipments, Subject::Shipment(7)]).await;
    let got = g
        .current(
            1,
            &[Subject::Shipment(7), Subject::Shipment(8), Subject::Fleet],
        )
        .await;
    assert_eq!(got, Some(vec![1, 0, 0]));
    // Keys on the shipment list also carry the creation sequence (none yet).
    assert_eq!(g.current(1, &[Subject::Shipments]).await, Some(vec![1, 0]));
    assert_eq!(g.current(2, &[Subject::Shipments]).await, Some(vec![0, 0]));
}

fn creation(id: i64, status: ShipmentStatus) -> Creation {
    Creation {
        id,
        customer_id: 1,
        status,
        priority: crate::domain::Priority::Normal,
        created_at: 0,
        version: 1,
        item: Default::default(),
    }
}

#[tokio::test]
async fn in_process_a_creation_changes_the_keys_of_everything_but_first_pages() {
    let g = Generations::default();
    let texts = text_subjects(&["dock"]);
    g.created(1, creation(5, ShipmentStatus::Booked), &texts)
        .await;
    let booked = [Subject::Status(ShipmentStatus::Booked), Subject::Fleet];
    assert_eq!(g.current(1, &booked).await, Some(vec![0, 0, 1]));
    assert_eq!(
        g.current(1, &[Subject::Fleet]).await,
        Some(vec![0]),
        "fleet only"
    );
    let in_transit = [Subject::Status(ShipmentStatus::InTransit)];
    assert_eq!(g.current(1, &in_transit).await, Some(vec![0]));
    let search = search_subject(&["doc".to_string()]).unwrap();
    assert_eq!(g.current(1, &[search]).await, Some(vec![1]), "its words");
    let stamp = Stamp {
        generations: vec![0, 0],
        created: Some(1),
    };
    assert_eq!(g.stamp(1, &booked, true).await, Some(stamp));
    let logged = g.created_between(1, 0, 1).expect("held");
    assert_eq!(logged.iter().map(|c| c.id).collect::<Vec<_>>(), [5]);
}

#[test]
fn every_word_a_search_can_match_bumps_the_searched_bucket() {
    let bumped = text_subjects(&["IF-261126-AB12", "Fragile glassware, dock 4"]);
    for query in [
        "frag", "fragile", "gl", "d", "dock", "4", "if", "2611", "ab12", "ab", "12",
    ] {
        let terms = vec![query.to_string()];
        let needed = search_subject(&terms).unwrap();
        assert!(bumped.contains(&needed), "{query}");
    }
    let unrelated = search_subject(&["liftgate".to_string()]).unwrap();
    assert!(!bumped.contains(&unrelated));
    assert!(text_subjects(&["Café"]).contains(&Subject::AnyText));
    assert_eq!(search_subject(&["café".to_string()]), None);
    let longest = search_subject(&["if".to_string(), "2611".to_string()]);
    assert_eq!(longest, search_subject(&["261".to_string()]));
}

#[tokio::test]
async fn a_write_that_names_no_buckets_invalidates_every_search() {
    let g = Generations::default();
    g.bump(1, &[Subject::Shipments]).await;
    assert_eq!(g.current(1, &[Subject::AnyText]).await, Some(vec![1]));
    let named = text_subjects(&["dock"]);
    g.bump(1, &[[Subject::Shipments].as_slice(), &named].concat())
        .await;
    assert_eq!(g.current(1, &[Subject::AnyText]).await, Some(vec![1]));
}

#[test]
fn subjects_have_distinct_redis_keys() {
    let link = RedisLink::new("redis://127.0.0.1:1/0", "p:", Duration::from_millis(10))
        .expect("valid url");
    let keys = Generations::redis_keys(
        &link,
        3,
        &[
            Subject::Shipments,
            Subject::Shipment(1),
            Subject::Status(ShipmentStatus::Booked),
            Subject::Fleet,
            Subject::Text(Bucket::of(b"doc")),
            Subject::AnyText,
        ],
    );
    assert_eq!(
        keys,
        [
            "p:gen:3:s",
            "p:gen:3:s1",
            "p:gen:3:st:booked",
            "p:gen:3:f",
            "p:gen:3:t:doc",
            "p:gen:3:t*"
        ]
    );
}

#[tokio::test]
async fn an_unreachable_redis_means_unknown_generations() {
    let g = Generations::default();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap();
    let url = format!("redis://127.0.0.1:{port}/0");
    let link = RedisLink::new(&url, "p:", Duration::from_millis(200)).unwrap();
    g.share_through(Arc::new(link), Duration::from_secs(1));
    assert_eq!(g.current(1, &[Subject::Fleet]).await, None);
}
