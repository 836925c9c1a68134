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
