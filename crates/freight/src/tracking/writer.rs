//! The group-commit writer: one task owns all position writes.
//!
//! Ingest paths hand it a batch and wait for the reply. It takes whatever has queued up while
//! the previous transaction ran (up to `batch_max_fixes`), writes it all in **one**
//! transaction (history, latest positions, geofence events, shipment arrivals/ETAs), and only
//! after `COMMIT` returns does it answer the waiting callers. So an acknowledgement always
//! means the fix is on disk, while under load hundreds of requests share one commit.
//!
//! After the reply it moves the in-memory latest positions forward and fans them out; a
//! failed transaction answers every caller with an error and changes nothing in memory.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use super::fix::Fix;
use super::geo::Evaluation;
use super::{store, Inner};

/// A request to the writer.
pub enum WriterMsg {
    /// Store these fixes; reply once durable.
    Fixes {
        fixes: Vec<Fix>,
        done: oneshot::Sender<Result<(), ()>>,
    },
    /// Write everything queued so far, then stop.
    Stop(oneshot::Sender<()>),
}

/// Runs until a `Stop` arrives (or every sender is gone).
pub async fn run(inner: Arc<Inner>, mut rx: mpsc::Receiver<WriterMsg>, batch_max: usize) {
    let mut stop = None;
    while stop.is_none() {
        let Some(first) = rx.recv().await else { break };
        let mut batch: Vec<Fix> = Vec::new();
        let mut waiters = Vec::new();
        let mut take = |msg: WriterMsg, batch: &mut Vec<Fix>| match msg {
            WriterMsg::Fixes { mut fixes, done } => {
                batch.append(&mut fixes);
                waiters.push(done);
                None
            }
            WriterMsg::Stop(reply) => Some(reply),
        };
        stop = take(first, &mut batch);
        while stop.is_none() && batch.len() < batch_max {
            match rx.try_recv() {
                Ok(msg) => stop = take(msg, &mut batch),
                Err(_) => break,
            }
        }
        if stop.is_some() {
            // Nothing new is accepted after Stop, but whatever was queued before it is written.
            while let Ok(WriterMsg::Fixes { mut fixes, done }) = rx.try_recv() {
                batch.append(&mut fixes);
                waiters.push(done);
            }
        }
        if batch.is_empty() {
            for w in waiters {
                let _ = w.send(Ok(()));
            }
            continue;
        }
        match commit(&inner, &batch).await {
            Ok(evaluation) => {
                for w in waiters {
                    let _ = w.send(Ok(()));
                }
                inner.after_commit(&batch, evaluation);
            }
            Err(e) => {
                tracing::error!(error = %e, fixes = batch.len(), "storing positions failed");
                for w in waiters {
                    let _ = w.send(Err(()));
                }
            }
        }
    }
    rx.close();
    if let Some(reply) = stop {
        let _ = reply.send(());
    }
}

/// Writes one batch in one transaction; returns the events and facts it produced.
async fn commit(inner: &Inner, batch: &[Fix]) -> anyhow::Result<Evaluation> {
    let mut tx = inner.db.begin().await?;
    let inserted = store::insert_positions(&mut tx, batch).await?;
    // One candidate per driver: the newest fix of the batch, if it beats what we know.
    let mut newest: HashMap<i64, &Fix> = HashMap::new();
    for f in batch {
        let slot = newest.entry(f.subject.driver_id).or_insert(f);
        if f.fix_time > slot.fix_time {
            *slot = f;
        }
    }
    let mut newest: Vec<&Fix> = newest
        .into_values()
        .filter(|f| inner.is_newer_than_latest(f))
        .collect();
    newest.sort_by_key(|f| f.subject.driver_id);
    store::upsert_latest(&mut tx, &newest).await?;
    let evaluation = inner
        .geo
        .evaluate(&inner.db, &mut tx, batch, |org, driver| {
            inner.latest_point(org, driver)
        })
        .await?;
    tx.commit().await?;
    let counters = &inner.counters;
    counters.commits.fetch_add(1, Ordering::Relaxed);
    counters
        .committed_fixes
        .fetch_add(inserted, Ordering::Relaxed);
    counters
        .stored_duplicates
        .fetch_add(batch.len() as u64 - inserted, Ordering::Relaxed);
    Ok(evaluation)
}
