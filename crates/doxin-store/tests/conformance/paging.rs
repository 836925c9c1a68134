//! Stories of issue 16: totals that are estimated past a bound, and keyset (cursor) paging
//! that neither repeats nor skips a row while invoices are added and removed.

use std::collections::HashSet;

use doxin_model::Extracted;
use doxin_store::*;
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::stories::{date, new_invoice, sample_invoice, user};

/// Invoice `i` of a varied set: some sort values repeat (ties broken by creation) and some
/// are missing (nulls sort last), so every order has ties and nulls to cross.
fn varied(owner: Uuid, i: usize) -> NewInvoice {
    let gross = Decimal::new(i64::try_from(i % 7).unwrap_or(0) * 1250 + 99, 2);
    let mut inv = sample_invoice(&format!("P-{:03}", i % 11), "Seller", None, gross);
    inv.seller.name = (!i.is_multiple_of(5)).then(|| Extracted::xml(format!("Seller {}", i % 4)));
    inv.buyer.name = (!i.is_multiple_of(6)).then(|| Extracted::xml(format!("Buyer {}", i % 3)));
    if i.is_multiple_of(9) {
        inv.invoice_number = None;
        inv.totals.tax_inclusive_amount = None;
        inv.issue_date = None;
    } else {
        inv.issue_date = Some(Extracted::xml(date(2026, 1 + (i % 3) as u32, 1)));
    }
    inv.due_date =
        (!i.is_multiple_of(4)).then(|| Extracted::xml(date(2026, 5, 1 + (i % 2) as u32)));
    let mut new = new_invoice(Some(owner), inv);
    new.confidence = [0.5, 0.75, 0.9][i % 3];
    if i % 3 == 1 {
        new.status = InvoiceStatus::Approved;
    }
    new
}

/// A small total is counted; past the bound PostgreSQL estimates it (and says so), SQLite
/// still counts. Pages go on as long as rows do, whatever the total says.
pub async fn totals_are_estimated_past_the_bound(store: &dyn Store) {
    let a = user(store, "est@example.com").await;
    let scope = Scope::admin_of(a.id);
    for i in 0..30 {
        store.insert_invoice(varied(a.id, i)).await.expect("insert");
    }
    let list = |count: Count, filter: InvoiceFilter, page: u32| async move {
        store
            .list_invoices(scope, &filter, PageRequest::new(page, 8).counting(count))
            .await
            .expect("list")
    };
    let exact = list(Count::Exact, InvoiceFilter::default(), 1).await;
    assert_eq!((exact.total, exact.total_is_estimate), (30, false));
    let under = list(
        Count::Estimate { exact_up_to: 30 },
        InvoiceFilter::default(),
        1,
    )
    .await;
    assert_eq!((under.total, under.total_is_estimate), (30, false));
    let over = list(
        Count::Estimate { exact_up_to: 10 },
        InvoiceFilter::default(),
        1,
    )
    .await;
    match store.backend() {
        Backend::Postgres => {
            assert!(over.total_is_estimate, "30 rows past a bound of 10");
            // Never below what was counted before giving up.
            assert!(over.total >= 11, "{}", over.total);
        }
        Backend::Sqlite => assert_eq!((over.total, over.total_is_estimate), (30, false)),
    }
    assert_eq!(
        (over.items.len(), over.has_next, over.has_prev),
        (8, true, false)
    );
    // The last page knows it is the last from the rows, not from the total.
    let last = list(
        Count::Estimate { exact_up_to: 10 },
        InvoiceFilter::default(),
        4,
    )
    .await;
    assert_eq!((last.items.len(), last.has_next), (6, false));
    // A filter matching few rows is counted exactly under the same bound.
    let approved = InvoiceFilter {
        status: Some(InvoiceStatus::Approved),
        ..Default::default()
    };
    let few = list(Count::Estimate { exact_up_to: 10 }, approved, 1).await;
    assert_eq!((few.total, few.total_is_estimate), (10, false));
    // Search counts its ranked candidates in the same statement: below its bound of 1,000
    // the total is exact, whatever the page would accept.
    let found = store
        .search_invoices(
            scope,
            "office",
            &InvoiceFilter::default(),
            PageRequest::new(1, 5).counting(Count::Estimate { exact_up_to: 10 }),
        )
        .await
        .expect("search");
    assert_eq!(found.items.len(), 5);
    assert!(found.has_next);
    assert_eq!((found.total, found.total_is_estimate), (30, false));
}

/// The ids of a whole list in `sort`, as one page.
async fn whole(store: &dyn Store, scope: Scope, sort: InvoiceSort) -> Vec<Uuid> {
    let filter = InvoiceFilter {
        sort,
        ..Default::default()
    };
    store
        .list_invoices(scope, &filter, PageRequest::new(1, 200))
        .await
        .expect("whole list")
        .items
        .iter()
        .map(|s| s.id)
        .collect()
}

/// Paging by cursor in every order, with invoices added and removed between pages: no row is
/// shown twice, none that stayed is skipped, and the rows come in the list's order.
pub async fn cursor_paging_neither_repeats_nor_skips(store: &dyn Store) {
    let a = user(store, "cursor@example.com").await;
    let scope = Scope::admin_of(a.id);
    let mut next = 0;
    for _ in 0..23 {
        store
            .insert_invoice(varied(a.id, next))
            .await
            .expect("insert");
        next += 1;
    }
    for field in InvoiceSortField::ALL {
        for descending in [true, false] {
            let sort = InvoiceSort { field, descending };
            let before = whole(store, scope, sort).await;
            let mut seen: Vec<Uuid> = Vec::new();
            let mut removed: HashSet<Uuid> = HashSet::new();
            let mut after: Option<InvoiceCursor> = None;
            let mut pages = 0;
            loop {
                let filter = InvoiceFilter {
                    sort,
                    after: after.clone(),
                    ..Default::default()
                };
                let page = store
                    .list_invoices(scope, &filter, PageRequest::new(1, 4))
                    .await
                    .expect("page");
                seen.extend(page.items.iter().map(|s| s.id));
                pages += 1;
                assert!(pages < 50, "{sort}: paging does not end");
                let Some(token) = page.next_cursor else {
                    assert!(!page.has_next, "{sort}: a next page without a cursor");
                    break;
                };
                after = Some(InvoiceCursor::decode(&token, sort).expect("our own cursor"));
                // Meanwhile: a new invoice arrives, one not yet shown and one already shown
                // are deleted.
                store
                    .insert_invoice(varied(a.id, next))
                    .await
                    .expect("insert");
                next += 1;
                let current = whole(store, scope, sort).await;
                if let Some(unseen) = current
                    .iter()
                    .rev()
                    .find(|id| !seen.contains(id) && before.contains(id))
                {
                    store
                        .soft_delete_invoice(*unseen, scope)
                        .await
                        .expect("delete");
                    removed.insert(*unseen);
                }
                if let Some(shown) = seen.first()
                    && removed.insert(*shown)
                {
                    store
                        .soft_delete_invoice(*shown, scope)
                        .await
                        .expect("delete");
                }
            }
            let unique: HashSet<Uuid> = seen.iter().copied().collect();
            assert_eq!(unique.len(), seen.len(), "{sort}: a row was shown twice");
            for id in before.iter().filter(|id| !removed.contains(id)) {
                assert!(seen.contains(id), "{sort}: a row that stayed was skipped");
            }
            // Rows that were there from start to end came in the list's order.
            let kept: Vec<Uuid> = seen
                .iter()
                .copied()
                .filter(|id| before.contains(id))
                .collect();
            let expected: Vec<Uuid> = before
                .iter()
                .copied()
                .filter(|id| kept.contains(id))
                .collect();
            assert_eq!(kept, expected, "{sort}: rows out of order");
        }
    }
    // A cursor of another order is refused, not misread.
    let first = store
        .list_invoices(scope, &InvoiceFilter::default(), PageRequest::new(1, 2))
        .await
        .expect("first page");
    let token = first.next_cursor.expect("more than two invoices");
    let cursor = InvoiceCursor::decode(&token, InvoiceSort::default()).expect("decode");
    let by_amount = InvoiceSort {
        field: InvoiceSortField::GrossAmount,
        descending: true,
    };
    assert!(InvoiceCursor::decode(&token, by_amount).is_err());
    let mismatched = InvoiceFilter {
        sort: by_amount,
        after: Some(cursor),
        ..Default::default()
    };
    assert!(matches!(
        store
            .list_invoices(scope, &mismatched, PageRequest::new(1, 2))
            .await,
        Err(StoreError::InvalidInput(_))
    ));
}

/// The numbers of every match of `q`, paged through `per_page` at a time.
async fn ranked(store: &dyn Store, scope: Scope, q: &str, per_page: u32) -> Vec<String> {
    let mut all = Vec::new();
    for page in 1.. {
        let p = store
            .search_invoices(
                scope,
                q,
                &InvoiceFilter::default(),
                PageRequest::new(page, per_page),
            )
            .await
            .expect("search");
        all.extend(
            p.items
                .into_iter()
                .map(|h| h.invoice.invoice_number.unwrap_or_default()),
        );
        if !p.has_next {
            break;
        }
    }
    all
}

/// Search ranks a bounded set of candidates (the newest matches); within it the ranking is
/// the whole ranking. The fixture is one where ranking matters: the best match is the oldest
/// (the term in its number), then matches in the parties, then in the lines, each tier newest
/// first — an order neither creation nor the index gives.
pub async fn search_ranks_its_candidates_exactly(store: &dyn Store) {
    let a = user(store, "rank@example.com").await;
    let scope = Scope::admin_of(a.id);
    let mut expected_parties = Vec::new();
    let mut expected_lines = Vec::new();
    for i in 0..40 {
        let number = format!("R{i:03}");
        let (num, seller, line) = match i {
            0 => ("R000 Quokka".to_string(), "Plain Seller", "Plain goods"),
            _ if i % 10 == 3 => (number.clone(), "Quokka Seller", "Plain goods"),
            _ => (number.clone(), "Plain Seller", "Quokka goods"),
        };
        store
            .insert_invoice(new_invoice(
                Some(a.id),
                crate::search::with_lines(&num, seller, "Plain Buyer", &[line]),
            ))
            .await
            .expect("insert");
        match i {
            0 => {}
            _ if i % 10 == 3 => expected_parties.insert(0, num),
            _ => expected_lines.insert(0, num),
        }
    }
    let mut expected = vec!["R000 Quokka".to_string()];
    expected.extend(expected_parties);
    expected.extend(expected_lines);
    // Page by page, as a person pages: the same order as one long page.
    assert_eq!(ranked(store, scope, "quokka", 7).await, expected);
    assert_eq!(ranked(store, scope, "quokka", 200).await, expected);
}

/// An issue-date range picks its page among its own rows (a plan of its own, see
/// `page_after`): by page number and by cursor, newest and oldest first, it shows exactly the
/// range's rows in the list's order, with the right total, across a delete between pages.
pub async fn an_issue_date_range_pages_in_the_list_order(store: &dyn Store) {
    let a = user(store, "issued@example.com").await;
    let scope = Scope::admin_of(a.id);
    for i in 0..30 {
        store.insert_invoice(varied(a.id, i)).await.expect("insert");
    }
    // February alone, then everything up to February (an open start).
    let ranges = [
        (Some(date(2026, 2, 1)), date(2026, 2, 28)),
        (None, date(2026, 2, 28)),
    ];
    for descending in [true, false] {
        let sort = InvoiceSort {
            field: InvoiceSortField::CreatedAt,
            descending,
        };
        let all = store
            .list_invoices(
                scope,
                &InvoiceFilter {
                    sort,
                    ..Default::default()
                },
                PageRequest::new(1, 200),
            )
            .await
            .expect("whole list");
        for (from, to) in ranges {
            let expected: Vec<Uuid> = all
                .items
                .iter()
                .filter(|s| {
                    s.issue_date
                        .is_some_and(|d| from.is_none_or(|f| d >= f) && d <= to)
                })
                .map(|s| s.id)
                .collect();
            assert!(expected.len() >= 8, "the fixture has rows in the range");
            let filter = InvoiceFilter {
                sort,
                issued_from: from,
                issued_to: Some(to),
                ..Default::default()
            };
            let mut by_number = Vec::new();
            for n in 1.. {
                let page = store
                    .list_invoices(scope, &filter, PageRequest::new(n, 3))
                    .await
                    .expect("page");
                assert_eq!(page.total, expected.len() as u64, "{sort}");
                by_number.extend(page.items.iter().map(|s| s.id));
                if !page.has_next {
                    break;
                }
            }
            assert_eq!(by_number, expected, "{sort}: pages by number");
            let mut by_cursor = Vec::new();
            let mut after = None;
            loop {
                let page = store
                    .list_invoices(
                        scope,
                        &InvoiceFilter {
                            after: after.clone(),
                            ..filter.clone()
                        },
                        PageRequest::new(1, 3),
                    )
                    .await
                    .expect("page");
                by_cursor.extend(page.items.iter().map(|s| s.id));
                let Some(token) = page.next_cursor else { break };
                after = Some(InvoiceCursor::decode(&token, sort).expect("our own cursor"));
            }
            assert_eq!(by_cursor, expected, "{sort}: pages by cursor");
        }
    }
    let february = InvoiceFilter {
        issued_from: Some(date(2026, 2, 1)),
        issued_to: Some(date(2026, 2, 28)),
        ..Default::default()
    };
    // A deleted invoice leaves the range's pages.
    let first = store
        .list_invoices(scope, &february, PageRequest::new(1, 1))
        .await
        .expect("first page");
    let gone = first.items[0].id;
    store
        .soft_delete_invoice(gone, scope)
        .await
        .expect("delete");
    let after = store
        .list_invoices(scope, &february, PageRequest::new(1, 200))
        .await
        .expect("after the delete");
    assert_eq!(after.total, first.total - 1);
    assert!(after.items.iter().all(|s| s.id != gone));
}
