//! Passwords: Argon2id with the crate's defaults (19 MiB, 2 passes), hashed and verified off
//! the async threads because each takes tens of milliseconds of CPU.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use axum::http::StatusCode;

use crate::ApiError;

pub const MIN_PASSWORD_CHARS: usize = 10;
/// Argon2 takes any length, but an unbounded one is a denial-of-service lever.
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// Refuses passwords too short to resist guessing, or absurdly long.
pub fn check_policy(password: &str) -> Result<(), ApiError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(ApiError::problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "weak_password",
            format!("a password needs at least {MIN_PASSWORD_CHARS} characters"),
        ));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(ApiError::problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "password_too_long",
            format!("a password may have at most {MAX_PASSWORD_BYTES} bytes"),
        ));
    }
    Ok(())
}

/// The PHC string (`$argon2id$v=19$…`) of `password` with a fresh random salt.
pub async fn hash(password: String) -> Result<String, ApiError> {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| ApiError::Internal(format!("hashing a password: {e}").into()))
    })
    .await
    .map_err(|e| ApiError::Internal(Box::new(e)))?
}

/// Whether `password` matches the stored PHC string (a malformed one matches nothing).
pub async fn verify(password: String, phc: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&phc)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

/// A hash to verify against when the account does not exist, so a sign-in for an unknown
/// e-mail address takes as long as one with a wrong password.
pub async fn dummy_verify(password: String) {
    // A valid Argon2id hash of a random value nobody knows.
    const DUMMY: &str = "$argon2id$v=19$m=19456,t=2,p=1$ZG94aW5kdW1teXNhbHQ$\
        rYh7lYbzN8n1H5nwQK5Xq1p3xh5Xb2nC6Q0m9yE8qSA";
    let _ = verify(password, DUMMY.to_string()).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_differ_by_salt() {
        let a = hash("correct horse battery".into()).await.expect("hash");
        let b = hash("correct horse battery".into()).await.expect("hash");
        assert!(a.starts_with("$argon2id$"), "{a}");
        assert_ne!(a, b, "salted");
        assert!(verify("correct horse battery".into(), a.clone()).await);
        assert!(!verify("correct horse battery!".into(), a).await);
        assert!(!verify("x".into(), "not a hash".into()).await);
    }

    #[test]
    fn policy() {
        assert!(check_policy("short").is_err());
        assert!(check_policy("long enough pass").is_ok());
        assert!(check_policy(&"x".repeat(2000)).is_err());
    }
}
