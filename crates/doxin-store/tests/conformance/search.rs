//! Stories of issue 6: the invoice list's extended filters and sorts, full-text and semantic
//! search, dashboard figures, file replacement and company summaries.

use chrono::{Duration, Utc};
use doxin_model::{Extracted, InvoiceLine};
use doxin_store::*;
use rust_decimal_macros::dec;
use uuid::Uuid;

use crate::stories::{date, new_invoice, sample_invoice, user};

async fn numbers(store: &dyn Store, scope: Scope, f: &InvoiceFilter) -> Vec<String> {
    let p = store
        .list_invoices(scope, f, PageRequest::new(1, 100))
        .await
        .expect("list");
    p.items
        .iter()
        .map(|s| s.invoice_number.clone().unwrap_or_default())
        .collect()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

/// Number, owner, buyer, salesperson, gross, status, linked to the companies.
type Spec<'a> = (
    &'a str,
    Option<Uuid>,
    &'a str,
    Option<&'a str>,
    Option<rust_decimal::Decimal>,
    InvoiceStatus,
    bool,
);

pub async fn invoice_filters_of_the_earlier_system(store: &dyn Store) {
    let a = user(store, "fa@example.com").await;
    let b = user(store, "fb@example.com").await;
    // Companies are per owner: A's and B's invoices name their own records.
    let company = |owner: Uuid, kind, name: &str| NewCompany {
        workspace_id: Some(owner),
        kind,
        name: name.into(),
        vat_id: None,
        tax_number: None,
        country: None,
        address: serde_json::Value::Null,
    };
    let mut companies = std::collections::HashMap::new();
    for owner in [a.id, b.id] {
        let vendor = store
            .upsert_company(company(owner, CompanyKind::Vendor, "Alpha Supplies"))
            .await
            .expect("vendor");
        let customer = store
            .upsert_company(company(owner, CompanyKind::Customer, "Kunde Eins"))
            .await
            .expect("customer");
        companies.insert(owner, (vendor.id, customer.id));
    }
    let (vendor, customer) = companies[&a.id];
    let (b_vendor, _) = companies[&b.id];
    let specs: [Spec; 5] = [
        (
            "A-1",
            Some(a.id),
            "Kunde Eins GmbH",
            Some("Jane Roe"),
            Some(dec!(50)),
            InvoiceStatus::NeedsReview,
            true,
        ),
        (
            "A-2",
            Some(a.id),
            "Other Buyer",
            Some("John Doe"),
            Some(dec!(500)),
            InvoiceStatus::Approved,
            false,
        ),
        (
            "B-1",
            Some(b.id),
            "Kunde Eins GmbH",
            None,
            None,
            InvoiceStatus::Rejected,
            true,
        ),
        (
            "N-1",
            None,
            "Anon Buyer",
            Some("Jane Roe"),
            Some(dec!(5)),
            InvoiceStatus::NeedsReview,
            false,
        ),
        (
            "N-2",
            None,
            "Anon Buyer",
            None,
            Some(dec!(7.5)),
            InvoiceStatus::Approved,
            false,
        ),
    ];
    for (num, owner, buyer, sales, gross, status, linked) in specs {
        let mut inv = sample_invoice(num, "Alpha Supplies", None, dec!(1));
        inv.buyer.name = Some(Extracted::xml(buyer.to_string()));
        inv.legacy.salesperson = sales.map(|s| Extracted::xml(s.to_string()));
        inv.totals.tax_inclusive_amount = gross.map(Extracted::xml);
        let mut ni = new_invoice(owner, inv);
        ni.status = status;
        if linked && let Some((v, c)) = owner.and_then(|o| companies.get(&o)) {
            ni.vendor_id = Some(*v);
            ni.customer_id = Some(*c);
        }
        store.insert_invoice(ni).await.expect("insert");
    }
    let all = Scope::All;
    let f = |build: fn(&mut InvoiceFilter)| {
        let mut f = InvoiceFilter::default();
        build(&mut f);
        f
    };
    // Uploaders: a set of users, nobody, or both.
    let by_a = InvoiceFilter {
        uploader_ids: vec![a.id],
        ..Default::default()
    };
    assert_eq!(sorted(numbers(store, all, &by_a).await), ["A-1", "A-2"]);
    assert_eq!(
        sorted(numbers(store, all, &f(|f| f.unassigned = true)).await),
        ["N-1", "N-2"]
    );
    let mut a_or_nobody = InvoiceFilter {
        unassigned: true,
        ..Default::default()
    };
    a_or_nobody.uploader_ids = vec![a.id];
    assert_eq!(
        sorted(numbers(store, all, &a_or_nobody).await),
        ["A-1", "A-2", "N-1", "N-2"]
    );
    // The uploader filter never widens a user's scope.
    let b_filter = InvoiceFilter {
        uploader_ids: vec![b.id],
        ..Default::default()
    };
    assert!(
        numbers(store, Scope::admin_of(a.id), &b_filter)
            .await
            .is_empty()
    );
    assert!(
        numbers(store, Scope::admin_of(a.id), &f(|f| f.unassigned = true))
            .await
            .is_empty()
    );
    // Customer by name substring and by matched company; vendor by company.
    assert_eq!(
        sorted(numbers(store, all, &f(|f| f.customer = Some("KUNDE eins".into()))).await),
        ["A-1", "B-1"]
    );
    let by_customer = InvoiceFilter {
        customer_id: Some(customer),
        ..Default::default()
    };
    assert_eq!(sorted(numbers(store, all, &by_customer).await), ["A-1"]);
    let by_vendor = InvoiceFilter {
        vendor_id: Some(b_vendor),
        ..Default::default()
    };
    assert_eq!(
        sorted(numbers(store, Scope::admin_of(b.id), &by_vendor).await),
        ["B-1"]
    );
    // Another owner's company filters B's invoices down to nothing.
    let by_a_vendor = InvoiceFilter {
        vendor_id: Some(vendor),
        ..Default::default()
    };
    assert!(
        numbers(store, Scope::admin_of(b.id), &by_a_vendor)
            .await
            .is_empty()
    );
    // Salesperson from the earlier system's fields.
    assert_eq!(
        sorted(numbers(store, all, &f(|f| f.salesperson = Some("jane".into()))).await),
        ["A-1", "N-1"]
    );
    let listed = store
        .list_invoices(
            all,
            &f(|f| f.salesperson = Some("john".into())),
            PageRequest::default(),
        )
        .await
        .expect("list");
    assert_eq!(listed.items[0].salesperson.as_deref(), Some("John Doe"));
    assert_eq!(listed.items[0].vendor_id, None);
    // Needs review, both ways.
    assert_eq!(
        sorted(numbers(store, all, &f(|f| f.needs_review = Some(true))).await),
        ["A-1", "N-1"]
    );
    assert_eq!(
        sorted(numbers(store, all, &f(|f| f.needs_review = Some(false))).await),
        ["A-2", "B-1", "N-2"]
    );
    // Upload time range.
    let now = Utc::now();
    let mut recent = InvoiceFilter {
        created_from: Some(now - Duration::hours(1)),
        created_to: Some(now + Duration::hours(1)),
        ..Default::default()
    };
    assert_eq!(numbers(store, all, &recent).await.len(), 5);
    recent.created_from = Some(now + Duration::minutes(30));
    assert!(numbers(store, all, &recent).await.is_empty());

    // Sorts: numeric amounts with unknown amounts last in both directions.
    let by = |field, descending| InvoiceFilter {
        sort: InvoiceSort { field, descending },
        ..Default::default()
    };
    assert_eq!(
        numbers(store, all, &by(InvoiceSortField::GrossAmount, false)).await,
        ["N-1", "N-2", "A-1", "A-2", "B-1"]
    );
    assert_eq!(
        numbers(store, all, &by(InvoiceSortField::GrossAmount, true)).await,
        ["A-2", "A-1", "N-2", "N-1", "B-1"]
    );
    assert_eq!(
        numbers(store, all, &by(InvoiceSortField::InvoiceNumber, true)).await,
        ["N-2", "N-1", "B-1", "A-2", "A-1"]
    );
    // Default: newest first; ascending creation is the reverse.
    let newest = numbers(store, all, &InvoiceFilter::default()).await;
    assert_eq!(newest, ["N-2", "N-1", "B-1", "A-2", "A-1"]);
    assert_eq!(
        numbers(store, all, &by(InvoiceSortField::CreatedAt, false)).await,
        ["A-1", "A-2", "B-1", "N-1", "N-2"]
    );
    assert_eq!(
        InvoiceSort::parse("-gross_amount", None),
        Some(InvoiceSort {
            field: InvoiceSortField::GrossAmount,
            descending: true
        })
    );
    assert_eq!(
        InvoiceSort::parse("issue_date", Some("DESC")).map(|s| s.descending),
        Some(true)
    );
    assert_eq!(InvoiceSort::parse("password_hash", None), None);
}

pub(crate) fn with_lines(
    number: &str,
    seller: &str,
    buyer: &str,
    lines: &[&str],
) -> doxin_model::Invoice {
    let mut inv = sample_invoice(number, seller, None, dec!(100));
    inv.buyer.name = Some(Extracted::xml(buyer.to_string()));
    inv.lines = lines
        .iter()
        .map(|d| InvoiceLine {
            description: Some(Extracted::xml(d.to_string())),
            ..InvoiceLine::default()
        })
        .collect();
    inv
}

async fn search(store: &dyn Store, scope: Scope, q: &str) -> Vec<String> {
    store
        .search_invoices(scope, q, &InvoiceFilter::default(), PageRequest::new(1, 50))
        .await
        .expect("search")
        .items
        .into_iter()
        .map(|h| h.invoice.invoice_number.unwrap_or_default())
        .collect()
}

pub async fn full_text_search_ranks_within_scope(store: &dyn Store) {
    let a = user(store, "sa@example.com").await;
    let b = user(store, "sb@example.com").await;
    let mine = Scope::admin_of(a.id);
    let inserted = [
        (
            "INV-2026-001",
            "Müller-Bau GmbH",
            "Stadtwerke Nord",
            vec!["Concrete delivery", "Crane rental"],
        ),
        (
            "INV-2026-002",
            "Papierhaus Schmidt",
            "Stadtwerke Nord",
            vec!["Printer paper A4", "Toner cartridge"],
        ),
        (
            "RE-77",
            "Crane Services Ltd",
            "Harbour Authority",
            vec!["Harbour crane maintenance"],
        ),
    ];
    let mut ids = Vec::new();
    for (num, seller, buyer, lines) in &inserted {
        let inv = store
            .insert_invoice(new_invoice(
                Some(a.id),
                with_lines(num, seller, buyer, lines),
            ))
            .await
            .expect("insert");
        ids.push(inv.id);
    }
    store
        .insert_invoice(new_invoice(
            Some(b.id),
            with_lines("B-9", "Müller-Bau GmbH", "Someone", &["Crane rental"]),
        ))
        .await
        .expect("other owner");

    // Line descriptions, prefixes, words inside hyphenated names, number parts.
    assert_eq!(sorted(search(store, mine, "toner").await), ["INV-2026-002"]);
    assert_eq!(sorted(search(store, mine, "cartr").await), ["INV-2026-002"]);
    assert_eq!(sorted(search(store, mine, "bau").await), ["INV-2026-001"]);
    assert_eq!(
        sorted(search(store, mine, "2026").await),
        ["INV-2026-001", "INV-2026-002"]
    );
    assert_eq!(
        sorted(search(store, mine, "inv-2026-002").await),
        ["INV-2026-002"]
    );
    // Every word must match.
    assert_eq!(
        sorted(search(store, mine, "stadtwerke paper").await),
        ["INV-2026-002"]
    );
    // Ranking: the seller named "Crane" (weight B) before a line mentioning cranes (C); the
    // number outranks everything.
    let crane = search(store, mine, "crane").await;
    assert_eq!(sorted(crane.clone()), ["INV-2026-001", "RE-77"]);
    assert_eq!(crane[0], "RE-77");
    // Other owners' invoices are not found; everybody's are for Scope::All.
    assert_eq!(search(store, Scope::admin_of(b.id), "crane").await, ["B-9"]);
    assert_eq!(search(store, Scope::All, "crane").await.len(), 3);
    // A typo: PostgreSQL's second, trigram pass finds the name; SQLite has none.
    let typo = search(store, mine, "schmidtt").await;
    match store.backend() {
        Backend::Postgres => assert_eq!(typo, ["INV-2026-002"]),
        Backend::Sqlite => assert!(typo.is_empty()),
    }
    // Number fragments match inside numbers.
    assert_eq!(
        sorted(search(store, mine, "26-00").await),
        ["INV-2026-001", "INV-2026-002"]
    );
    // Query syntax of either dialect is just text.
    assert!(search(store, mine, "  &|!:*() ").await.is_empty());
    assert!(search(store, mine, "\"toner\" OR NOT x").await.is_empty());
    // Scores are positive and ordered.
    let hits = store
        .search_invoices(
            mine,
            "crane",
            &InvoiceFilter::default(),
            PageRequest::new(1, 1),
        )
        .await
        .expect("page");
    assert_eq!((hits.total, hits.pages, hits.items.len()), (2, 2, 1));
    assert!(hits.items[0].score > 0.0);
    // Filters combine with the query.
    let approved_only = InvoiceFilter {
        status: Some(InvoiceStatus::Approved),
        ..Default::default()
    };
    assert_eq!(
        store
            .search_invoices(mine, "crane", &approved_only, PageRequest::default())
            .await
            .expect("filtered")
            .total,
        0
    );
    // The list's `q` filters and keeps the list's order.
    let listed = numbers(
        store,
        mine,
        &InvoiceFilter {
            q: Some("stadtwerke".into()),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(listed, ["INV-2026-002", "INV-2026-001"]);
    let listed = numbers(
        store,
        mine,
        &InvoiceFilter {
            q: Some("stadtwerke paper".into()),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(listed, ["INV-2026-002"]);
    let listed_total = store
        .list_invoices(
            mine,
            &InvoiceFilter {
                q: Some("stadtwerke".into()),
                ..Default::default()
            },
            PageRequest::new(1, 1),
        )
        .await
        .expect("list q");
    assert_eq!(listed_total.total, 2);

    // Updating the lines updates the index.
    let current = store.get_invoice(ids[1], mine).await.expect("get");
    let mut changed = current.invoice.clone();
    changed.lines[1].description = Some(Extracted::human("Ink ribbon".to_string()));
    store
        .update_invoice(
            ids[1],
            mine,
            InvoiceUpdate {
                invoice: Some(changed),
                ..Default::default()
            },
        )
        .await
        .expect("update");
    assert!(search(store, mine, "toner").await.is_empty());
    assert_eq!(search(store, mine, "ribbon").await, ["INV-2026-002"]);
    // Approval (a status change only) keeps it searchable.
    store
        .update_invoice(
            ids[1],
            mine,
            InvoiceUpdate {
                status: Some(InvoiceStatus::Approved),
                ..Default::default()
            },
        )
        .await
        .expect("approve");
    assert_eq!(search(store, mine, "ribbon").await, ["INV-2026-002"]);
    // Deleted invoices are not found.
    store
        .soft_delete_invoice(ids[1], mine)
        .await
        .expect("delete");
    assert!(search(store, mine, "ribbon").await.is_empty());
}

/// A unit-ish vector leaning towards axis `i`, with some weight on axis `j`.
fn vector(i: usize, j: usize, w: f32) -> Vec<f32> {
    let mut v = vec![0.0; EMBEDDING_DIMENSION];
    v[i] = 1.0;
    v[j] += w;
    v
}

fn emb(model: &str, v: Vec<f32>) -> InvoiceEmbedding {
    InvoiceEmbedding {
        model: model.to_string(),
        vector: v,
    }
}

pub async fn semantic_search_and_similar_invoices(store: &dyn Store) {
    let a = user(store, "va@example.com").await;
    let b = user(store, "vb@example.com").await;
    let mine = Scope::admin_of(a.id);
    let mut ids = Vec::new();
    for n in 0..5 {
        let inv = store
            .insert_invoice(new_invoice(
                Some(a.id),
                sample_invoice(&format!("S-{n}"), "Vector AG", None, dec!(10)),
            ))
            .await
            .expect("insert");
        ids.push(inv.id);
    }
    // S-0 .. S-3 lean from axis 0 towards axis 1 ever more; S-4 is not embedded.
    for (n, w) in [0.0f32, 0.5, 1.0, 4.0].into_iter().enumerate() {
        store
            .set_invoice_embedding(ids[n], mine, &emb("m1", vector(0, 1, w)))
            .await
            .expect("embed");
    }
    let theirs = store
        .insert_invoice(new_invoice(
            Some(b.id),
            sample_invoice("T-1", "Vector AG", None, dec!(10)),
        ))
        .await
        .expect("theirs");
    store
        .set_invoice_embedding(
            theirs.id,
            Scope::admin_of(b.id),
            &emb("m1", vector(0, 1, 0.0)),
        )
        .await
        .expect("embed theirs");
    // Another model's vector is never compared.
    let other_model = store
        .insert_invoice(new_invoice(
            Some(a.id),
            sample_invoice("M-2", "Vector AG", None, dec!(10)),
        ))
        .await
        .expect("m2");
    store
        .set_invoice_embedding(other_model.id, mine, &emb("m2", vector(0, 1, 0.0)))
        .await
        .expect("embed m2");

    let stored = store
        .get_invoice_embedding(ids[2], mine)
        .await
        .expect("get")
        .expect("stored");
    assert_eq!(stored.model, "m1");
    assert_eq!(stored.vector, vector(0, 1, 1.0));
    assert_eq!(
        store
            .get_invoice_embedding(ids[4], mine)
            .await
            .expect("none"),
        None
    );
    assert!(matches!(
        store
            .get_invoice_embedding(ids[0], Scope::admin_of(b.id))
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store
            .set_invoice_embedding(ids[0], Scope::admin_of(b.id), &emb("m1", vector(0, 1, 0.0)))
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store
            .set_invoice_embedding(ids[0], mine, &emb("m1", vec![1.0; 16]))
            .await,
        Err(StoreError::InvalidInput(_))
    ));

    let names = |hits: &[InvoiceHit]| -> Vec<String> {
        hits.iter()
            .map(|h| h.invoice.invoice_number.clone().unwrap_or_default())
            .collect()
    };
    let hits = store
        .semantic_search(mine, &emb("m1", vector(1, 0, 0.0)), 10)
        .await
        .expect("semantic");
    assert_eq!(names(&hits), ["S-3", "S-2", "S-1", "S-0"]);
    assert!(hits[0].score > hits[1].score && hits[1].score > hits[3].score);
    assert!(
        (hits[3].score).abs() < 1e-4,
        "orthogonal: {}",
        hits[3].score
    );
    let top2 = store
        .semantic_search(mine, &emb("m1", vector(0, 1, 0.0)), 2)
        .await
        .expect("top 2");
    assert_eq!(names(&top2), ["S-0", "S-1"]);
    assert!((top2[0].score - 1.0).abs() < 1e-4);
    assert_eq!(
        names(
            &store
                .semantic_search(Scope::All, &emb("m1", vector(0, 1, 0.0)), 2)
                .await
                .expect("all")
        )
        .len(),
        2
    );
    assert!(matches!(
        store
            .semantic_search(mine, &emb("m1", vec![1.0; 8]), 2)
            .await,
        Err(StoreError::InvalidInput(_))
    ));

    // Similar: nearest first, never itself, never another owner's.
    let similar = store
        .similar_invoices(ids[0], mine, 10)
        .await
        .expect("similar");
    assert_eq!(names(&similar), ["S-1", "S-2", "S-3"]);
    let similar_all = store
        .similar_invoices(ids[0], Scope::All, 10)
        .await
        .expect("similar all");
    assert_eq!(names(&similar_all)[0], "T-1");
    assert!(
        store
            .similar_invoices(ids[4], mine, 10)
            .await
            .expect("none")
            .is_empty()
    );
    assert!(matches!(
        store
            .similar_invoices(ids[0], Scope::admin_of(b.id), 10)
            .await,
        Err(StoreError::NotFound)
    ));

    // A changed body drops the stale vector; a status change keeps it.
    store
        .update_invoice(
            ids[1],
            mine,
            InvoiceUpdate {
                status: Some(InvoiceStatus::Approved),
                ..Default::default()
            },
        )
        .await
        .expect("approve");
    assert!(
        store
            .get_invoice_embedding(ids[1], mine)
            .await
            .expect("kept")
            .is_some()
    );
    let mut body = store.get_invoice(ids[1], mine).await.expect("get").invoice;
    body.notes.push("changed".into());
    store
        .update_invoice(
            ids[1],
            mine,
            InvoiceUpdate {
                invoice: Some(body),
                ..Default::default()
            },
        )
        .await
        .expect("edit");
    assert!(
        store
            .get_invoice_embedding(ids[1], mine)
            .await
            .expect("dropped")
            .is_none()
    );
    // Deleted invoices are not found.
    store
        .soft_delete_invoice(ids[3], mine)
        .await
        .expect("delete");
    let hits = store
        .semantic_search(mine, &emb("m1", vector(1, 0, 0.0)), 10)
        .await
        .expect("after delete");
    assert_eq!(names(&hits), ["S-2", "S-0"]);
}

pub async fn dashboard_stats_within_scope(store: &dyn Store) {
    let a = user(store, "da@example.com").await;
    let b = user(store, "db@example.com").await;
    let specs = [
        (
            Some(a.id),
            "EUR",
            dec!(0.1),
            Some(date(2026, 1, 10)),
            InvoiceStatus::NeedsReview,
        ),
        (
            Some(a.id),
            "EUR",
            dec!(0.2),
            Some(date(2026, 1, 20)),
            InvoiceStatus::Approved,
        ),
        (
            Some(a.id),
            "USD",
            dec!(1000.55),
            Some(date(2026, 2, 1)),
            InvoiceStatus::NeedsReview,
        ),
        (
            Some(a.id),
            "EUR",
            dec!(99.999),
            None,
            InvoiceStatus::Rejected,
        ),
        (
            Some(b.id),
            "EUR",
            dec!(5),
            Some(date(2026, 1, 5)),
            InvoiceStatus::Approved,
        ),
    ];
    let mut last = None;
    for (n, (owner, cur, gross, issued, status)) in specs.into_iter().enumerate() {
        let mut inv = sample_invoice(&format!("D-{n}"), "Dash", None, gross);
        inv.currency = Some(Extracted::xml(cur.to_string()));
        inv.issue_date = issued.map(Extracted::xml);
        let mut ni = new_invoice(owner, inv);
        ni.status = status;
        last = Some(store.insert_invoice(ni).await.expect("insert").id);
    }
    // Deleted invoices do not count.
    store
        .soft_delete_invoice(last.expect("inserted"), Scope::All)
        .await
        .expect("delete");
    let midnight = Utc::now() - Duration::hours(1);
    let s = store
        .invoice_stats(Scope::admin_of(a.id), midnight)
        .await
        .expect("stats");
    assert_eq!(s.total, 4);
    assert_eq!(
        s.by_status,
        StatusCounts {
            needs_review: 2,
            approved: 1,
            rejected: 1
        }
    );
    assert_eq!(s.pending_review, 2);
    assert_eq!(s.processed_today, 4);
    // Exact sums (0.1 + 0.2 is 0.3, not 0.30000000000000004).
    assert_eq!(
        s.by_currency,
        [
            CurrencyTotal {
                currency: Some("EUR".into()),
                count: 3,
                gross: dec!(100.299)
            },
            CurrencyTotal {
                currency: Some("USD".into()),
                count: 1,
                gross: dec!(1000.55)
            },
        ]
    );
    let this_month = Utc::now().format("%Y-%m").to_string();
    let months: Vec<(String, Option<String>, u64, rust_decimal::Decimal)> = s
        .by_month
        .iter()
        .map(|m| {
            (
                m.month.clone(),
                m.currency.clone(),
                m.count,
                m.gross.normalize(),
            )
        })
        .collect();
    assert_eq!(
        months,
        [
            ("2026-01".to_string(), Some("EUR".to_string()), 2, dec!(0.3)),
            (
                "2026-02".to_string(),
                Some("USD".to_string()),
                1,
                dec!(1000.55)
            ),
            (this_month, Some("EUR".to_string()), 1, dec!(99.999)),
        ]
    );
    let later = store
        .invoice_stats(Scope::All, Utc::now() + Duration::hours(1))
        .await
        .expect("all");
    assert_eq!((later.total, later.processed_today), (4, 0));
    let empty = store
        .invoice_stats(Scope::admin_of(Uuid::now_v7()), midnight)
        .await
        .expect("nobody");
    assert_eq!(empty, InvoiceStats::default());
}

fn file(owner: Option<Uuid>, hash: char) -> NewFile {
    NewFile {
        owner_id: owner,
        workspace_id: owner,
        sha256: hash.to_string().repeat(64),
        size_bytes: 10,
        mime_type: "application/pdf".into(),
        original_name: format!("{hash}.pdf"),
        page_count: Some(1),
    }
}

pub async fn replacing_an_invoice_file(store: &dyn Store) {
    let a = user(store, "ra@example.com").await;
    let b = user(store, "rb@example.com").await;
    let mine = Scope::admin_of(a.id);
    let f1 = store.insert_file(file(Some(a.id), '1')).await.expect("f1");
    let f2 = store.insert_file(file(Some(a.id), '2')).await.expect("f2");
    let f3 = store.insert_file(file(Some(a.id), '3')).await.expect("f3");
    let theirs = store.insert_file(file(Some(b.id), '4')).await.expect("f4");
    let mut ni = new_invoice(Some(a.id), sample_invoice("F-1", "Files", None, dec!(1)));
    ni.file_id = Some(f1.id);
    ni.file_sha256 = Some(f1.sha256.clone());
    let inv = store.insert_invoice(ni).await.expect("insert");
    let mut other = new_invoice(Some(a.id), sample_invoice("F-2", "Files", None, dec!(2)));
    other.file_id = Some(f3.id);
    other.file_sha256 = Some(f3.sha256.clone());
    store.insert_invoice(other).await.expect("other");

    let replaced = store
        .replace_invoice_file(inv.id, mine, f2.id)
        .await
        .expect("replace");
    assert_eq!(replaced.file_id, Some(f2.id));
    assert!(replaced.updated_at >= inv.updated_at);
    // The old bytes are free again; the new ones are taken.
    assert_eq!(
        store
            .find_invoice_by_file_hash(Some(a.id), &f2.sha256)
            .await
            .expect("by hash"),
        Some(inv.id)
    );
    assert_eq!(
        store
            .find_invoice_by_file_hash(Some(a.id), &f1.sha256)
            .await
            .expect("by hash"),
        None
    );
    // Bytes another live invoice of the owner already has: conflict.
    assert!(matches!(
        store.replace_invoice_file(inv.id, mine, f3.id).await,
        Err(StoreError::Conflict { .. })
    ));
    // Someone else's file, or someone else's invoice: not found.
    assert!(matches!(
        store.replace_invoice_file(inv.id, mine, theirs.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store
            .replace_invoice_file(inv.id, Scope::admin_of(b.id), theirs.id)
            .await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        store.get_invoice(inv.id, mine).await.expect("get").file_id,
        Some(f2.id)
    );
}

/// What the pipeline does with an extracted seller and buyer (`match_companies` in
/// doxin-jobs): the same company under another spelling or with its VAT id is one record of
/// its owner's; every owner has their own records, counted over their own invoices.
pub async fn companies_with_invoice_counts(store: &dyn Store) {
    let a = user(store, "ca@example.com").await;
    let b = user(store, "cb@example.com").await;
    let company = |owner: Uuid, kind, name: &str, vat: Option<&str>| NewCompany {
        workspace_id: Some(owner),
        kind,
        name: name.to_string(),
        vat_id: vat.map(str::to_string),
        tax_number: None,
        country: None,
        address: serde_json::Value::Null,
    };
    let seller1 = store
        .upsert_company(company(a.id, CompanyKind::Vendor, "Stuhlwerk GmbH", None))
        .await
        .expect("seller");
    let seller2 = store
        .upsert_company(company(
            a.id,
            CompanyKind::Vendor,
            "STUHLWERK G.m.b.H.",
            Some("DE 136 695 976"),
        ))
        .await
        .expect("seller again");
    assert_eq!(seller1.id, seller2.id);
    assert_eq!(seller2.vat_id.as_deref(), Some("DE136695976"));
    let seller3 = store
        .upsert_company(company(
            a.id,
            CompanyKind::Vendor,
            "Stuhlwerk Berlin",
            Some("DE136695976"),
        ))
        .await
        .expect("seller by vat");
    assert_eq!(seller3.id, seller1.id);
    let buyer = store
        .upsert_company(company(a.id, CompanyKind::Customer, "Stuhlwerk GmbH", None))
        .await
        .expect("buyer of the same name");
    assert_ne!(
        buyer.id, seller1.id,
        "vendor and customer records are separate"
    );
    let lonely = store
        .upsert_company(company(a.id, CompanyKind::Vendor, "Nobody Uses Me", None))
        .await
        .expect("unused");
    // B's invoices name the same seller: B's own record, without A's VAT id.
    let b_seller = store
        .upsert_company(company(b.id, CompanyKind::Vendor, "Stuhlwerk GmbH", None))
        .await
        .expect("b's seller");
    assert_ne!(b_seller.id, seller1.id);
    assert_eq!(b_seller.vat_id, None);
    let b_buyer = store
        .upsert_company(company(b.id, CompanyKind::Customer, "Stuhlwerk GmbH", None))
        .await
        .expect("b's buyer");

    for (owner, n, seller, buyer) in [
        (a.id, 2, seller1.id, buyer.id),
        (b.id, 1, b_seller.id, b_buyer.id),
    ] {
        for k in 0..n {
            let mut ni = new_invoice(
                Some(owner),
                sample_invoice(&format!("C-{k}"), "Stuhlwerk GmbH", None, dec!(1)),
            );
            ni.vendor_id = Some(seller);
            ni.customer_id = (k == 0).then_some(buyer);
            store.insert_invoice(ni).await.expect("insert");
        }
    }
    let list = |scope, filter: CompanyFilter| async move {
        store
            .list_company_summaries(scope, &filter, PageRequest::default())
            .await
            .expect("companies")
    };
    // An administrator sees every company, each counted over all invoices.
    let everything = list(Scope::All, CompanyFilter::default()).await;
    assert_eq!(everything.total, 5);
    let counts: Vec<(String, CompanyKind, Option<Uuid>, u64)> = everything
        .items
        .iter()
        .map(|c| {
            (
                c.company.name.clone(),
                c.company.kind,
                c.company.workspace_id,
                c.invoice_count,
            )
        })
        .collect();
    let mut expected = vec![
        (
            "Nobody Uses Me".to_string(),
            CompanyKind::Vendor,
            Some(a.id),
            0,
        ),
        (
            "Stuhlwerk GmbH".to_string(),
            CompanyKind::Customer,
            Some(a.id),
            1,
        ),
        (
            "Stuhlwerk GmbH".to_string(),
            CompanyKind::Customer,
            Some(b.id),
            1,
        ),
        (
            "Stuhlwerk GmbH".to_string(),
            CompanyKind::Vendor,
            Some(a.id),
            2,
        ),
        (
            "Stuhlwerk GmbH".to_string(),
            CompanyKind::Vendor,
            Some(b.id),
            1,
        ),
    ];
    // The listing orders by name, kind and id; ids are time-ordered, A's first.
    expected
        .sort_by_key(|(name, kind, owner, _)| (name.clone(), kind.as_str(), *owner != Some(a.id)));
    assert_eq!(counts, expected);
    // A user sees their own companies on their invoices, counted over their invoices.
    let for_a = list(Scope::admin_of(a.id), CompanyFilter::default()).await;
    let counts: Vec<(Uuid, u64)> = for_a
        .items
        .iter()
        .map(|c| (c.company.id, c.invoice_count))
        .collect();
    assert_eq!(counts, [(buyer.id, 1), (seller1.id, 2)]);
    let vendors = list(
        Scope::admin_of(a.id),
        CompanyFilter {
            kind: Some(CompanyKind::Vendor),
            q: Some("stuhl".into()),
        },
    )
    .await;
    assert_eq!(vendors.total, 1);
    assert_eq!(vendors.items[0].company.id, seller1.id);
    let by_vat = |scope| {
        list(
            scope,
            CompanyFilter {
                kind: None,
                q: Some("de136695976".into()),
            },
        )
    };
    assert_eq!(by_vat(Scope::All).await.total, 1);
    assert_eq!(by_vat(Scope::admin_of(b.id)).await.total, 0);

    let one = store
        .get_company_summary(b_seller.id, Scope::admin_of(b.id))
        .await
        .expect("b's vendor");
    assert_eq!(one.invoice_count, 1);
    assert!(matches!(
        store
            .get_company_summary(seller1.id, Scope::admin_of(b.id))
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store
            .get_company_summary(lonely.id, Scope::admin_of(a.id))
            .await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        store
            .get_company_summary(lonely.id, Scope::All)
            .await
            .expect("admin")
            .invoice_count,
        0
    );
    assert!(matches!(
        store.get_company_summary(Uuid::now_v7(), Scope::All).await,
        Err(StoreError::NotFound)
    ));
}
