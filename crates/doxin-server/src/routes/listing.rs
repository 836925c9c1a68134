//! The one shape of every paged list the API answers:
//! `{"items": [...], "pagination": {"page", "per_page", "total", "total_is_estimate", "pages",
//! "has_next", "has_prev"}}` (and `next_cursor` where a list pages by cursor),
//! with route-specific extras beside them (search's `query`, the job list's `statistics`).
//! One shape lets a client page through invoices, jobs, companies, users or the audit log
//! with the same code.

use doxin_store::Page;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Pagination {
    pub page: u32,
    pub per_page: u32,
    pub total: u64,
    /// `total` is the database's estimate (a large invoice list; `exact_total=true` asks
    /// for a count).
    pub total_is_estimate: bool,
    pub pages: u64,
    pub has_next: bool,
    pub has_prev: bool,
    /// The `cursor` of the next page (keyset paging), on lists that have one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Listing<T> {
    pub items: Vec<T>,
    pub pagination: Pagination,
}

impl<T> Listing<T> {
    /// A page of store records shown through `view`.
    pub fn of<'a, S>(page: &'a Page<S>, view: impl Fn(&'a S) -> T) -> Listing<T> {
        Listing {
            items: page.items.iter().map(view).collect(),
            pagination: Pagination {
                page: page.page,
                per_page: page.per_page,
                total: page.total,
                total_is_estimate: page.total_is_estimate,
                pages: page.pages,
                has_next: page.has_next,
                has_prev: page.has_prev,
                next_cursor: page.next_cursor.clone(),
            },
        }
    }
}

impl<T: Clone> Listing<T> {
    /// A page of records shown as they serialise.
    pub fn from_page(page: &Page<T>) -> Listing<T> {
        Listing::of(page, T::clone)
    }
}

impl<T: Serialize> Listing<T> {
    /// The listing as JSON with `extra` keys beside `items` and `pagination`.
    pub fn with(self, extra: serde_json::Value) -> serde_json::Value {
        let mut v = serde_json::to_value(self).unwrap_or_default();
        if let (Some(obj), serde_json::Value::Object(more)) = (v.as_object_mut(), extra) {
            obj.extend(more);
        }
        v
    }
}
