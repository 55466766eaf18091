//! Loading configuration from JSON or TOML text and files (features `json`
//! and `toml`), with the file's path in every error.
#![cfg_attr(
    not(all(feature = "json", feature = "toml")),
    allow(unused_imports, unused_variables, unreachable_code, dead_code)
)]

use super::error::LoadError;
use serde::de::DeserializeOwned;
use std::path::Path;

/// A text format a configuration can be written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    #[cfg(feature = "json")]
    Json,
    #[cfg(feature = "toml")]
    Toml,
}

impl Format {
    /// The format of a file, by its extension (`.json`, `.toml`).
    fn of(path: &Path) -> Result<Format, LoadError> {
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        match ext.to_ascii_lowercase().as_str() {
            #[cfg(feature = "json")]
            "json" => Ok(Format::Json),
            #[cfg(feature = "toml")]
            "toml" => Ok(Format::Toml),
            _ => Err(LoadError::UnknownFormat {
                path: path.display().to_string(),
            }),
        }
    }

    fn name(self) -> &'static str {
        match self {
            #[cfg(feature = "json")]
            Format::Json => "JSON",
            #[cfg(feature = "toml")]
            Format::Toml => "TOML",
        }
    }
}

/// Parses `text` as `format`; `source` names the file in errors.
pub(crate) fn parse<T: DeserializeOwned>(
    text: &str,
    format: Format,
    source: Option<&Path>,
) -> Result<T, LoadError> {
    let result: Result<T, String> = match format {
        #[cfg(feature = "json")]
        // Where in the document, as a path (`metrics[0].max_age_days: …`),
        // before the parser's line and column.
        Format::Json => {
            let mut de = serde_json::Deserializer::from_str(text);
            serde_path_to_error::deserialize(&mut de)
                .map_err(|e| e.to_string())
                .and_then(|v| de.end().map(|()| v).map_err(|e| e.to_string()))
        }
        #[cfg(feature = "toml")]
        Format::Toml => toml::from_str(text).map_err(|e| e.to_string()),
    };
    result.map_err(|message| LoadError::Parse {
        path: source.map(|p| p.display().to_string()),
        format: format.name().to_string(),
        message: message.trim_end().to_string(),
    })
}

/// Reads and parses a file, the format chosen by its extension.
pub(crate) fn read<T: DeserializeOwned>(path: &Path) -> Result<T, LoadError> {
    let format = Format::of(path)?;
    let text = std::fs::read_to_string(path).map_err(|e| LoadError::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    parse(&text, format, Some(path))
}

/// Loaders for [`ModelConfig`](super::ModelConfig) and
/// [`Model`](super::Model).
mod model_loaders {
    use super::super::{Model, ModelConfig};
    use super::{parse, read, Format, LoadError};
    use std::path::Path;

    impl ModelConfig {
        /// Parses a configuration from JSON text (feature `json`).
        ///
        /// # Errors
        ///
        /// [`LoadError::Parse`] with the parser's message (line and column).
        #[cfg(feature = "json")]
        pub fn from_json_str(text: &str) -> Result<ModelConfig, LoadError> {
            parse(text, Format::Json, None)
        }

        /// Parses a configuration from TOML text (feature `toml`).
        ///
        /// # Errors
        ///
        /// [`LoadError::Parse`] with the parser's message (line and column).
        #[cfg(feature = "toml")]
        pub fn from_toml_str(text: &str) -> Result<ModelConfig, LoadError> {
            parse(text, Format::Toml, None)
        }

        /// Reads a configuration file, JSON or TOML by its extension
        /// (`.json` with feature `json`, `.toml` with feature `toml`).
        ///
        /// # Errors
        ///
        /// [`LoadError`]: unknown extension, the file cannot be read, or it
        /// does not parse; each names the file.
        pub fn from_path(path: impl AsRef<Path>) -> Result<ModelConfig, LoadError> {
            read(path.as_ref())
        }
    }

    impl Model {
        /// Parses and compiles a model from JSON text (feature `json`).
        ///
        /// # Errors
        ///
        /// [`LoadError::Parse`], or [`LoadError::Config`] with every
        /// problem of the configuration and its path.
        ///
        /// # Examples
        ///
        /// ```
        /// use healthscore::Model;
        ///
        /// let model = Model::from_json_str(healthscore::model::EXAMPLE_JSON)?;
        /// assert_eq!(model.metric_count(), 2);
        /// let err = Model::from_json_str(r#"{"name": "x"}"#).unwrap_err();
        /// assert!(err.to_string().starts_with("JSON: missing field `version`"), "{err}");
        /// # Ok::<(), Box<dyn std::error::Error>>(())
        /// ```
        #[cfg(feature = "json")]
        pub fn from_json_str(text: &str) -> Result<Model, LoadError> {
            compile(ModelConfig::from_json_str(text)?, None)
        }

        /// Parses and compiles a model from TOML text (feature `toml`).
        ///
        /// # Errors
        ///
        /// As [`Model::from_json_str`].
        #[cfg(feature = "toml")]
        pub fn from_toml_str(text: &str) -> Result<Model, LoadError> {
            compile(ModelConfig::from_toml_str(text)?, None)
        }

        /// Reads and compiles a model file, JSON or TOML by its extension.
        ///
        /// # Errors
        ///
        /// [`LoadError`], naming the file: unknown extension, unreadable,
        /// unparsable, or an invalid configuration (every problem with its
        /// path in the configuration).
        pub fn from_path(path: impl AsRef<Path>) -> Result<Model, LoadError> {
            let path = path.as_ref();
            compile(ModelConfig::from_path(path)?, Some(path))
        }
    }

    fn compile(config: ModelConfig, path: Option<&Path>) -> Result<Model, LoadError> {
        Model::new(config).map_err(|error| LoadError::Config {
            path: path.map(|p| p.display().to_string()),
            error,
        })
    }
}

/// Loaders for CTA rule sets, compiled against a model.
mod rule_loaders {
    use super::super::Model;
    use super::{parse, read, Format, LoadError};
    use crate::cta::{RuleSet, RuleSetConfig};
    use std::path::Path;

    impl RuleSetConfig {
        /// Parses a rule set from JSON text (feature `json`).
        ///
        /// # Errors
        ///
        /// [`LoadError::Parse`] with the parser's message (line and column).
        #[cfg(feature = "json")]
        pub fn from_json_str(text: &str) -> Result<RuleSetConfig, LoadError> {
            parse(text, Format::Json, None)
        }

        /// Parses a rule set from TOML text (feature `toml`).
        ///
        /// # Errors
        ///
        /// [`LoadError::Parse`] with the parser's message (line and column).
        #[cfg(feature = "toml")]
        pub fn from_toml_str(text: &str) -> Result<RuleSetConfig, LoadError> {
            parse(text, Format::Toml, None)
        }

        /// Reads a rule set file, JSON or TOML by its extension.
        ///
        /// # Errors
        ///
        /// [`LoadError`], naming the file.
        pub fn from_path(path: impl AsRef<Path>) -> Result<RuleSetConfig, LoadError> {
            read(path.as_ref())
        }
    }

    impl RuleSet {
        /// Parses and compiles a rule set from JSON text against a model
        /// (feature `json`).
        ///
        /// # Errors
        ///
        /// [`LoadError::Parse`], or [`LoadError::Config`] with every problem
        /// and its path (`rules[2].when[0]: unknown metric "weekly_activ"`).
        ///
        /// # Examples
        ///
        /// ```
        /// use healthscore::cta::RuleSet;
        /// use healthscore::Model;
        ///
        /// let model = Model::from_json_str(healthscore::model::EXAMPLE_JSON)?;
        /// let rules = RuleSet::from_json_str(r#"{"rules": [{"id": "red", "title": "Call",
        ///     "kind": "risk", "touch": "high-touch", "owner": "csm", "when": {"band": ["red"]}}]}"#, &model)?;
        /// assert_eq!(rules.model(), model.fingerprint());
        /// # Ok::<(), Box<dyn std::error::Error>>(())
        /// ```
        #[cfg(feature = "json")]
        pub fn from_json_str(text: &str, model: &Model) -> Result<RuleSet, LoadError> {
            compile(RuleSetConfig::from_json_str(text)?, model, None)
        }

        /// Parses and compiles a rule set from TOML text (feature `toml`).
        ///
        /// # Errors
        ///
        /// As [`RuleSet::from_json_str`].
        #[cfg(feature = "toml")]
        pub fn from_toml_str(text: &str, model: &Model) -> Result<RuleSet, LoadError> {
            compile(RuleSetConfig::from_toml_str(text)?, model, None)
        }

        /// Reads and compiles a rule set file, JSON or TOML by its extension.
        ///
        /// # Errors
        ///
        /// [`LoadError`], naming the file.
        pub fn from_path(path: impl AsRef<Path>, model: &Model) -> Result<RuleSet, LoadError> {
            let path = path.as_ref();
            compile(RuleSetConfig::from_path(path)?, model, Some(path))
        }
    }

    fn compile(
        config: RuleSetConfig,
        model: &Model,
        path: Option<&Path>,
    ) -> Result<RuleSet, LoadError> {
        RuleSet::new(config, model).map_err(|error| LoadError::Config {
            path: path.map(|p| p.display().to_string()),
            error,
        })
    }
}

/// Loaders for lifecycles, compiled against a model.
mod lifecycle_loaders {
    use super::super::Model;
    use super::{parse, read, Format, LoadError};
    use crate::lifecycle::{Lifecycle, LifecycleConfig};
    use std::path::Path;

    impl LifecycleConfig {
        /// Parses a lifecycle from JSON text (feature `json`).
        ///
        /// # Errors
        ///
        /// [`LoadError::Parse`] with the parser's message (line and column).
        #[cfg(feature = "json")]
        pub fn from_json_str(text: &str) -> Result<LifecycleConfig, LoadError> {
            parse(text, Format::Json, None)
        }

        /// Parses a lifecycle from TOML text (feature `toml`).
        ///
        /// # Errors
        ///
        /// [`LoadError::Parse`] with the parser's message (line and column).
        #[cfg(feature = "toml")]
        pub fn from_toml_str(text: &str) -> Result<LifecycleConfig, LoadError> {
            parse(text, Format::Toml, None)
        }

        /// Reads a lifecycle file, JSON or TOML by its extension.
        ///
        /// # Errors
        ///
        /// [`LoadError`], naming the file.
        pub fn from_path(path: impl AsRef<Path>) -> Result<LifecycleConfig, LoadError> {
            read(path.as_ref())
        }
    }

    impl Lifecycle {
        /// Reads and compiles a lifecycle file (JSON or TOML by its
        /// extension) against a model.
        ///
        /// # Errors
        ///
        /// [`LoadError`], naming the file: unknown extension, unreadable,
        /// unparsable, or an invalid lifecycle (every problem with its path,
        /// `stages[0].exit[1].when: unknown metric "weekly_activ"`).
        ///
        /// # Examples
        ///
        /// ```
        /// # #[cfg(all(feature = "json", feature = "toml"))] {
        /// use healthscore::lifecycle::Lifecycle;
        /// use healthscore::Model;
        ///
        /// let data = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/data");
        /// let model = Model::from_path(format!("{data}/model.json"))?;
        /// let lifecycle = Lifecycle::from_path(format!("{data}/lifecycle.toml"), &model)?;
        /// assert_eq!(lifecycle, Lifecycle::from_path(format!("{data}/lifecycle.json"), &model)?);
        /// # }
        /// # Ok::<(), Box<dyn std::error::Error>>(())
        /// ```
        pub fn from_path(path: impl AsRef<Path>, model: &Model) -> Result<Lifecycle, LoadError> {
            let path = path.as_ref();
            Lifecycle::new(LifecycleConfig::from_path(path)?, model).map_err(|error| {
                LoadError::Config {
                    path: Some(path.display().to_string()),
                    error,
                }
            })
        }
    }
}
