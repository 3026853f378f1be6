//! Text buckets: which search pages a shipment's words can change. A search page depends
//! on the bucket (first one to three characters) of its longest term; a write bumps the
//! buckets of every word it adds or removes.

use super::Subject;

/// The first one to three (lower-case ASCII alphanumeric) characters of a word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Bucket([u8; 3], u8);

impl Bucket {
    pub(super) fn of(word: &[u8]) -> Bucket {
        let n = word.len().min(3);
        let mut b = [0u8; 3];
        b[..n].copy_from_slice(&word[..n]);
        Bucket(b, n as u8)
    }

    pub(super) fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0[..usize::from(self.1)]).unwrap_or("")
    }
}

/// What a search page for `terms` (as `db::search::search_terms` makes them: lower-case
/// alphanumeric words, all required, each a prefix) depends on, besides the fleet: a page
/// changes only when a shipment matching every term changes, and such a shipment holds a
/// word starting with the longest term, so the bucket of that term suffices. `None` when
/// the term is not ASCII (the engines fold accents differently): then the page depends on
/// every shipment.
pub fn search_subject(terms: &[String]) -> Option<Subject> {
    let term = terms.iter().max_by_key(|t| t.len())?;
    (term.is_ascii() && !term.is_empty()).then(|| Subject::Text(Bucket::of(term.as_bytes())))
}

/// The buckets to bump when shipments with these references and notes change (give the
/// texts before and after the change). Every prefix of one to three characters of every
/// word, and of every letter run and digit run inside a word (in case an engine splits
/// `abc123`), so any term a search could match the word with has its bucket bumped.
pub fn text_subjects(texts: &[&str]) -> Vec<Subject> {
    let mut out = std::collections::HashSet::new();
    for text in texts {
        for word in text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
        {
            if !word.is_ascii() {
                out.insert(Subject::AnyText);
                continue;
            }
            let word = word.to_ascii_lowercase();
            let bytes = word.as_bytes();
            let mut add = |part: &[u8]| {
                for n in 1..=part.len().min(3) {
                    out.insert(Subject::Text(Bucket::of(&part[..n])));
                }
            };
            add(bytes);
            let mut start = 0;
            for i in 1..=bytes.len() {
                if i == bytes.len() || bytes[i].is_ascii_digit() != bytes[start].is_ascii_digit() {
                    add(&bytes[start..i]);
                    start = i;
                }
            }
        }
    }
    out.into_iter().collect()
}
