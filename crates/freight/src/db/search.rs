//! Full-text search expressions: every word of the query must match, each as a prefix of a
//! word in the shipment's reference or notes.
//!
//! PostgreSQL gets a `tsquery` (`widg:* & dock:*`). SQLite's FTS5 answers a prefix term
//! (`"widg"*`) by first merging the lists of every indexed token with that prefix into one,
//! so one page of a common word's matches cost time in proportion to all its matches: 2.8 ms
//! for `widgets` at 18,000 shipments, and `freight bench load` lost a quarter of its
//! throughput in a minute as its own bookings piled up. A term whose prefix covers at most
//! [`MAX_EXPANSION`] tokens is therefore rewritten as those exact tokens
//! (`("widgets" OR "widgetry")`), read from the `shipments_fts_terms` vocabulary table
//! (migration 0006). FTS5 walks exact tokens newest first and stops at the page: 0.2 ms. A
//! prefix covering more tokens keeps the prefix form (its tokens are rarer, so each of their
//! lists is short).

use super::{Backend, Db};

/// Tokens a prefix term may expand to before it is left as a prefix.
const MAX_EXPANSION: usize = 16;

/// Words of a search query, reduced to letters and digits so no query syntax gets through.
pub(crate) fn search_terms(q: &str) -> Vec<String> {
    q.split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .take(8)
        .map(str::to_lowercase)
        .collect()
}

/// The backend's full-text query for `q`; `None` when `q` has no words.
pub(super) async fn expression(db: &Db, q: &str) -> sqlx::Result<Option<String>> {
    let terms = search_terms(q);
    if terms.is_empty() {
        return Ok(None);
    }
    let mut parts = Vec::with_capacity(terms.len());
    for term in &terms {
        parts.push(match db.backend() {
            Backend::Postgres => format!("{term}:*"),
            Backend::Sqlite => match expansion(db, term).await? {
                Some(tokens) => format!("({})", tokens.join(" OR ")),
                None => format!("\"{term}\"*"),
            },
        });
    }
    let joiner = match db.backend() {
        Backend::Postgres => " & ",
        Backend::Sqlite => " AND ",
    };
    Ok(Some(parts.join(joiner)))
}

/// The quoted indexed tokens starting with `term`, when there are one to [`MAX_EXPANSION`]
/// of them and `term` is ASCII (the tokenizer folds accents, so a non-ASCII prefix is left
/// to FTS5).
async fn expansion(db: &Db, term: &str) -> sqlx::Result<Option<Vec<String>>> {
    let Some(upper) = next_prefix(term) else {
        return Ok(None);
    };
    let limit = i64::try_from(MAX_EXPANSION + 1).unwrap_or(i64::MAX);
    let tokens: Vec<(String,)> = db
        .fetch_all(
            sqlx::query_as(
                "SELECT term FROM shipments_fts_terms WHERE term >= $1 AND term < $2 \
                 ORDER BY term LIMIT $3",
            )
            .bind(term)
            .bind(upper.as_str())
            .bind(limit),
        )
        .await?;
    let fits = !tokens.is_empty() && tokens.len() <= MAX_EXPANSION;
    Ok(fits.then(|| {
        tokens
            .into_iter()
            .map(|(t,)| format!("\"{}\"", t.replace('"', "\"\"")))
            .collect()
    }))
}

/// The smallest string above every string starting with `term` (ASCII only).
fn next_prefix(term: &str) -> Option<String> {
    if !term.is_ascii() || term.is_empty() {
        return None;
    }
    let mut bytes = term.as_bytes().to_vec();
    let last = bytes.last_mut()?;
    *last = last.checked_add(1)?;
    String::from_utf8(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_terms_strip_query_syntax() {
        assert_eq!(
            search_terms("IF-2026 \"fragile*\" OR"),
            ["if", "2026", "fragile", "or"]
        );
        assert!(search_terms("  --  ").is_empty());
    }

    #[test]
    fn the_upper_bound_follows_every_word_with_the_prefix() {
        assert_eq!(next_prefix("widgets").as_deref(), Some("widgett"));
        assert_eq!(next_prefix("a9").as_deref(), Some("a:"));
        assert_eq!(next_prefix("café"), None);
        assert!("widgetsx" < "widgett" && "widgets" >= "widgets");
    }
}
