//! Reports: records with their files (their creator's; gone with their files on delete or
//! after retention), templates, and the facts reports are computed from (in scope, filtered,
//! with the values kept inside the invoice's JSON).

use chrono::{Duration, Utc};
use doxin_model::{Extracted, JobStatus, VatBreakdown};
use doxin_store::*;
use rust_decimal_macros::dec;
use serde_json::json;

use crate::stories::{date, new_invoice, sample_invoice, user};

fn new_report(by: uuid::Uuid, title: &str) -> NewReport {
    NewReport {
        created_by: by,
        workspace_id: Some(by),
        title: title.to_string(),
        report_type: "ap_aging".into(),
        parameters: json!({"currency": "EUR"}),
        formats: vec!["xlsx".into(), "csv".into()],
    }
}

fn file(format: &str, bytes: &[u8]) -> ReportFile {
    ReportFile {
        info: ReportFileInfo {
            format: format.into(),
            content_type: "text/csv".into(),
            filename: format!("r.{format}"),
            size_bytes: bytes.len() as u64,
            sha256: doxin_store::files::sha256_hex(bytes),
        },
        content: bytes.to_vec(),
    }
}

pub async fn report_records_belong_to_their_creator(store: &dyn Store) {
    let alice = user(store, "alice@example.com").await;
    let bob = user(store, "bob@example.com").await;
    let r = store
        .create_report(new_report(alice.id, "Aging"))
        .await
        .expect("create");
    assert_eq!(r.status, JobStatus::Queued);
    assert_eq!(r.formats, ["xlsx", "csv"]);
    assert_eq!(r.parameters, json!({"currency": "EUR"}));
    store
        .create_report(new_report(bob.id, "Bob's"))
        .await
        .expect("create");

    let mine = ReportOwner::User(alice.id);
    assert_eq!(store.get_report(r.id, mine).await.expect("own").id, r.id);
    assert!(matches!(
        store.get_report(r.id, ReportOwner::User(bob.id)).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        store
            .list_reports(mine, PageRequest::default())
            .await
            .expect("list")
            .total,
        1
    );
    assert_eq!(
        store
            .list_reports(ReportOwner::All, PageRequest::default())
            .await
            .expect("all")
            .total,
        2
    );

    // Running stamps the start; finishing stamps the end and freezes the record.
    let running = store
        .update_report(
            r.id,
            ReportUpdate {
                status: Some(JobStatus::Running),
                ..Default::default()
            },
        )
        .await
        .expect("running");
    assert!(running.started_at.is_some() && running.finished_at.is_none());
    store
        .save_report_files(
            r.id,
            vec![file("csv", b"a,b\n1,2\n"), file("xlsx", b"PK..")],
        )
        .await
        .expect("files");
    // Saving again replaces, never adds.
    store
        .save_report_files(
            r.id,
            vec![file("csv", b"a,b\n3,4\n"), file("xlsx", b"PK..")],
        )
        .await
        .expect("files again");
    let done = store
        .update_report(
            r.id,
            ReportUpdate {
                status: Some(JobStatus::Succeeded),
                summary: Some(json!({"total": "12.50"})),
                ..Default::default()
            },
        )
        .await
        .expect("done");
    assert!(done.finished_at.is_some());
    assert_eq!(done.summary, Some(json!({"total": "12.50"})));
    assert_eq!(
        done.files
            .iter()
            .map(|f| f.format.as_str())
            .collect::<Vec<_>>(),
        ["csv", "xlsx"]
    );
    assert!(matches!(
        store
            .update_report(
                r.id,
                ReportUpdate {
                    status: Some(JobStatus::Failed),
                    ..Default::default()
                }
            )
            .await,
        Err(StoreError::InvalidState(_))
    ));
    let csv = store.get_report_file(r.id, mine, "csv").await.expect("csv");
    assert_eq!(csv.content, b"a,b\n3,4\n");
    assert_eq!(csv.info.size_bytes, 8);
    assert!(matches!(
        store
            .get_report_file(r.id, ReportOwner::User(bob.id), "csv")
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.get_report_file(r.id, mine, "pdf").await,
        Err(StoreError::NotFound)
    ));

    // Another user cannot delete it; its creator can, and its files go with it.
    assert!(matches!(
        store.delete_report(r.id, ReportOwner::User(bob.id)).await,
        Err(StoreError::NotFound)
    ));
    store.delete_report(r.id, mine).await.expect("delete");
    assert!(matches!(
        store.get_report_file(r.id, ReportOwner::All, "csv").await,
        Err(StoreError::NotFound)
    ));

    // Retention takes finished reports created before the cut-off, never running ones.
    let old = store
        .create_report(new_report(alice.id, "Old"))
        .await
        .expect("old");
    store
        .update_report(
            old.id,
            ReportUpdate {
                status: Some(JobStatus::Failed),
                error: Some("boom".into()),
                ..Default::default()
            },
        )
        .await
        .expect("failed");
    assert_eq!(
        store
            .delete_reports_before(Utc::now() - Duration::days(1))
            .await
            .expect("none yet"),
        0
    );
    // Bob's report is still queued: kept.
    assert_eq!(
        store
            .delete_reports_before(Utc::now() + Duration::seconds(5))
            .await
            .expect("retention"),
        1
    );
    assert_eq!(
        store
            .list_reports(ReportOwner::All, PageRequest::default())
            .await
            .expect("all")
            .total,
        1
    );

    // Templates: per user.
    let t = store
        .create_report_template(NewReportTemplate {
            created_by: alice.id,
            name: "Monthly VAT".into(),
            report_type: "vat_summary".into(),
            parameters: json!({"period": "month"}),
            formats: vec!["csv".into()],
        })
        .await
        .expect("template");
    assert_eq!(
        store
            .get_report_template(t.id, mine)
            .await
            .expect("own")
            .name,
        "Monthly VAT"
    );
    assert!(matches!(
        store
            .get_report_template(t.id, ReportOwner::User(bob.id))
            .await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        store
            .list_report_templates(ReportOwner::User(bob.id), PageRequest::default())
            .await
            .expect("bob's")
            .total,
        0
    );
    assert!(matches!(
        store
            .delete_report_template(t.id, ReportOwner::User(bob.id))
            .await,
        Err(StoreError::NotFound)
    ));
    store
        .delete_report_template(t.id, mine)
        .await
        .expect("delete template");
    assert_eq!(
        store
            .list_report_templates(mine, PageRequest::default())
            .await
            .expect("none")
            .total,
        0
    );
}

pub async fn report_facts_come_from_the_scope_and_the_invoice_json(store: &dyn Store) {
    let alice = user(store, "alice@example.com").await;
    let bob = user(store, "bob@example.com").await;
    let vendor = store
        .upsert_company(NewCompany {
            workspace_id: Some(alice.id),
            kind: CompanyKind::Vendor,
            name: "Acme GmbH".into(),
            vat_id: None,
            tax_number: None,
            country: None,
            address: json!({}),
        })
        .await
        .expect("company");

    let mut a = sample_invoice("A-1", "Acme GmbH", None, dec!(119.00));
    a.totals.tax_exclusive_amount = Some(Extracted::xml(dec!(100.00)));
    a.totals.tax_amount = Some(Extracted::xml(dec!(19.00)));
    a.legacy.payment_status = Some(Extracted::human("open".to_string()));
    a.legacy.territory = Some(Extracted::human("DE".to_string()));
    a.vat_breakdown = vec![
        VatBreakdown {
            category: Some(Extracted::xml("S".to_string())),
            rate: Some(Extracted::xml(dec!(19))),
            taxable_amount: Some(Extracted::xml(dec!(80.00))),
            tax_amount: Some(Extracted::xml(dec!(15.20))),
            ..VatBreakdown::default()
        },
        VatBreakdown {
            category: Some(Extracted::xml("S".to_string())),
            rate: Some(Extracted::xml(dec!(7))),
            taxable_amount: Some(Extracted::xml(dec!(20.00))),
            tax_amount: Some(Extracted::xml(dec!(1.40))),
            ..VatBreakdown::default()
        },
    ];
    let mut new = new_invoice(Some(alice.id), a);
    new.vendor_id = Some(vendor.id);
    new.status = InvoiceStatus::Approved;
    store.insert_invoice(new).await.expect("a");

    let mut b = sample_invoice("B-1", "Other Ltd", None, dec!(50.00));
    b.currency = Some(Extracted::xml("GBP".to_string()));
    b.issue_date = Some(Extracted::xml(date(2025, 12, 1)));
    store
        .insert_invoice(new_invoice(Some(alice.id), b))
        .await
        .expect("b");
    // Bob's invoice is never in Alice's facts.
    store
        .insert_invoice(new_invoice(
            Some(bob.id),
            sample_invoice("C-1", "Acme GmbH", None, dec!(1.00)),
        ))
        .await
        .expect("c");

    let scope = Scope::admin_of(alice.id);
    let with_legacy = ReportFilter {
        legacy_fields: true,
        ..Default::default()
    };
    let all = store
        .report_invoices(scope, &with_legacy)
        .await
        .expect("facts");
    assert_eq!(all.len(), 2);
    // By issue date: B (2025-12-01) first.
    assert_eq!(all[0].invoice_number.as_deref(), Some("B-1"));
    let a = &all[1];
    assert_eq!(a.status, InvoiceStatus::Approved);
    assert_eq!(a.gross, Some(dec!(119.00)));
    assert_eq!(a.net, Some(dec!(100.00)));
    assert_eq!(a.due_date, Some(date(2026, 4, 13)));
    assert_eq!(a.payment_status.as_deref(), Some("open"));
    assert_eq!(a.territory.as_deref(), Some("DE"));
    assert_eq!(a.salesperson, None);
    assert_eq!(all[0].payment_status, None);
    // Without asking, the document is not read.
    let plain = store
        .report_invoices(scope, &ReportFilter::default())
        .await
        .expect("plain facts");
    assert_eq!(plain[1].gross, Some(dec!(119.00)));
    assert_eq!(plain[1].payment_status, None);

    let only = |f: ReportFilter| async move {
        store
            .report_invoices(scope, &f)
            .await
            .expect("filtered")
            .into_iter()
            .map(|i| i.invoice_number.unwrap_or_default())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        only(ReportFilter {
            currency: Some("GBP".into()),
            ..Default::default()
        })
        .await,
        ["B-1"]
    );
    assert_eq!(
        only(ReportFilter {
            range: DateRange {
                from: Some(date(2026, 1, 1)),
                to: None
            },
            ..Default::default()
        })
        .await,
        ["A-1"]
    );
    assert_eq!(
        only(ReportFilter {
            companies: vec![vendor.id],
            ..Default::default()
        })
        .await,
        ["A-1"]
    );
    assert_eq!(
        store
            .report_invoices(Scope::All, &ReportFilter::default())
            .await
            .expect("everything")
            .len(),
        3
    );

    let mut vat = store
        .report_vat_rows(scope, &ReportFilter::default())
        .await
        .expect("vat rows");
    vat.sort_by_key(|v| v.rate);
    assert_eq!(vat.len(), 2, "{vat:?}");
    assert_eq!(vat[0].rate, Some(dec!(7)));
    assert_eq!(vat[0].taxable, Some(dec!(20.00)));
    assert_eq!(vat[1].category.as_deref(), Some("S"));
    assert_eq!(vat[1].tax, Some(dec!(15.20)));
    assert_eq!(vat[1].currency.as_deref(), Some("EUR"));
    assert_eq!(vat[1].issue_date, Some(date(2026, 3, 14)));
}
