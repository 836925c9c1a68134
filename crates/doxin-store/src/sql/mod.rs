//! What both SQL backends share: query arguments in a backend-neutral form ([`Arg`]), and the
//! `Store` implementation body (`store_impl.rs`), which each backend includes after defining
//! its codec (how an [`Arg`] binds and how a column decodes in its dialect).
//!
//! SQL in the shared body is written with PostgreSQL's `$N` placeholders; the SQLite codec
//! rewrites them to SQLite's equivalent `?N`, which binds by the same index.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use uuid::Uuid;

/// A query argument before it meets a dialect.
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    Text(Option<String>),
    Id(Option<Uuid>),
    Ts(Option<DateTime<Utc>>),
    Date(Option<NaiveDate>),
    Dec(Option<Decimal>),
    Int(Option<i64>),
    Real(Option<f32>),
    Bool(Option<bool>),
    Json(Option<serde_json::Value>),
    Bytes(Option<Vec<u8>>),
}

macro_rules! arg_from {
    ($variant:ident, $t:ty) => {
        impl From<$t> for Arg {
            fn from(v: $t) -> Arg {
                Arg::$variant(Some(v.into()))
            }
        }
        impl From<Option<$t>> for Arg {
            fn from(v: Option<$t>) -> Arg {
                Arg::$variant(v.map(Into::into))
            }
        }
    };
}
arg_from!(Text, String);
arg_from!(Text, &str);
arg_from!(Id, Uuid);
arg_from!(Ts, DateTime<Utc>);
arg_from!(Date, NaiveDate);
arg_from!(Dec, Decimal);
arg_from!(Int, i64);
arg_from!(Int, i32);
arg_from!(Int, i16);
arg_from!(Real, f32);
arg_from!(Bool, bool);
arg_from!(Json, serde_json::Value);
arg_from!(Bytes, Vec<u8>);

/// Builds `$N` placeholders and their arguments together, so numbering cannot drift.
#[derive(Debug, Default, Clone)]
pub(crate) struct Args {
    pub(crate) args: Vec<Arg>,
}

impl Args {
    /// Adds an argument and returns its placeholder.
    pub(crate) fn push(&mut self, a: impl Into<Arg>) -> String {
        self.args.push(a.into());
        format!("${}", self.args.len())
    }
}

/// `WHERE` clause from conditions (or nothing).
pub(crate) fn where_clause(conds: &[String]) -> String {
    if conds.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", conds.join(" AND "))
    }
}

/// A full-text match in a dialect: an optional join that brings in the index, the condition
/// on `invoices`, and the relevance expression (higher is better).
pub(crate) struct FullText {
    pub(crate) join: String,
    pub(crate) cond: String,
    pub(crate) score: String,
}

/// The words of a search query: runs of letters and digits, lower-cased. Everything else
/// separates words, as both indexes do, so no query syntax of either dialect gets through.
pub(crate) fn search_tokens(q: &str) -> Vec<String> {
    q.split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        // Bounded: a pasted paragraph must not become a query with hundreds of terms.
        .take(16)
        .map(|t| t.chars().take(64).flat_map(char::to_lowercase).collect())
        .collect()
}

/// `text` for a `LIKE ... ESCAPE '\'` pattern: its wildcards match literally.
pub(crate) fn like_escape(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// A `%substring%` pattern of lower-cased `text`.
pub(crate) fn contains_pattern(text: &str) -> String {
    format!("%{}%", like_escape(&text.trim().to_lowercase()))
}

/// Estimated totals of large lists, kept for [`Estimates::TTL`]: an estimate is approximate
/// by nature, and recomputing it (a capped count and the planner's `EXPLAIN`) was two of the
/// three statements of a page of a large list. Keyed by the statement and its arguments.
#[derive(Debug, Clone, Default)]
pub(crate) struct Estimates {
    seen: std::sync::Arc<
        std::sync::Mutex<std::collections::HashMap<String, (std::time::Instant, u64)>>,
    >,
}

impl Estimates {
    pub(crate) const TTL: std::time::Duration = std::time::Duration::from_secs(10);
    /// Statements remembered at most; past it the cache starts afresh.
    const MAX: usize = 10_000;

    pub(crate) fn key(from: &str, args: &[Arg]) -> String {
        format!("{from}\u{0}{args:?}")
    }

    pub(crate) fn get(&self, key: &str) -> Option<u64> {
        let seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        seen.get(key)
            .filter(|(at, _)| at.elapsed() < Self::TTL)
            .map(|(_, n)| *n)
    }

    pub(crate) fn put(&self, key: String, n: u64) {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        if seen.len() >= Self::MAX {
            seen.retain(|_, (at, _)| at.elapsed() < Self::TTL);
            if seen.len() >= Self::MAX {
                seen.clear();
            }
        }
        seen.insert(key, (std::time::Instant::now(), n));
    }
}

/// Cosine similarity (0 when either vector is zero or the lengths differ).
pub(crate) fn cosine(a: &[f32], b: &[f32]) -> f32 {
    if a.len() != b.len() {
        return 0.0;
    }
    let (mut dot, mut na, mut nb) = (0f32, 0f32, 0f32);
    for (x, y) in a.iter().zip(b) {
        dot += x * y;
        na += x * x;
        nb += y * y;
    }
    if na == 0.0 || nb == 0.0 {
        return 0.0;
    }
    dot / (na.sqrt() * nb.sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_drop_query_syntax() {
        assert_eq!(
            search_tokens("INV-2026/001 \"Müller\" & (x | y):*"),
            ["inv", "2026", "001", "müller", "x", "y"]
        );
        assert!(search_tokens(" -- '' ").is_empty());
    }

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(contains_pattern(" 100%_A "), "%100\\%\\_a%");
    }
}
