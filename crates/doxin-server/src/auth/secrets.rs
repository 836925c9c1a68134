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

/// Bytes of a generated installation key (256 bits, what HS256 wants).
const INSTALLATION_KEY_BYTES: usize = 32;

/// The key kept in `path`, created on first use: random, readable by its owner only (0600),
/// and reused on every start, so sessions' JWTs and job tokens survive restarts. Written to
/// a temporary file that is then hard-linked into place, so processes starting together on one
/// data directory all end up with the one key that won, never a half-written one.
pub fn installation_key(path: &std::path::Path) -> std::io::Result<String> {
    use std::io::Write;
    if let Some(key) = read_key(path)? {
        return Ok(key);
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let key = random_hex(INSTALLATION_KEY_BYTES);
    let tmp = path.with_extension(format!("tmp-{}", random_hex(6)));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let written = options.open(&tmp).and_then(|mut f| {
        f.write_all(key.as_bytes())?;
        f.sync_all()
    });
    let linked = written.and_then(|()| std::fs::hard_link(&tmp, path));
    let _ = std::fs::remove_file(&tmp);
    match linked {
        Ok(()) => Ok(key),
        // Another process was first: its key is the installation's.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => read_key(path)?
            .ok_or_else(|| std::io::Error::other(format!("{} is empty", path.display()))),
        Err(e) => Err(e),
    }
}

/// The key in `path` if the file exists; an existing file that is too short is an error
/// rather than a weak key.
fn read_key(path: &std::path::Path) -> std::io::Result<Option<String>> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let key = text.trim().to_string();
            if key.len() < INSTALLATION_KEY_BYTES {
                return Err(std::io::Error::other(format!(
                    "{} holds {} characters; a key needs at least {INSTALLATION_KEY_BYTES} \
                     (delete the file to generate a new one)",
                    path.display(),
                    key.len()
                )));
            }
            Ok(Some(key))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn installation_keys_are_random_private_and_kept() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("data").join("jwt_secret_key");
        let first = installation_key(&path).expect("create");
        assert_eq!(first.len(), 64);
        assert_eq!(installation_key(&path).expect("reuse"), first);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let other = installation_key(&dir.path().join("other")).expect("create");
        assert_ne!(other, first);
        std::fs::write(&path, "short").expect("write");
        assert!(installation_key(&path).is_err());
    }

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
