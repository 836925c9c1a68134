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

/// The last migration of each backend before workspaces: the schema of a database made by
/// the per-user-ownership releases.
const SQLITE_BEFORE_WORKSPACES: i64 = 7;
const POSTGRES_BEFORE_WORKSPACES: i64 = 8;

/// The rows of the per-user era: two users, each with a file, a finished job and its invoice
/// (the same document, so the same file hash, uploaded by both), a vendor, an API token; an
/// unused access code; an invoice and job of nobody (uploaded without an account).
struct Owners {
    a: Uuid,
    b: Uuid,
    files: [Uuid; 2],
    jobs: [Uuid; 2],
    invoices: [Uuid; 2],
    vendors: [Uuid; 2],
    tokens: [Uuid; 2],
    code: Uuid,
    nobodys_job: Uuid,
    nobodys_invoice: Uuid,
}

const SHARED_SHA256: &str = "5d41402abc4b2a76b9719d911017c592aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

impl Owners {
    fn new() -> Owners {
        let id = Uuid::now_v7;
        Owners {
            a: id(),
            b: id(),
            files: [id(), id()],
            jobs: [id(), id()],
            invoices: [id(), id()],
            vendors: [id(), id()],
            tokens: [id(), id()],
            code: id(),
            nobodys_job: id(),
            nobodys_invoice: id(),
        }
    }

    /// Literals only, so the same SQL fills both dialects.
    fn inserts(&self) -> Vec<String> {
        const AT: &str = "2026-03-01T00:00:00.000000Z";
        let mut sql = Vec::new();
        for (i, (user, email)) in [
            (self.a, "owner-a@example.com"),
            (self.b, "owner-b@example.com"),
        ]
        .into_iter()
        .enumerate()
        {
            sql.push(format!(
                "INSERT INTO users (id, email, display_name, password_hash, role, created_at, \
                 updated_at) VALUES ('{user}', '{email}', 'Owner {i}', 'x', 'user', '{AT}', '{AT}')"
            ));
            sql.push(format!(
                "INSERT INTO api_tokens (id, user_id, name, token_hash, prefix, created_at) \
                 VALUES ('{}', '{user}', 'ci', 'hash-{i}', 'dx_{i}', '{AT}')",
                self.tokens[i]
            ));
            sql.push(format!(
                "INSERT INTO companies (id, kind, name, normalized_name, vat_id, country, \
                 address, owner_id, created_at, updated_at) VALUES ('{}', 'vendor', \
                 'Stuhlwerk GmbH', 'stuhlwerk', 'DE136695976', 'DE', '{{}}', '{user}', '{AT}', \
                 '{AT}')",
                self.vendors[i]
            ));
            sql.push(format!(
                "INSERT INTO files (id, owner_id, sha256, size_bytes, mime_type, original_name, \
                 created_at) VALUES ('{}', '{user}', '{SHARED_SHA256}', 1234, \
                 'application/pdf', 'stuhl.pdf', '{AT}')",
                self.files[i]
            ));
            sql.push(format!(
                "INSERT INTO processing_jobs (id, owner_id, file_id, kind, status, progress, \
                 created_at, updated_at) VALUES ('{}', '{user}', '{}', 'extract', \
                 'succeeded', 100, '{AT}', '{AT}')",
                self.jobs[i], self.files[i]
            ));
            sql.push(format!(
                "INSERT INTO invoices (id, owner_id, file_id, job_id, status, document_type, \
                 invoice_number, seller_name, vendor_id, confidence, data, findings, \
                 file_sha256, created_at, updated_at) VALUES ('{}', '{user}', '{}', '{}', \
                 'approved', 'invoice', 'S-{i}', 'Stuhlwerk GmbH', '{}', 0.9, '{{}}', '[]', \
                 '{SHARED_SHA256}', '{AT}', '{AT}')",
                self.invoices[i], self.files[i], self.jobs[i], self.vendors[i]
            ));
        }
        sql.push(format!(
            "INSERT INTO access_codes (id, code_hash, hint, created_by, created_at, expires_at) \
             VALUES ('{}', 'code-hash', 'ABCD', '{}', '{AT}', '2099-01-01T00:00:00.000000Z')",
            self.code, self.a
        ));
        sql.push(format!(
            "INSERT INTO processing_jobs (id, owner_id, kind, status, progress, created_at, \
             updated_at) VALUES ('{}', NULL, 'extract', 'failed', 20, '{AT}', '{AT}')",
            self.nobodys_job
        ));
        sql.push(format!(
            "INSERT INTO invoices (id, owner_id, status, document_type, invoice_number, \
             confidence, data, findings, created_at, updated_at) VALUES ('{}', NULL, \
             'needs_review', 'invoice', 'N-1', 0.5, '{{}}', '[]', '{AT}', '{AT}')",
            self.nobodys_invoice
        ));
        sql
    }
}

#[tokio::test]
async fn sqlite_migration_moves_rows_into_workspaces() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("per-user.db");
    let url = format!("sqlite://{}", path.display());
    let owners = Owners::new();
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
            .run_to(SQLITE_BEFORE_WORKSPACES, &pool)
            .await
            .expect("old schema");
        for sql in owners.inserts() {
            sqlx::query(AssertSqlSafe(sql))
                .execute(&pool)
                .await
                .expect("per-user row");
        }
        pool.close().await;
    }
    let store = connect(&url, &ConnectOptions::default())
        .await
        .expect("the store migrates a database with data");
    check_workspaces(store.as_ref(), &owners).await;
}

#[tokio::test]
async fn postgres_migration_moves_rows_into_workspaces() {
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
    let (url, cleanup) = helpers::create_database(&admin, "peruser").await;
    let owners = Owners::new();
    {
        let pool = sqlx::PgPool::connect(&url).await.expect("postgres");
        Migrator::new(migrations_dir("postgres").as_path())
            .await
            .expect("migrations")
            .run_to(POSTGRES_BEFORE_WORKSPACES, &pool)
            .await
            .expect("old schema");
        for sql in owners.inserts() {
            sqlx::query(AssertSqlSafe(sql))
                .execute(&pool)
                .await
                .expect("per-user row");
        }
        pool.close().await;
    }
    let store = connect(&url, &ConnectOptions::default())
        .await
        .expect("the store migrates a database with data");
    check_workspaces(store.as_ref(), &owners).await;
    drop(store);
    cleanup.run().await;
}

/// After the migration every user has a one-person workspace (with the user's id) as its
/// administrator, and every row they owned is in it; rows of nobody stay of no workspace.
async fn check_workspaces(store: &dyn Store, o: &Owners) {
    for (i, user) in [o.a, o.b].into_iter().enumerate() {
        let memberships = store.memberships_of(user).await.expect("memberships");
        assert_eq!(memberships.len(), 1, "one workspace each");
        assert_eq!(memberships[0].workspace_id, user);
        assert_eq!(memberships[0].role, WorkspaceRole::Admin);
        assert_eq!(memberships[0].approval_limit, None);
        assert_eq!(
            store.get_workspace(user).await.expect("workspace").name,
            format!("Owner {i}")
        );
        // Each row is in its owner's workspace and visible through it, nobody else's.
        let mine = Scope::admin_of(user);
        let other = Scope::admin_of(if user == o.a { o.b } else { o.a });
        let invoice = store
            .get_invoice(o.invoices[i], mine)
            .await
            .expect("invoice");
        assert_eq!(invoice.workspace_id, Some(user));
        assert_eq!(invoice.owner_id, Some(user), "the uploader is kept");
        assert_eq!(invoice.status, InvoiceStatus::Approved);
        assert_eq!(invoice.vendor_id, Some(o.vendors[i]));
        assert!(matches!(
            store.get_invoice(o.invoices[i], other).await,
            Err(StoreError::NotFound)
        ));
        let job = store.get_job(o.jobs[i], mine).await.expect("job");
        assert_eq!(job.workspace_id, Some(user));
        assert!(matches!(
            store.get_job(o.jobs[i], other).await,
            Err(StoreError::NotFound)
        ));
        let file = store.get_file(o.files[i], mine).await.expect("file");
        assert_eq!(file.sha256, SHARED_SHA256);
        assert_eq!(file.workspace_id, Some(user));
        assert!(matches!(
            store.get_file(o.files[i], other).await,
            Err(StoreError::NotFound)
        ));
        assert_eq!(
            store
                .get_company(o.vendors[i], mine)
                .await
                .expect("vendor")
                .workspace_id,
            Some(user)
        );
        // The same document of each workspace is found in that workspace only.
        assert_eq!(
            store
                .find_invoice_by_file_hash(Some(user), SHARED_SHA256)
                .await
                .expect("by hash"),
            Some(o.invoices[i])
        );
        // Accounts are untouched.
        let tokens = store.list_api_tokens(user).await.expect("tokens");
        assert_eq!(
            tokens.iter().map(|t| t.id).collect::<Vec<_>>(),
            vec![o.tokens[i]]
        );
    }
    let nobodys = store
        .get_invoice(o.nobodys_invoice, Scope::All)
        .await
        .expect("nobody's invoice");
    assert_eq!((nobodys.owner_id, nobodys.workspace_id), (None, None));
    let nobodys_job = store
        .get_job(o.nobodys_job, Scope::All)
        .await
        .expect("nobody's job");
    assert_eq!(nobodys_job.workspace_id, None);
    // Nothing was lost: every row is still there.
    let all = store
        .list_invoices(
            Scope::All,
            &InvoiceFilter::default(),
            PageRequest::new(1, 100),
        )
        .await
        .expect("all invoices");
    assert_eq!(all.total, 3);
    assert_eq!(store.count_users().await.expect("users"), 2);
    // The access code of the per-user era makes a one-person workspace, as it did.
    let codes = store
        .list_access_codes(PageRequest::new(1, 10))
        .await
        .expect("codes");
    assert_eq!(codes.items.len(), 1);
    assert_eq!(codes.items[0].id, o.code);
    assert_eq!(codes.items[0].grant, None);
    // Migrating again changes nothing.
    assert_eq!(store.migrate().await.expect("migrate"), 0);
}
