//! `doxin demo seed`: realistic demo data for dashboards, reports, screenshots and benchmarks.
//!
//! The books come from `doxin_synth::demo` (a pure function of the seed and the as-of date);
//! this command finds the owner and workspace, links the book's vendors and customers to
//! company records with the pipeline's own [`match_companies`], validates every invoice (so
//! the stored findings are the ones validation gives) and inserts through the [`Store`] trait,
//! several inserts at a time, on SQLite and PostgreSQL alike.
//!
//! Idempotence: every demo invoice carries a key derived from its seed and position
//! (`sha256("doxin-demo/v1/{seed}/{index}")`) in `file_sha256`, of which the store keeps at
//! most one live invoice per workspace. A second run with the same seed therefore skips the
//! invoices that are already there (and adds only the missing ones when `--invoices` grew);
//! nothing is duplicated.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use chrono::NaiveDate;
use doxin_model::{Invoice, Tolerance, validate_report};
use doxin_server::auth::{password, secrets};
use doxin_store::{
    InvoiceStatus, NewAuditEntry, NewInvoice, NewUser, NewWorkspace, PageRequest, Role, Store,
    StoreError, User,
};
use doxin_synth::demo::{CUSTOMERS, DemoBook, DemoStatus, VENDORS};
use tokio::task::JoinSet;
use uuid::Uuid;

use crate::cli::DemoAction;

/// Exit status for bad arguments (like clap's own).
const EXIT_USAGE: u8 = 2;
/// The largest `--invoices`.
pub const MAX_INVOICES: u64 = 1_000_000;
/// The user created when the installation has none.
const DEMO_EMAIL: &str = "demo@example.com";

pub async fn run(action: DemoAction, store: Arc<dyn Store>, pool: u32) -> anyhow::Result<ExitCode> {
    let (invoices, seed, owner, workspace, as_of) = match action {
        DemoAction::Seed {
            invoices,
            seed,
            owner,
            workspace,
            as_of,
        } => (invoices, seed, owner, workspace, as_of),
        DemoAction::Files {
            out,
            count,
            misprinted,
            seed,
        } => return files(&out, count, misprinted, seed),
        DemoAction::Workbook {
            out,
            orders,
            seed,
            flawed,
        } => return crate::import_cmd::workbook(&out, orders, seed, flawed),
    };
    if invoices == 0 || invoices > MAX_INVOICES {
        return usage(format!(
            "--invoices must be between 1 and {MAX_INVOICES}, not {invoices}"
        ));
    }
    let owner = match find_owner(store.as_ref(), owner.as_deref()).await? {
        Ok(user) => user,
        Err(message) => return usage(message),
    };
    let workspace = match find_workspace(store.as_ref(), &owner, workspace).await? {
        Ok(id) => id,
        Err(message) => return usage(message),
    };
    let as_of = as_of.unwrap_or_else(|| chrono::Utc::now().date_naive());
    seed_books(store, &owner, workspace, invoices, seed, as_of, pool).await
}

/// The most files `doxin demo files` writes.
const MAX_FILES: u32 = 10_000;

/// `doxin demo files`: `count` born-digital invoice PDFs (one to three lines, layout and
/// country drawn from the seed), `invoice-{seed}.pdf`, and `manifest.json` describing every
/// file in the folder (entries of earlier runs into the same folder are kept, so files of
/// chosen seeds can be collected by several runs). The last `misprinted` print a total that
/// does not add up (`invoice-{seed}-needs-review.pdf`).
pub fn files(
    out: &std::path::Path,
    count: u32,
    misprinted: u32,
    seed: u64,
) -> anyhow::Result<ExitCode> {
    if count == 0 || count > MAX_FILES || misprinted > count {
        return usage(format!(
            "--count must be between 1 and {MAX_FILES} and --misprinted at most --count \
             (got {count} and {misprinted})"
        ));
    }
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let manifest_path = out.join("manifest.json");
    let mut manifest: Vec<serde_json::Value> = match std::fs::read(&manifest_path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .with_context(|| format!("reading {}", manifest_path.display()))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(e).with_context(|| format!("reading {}", manifest_path.display())),
    };
    for i in 0..count {
        let seed = seed.wrapping_add(u64::from(i));
        let needs_review = i >= count - misprinted;
        let mut spec = doxin_synth::Spec::default().with_lines(1..=3);
        if needs_review {
            spec = spec.with_misprinted_total();
        }
        let s = doxin_synth::generate(seed, &spec);
        let name = if needs_review {
            format!("invoice-{seed}-needs-review.pdf")
        } else {
            format!("invoice-{seed}.pdf")
        };
        let path = out.join(&name);
        std::fs::write(&path, &s.pdf).with_context(|| format!("writing {}", path.display()))?;
        manifest.retain(|e| e["file"] != name.as_str());
        manifest.push(serde_json::json!({
            "file": name,
            "seed": seed,
            "layout": s.facts.layout.name(),
            "country": s.facts.country.code(),
            "invoice_number": s.facts.invoice_number,
            "seller_name": s.facts.seller_name,
            "issue_date": s.truth.issue_date.as_ref().map(|d| d.value.to_string()),
            "currency": s.truth.currency.as_ref().map(|c| c.value.clone()),
            "net_amount": s.facts.net_amount,
            "tax_amount": s.facts.tax_amount,
            "gross_amount_printed": s.facts.gross_amount,
            "gross_amount": s.facts.consistent_gross_amount,
            "line_descriptions": s.facts.line_descriptions,
            "needs_review": needs_review,
        }));
    }
    std::fs::write(&manifest_path, serde_json::to_vec_pretty(&manifest)?)
        .with_context(|| format!("writing {}", manifest_path.display()))?;
    println!("{count} invoices written to {}", out.display());
    Ok(ExitCode::SUCCESS)
}

fn usage(message: String) -> anyhow::Result<ExitCode> {
    eprintln!("doxin demo seed: {message}");
    Ok(ExitCode::from(EXIT_USAGE))
}

/// The owner: `--owner`, else the first administrator, else (no user at all) a new
/// `demo@example.com` administrator. `Err` is a usage error.
async fn find_owner(
    store: &dyn Store,
    email: Option<&str>,
) -> anyhow::Result<Result<User, String>> {
    if let Some(email) = email {
        let email = email.trim().to_lowercase();
        return match store.find_user_by_email(&email).await {
            Ok(user) => Ok(Ok(user)),
            Err(StoreError::NotFound) => Ok(Err(format!("no user {email} (--owner)"))),
            Err(e) => Err(e.into()),
        };
    }
    let mut page = 1;
    loop {
        let users = store.list_users(PageRequest::new(page, 100)).await?;
        if let Some(admin) = users
            .items
            .iter()
            .find(|u| u.role == Role::Admin && u.is_active)
        {
            return Ok(Ok(admin.clone()));
        }
        if !users.has_next {
            if users.total > 0 || page > 1 {
                return Ok(Err(
                    "no active administrator to own the demo data: pass --owner EMAIL".into(),
                ));
            }
            break;
        }
        page += 1;
    }
    // An empty installation: a demo administrator with a password shown once.
    let pw = secrets::new_api_token();
    let password_hash = password::hash(pw.clone())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let user = store
        .create_user(NewUser {
            email: DEMO_EMAIL.into(),
            display_name: "Demo".into(),
            password_hash,
            role: Role::Admin,
        })
        .await?;
    println!(
        "no user yet: created administrator {DEMO_EMAIL} ({}) with password {pw}",
        user.id
    );
    Ok(Ok(user))
}

/// The workspace: `--workspace` (the owner must be a member), else the owner's first, else a
/// new "Demo" workspace of the owner's. `Err` is a usage error.
async fn find_workspace(
    store: &dyn Store,
    owner: &User,
    requested: Option<Uuid>,
) -> anyhow::Result<Result<Uuid, String>> {
    let memberships = store.memberships_of(owner.id).await?;
    if let Some(id) = requested {
        return Ok(match store.get_workspace(id).await {
            Ok(_) if memberships.iter().any(|m| m.workspace_id == id) => Ok(id),
            Ok(_) => Err(format!("{} is not a member of workspace {id}", owner.email)),
            Err(StoreError::NotFound) => Err(format!("no workspace {id} (--workspace)")),
            Err(e) => return Err(e.into()),
        });
    }
    if let Some(m) = memberships.first() {
        return Ok(Ok(m.workspace_id));
    }
    let ws = store
        .create_workspace(NewWorkspace {
            name: "Demo".into(),
            created_by: owner.id,
        })
        .await?;
    println!(
        "{} had no workspace: created workspace \"Demo\" ({})",
        owner.email, ws.id
    );
    Ok(Ok(ws.id))
}

#[derive(Default)]
struct Tally {
    created: u64,
    skipped: u64,
    flawed: u64,
    overdue: u64,
    by_status: BTreeMap<&'static str, u64>,
    by_currency: BTreeMap<String, u64>,
}

async fn seed_books(
    store: Arc<dyn Store>,
    owner: &User,
    workspace: Uuid,
    n: u64,
    seed: u64,
    as_of: NaiveDate,
    pool: u32,
) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let book = DemoBook::new(seed, as_of);

    // The book's companies, through the pipeline's matching (found or created).
    let mut vendor_ids = vec![None; VENDORS];
    let mut customer_ids = vec![None; CUSTOMERS];
    for i in 0..VENDORS.max(CUSTOMERS) {
        let parties = Invoice {
            seller: book.vendor(i % VENDORS),
            buyer: book.customer(i % CUSTOMERS),
            ..Invoice::default()
        };
        let (v, c) = doxin_jobs::match_companies(store.as_ref(), Some(workspace), &parties)
            .await
            .context("creating the demo companies")?;
        vendor_ids[i % VENDORS] = v;
        customer_ids[i % CUSTOMERS] = c;
    }

    println!(
        "seeding {n} invoices (seed {seed}, as of {as_of}) for {} in workspace {workspace}",
        owner.email
    );
    let progress = Progress::new(n);
    let mut tally = Tally::default();
    // Several inserts in flight on PostgreSQL, which works on them in parallel; one at a time
    // on SQLite, whose single writer would answer the others "database is locked".
    let in_flight = match store.backend() {
        doxin_store::Backend::Sqlite => 1,
        doxin_store::Backend::Postgres => pool.clamp(1, 8) as usize,
    };
    let mut tasks: JoinSet<Result<bool, StoreError>> = JoinSet::new();
    let tolerance = Tolerance::default();
    for index in 0..n {
        let demo = book.invoice(index);
        let status = match demo.status {
            DemoStatus::NeedsReview => InvoiceStatus::NeedsReview,
            DemoStatus::Approved => InvoiceStatus::Approved,
            DemoStatus::Rejected => InvoiceStatus::Rejected,
        };
        *tally.by_status.entry(status.as_str()).or_default() += 1;
        let currency = demo
            .invoice
            .currency
            .as_ref()
            .map(|c| c.value.clone())
            .unwrap_or_default();
        *tally.by_currency.entry(currency).or_default() += 1;
        tally.flawed += u64::from(demo.flawed);
        tally.overdue += u64::from(demo.overdue(as_of));
        let findings = validate_report(&demo.invoice, &tolerance).findings;
        let new = NewInvoice {
            owner_id: Some(owner.id),
            workspace_id: Some(workspace),
            file_id: None,
            job_id: None,
            status,
            confidence: demo.confidence,
            findings,
            vendor_id: vendor_ids[demo.vendor],
            customer_id: customer_ids[demo.customer],
            duplicate_of: None,
            file_sha256: Some(secrets::sha256_hex(&demo.key)),
            invoice: demo.invoice,
        };
        while tasks.len() >= in_flight {
            settle(&mut tasks, &mut tally, &progress).await?;
        }
        let store = store.clone();
        tasks.spawn(async move {
            match store.insert_invoice(new).await {
                Ok(_) => Ok(true),
                Err(StoreError::Conflict { .. }) => Ok(false),
                Err(e) => Err(e),
            }
        });
    }
    while !tasks.is_empty() {
        settle(&mut tasks, &mut tally, &progress).await?;
    }
    progress.finish();
    let seconds = started.elapsed().as_secs_f64();

    store
        .append_audit(NewAuditEntry {
            actor_id: Some(owner.id),
            action: "demo.seed".into(),
            entity_type: "workspace".into(),
            entity_id: Some(workspace.to_string()),
            after: Some(serde_json::json!({
                "seed": seed, "invoices": n, "as_of": as_of,
                "created": tally.created, "skipped": tally.skipped,
            })),
            ..Default::default()
        })
        .await?;

    let list = |pairs: Vec<(String, u64)>| {
        pairs
            .into_iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    println!(
        "invoices: {} created, {} skipped{}",
        tally.created,
        tally.skipped,
        if tally.skipped > 0 {
            format!(" (already there from an earlier run with seed {seed})")
        } else {
            String::new()
        }
    );
    println!("companies: {VENDORS} vendors, {CUSTOMERS} customers");
    println!(
        "by status: {}",
        list(
            tally
                .by_status
                .iter()
                .map(|(k, v)| (k.to_string(), *v))
                .collect()
        )
    );
    println!(
        "needs review with findings: {}; overdue (due, open, not rejected): {}",
        tally.flawed, tally.overdue
    );
    println!(
        "by currency: {}",
        list(tally.by_currency.clone().into_iter().collect())
    );
    println!(
        "took {seconds:.1} s: {:.0} invoices/s (created or skipped)",
        n as f64 / seconds.max(1e-9)
    );
    Ok(ExitCode::SUCCESS)
}

async fn settle(
    tasks: &mut JoinSet<Result<bool, StoreError>>,
    tally: &mut Tally,
    progress: &Progress,
) -> anyhow::Result<()> {
    if let Some(done) = tasks.join_next().await {
        if done
            .context("an insert task failed")?
            .context("inserting an invoice")?
        {
            tally.created += 1;
        } else {
            tally.skipped += 1;
        }
        progress.inc();
    }
    Ok(())
}

/// A progress bar on a terminal; a line every tenth otherwise.
struct Progress {
    bar: Option<indicatif::ProgressBar>,
    total: u64,
    done: std::sync::atomic::AtomicU64,
}

impl Progress {
    fn new(total: u64) -> Progress {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = indicatif::ProgressBar::new(total);
            if let Ok(style) = indicatif::ProgressStyle::with_template(
                "{bar:40} {pos}/{len} invoices  {per_sec}  eta {eta}",
            ) {
                bar.set_style(style);
            }
            bar
        });
        Progress {
            bar,
            total,
            done: std::sync::atomic::AtomicU64::new(0),
        }
    }

    fn inc(&self) {
        let done = self.done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        match &self.bar {
            Some(bar) => bar.inc(1),
            None => {
                let step = (self.total / 10).max(1);
                if done.is_multiple_of(step) && done < self.total {
                    eprintln!("  {done}/{} invoices", self.total);
                }
            }
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
