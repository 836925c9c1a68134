//! Transport security to the database and Redis: with `ENVIRONMENT=production` a PostgreSQL URL
//! must ask for TLS (`sslmode=require`, `verify-ca` or `verify-full`) and a Redis URL must be
//! `rediss://`; `REDIS_CA_FILE` names the CA that signed a private Redis server's certificate
//! (PostgreSQL's comes in the URL as `sslrootcert=`). Files named here are checked now, so a
//! wrong path is a configuration error rather than a failed connection later.

use std::path::{Path, PathBuf};

use super::{ConfigError, Reader};
use crate::reader::Origin;
use crate::secret::mask_url_password;

/// The `sslmode` values that encrypt the connection; `prefer` and `allow` fall back to plain.
const TLS_SSLMODES: &[&str] = &["require", "verify-ca", "verify-full"];

/// Checks a PostgreSQL URL read from `variable`: a readable `sslrootcert` wherever it is
/// given, and TLS in production.
pub(super) fn check_postgres_url(
    variable: &'static str,
    url: &str,
    production: bool,
) -> Result<(), ConfigError> {
    let Ok(parsed) = url::Url::parse(url) else {
        return Ok(()); // The caller reports a malformed URL.
    };
    let param = |name: &str| {
        parsed
            .query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    let sslmode = param("sslmode").or_else(|| param("ssl-mode"));
    if let Some(root) = param("sslrootcert").or_else(|| param("ssl-root-cert"))
        && let Err(why) = readable_pem(Path::new(&root))
    {
        return Err(ConfigError::Invalid {
            variable,
            value: mask_url_password(url),
            allowed: format!("sslrootcert={root} must name a readable PEM CA file: {why}"),
        });
    }
    if production
        && !sslmode
            .as_deref()
            .is_some_and(|m| TLS_SSLMODES.contains(&m.to_ascii_lowercase().as_str()))
    {
        let got = match &sslmode {
            Some(m) => format!("it asks for sslmode={m}"),
            None => "it has no sslmode parameter".to_string(),
        };
        return Err(ConfigError::PlainConnectionInProduction {
            variable,
            why: format!(
                "{got}, which allows an unencrypted connection; add ?sslmode=require, or \
                 sslmode=verify-full&sslrootcert=/path/to/ca.pem to check the server's \
                 certificate and name"
            ),
        });
    }
    Ok(())
}

/// Refuses a plain `redis://` URL from `variable` in production.
pub(super) fn check_redis_url(
    variable: &'static str,
    url: &str,
    production: bool,
) -> Result<(), ConfigError> {
    if production && !url.starts_with("rediss://") {
        return Err(ConfigError::PlainConnectionInProduction {
            variable,
            why: "it is a plain redis:// URL; use rediss:// (TLS), with REDIS_CA_FILE when the \
                  server's certificate is not signed by a public CA"
                .into(),
        });
    }
    Ok(())
}

/// `REDIS_CA_FILE`: the PEM CA a `rediss://` server's certificate is checked against instead
/// of the public web PKI roots. `redis_url` is the URL in use, if any.
pub(super) fn redis_ca_file(
    r: &mut Reader<'_>,
    redis_url: Option<&str>,
) -> Result<Option<PathBuf>, ConfigError> {
    let Some((name, value, origin)) = r.raw(&["REDIS_CA_FILE"]) else {
        let shown = match redis_url {
            Some(u) if u.starts_with("rediss://") => "(unset: public web PKI roots)",
            _ => "(unset)",
        };
        r.record("REDIS_CA_FILE", shown.into(), Origin::Default);
        return Ok(None);
    };
    let path = PathBuf::from(value.trim());
    let invalid = |allowed: String| ConfigError::Invalid {
        variable: name,
        value: value.to_string(),
        allowed,
    };
    match redis_url {
        None => {
            r.record(name, format!("{value} (unused: no Redis URL)"), origin);
            return Ok(None);
        }
        Some(u) if !u.starts_with("rediss://") => {
            return Err(invalid(
                "a CA file only with a rediss:// (TLS) Redis URL; the Redis URL in use is \
                 redis://"
                    .into(),
            ));
        }
        Some(_) => {}
    }
    readable_pem(&path).map_err(|why| invalid(format!("a readable PEM CA file: {why}")))?;
    r.record(name, path.display().to_string(), origin);
    Ok(Some(path))
}

/// Whether `path` can be read and holds at least one PEM certificate.
fn readable_pem(path: &Path) -> Result<(), String> {
    let text = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if !text
        .windows(b"-----BEGIN CERTIFICATE-----".len())
        .any(|w| w == b"-----BEGIN CERTIFICATE-----")
    {
        return Err(format!("{} holds no PEM certificate", path.display()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::{ConfigError, Settings};
    use crate::reader::Vars;

    const STRONG: &str = "0123456789abcdef0123456789abcdef";

    fn production(pairs: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let mut all = vec![
            ("ENVIRONMENT", "production"),
            ("SECRET_KEY", STRONG),
            ("JWT_SECRET_KEY", STRONG),
        ];
        all.extend_from_slice(pairs);
        Settings::from_vars(&Vars::from_pairs(all))
    }

    fn refused(err: ConfigError) -> (&'static str, String) {
        let text = err.to_string();
        match err {
            ConfigError::PlainConnectionInProduction { variable, .. } => (variable, text),
            other => panic!("expected PlainConnectionInProduction, got {other:?}"),
        }
    }

    fn ca_file(dir: &std::path::Path) -> String {
        let path = dir.join("ca.pem");
        std::fs::write(
            &path,
            "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
        )
        .expect("write");
        path.display().to_string()
    }

    #[test]
    fn tls_production_refuses_a_plain_postgres_url_naming_its_variable() {
        for var in ["NEON_DATABASE_URL", "DATABASE_URL"] {
            for url in [
                "postgres://u:pw@db.example/doxin",
                "postgres://u:pw@db.example/doxin?sslmode=prefer",
                "postgresql://u:pw@db.example/doxin?sslmode=disable",
            ] {
                let (variable, text) = refused(production(&[(var, url)]).unwrap_err());
                assert_eq!(variable, var, "{url}");
                assert!(
                    text.contains(var) && text.contains("sslmode=require"),
                    "{text}"
                );
                assert!(!text.contains("pw@"), "no password: {text}");
            }
        }
        for mode in ["require", "verify-ca", "verify-full", "REQUIRE"] {
            let url = format!("postgres://u:pw@db.example/doxin?sslmode={mode}");
            production(&[("NEON_DATABASE_URL", &url)]).expect(mode);
        }
        // SQLite is a local file: nothing to encrypt.
        production(&[("DATABASE_URL", "sqlite://./data/doxin.db")]).expect("sqlite");
        // Outside production a plain URL is fine.
        Settings::from_vars(&Vars::from_pairs([(
            "DATABASE_URL",
            "postgres://u@localhost/doxin",
        )]))
        .expect("development");
    }

    #[test]
    fn tls_production_refuses_plain_redis_naming_the_variable_that_supplied_it() {
        let pg = ("NEON_DATABASE_URL", "postgres://u@db/doxin?sslmode=require");
        for var in ["PRODUCTION_REDIS_URL", "REDIS_URL", "CELERY_BROKER_URL"] {
            let (variable, text) =
                refused(production(&[pg, (var, "redis://:pw@cache:6379/0")]).unwrap_err());
            assert_eq!(variable, var);
            assert!(text.contains(var) && text.contains("rediss://"), "{text}");
            assert!(!text.contains("pw@"), "{text}");
        }
        let s =
            production(&[pg, ("PRODUCTION_REDIS_URL", "rediss://:pw@cache:6380")]).expect("rediss");
        assert!(s.redis_ca_file.is_none());
    }

    #[test]
    fn tls_redis_ca_file_must_be_a_readable_pem_used_with_rediss() {
        let dir = tempfile::tempdir().expect("tempdir");
        let ca = ca_file(dir.path());
        let s = Settings::from_vars(&Vars::from_pairs([
            ("REDIS_URL", "rediss://127.0.0.1:6380"),
            ("REDIS_CA_FILE", ca.as_str()),
        ]))
        .expect("valid");
        assert_eq!(s.redis_ca_file.as_deref(), Some(std::path::Path::new(&ca)));
        assert!(
            s.entries()
                .iter()
                .any(|e| e.variable == "REDIS_CA_FILE" && e.shown == ca)
        );
        let missing = dir.path().join("missing.pem").display().to_string();
        let not_pem = dir.path().join("not.pem");
        std::fs::write(&not_pem, "hello").expect("write");
        let not_pem = not_pem.display().to_string();
        for (url, file) in [
            ("rediss://127.0.0.1:6380", missing.as_str()),
            ("rediss://127.0.0.1:6380", not_pem.as_str()),
            ("redis://127.0.0.1:6379", ca.as_str()),
        ] {
            let err = Settings::from_vars(&Vars::from_pairs([
                ("REDIS_URL", url),
                ("REDIS_CA_FILE", file),
            ]))
            .unwrap_err();
            assert!(
                matches!(
                    err,
                    ConfigError::Invalid {
                        variable: "REDIS_CA_FILE",
                        ..
                    }
                ),
                "{url} {file}: {err:?}"
            );
        }
        // Without Redis it is shown as unused, not an error.
        let s = Settings::from_vars(&Vars::from_pairs([("REDIS_CA_FILE", missing.as_str())]))
            .expect("unused");
        assert!(s.redis_ca_file.is_none());
    }

    #[test]
    fn tls_sslrootcert_must_be_readable() {
        let dir = tempfile::tempdir().expect("tempdir");
        let ca = ca_file(dir.path());
        let ok = format!("postgres://u@db/doxin?sslmode=verify-full&sslrootcert={ca}");
        Settings::from_vars(&Vars::from_pairs([("DATABASE_URL", ok.as_str())])).expect("ok");
        let bad = "postgres://u:pw@db/doxin?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem";
        let err = Settings::from_vars(&Vars::from_pairs([("DATABASE_URL", bad)])).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("DATABASE_URL") && text.contains("/nonexistent/ca.pem"),
            "{text}"
        );
        assert!(!text.contains(":pw@"), "{text}");
    }
}
