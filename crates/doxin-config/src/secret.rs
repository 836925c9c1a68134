//! A string that never shows itself in `Debug` or `Display`.

use std::fmt;

/// A secret value (password, key, URL with credentials). Read it with [`Secret::expose`];
/// formatting prints a mask, so a secret cannot leak into a log line by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// A mask that says whether the value is set, and nothing else about it.
    pub fn masked(&self) -> &'static str {
        if self.0.is_empty() {
            "(empty)"
        } else {
            "********"
        }
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({})", self.masked())
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.masked())
    }
}

/// What masked parts of a URL show instead.
const MASK: &str = "********";

/// Query parameters whose values are credentials (libpq's `password` and `sslpassword`,
/// Redis clients' `password`, tokens and keys of object stores and APIs).
const SECRET_PARAMS: &[&str] = &[
    "password",
    "passwd",
    "pwd",
    "pass",
    "sslpassword",
    "secret",
    "token",
    "access_token",
    "auth_token",
    "api_key",
    "apikey",
    "key",
    "access_key",
    "secret_key",
    "aws_secret_access_key",
    "sig",
    "signature",
    "x-amz-signature",
    "x-amz-credential",
    "x-amz-security-token",
];

fn is_secret_param(name: &str) -> bool {
    let name = name.trim().to_ascii_lowercase();
    SECRET_PARAMS.contains(&name.as_str())
}

/// A URL for showing: its password and any credential in the query (`?password=…`,
/// `?token=…`) masked; the user name is kept. Works on malformed URLs too (a value that failed
/// to parse still ends up in an error message), by masking what looks like credentials.
pub fn mask_url_password(raw: &str) -> String {
    mask(raw, false)
}

/// Like [`mask_url_password`], but the whole user information (`user:password@`) is masked:
/// for URLs that should carry none, such as `FRONTEND_URL` and `PUBLIC_URL`, where a user
/// name may itself be a token.
pub fn mask_url_userinfo(raw: &str) -> String {
    mask(raw, true)
}

fn mask(raw: &str, whole_userinfo: bool) -> String {
    match url::Url::parse(raw) {
        Ok(u) if u.has_host() || u.scheme() == "sqlite" || u.scheme() == "file" => {
            let hidden = (whole_userinfo && !u.username().is_empty())
                || u.password().is_some()
                || u.query().is_some_and(|q| mask_query(q) != q);
            // Shown as written when there is nothing to hide (no added trailing slash).
            if hidden {
                mask_parsed(u, whole_userinfo)
            } else {
                raw.to_string()
            }
        }
        _ => mask_text(raw, whole_userinfo),
    }
}

fn mask_parsed(mut u: url::Url, whole_userinfo: bool) -> String {
    if whole_userinfo && !u.username().is_empty() {
        let _ = u.set_username(MASK);
    }
    if u.password().is_some() {
        // Fails only for URLs that cannot have a password, which this one has.
        let _ = u.set_password(Some(MASK));
    }
    if let Some(query) = u.query().map(str::to_string) {
        u.set_query(Some(&mask_query(&query)));
    }
    u.to_string()
}

/// `a=1&password=x` → `a=1&password=********`, textually (nothing else is re-encoded).
fn mask_query(query: &str) -> String {
    query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((k, _)) if is_secret_param(&percent_decode_lossy(k)) => format!("{k}={MASK}"),
            _ => pair.to_string(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// Enough percent-decoding to recognise a parameter name written as `pass%77ord`.
fn percent_decode_lossy(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        if bytes[i] == b'%'
            && let (Some(h), Some(l)) = (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            )
        {
            out.push(u8::try_from(h * 16 + l).unwrap_or(b'?'));
            i += 3;
            continue;
        }
        out.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Masking without a parser, for values that are not well-formed URLs: everything between
/// `scheme://` (plus the user name, unless `whole_userinfo`) and the last `@` is taken for a
/// password — when unsure, too much is hidden rather than too little — and secret query
/// parameters are masked after the first `?`.
fn mask_text(raw: &str, whole_userinfo: bool) -> String {
    let (head, query) = match raw.split_once('?') {
        Some((h, q)) => (h, Some(q)),
        None => (raw, None),
    };
    let mut out = match (head.find("://"), head.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end + 3 => {
            let start = scheme_end + 3;
            let userinfo = &head[start..at];
            let shown_user = match userinfo.split_once(':') {
                _ if whole_userinfo => MASK.to_string(),
                Some((user, _)) => format!("{user}:{MASK}"),
                // No password separator: a bare token as user name is still a secret.
                None => MASK.to_string(),
            };
            format!("{}{shown_user}{}", &head[..start], &head[at..])
        }
        // No scheme but an `@`: `user:password@host` written without one.
        (None, Some(at)) if head[..at].contains(':') => {
            let user = head[..at].split(':').next().unwrap_or("");
            let shown = if whole_userinfo { MASK } else { user };
            format!("{shown}:{MASK}{}", &head[at..])
        }
        _ => head.to_string(),
    };
    if let Some(q) = query {
        out.push('?');
        out.push_str(&mask_query(q));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_never_show_the_value() {
        let s = Secret::new("hunter2");
        assert!(!format!("{s:?}").contains("hunter2"));
        assert!(!format!("{s}").contains("hunter2"));
        assert_eq!(s.expose(), "hunter2");
    }

    #[test]
    fn query_passwords_malformed_urls_and_userinfo_are_masked() {
        let m = mask_url_password("postgres://db:5432/doxin?sslmode=require&password=qp4ss");
        assert_eq!(
            m,
            "postgres://db:5432/doxin?sslmode=require&password=********"
        );
        let m = mask_url_password("redis://cache:6379/0?PassWord=qp4ss&db=1");
        assert!(!m.contains("qp4ss") && m.contains("db=1"), "{m}");
        // Not parseable (a bad port, an unescaped character): still masked.
        for raw in [
            "postgres://app:s3cr3t@db:99999/doxin",
            "postgres://app:s3/cr3t@db/doxin",
            "postgres://app:s3cr3t@db:port/doxin?password=s3cr3t",
            "app:s3cr3t@db/doxin",
        ] {
            let m = mask_url_password(raw);
            assert!(!m.contains("s3cr3t") && !m.contains("cr3t"), "{raw} -> {m}");
        }
        assert_eq!(
            mask_url_userinfo("https://deploy:tok3n@app.example.com/"),
            "https://********:********@app.example.com/"
        );
        assert_eq!(
            mask_url_userinfo("https://tok3n@app.example.com"),
            "https://********@app.example.com/"
        );
        assert_eq!(
            mask_url_userinfo("https://app.example.com"),
            "https://app.example.com"
        );
    }

    #[test]
    fn url_passwords_are_masked() {
        let m = mask_url_password("postgres://app:pa55@db:5432/doxin");
        assert_eq!(m, "postgres://app:********@db:5432/doxin");
        assert_eq!(
            mask_url_password("sqlite://./data/x.db"),
            "sqlite://./data/x.db"
        );
    }
}
