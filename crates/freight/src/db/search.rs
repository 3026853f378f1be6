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
//! (migration 0006), one statement for every term of the query. FTS5 walks exact tokens
//! newest first and stops at the page: 0.2 ms. A
//! prefix covering more tokens keeps the prefix form (its tokens are rarer, so each of their
//! lists is short).

use super::{Backend, Db, Sql};

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
    if db.backend() == Backend::Postgres {
        let parts: Vec<String> = terms.iter().map(|t| format!("{t}:*")).collect();
        return Ok(Some(parts.join(" & ")));
    }
    let expansions = expansions(db, &terms).await?;
    let parts: Vec<String> = terms
        .iter()
        .zip(expansions)
        .map(|(term, tokens)| match tokens {
            Some(tokens) => format!("({})", tokens.join(" OR ")),
            None => format!("\"{term}\"*"),
        })
        .collect();
    Ok(Some(parts.join(" AND ")))
}

/// For each term, the quoted indexed tokens starting with it, when there are one to
/// [`MAX_EXPANSION`] of them and the term is ASCII (the tokenizer folds accents, so a
/// non-ASCII prefix is left to FTS5). One statement for all the terms, so a long query does
/// not repeat a statement per word.
async fn expansions(db: &Db, terms: &[String]) -> sqlx::Result<Vec<Option<Vec<String>>>> {
    let ranges: Vec<(usize, &str, String)> = terms
        .iter()
        .enumerate()
        .filter_map(|(i, term)| Some((i, term.as_str(), next_prefix(term)?)))
        .collect();
    let mut found: Vec<Vec<String>> = vec![Vec::new(); terms.len()];
    if !ranges.is_empty() {
        let limit = i64::try_from(MAX_EXPANSION + 1).unwrap_or(i64::MAX);
        let mut sql = Sql::new("");
        for (n, (i, term, upper)) in ranges.iter().enumerate() {
            if n > 0 {
                sql.push(" UNION ALL ");
            }
            sql.push(&format!(
                "SELECT {i} AS slot, term FROM (SELECT term FROM shipments_fts_terms WHERE term >= "
            ))
            .bind(*term)
            .push(" AND term < ")
            .bind(upper.as_str())
            .push(" ORDER BY term LIMIT ")
            .bind(limit)
            .push(")");
        }
        let rows: Vec<(i64, String)> = db.fetch_all(sql.query_as()).await?;
        for (slot, token) in rows {
            if let Some(tokens) = usize::try_from(slot).ok().and_then(|s| found.get_mut(s)) {
                tokens.push(format!("\"{}\"", token.replace('"', "\"\"")));
            }
        }
    }
    Ok(found
        .into_iter()
        .map(|tokens| (!tokens.is_empty() && tokens.len() <= MAX_EXPANSION).then_some(tokens))
        .collect())
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
