//! What the database is asked, for the performance analyzer: per statement shape, how often
//! and how long; and per request, which shapes repeat (N+1 detection).
//!
//! Statements are normalized (placeholders, literals and IN-lists collapsed, whitespace
//! squeezed) so `WHERE id = $1` run for 50 ids is one shape counted 50 times. The text of a
//! statement repeats far more often than it changes, so each distinct text is normalized
//! once and its shape shared (`Arc<str>`): recording a statement is two map look-ups.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::samples::RecentSamples;

/// Statement texts are hashed up to three times per statement (shape, statistics, request);
/// foldhash does it several times faster than SipHash, and no key here comes from a client.
type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// Recent durations kept per statement shape for percentiles.
const SAMPLES_PER_STATEMENT: usize = 512;
/// Distinct statement texts whose shapes are remembered (beyond it, normalized each time).
const MAX_REMEMBERED_TEXTS: usize = 4096;
/// A shape repeated more than this many times in one request is reported as N+1.
pub const N_PLUS_ONE_THRESHOLD: u32 = 5;

/// Aggregates for one statement shape.
#[derive(Debug, Clone, Default)]
pub struct StatementStats {
    pub count: u64,
    pub total: Duration,
    pub max: Duration,
    samples: RecentSamples<SAMPLES_PER_STATEMENT>,
}

impl StatementStats {
    fn record(&mut self, elapsed: Duration) {
        self.count += 1;
        self.total += elapsed;
        self.max = self.max.max(elapsed);
        self.samples.push(elapsed);
    }

    /// 95th percentile of the recent samples, in milliseconds.
    pub fn p95_ms(&self) -> f64 {
        let mut sorted = self.samples.as_slice().to_vec();
        sorted.sort_unstable();
        percentile_ms(&sorted, 0.95)
    }

    pub fn mean_ms(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.total.as_secs_f64() * 1000.0 / self.count as f64
        }
    }
}

fn percentile_ms(sorted: &[u32], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let idx = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    f64::from(sorted[idx]) / 1000.0
}

/// An N+1 pattern seen in a request.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NPlusOne {
    pub route: String,
    pub statement: String,
}

/// Process-wide statement statistics and N+1 findings.
#[derive(Default)]
pub struct QueryLog {
    shapes: Mutex<FastMap<Box<str>, Arc<str>>>,
    statements: Mutex<FastMap<Arc<str>, StatementStats>>,
    n_plus_one: Mutex<HashMap<NPlusOne, (u64, u32)>>,
}

impl QueryLog {
    /// Records one executed statement; also notes it against the current request, if any.
    /// Returns the statement's shape (shared, so a trace span can carry it without a copy).
    pub fn record(&self, sql: &str, elapsed: Duration) -> Arc<str> {
        let shape = self.shape(sql);
        let _ = CURRENT_REQUEST.try_with(|req| req.note(&shape));
        if let Ok(mut map) = self.statements.lock() {
            match map.get_mut(&shape) {
                Some(stats) => stats.record(elapsed),
                None => map.entry(shape.clone()).or_default().record(elapsed),
            }
        }
        shape
    }

    fn shape(&self, sql: &str) -> Arc<str> {
        if let Some(shape) = self.shapes.lock().ok().and_then(|m| m.get(sql).cloned()) {
            return shape;
        }
        let shape: Arc<str> = normalize(sql).into();
        if let Ok(mut map) = self.shapes.lock() {
            if map.len() < MAX_REMEMBERED_TEXTS {
                map.insert(sql.into(), shape.clone());
            }
        }
        shape
    }

    /// A copy of every statement's stats.
    pub fn statements(&self) -> Vec<(String, StatementStats)> {
        self.statements
            .lock()
            .map(|m| m.iter().map(|(k, v)| (k.to_string(), v.clone())).collect())
            .unwrap_or_default()
    }

    /// Called when a request ends with the shapes it ran; remembers repeats as N+1.
    pub fn finish_request(&self, route: &str, shapes: FastMap<Arc<str>, u32>) {
        let mut repeated = shapes
            .into_iter()
            .filter(|(_, n)| *n > N_PLUS_ONE_THRESHOLD)
            .peekable();
        if repeated.peek().is_none() {
            return;
        }
        let Ok(mut found) = self.n_plus_one.lock() else {
            return;
        };
        for (statement, count) in repeated {
            let entry = found
                .entry(NPlusOne {
                    route: route.to_string(),
                    statement: statement.to_string(),
                })
                .or_insert((0, 0));
            entry.0 += 1;
            entry.1 = entry.1.max(count);
        }
    }

    /// N+1 findings: (pattern, requests affected, worst repeat count).
    pub fn n_plus_one(&self) -> Vec<(NPlusOne, u64, u32)> {
        self.n_plus_one
            .lock()
            .map(|m| {
                m.iter()
                    .map(|(k, (n, max))| (k.clone(), *n, *max))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Statement shapes run by the request being served.
#[derive(Default)]
pub struct RequestQueries(Mutex<FastMap<Arc<str>, u32>>);

impl RequestQueries {
    fn note(&self, shape: &Arc<str>) {
        if let Ok(mut map) = self.0.lock() {
            *map.entry(shape.clone()).or_insert(0) += 1;
        }
    }

    /// The number of statements run so far, by shape.
    pub fn take(&self) -> FastMap<Arc<str>, u32> {
        self.0
            .lock()
            .map(|mut m| std::mem::take(&mut *m))
            .unwrap_or_default()
    }
}

tokio::task_local! {
    /// Set by the HTTP metrics middleware around each request.
    pub static CURRENT_REQUEST: std::sync::Arc<RequestQueries>;
}

/// The shape of a statement: `$n`, numbers and quoted strings become `?`, lists `(?, ?)` become
/// `(?…)`, whitespace is squeezed.
pub fn normalize(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    let mut last_space = false;
    while let Some(c) = chars.next() {
        match c {
            '$' if chars.peek().is_some_and(|d| d.is_ascii_digit()) => {
                while chars.peek().is_some_and(|d| d.is_ascii_digit()) {
                    chars.next();
                }
                out.push('?');
            }
            '\'' => {
                for d in chars.by_ref() {
                    if d == '\'' {
                        break;
                    }
                }
                out.push('?');
            }
            d if d.is_ascii_digit()
                && !out.ends_with(|p: char| p.is_alphanumeric() || p == '_') =>
            {
                while chars
                    .peek()
                    .is_some_and(|x| x.is_ascii_digit() || *x == '.')
                {
                    chars.next();
                }
                out.push('?');
            }
            w if w.is_whitespace() => {
                if !last_space {
                    out.push(' ');
                }
                last_space = true;
                continue;
            }
            other => out.push(other),
        }
        last_space = false;
    }
    while out.contains("?, ?") {
        out = out.replace("?, ?", "?");
    }
    out.replace("(?)", "(?…)").trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_differing_only_in_values_share_a_shape() {
        let a = normalize("SELECT id FROM drivers WHERE org_id = $1 AND id IN ($2, $3, $4)");
        let b = normalize("SELECT id FROM drivers\n   WHERE org_id = $1 AND id IN ($2)");
        assert_eq!(a, b);
        assert_eq!(a, "SELECT id FROM drivers WHERE org_id = ? AND id IN (?…)");
        assert_eq!(
            normalize("UPDATE t SET a = 'x', b = 42 WHERE c1 = 7"),
            "UPDATE t SET a = ?, b = ? WHERE c1 = ?"
        );
    }

    #[test]
    fn a_statement_text_is_normalized_once_and_counted_every_time() {
        let log = QueryLog::default();
        for _ in 0..3 {
            log.record("SELECT a FROM t WHERE id = $1", Duration::from_millis(1));
        }
        log.record("SELECT a FROM t  WHERE id = $2", Duration::from_millis(1));
        let stats = log.statements();
        assert_eq!(stats.len(), 1);
        assert_eq!(stats[0].0, "SELECT a FROM t WHERE id = ?");
        assert_eq!(stats[0].1.count, 4);
        assert_eq!(log.shapes.lock().unwrap().len(), 2);
    }

    #[test]
    fn repeats_above_the_threshold_are_reported_per_route() {
        let log = QueryLog::default();
        let mut shapes = FastMap::default();
        shapes.insert(
            Arc::from("SELECT x FROM y WHERE id = ?"),
            N_PLUS_ONE_THRESHOLD + 3,
        );
        shapes.insert(Arc::from("SELECT 1"), 1);
        log.finish_request("/api/v1/things", shapes);
        let found = log.n_plus_one();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0.route, "/api/v1/things");
        assert_eq!(found[0].2, N_PLUS_ONE_THRESHOLD + 3);
    }
}
