//! One simulated user of `bench load`: the shared fixture it reads from (a token, existing
//! shipments and customers), and the loop that sends the workload's requests on its own
//! connection, in a closed loop or on a paced schedule, recording each one's latency.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use axum::http::{HeaderValue, Method};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

use super::connection::Connection;
use super::workload::{new_shipment, pick, Op};
use crate::seed::DEMO_PASSWORD;

/// Data the workers share: the token and what exists to read.
pub(super) struct Fixture {
    token: String,
    shipment_ids: Vec<i64>,
    customer_ids: Vec<i64>,
}

/// Requests to `/api/v1/shipments` that [`prepare`] sends (one listing).
pub(super) const SETUP_SHIPMENT_LISTS: u64 = 1;

pub(super) async fn prepare(
    client: &reqwest::Client,
    url: &str,
    email: &str,
) -> anyhow::Result<Fixture> {
    let login: Value = client
        .post(format!("{url}/api/v1/auth/login"))
        .json(&json!({"email": email, "password": DEMO_PASSWORD}))
        .send()
        .await?
        .error_for_status()
        .context("login failed: is the server seeded with --demo?")?
        .json()
        .await?;
    let token = login["access_token"]
        .as_str()
        .context("no access token")?
        .to_string();
    let fixture = Fixture {
        shipment_ids: list_ids(client, &format!("{url}/api/v1/shipments"), &token).await?,
        customer_ids: list_ids(client, &format!("{url}/api/v1/customers"), &token).await?,
        token,
    };
    if fixture.shipment_ids.is_empty() || fixture.customer_ids.is_empty() {
        bail!("the server has no shipments or customers to work with");
    }
    Ok(fixture)
}

/// The ids on the first page (up to 200) of a list endpoint.
async fn list_ids(client: &reqwest::Client, list: &str, token: &str) -> anyhow::Result<Vec<i64>> {
    let page: Value = client
        .get(format!("{list}?limit=200"))
        .bearer_auth(token)
        .send()
        .await?
        .json()
        .await?;
    Ok(page["data"]
        .as_array()
        .map(|a| a.iter().filter_map(|x| x["id"].as_i64()).collect())
        .unwrap_or_default())
}

pub(super) async fn worker_loop(
    seed: u64,
    write_percent: u32,
    url: String,
    fixture: Arc<Fixture>,
    mut schedule: Option<Schedule>,
    (measure_from, deadline): (Instant, Instant),
) -> anyhow::Result<(Vec<(Op, u32)>, u64, u64)> {
    let mut connection = Connection::new(&url, &fixture.token)?;
    let mut rng = StdRng::seed_from_u64(seed);
    let mut samples = Vec::with_capacity(16_384);
    let (mut errors, mut sent) = (0, 0);
    let mut own: Vec<(i64, i64)> = Vec::new(); // shipments this worker created: (id, version)
    let statuses = [
        "booked",
        "assigned",
        "in_transit",
        "delivered",
        "booked,assigned",
    ];
    let words = [
        "fragile",
        "dock",
        "liftgate",
        "IF-10",
        "widgets",
        "temperature",
    ];
    while Instant::now() < deadline {
        let mut op = pick(&mut rng, write_percent);
        if op == Op::Update && own.is_empty() {
            // Nothing of its own to update yet: the worker lists instead.
            op = Op::List;
        }
        let began = match &mut schedule {
            Some(schedule) => {
                let due = schedule.next_due();
                tokio::time::sleep_until(due.into()).await;
                due
            }
            None => Instant::now(),
        };
        if began >= deadline {
            break;
        }
        let (method, path, body, if_match) = match op {
            Op::List => (
                Method::GET,
                "/api/v1/shipments?limit=20".to_string(),
                None,
                None,
            ),
            Op::ListByStatus => {
                let s = statuses[rng.gen_range(0..statuses.len())];
                let path = format!("/api/v1/shipments?limit=20&status={s}");
                (Method::GET, path, None, None)
            }
            Op::Search => {
                let w = words[rng.gen_range(0..words.len())];
                (
                    Method::GET,
                    format!("/api/v1/shipments?limit=20&q={w}"),
                    None,
                    None,
                )
            }
            Op::Get => {
                let id = fixture.shipment_ids[rng.gen_range(0..fixture.shipment_ids.len())];
                (Method::GET, format!("/api/v1/shipments/{id}"), None, None)
            }
            Op::Create => {
                let customer = fixture.customer_ids[rng.gen_range(0..fixture.customer_ids.len())];
                let body = serde_json::to_vec(&new_shipment(&mut rng, customer))?;
                (
                    Method::POST,
                    "/api/v1/shipments".to_string(),
                    Some(body),
                    None,
                )
            }
            Op::Update => {
                let (id, version) = own.last().copied().unwrap_or_default();
                let body = json!({"notes": format!("updated by load test {}", rng.gen::<u32>())});
                let tag = HeaderValue::from_str(&format!("\"{version}\""))?;
                let path = format!("/api/v1/shipments/{id}");
                (
                    Method::PATCH,
                    path,
                    Some(serde_json::to_vec(&body)?),
                    Some(tag),
                )
            }
        };
        sent += 1;
        let ok = match connection.send(method, &path, body, if_match).await {
            Ok((status, body)) if status.is_success() => {
                if op.writes() {
                    if let Ok(body) = serde_json::from_slice::<Value>(&body) {
                        if let (Some(id), Some(v)) = (body["id"].as_i64(), body["version"].as_i64())
                        {
                            if op == Op::Update {
                                own.pop();
                            }
                            own.push((id, v));
                        }
                    }
                }
                true
            }
            Ok((status, body)) => {
                if errors < 3 {
                    let body = String::from_utf8_lossy(&body);
                    eprintln!("{op:?} answered {status}: {body:.300}");
                }
                false
            }
            Err(e) => {
                if errors < 3 {
                    eprintln!("{op:?} failed: {e:#}");
                }
                false
            }
        };
        if began >= measure_from && Instant::now() <= deadline {
            let us = began.elapsed().as_micros().min(u128::from(u32::MAX)) as u32;
            samples.push((op, us));
            if !ok {
                errors += 1;
            }
        }
    }
    Ok((samples, errors, sent))
}

/// When one connection sends under `--rate`: every connection keeps the same interval, and
/// their first requests are spread over one interval so they do not arrive in bursts.
#[derive(Debug, Clone, Copy)]
pub(super) struct Schedule {
    next: Instant,
    interval: Duration,
}

impl Schedule {
    /// The schedule of connection `worker` of `connections`, each sending `rate /
    /// connections` requests a second from `start`.
    pub(super) fn new(rate: f64, worker: usize, connections: usize, start: Instant) -> Schedule {
        let interval = Duration::from_secs_f64(connections as f64 / rate);
        Schedule {
            next: start + interval.mul_f64(worker as f64 / connections as f64),
            interval,
        }
    }

    /// The time the next request is due; the one after it is scheduled one interval later,
    /// however late this one is sent.
    fn next_due(&mut self) -> Instant {
        let due = self.next;
        self.next += self.interval;
        due
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paced_connections_share_the_rate_and_start_staggered() {
        let start = Instant::now();
        // 1,000 req/s over 4 connections: each sends every 4 ms, a millisecond apart.
        let mut first = Schedule::new(1000.0, 0, 4, start);
        let mut third = Schedule::new(1000.0, 2, 4, start);
        assert_eq!(first.next_due(), start);
        assert_eq!(first.next_due(), start + Duration::from_millis(4));
        assert_eq!(third.next_due(), start + Duration::from_millis(2));
        assert_eq!(third.next_due(), start + Duration::from_millis(6));
    }
}
