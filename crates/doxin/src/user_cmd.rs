//! `doxin user`: accounts from the command line — the first administrator of an installation
//! without the setup page, and API tokens for scripts.

use std::io::BufRead;
use std::process::ExitCode;

use anyhow::{Context, bail};
use doxin_server::auth::{password, secrets};
use doxin_store::{NewApiToken, NewUser, Role, Store, StoreError};

use crate::cli::UserAction;

pub async fn run(action: UserAction, store: &dyn Store) -> anyhow::Result<ExitCode> {
    match action {
        UserAction::Create { email, name, admin } => {
            let pw = read_password()?;
            let email = email.trim().to_lowercase();
            if !email.contains('@') {
                bail!("--email must be an e-mail address");
            }
            // The same policy as sign-up, so the shell is no way around it.
            password::check_policy(&pw, Some(&email)).map_err(|e| match e {
                doxin_server::ApiError::Problem { code, detail, .. } => {
                    anyhow::anyhow!("{code}: {detail}")
                }
                other => anyhow::anyhow!("{other}"),
            })?;
            let display_name =
                name.unwrap_or_else(|| email.split('@').next().unwrap_or(&email).to_string());
            let password_hash = password::hash(pw)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let user = store
                .create_user(NewUser {
                    email,
                    display_name,
                    password_hash,
                    role: if admin { Role::Admin } else { Role::User },
                })
                .await
                .map_err(|e| match e {
                    StoreError::Conflict { .. } => {
                        anyhow::anyhow!("a user with this e-mail address exists")
                    }
                    other => other.into(),
                })?;
            store
                .append_audit(doxin_store::NewAuditEntry {
                    actor_id: None,
                    action: "user.create_cli".into(),
                    entity_type: "user".into(),
                    entity_id: Some(user.id.to_string()),
                    after: Some(serde_json::json!({"email": user.email, "role": user.role})),
                    ..Default::default()
                })
                .await?;
            println!(
                "created {} {} ({})",
                user.role.as_str(),
                user.email,
                user.id
            );
            Ok(ExitCode::SUCCESS)
        }
        UserAction::Token { email, name } => {
            let user = store
                .find_user_by_email(&email)
                .await
                .with_context(|| format!("no user {email}"))?;
            let token = secrets::new_api_token();
            store
                .create_api_token(NewApiToken {
                    user_id: user.id,
                    name,
                    token_hash: secrets::sha256_hex(&token),
                    prefix: token.chars().take(10).collect(),
                    expires_at: None,
                })
                .await?;
            println!("{token}");
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn read_password() -> anyhow::Result<String> {
    if let Ok(pw) = std::env::var("DOXIN_USER_PASSWORD") {
        return Ok(pw);
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the password from standard input")?;
    let pw = line.trim_end_matches(['\r', '\n']).to_string();
    if pw.is_empty() {
        bail!("no password: set DOXIN_USER_PASSWORD or pipe it on standard input");
    }
    Ok(pw)
}
