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

/// Fewer different characters than this is a pattern (`aaaaaaaaaa`, `abababab…`), not a
/// password, whatever its length.
pub const MIN_DISTINCT_CHARS: usize = 5;

/// Passwords at the top of every breach list that still pass the length rule. A short list on
/// purpose: it catches what people actually try first; the length and variety rules do the rest.
const COMMON_PASSWORDS: &[&str] = &[
    "1234567890",
    "12345678910",
    "123456789012",
    "0123456789",
    "0987654321",
    "1q2w3e4r5t",
    "1qaz2wsx3edc",
    "qwertyuiop",
    "asdfghjkl;",
    "qwerty123456",
    "qwertyuiop123",
    "password123",
    "password1234",
    "password12345",
    "passw0rd123",
    "p@ssw0rd123",
    "iloveyou123",
    "letmein123",
    "welcome123",
    "welcome1234",
    "administrator",
    "admin12345",
    "changeme123",
    "football123",
    "monkey12345",
    "sunshine123",
    "princess123",
    "dragon12345",
    "trustno1234",
    "superman123",
    "baseball123",
    "starwars123",
    "abcdefghij",
    "abcd123456",
    "abc1234567",
    "zaq12wsxcde",
    "doxin12345",
    "doxinpassword",
    "invoice123",
    "invoices123",
];

fn weak(reason: &str) -> ApiError {
    ApiError::problem(
        StatusCode::UNPROCESSABLE_ENTITY,
        "weak_password",
        reason.to_string(),
    )
}

/// Refuses passwords that are too short, absurdly long, blank, made of a few repeated
/// characters, among the most common ones, or built from the account's e-mail address (the
/// first things anyone guessing tries). `email` is the account's address when known.
pub fn check_policy(password: &str, email: Option<&str>) -> Result<(), ApiError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(weak(&format!(
            "a password needs at least {MIN_PASSWORD_CHARS} characters"
        )));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(ApiError::problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "password_too_long",
            format!("a password may have at most {MAX_PASSWORD_BYTES} bytes"),
        ));
    }
    if password.chars().all(char::is_whitespace) {
        return Err(weak("a password cannot be only spaces"));
    }
    let lower = password.to_lowercase();
    let distinct: std::collections::HashSet<char> = lower.chars().collect();
    if distinct.len() < MIN_DISTINCT_CHARS {
        return Err(weak(&format!(
            "a password needs at least {MIN_DISTINCT_CHARS} different characters"
        )));
    }
    let compact: String = lower.chars().filter(|c| !c.is_whitespace()).collect();
    if COMMON_PASSWORDS.contains(&compact.as_str()) {
        return Err(weak("this password is one of the most common ones"));
    }
    if let Some(email) = email.map(|e| e.trim().to_lowercase()) {
        let local = email.split('@').next().unwrap_or("");
        // A local part of two or three letters ("jo@…") is too short to mean anything inside
        // a longer password; the whole address always counts.
        let contains_local = local.chars().count() >= 4 && lower.contains(local);
        if !email.is_empty() && (lower.contains(&email) || contains_local) {
            return Err(weak(
                "a password cannot contain your e-mail address or its name part",
            ));
        }
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
        assert!(check_policy("short", None).is_err());
        assert!(check_policy("long enough pass", None).is_ok());
        assert!(check_policy(&"x".repeat(2000), None).is_err());
        for weak_one in [
            "          ",
            "aaaaaaaaaa",
            "abababababab",
            "Password123",
            "1234567890",
        ] {
            assert!(check_policy(weak_one, None).is_err(), "{weak_one:?}");
        }
        let email = Some("Ann.Smith@example.com");
        assert!(check_policy("ann.smith@example.com", email).is_err());
        assert!(check_policy("my ann.smith 2024!", email).is_err());
        assert!(check_policy("correct horse battery", email).is_ok());
        assert!(check_policy("jojo is my friend", Some("jo@example.com")).is_ok());
    }
}
