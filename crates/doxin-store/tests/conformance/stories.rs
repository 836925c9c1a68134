//! The stories every backend must tell the same way. Each takes the store under test.

use chrono::NaiveDate;
use doxin_model::{Extracted, Invoice, InvoiceLine, JobStage, JobStatus};
use doxin_store::*;
use rust_decimal_macros::dec;
use serde_json::json;
use uuid::Uuid;

// The stories of issue 6 live in their own file; the suite's macro finds every story here.
pub use crate::search::*;

pub(crate) fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

pub(crate) fn sample_invoice(
    number: &str,
    seller: &str,
    vat: Option<&str>,
    gross: rust_decimal::Decimal,
) -> Invoice {
    let mut inv = Invoice {
        invoice_number: Some(Extracted::xml(number.to_string())),
        issue_date: Some(Extracted::xml(date(2026, 3, 14))),
        due_date: Some(Extracted::xml(date(2026, 4, 13))),
        currency: Some(Extracted::xml("EUR".to_string())),
        ..Invoice::default()
    };
    inv.seller.name = Some(Extracted::xml(seller.to_string()));
    inv.seller.vat_id = vat.map(|v| Extracted::xml(v.to_string()));
    inv.buyer.name = Some(Extracted::xml("Buyer AG".to_string()));
    inv.totals.tax_inclusive_amount = Some(Extracted::xml(gross));
    inv.lines = vec![
        InvoiceLine {
            description: Some(Extracted::xml("Office chair".to_string())),
            quantity: Some(Extracted::xml(dec!(2))),
            unit_price: Some(Extracted::xml(dec!(149.50))),
            line_amount: Some(Extracted::xml(dec!(299.00))),
            ..InvoiceLine::default()
        },
        InvoiceLine {
            description: Some(Extracted::xml("Delivery".to_string())),
            line_amount: Some(Extracted::xml(dec!(10))),
            ..InvoiceLine::default()
        },
    ];
    inv
}

pub(crate) async fn user(store: &dyn Store, email: &str) -> User {
    store
        .create_user(NewUser {
            email: email.to_string(),
            display_name: email.split('@').next().unwrap_or(email).to_string(),
            password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".to_string(),
            role: Role::User,
        })
        .await
        .expect("create user")
}

pub(crate) fn new_invoice(owner: Option<Uuid>, inv: Invoice) -> NewInvoice {
    NewInvoice {
        owner_id: owner,
        workspace_id: owner,
        file_id: None,
        job_id: None,
        status: InvoiceStatus::NeedsReview,
        confidence: 0.75,
        invoice: inv,
        findings: vec![],
        vendor_id: None,
        customer_id: None,
        duplicate_of: None,
        file_sha256: None,
    }
}

pub(crate) fn new_job(owner: Option<Uuid>, file: Option<Uuid>) -> NewJob {
    NewJob {
        owner_id: owner,
        workspace_id: owner,
        file_id: file,
        kind: "extract".to_string(),
        payload: json!({"auto_save": true}),
        max_attempts: 3,
        request_id: Some("req-1".to_string()),
    }
}

/// Upload → job → invoice → review → list → delete, as the pipeline and the API will do it.
pub async fn full_story_upload_to_deletion(store: &dyn Store) {
    let alice = user(store, "alice@example.com").await;
    let file = store
        .insert_file(NewFile {
            owner_id: Some(alice.id),
            workspace_id: Some(alice.id),
            sha256: "a".repeat(64),
            size_bytes: 1234,
            mime_type: "application/pdf".into(),
            original_name: "march.pdf".into(),
            page_count: Some(2),
        })
        .await
        .expect("file");
    let job = store
        .create_job(new_job(Some(alice.id), Some(file.id)))
        .await
        .expect("job");
    assert_eq!(job.status, JobStatus::Queued);
    store
        .update_job(
            job.id,
            JobUpdate {
                status: Some(JobStatus::Running),
                ..Default::default()
            },
        )
        .await
        .expect("start");
    let vendor = store
        .upsert_company(NewCompany {
            workspace_id: Some(alice.id),
            kind: CompanyKind::Vendor,
            name: "Stuhlwerk GmbH".into(),
            vat_id: Some("DE136695976".into()),
            tax_number: None,
            country: Some("DE".into()),
            address: json!({"city": "Berlin"}),
        })
        .await
        .expect("vendor");
    let mut ni = new_invoice(
        Some(alice.id),
        sample_invoice(
            "R-2026-001",
            "Stuhlwerk GmbH",
            Some("DE136695976"),
            dec!(367.71),
        ),
    );
    ni.file_id = Some(file.id);
    ni.job_id = Some(job.id);
    ni.vendor_id = Some(vendor.id);
    let inv = store.insert_invoice(ni).await.expect("invoice");
    let done = store
        .update_job(
            job.id,
            JobUpdate {
                status: Some(JobStatus::Succeeded),
                stage: Some(JobStage::Save),
                invoice_id: Some(inv.id),
                result: Some(json!({"invoice_id": inv.id})),
                ..Default::default()
            },
        )
        .await
        .expect("finish");
    assert_eq!(done.progress, 100);
    assert_eq!(done.invoice_id, Some(inv.id));
    assert!(done.finished_at.is_some());

    let approved = store
        .update_invoice(
            inv.id,
            Scope::admin_of(alice.id),
            InvoiceUpdate {
                status: Some(InvoiceStatus::Approved),
                ..Default::default()
            },
        )
        .await
        .expect("approve");
    assert_eq!(approved.status, InvoiceStatus::Approved);
    assert_eq!(approved.vendor_id, Some(vendor.id));
    store
        .append_audit(NewAuditEntry {
            actor_id: Some(alice.id),
            action: "invoice.approve".into(),
            entity_type: "invoice".into(),
            entity_id: Some(inv.id.to_string()),
            before: Some(json!({"status": "needs_review"})),
            after: Some(json!({"status": "approved"})),
            ip: Some("127.0.0.1".into()),
            request_id: Some("req-2".into()),
        })
        .await
        .expect("audit");

    let page = store
        .list_invoices(
            Scope::admin_of(alice.id),
            &InvoiceFilter::default(),
            PageRequest::default(),
        )
        .await
        .expect("list");
    assert_eq!(page.total, 1);
    assert_eq!(page.items[0].invoice_number.as_deref(), Some("R-2026-001"));
    assert_eq!(page.items[0].gross_amount, Some(dec!(367.71)));

    store
        .soft_delete_invoice(inv.id, Scope::admin_of(alice.id))
        .await
        .expect("delete");
    assert!(matches!(
        store.get_invoice(inv.id, Scope::admin_of(alice.id)).await,
        Err(StoreError::NotFound)
    ));
    let audit = store
        .list_audit(
            &AuditFilter {
                entity_id: Some(inv.id.to_string()),
                ..Default::default()
            },
            PageRequest::default(),
        )
        .await
        .expect("audit list");
    assert_eq!(audit.total, 1);
    assert_eq!(audit.items[0].after, Some(json!({"status": "approved"})));
}

pub async fn migrations_are_idempotent(store: &dyn Store) {
    assert_eq!(store.migrate().await.expect("migrate again"), 0);
}

pub async fn health_reports_the_backend(store: &dyn Store) {
    let h = store.health().await.expect("health");
    match store.backend() {
        Backend::Sqlite => {
            assert_eq!(h.backend, "sqlite");
            assert!(h.server_version.starts_with('3'), "{h:?}");
            assert_eq!(h.pgvector_version, None);
        }
        Backend::Postgres => {
            assert_eq!(h.backend, "postgres");
            let v = h
                .pgvector_version
                .expect("pgvector installed by the migrations");
            assert!(v.starts_with("0."), "pgvector version {v}");
            assert!(h.pg_trgm_version.is_some());
        }
    }
}

pub async fn users_are_unique_by_email_and_updatable(store: &dyn Store) {
    let u = user(store, "Bob@Example.com").await;
    assert_eq!(u.email, "bob@example.com");
    assert!(u.is_active);
    assert_eq!(
        store
            .find_user_by_email("BOB@example.COM")
            .await
            .expect("find")
            .id,
        u.id
    );
    let again = store
        .create_user(NewUser {
            email: "bob@example.com".into(),
            display_name: "Bob 2".into(),
            password_hash: "x".into(),
            role: Role::User,
        })
        .await;
    assert!(
        matches!(again, Err(StoreError::Conflict { .. })),
        "{again:?}"
    );
    let updated = store
        .update_user(
            u.id,
            UserUpdate {
                role: Some(Role::Admin),
                is_active: Some(false),
                ..Default::default()
            },
        )
        .await
        .expect("update");
    assert_eq!((updated.role, updated.is_active), (Role::Admin, false));
    assert_eq!(updated.display_name, "Bob");
    assert_eq!(store.get_user(u.id).await.expect("get").role, Role::Admin);
    assert!(matches!(
        store.get_user(Uuid::new_v4()).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.find_user_by_email("nobody@x").await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store
            .update_user(Uuid::new_v4(), UserUpdate::default())
            .await,
        Err(StoreError::NotFound)
    ));
}

pub async fn users_page(store: &dyn Store) {
    for i in 0..5 {
        user(store, &format!("u{i}@example.com")).await;
    }
    assert_eq!(store.count_users().await.expect("count"), 5);
    let p = store
        .list_users(PageRequest::new(2, 2))
        .await
        .expect("page");
    assert_eq!(
        (p.total, p.pages, p.items.len(), p.has_next, p.has_prev),
        (5, 3, 2, true, true)
    );
    assert_eq!(p.items[0].email, "u2@example.com");
}

pub async fn companies_match_by_vat_id_then_name(store: &dyn Store) {
    let owner = user(store, "vat@example.com").await;
    let nc = |name: &str, vat: Option<&str>| NewCompany {
        workspace_id: Some(owner.id),
        kind: CompanyKind::Vendor,
        name: name.into(),
        vat_id: vat.map(str::to_string),
        tax_number: None,
        country: None,
        address: json!({}),
    };
    let a = store
        .upsert_company(nc("ACME GmbH", None))
        .await
        .expect("a");
    assert_eq!(a.workspace_id, Some(owner.id));
    // Same name with other legal-form spelling: same company, and it learns the VAT id.
    let b = store
        .upsert_company(nc("Acme G.m.b.H.", Some("de 136 695 976")))
        .await
        .expect("b");
    assert_eq!(a.id, b.id);
    assert_eq!(b.vat_id.as_deref(), Some("DE136695976"));
    // Same VAT id under another name: still the same company.
    let c = store
        .upsert_company(nc("ACME Deutschland", Some("DE136695976")))
        .await
        .expect("c");
    assert_eq!(a.id, c.id);
    // Same name, different VAT id: a different company.
    let d = store
        .upsert_company(nc("ACME GmbH", Some("ATU13585627")))
        .await
        .expect("d");
    assert_ne!(a.id, d.id);
    // Customers are a separate list.
    let mut cust = nc("ACME GmbH", None);
    cust.kind = CompanyKind::Customer;
    let e = store.upsert_company(cust).await.expect("e");
    assert_ne!(a.id, e.id);
    assert_eq!(
        store
            .get_company(e.id, Scope::admin_of(owner.id))
            .await
            .expect("get")
            .kind,
        CompanyKind::Customer
    );
    let vendors = store
        .list_companies(
            Scope::admin_of(owner.id),
            Some(CompanyKind::Vendor),
            PageRequest::default(),
        )
        .await
        .expect("list");
    assert_eq!(vendors.total, 2);
    let all = store
        .list_companies(Scope::All, None, PageRequest::default())
        .await
        .expect("all");
    assert_eq!(all.total, 3);
}

/// Finding 3 of the security review: companies were shared, so a guessed seller name returned
/// another user's record (VAT id, tax number) and a typed VAT id was learnt into it.
pub async fn companies_are_matched_and_listed_within_their_owner(store: &dyn Store) {
    let a = user(store, "owner-a@example.com").await;
    let b = user(store, "owner-b@example.com").await;
    let nc = |owner: Option<Uuid>, name: &str, vat: Option<&str>, tax: Option<&str>| NewCompany {
        workspace_id: owner,
        kind: CompanyKind::Vendor,
        name: name.into(),
        vat_id: vat.map(str::to_string),
        tax_number: tax.map(str::to_string),
        country: None,
        address: json!({}),
    };
    let theirs = store
        .upsert_company(nc(
            Some(a.id),
            "Nordwind Logistik GmbH",
            Some("DE136695976"),
            Some("27/123/45678"),
        ))
        .await
        .expect("a's vendor");
    // B names A's vendor: B gets a company of B's own, with nothing of A's.
    let guessed = store
        .upsert_company(nc(Some(b.id), "Nordwind Logistik", None, None))
        .await
        .expect("b's guess");
    assert_ne!(guessed.id, theirs.id);
    assert_eq!(guessed.workspace_id, Some(b.id));
    assert_eq!(guessed.vat_id, None);
    assert_eq!(guessed.tax_number, None);
    // The same VAT id is one company per owner, not one across owners.
    let same_vat = store
        .upsert_company(nc(
            Some(b.id),
            "Somebody Else",
            Some("DE 136 695 976"),
            None,
        ))
        .await
        .expect("b's vat");
    assert_ne!(same_vat.id, theirs.id);
    assert_eq!(same_vat.workspace_id, Some(b.id));
    // B plants a VAT id under a name of A's company without one: only B's record learns it.
    let a_plain = store
        .upsert_company(nc(Some(a.id), "Kontor Süd AG", None, None))
        .await
        .expect("a's plain vendor");
    let planted = store
        .upsert_company(nc(Some(b.id), "Kontor Süd", Some("ATU13585627"), None))
        .await
        .expect("b plants");
    assert_ne!(planted.id, a_plain.id);
    let a_plain_now = store
        .get_company(a_plain.id, Scope::admin_of(a.id))
        .await
        .expect("a's plain vendor");
    assert_eq!(a_plain_now.vat_id, None, "B's VAT id reached A's company");
    // A's own matching still finds A's records.
    let again = store
        .upsert_company(nc(Some(a.id), "NORDWIND LOGISTIK G.m.b.H.", None, None))
        .await
        .expect("a again");
    assert_eq!(again.id, theirs.id);
    // Companies of nobody match only among themselves.
    let nobodys = store
        .upsert_company(nc(None, "Nordwind Logistik", Some("DE136695976"), None))
        .await
        .expect("nobody's");
    assert_eq!(nobodys.workspace_id, None);
    assert!(![theirs.id, guessed.id, same_vat.id].contains(&nobodys.id));
    let nobodys_again = store
        .upsert_company(nc(None, "Anything", Some("DE136695976"), None))
        .await
        .expect("nobody's again");
    assert_eq!(nobodys_again.id, nobodys.id);

    // Reads are scoped: another owner's company is not found.
    assert!(matches!(
        store.get_company(theirs.id, Scope::admin_of(b.id)).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        store
            .get_company(theirs.id, Scope::All)
            .await
            .expect("admin")
            .id,
        theirs.id
    );
    let ids = |p: Page<Company>| {
        let mut v: Vec<Uuid> = p.items.iter().map(|c| c.id).collect();
        v.sort();
        v
    };
    let mut expected_b = vec![guessed.id, same_vat.id, planted.id];
    expected_b.sort();
    assert_eq!(
        ids(store
            .list_companies(Scope::admin_of(b.id), None, PageRequest::default())
            .await
            .expect("b's list")),
        expected_b
    );
    assert_eq!(
        store
            .list_companies(Scope::All, None, PageRequest::default())
            .await
            .expect("all")
            .total,
        // A's two, B's three, nobody's one.
        6
    );

    // An invoice can only name its owner's companies, when saved and when edited.
    let mut ni = new_invoice(
        Some(b.id),
        sample_invoice("B-1", "Nordwind Logistik", None, dec!(10)),
    );
    ni.vendor_id = Some(theirs.id);
    assert!(matches!(
        store.insert_invoice(ni.clone()).await,
        Err(StoreError::InvalidInput(_))
    ));
    ni.vendor_id = Some(guessed.id);
    let inv = store.insert_invoice(ni).await.expect("b's invoice");
    assert!(matches!(
        store
            .update_invoice(
                inv.id,
                Scope::All,
                InvoiceUpdate {
                    vendor_id: Some(theirs.id),
                    ..Default::default()
                },
            )
            .await,
        Err(StoreError::InvalidInput(_))
    ));
    assert_eq!(
        store
            .get_invoice(inv.id, Scope::All)
            .await
            .expect("unchanged")
            .vendor_id,
        Some(guessed.id)
    );
    let mut orphan = new_invoice(None, sample_invoice("N-1", "Nordwind", None, dec!(1)));
    orphan.vendor_id = Some(guessed.id);
    assert!(matches!(
        store.insert_invoice(orphan).await,
        Err(StoreError::InvalidInput(_))
    ));

    // The summaries: each owner sees their own companies their invoices name, counted over
    // their invoices; B's planted VAT id is nowhere in A's list.
    let mut a_inv = new_invoice(
        Some(a.id),
        sample_invoice("A-1", "Kontor Süd AG", None, dec!(10)),
    );
    a_inv.vendor_id = Some(a_plain.id);
    store.insert_invoice(a_inv).await.expect("a's invoice");
    let summaries = |scope, q: Option<&str>| {
        let filter = CompanyFilter {
            kind: None,
            q: q.map(str::to_string),
        };
        async move {
            store
                .list_company_summaries(scope, &filter, PageRequest::default())
                .await
                .expect("summaries")
        }
    };
    let for_b = summaries(Scope::admin_of(b.id), None).await;
    assert_eq!(for_b.total, 1);
    assert_eq!(for_b.items[0].company.id, guessed.id);
    assert_eq!(for_b.items[0].invoice_count, 1);
    let for_a = summaries(Scope::admin_of(a.id), None).await;
    assert_eq!(for_a.total, 1);
    assert_eq!(for_a.items[0].company.id, a_plain.id);
    assert_eq!(for_a.items[0].company.vat_id, None);
    assert_eq!(
        summaries(Scope::admin_of(a.id), Some("ATU13585627"))
            .await
            .total,
        0
    );
    assert!(matches!(
        store
            .get_company_summary(guessed.id, Scope::admin_of(a.id))
            .await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        store
            .get_company_summary(guessed.id, Scope::All)
            .await
            .expect("admin")
            .invoice_count,
        1
    );
}

pub async fn files_are_found_by_hash_within_scope(store: &dyn Store) {
    let a = user(store, "a@example.com").await;
    let b = user(store, "b@example.com").await;
    let nf = |owner: Uuid| NewFile {
        owner_id: Some(owner),
        workspace_id: Some(owner),
        sha256: "b".repeat(64),
        size_bytes: 10,
        mime_type: "image/png".into(),
        original_name: "scan.png".into(),
        page_count: None,
    };
    let fa = store.insert_file(nf(a.id)).await.expect("a");
    let fb = store.insert_file(nf(b.id)).await.expect("b");
    let mine = store
        .find_files_by_hash(&"b".repeat(64), Scope::admin_of(a.id))
        .await
        .expect("mine");
    assert_eq!(mine.iter().map(|f| f.id).collect::<Vec<_>>(), vec![fa.id]);
    assert_eq!(
        store
            .find_files_by_hash(&"b".repeat(64), Scope::All)
            .await
            .expect("all")
            .len(),
        2
    );
    assert!(matches!(
        store.get_file(fb.id, Scope::admin_of(a.id)).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        store
            .get_file(fb.id, Scope::All)
            .await
            .expect("admin")
            .original_name,
        "scan.png"
    );
}

pub async fn invoices_are_invisible_outside_their_scope(store: &dyn Store) {
    let a = user(store, "a@example.com").await;
    let b = user(store, "b@example.com").await;
    let inv = store
        .insert_invoice(new_invoice(
            Some(a.id),
            sample_invoice("A-1", "Seller", None, dec!(10)),
        ))
        .await
        .expect("insert");
    let as_b = Scope::admin_of(b.id);
    assert!(matches!(
        store.get_invoice(inv.id, as_b).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store
            .update_invoice(
                inv.id,
                as_b,
                InvoiceUpdate {
                    status: Some(InvoiceStatus::Approved),
                    ..Default::default()
                }
            )
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.soft_delete_invoice(inv.id, as_b).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        store
            .list_invoices(as_b, &InvoiceFilter::default(), PageRequest::default())
            .await
            .expect("list")
            .total,
        0
    );
    assert_eq!(
        store
            .get_invoice(inv.id, Scope::admin_of(a.id))
            .await
            .expect("owner")
            .status,
        InvoiceStatus::NeedsReview
    );
    assert_eq!(
        store
            .get_invoice(inv.id, Scope::All)
            .await
            .expect("admin")
            .id,
        inv.id
    );
}

pub async fn invoice_filters(store: &dyn Store) {
    let a = user(store, "a@example.com").await;
    let scope = Scope::admin_of(a.id);
    let specs = [
        (
            "F-1",
            "Alpha Supplies",
            dec!(9.99),
            "EUR",
            date(2026, 1, 5),
            InvoiceStatus::Approved,
        ),
        (
            "F-2",
            "Beta_Werk 100%",
            dec!(100.00),
            "EUR",
            date(2026, 2, 5),
            InvoiceStatus::NeedsReview,
        ),
        (
            "F-3",
            "alpha tools",
            dec!(1000.50),
            "USD",
            date(2026, 3, 5),
            InvoiceStatus::NeedsReview,
        ),
    ];
    for (num, seller, gross, cur, issued, status) in specs {
        let mut inv = sample_invoice(num, seller, None, gross);
        inv.currency = Some(Extracted::xml(cur.to_string()));
        inv.issue_date = Some(Extracted::xml(issued));
        let mut ni = new_invoice(Some(a.id), inv);
        ni.status = status;
        store.insert_invoice(ni).await.expect("insert");
    }
    let count = |f: InvoiceFilter| async move {
        let p = store
            .list_invoices(scope, &f, PageRequest::default())
            .await
            .expect("list");
        let mut n: Vec<String> = p
            .items
            .iter()
            .filter_map(|s| s.invoice_number.clone())
            .collect();
        n.sort();
        n
    };
    assert_eq!(
        count(InvoiceFilter {
            status: Some(InvoiceStatus::NeedsReview),
            ..Default::default()
        })
        .await,
        ["F-2", "F-3"]
    );
    assert_eq!(
        count(InvoiceFilter {
            currency: Some("usd".into()),
            ..Default::default()
        })
        .await,
        ["F-3"]
    );
    assert_eq!(
        count(InvoiceFilter {
            seller: Some("ALPHA".into()),
            ..Default::default()
        })
        .await,
        ["F-1", "F-3"]
    );
    // LIKE wildcards in the search text are literal.
    assert_eq!(
        count(InvoiceFilter {
            seller: Some("alph_".into()),
            ..Default::default()
        })
        .await,
        Vec::<String>::new()
    );
    assert_eq!(
        count(InvoiceFilter {
            seller: Some("100%".into()),
            ..Default::default()
        })
        .await,
        ["F-2"]
    );
    assert_eq!(
        count(InvoiceFilter {
            issued_from: Some(date(2026, 2, 1)),
            issued_to: Some(date(2026, 2, 28)),
            ..Default::default()
        })
        .await,
        ["F-2"]
    );
    // Numeric, not textual, comparison: "9.99" > "100.00" as text.
    assert_eq!(
        count(InvoiceFilter {
            min_gross: Some(dec!(10)),
            ..Default::default()
        })
        .await,
        ["F-2", "F-3"]
    );
    assert_eq!(
        count(InvoiceFilter {
            min_gross: Some(dec!(9.99)),
            max_gross: Some(dec!(100)),
            ..Default::default()
        })
        .await,
        ["F-1", "F-2"]
    );
    let p = store
        .list_invoices(scope, &InvoiceFilter::default(), PageRequest::new(1, 2))
        .await
        .expect("page");
    assert_eq!(
        (p.total, p.pages, p.items.len(), p.has_next),
        (3, 2, 2, true)
    );
    // Newest first.
    assert_eq!(p.items[0].invoice_number.as_deref(), Some("F-3"));
}

pub async fn invoice_update_rewrites_columns(store: &dyn Store) {
    let inv = store
        .insert_invoice(new_invoice(
            None,
            sample_invoice("U-1", "Old Name", None, dec!(50)),
        ))
        .await
        .expect("insert");
    let mut changed = inv.invoice.clone();
    changed.seller.name = Some(Extracted::human("New Name".to_string()));
    changed.totals.tax_inclusive_amount = Some(Extracted::human(dec!(55.55)));
    changed.lines.truncate(1);
    let up = store
        .update_invoice(
            inv.id,
            Scope::All,
            InvoiceUpdate {
                invoice: Some(changed.clone()),
                confidence: Some(1.0),
                ..Default::default()
            },
        )
        .await
        .expect("update");
    assert_eq!(up.invoice, changed);
    assert_eq!(up.confidence, 1.0);
    assert!(up.updated_at >= inv.updated_at);
    let found = store
        .list_invoices(
            Scope::All,
            &InvoiceFilter {
                seller: Some("new name".into()),
                ..Default::default()
            },
            PageRequest::default(),
        )
        .await
        .expect("list");
    assert_eq!(found.total, 1);
    assert_eq!(found.items[0].gross_amount, Some(dec!(55.55)));
}

pub async fn soft_deleted_invoices_disappear(store: &dyn Store) {
    let inv = store
        .insert_invoice(new_invoice(None, sample_invoice("D-1", "S", None, dec!(1))))
        .await
        .expect("insert");
    store
        .soft_delete_invoice(inv.id, Scope::All)
        .await
        .expect("delete");
    assert!(matches!(
        store.soft_delete_invoice(inv.id, Scope::All).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.get_invoice(inv.id, Scope::All).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        store
            .list_invoices(
                Scope::All,
                &InvoiceFilter::default(),
                PageRequest::default()
            )
            .await
            .expect("l")
            .total,
        0
    );
    assert_eq!(
        store
            .find_invoice_duplicate(Scope::All, None, Some("S"), "D-1")
            .await
            .expect("dup"),
        None
    );
}

pub async fn duplicates_are_found_by_seller_and_number(store: &dyn Store) {
    let a = user(store, "a@example.com").await;
    let b = user(store, "b@example.com").await;
    let first = store
        .insert_invoice(new_invoice(
            Some(a.id),
            sample_invoice("N-7", "Seller Ltd", Some("DE136695976"), dec!(1)),
        ))
        .await
        .expect("insert");
    let sa = Scope::admin_of(a.id);
    assert_eq!(
        store
            .find_invoice_duplicate(sa, Some("DE136695976"), None, "N-7")
            .await
            .expect("vat"),
        Some(first.id)
    );
    assert_eq!(
        store
            .find_invoice_duplicate(sa, None, Some("seller ltd "), " N-7")
            .await
            .expect("name"),
        Some(first.id)
    );
    assert_eq!(
        store
            .find_invoice_duplicate(sa, Some("DE136695976"), None, "N-8")
            .await
            .expect("other"),
        None
    );
    assert_eq!(
        store
            .find_invoice_duplicate(sa, None, None, "N-7")
            .await
            .expect("no seller"),
        None
    );
    // Another user's invoices are not duplicates of mine.
    assert_eq!(
        store
            .find_invoice_duplicate(Scope::admin_of(b.id), Some("DE136695976"), None, "N-7")
            .await
            .expect("b"),
        None
    );
}

pub async fn one_invoice_per_job(store: &dyn Store) {
    let job = store.create_job(new_job(None, None)).await.expect("job");
    let mut ni = new_invoice(None, sample_invoice("J-1", "S", None, dec!(1)));
    ni.job_id = Some(job.id);
    store.insert_invoice(ni.clone()).await.expect("first");
    let second = store.insert_invoice(ni).await;
    assert!(
        matches!(second, Err(StoreError::Conflict { .. })),
        "{second:?}"
    );
    assert_eq!(
        store
            .list_invoices(
                Scope::All,
                &InvoiceFilter::default(),
                PageRequest::default()
            )
            .await
            .expect("l")
            .total,
        1
    );
}

pub async fn amounts_round_trip_exactly(store: &dyn Store) {
    for gross in [
        dec!(0.10),
        dec!(-7.67),
        dec!(123456789012.3456),
        dec!(0.000001),
        dec!(20.0000),
    ] {
        let inv = sample_invoice("X", "S", None, gross);
        let rec = store
            .insert_invoice(new_invoice(None, inv.clone()))
            .await
            .expect("insert");
        let back = store.get_invoice(rec.id, Scope::All).await.expect("get");
        assert_eq!(back.invoice, inv, "canonical invoice unchanged for {gross}");
        let listed = store
            .list_invoices(
                Scope::All,
                &InvoiceFilter::default(),
                PageRequest::new(1, 1),
            )
            .await
            .expect("list");
        assert_eq!(
            listed.items[0].gross_amount,
            Some(gross),
            "column value for {gross}"
        );
    }
}

pub async fn job_lifecycle_follows_the_rules(store: &dyn Store) {
    let job = store.create_job(new_job(None, None)).await.expect("job");
    assert_eq!((job.attempts, job.progress, job.stage), (0, 0, None));
    let bad = store
        .update_job(
            job.id,
            JobUpdate {
                status: Some(JobStatus::Succeeded),
                ..Default::default()
            },
        )
        .await;
    assert!(
        matches!(bad, Err(StoreError::InvalidState(_))),
        "queued -> succeeded: {bad:?}"
    );
    let run = store
        .update_job(
            job.id,
            JobUpdate {
                status: Some(JobStatus::Running),
                ..Default::default()
            },
        )
        .await
        .expect("run");
    assert_eq!(run.attempts, 1);
    assert!(run.started_at.is_some());
    let staged = store
        .update_job(
            job.id,
            JobUpdate {
                stage: Some(JobStage::Ocr),
                progress: Some(40),
                ..Default::default()
            },
        )
        .await
        .expect("stage");
    assert_eq!(
        (staged.stage, staged.progress, staged.status),
        (Some(JobStage::Ocr), 40, JobStatus::Running)
    );
    // A lease expired: back to the queue, then a second attempt that fails.
    store
        .update_job(
            job.id,
            JobUpdate {
                status: Some(JobStatus::Queued),
                ..Default::default()
            },
        )
        .await
        .expect("requeue");
    store
        .update_job(
            job.id,
            JobUpdate {
                status: Some(JobStatus::Running),
                ..Default::default()
            },
        )
        .await
        .expect("rerun");
    let failed = store
        .update_job(
            job.id,
            JobUpdate {
                status: Some(JobStatus::Failed),
                error_code: Some("encrypted_pdf".into()),
                error: Some("the PDF is encrypted".into()),
                ..Default::default()
            },
        )
        .await
        .expect("fail");
    assert_eq!((failed.attempts, failed.status), (2, JobStatus::Failed));
    assert_eq!(failed.error_code.as_deref(), Some("encrypted_pdf"));
    assert!(failed.finished_at.is_some());
    for to in JobStatus::ALL {
        let r = store
            .update_job(
                job.id,
                JobUpdate {
                    status: Some(to),
                    ..Default::default()
                },
            )
            .await;
        assert!(
            matches!(r, Err(StoreError::InvalidState(_))),
            "failed -> {to}: {r:?}"
        );
    }
    assert!(matches!(
        store.update_job(Uuid::new_v4(), JobUpdate::default()).await,
        Err(StoreError::NotFound)
    ));
}

pub async fn concurrent_job_updates_do_not_both_win(store: &dyn Store) {
    let job = store.create_job(new_job(None, None)).await.expect("job");
    let start = || {
        store.update_job(
            job.id,
            JobUpdate {
                status: Some(JobStatus::Running),
                ..Default::default()
            },
        )
    };
    let (a, b) = tokio::join!(start(), start());
    assert_eq!(
        [a.is_ok(), b.is_ok()].iter().filter(|ok| **ok).count(),
        1,
        "exactly one worker may start a job: {a:?} / {b:?}"
    );
    assert_eq!(
        store
            .get_job(job.id, Scope::All)
            .await
            .expect("get")
            .attempts,
        1
    );
}

/// Writers on many connections at once (the API's requests, the workers, the usage flusher)
/// each succeed: none is refused "database is locked" because another committed between its
/// transaction's first read (on SQLite also the schema a fresh connection loads) and its
/// first write.
pub async fn concurrent_writers_all_succeed(store: &dyn Store) {
    let owner = user(store, "busy@example.com").await;
    let writer = |w: usize| async move {
        for i in 0..6 {
            let name = format!("Seller {w}-{i} GmbH");
            let company = store
                .upsert_company(NewCompany {
                    workspace_id: Some(owner.id),
                    kind: CompanyKind::Vendor,
                    name: name.clone(),
                    vat_id: None,
                    tax_number: None,
                    country: None,
                    address: serde_json::Value::Null,
                })
                .await?;
            let mut new = new_invoice(
                Some(owner.id),
                sample_invoice(&format!("C-{w}-{i}"), &name, None, dec!(309)),
            );
            new.vendor_id = Some(company.id);
            let inv = store.insert_invoice(new).await?;
            store
                .update_invoice(
                    inv.id,
                    Scope::All,
                    InvoiceUpdate {
                        confidence: Some(0.9),
                        ..Default::default()
                    },
                )
                .await?;
        }
        Ok::<(), StoreError>(())
    };
    for result in futures::future::join_all((0..8).map(writer)).await {
        result.expect("every concurrent write succeeds");
    }
}

pub async fn jobs_list_and_viewed(store: &dyn Store) {
    let a = user(store, "a@example.com").await;
    let b = user(store, "b@example.com").await;
    let mut mine = Vec::new();
    for _ in 0..3 {
        mine.push(
            store
                .create_job(new_job(Some(a.id), None))
                .await
                .expect("job")
                .id,
        );
    }
    let theirs = store
        .create_job(new_job(Some(b.id), None))
        .await
        .expect("job");
    assert!(matches!(
        store.get_job(theirs.id, Scope::admin_of(a.id)).await,
        Err(StoreError::NotFound)
    ));
    let sa = Scope::admin_of(a.id);
    let unread = JobFilter {
        unread_only: true,
        ..Default::default()
    };
    assert_eq!(
        store
            .list_jobs(sa, &unread, PageRequest::default())
            .await
            .expect("l")
            .total,
        3
    );
    // Marking someone else's job does nothing.
    assert_eq!(
        store
            .mark_jobs_viewed(sa, &[mine[0], theirs.id])
            .await
            .expect("mark"),
        1
    );
    assert_eq!(
        store.mark_jobs_viewed(sa, &[mine[0]]).await.expect("again"),
        0
    );
    assert_eq!(
        store
            .list_jobs(sa, &unread, PageRequest::default())
            .await
            .expect("l")
            .total,
        2
    );
    assert!(
        store
            .get_job(mine[0], sa)
            .await
            .expect("get")
            .viewed_at
            .is_some()
    );
    store
        .update_job(
            mine[1],
            JobUpdate {
                status: Some(JobStatus::Cancelled),
                ..Default::default()
            },
        )
        .await
        .expect("cancel");
    let cancelled = JobFilter {
        status: Some(JobStatus::Cancelled),
        ..Default::default()
    };
    let l = store
        .list_jobs(sa, &cancelled, PageRequest::default())
        .await
        .expect("l");
    assert_eq!(
        l.items.iter().map(|j| j.id).collect::<Vec<_>>(),
        vec![mine[1]]
    );
    assert_eq!(
        store
            .list_jobs(Scope::All, &JobFilter::default(), PageRequest::new(1, 3))
            .await
            .expect("all")
            .total,
        4
    );
}

pub async fn audit_log_filters_and_pages(store: &dyn Store) {
    let actor = Uuid::new_v4();
    for i in 0..5 {
        store
            .append_audit(NewAuditEntry {
                actor_id: if i % 2 == 0 { Some(actor) } else { None },
                action: format!("thing.{}", if i < 3 { "create" } else { "delete" }),
                entity_type: "thing".into(),
                entity_id: Some(i.to_string()),
                ..Default::default()
            })
            .await
            .expect("append");
    }
    let by_actor = store
        .list_audit(
            &AuditFilter {
                actor_id: Some(actor),
                ..Default::default()
            },
            PageRequest::default(),
        )
        .await
        .expect("a");
    assert_eq!(by_actor.total, 3);
    let deletes = store
        .list_audit(
            &AuditFilter {
                action: Some("thing.delete".into()),
                ..Default::default()
            },
            PageRequest::default(),
        )
        .await
        .expect("d");
    assert_eq!(deletes.total, 2);
    let page = store
        .list_audit(
            &AuditFilter {
                entity_type: Some("thing".into()),
                ..Default::default()
            },
            PageRequest::new(1, 2),
        )
        .await
        .expect("p");
    assert_eq!((page.total, page.items.len()), (5, 2));
    // Newest first.
    assert_eq!(page.items[0].entity_id.as_deref(), Some("4"));

    // A date range: `from` inclusive, `to` exclusive.
    let all = store
        .list_audit(&AuditFilter::default(), PageRequest::default())
        .await
        .expect("all");
    let newest = all.items[0].at;
    let oldest = all.items[all.items.len() - 1].at;
    let range = |from, to| AuditFilter {
        from,
        to,
        ..Default::default()
    };
    let since_oldest = store
        .list_audit(&range(Some(oldest), None), PageRequest::default())
        .await
        .expect("from");
    assert_eq!(since_oldest.total, 5);
    let after_newest = store
        .list_audit(
            &range(Some(newest + chrono::Duration::milliseconds(1)), None),
            PageRequest::default(),
        )
        .await
        .expect("after");
    assert_eq!(after_newest.total, 0);
    let before_oldest = store
        .list_audit(&range(None, Some(oldest)), PageRequest::default())
        .await
        .expect("to");
    assert_eq!(before_oldest.total, 0);
    let window = store
        .list_audit(
            &range(
                Some(oldest - chrono::Duration::days(1)),
                Some(newest + chrono::Duration::days(1)),
            ),
            PageRequest::default(),
        )
        .await
        .expect("window");
    assert_eq!(window.total, 5);
}

pub async fn usage_counters_add_up_by_route_user_and_day(store: &dyn Store) {
    let user = store
        .create_user(NewUser {
            email: "usage@example.com".into(),
            display_name: "U".into(),
            password_hash: "x".into(),
            role: Role::User,
        })
        .await
        .expect("user");
    let key = |day: u32, route: &str, user_id: Option<Uuid>, status: u16| UsageKey {
        day: date(2026, 11, day),
        method: "GET".into(),
        route: route.into(),
        user_id,
        status,
    };
    store.record_usage(&[]).await.expect("empty batch");
    store
        .record_usage(&[
            (key(1, "/api/v1/invoices", Some(user.id), 200), 5),
            (key(1, "/api/v1/invoices", None, 401), 2),
            (key(2, "/api/v1/invoices/{id}", Some(user.id), 404), 1),
            (key(2, "/api/v1/invoices/{id}", Some(user.id), 500), 1),
        ])
        .await
        .expect("first flush");
    // A second flush adds to the same counters.
    store
        .record_usage(&[(key(1, "/api/v1/invoices", Some(user.id), 200), 3)])
        .await
        .expect("second flush");

    let r = store
        .usage_report(&UsageFilter::default())
        .await
        .expect("report");
    assert_eq!((r.total, r.client_errors, r.server_errors), (12, 3, 1));
    assert_eq!(r.by_route.len(), 2);
    assert_eq!(r.by_route[0].route, "/api/v1/invoices");
    assert_eq!(
        (r.by_route[0].requests, r.by_route[0].client_errors),
        (10, 2)
    );
    assert_eq!(r.by_route[1].server_errors, 1);
    assert_eq!(r.by_day.len(), 2);
    assert_eq!(
        (r.by_day[0].day, r.by_day[0].requests),
        (date(2026, 11, 1), 10)
    );
    assert_eq!(r.by_user.len(), 2);
    assert_eq!(r.by_user[0].user_id, Some(user.id));
    assert_eq!(r.by_user[0].email.as_deref(), Some("usage@example.com"));
    assert_eq!(r.by_user[0].requests, 10);
    assert_eq!((r.by_user[1].user_id, r.by_user[1].requests), (None, 2));

    let day2 = store
        .usage_report(&UsageFilter {
            from: Some(date(2026, 11, 2)),
            to: Some(date(2026, 11, 2)),
            ..Default::default()
        })
        .await
        .expect("day 2");
    assert_eq!(day2.total, 2);
    let by_user_and_route = store
        .usage_report(&UsageFilter {
            user_id: Some(user.id),
            route: Some("/api/v1/invoices".into()),
            ..Default::default()
        })
        .await
        .expect("user and route");
    assert_eq!(by_user_and_route.total, 8);
}

fn lease(secs: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now() + chrono::Duration::seconds(secs)
}

pub async fn queue_claims_each_job_once(store: &dyn Store) {
    let mut ids = Vec::new();
    for _ in 0..12 {
        ids.push(store.create_job(new_job(None, None)).await.expect("job").id);
    }
    // Six claimers race for twelve jobs, two rounds each.
    let claim = |w: usize| async move {
        let mut got = Vec::new();
        for _ in 0..3 {
            if let Some(j) = store
                .claim_next_job(&format!("w{w}"), lease(60))
                .await
                .expect("claim")
            {
                got.push(j.id);
            }
        }
        got
    };
    let results = futures::future::join_all((0..6).map(claim)).await;
    let mut claimed: Vec<Uuid> = results.into_iter().flatten().collect();
    claimed.sort();
    let before = claimed.len();
    claimed.dedup();
    assert_eq!(before, claimed.len(), "a job was claimed twice");
    let mut expected = ids.clone();
    expected.sort();
    assert_eq!(claimed, expected, "every job claimed");
    assert!(
        store
            .claim_next_job("w9", lease(60))
            .await
            .expect("claim")
            .is_none()
    );
    let job = store.get_job(ids[0], Scope::All).await.expect("get");
    assert_eq!(job.status, JobStatus::Running);
    assert_eq!(job.attempts, 1);
    assert!(job.lease_owner.is_some() && job.lease_until.is_some());
}

pub async fn queue_takes_over_expired_leases(store: &dyn Store) {
    let job = store.create_job(new_job(None, None)).await.expect("job");
    let first = store
        .claim_next_job("dead", lease(-1))
        .await
        .expect("claim")
        .expect("a job");
    assert_eq!(first.id, job.id);
    // The dead worker's lease has expired: another worker takes the job, counting an attempt.
    let second = store
        .claim_next_job("alive", lease(60))
        .await
        .expect("claim")
        .expect("taken over");
    assert_eq!((second.id, second.attempts), (job.id, 2));
    assert_eq!(second.lease_owner.as_deref(), Some("alive"));
    // The dead worker can neither renew nor release what it lost.
    assert!(
        !store
            .renew_job_lease(job.id, "dead", lease(60))
            .await
            .expect("renew")
    );
    assert!(!store.release_job(job.id, "dead").await.expect("release"));
    assert!(
        store
            .renew_job_lease(job.id, "alive", lease(120))
            .await
            .expect("renew")
    );
    // A live lease is not claimable by id either.
    assert!(
        store
            .claim_job(job.id, "third", lease(60))
            .await
            .expect("claim")
            .is_none()
    );
    // Release on shutdown gives the attempt back.
    assert!(store.release_job(job.id, "alive").await.expect("release"));
    let released = store.get_job(job.id, Scope::All).await.expect("get");
    assert_eq!((released.status, released.attempts), (JobStatus::Queued, 1));
    assert!(released.lease_owner.is_none());
    let again = store
        .claim_job(job.id, "third", lease(60))
        .await
        .expect("claim")
        .expect("queued job is claimable by id");
    assert_eq!(again.attempts, 2);
    // Finishing clears the lease; a finished job is never claimed again.
    let done = store
        .update_job(
            job.id,
            JobUpdate {
                status: Some(JobStatus::Succeeded),
                ..Default::default()
            },
        )
        .await
        .expect("finish");
    assert!(done.lease_owner.is_none() && done.lease_until.is_none());
    assert!(
        store
            .claim_job(job.id, "x", lease(60))
            .await
            .expect("claim")
            .is_none()
    );
}

pub async fn queue_reconciliation_queries(store: &dyn Store) {
    let a = store.create_job(new_job(None, None)).await.expect("job");
    let b = store.create_job(new_job(None, None)).await.expect("job");
    let c = store.create_job(new_job(None, None)).await.expect("job");
    store
        .claim_job(b.id, "dead", lease(-5))
        .await
        .expect("claim")
        .expect("b");
    store
        .claim_job(c.id, "alive", lease(60))
        .await
        .expect("claim")
        .expect("c");
    let stale = store.stale_queued_jobs(lease(1), 10).await.expect("stale");
    assert_eq!(stale, vec![a.id]);
    assert!(
        store
            .stale_queued_jobs(lease(-60), 10)
            .await
            .expect("stale")
            .is_empty()
    );
    let requeued = store
        .requeue_expired_jobs(chrono::Utc::now())
        .await
        .expect("requeue");
    assert_eq!(requeued, vec![b.id]);
    let b2 = store.get_job(b.id, Scope::All).await.expect("get");
    assert_eq!((b2.status, b2.attempts), (JobStatus::Queued, 1));
    let counts = store
        .count_jobs_by_status(Scope::All)
        .await
        .expect("counts");
    let count = |s| {
        counts
            .iter()
            .find(|(st, _)| *st == s)
            .map_or(0, |(_, n)| *n)
    };
    assert_eq!(
        (count(JobStatus::Queued), count(JobStatus::Running)),
        (2, 1)
    );
}

pub async fn workers_heartbeat_and_expire(store: &dyn Store) {
    let now = chrono::Utc::now();
    let beat = |id: &str, seen: chrono::DateTime<chrono::Utc>| WorkerHeartbeat {
        id: id.to_string(),
        host: "host-1".to_string(),
        pid: 42,
        concurrency: 2,
        queue: "sql".to_string(),
        current_jobs: vec![Uuid::nil()],
        started_at: now,
        last_seen: seen,
    };
    let old = now - chrono::Duration::seconds(600);
    store
        .record_worker_heartbeat(&beat("w-old", old), old - chrono::Duration::seconds(1))
        .await
        .expect("beat");
    store
        .record_worker_heartbeat(&beat("w-1", now), now - chrono::Duration::seconds(300))
        .await
        .expect("beat");
    // The second beat forgot the worker silent for ten minutes.
    let live = store
        .live_workers(old - chrono::Duration::seconds(10))
        .await
        .expect("live");
    assert_eq!(live.len(), 1);
    assert_eq!(live[0].id, "w-1");
    assert_eq!(live[0].current_jobs, vec![Uuid::nil()]);
    store
        .record_worker_heartbeat(
            &WorkerHeartbeat {
                current_jobs: vec![],
                ..beat("w-1", now)
            },
            old,
        )
        .await
        .expect("beat");
    assert!(
        store.live_workers(now).await.expect("live")[0]
            .current_jobs
            .is_empty()
    );
    store.remove_worker("w-1").await.expect("remove");
    assert!(store.live_workers(old).await.expect("live").is_empty());
}

pub async fn one_live_invoice_per_file_hash(store: &dyn Store) {
    let owner = user(store, "hash@example.com").await;
    let inv = sample_invoice("H-1", "Hash GmbH", None, rust_decimal_macros::dec!(10));
    let with_hash = |owner: Option<Uuid>| NewInvoice {
        file_sha256: Some("ab".repeat(32)),
        ..new_invoice(owner, inv.clone())
    };
    let first = store
        .insert_invoice(with_hash(Some(owner.id)))
        .await
        .expect("first");
    let err = store
        .insert_invoice(with_hash(Some(owner.id)))
        .await
        .expect_err("second");
    assert!(matches!(err, StoreError::Conflict { .. }), "{err:?}");
    // Another owner (and nobody) may hold the same bytes.
    let anon = store
        .insert_invoice(with_hash(None))
        .await
        .expect("anonymous");
    assert!(matches!(
        store.insert_invoice(with_hash(None)).await,
        Err(StoreError::Conflict { .. })
    ));
    assert_eq!(
        store
            .find_invoice_by_file_hash(Some(owner.id), &"ab".repeat(32))
            .await
            .expect("find"),
        Some(first.id)
    );
    assert_eq!(
        store
            .find_invoice_by_file_hash(None, &"ab".repeat(32))
            .await
            .expect("find"),
        Some(anon.id)
    );
    // Once deleted, the bytes may make a new invoice.
    store
        .soft_delete_invoice(first.id, Scope::All)
        .await
        .expect("delete");
    assert!(
        store
            .find_invoice_by_file_hash(Some(owner.id), &"ab".repeat(32))
            .await
            .expect("find")
            .is_none()
    );
    store
        .insert_invoice(with_hash(Some(owner.id)))
        .await
        .expect("after delete");
    // Lookup by job.
    let job = store.create_job(new_job(None, None)).await.expect("job");
    assert!(
        store
            .find_invoice_by_job(job.id)
            .await
            .expect("by job")
            .is_none()
    );
    let by_job = store
        .insert_invoice(NewInvoice {
            job_id: Some(job.id),
            ..new_invoice(None, inv.clone())
        })
        .await
        .expect("insert");
    assert_eq!(
        store
            .find_invoice_by_job(job.id)
            .await
            .expect("by job")
            .map(|i| i.id),
        Some(by_job.id)
    );
}

/// A review decision is a compare-and-set on the status: of two concurrent approvals exactly one
/// takes effect, a decision on an invoice already decided that way changes nothing, and another
/// owner's invoice is not found.
pub async fn review_decisions_are_taken_once(store: &dyn Store) {
    let owner = user(store, "owner@example.com").await;
    let other = user(store, "other@example.com").await;
    let inv = store
        .insert_invoice(new_invoice(
            Some(owner.id),
            sample_invoice("R-1", "S", None, dec!(10)),
        ))
        .await
        .expect("insert");
    let open = [InvoiceStatus::NeedsReview, InvoiceStatus::Rejected];
    let scope = Scope::admin_of(owner.id);
    let approve = || store.transition_invoice_status(inv.id, scope, &open, InvoiceStatus::Approved);
    let (a, b) = tokio::join!(approve(), approve());
    let moved: Vec<_> = [a.expect("a"), b.expect("b")]
        .into_iter()
        .flatten()
        .collect();
    assert_eq!(moved.len(), 1, "exactly one approval takes effect");
    assert_eq!(moved[0].status, InvoiceStatus::Approved);
    assert!(moved[0].updated_at >= inv.updated_at);
    // Approved already: not in `from`, nothing changes.
    assert!(approve().await.expect("again").is_none());
    assert!(matches!(
        store
            .transition_invoice_status(
                inv.id,
                Scope::admin_of(other.id),
                &[InvoiceStatus::Approved],
                InvoiceStatus::Rejected
            )
            .await,
        Err(StoreError::NotFound)
    ));
    let rejected = store
        .transition_invoice_status(
            inv.id,
            Scope::All,
            &[InvoiceStatus::Approved],
            InvoiceStatus::Rejected,
        )
        .await
        .expect("reject")
        .expect("moved");
    assert_eq!(rejected.status, InvoiceStatus::Rejected);
    assert_eq!(
        store.get_invoice(inv.id, scope).await.expect("get").status,
        InvoiceStatus::Rejected
    );
    store
        .soft_delete_invoice(inv.id, Scope::All)
        .await
        .expect("delete");
    assert!(matches!(
        store
            .transition_invoice_status(inv.id, Scope::All, &open, InvoiceStatus::Approved)
            .await,
        Err(StoreError::NotFound)
    ));
}

/// An invoice is assigned within its scope, listed by assignee, and unassigned again.
pub async fn invoices_are_assigned_and_listed_by_assignee(store: &dyn Store) {
    let owner = user(store, "assign-owner@example.com").await;
    let reviewer = user(store, "assign-reviewer@example.com").await;
    let other = user(store, "assign-other@example.com").await;
    let inv = store
        .insert_invoice(new_invoice(
            Some(owner.id),
            sample_invoice("AS-1", "S", None, dec!(5)),
        ))
        .await
        .expect("insert");
    assert_eq!(inv.assignee_id, None);
    let assigned = store
        .assign_invoice(inv.id, Scope::admin_of(owner.id), Some(reviewer.id))
        .await
        .expect("assign");
    assert_eq!(assigned.assignee_id, Some(reviewer.id));
    assert!(matches!(
        store
            .assign_invoice(inv.id, Scope::admin_of(other.id), None)
            .await,
        Err(StoreError::NotFound)
    ));
    let by_reviewer = |id| InvoiceFilter {
        assignee_id: Some(id),
        ..Default::default()
    };
    let page = store
        .list_invoices(
            Scope::All,
            &by_reviewer(reviewer.id),
            PageRequest::default(),
        )
        .await
        .expect("list");
    assert_eq!(page.total, 1);
    assert_eq!(page.items[0].assignee_id, Some(reviewer.id));
    assert_eq!(
        store
            .list_invoices(Scope::All, &by_reviewer(other.id), PageRequest::default())
            .await
            .expect("list")
            .total,
        0
    );
    let cleared = store
        .assign_invoice(inv.id, Scope::All, None)
        .await
        .expect("unassign");
    assert_eq!(cleared.assignee_id, None);
}

/// The worker monitor's queries: dead letters (failed with every attempt used), retrying one
/// failed job, requeuing every dead letter, and the jobs that ended in a window.
pub async fn monitor_retries_and_requeues_dead_letters(store: &dyn Store) {
    let started = chrono::Utc::now() - chrono::Duration::seconds(1);
    let mut one_attempt = new_job(None, None);
    one_attempt.max_attempts = 1;
    let dead = store.create_job(one_attempt).await.expect("job");
    let failed = store.create_job(new_job(None, None)).await.expect("job");
    let done = store.create_job(new_job(None, None)).await.expect("job");
    let waiting = store.create_job(new_job(None, None)).await.expect("job");
    for (job, to) in [
        (&dead, JobStatus::Failed),
        (&failed, JobStatus::Failed),
        (&done, JobStatus::Succeeded),
    ] {
        store
            .claim_job(job.id, "w", lease(60))
            .await
            .expect("claim")
            .expect("claimable");
        let fail = to == JobStatus::Failed;
        store
            .update_job(
                job.id,
                JobUpdate {
                    status: Some(to),
                    stage: Some(JobStage::Extract),
                    error_code: fail.then(|| "invalid_xml".to_string()),
                    error: fail.then(|| "broken".to_string()),
                    ..Default::default()
                },
            )
            .await
            .expect("settle");
    }
    assert_eq!(store.count_dead_letters().await.expect("count"), 1);

    let ended = store
        .jobs_finished_since(started, 100)
        .await
        .expect("finished");
    let mut statuses: Vec<JobStatus> = ended.iter().map(|(s, _)| *s).collect();
    statuses.sort_by_key(|s| s.as_str());
    assert_eq!(
        statuses,
        vec![JobStatus::Failed, JobStatus::Failed, JobStatus::Succeeded]
    );
    assert!(ended.iter().all(|(_, at)| *at >= started));
    assert!(
        store
            .jobs_finished_since(chrono::Utc::now() + chrono::Duration::minutes(1), 100)
            .await
            .expect("finished")
            .is_empty()
    );
    assert_eq!(
        store
            .jobs_finished_since(started, 1)
            .await
            .expect("limit")
            .len(),
        1
    );

    // Retry: back to queued as new, claimable again.
    let retried = store.retry_failed_job(failed.id).await.expect("retry");
    assert_eq!(retried.status, JobStatus::Queued);
    assert_eq!(retried.attempts, 0);
    assert!(retried.error.is_none() && retried.error_code.is_none());
    assert!(retried.stage.is_none() && retried.finished_at.is_none());
    assert!(retried.started_at.is_none() && retried.lease_owner.is_none());
    assert_eq!(retried.progress, 0);
    for other in [done.id, waiting.id, retried.id] {
        assert!(
            matches!(
                store.retry_failed_job(other).await,
                Err(StoreError::InvalidState(_))
            ),
            "only a failed job is retried"
        );
    }
    assert!(matches!(
        store.retry_failed_job(Uuid::new_v4()).await,
        Err(StoreError::NotFound)
    ));

    // Requeue the dead letters: only the job that used its attempts.
    assert_eq!(
        store.requeue_dead_letters(100).await.expect("requeue"),
        vec![dead.id]
    );
    assert_eq!(store.count_dead_letters().await.expect("count"), 0);
    let back = store.get_job(dead.id, Scope::All).await.expect("get");
    assert_eq!((back.status, back.attempts), (JobStatus::Queued, 0));
    assert!(
        store
            .requeue_dead_letters(100)
            .await
            .expect("requeue")
            .is_empty()
    );
    let again = store
        .claim_job(dead.id, "w2", lease(60))
        .await
        .expect("claim")
        .expect("a requeued job is claimable");
    assert_eq!(again.attempts, 1);
}

/// The review page's previous/next: the invoices waiting around one, in upload order, wrapping
/// round, within the caller's scope, never the invoice itself.
pub async fn review_neighbours_wrap_round_the_queue(store: &dyn Store) {
    let owner = user(store, "queue-owner@example.com").await;
    let other = user(store, "queue-other@example.com").await;
    let scope = Scope::admin_of(owner.id);
    let mut waiting = Vec::new();
    for n in 0..3 {
        let inv = store
            .insert_invoice(new_invoice(
                Some(owner.id),
                sample_invoice(&format!("Q-{n}"), "S", None, dec!(5)),
            ))
            .await
            .expect("insert");
        waiting.push(inv);
    }
    let mut approved = new_invoice(Some(owner.id), sample_invoice("Q-done", "S", None, dec!(5)));
    approved.status = InvoiceStatus::Approved;
    let done = store.insert_invoice(approved).await.expect("insert");
    // The queue's order, as the store keeps it (ties in time broken by id).
    waiting.sort_by_key(|i| (i.created_at, i.id));
    let [a, b, c] = [waiting[0].id, waiting[1].id, waiting[2].id];
    let around = |id| async move {
        store
            .review_neighbours(id, scope)
            .await
            .expect("neighbours")
    };
    let pair = |previous, next| ReviewNeighbours {
        previous: Some(previous),
        next: Some(next),
    };
    assert_eq!(
        around(a).await,
        pair(c, b),
        "the first wraps back to the last"
    );
    assert_eq!(around(b).await, pair(a, c));
    assert_eq!(
        around(c).await,
        pair(b, a),
        "the last wraps on to the first"
    );
    // An invoice no longer waiting (just approved, uploaded last) still has its place.
    assert_eq!(around(done.id).await, pair(c, a));
    // Another workspace sees none of them.
    assert_eq!(
        store
            .review_neighbours(a, Scope::admin_of(other.id))
            .await
            .expect("neighbours"),
        ReviewNeighbours::default()
    );
    // The only one waiting has no other.
    for id in [b, c] {
        store
            .update_invoice(
                id,
                scope,
                InvoiceUpdate {
                    status: Some(InvoiceStatus::Approved),
                    ..Default::default()
                },
            )
            .await
            .expect("approve");
    }
    assert_eq!(around(a).await, ReviewNeighbours::default());
}
