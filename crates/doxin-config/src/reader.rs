//! Where variables come from, and a record of what was read for `doxin config check`.

use std::collections::BTreeMap;
use std::path::Path;

/// Where an effective value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Environment,
    DotEnv,
    Default,
    /// A flag of the command line (`doxin serve --port`).
    CommandLine,
}

impl Origin {
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Environment => "env",
            Origin::DotEnv => ".env",
            Origin::Default => "default",
            Origin::CommandLine => "command line",
        }
    }
}

/// The variables configuration is read from: a `.env` file overlaid by the process
/// environment (a real variable wins, as with dotenv's usual rule).
#[derive(Debug, Clone, Default)]
pub struct Vars {
    vars: BTreeMap<String, (String, Origin)>,
}

impl Vars {
    /// The process environment over the `.env` file at `dotenv` (if it exists).
    pub fn from_process(dotenv: Option<&Path>) -> Result<Vars, crate::ConfigError> {
        let mut vars = Vars::default();
        if let Some(path) = dotenv.filter(|p| p.exists()) {
            let iter = dotenvy::from_path_iter(path).map_err(|e| crate::ConfigError::DotEnv {
                path: path.display().to_string(),
                reason: e.to_string(),
            })?;
            for item in iter {
                let (k, v) = item.map_err(|e| crate::ConfigError::DotEnv {
                    path: path.display().to_string(),
                    reason: e.to_string(),
                })?;
                vars.vars.insert(k, (v, Origin::DotEnv));
            }
        }
        for (k, v) in std::env::vars_os() {
            if let (Some(k), Some(v)) = (k.to_str(), v.to_str()) {
                vars.vars
                    .insert(k.to_string(), (v.to_string(), Origin::Environment));
            }
        }
        Ok(vars)
    }

    /// Variables given as pairs, as if they were the environment (for tests and embedding).
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Vars {
        Vars {
            vars: pairs
                .into_iter()
                .map(|(k, v)| (k.to_string(), (v.to_string(), Origin::Environment)))
                .collect(),
        }
    }

    /// A set, non-blank value. Blank counts as unset, as an empty line in `.env` usually means
    /// "not configured".
    pub(crate) fn get(&self, name: &str) -> Option<(&str, Origin)> {
        self.vars
            .get(name)
            .map(|(v, o)| (v.trim(), *o))
            .filter(|(v, _)| !v.is_empty())
    }
}

/// One line of `doxin config check`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigEntry {
    pub variable: &'static str,
    /// The effective value, masked when secret.
    pub shown: String,
    pub origin: Origin,
}
