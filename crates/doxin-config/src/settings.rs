//! The typed settings and their parsing rules.

use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::reader::{ConfigEntry, Origin, Vars};
use crate::secret::{Secret, mask_url_password, mask_url_userinfo};

mod llm;
mod sandbox;
mod tls;
pub use llm::{EmbeddingsProvider, EmbeddingsSettings, ExtractionMode, LlmProvider, LlmSettings};
pub use sandbox::SandboxSettings;

/// A configuration problem. Each names the variable and what would be accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("{variable}={value:?} is not valid: {allowed}")]
    Invalid {
        variable: &'static str,
        /// The offending value, masked when the variable is a secret.
        value: String,
        allowed: String,
    },
    #[error("{variable} must be set when ENVIRONMENT=production: {why}")]
    InsecureInProduction { variable: &'static str, why: String },
    /// A database or Redis URL without TLS in production.
    #[error("{variable} must use TLS when ENVIRONMENT=production: {why}")]
    PlainConnectionInProduction { variable: &'static str, why: String },
    #[error("cannot read {path}: {reason}")]
    DotEnv { path: String, reason: String },
}

impl ConfigError {
    /// The error with any URL credentials in its value masked: every error passes through
    /// this before it leaves [`Settings::from_vars`], so none can print a password.
    fn masked(self) -> ConfigError {
        match self {
            ConfigError::Invalid {
                variable,
                value,
                allowed,
            } => ConfigError::Invalid {
                variable,
                value: mask_url_password(&value),
                allowed,
            },
            other => other,
        }
    }
}

/// The deployment environment (`ENVIRONMENT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Development,
    Testing,
    Staging,
    Production,
}

impl Environment {
    pub fn as_str(self) -> &'static str {
        match self {
            Environment::Development => "development",
            Environment::Testing => "testing",
            Environment::Staging => "staging",
            Environment::Production => "production",
        }
    }
}

impl FromStr for Environment {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s.to_ascii_lowercase().as_str() {
            "development" | "dev" | "local" => Ok(Environment::Development),
            "testing" | "test" => Ok(Environment::Testing),
            "staging" => Ok(Environment::Staging),
            "production" | "prod" => Ok(Environment::Production),
            _ => Err(()),
        }
    }
}

/// How logs are written (`LOG_FORMAT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Json,
    Pretty,
}

/// Which database the URL selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatabaseBackend {
    Sqlite,
    Postgres,
}

/// Where uploaded files live (`STORAGE_URL`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StorageLocation {
    /// A local directory (the default: `<DATA_DIR>/files`).
    Local(PathBuf),
    /// An object store URL: `s3://bucket/prefix` or `gs://bucket/prefix`.
    Remote(String),
}

impl fmt::Display for StorageLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StorageLocation::Local(p) => write!(f, "{}", p.display()),
            StorageLocation::Remote(u) => f.write_str(u),
        }
    }
}

/// Every setting DoxIn reads, validated.
#[derive(Debug, Clone)]
pub struct Settings {
    pub environment: Environment,
    pub debug: bool,
    pub app_version: String,
    pub host: IpAddr,
    pub port: u16,
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…`; may carry a password, hence secret.
    pub database_url: Secret,
    pub database_backend: DatabaseBackend,
    pub database_max_connections: u32,
    /// `redis://…` or `rediss://…` when a Redis is configured.
    pub redis_url: Option<Secret>,
    /// PEM CA a `rediss://` server's certificate is checked against (`REDIS_CA_FILE`); unset:
    /// the public web PKI roots.
    pub redis_ca_file: Option<PathBuf>,
    pub storage: StorageLocation,
    /// `SECRET_KEY`; `None` (outside production) means the installation's own random key,
    /// generated once and kept under `DATA_DIR` (see [`Settings::secret_key_file`]).
    pub secret_key: Option<Secret>,
    /// `JWT_SECRET_KEY`; `None` likewise (see [`Settings::jwt_secret_key_file`]).
    pub jwt_secret_key: Option<Secret>,
    pub webhook_secret: Option<Secret>,
    pub openai_api_key: Option<Secret>,
    pub anthropic_api_key: Option<Secret>,
    /// Allowed browser origin for CORS.
    pub frontend_url: Option<String>,
    /// Bearer token Prometheus must send to `/metrics` (`METRICS_TOKEN`); unset: only
    /// loopback clients are answered.
    pub metrics_token: Option<Secret>,
    pub session_cookie_secure: bool,
    pub session_cookie_httponly: bool,
    pub worker_concurrency: usize,
    /// Port of a `doxin worker`'s own `/metrics` (`WORKER_METRICS_PORT`); 0: none (the
    /// deployment files set 9464).
    pub worker_metrics_port: u16,
    pub batch_processing_size: usize,
    pub max_upload_mb: u64,
    /// Uploads, the queue and workers.
    pub pipeline: PipelineSettings,
    pub accounts: AccountSettings,
    pub log_format: LogFormat,
    /// A `tracing` filter directive such as `info` or `doxin=debug,sqlx=warn`.
    pub log_level: String,
    /// Language models in extraction.
    pub llm: LlmSettings,
    pub embeddings: EmbeddingsSettings,
    /// Reading untrusted documents: the sandbox and the structural limits.
    pub sandbox: SandboxSettings,
    entries: Vec<ConfigEntry>,
    /// Neither `PUBLIC_URL` nor `FRONTEND_URL` is set: links are built on the port this
    /// process actually listens on ([`Settings::serving_on`]).
    public_url_follows_port: bool,
}

/// Settings of intake, the job queue and workers.
#[derive(Debug, Clone, PartialEq)]
pub struct PipelineSettings {
    /// Documents with more pages are refused (`MAX_PAGES`).
    pub max_pages: u32,
    /// Above this many queued jobs, uploads get 429 (`QUEUE_MAX`).
    pub queue_max: u64,
    /// A running job whose worker is silent this long is taken over (`JOB_VISIBILITY_TIMEOUT`,
    /// seconds).
    pub visibility_timeout_secs: u64,
    /// Deliveries of one job before it is failed and dead-lettered (`MAX_ATTEMPTS`).
    pub max_attempts: u32,
    /// How often workers repair what crashes and broker data loss left (`JOB_RECONCILE_INTERVAL`,
    /// seconds).
    pub reconcile_interval_secs: u64,
    /// Generated reports older than this many days are deleted by the workers' reconciler
    /// (`REPORT_RETENTION_DAYS`).
    pub report_retention_days: u32,
    /// Prefix of every Redis key and channel (`REDIS_KEY_PREFIX`), so deployments can share one.
    pub redis_key_prefix: String,
    /// Document confidence needed for automatic approval (`CONFIDENCE_THRESHOLD`, 0 to 1).
    pub confidence_threshold: f32,
    /// Networks (CIDR) and host names URL ingestion may reach although private
    /// (`URL_FETCH_ALLOWLIST`, comma-separated); checked by the fetcher at start-up.
    pub url_fetch_allowlist: String,
    /// Time limit of one URL download (`URL_FETCH_TIMEOUT`, seconds).
    pub url_fetch_timeout_secs: u64,
    /// Tesseract languages for scans and photos (`OCR_LANGUAGES`, codes joined by '+').
    pub ocr_languages: String,
    /// Images narrower than this many pixels are enlarged twice before OCR
    /// (`OCR_UPSCALE_BELOW`; 0: never).
    pub ocr_upscale_below: u32,
    /// How several OCR languages are used (`OCR_LANGUAGE_CHOICE`).
    pub ocr_language_choice: OcrLanguageChoice,
    /// How Tesseract is run (`OCR_ENGINE`).
    pub ocr_engine: OcrEngine,
}

/// How Tesseract is run (`OCR_ENGINE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OcrEngine {
    /// `library` (default): Tesseract's library, its models loaded once per process and kept;
    /// the program where the library is missing.
    Library,
    /// `program`: the `tesseract` program once per page, loading its models each time.
    Program,
}

/// How a page is read when `OCR_LANGUAGES` lists several languages (`OCR_LANGUAGE_CHOICE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OcrLanguageChoice {
    /// `auto`: the first language alone; another listed one is added (the page read again)
    /// only when its words show in that reading. Faster, less accurate on poor scans.
    Auto,
    /// `all` (default): every listed language together on every page (Tesseract's
    /// `-l eng+deu`), which retries the words one model reads poorly with the others.
    All,
}

/// Settings of sign-up, sign-in and sessions.
#[derive(Debug, Clone, PartialEq)]
pub struct AccountSettings {
    /// Anyone may sign up without an access code (`OPEN_SIGNUP`).
    pub open_signup: bool,
    /// How long a browser session lasts (`SESSION_TTL_HOURS`).
    pub session_ttl_hours: u64,
    /// Attempts per minute and client address on sign-in, sign-up, access-code and
    /// access-request endpoints (`AUTH_RATE_LIMIT_PER_MINUTE`); more get 429.
    pub auth_rate_limit_per_minute: u32,
    /// How long an API process keeps what a credential resolved to (user, workspace) before
    /// asking the database again (`AUTH_CACHE_SECONDS`; 0: every request asks). Changes made
    /// through the API apply at once anyway; changes written to the database otherwise apply
    /// within this bound.
    pub auth_cache_seconds: u64,
    /// The address people reach DoxIn at, for links in invitations (`PUBLIC_URL`; defaults
    /// to `FRONTEND_URL`, else `http://localhost:<PORT>`).
    pub public_url: String,
    /// Days an access code stays valid unless the administrator says otherwise
    /// (`ACCESS_CODE_TTL_DAYS`).
    pub access_code_ttl_days: u32,
    /// Where invitations are mailed from; `None` shows invitation links to the administrator.
    pub smtp: Option<SmtpSettings>,
}

/// How transport security is set up with the mail server (`SMTP_TLS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    /// Plain SMTP (a local relay).
    None,
    /// Upgrade with STARTTLS (usually port 587).
    StartTls,
    /// TLS from the first byte (usually port 465).
    Tls,
}

/// The mail server invitations go through (`SMTP_HOST`, alias `MAIL_SERVER`).
#[derive(Debug, Clone, PartialEq)]
pub struct SmtpSettings {
    pub host: String,
    /// `SMTP_PORT` (alias `MAIL_PORT`); default 587, or 465 with `SMTP_TLS=tls`, 25 with `none`.
    pub port: u16,
    pub tls: SmtpTls,
    /// `SMTP_USERNAME` / `SMTP_PASSWORD` (aliases `MAIL_USERNAME` / `MAIL_PASSWORD`).
    pub username: Option<String>,
    pub password: Option<Secret>,
    /// `SMTP_FROM` (alias `MAIL_DEFAULT_SENDER`), e.g. `DoxIn <invoices@example.com>`.
    pub from: String,
}

impl SmtpSettings {
    fn read(r: &mut Reader<'_>) -> Result<Option<SmtpSettings>, ConfigError> {
        let Some((name, host, origin)) = r.raw(&["SMTP_HOST", "MAIL_SERVER"]) else {
            r.record(
                "SMTP_HOST",
                "(unset: no mail is sent)".into(),
                Origin::Default,
            );
            // The rest is unused without a host, but `config check` still shows what is set.
            for names in [
                &["SMTP_TLS"][..],
                &["SMTP_PORT", "MAIL_PORT"],
                &["SMTP_USERNAME", "MAIL_USERNAME"],
                &["SMTP_FROM", "MAIL_DEFAULT_SENDER"],
            ] {
                match r.raw(names) {
                    Some((n, v, o)) => r.record(n, format!("{v} (unused: SMTP_HOST is unset)"), o),
                    None => r.record(names[0], "(unset)".into(), Origin::Default),
                }
            }
            let _ = r.optional_secret(&["SMTP_PASSWORD", "MAIL_PASSWORD"]);
            return Ok(None);
        };
        let host = host.trim().to_string();
        r.record(name, host.clone(), origin);
        let tls = r.parsed(
            "SMTP_TLS",
            SmtpTls::StartTls,
            "none, starttls or tls",
            |t| match t {
                SmtpTls::None => "none".into(),
                SmtpTls::StartTls => "starttls".into(),
                SmtpTls::Tls => "tls".into(),
            },
        )?;
        let default_port = match tls {
            SmtpTls::None => 25,
            SmtpTls::StartTls => 587,
            SmtpTls::Tls => 465,
        };
        let port = match r.raw(&["SMTP_PORT", "MAIL_PORT"]) {
            Some((n, v, o)) => {
                let p = v
                    .trim()
                    .parse::<u16>()
                    .ok()
                    .filter(|p| *p > 0)
                    .ok_or_else(|| ConfigError::Invalid {
                        variable: n,
                        value: v.to_string(),
                        allowed: "a port number from 1 to 65535".into(),
                    })?;
                r.record(n, p.to_string(), o);
                p
            }
            None => {
                r.record("SMTP_PORT", default_port.to_string(), Origin::Default);
                default_port
            }
        };
        let username = match r.raw(&["SMTP_USERNAME", "MAIL_USERNAME"]) {
            Some((n, v, o)) => {
                r.record(n, v.to_string(), o);
                Some(v.to_string())
            }
            None => {
                r.record("SMTP_USERNAME", "(unset: no login)".into(), Origin::Default);
                None
            }
        };
        let password = r.optional_secret(&["SMTP_PASSWORD", "MAIL_PASSWORD"]);
        let from = match r.raw(&["SMTP_FROM", "MAIL_DEFAULT_SENDER"]) {
            Some((n, v, o)) => {
                r.record(n, v.to_string(), o);
                v.to_string()
            }
            None => {
                let from = format!("DoxIn <doxin@{host}>");
                r.record("SMTP_FROM", from.clone(), Origin::Default);
                from
            }
        };
        if host.is_empty() {
            return Err(ConfigError::Invalid {
                variable: "SMTP_HOST",
                value: host,
                allowed: "a mail server host name".into(),
            });
        }
        Ok(Some(SmtpSettings {
            host,
            port,
            tls,
            username,
            password,
            from,
        }))
    }
}

impl AccountSettings {
    fn read(
        r: &mut Reader<'_>,
        frontend_url: Option<&str>,
        port: u16,
    ) -> Result<AccountSettings, ConfigError> {
        let fallback = frontend_url
            .map(str::to_string)
            .unwrap_or_else(|| format!("http://localhost:{port}"));
        let public_url = match r.raw(&["PUBLIC_URL"]) {
            Some((n, v, o)) => {
                r.record(n, mask_url_userinfo(v), o);
                v.to_string()
            }
            None => {
                r.record("PUBLIC_URL", mask_url_userinfo(&fallback), Origin::Default);
                fallback
            }
        };
        let parsed = url::Url::parse(&public_url)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some());
        let Some(parsed) = parsed else {
            return Err(ConfigError::Invalid {
                variable: "PUBLIC_URL",
                value: mask_url_userinfo(&public_url),
                allowed: "an http(s) URL such as https://invoices.example.com".into(),
            });
        };
        // Links built on it are mailed to people and logged: no credentials in them.
        let public_url = without_userinfo(parsed);
        Ok(AccountSettings {
            open_signup: r.bool("OPEN_SIGNUP", false)?,
            session_ttl_hours: r.number("SESSION_TTL_HOURS", 168u64, 1, 24 * 365)?,
            auth_rate_limit_per_minute: r.number(
                "AUTH_RATE_LIMIT_PER_MINUTE",
                10u32,
                1,
                100_000,
            )?,
            auth_cache_seconds: r.number("AUTH_CACHE_SECONDS", 5u64, 0, 300)?,
            public_url,
            access_code_ttl_days: r.number("ACCESS_CODE_TTL_DAYS", 14u32, 1, 3650)?,
            smtp: SmtpSettings::read(r)?,
        })
    }
}

impl PipelineSettings {
    fn read(r: &mut Reader<'_>) -> Result<PipelineSettings, ConfigError> {
        let confidence_threshold = r.parsed(
            "CONFIDENCE_THRESHOLD",
            0.8f32,
            "a number from 0 to 1 such as 0.8",
            |v| v.to_string(),
        )?;
        if !(0.0..=1.0).contains(&confidence_threshold) {
            return Err(ConfigError::Invalid {
                variable: "CONFIDENCE_THRESHOLD",
                value: confidence_threshold.to_string(),
                allowed: "a number from 0 to 1 such as 0.8".into(),
            });
        }
        Ok(PipelineSettings {
            max_pages: r.number("MAX_PAGES", 200u32, 1, 100_000)?,
            queue_max: r.number("QUEUE_MAX", 10_000u64, 1, 100_000_000)?,
            visibility_timeout_secs: r.number("JOB_VISIBILITY_TIMEOUT", 60u64, 1, 86_400)?,
            max_attempts: r.number("MAX_ATTEMPTS", 3u32, 1, 100)?,
            reconcile_interval_secs: r.number("JOB_RECONCILE_INTERVAL", 15u64, 1, 3_600)?,
            report_retention_days: r.number("REPORT_RETENTION_DAYS", 30u32, 1, 36_500)?,
            redis_key_prefix: r.string("REDIS_KEY_PREFIX", "doxin"),
            confidence_threshold,
            url_fetch_allowlist: r.string("URL_FETCH_ALLOWLIST", ""),
            url_fetch_timeout_secs: r.number("URL_FETCH_TIMEOUT", 20u64, 1, 600)?,
            ocr_languages: ocr_languages(r)?,
            ocr_upscale_below: r.number("OCR_UPSCALE_BELOW", 0u32, 0, 100_000)?,
            ocr_language_choice: r.parsed(
                "OCR_LANGUAGE_CHOICE",
                OcrLanguageChoice::All,
                "auto or all",
                |c| match c {
                    OcrLanguageChoice::Auto => "auto".into(),
                    OcrLanguageChoice::All => "all".into(),
                },
            )?,
            ocr_engine: r.parsed(
                "OCR_ENGINE",
                OcrEngine::Library,
                "library or program",
                |e| match e {
                    OcrEngine::Library => "library".into(),
                    OcrEngine::Program => "program".into(),
                },
            )?,
        })
    }
}

/// `OCR_LANGUAGES`: Tesseract language codes (letters, digits, '_') joined by '+'.
fn ocr_languages(r: &mut Reader<'_>) -> Result<String, ConfigError> {
    let langs = r.string("OCR_LANGUAGES", "eng+deu");
    let valid = !langs.is_empty()
        && langs.split('+').all(|code| {
            !code.is_empty() && code.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        });
    if !valid {
        return Err(ConfigError::Invalid {
            variable: "OCR_LANGUAGES",
            value: langs,
            allowed: "Tesseract language codes joined by '+', such as eng+deu".into(),
        });
    }
    Ok(langs)
}

/// `u` without user name and password, and without a trailing slash: browser-facing URLs
/// (`FRONTEND_URL`, `PUBLIC_URL`) end up in links, mails and logs, where credentials must not.
fn without_userinfo(mut u: url::Url) -> String {
    // Both only fail for URLs that cannot have credentials, which then have none to remove.
    let _ = u.set_username("");
    let _ = u.set_password(None);
    u.to_string().trim_end_matches('/').to_string()
}

/// Secrets the earlier system's examples and our development default use; never accepted in
/// production.
const KNOWN_DEFAULT_SECRETS: &[&str] = &[
    DEV_SECRET_KEY,
    DEV_JWT_SECRET_KEY,
    "dev-secret-key",
    "dev-jwt-secret",
    "change-me",
    "changeme",
    "secret",
    "your-secret-key",
    "your-secret-key-here",
    "your-jwt-secret-key",
    "jwt-secret-string",
];
/// The development defaults of earlier versions: public, so refused in production although
/// nothing uses them any more.
const DEV_SECRET_KEY: &str = "doxin-insecure-development-secret-key";
const DEV_JWT_SECRET_KEY: &str = "doxin-insecure-development-jwt-secret";
/// Where an installation keeps the keys it generated for itself, under `DATA_DIR`.
const SECRET_KEY_FILE: &str = "secret_key";
const JWT_SECRET_KEY_FILE: &str = "jwt_secret_key";
/// HS256 wants at least 256 bits of key.
const MIN_PRODUCTION_SECRET_LEN: usize = 32;

struct Reader<'a> {
    vars: &'a Vars,
    entries: Vec<ConfigEntry>,
}

impl<'a> Reader<'a> {
    /// The first set variable among `names`, recorded under the first name.
    fn raw(&mut self, names: &[&'static str]) -> Option<(&'static str, &'a str, Origin)> {
        names
            .iter()
            .find_map(|n| self.vars.get(n).map(|(v, o)| (*n, v, o)))
    }

    fn record(&mut self, variable: &'static str, shown: String, origin: Origin) {
        // Whatever the variable, a URL is never shown with its credentials.
        let shown = if shown.contains("://") {
            mask_url_password(&shown)
        } else {
            shown
        };
        self.entries.push(ConfigEntry {
            variable,
            shown,
            origin,
        });
    }

    fn string(&mut self, name: &'static str, default: &str) -> String {
        match self.raw(&[name]) {
            Some((n, v, o)) => {
                self.record(n, v.to_string(), o);
                v.to_string()
            }
            None => {
                self.record(name, default.to_string(), Origin::Default);
                default.to_string()
            }
        }
    }

    fn optional_secret(&mut self, names: &[&'static str]) -> Option<Secret> {
        match self.raw(names) {
            Some((n, v, o)) => {
                let s = Secret::new(v);
                self.record(n, s.masked().to_string(), o);
                Some(s)
            }
            None => {
                self.record(names[0], "(unset)".into(), Origin::Default);
                None
            }
        }
    }

    fn parsed<T: FromStr>(
        &mut self,
        name: &'static str,
        default: T,
        allowed: &str,
        shown: impl Fn(&T) -> String,
    ) -> Result<T, ConfigError> {
        match self.raw(&[name]) {
            Some((n, v, o)) => {
                let parsed = v.parse::<T>().map_err(|_| ConfigError::Invalid {
                    variable: n,
                    value: v.to_string(),
                    allowed: allowed.to_string(),
                })?;
                self.record(n, shown(&parsed), o);
                Ok(parsed)
            }
            None => {
                self.record(name, shown(&default), Origin::Default);
                Ok(default)
            }
        }
    }

    fn bool(&mut self, name: &'static str, default: bool) -> Result<bool, ConfigError> {
        self.parsed(
            name,
            Flag(default),
            "true/false, 1/0, yes/no or on/off",
            |b| b.0.to_string(),
        )
        .map(|f| f.0)
    }

    /// A whole number in `min..=max`.
    fn number<T>(
        &mut self,
        name: &'static str,
        default: T,
        min: T,
        max: T,
    ) -> Result<T, ConfigError>
    where
        T: FromStr + PartialOrd + Copy + fmt::Display,
    {
        let allowed = format!("a whole number from {min} to {max}");
        let v = self.parsed(name, default, &allowed, |v| v.to_string())?;
        if v < min || v > max {
            return Err(ConfigError::Invalid {
                variable: name,
                value: v.to_string(),
                allowed,
            });
        }
        Ok(v)
    }
}

/// A boolean as people write it in environment files.
struct Flag(bool);

impl FromStr for Flag {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s.to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" | "on" => Ok(Flag(true)),
            "0" | "false" | "no" | "off" => Ok(Flag(false)),
            _ => Err(()),
        }
    }
}

impl Settings {
    /// Reads the process environment over `./.env` (or the file named by `DOXIN_ENV_FILE`).
    pub fn from_process() -> Result<Settings, ConfigError> {
        let path = std::env::var_os("DOXIN_ENV_FILE")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(".env"));
        Settings::from_vars(&Vars::from_process(Some(&path))?)
    }

    /// Parses and validates every setting from `vars`.
    pub fn from_vars(vars: &Vars) -> Result<Settings, ConfigError> {
        Settings::read_vars(vars).map_err(ConfigError::masked)
    }

    fn read_vars(vars: &Vars) -> Result<Settings, ConfigError> {
        let mut r = Reader {
            vars,
            entries: Vec::new(),
        };
        let environment = r.parsed(
            "ENVIRONMENT",
            Environment::Development,
            "development, testing, staging or production",
            |e| e.as_str().to_string(),
        )?;
        let production = environment == Environment::Production;
        let debug = r.bool("DEBUG", false)?;
        let app_version = r.string("APP_VERSION", env!("CARGO_PKG_VERSION"));
        let host = r.parsed(
            "HOST",
            IpAddr::from([0, 0, 0, 0]),
            "an IP address such as 0.0.0.0 or 127.0.0.1",
            |h| h.to_string(),
        )?;
        let port = r.number("PORT", 8000u16, 0, u16::MAX)?;
        let data_dir = PathBuf::from(r.string("DATA_DIR", "./data"));

        let (database_url, database_backend) = database_url(&mut r, &data_dir, production)?;
        let database_max_connections = r.number("DATABASE_MAX_CONNECTIONS", 10u32, 1, 1000)?;
        let redis_url = redis_url(&mut r, production)?;
        let redis_ca_file = tls::redis_ca_file(&mut r, redis_url.as_ref().map(Secret::expose))?;
        let storage = storage(&mut r, &data_dir)?;

        let secret_key = production_secret(&mut r, "SECRET_KEY", SECRET_KEY_FILE, production)?;
        let jwt_secret_key =
            production_secret(&mut r, "JWT_SECRET_KEY", JWT_SECRET_KEY_FILE, production)?;
        let webhook_secret = r.optional_secret(&["WEBHOOK_SECRET"]);
        // The alert webhook's bearer token: a short one would be guessed.
        if let Some(t) = &webhook_secret
            && t.expose().chars().count() < 16
        {
            return Err(ConfigError::Invalid {
                variable: "WEBHOOK_SECRET",
                value: t.masked().to_string(),
                allowed: "a secret of at least 16 characters (Alertmanager sends it as \
                    `Authorization: Bearer <WEBHOOK_SECRET>`), e.g. from `openssl rand -hex 32`"
                    .into(),
            });
        }
        let openai_api_key = r.optional_secret(&["OPENAI_API_KEY"]);
        let anthropic_api_key = r.optional_secret(&["ANTHROPIC_API_KEY"]);
        let llm = llm::llm_settings(&mut r, openai_api_key.as_ref(), anthropic_api_key.as_ref())?;
        let embeddings =
            llm::embeddings_settings(&mut r, openai_api_key.as_ref(), &llm.openai_base_url)?;
        let sandbox = sandbox::sandbox_settings(&mut r)?;

        let frontend_url = match r.raw(&["FRONTEND_URL"]) {
            Some((n, v, o)) => {
                let u = url::Url::parse(v)
                    .ok()
                    .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some());
                if u.is_none() {
                    return Err(ConfigError::Invalid {
                        variable: n,
                        value: mask_url_userinfo(v),
                        allowed: "an http(s) origin such as https://app.example.com".into(),
                    });
                }
                r.record(n, mask_url_userinfo(v), o);
                u.map(without_userinfo)
            }
            None => {
                r.record("FRONTEND_URL", "(unset)".into(), Origin::Default);
                None
            }
        };
        let metrics_token = r.optional_secret(&["METRICS_TOKEN"]);
        // An empty or short token would be guessed, or match a scraper sending none.
        if let Some(t) = &metrics_token
            && t.expose().len() < 16
        {
            return Err(ConfigError::Invalid {
                variable: "METRICS_TOKEN",
                value: t.masked().to_string(),
                allowed: "a token of at least 16 characters, e.g. from `openssl rand -hex 32`"
                    .into(),
            });
        }
        let session_cookie_secure = r.bool("SESSION_COOKIE_SECURE", production)?;
        let session_cookie_httponly = r.bool("SESSION_COOKIE_HTTPONLY", true)?;
        let worker_concurrency = r.number("WORKER_CONCURRENCY", 2usize, 1, 256)?;
        let worker_metrics_port = r.number("WORKER_METRICS_PORT", 0u16, 0, u16::MAX)?;
        let batch_processing_size = r.number("BATCH_PROCESSING_SIZE", 10usize, 1, 10_000)?;
        let max_upload_mb = r.number("MAX_UPLOAD_MB", 25u64, 1, 2048)?;
        let pipeline = PipelineSettings::read(&mut r)?;
        let public_url_follows_port = frontend_url.is_none() && r.raw(&["PUBLIC_URL"]).is_none();
        let accounts = AccountSettings::read(&mut r, frontend_url.as_deref(), port)?;
        let log_format = r.parsed(
            "LOG_FORMAT",
            LogFormat::Json,
            "json or pretty",
            |f| match f {
                LogFormat::Json => "json".into(),
                LogFormat::Pretty => "pretty".into(),
            },
        )?;
        // PDF libraries narrate every font they load at info level; keep them to warnings.
        let default_level = if debug {
            "debug,pdf_oxide=warn,lopdf=warn"
        } else {
            "info,pdf_oxide=warn,lopdf=warn"
        };
        let log_level = match r.raw(&["RUST_LOG", "LOG_LEVEL"]) {
            Some((n, v, o)) => {
                r.record(n, v.to_string(), o);
                v.to_string()
            }
            None => {
                r.record("RUST_LOG", default_level.into(), Origin::Default);
                default_level.to_string()
            }
        };

        Ok(Settings {
            environment,
            debug,
            app_version,
            host,
            port,
            data_dir,
            database_url,
            database_backend,
            database_max_connections,
            redis_url,
            redis_ca_file,
            storage,
            secret_key,
            jwt_secret_key,
            webhook_secret,
            openai_api_key,
            anthropic_api_key,
            frontend_url,
            metrics_token,
            session_cookie_secure,
            session_cookie_httponly,
            worker_concurrency,
            worker_metrics_port,
            batch_processing_size,
            max_upload_mb,
            pipeline,
            accounts,
            log_format,
            log_level,
            llm,
            embeddings,
            sandbox,
            entries: r.entries,
            public_url_follows_port,
        })
    }

    /// A command-line flag wins over `HOST` / `PORT`; `config check` says so.
    pub fn override_listen(&mut self, host: Option<IpAddr>, port: Option<u16>) {
        if let Some(h) = host {
            self.host = h;
            self.set_entry("HOST", h.to_string(), Origin::CommandLine);
        }
        if let Some(p) = port {
            self.port = p;
            self.set_entry("PORT", p.to_string(), Origin::CommandLine);
            self.serving_on(p);
        }
    }

    /// Called with the port the server really listens on (after `--port`, or when `PORT=0`
    /// picked one): a `PUBLIC_URL` derived from the port follows it, so the setup link and
    /// invitation links lead to this server rather than to port 8000.
    pub fn serving_on(&mut self, port: u16) {
        if self.public_url_follows_port && port != 0 {
            self.accounts.public_url = format!("http://localhost:{port}");
            let shown = self.accounts.public_url.clone();
            self.set_entry("PUBLIC_URL", shown, Origin::Default);
        }
    }

    fn set_entry(&mut self, variable: &'static str, shown: String, origin: Origin) {
        if let Some(e) = self.entries.iter_mut().find(|e| e.variable == variable) {
            e.shown = shown;
            e.origin = origin;
        }
    }

    /// The effective configuration, one line per variable, secrets masked.
    pub fn entries(&self) -> &[ConfigEntry] {
        &self.entries
    }

    /// Where the installation's own `SECRET_KEY` lives when the variable is unset.
    pub fn secret_key_file(&self) -> PathBuf {
        self.data_dir.join(SECRET_KEY_FILE)
    }

    /// Where the installation's own `JWT_SECRET_KEY` lives when the variable is unset.
    pub fn jwt_secret_key_file(&self) -> PathBuf {
        self.data_dir.join(JWT_SECRET_KEY_FILE)
    }

    /// The browser origin (`scheme://host[:port]`) of `FRONTEND_URL`, for CORS: no path, no
    /// user name or password.
    pub fn frontend_origin(&self) -> Option<String> {
        self.frontend_url
            .as_deref()
            .and_then(|u| url::Url::parse(u).ok())
            .map(|u| u.origin().ascii_serialization())
            .filter(|o| o != "null")
    }

    pub fn is_production(&self) -> bool {
        self.environment == Environment::Production
    }

    /// Where the SQLite database lives, when that is the backend.
    pub fn sqlite_path(&self) -> Option<&Path> {
        let url = self.database_url.expose();
        match self.database_backend {
            DatabaseBackend::Sqlite => Some(Path::new(
                url.trim_start_matches("sqlite://")
                    .trim_start_matches("sqlite:"),
            )),
            DatabaseBackend::Postgres => None,
        }
    }
}

impl FromStr for SmtpTls {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s.trim().to_ascii_lowercase().as_str() {
            "none" | "off" | "false" => Ok(SmtpTls::None),
            "starttls" => Ok(SmtpTls::StartTls),
            "tls" | "ssl" => Ok(SmtpTls::Tls),
            _ => Err(()),
        }
    }
}

impl FromStr for OcrEngine {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s.trim().to_ascii_lowercase().as_str() {
            "library" => Ok(OcrEngine::Library),
            "program" => Ok(OcrEngine::Program),
            _ => Err(()),
        }
    }
}

impl FromStr for OcrLanguageChoice {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(OcrLanguageChoice::Auto),
            "all" => Ok(OcrLanguageChoice::All),
            _ => Err(()),
        }
    }
}

impl FromStr for LogFormat {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s.to_ascii_lowercase().as_str() {
            "json" => Ok(LogFormat::Json),
            "pretty" | "text" => Ok(LogFormat::Pretty),
            _ => Err(()),
        }
    }
}

fn database_url(
    r: &mut Reader<'_>,
    data_dir: &Path,
    production: bool,
) -> Result<(Secret, DatabaseBackend), ConfigError> {
    let Some((name, value, origin)) = r.raw(&["DATABASE_URL", "NEON_DATABASE_URL"]) else {
        let url = format!("sqlite://{}", data_dir.join("doxin.db").display());
        r.record("DATABASE_URL", url.clone(), Origin::Default);
        return Ok((Secret::new(url), DatabaseBackend::Sqlite));
    };
    let backend = if value.starts_with("postgres://") || value.starts_with("postgresql://") {
        DatabaseBackend::Postgres
    } else if value.starts_with("sqlite:") {
        DatabaseBackend::Sqlite
    } else {
        return Err(ConfigError::Invalid {
            variable: name,
            value: mask_url_password(value),
            allowed: "a URL starting with sqlite://, postgres:// or postgresql://".into(),
        });
    };
    if backend == DatabaseBackend::Postgres && url::Url::parse(value).is_err() {
        return Err(ConfigError::Invalid {
            variable: name,
            value: mask_url_password(value),
            allowed: "a well-formed postgres://user:password@host:port/database URL".into(),
        });
    }
    if backend == DatabaseBackend::Postgres {
        tls::check_postgres_url(name, value, production)?;
    }
    r.record(name, mask_url_password(value), origin);
    Ok((Secret::new(value), backend))
}

fn redis_url(r: &mut Reader<'_>, production: bool) -> Result<Option<Secret>, ConfigError> {
    // In production the earlier system read PRODUCTION_REDIS_URL first; CELERY_BROKER_URL is
    // accepted last, as an alias, so old deployment files keep working.
    let order: &[&'static str] = if production {
        &["PRODUCTION_REDIS_URL", "REDIS_URL", "CELERY_BROKER_URL"]
    } else {
        &["REDIS_URL", "PRODUCTION_REDIS_URL", "CELERY_BROKER_URL"]
    };
    let Some((name, value, origin)) = r.raw(order) else {
        r.record(
            "REDIS_URL",
            "(unset: in-process queue and events)".into(),
            Origin::Default,
        );
        return Ok(None);
    };
    let ok = url::Url::parse(value)
        .ok()
        .filter(|u| matches!(u.scheme(), "redis" | "rediss") && u.host_str().is_some());
    if ok.is_none() {
        return Err(ConfigError::Invalid {
            variable: name,
            value: mask_url_password(value),
            allowed: "a URL starting with redis:// or rediss://".into(),
        });
    }
    tls::check_redis_url(name, value, production)?;
    r.record(name, mask_url_password(value), origin);
    Ok(Some(Secret::new(value)))
}

fn storage(r: &mut Reader<'_>, data_dir: &Path) -> Result<StorageLocation, ConfigError> {
    let Some((name, value, origin)) = r.raw(&["STORAGE_URL"]) else {
        let dir = data_dir.join("files");
        r.record("STORAGE_URL", dir.display().to_string(), Origin::Default);
        return Ok(StorageLocation::Local(dir));
    };
    let loc = if let Some(rest) = value.strip_prefix("file://") {
        StorageLocation::Local(PathBuf::from(rest))
    } else if value.starts_with("s3://") || value.starts_with("gs://") {
        let bucket_ok = url::Url::parse(value)
            .ok()
            .and_then(|u| u.host_str().map(|h| !h.is_empty()))
            .unwrap_or(false);
        if !bucket_ok {
            return Err(ConfigError::Invalid {
                variable: name,
                value: mask_url_password(value),
                allowed: "s3://bucket[/prefix] or gs://bucket[/prefix] with a bucket name".into(),
            });
        }
        StorageLocation::Remote(value.to_string())
    } else if value.contains("://") {
        return Err(ConfigError::Invalid {
            variable: name,
            value: value.to_string(),
            allowed: "a local directory, file://DIR, s3://bucket[/prefix] or gs://bucket[/prefix]"
                .into(),
        });
    } else {
        StorageLocation::Local(PathBuf::from(value))
    };
    r.record(name, value.to_string(), origin);
    Ok(loc)
}

/// A secret variable: required (and strong) in production; elsewhere `None` when unset, for
/// the installation's generated key in `DATA_DIR/<file>`.
fn production_secret(
    r: &mut Reader<'_>,
    name: &'static str,
    file: &str,
    production: bool,
) -> Result<Option<Secret>, ConfigError> {
    match r.raw(&[name]) {
        Some((n, v, o)) => {
            if production {
                if KNOWN_DEFAULT_SECRETS
                    .iter()
                    .any(|d| d.eq_ignore_ascii_case(v))
                {
                    return Err(ConfigError::InsecureInProduction {
                        variable: n,
                        why: "it is set to a well-known default value; generate one with \
                              `openssl rand -hex 32`"
                            .into(),
                    });
                }
                if v.len() < MIN_PRODUCTION_SECRET_LEN {
                    return Err(ConfigError::InsecureInProduction {
                        variable: n,
                        why: format!(
                            "it is {} characters long, at least {MIN_PRODUCTION_SECRET_LEN} are \
                             required; generate one with `openssl rand -hex 32`",
                            v.len()
                        ),
                    });
                }
            }
            let s = Secret::new(v);
            r.record(n, s.masked().into(), o);
            Ok(Some(s))
        }
        None if production => Err(ConfigError::InsecureInProduction {
            variable: name,
            why: "it is unset; generate one with `openssl rand -hex 32`".into(),
        }),
        None => {
            r.record(
                name,
                format!("(unset: generated for this installation, kept in DATA_DIR/{file})"),
                Origin::Default,
            );
            Ok(None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(pairs: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        Settings::from_vars(&Vars::from_pairs(pairs.iter().copied()))
    }

    fn invalid_variable(err: ConfigError) -> &'static str {
        match err {
            ConfigError::Invalid { variable, .. } => variable,
            other => panic!("expected Invalid, got {other:?}"),
        }
    }

    #[test]
    fn defaults_run_on_sqlite_in_the_data_directory() {
        let s = load(&[]).expect("defaults are valid");
        assert_eq!(s.environment, Environment::Development);
        assert_eq!(s.port, 8000);
        assert_eq!(s.database_backend, DatabaseBackend::Sqlite);
        assert_eq!(s.database_url.expose(), "sqlite://./data/doxin.db");
        assert_eq!(s.sqlite_path(), Some(Path::new("./data/doxin.db")));
        assert_eq!(
            s.storage,
            StorageLocation::Local(PathBuf::from("./data/files"))
        );
        assert!(s.redis_url.is_none());
        assert!(!s.session_cookie_secure);
    }

    #[test]
    fn a_short_webhook_secret_is_refused() {
        let err = load(&[("WEBHOOK_SECRET", "short")]).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("at least 16 characters"), "{msg}");
        assert!(
            !msg.contains("short"),
            "the secret must not be shown: {msg}"
        );
        assert_eq!(invalid_variable(err), "WEBHOOK_SECRET");
        let s = load(&[("WEBHOOK_SECRET", "0123456789abcdef")]).expect("16 characters");
        assert_eq!(
            s.webhook_secret.as_ref().map(Secret::expose),
            Some("0123456789abcdef")
        );
        assert!(
            s.entries()
                .iter()
                .any(|e| e.variable == "WEBHOOK_SECRET" && e.shown == "********")
        );
        assert!(load(&[]).expect("unset").webhook_secret.is_none());
    }

    #[test]
    fn bad_values_name_the_variable() {
        assert_eq!(
            invalid_variable(load(&[("PORT", "eighty")]).unwrap_err()),
            "PORT"
        );
        assert_eq!(
            invalid_variable(load(&[("PORT", "70000")]).unwrap_err()),
            "PORT"
        );
        assert_eq!(
            invalid_variable(load(&[("DATABASE_URL", "mysql://x/y")]).unwrap_err()),
            "DATABASE_URL"
        );
        assert_eq!(
            invalid_variable(load(&[("REDIS_URL", "http://x")]).unwrap_err()),
            "REDIS_URL"
        );
        assert_eq!(
            invalid_variable(load(&[("ENVIRONMENT", "prodution")]).unwrap_err()),
            "ENVIRONMENT"
        );
        assert_eq!(
            invalid_variable(load(&[("DEBUG", "maybe")]).unwrap_err()),
            "DEBUG"
        );
        assert_eq!(
            invalid_variable(load(&[("WORKER_CONCURRENCY", "0")]).unwrap_err()),
            "WORKER_CONCURRENCY"
        );
        assert_eq!(
            invalid_variable(load(&[("STORAGE_URL", "ftp://host/x")]).unwrap_err()),
            "STORAGE_URL"
        );
        assert_eq!(
            invalid_variable(load(&[("FRONTEND_URL", "not a url")]).unwrap_err()),
            "FRONTEND_URL"
        );
        let msg = load(&[("PORT", "x")]).unwrap_err().to_string();
        assert!(
            msg.contains("PORT") && msg.contains("whole number"),
            "{msg}"
        );
    }

    #[test]
    fn pipeline_settings_have_defaults_and_name_bad_values() {
        let p = load(&[]).expect("defaults").pipeline;
        assert_eq!((p.queue_max, p.max_attempts, p.max_pages), (10_000, 3, 200));
        assert_eq!(p.visibility_timeout_secs, 60);
        assert_eq!(p.redis_key_prefix, "doxin");
        assert!((p.confidence_threshold - 0.8).abs() < f32::EPSILON);
        let p = load(&[("QUEUE_MAX", "5"), ("CONFIDENCE_THRESHOLD", "0.95")])
            .expect("valid")
            .pipeline;
        assert_eq!(p.queue_max, 5);
        assert!((p.confidence_threshold - 0.95).abs() < f32::EPSILON);
        // OCR reads with all languages together unless told to choose.
        let defaults = load(&[]).expect("defaults").pipeline;
        assert_eq!(defaults.ocr_languages, "eng+deu");
        assert_eq!(defaults.ocr_language_choice, OcrLanguageChoice::All);
        let auto = load(&[("OCR_LANGUAGE_CHOICE", "Auto")])
            .expect("valid")
            .pipeline;
        assert_eq!(auto.ocr_language_choice, OcrLanguageChoice::Auto);
        // Tesseract's library unless the program is asked for.
        assert_eq!(defaults.ocr_engine, OcrEngine::Library);
        let program = load(&[("OCR_ENGINE", " Program ")])
            .expect("valid")
            .pipeline;
        assert_eq!(program.ocr_engine, OcrEngine::Program);
        for (var, value) in [
            ("QUEUE_MAX", "0"),
            ("MAX_ATTEMPTS", "lots"),
            ("MAX_PAGES", "-1"),
            ("JOB_VISIBILITY_TIMEOUT", "0"),
            ("JOB_RECONCILE_INTERVAL", "1h"),
            ("REPORT_RETENTION_DAYS", "0"),
            ("CONFIDENCE_THRESHOLD", "1.5"),
            ("CONFIDENCE_THRESHOLD", "high"),
            ("URL_FETCH_TIMEOUT", "0"),
            ("OCR_LANGUAGE_CHOICE", "both"),
            ("OCR_ENGINE", "cli"),
        ] {
            assert_eq!(
                invalid_variable(load(&[(var, value)]).unwrap_err()),
                var,
                "{var}={value}"
            );
        }
    }

    #[test]
    fn account_settings_have_defaults_and_name_bad_values() {
        let a = load(&[]).expect("defaults").accounts;
        assert!(!a.open_signup);
        assert_eq!(a.auth_rate_limit_per_minute, 10);
        assert_eq!(a.auth_cache_seconds, 5);
        assert_eq!(
            load(&[("AUTH_CACHE_SECONDS", "0")])
                .expect("zero turns the cache off")
                .accounts
                .auth_cache_seconds,
            0
        );
        assert_eq!(a.public_url, "http://localhost:8000");
        assert!(a.smtp.is_none());
        let a = load(&[
            ("MAIL_SERVER", "smtp.example.com"),
            ("SMTP_TLS", "tls"),
            ("MAIL_USERNAME", "doxin"),
            ("MAIL_PASSWORD", "hunter2hunter2"),
            ("FRONTEND_URL", "https://app.example.com/"),
        ])
        .expect("valid")
        .accounts;
        let smtp = a.smtp.expect("smtp");
        assert_eq!(
            (smtp.host.as_str(), smtp.port, smtp.tls),
            ("smtp.example.com", 465, SmtpTls::Tls)
        );
        assert_eq!(smtp.from, "DoxIn <doxin@smtp.example.com>");
        assert_eq!(a.public_url, "https://app.example.com");
        for (var, value) in [
            ("OPEN_SIGNUP", "maybe"),
            ("AUTH_RATE_LIMIT_PER_MINUTE", "0"),
            ("AUTH_CACHE_SECONDS", "301"),
            ("AUTH_CACHE_SECONDS", "soon"),
            ("SESSION_TTL_HOURS", "forever"),
            ("PUBLIC_URL", "ftp://example.com"),
        ] {
            assert_eq!(
                invalid_variable(load(&[(var, value)]).unwrap_err()),
                var,
                "{var}={value}"
            );
        }
        for (var, value) in [("SMTP_TLS", "sometimes"), ("SMTP_PORT", "0")] {
            assert_eq!(
                invalid_variable(load(&[("SMTP_HOST", "mail"), (var, value)]).unwrap_err()),
                var,
                "{var}={value}"
            );
        }
    }

    #[test]
    fn a_bad_database_url_does_not_print_its_password() {
        let err = load(&[("DATABASE_URL", "mysql://u:topsecret@h/db")]).unwrap_err();
        assert!(!err.to_string().contains("topsecret"), "{err}");
    }

    /// Finding 9: no password reaches `config check` or an error message, whatever form it
    /// takes in a URL.
    #[test]
    fn finding_9_url_credentials_are_masked_in_entries_and_errors() {
        let s = load(&[
            (
                "DATABASE_URL",
                "postgres://app@db:5432/doxin?sslmode=require&password=qu3ry-pw",
            ),
            ("REDIS_URL", "redis://cache:6379/0?password=r3dis-pw"),
            ("FRONTEND_URL", "https://deploy:fr0nt-pw@app.example.com"),
            ("PUBLIC_URL", "https://publ1c-token@invoices.example.com"),
        ])
        .expect("valid");
        let text: String = s
            .entries()
            .iter()
            .map(|e| format!("{}={}\n", e.variable, e.shown))
            .collect();
        for leaked in ["qu3ry-pw", "r3dis-pw", "fr0nt-pw", "deploy", "publ1c-token"] {
            assert!(!text.contains(leaked), "{leaked} leaked:\n{text}");
        }
        assert!(text.contains("sslmode=require&password=********"), "{text}");
        // The origin CORS uses and the links built on PUBLIC_URL carry no user information.
        assert_eq!(
            s.frontend_origin().as_deref(),
            Some("https://app.example.com")
        );
        assert_eq!(s.frontend_url.as_deref(), Some("https://app.example.com"));
        assert_eq!(s.accounts.public_url, "https://invoices.example.com");
        assert!(!format!("{s:?}").contains("fr0nt-pw"));

        for (var, value, secret) in [
            (
                "DATABASE_URL",
                "postgres://app:b4d-p0rt@db:99999/doxin",
                "b4d-p0rt",
            ),
            (
                "DATABASE_URL",
                "postgres://app:sl4sh/pw@db/doxin",
                "sl4sh/pw",
            ),
            ("REDIS_URL", "redis://:r3d-pw@cache:port/0", "r3d-pw"),
            ("REDIS_URL", "http://cache/?password=qu3ry", "qu3ry"),
            ("FRONTEND_URL", "ftp://user:fr0nt@app.example.com", "fr0nt"),
            ("PUBLIC_URL", "ftp://user:publ1c@app.example.com", "publ1c"),
            (
                "OPENAI_BASE_URL",
                "ftp://k:ll-m-pw@llm.example.com/v1",
                "ll-m-pw",
            ),
        ] {
            let err = load(&[(var, value)]).expect_err(var).to_string();
            assert!(err.contains(var), "{err}");
            assert!(!err.contains(secret), "{var}: {err}");
        }
    }

    #[test]
    fn earlier_system_aliases_are_accepted() {
        let s = load(&[
            ("NEON_DATABASE_URL", "postgres://u:p@neon.example/db"),
            ("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0"),
        ])
        .expect("aliases");
        assert_eq!(s.database_backend, DatabaseBackend::Postgres);
        assert_eq!(
            s.redis_url.as_ref().map(Secret::expose),
            Some("redis://127.0.0.1:6379/0")
        );
        // DATABASE_URL wins over the alias.
        let s = load(&[
            ("DATABASE_URL", "sqlite://x.db"),
            ("NEON_DATABASE_URL", "postgres://u:p@neon.example/db"),
        ])
        .expect("both");
        assert_eq!(s.database_backend, DatabaseBackend::Sqlite);
    }

    #[test]
    fn production_redis_url_wins_in_production() {
        let strong = "0123456789abcdef0123456789abcdef";
        let s = load(&[
            ("ENVIRONMENT", "production"),
            ("SECRET_KEY", strong),
            ("JWT_SECRET_KEY", strong),
            ("REDIS_URL", "redis://dev:6379"),
            ("PRODUCTION_REDIS_URL", "rediss://prod:6380"),
        ])
        .expect("production");
        assert_eq!(
            s.redis_url.as_ref().map(Secret::expose),
            Some("rediss://prod:6380")
        );
        assert!(
            s.session_cookie_secure,
            "secure cookies by default in production"
        );
    }

    #[test]
    fn production_refuses_missing_default_or_short_secrets() {
        let strong = "0123456789abcdef0123456789abcdef";
        let missing = load(&[("ENVIRONMENT", "production"), ("JWT_SECRET_KEY", strong)]);
        assert!(matches!(
            missing,
            Err(ConfigError::InsecureInProduction {
                variable: "SECRET_KEY",
                ..
            })
        ));
        let default = load(&[
            ("ENVIRONMENT", "production"),
            ("SECRET_KEY", strong),
            ("JWT_SECRET_KEY", "your-jwt-secret-key"),
        ]);
        assert!(matches!(
            default,
            Err(ConfigError::InsecureInProduction {
                variable: "JWT_SECRET_KEY",
                ..
            })
        ));
        let short = load(&[
            ("ENVIRONMENT", "production"),
            ("SECRET_KEY", "short"),
            ("JWT_SECRET_KEY", strong),
        ]);
        assert!(matches!(
            short,
            Err(ConfigError::InsecureInProduction {
                variable: "SECRET_KEY",
                ..
            })
        ));
        // Development accepts the defaults.
        assert!(load(&[("ENVIRONMENT", "development")]).is_ok());
    }

    #[test]
    fn entries_mask_secrets_and_say_where_values_came_from() {
        let s = load(&[
            ("SECRET_KEY", "super-secret-value"),
            ("DATABASE_URL", "postgres://app:dbpass@db/doxin"),
            ("OPENAI_API_KEY", "sk-abc"),
        ])
        .expect("valid");
        let text: String = s
            .entries()
            .iter()
            .map(|e| format!("{}={} ({})\n", e.variable, e.shown, e.origin.as_str()))
            .collect();
        for leaked in ["super-secret-value", "dbpass", "sk-abc"] {
            assert!(!text.contains(leaked), "{leaked} leaked:\n{text}");
        }
        assert!(text.contains("SECRET_KEY=******** (env)"), "{text}");
        assert!(text.contains("PORT=8000 (default)"), "{text}");
    }

    #[test]
    fn storage_urls() {
        let s = load(&[("STORAGE_URL", "s3://invoices/prod")]).expect("s3");
        assert_eq!(
            s.storage,
            StorageLocation::Remote("s3://invoices/prod".into())
        );
        let s = load(&[("STORAGE_URL", "file:///srv/doxin")]).expect("file");
        assert_eq!(
            s.storage,
            StorageLocation::Local(PathBuf::from("/srv/doxin"))
        );
        assert!(load(&[("STORAGE_URL", "s3://")]).is_err());
    }

    #[test]
    fn dotenv_file_is_read_and_environment_wins() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(".env");
        std::fs::write(&path, "PORT=9100\nAPP_VERSION=from-file\n").expect("write");
        let vars = Vars::from_process(Some(&path)).expect("read");
        let s = Settings::from_vars(&vars).expect("valid");
        assert_eq!(s.port, 9100);
        let port = s
            .entries()
            .iter()
            .find(|e| e.variable == "PORT")
            .expect("PORT");
        assert_eq!(port.origin, Origin::DotEnv);
    }
}
