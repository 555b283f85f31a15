//! `lore.yaml`: parsed, checked against lore's own schema, and turned into a [`Config`].

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::diag::{Code, Diag};
use crate::model::doc::{check_expr_fields, check_structure, SpannedDoc};
use crate::model::NoteRaw;
use crate::schema;

/// `lore.yaml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub catalog: Vec<String>,
    pub schemas: String,
    pub exclude: Vec<String>,
    pub freshness: Freshness,
    pub alerts: Alerts,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            catalog: vec!["catalog".into()],
            schemas: "schemas".into(),
            exclude: Vec::new(),
            freshness: Freshness::default(),
            alerts: Alerts::default(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Freshness {
    pub max_age: String,
}

impl Default for Freshness {
    fn default() -> Self {
        Freshness {
            max_age: "180d".into(),
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Alerts {
    pub sources: BTreeMap<String, SourceConfig>,
    pub notes: Vec<NoteRaw>,
}

/// A configured alert source (DESIGN.md §5).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceConfig {
    pub detect: String,
    pub each: Option<String>,
    pub title: Option<String>,
    pub severity: Option<String>,
    pub status: Option<String>,
    #[serde(default, rename = "match")]
    pub matches: BTreeMap<String, Vec<String>>,
}

/// Check and read `lore.yaml` (None: absent, defaults apply).
pub fn load_config(d: Option<&SpannedDoc<'_>>, out: &mut Vec<Diag>) -> Config {
    let Some(d) = d else {
        return Config::default();
    };
    if d.doc.value.is_null() {
        return Config::default();
    }
    if check_structure(d, &schema::config_schema(), Code::Config, out).is_some() {
        return Config::default();
    }
    let config: Config = match serde_json::from_value(d.doc.value.clone()) {
        Ok(c) => c,
        Err(e) => {
            out.push(Diag::error(
                Code::Config,
                format!("lore.yaml: {e}"),
                d.loc("", false),
            ));
            return Config::default();
        }
    };
    let config = paths_inside(d, config, out);
    for (i, note) in config.alerts.notes.iter().enumerate() {
        let base = format!("/alerts/notes/{i}");
        check_expr_fields(
            d,
            &base,
            note.when.as_deref(),
            Some(&note.say),
            &["totals", "matches", "owners", "impacted", "alert"],
            out,
        );
    }
    for pattern in config.catalog.iter().chain(&config.exclude) {
        if let Err(e) = globset::Glob::new(pattern) {
            out.push(Diag::error(
                Code::Config,
                format!("invalid glob `{pattern}`: {e}"),
                d.loc("", false),
            ));
        }
    }
    config
}

/// Refuse paths and globs that leave the repository (absolute, or climbing with `..`):
/// each is reported where it is written and dropped (`schemas:` falls back to its
/// default), so nothing outside the repository is ever read.
fn paths_inside(d: &SpannedDoc<'_>, mut config: Config, out: &mut Vec<Diag>) -> Config {
    let mut inside = |pointer: String, value: &str| {
        let Some(why) = crate::source::escapes(Path::new(value)) else {
            return true;
        };
        let key = pointer
            .trim_start_matches('/')
            .split('/')
            .next()
            .unwrap_or("");
        out.push(
            Diag::error(
                Code::Config,
                format!("`{key}` names `{value}`, which {why}: lore reads only files inside the repository"),
                d.loc(&pointer, false),
            )
            .with_help("write a path relative to the catalog root (where lore.yaml is), without `..`"),
        );
        false
    };
    let mut i = 0;
    config.catalog.retain(|p| {
        i += 1;
        inside(format!("/catalog/{}", i - 1), p)
    });
    let mut i = 0;
    config.exclude.retain(|p| {
        i += 1;
        inside(format!("/exclude/{}", i - 1), p)
    });
    if !inside("/schemas".to_owned(), &config.schemas) {
        config.schemas = Config::default().schemas;
    }
    config
}
