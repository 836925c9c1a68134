//! Random secrets and how they are kept: session ids, API tokens and access codes are random
//! values the holder presents; the database stores only their SHA-256, so a leaked database
//! signs nobody in. (Passwords, chosen by people, get Argon2id instead: see `password`.)

use rand::Rng;
use sha2::{Digest, Sha256};

/// Marks a personal API token, so a bearer credential can be told from a JWT at a glance
/// (and secret scanners can find leaked ones).
pub const API_TOKEN_PREFIX: &str = "dxn_";

/// Access codes avoid look-alike characters (0/O, 1/I/L) because people type them.
const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
pub const ACCESS_CODE_LEN: usize = 12;

/// `bytes` random bytes as lower-case hex.
pub fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill(&mut buf[..]);
    hex::encode(buf)
}

pub fn sha256_hex(value: &str) -> String {
    hex::encode(Sha256::digest(value.as_bytes()))
}

/// A new personal API token: the prefix and 256 random bits.
pub fn new_api_token() -> String {
    format!("{API_TOKEN_PREFIX}{}", random_hex(32))
}

/// A new 12-character access code (about 59 bits: single use and short-lived, and the
/// endpoints that check codes are rate limited).
pub fn new_access_code() -> String {
    let mut rng = rand::rng();
    (0..ACCESS_CODE_LEN)
        .map(|_| char::from(CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())]))
        .collect()
}

/// A typed access code as stored: upper case, without the spaces and dashes people add.
pub fn normalize_access_code(input: &str) -> String {
    input
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_uppercase)
        .collect()
}

/// Compares secrets without leaking, through timing, how much of them matched.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_codes_are_twelve_unambiguous_characters() {
        for _ in 0..200 {
            let code = new_access_code();
            assert_eq!(code.len(), ACCESS_CODE_LEN);
            assert!(code.bytes().all(|b| CODE_ALPHABET.contains(&b)), "{code}");
        }
        assert_ne!(new_access_code(), new_access_code());
        assert_eq!(normalize_access_code(" abcd-efgh ijkm"), "ABCDEFGHIJKM");
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let t = new_api_token();
        assert!(t.starts_with(API_TOKEN_PREFIX) && t.len() == API_TOKEN_PREFIX.len() + 64);
        assert_ne!(t, new_api_token());
        assert_eq!(sha256_hex("abc").len(), 64);
        assert!(constant_time_eq("same", "same"));
        assert!(!constant_time_eq("same", "sane"));
        assert!(!constant_time_eq("same", "same!"));
    }
}
