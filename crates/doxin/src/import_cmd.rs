//! `doxin import reference|invoices` and `doxin demo workbook`: the commands around
//! `doxin-import`, which does the reading, checking and writing. Here: finding the owner and
//! workspace, a progress bar, the printed summary, the rejections file and the audit entry.

use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use doxin_import::{ImportError, ImportSummary, invoices_csv, reference, sample};
use doxin_store::{NewAuditEntry, PageRequest, Role, Store, StoreError, User};
use uuid::Uuid;

use crate::cli::{ImportAction, ImportTarget};

/// Exit status for bad arguments or a file that cannot be imported at all.
const EXIT_USAGE: u8 = 2;
/// The most orders `doxin demo workbook` writes.
const MAX_ORDERS: u32 = 1_000_000;
/// Rejections printed; the rest go to `--rejections FILE`.
const PRINTED_REJECTIONS: usize = 20;

fn usage(command: &str, message: impl std::fmt::Display) -> anyhow::Result<ExitCode> {
    eprintln!("doxin {command}: {message}");
    Ok(ExitCode::from(EXIT_USAGE))
}

pub async fn run(action: ImportAction, store: &dyn Store) -> anyhow::Result<ExitCode> {
    let (command, file, target) = match &action {
        ImportAction::Reference { file, target, .. } => ("import reference", file, target),
        ImportAction::Invoices { file, target } => ("import invoices", file, target),
    };
    let (owner, workspace) = match find_target(store, target).await? {
        Ok(found) => found,
        Err(message) => return usage(command, message),
    };
    let progress = ProgressLine::new();
    let report = |stage: &str, done: u64, total: Option<u64>| progress.show(stage, done, total);
    let outcome = match &action {
        ImportAction::Reference {
            seller, currency, ..
        } => {
            let currency = currency.trim().to_ascii_uppercase();
            if currency.len() != 3 || !currency.chars().all(|c| c.is_ascii_alphabetic()) {
                return usage(
                    command,
                    format!("--currency {currency:?} is not an ISO 4217 code"),
                );
            }
            let seller_name = match seller {
                Some(s) if !s.trim().is_empty() => s.trim().to_string(),
                _ => store.get_workspace(workspace).await?.name,
            };
            let opts = reference::ReferenceOptions {
                workspace,
                owner: owner.id,
                seller_name,
                currency,
            };
            reference::import(file, &opts, store, &report).await
        }
        ImportAction::Invoices { .. } => {
            let opts = invoices_csv::CsvOptions {
                workspace,
                owner: owner.id,
            };
            invoices_csv::import(file, &opts, store, &report).await
        }
    };
    progress.finish();
    let summary = match outcome {
        Ok(summary) => summary,
        Err(e @ ImportError::Store(_)) => return Err(e).context(format!("doxin {command}")),
        Err(e) => return usage(command, e),
    };
    audit(store, command, &owner, workspace, file, &summary).await?;
    if let Some(path) = &target.rejections {
        std::fs::write(path, serde_json::to_vec_pretty(&summary.rejections)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    println!(
        "imported {} into workspace {workspace} for {}",
        file.display(),
        owner.email
    );
    print!("{}", summary.render(PRINTED_REJECTIONS));
    Ok(ExitCode::SUCCESS)
}

async fn audit(
    store: &dyn Store,
    command: &str,
    owner: &User,
    workspace: Uuid,
    file: &Path,
    summary: &ImportSummary,
) -> anyhow::Result<()> {
    store
        .append_audit(NewAuditEntry {
            actor_id: Some(owner.id),
            action: command.replace(' ', "."),
            entity_type: "workspace".into(),
            entity_id: Some(workspace.to_string()),
            after: Some(serde_json::json!({
                "file": file.file_name().map(|n| n.to_string_lossy().into_owned()),
                "records": summary.records,
                "rows_read": summary.rows_read,
                "rejected": summary.rejections.len(),
                "lines": summary.lines,
            })),
            ..Default::default()
        })
        .await?;
    Ok(())
}

/// The owner (`--owner`, else the first active administrator) and the workspace
/// (`--workspace`, of which the owner must be a member, else the owner's first). `Err` is a
/// usage error.
async fn find_target(
    store: &dyn Store,
    target: &ImportTarget,
) -> anyhow::Result<Result<(User, Uuid), String>> {
    let owner = match &target.owner {
        Some(email) => {
            let email = email.trim().to_lowercase();
            match store.find_user_by_email(&email).await {
                Ok(user) if user.is_active => user,
                Ok(_) => return Ok(Err(format!("{email} is deactivated (--owner)"))),
                Err(StoreError::NotFound) => return Ok(Err(format!("no user {email} (--owner)"))),
                Err(e) => return Err(e.into()),
            }
        }
        None => {
            let mut page = 1;
            loop {
                let users = store.list_users(PageRequest::new(page, 100)).await?;
                if let Some(admin) = users
                    .items
                    .iter()
                    .find(|u| u.role == Role::Admin && u.is_active)
                {
                    break admin.clone();
                }
                if !users.has_next {
                    return Ok(Err(
                        "no active administrator to own the import: create one with \
                         `doxin user create --admin`, or pass --owner EMAIL"
                            .into(),
                    ));
                }
                page += 1;
            }
        }
    };
    let memberships = store.memberships_of(owner.id).await?;
    let workspace = match target.workspace {
        Some(id) if memberships.iter().any(|m| m.workspace_id == id) => id,
        Some(id) => {
            return Ok(Err(format!(
                "{} is not a member of workspace {id} (--workspace)",
                owner.email
            )));
        }
        None => match memberships.first() {
            Some(m) => m.workspace_id,
            None => {
                return Ok(Err(format!(
                    "{} has no workspace: pass --workspace",
                    owner.email
                )));
            }
        },
    };
    Ok(Ok((owner, workspace)))
}

/// `doxin demo workbook`.
pub fn workbook(out: &Path, orders: u32, seed: u64, flawed: bool) -> anyhow::Result<ExitCode> {
    if orders == 0 || orders > MAX_ORDERS {
        return usage(
            "demo workbook",
            format!("--orders must be between 1 and {MAX_ORDERS}, not {orders}"),
        );
    }
    let flaws = if flawed {
        vec![
            sample::Flaw::MissingProduct,
            sample::Flaw::NegativeQuantity,
            sample::Flaw::BadDate,
        ]
    } else {
        Vec::new()
    };
    let facts = sample::write(
        out,
        &sample::SampleOptions {
            orders,
            seed,
            flaws,
        },
    )
    .with_context(|| format!("writing {}", out.display()))?;
    println!(
        "{}: {} orders with {} lines, {} companies, {} products",
        out.display(),
        facts.orders,
        facts.lines,
        facts.companies,
        facts.products
    );
    for (sheet, row, flaw) in &facts.flawed_rows {
        println!("  flawed on purpose: {sheet} row {row} ({flaw:?})");
    }
    Ok(ExitCode::SUCCESS)
}

/// A progress bar on a terminal; a line now and then otherwise.
struct ProgressLine {
    bar: Option<indicatif::ProgressBar>,
}

impl ProgressLine {
    fn new() -> ProgressLine {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = indicatif::ProgressBar::new(0);
            if let Ok(style) =
                indicatif::ProgressStyle::with_template("{msg:>24} {bar:40} {pos}/{len}  {per_sec}")
            {
                bar.set_style(style);
            }
            bar
        });
        ProgressLine { bar }
    }

    fn show(&self, stage: &str, done: u64, total: Option<u64>) {
        match &self.bar {
            Some(bar) => {
                bar.set_message(stage.to_string());
                bar.set_length(total.unwrap_or(done.max(1)));
                bar.set_position(done);
            }
            None if done.is_multiple_of(10_000) || Some(done) == total => match total {
                Some(t) => eprintln!("  {stage}: {done}/{t}"),
                None => eprintln!("  {stage}: {done} rows read"),
            },
            None => {}
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
