//! Cursor pagination: lists are ordered newest first by id, and the cursor is the last id
//! seen, encoded so clients treat it as opaque.

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::ApiError;

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
}
