//! The review workflow's pages and the page-image API over HTTP: page images rendered and
//! cached, the review page's field boxes, corrections and decisions by form (as without
//! JavaScript), and the invoice detail page. Invoices are real generated PDFs whose extracted
//! values carry their page and box (`doxin_synth`), stored beside their invoice in the app's
//! own store.

use reqwest::StatusCode;
use rust_decimal::Decimal;

use crate::helpers::{TestApp, TestUser, spawn_app};
use crate::web::{Browser, location};

/// An invoice needing review, made from generated invoice `seed` with its PDF as the file;
/// `tweak` changes the canonical invoice first (findings are computed from the result).
async fn pdf_invoice(
    app: &TestApp,
    user: &TestUser,
    seed: u64,
    tweak: impl FnOnce(&mut doxin_model::Invoice),
) -> uuid::Uuid {
    let synth = doxin_synth::generate(seed, &doxin_synth::Spec::default());
    let mut invoice = as_read(synth.truth);
    tweak(&mut invoice);
    let findings =
        doxin_model::validate_report(&invoice, &doxin_model::Tolerance::default()).findings;
    let blob = app.files.put(&synth.pdf).await.expect("put pdf");
    let file = app
        .store
        .insert_file(doxin_store::NewFile {
            owner_id: Some(user.id),
            workspace_id: Some(user.id),
            sha256: blob.sha256.clone(),
            size_bytes: synth.pdf.len() as i64,
            mime_type: "application/pdf".into(),
            original_name: format!("invoice-{seed}.pdf"),
            page_count: Some(1),
        })
        .await
        .expect("insert file");
    app.store
        .insert_invoice(doxin_store::NewInvoice {
            owner_id: Some(user.id),
            workspace_id: Some(user.id),
            file_id: Some(file.id),
            job_id: None,
            status: doxin_store::InvoiceStatus::NeedsReview,
            confidence: 0.8,
            invoice,
            findings,
            vendor_id: None,
            customer_id: None,
            duplicate_of: None,
            file_sha256: Some(blob.sha256),
        })
        .await
        .expect("insert invoice")
        .id
}

/// The generated truth (every value a person's) as the text layer would have read it.
fn as_read(truth: doxin_model::Invoice) -> doxin_model::Invoice {
    fn walk(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(o) => {
                if o.get("source").and_then(|s| s.as_str()) == Some("human") {
                    o.insert("source".into(), "text".into());
                    o.insert("confidence".into(), serde_json::json!(0.9));
                }
                o.values_mut().for_each(walk);
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(walk),
            _ => {}
        }
    }
    let mut v = serde_json::to_value(truth).expect("json");
    walk(&mut v);
    serde_json::from_value(v).expect("invoice")
}

/// An invoice whose only document is an XML e-invoice (no page image, unless `pdf` is
/// embedded in it).
async fn xml_invoice(app: &TestApp, user: &TestUser, pdf: Option<&[u8]>) -> uuid::Uuid {
    use base64::Engine;
    let attachment = pdf.map_or_else(String::new, |pdf| {
        format!(
            "<cac:AdditionalDocumentReference><cbc:ID>1</cbc:ID><cac:Attachment>\
             <cbc:EmbeddedDocumentBinaryObject mimeCode=\"application/pdf\" filename=\"i.pdf\">{}\
             </cbc:EmbeddedDocumentBinaryObject></cac:Attachment></cac:AdditionalDocumentReference>",
            base64::engine::general_purpose::STANDARD.encode(pdf)
        )
    });
    let xml = format!(
        r#"<?xml version="1.0"?>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
 xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
 xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
<cbc:ID>X-1</cbc:ID>{attachment}</Invoice>"#
    );
    let xml = xml.as_bytes();
    let blob = app.files.put(xml).await.expect("put xml");
    let file = app
        .store
        .insert_file(doxin_store::NewFile {
            owner_id: Some(user.id),
            workspace_id: Some(user.id),
            sha256: blob.sha256.clone(),
            size_bytes: xml.len() as i64,
            mime_type: "application/xml".into(),
            original_name: "x.xml".into(),
            page_count: None,
        })
        .await
        .expect("insert file");
    let mut invoice = doxin_synth::generate(3, &doxin_synth::Spec::default()).truth;
    invoice.syntax = Some(doxin_model::invoice::Syntax::Ubl);
    app.store
        .insert_invoice(doxin_store::NewInvoice {
            owner_id: Some(user.id),
            workspace_id: Some(user.id),
            file_id: Some(file.id),
            job_id: None,
            status: doxin_store::InvoiceStatus::NeedsReview,
            confidence: 0.99,
            invoice,
            findings: vec![],
            vendor_id: None,
            customer_id: None,
            duplicate_of: None,
            file_sha256: Some(blob.sha256),
        })
        .await
        .expect("insert invoice")
        .id
}

fn gross(inv: &doxin_model::Invoice) -> Decimal {
    inv.totals
        .tax_inclusive_amount
        .as_ref()
        .expect("gross total")
        .value
}

async fn sha_of(app: &TestApp, id: uuid::Uuid) -> String {
    let inv = app
        .store
        .get_invoice(id, doxin_store::Scope::All)
        .await
        .expect("invoice");
    app.store
        .get_file(inv.file_id.expect("file"), doxin_store::Scope::All)
        .await
        .expect("file")
        .sha256
}

#[tokio::test]
async fn web_review_a_pdf_page_is_rendered_once_and_then_served_from_the_file_store() {
    let app = spawn_app().await;
    let id = pdf_invoice(&app, &app.user, 11, |_| {}).await;
    let path = format!("/api/v1/invoices/{id}/pages/1");
    let resp = app.get(&path).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "image/png");
    let cache = resp.headers()["cache-control"].to_str().expect("header");
    assert!(
        cache.contains("private") && cache.contains("max-age"),
        "{cache}"
    );
    let png = resp.bytes().await.expect("body");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "PNG magic");

    // The render is kept beside the document, by its hash, page and resolution…
    let sha = sha_of(&app, id).await;
    let kept = app
        .files
        .get_derived(&sha, "page-1-144.png")
        .await
        .expect("read cache")
        .expect("the render is cached");
    assert_eq!(kept, png.to_vec());
    // …and a second request is answered from there, not rendered again: replace the cached
    // render with a marker image and get the marker back.
    let mut marker = Vec::new();
    image::DynamicImage::new_rgb8(3, 2)
        .write_to(
            &mut std::io::Cursor::new(&mut marker),
            image::ImageFormat::Png,
        )
        .expect("marker png");
    app.files
        .put_derived(&sha, "page-1-144.png", &marker)
        .await
        .expect("replace cache");
    let again = app.get(&path).await.bytes().await.expect("body");
    assert_eq!(again.to_vec(), marker, "served from the cache");

    // The page list tells the page's size in the boxes' units (points).
    app.files
        .put_derived(&sha, "page-1-144.png", &png)
        .await
        .expect("restore cache");
    let pages: serde_json::Value = app
        .get(&format!("/api/v1/invoices/{id}/pages"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(pages["kind"], "pdf");
    assert_eq!(pages["has_image"], true);
    assert_eq!(pages["page_count"], 1);
    assert_eq!(pages["unit"], "pt");
    let w = pages["pages"][0]["width"].as_f64().expect("width");
    assert!(
        (500.0..700.0).contains(&w),
        "A4 or letter width in points: {w}"
    );

    // Past the last page.
    let resp = app.get(&format!("/api/v1/invoices/{id}/pages/2")).await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn web_review_page_images_are_private_and_xml_has_none() {
    let app = spawn_app().await;
    let id = pdf_invoice(&app, &app.user, 12, |_| {}).await;
    let other = app.create_user("other@example.com", false).await;
    let resp = app
        .req(
            reqwest::Method::GET,
            &format!("/api/v1/invoices/{id}/pages/1"),
            Some(&other),
        )
        .send()
        .await
        .expect("request");
    assert_eq!(
        resp.status(),
        StatusCode::NOT_FOUND,
        "another user's invoice"
    );
    let resp = app
        .req(
            reqwest::Method::GET,
            &format!("/api/v1/invoices/{id}/pages"),
            Some(&other),
        )
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);

    let xml = xml_invoice(&app, &app.user, None).await;
    let resp = app.get(&format!("/api/v1/invoices/{xml}/pages/1")).await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let problem: serde_json::Value = resp.json().await.expect("problem");
    assert_eq!(problem["code"], "no_page_image");
    let pages: serde_json::Value = app
        .get(&format!("/api/v1/invoices/{xml}/pages"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(pages["has_image"], false);
    assert_eq!(pages["pages"], serde_json::json!([]));

    // The review page of an XML e-invoice shows its fields without a page.
    let mut b = Browser::signed_in(&app, &app.user).await;
    let html = b.page(&format!("/review/{xml}")).await;
    assert!(html.contains("no page image"), "{html}");
    assert!(!html.contains("class=\"page\""));
    assert!(html.contains("name=\"gross_amount\""));
}

#[tokio::test]
async fn web_review_the_review_page_draws_field_boxes_over_the_page() {
    let app = spawn_app().await;
    let id = pdf_invoice(&app, &app.user, 13, |_| {}).await;
    let mut b = Browser::signed_in(&app, &app.user).await;
    let html = b.page(&format!("/review/{id}")).await;
    assert!(
        html.contains(&format!("src=\"/api/v1/invoices/{id}/pages/1\"")),
        "page image"
    );
    assert!(html.contains("<svg viewBox=\"0 0 "), "{html}");
    assert!(html.contains("<rect data-field=\"gross_amount\""), "{html}");
    assert!(html.contains("<rect data-field=\"invoice_number\""));
    assert!(html.contains("name=\"gross_amount\""));
    for id in [
        "id=\"save\"",
        "id=\"approve\"",
        "id=\"reject\"",
        "id=\"approve-next\"",
    ] {
        assert!(html.contains(id), "{id}");
    }
    assert!(html.contains("<dialog id=\"shortcuts\""));
    assert!(html.contains("<ul id=\"findings\""));
    assert!(!html.contains("style="), "no inline styles (CSP)");
    // The page image the page points at is served to the same browser session.
    let resp = b.get(&format!("/api/v1/invoices/{id}/pages/1")).await;
    assert_eq!(resp.status(), StatusCode::OK);

    // The queue links to it.
    let queue = b.page("/review").await;
    assert!(queue.contains(&format!("href=\"/review/{id}\"")), "{queue}");
}

#[tokio::test]
async fn web_review_correcting_the_total_by_form_removes_its_finding() {
    let app = spawn_app().await;
    let mut right = Decimal::ZERO;
    let id = pdf_invoice(&app, &app.user, 14, |inv| {
        right = gross(inv);
        let wrong = right + Decimal::new(1000, 2);
        if let Some(g) = inv.totals.tax_inclusive_amount.as_mut() {
            g.value = wrong;
        }
        if let Some(p) = inv.totals.payable_amount.as_mut() {
            p.value = right;
        }
    })
    .await;
    let mut b = Browser::signed_in(&app, &app.user).await;
    let html = b.page(&format!("/review/{id}")).await;
    assert!(
        html.contains("class=\"finding error\" data-code=\"BR-CO-15\""),
        "the wrong total is a finding: {html}"
    );
    assert!(html.contains("data-field=\"gross_amount\" id=\"why-gross_amount\""));

    let resp = b
        .post_form(
            &format!("/review/{id}"),
            &[
                ("_csrf", &b.csrf()),
                ("action", "save"),
                ("gross_amount", &right.to_string()),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&resp), format!("/review/{id}?done=saved"));
    let html = b.page(&location(&resp)).await;
    assert!(!html.contains("data-code=\"BR-CO-15\""), "{html}");
    assert!(!html.contains("class=\"finding"), "no finding remains");
    assert!(html.contains("Saved."));

    // Only the corrected value became a person's; the rest kept its provenance and box.
    let inv = app
        .store
        .get_invoice(id, doxin_store::Scope::All)
        .await
        .expect("invoice");
    let g = inv.invoice.totals.tax_inclusive_amount.expect("gross");
    assert_eq!(g.value, right);
    assert_eq!(g.source, doxin_model::Source::Human);
    assert!(g.bbox.is_some(), "the box stays");
    let n = inv.invoice.invoice_number.expect("number");
    assert_ne!(n.source, doxin_model::Source::Human);

    // The history shows the edit with the value before and after.
    let history: serde_json::Value = app
        .get(&format!("/api/v1/invoices/{id}/history"))
        .await
        .json()
        .await
        .expect("history");
    let edit = history["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|e| e["action"] == "invoice.update")
        .expect("edit in history");
    assert_eq!(edit["changes"][0]["field"], "totals.tax_inclusive_amount");
    assert_eq!(edit["changes"][0]["after"], right.to_string());

    // A value the API cannot read is shown as its refusal, not a crash.
    let resp = b
        .post_form(
            &format!("/review/{id}"),
            &[
                ("_csrf", &b.csrf()),
                ("action", "save"),
                ("issue_date", "31/31/2026"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = resp.text().await.expect("body");
    assert!(html.contains("alert-error"), "{html}");
}

#[tokio::test]
async fn web_review_approving_by_form_decides_and_writes_history() {
    let app = spawn_app().await;
    let id = pdf_invoice(&app, &app.user, 15, |_| {}).await;
    let mut b = Browser::signed_in(&app, &app.user).await;
    b.page(&format!("/review/{id}")).await;
    let resp = b
        .post_form(
            &format!("/review/{id}"),
            &[("_csrf", &b.csrf()), ("action", "approve")],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    // The queue is empty now: to the invoice's own page, which shows it approved.
    let to = location(&resp);
    assert_eq!(to, format!("/invoices/{id}?done=approved"));
    let html = b.page(&to).await;
    assert!(html.contains("status-approved"), "{html}");
    assert!(html.contains("you</strong> approved"), "history: {html}");
    let history: serde_json::Value = app
        .get(&format!("/api/v1/invoices/{id}/history"))
        .await
        .json()
        .await
        .expect("history");
    assert!(
        history["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|e| e["action"] == "invoice.approve" && e["to_status"] == "approved")
    );

    // Approve and next goes to the next invoice waiting.
    let a = pdf_invoice(&app, &app.user, 16, |_| {}).await;
    let c = pdf_invoice(&app, &app.user, 17, |_| {}).await;
    let resp = b
        .post_form(
            &format!("/review/{a}"),
            &[("_csrf", &b.csrf()), ("action", "approve_next")],
        )
        .await;
    assert_eq!(location(&resp), format!("/review/{c}?done=approved"));

    // Findings left: approving needs an override reason.
    let bad = pdf_invoice(&app, &app.user, 18, |inv| {
        if let Some(g) = inv.totals.tax_inclusive_amount.as_mut() {
            g.value += Decimal::ONE;
        }
    })
    .await;
    let resp = b
        .post_form(
            &format!("/review/{bad}"),
            &[("_csrf", &b.csrf()), ("action", "approve")],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = resp.text().await.expect("body");
    assert!(html.contains("override"), "{html}");
    assert!(html.contains("id=\"override_reason\""));
    let resp = b
        .post_form(
            &format!("/review/{bad}"),
            &[
                ("_csrf", &b.csrf()),
                ("action", "override"),
                ("override_reason", "Agreed with the vendor by phone"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn web_review_rejecting_needs_a_reason() {
    let app = spawn_app().await;
    let id = pdf_invoice(&app, &app.user, 19, |_| {}).await;
    let mut b = Browser::signed_in(&app, &app.user).await;
    b.page("/review").await;
    let resp = b
        .post_form(
            &format!("/review/{id}"),
            &[("_csrf", &b.csrf()), ("action", "reject"), ("reason", " ")],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        resp.text()
            .await
            .expect("body")
            .contains("A rejection needs a reason")
    );
    let inv = app
        .store
        .get_invoice(id, doxin_store::Scope::All)
        .await
        .expect("invoice");
    assert_eq!(inv.status, doxin_store::InvoiceStatus::NeedsReview);

    let resp = b
        .post_form(
            &format!("/review/{id}"),
            &[
                ("_csrf", &b.csrf()),
                ("action", "reject"),
                ("reason", "Not our order"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let html = b.page(&format!("/invoices/{id}")).await;
    assert!(html.contains("status-rejected"));
    assert!(html.contains("Reason: Not our order"), "{html}");

    // A form without the session's token is refused.
    let resp = b
        .post_form(
            &format!("/review/{id}"),
            &[("_csrf", "forged"), ("action", "approve")],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn web_review_another_users_invoice_is_a_404_page() {
    let app = spawn_app().await;
    let id = pdf_invoice(&app, &app.user, 20, |_| {}).await;
    let other = app.create_user("stranger@example.com", false).await;
    let mut b = Browser::signed_in(&app, &other).await;
    for path in [format!("/review/{id}"), format!("/invoices/{id}")] {
        let resp = b.get(&path).await;
        assert_eq!(resp.status(), StatusCode::NOT_FOUND, "{path}");
        let html = resp.text().await.expect("body");
        assert!(html.contains("<html"), "an HTML page: {html}");
    }
    let resp = b
        .post_form(
            &format!("/review/{id}"),
            &[("_csrf", &b.csrf()), ("action", "approve")],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let inv = app
        .store
        .get_invoice(id, doxin_store::Scope::All)
        .await
        .expect("invoice");
    assert_eq!(inv.status, doxin_store::InvoiceStatus::NeedsReview);
    // The queue of the stranger does not list it.
    let queue = b.page("/review").await;
    assert!(!queue.contains(&id.to_string()));
}

#[tokio::test]
async fn web_review_the_detail_page_shows_lines_findings_history_and_links() {
    let app = spawn_app().await;
    let id = pdf_invoice(&app, &app.user, 21, |inv| {
        if let Some(g) = inv.totals.tax_inclusive_amount.as_mut() {
            g.value += Decimal::ONE;
        }
    })
    .await;
    let mut b = Browser::signed_in(&app, &app.user).await;
    let resp = b
        .post_form(
            &format!("/review/{id}"),
            &[
                ("_csrf", &b.csrf()),
                ("action", "comment"),
                ("text", "Asked the vendor"),
                ("back", "detail"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert!(location(&resp).starts_with(&format!("/invoices/{id}")));
    let html = b.page(&format!("/invoices/{id}")).await;
    let truth = doxin_synth::generate(21, &doxin_synth::Spec::default()).truth;
    let first_line = truth.lines[0]
        .description
        .as_ref()
        .expect("description")
        .value
        .clone();
    assert!(html.contains("<table id=\"lines\">"));
    assert!(
        html.contains(&first_line.replace('&', "&amp;")),
        "line: {first_line}"
    );
    assert!(html.contains("data-code=\"BR-CO-15\""), "findings");
    assert!(
        html.contains("Asked the vendor"),
        "history with the comment"
    );
    assert!(html.contains(&format!("href=\"/api/v1/invoices/{id}/file\"")));
    assert!(html.contains(&format!("/api/v1/invoices/{id}/export?format=csv")));
    assert!(
        html.contains(&format!("href=\"/review/{id}\"")),
        "review link"
    );
    assert!(
        html.contains("<span class=\"src src-text\">text</span>"),
        "sources"
    );
}

#[tokio::test]
async fn web_review_an_xml_e_invoice_shows_the_pdf_it_carries() {
    let app = spawn_app().await;
    let pdf = doxin_synth::generate(22, &doxin_synth::Spec::default()).pdf;
    let id = xml_invoice(&app, &app.user, Some(&pdf)).await;
    let pages: serde_json::Value = app
        .get(&format!("/api/v1/invoices/{id}/pages"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(pages["kind"], "embedded_pdf", "{pages}");
    assert_eq!(pages["page_count"], 1);
    let resp = app.get(&format!("/api/v1/invoices/{id}/pages/1")).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let png = resp.bytes().await.expect("body");
    assert!(png.starts_with(b"\x89PNG"));
    let mut b = Browser::signed_in(&app, &app.user).await;
    let html = b.page(&format!("/review/{id}")).await;
    assert!(html.contains("class=\"page\""), "{html}");
}

#[tokio::test]
async fn web_review_lines_are_removed_and_added_by_form() {
    let app = spawn_app().await;
    let id = pdf_invoice(&app, &app.user, 21, |_| {}).await;
    let lines = || async {
        app.store
            .get_invoice(id, doxin_store::Scope::All)
            .await
            .expect("invoice")
            .invoice
            .lines
    };
    let before = lines().await;
    assert!(!before.is_empty(), "the generated invoice has lines");
    let mut b = Browser::signed_in(&app, &app.user).await;
    let html = b.page(&format!("/review/{id}")).await;
    assert!(html.contains("name=\"lines[0].remove\""), "{html}");
    assert!(html.contains("name=\"new_line.description\""), "{html}");

    // The first line goes; a new one is typed into the empty row.
    let resp = b
        .post_form(
            &format!("/review/{id}"),
            &[
                ("_csrf", &b.csrf()),
                ("action", "save"),
                ("lines[0].remove", "1"),
                ("new_line.description", "Delivery"),
                ("new_line.quantity", "2"),
                ("new_line.unit_price", "12,50"),
                ("new_line.line_amount", "25,00"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let after = lines().await;
    assert_eq!(after.len(), before.len(), "one removed, one added");
    assert_eq!(
        after[..after.len() - 1],
        before[1..],
        "the other lines are untouched"
    );
    let added = after.last().expect("the new line");
    assert_eq!(
        added.description.as_ref().map(|d| d.value.as_str()),
        Some("Delivery")
    );
    assert_eq!(
        added.line_amount.as_ref().map(|a| a.value),
        Some(Decimal::new(2500, 2))
    );
    assert_eq!(
        added.line_amount.as_ref().map(|a| a.source),
        Some(doxin_model::Source::Human)
    );

    // An empty new row adds nothing.
    let resp = b
        .post_form(
            &format!("/review/{id}"),
            &[
                ("_csrf", &b.csrf()),
                ("action", "save"),
                ("new_line.description", " "),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let again = lines().await;
    assert_eq!(again.len(), after.len());
}
