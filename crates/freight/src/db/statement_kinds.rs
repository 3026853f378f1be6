//! Statement kinds (select, insert, …) as metric labels, and the metric handles per kind.
//!
//! Every statement is timed into `db_query_duration_seconds{kind}`; the kind is read from the
//! statement's first keyword without allocating, and the handles are registered once rather
//! than looked up per statement.

/// Statement kinds, as metrics labels.
pub(super) const KINDS: [&str; 6] = [
    "select",
    "insert",
    "update",
    "delete",
    "transaction",
    "other",
];

/// The first keyword of a statement, as an index into [`KINDS`] (no allocation).
pub(super) fn statement_kind(sql: &str) -> usize {
    let word = sql
        .trim_start()
        .split(|c: char| !c.is_ascii_alphabetic())
        .next()
        .unwrap_or("");
    let is = |w: &str| word.eq_ignore_ascii_case(w);
    if is("SELECT") || is("WITH") {
        0
    } else if is("INSERT") {
        1
    } else if is("UPDATE") {
        2
    } else if is("DELETE") {
        3
    } else if is("BEGIN") || is("COMMIT") || is("ROLLBACK") {
        4
    } else {
        5
    }
}

/// Metric handles per statement kind, registered once (not looked up per statement).
pub(super) struct StatementMetrics {
    pub(super) duration: [metrics::Histogram; 6],
    pub(super) errors: [metrics::Counter; 6],
}

impl StatementMetrics {
    pub(super) fn register() -> Self {
        StatementMetrics {
            duration: KINDS.map(|k| metrics::histogram!("db_query_duration_seconds", "kind" => k)),
            errors: KINDS.map(|k| metrics::counter!("db_query_errors_total", "kind" => k)),
        }
    }
}
