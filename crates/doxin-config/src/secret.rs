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

/// A URL whose password (if any) is masked when shown.
pub fn mask_url_password(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut u) if u.password().is_some() => {
            // set_password only fails for URLs that cannot have one, which we just saw has one.
            let _ = u.set_password(Some("********"));
            u.to_string()
        }
        _ => raw.to_string(),
    }
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
    fn url_passwords_are_masked() {
        let m = mask_url_password("postgres://app:pa55@db:5432/doxin");
        assert_eq!(m, "postgres://app:********@db:5432/doxin");
        assert_eq!(
            mask_url_password("sqlite://./data/x.db"),
            "sqlite://./data/x.db"
        );
    }
}
