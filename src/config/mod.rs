//! Settings: layered loading (files, profile, overlay, environment), validation that names the
//! file or variable, the key and the problem, and a masked print for `check-config`.

mod settings;
mod validate;

pub use settings::*;
pub use validate::{
    Backend, Config, ConfigError, ConsoleTimes, HolidayWarning, MailRoute, MailTimes, SmtpSecurity,
    DEFAULT_JWT_SECRET,
};

use figment::providers::{Env, Format, Toml};
use figment::{Figment, Metadata, Source};
use std::path::{Path, PathBuf};

/// Where the layers come from; normally read from the process environment.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// Folder holding `default.toml` and the profile files (`TANGGAP_CONFIG_DIR`, default `config`).
    pub config_dir: PathBuf,
    /// Profile name (`TANGGAP_PROFILE`, default `default`).
    pub profile: String,
    /// One more overlay file applied last (`TANGGAP_CONFIG`).
    pub overlay: Option<PathBuf>,
    /// Whether `TANGGAP__SECTION__KEY` variables and `DATABASE_URL` apply.
    pub use_env: bool,
}

impl LoadOptions {
    /// The options the binary uses: from `TANGGAP_CONFIG_DIR`, `TANGGAP_PROFILE`, `TANGGAP_CONFIG`.
    pub fn from_env() -> Self {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        LoadOptions {
            config_dir: var("TANGGAP_CONFIG_DIR")
                .map_or_else(|| PathBuf::from("config"), PathBuf::from),
            profile: var("TANGGAP_PROFILE").unwrap_or_else(|| "default".to_owned()),
            overlay: var("TANGGAP_CONFIG").map(PathBuf::from),
            use_env: true,
        }
    }
}

/// Loads and validates the configuration.
pub fn load(opts: &LoadOptions) -> Result<Config, Vec<ConfigError>> {
    let figment = layers(opts)?;
    let settings: Settings = figment.extract().map_err(|e| figment_errors(&e))?;
    let origin = |key: &str| origin_of(&figment, key);
    Config::validate(settings, &opts.profile, &origin)
}

fn layers(opts: &LoadOptions) -> Result<Figment, Vec<ConfigError>> {
    let missing = |path: &Path, key: &str, what: &str| ConfigError {
        source: path.display().to_string(),
        key: key.to_owned(),
        problem: format!("{what} does not exist or cannot be read"),
    };
    let base = opts.config_dir.join("default.toml");
    if !base.is_file() {
        return Err(vec![missing(
            &base,
            "TANGGAP_CONFIG_DIR",
            "the default configuration file",
        )]);
    }
    let mut fig = Figment::from(Toml::file_exact(&base));
    if opts.profile != "default" {
        let valid_name = !opts.profile.is_empty()
            && opts
                .profile
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        let file = opts.config_dir.join(format!("{}.toml", opts.profile));
        if !valid_name || !file.is_file() {
            return Err(vec![missing(
                &file,
                "TANGGAP_PROFILE",
                "the profile's file",
            )]);
        }
        fig = fig.merge(Toml::file_exact(file));
    }
    if let Some(overlay) = &opts.overlay {
        if !overlay.is_file() {
            return Err(vec![missing(overlay, "TANGGAP_CONFIG", "the overlay file")]);
        }
        fig = fig.merge(Toml::file_exact(overlay));
    }
    if opts.use_env {
        fig = fig.merge(Env::prefixed("TANGGAP__").split("__"));
        fig = fig.merge(
            Env::raw()
                .only(&["DATABASE_URL"])
                .map(|_| "database.url".into()),
        );
    }
    Ok(fig)
}

/// Names where the value at `key` came from: a file path or an environment variable.
fn origin_of(figment: &Figment, key: &str) -> String {
    describe(figment.find_metadata(key), key)
}

fn describe(md: Option<&Metadata>, key: &str) -> String {
    match md {
        Some(md) => match &md.source {
            Some(Source::File(path)) => path.display().to_string(),
            _ if md.name.contains("TANGGAP__") => {
                format!(
                    "environment variable TANGGAP__{}",
                    key.replace('.', "__").to_uppercase()
                )
            }
            _ if key == "database.url" && md.name.contains("environment") => {
                "environment variable DATABASE_URL".to_owned()
            }
            _ => md.name.to_string(),
        },
        None => "configuration".to_owned(),
    }
}

fn figment_errors(err: &figment::Error) -> Vec<ConfigError> {
    err.clone()
        .into_iter()
        .map(|e| {
            let key = e.path.join(".");
            ConfigError {
                source: describe(e.metadata.as_ref(), &key),
                key: if key.is_empty() {
                    "(top level)".to_owned()
                } else {
                    key
                },
                problem: e.kind.to_string(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests;
