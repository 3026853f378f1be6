//! Cursor pagination: lists are ordered newest first by id, and the cursor is the last id
//! seen, encoded so clients treat it as opaque.

use std::sync::Arc;

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::ApiError;
use crate::cache::{Cached, Spliced};
use crate::db::creations::Creation;

/// Default and maximum page sizes.
pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 200;

/// A validated page request.
#[derive(Debug, Clone, Copy)]
pub struct PageRequest {
    pub limit: u32,
    /// Only ids strictly below this one.
    pub before_id: Option<i64>,
}

impl PageRequest {
    pub fn parse(limit: Option<u32>, cursor: Option<&str>) -> Result<Self, ApiError> {
        let limit = limit.unwrap_or(DEFAULT_LIMIT);
        if limit == 0 || limit > MAX_LIMIT {
            return Err(ApiError::field(
                "limit",
                format!("must be between 1 and {MAX_LIMIT}"),
            ));
        }
        let before_id = match cursor {
            None | Some("") => None,
            Some(c) => Some(
                decode_cursor(c)
                    .ok_or_else(|| ApiError::field("cursor", "not a cursor from this API"))?,
            ),
        };
        Ok(Self { limit, before_id })
    }

    /// Rows to fetch: one more than the page, to learn whether another page exists.
    pub fn fetch_limit(&self) -> i64 {
        i64::from(self.limit) + 1
    }
}

/// One page of results.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Page<T> {
    pub data: Vec<T>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Builds a page from up to `limit + 1` rows, using `id_of` for the cursor.
    pub fn from_rows(mut rows: Vec<T>, req: PageRequest, id_of: impl Fn(&T) -> i64) -> Self {
        let has_more = rows.len() > req.limit as usize;
        rows.truncate(req.limit as usize);
        let next_cursor = if has_more {
            rows.last().map(|r| encode_cursor(id_of(r)))
        } else {
            None
        };
        Page {
            data: rows,
            next_cursor,
        }
    }
}

fn encode_cursor(id: i64) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("id:{id}"))
}

fn decode_cursor(cursor: &str) -> Option<i64> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()?;
    String::from_utf8(bytes)
        .ok()?
        .strip_prefix("id:")?
        .parse()
        .ok()
}

/// A cached first page brought up to date with shipments created since it was loaded
/// (`created`, oldest first, as `db::creations` logs them): those `admits` accepts and the
/// page does not already show go in at their place by id (newest first), the page keeps
/// `limit` items and its cursor follows its new last item. The body is edited as bytes: the
/// items it keeps are copied as they are and a new one is exactly what a load would have
/// written for it. `None` when the body is not a page as [`Page`] writes it.
pub fn take_in_created(
    cached: &Cached,
    created: &[Arc<Creation>],
    limit: u32,
    admits: impl Fn(&Creation) -> bool,
) -> Option<Spliced> {
    let body = &cached.body[..];
    let ends = cached.item_ends.get_or_init(|| item_ends(body));
    let shown = cached.items();
    if ends.len() != shown.len() || ends.iter().zip(shown).any(|((a, _), (b, _))| a != b) {
        return None;
    }
    let mut new: Vec<&Creation> = created
        .iter()
        .map(|c| &**c)
        .filter(|c| admits(c) && !shown.iter().any(|(id, _)| *id == c.id))
        .collect();
    if new.is_empty() {
        return Some(Spliced::Unchanged);
    }
    new.sort_by_key(|c| std::cmp::Reverse(c.id));
    const HEAD: &[u8] = b"{\"data\":[";
    const NO_MORE: &[u8] = b"],\"next_cursor\":null}";
    let list_end = ends.last().map_or(HEAD.len(), |(_, end)| end + 1);
    if !body.starts_with(HEAD) || !body.get(list_end..)?.starts_with(b"],\"next_cursor\":") {
        return None;
    }
    let had_more = &body[list_end..] != NO_MORE;
    // The page's own items, as byte ranges of the body.
    let mut old = Vec::with_capacity(ends.len());
    let mut start = HEAD.len();
    for (&(id, end), &(_, version)) in ends.iter().zip(shown) {
        old.push((id, version, body.get(start..=end)?));
        start = end + 2;
    }
    let limit = limit as usize;
    let mut kept: Vec<(i64, i64, &[u8])> = Vec::with_capacity(limit);
    let mut old = old.into_iter().peekable();
    let mut new = new
        .into_iter()
        .map(|c| (c.id, c.version, &c.item[..]))
        .peekable();
    while kept.len() < limit {
        let next = match (old.peek(), new.peek()) {
            (Some(o), Some(n)) if n.0 > o.0 => new.next(),
            (Some(_), _) => old.next(),
            (None, _) => new.next(),
        };
        let Some(item) = next else { break };
        kept.push(item);
    }
    let has_more = had_more || old.next().is_some() || new.next().is_some();
    let mut out = Vec::with_capacity(body.len() + kept.iter().map(|k| k.2.len()).sum::<usize>());
    out.extend_from_slice(HEAD);
    let mut ends = Vec::with_capacity(kept.len());
    for (i, (id, _, item)) in kept.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(item);
        ends.push((*id, out.len() - 1));
    }
    out.extend_from_slice(b"],\"next_cursor\":");
    match kept.last().filter(|_| has_more) {
        Some((id, _, _)) => {
            out.push(b'"');
            out.extend_from_slice(encode_cursor(*id).as_bytes());
            out.extend_from_slice(b"\"}");
        }
        None => out.extend_from_slice(b"null}"),
    }
    let items = kept
        .iter()
        .map(|(id, version, _)| (*id, *version))
        .collect();
    Some(Spliced::Page {
        body: out,
        items,
        ends,
    })
}

/// The id and the offset of the closing `}` of every object directly inside the first array
/// of a compact JSON page (`{"data":[{"id":1,…},…],…}`). Items start with their `id`, as
/// every list item of this API does.
pub(crate) fn item_ends(body: &[u8]) -> Vec<(i64, usize)> {
    let mut out = Vec::new();
    let mut depth = 0u32;
    let mut id = None;
    let mut i = 0;
    while let Some(&b) = body.get(i) {
        match b {
            // Strings are most of a page's bytes: jump from quote to quote (and over escapes)
            // with `memchr` rather than looking at every byte.
            b'"' => {
                i += 1;
                loop {
                    match body
                        .get(i..)
                        .and_then(|rest| memchr::memchr2(b'"', b'\\', rest))
                    {
                        Some(at) if body[i + at] == b'"' => {
                            i += at;
                            break;
                        }
                        Some(at) => i += at + 2,
                        None => {
                            i = body.len();
                            break;
                        }
                    }
                }
            }
            b'{' | b'[' => {
                depth += 1;
                if depth == 3 && b == b'{' {
                    id = leading_id(&body[i..]);
                }
            }
            b'}' | b']' => {
                if depth == 3 && b == b'}' {
                    if let Some(id) = id.take() {
                        out.push((id, i));
                    }
                }
                depth = depth.saturating_sub(1);
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// `123` from `{"id":123,…`.
fn leading_id(item: &[u8]) -> Option<i64> {
    let rest = item.strip_prefix(b"{\"id\":")?;
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    std::str::from_utf8(&rest[..digits]).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        assert_eq!(decode_cursor(&encode_cursor(42)), Some(42));
        assert!(PageRequest::parse(None, Some("garbage!")).is_err());
        assert!(PageRequest::parse(Some(0), None).is_err());
        assert!(PageRequest::parse(Some(500), None).is_err());
    }

    #[test]
    fn next_cursor_only_when_more_rows_exist() {
        let req = PageRequest::parse(Some(2), None).unwrap();
        let page = Page::from_rows(vec![5, 4, 3], req, |v| *v);
        assert_eq!(page.data, vec![5, 4]);
        assert_eq!(page.next_cursor.as_deref().and_then(decode_cursor), Some(4));
        let last = Page::from_rows(vec![2], req, |v| *v);
        assert!(last.next_cursor.is_none());
    }

    #[test]
    fn item_ends_skip_strings_escapes_and_nested_objects() {
        let body = br#"{"data":[{"id":1,"notes":"a \"}\" {b\\","stops":[{"id":9}]},{"id":22,"n":{"id":5}}],"next":"]}"}"#;
        let first_end = body.windows(3).position(|w| w == b"}]}").unwrap() + 2;
        let second_end = body.windows(4).position(|w| w == b"}}],").unwrap() + 1;
        assert_eq!(item_ends(body), vec![(1, first_end), (22, second_end)]);
        // An unterminated string or a trailing backslash ends the scan without a panic.
        assert!(item_ends(br#"{"data":[{"id":1,"a":"x\"#).is_empty());
        assert!(item_ends(br#"{"data":[{"id":1,"a":"xyz"#).is_empty());
    }
}
