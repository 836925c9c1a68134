//! Migrations over existing data: the database is migrated up to the schema before a change,
//! filled with rows shaped like that schema (as a deployment has them), and then opened by
//! the store, which applies the rest.

use std::path::Path;

use doxin_store::*;
use sqlx::migrate::Migrator;
use sqlx::{AssertSqlSafe, Connection, Row};
use uuid::Uuid;

use crate::helpers;

/// The last migration of each backend before companies had owners.
const SQLITE_BEFORE_OWNERS: i64 = 5;
const POSTGRES_BEFORE_OWNERS: i64 = 6;

/// The rows of the shared-company era, with the ids the assertions follow.
struct Legacy {
    a: Uuid,
    b: Uuid,
    vendor: Uuid,
    customer: Uuid,
    lonely: Uuid,
    a_invoice: Uuid,
    b_invoice: Uuid,
    b_deleted: Uuid,
    nobodys_invoice: Uuid,
}

impl Legacy {
    fn new() -> Legacy {
        let id = Uuid::now_v7;
        Legacy {
            a: id(),
            b: id(),
            vendor: id(),
            customer: id(),
            lonely: id(),
            a_invoice: id(),
            b_invoice: id(),
            b_deleted: id(),
            nobodys_invoice: id(),
        }
    }

    /// Two users' invoices name one vendor (with VAT id and tax number) and one customer,
    /// which an invoice of nobody names too; B has a deleted invoice; one company is named by
    /// no invoice. Literals only, so the same SQL fills both dialects.
    fn inserts(&self) -> Vec<String> {
        let user = |id: Uuid, email: &str| {
            format!(
                "INSERT INTO users (id, email, display_name, password_hash, role, created_at, \
                 updated_at) VALUES ('{id}', '{email}', 'x', 'x', 'user', \
                 '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z')"
            )
        };
        let company = |id: Uuid, kind: &str, name: &str, norm: &str, vat: &str, tax: &str| {
            format!(
                "INSERT INTO companies (id, kind, name, normalized_name, vat_id, tax_number, \
                 country, address, created_at, updated_at) VALUES ('{id}', '{kind}', '{name}', \
                 '{norm}', {vat}, {tax}, 'DE', '{{\"city\": \"Berlin\"}}', \
                 '2026-01-02T00:00:00.000000Z', '2026-01-02T00:00:00.000000Z')"
            )
        };
        let invoice = |id: Uuid, owner: Option<Uuid>, number: &str, at: &str, deleted: bool| {
            let owner = owner.map_or("NULL".to_string(), |o| format!("'{o}'"));
            let deleted = if deleted {
                format!("'{at}'")
            } else {
                "NULL".into()
            };
            format!(
                "INSERT INTO invoices (id, owner_id, status, document_type, invoice_number, \
                 seller_name, buyer_name, vendor_id, customer_id, confidence, data, findings, \
                 created_at, updated_at, deleted_at) VALUES ('{id}', {owner}, 'needs_review', \
                 'invoice', '{number}', 'Stuhlwerk GmbH', 'Kunde AG', '{}', '{}', 0.9, '{{}}', \
                 '[]', '{at}', '{at}', {deleted})",
                self.vendor, self.customer
            )
        };
        vec![
            user(self.a, "legacy-a@example.com"),
            user(self.b, "legacy-b@example.com"),
            company(
                self.vendor,
                "vendor",
                "Stuhlwerk GmbH",
                "stuhlwerk",
                "'DE136695976'",
                "'27/123/45678'",
            ),
            company(
                self.customer,
                "customer",
                "Kunde AG",
                "kunde",
                "NULL",
                "NULL",
            ),
            company(
                self.lonely,
                "vendor",
                "Nobody Uses Me",
                "nobody uses me",
                "NULL",
                "NULL",
            ),
            // A named both first, so A keeps the records and their ids.
            invoice(
                self.a_invoice,
                Some(self.a),
                "A-1",
                "2026-02-01T00:00:00.000000Z",
                false,
            ),
            invoice(
                self.b_invoice,
                Some(self.b),
                "B-1",
                "2026-02-02T00:00:00.000000Z",
                false,
            ),
            invoice(
                self.b_deleted,
                Some(self.b),
                "B-2",
                "2026-02-03T00:00:00.000000Z",
                true,
            ),
            invoice(
                self.nobodys_invoice,
                None,
                "N-1",
                "2026-02-04T00:00:00.000000Z",
                false,
            ),
        ]
    }
}

fn migrations_dir(backend: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(backend)
}

#[tokio::test]
async fn sqlite_migration_splits_shared_companies() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("legacy.db");
    let url = format!("sqlite://{}", path.display());
    let legacy = Legacy::new();
    {
        let options = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true)
            .foreign_keys(true);
        let pool = sqlx::SqlitePool::connect_with(options)
            .await
            .expect("sqlite");
        Migrator::new(migrations_dir("sqlite").as_path())
            .await
            .expect("migrations")
            .run_to(SQLITE_BEFORE_OWNERS, &pool)
            .await
            .expect("old schema");
        for sql in legacy.inserts() {
            sqlx::query(AssertSqlSafe(sql))
                .execute(&pool)
                .await
                .expect("legacy row");
        }
        pool.close().await;
    }
    let store = connect(&url, &ConnectOptions::default())
        .await
        .expect("the store migrates a database with data");
    let deleted_vendor = {
        let pool = sqlx::SqlitePool::connect(&url).await.expect("sqlite");
        let row = sqlx::query("SELECT vendor_id FROM invoices WHERE id = ?1")
            .bind(legacy.b_deleted.to_string())
            .fetch_one(&pool)
            .await
            .expect("deleted invoice");
        let id: String = row.try_get(0).expect("vendor_id");
        pool.close().await;
        id.parse().expect("uuid")
    };
    check_split(store.as_ref(), &legacy, deleted_vendor).await;
}

#[tokio::test]
async fn postgres_migration_splits_shared_companies() {
    let Some(admin) = std::env::var("DOXIN_TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
    else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "DOXIN_TEST_DATABASE_URL must be set in CI (scripts/test.sh sets it)"
        );
        eprintln!("skipping: DOXIN_TEST_DATABASE_URL is not set");
        return;
    };
    let (url, cleanup) = helpers::create_database(&admin, "legacy").await;
    let legacy = Legacy::new();
    {
        let pool = sqlx::PgPool::connect(&url).await.expect("postgres");
        Migrator::new(migrations_dir("postgres").as_path())
            .await
            .expect("migrations")
            .run_to(POSTGRES_BEFORE_OWNERS, &pool)
            .await
            .expect("old schema");
        for sql in legacy.inserts() {
            sqlx::query(AssertSqlSafe(sql))
                .execute(&pool)
                .await
                .expect("legacy row");
        }
        pool.close().await;
    }
    let store = connect(&url, &ConnectOptions::default())
        .await
        .expect("the store migrates a database with data");
    let deleted_vendor = {
        let mut conn = sqlx::PgConnection::connect(&url).await.expect("postgres");
        let row = sqlx::query("SELECT vendor_id FROM invoices WHERE id = $1")
            .bind(legacy.b_deleted)
            .fetch_one(&mut conn)
            .await
            .expect("deleted invoice");
        row.try_get::<Uuid, _>(0).expect("vendor_id")
    };
    check_split(store.as_ref(), &legacy, deleted_vendor).await;
    drop(store);
    cleanup.run().await;
}

/// After the migration: every company belongs to the owners whose invoices named it, one
/// copy per owner, each invoice (deleted ones too) pointing at its owner's copy.
async fn check_split(store: &dyn Store, l: &Legacy, deleted_vendor: Uuid) {
    let all = Scope::All;
    let invoice = |id| async move { store.get_invoice(id, all).await.expect("invoice") };
    let company = |id| async move { store.get_company(id, all).await.expect("company") };

    // A named them first: A keeps the original records, ids unchanged.
    let a_inv = invoice(l.a_invoice).await;
    assert_eq!(a_inv.vendor_id, Some(l.vendor));
    assert_eq!(a_inv.customer_id, Some(l.customer));
    assert_eq!(company(l.vendor).await.workspace_id, Some(l.a));
    assert_eq!(company(l.customer).await.workspace_id, Some(l.a));

    // B's invoices point at B's copies, with everything the shared record knew.
    let b_inv = invoice(l.b_invoice).await;
    let b_vendor = b_inv.vendor_id.expect("b's vendor");
    let b_customer = b_inv.customer_id.expect("b's customer");
    assert!(b_vendor != l.vendor && b_customer != l.customer);
    assert_eq!(deleted_vendor, b_vendor, "the deleted invoice moves along");
    let original = company(l.vendor).await;
    let copy = company(b_vendor).await;
    assert_eq!(copy.workspace_id, Some(l.b));
    assert_eq!(
        (
            copy.kind,
            &copy.name,
            &copy.vat_id,
            &copy.tax_number,
            &copy.country,
            &copy.address
        ),
        (
            original.kind,
            &original.name,
            &original.vat_id,
            &original.tax_number,
            &original.country,
            &original.address
        )
    );
    assert_eq!(company(b_customer).await.workspace_id, Some(l.b));

    // The invoice of nobody gets a customer of nobody; the unnamed company has no owner.
    let n_inv = invoice(l.nobodys_invoice).await;
    let n_customer = n_inv.customer_id.expect("nobody's customer");
    let n_vendor = n_inv.vendor_id.expect("nobody's vendor");
    assert!(![l.customer, b_customer].contains(&n_customer));
    assert_eq!(company(n_customer).await.workspace_id, None);
    assert_eq!(company(n_vendor).await.workspace_id, None);
    assert_eq!(company(l.lonely).await.workspace_id, None);
    assert_eq!(
        store
            .list_companies(all, None, PageRequest::new(1, 100))
            .await
            .expect("all")
            .total,
        // vendor: A, B, nobody; customer: A, B, nobody; the unnamed one.
        7
    );

    // Each user now sees only their own records, counted over their own invoices.
    for (owner, vendor, customer) in [(l.a, l.vendor, l.customer), (l.b, b_vendor, b_customer)] {
        let mine = store
            .list_company_summaries(
                Scope::admin_of(owner),
                &CompanyFilter::default(),
                PageRequest::default(),
            )
            .await
            .expect("summaries");
        let mut got: Vec<(Uuid, u64)> = mine
            .items
            .iter()
            .map(|c| (c.company.id, c.invoice_count))
            .collect();
        got.sort();
        let mut want = vec![(vendor, 1), (customer, 1)];
        want.sort();
        assert_eq!(got, want);
    }

    // Matching after the migration stays within the owner, and the per-owner VAT index holds.
    let by_vat = |owner| NewCompany {
        workspace_id: Some(owner),
        kind: CompanyKind::Vendor,
        name: "Stuhlwerk Berlin".into(),
        vat_id: Some("DE136695976".into()),
        tax_number: None,
        country: None,
        address: serde_json::Value::Null,
    };
    assert_eq!(
        store.upsert_company(by_vat(l.a)).await.expect("a").id,
        l.vendor
    );
    assert_eq!(
        store.upsert_company(by_vat(l.b)).await.expect("b").id,
        b_vendor
    );
    // Migrating again changes nothing.
    assert_eq!(store.migrate().await.expect("migrate"), 0);
}
