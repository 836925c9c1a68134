//! DoxIn's configuration: environment variables (the earlier system's names are kept) and an
//! optional `.env` file, parsed once at start-up into typed [`Settings`].
//!
//! A bad value is a [`ConfigError`] naming the variable and what is allowed; the binary turns
//! it into exit status 2. Secrets are [`Secret`]s that never print themselves. With
//! `ENVIRONMENT=production`, missing or well-known default secrets are refused.
//! This crate reads variables and files; it opens no connection.
#![forbid(unsafe_code)]

mod reader;
mod secret;
mod settings;

pub use reader::{ConfigEntry, Origin, Vars};
pub use secret::{Secret, mask_url_password, mask_url_userinfo};
pub use settings::{
    AccountSettings, ConfigError, DatabaseBackend, EmbeddingsProvider, EmbeddingsSettings,
    Environment, ExtractionMode, LlmProvider, LlmSettings, LogFormat, OcrEngine, OcrLanguageChoice,
    PipelineSettings, SandboxSettings, Settings, SmtpSettings, SmtpTls, StorageLocation,
};
