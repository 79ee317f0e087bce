//! The config file (`--config`) and the flags that add to it: sources,
//! custom actions, moved keys, the theme's name, classification rules.
//! Everything is checked here, before anything opens, and a bad entry is
//! one line naming the file.

use crate::cli::ConsoleArgs;
use crate::commands::{Fail, exit};
use crate::contain::custom::CustomAction;
use crate::source::SourceSpec;

#[derive(Debug, serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    #[serde(default)]
    poll: Option<f64>,
    #[serde(default)]
    source: Vec<SourceSpec>,
    #[serde(default)]
    action: Vec<CustomAction>,
    /// Moved keys: binding name → key.
    #[serde(default)]
    keys: std::collections::BTreeMap<String, String>,
    /// Theme name or file (the --theme flag wins).
    #[serde(default)]
    theme: Option<String>,
    /// Rules that class tool calls (outbound, money, data write,
    /// user-facing), tried before the defaults.
    #[serde(default)]
    classify: Vec<crate::model::classify::RuleConfig>,
    /// `false`: only the rules above, none of the defaults.
    #[serde(default)]
    classify_defaults: Option<bool>,
}

/// Everything the console needs from the config file and flags.
pub struct Config {
    pub specs: Vec<SourceSpec>,
    pub poll: f64,
    pub custom: Vec<CustomAction>,
    pub keymap: crate::app::bindings::Keymap,
    pub theme: Option<String>,
    pub rules: crate::model::classify::Rules,
}

/// Sources from the config file and the flags (flags add to the file).
pub fn sources_of(args: &ConsoleArgs) -> Result<(Vec<SourceSpec>, f64), Fail> {
    load_config(args).map(|c| (c.specs, c.poll))
}

pub fn load_config(args: &ConsoleArgs) -> Result<Config, Fail> {
    let mut specs = Vec::new();
    let mut custom = Vec::new();
    let mut keymap = crate::app::bindings::Keymap::default();
    let mut theme_name = None;
    let mut rules = crate::model::classify::Rules::defaults();
    let mut poll = args.poll;
    if let Some(path) = &args.config {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Fail::new(
                exit::USAGE,
                format!("cannot read config {}: {e}", path.display()),
            )
        })?;
        let cfg: ConfigFile = toml::from_str(&text).map_err(|e| {
            Fail::new(
                exit::USAGE,
                format!(
                    "config {}: {}",
                    path.display(),
                    e.to_string().lines().next().unwrap_or("invalid")
                ),
            )
        })?;
        for s in cfg.source {
            // Re-parse through the same checks as --source.
            let spec: SourceSpec =
                format!("{}={}:{}", s.name, s.kind, s.url)
                    .parse()
                    .map_err(|e: String| {
                        Fail::new(exit::USAGE, format!("config {}: {e}", path.display()))
                    })?;
            specs.extend(spec.expand());
        }
        if let Some(p) = cfg.poll {
            poll = p;
        }
        theme_name = cfg.theme.clone();
        rules = crate::model::classify::Rules::from_config(
            &cfg.classify,
            cfg.classify_defaults.unwrap_or(true),
        )
        .map_err(|e| Fail::new(exit::USAGE, format!("config {}: {e}", path.display())))?;
        let entries: Vec<(String, String)> = cfg.keys.clone().into_iter().collect();
        keymap = crate::app::bindings::Keymap::from_config(&entries)
            .map_err(|e| Fail::new(exit::USAGE, format!("config {}: {e}", path.display())))?;
        for a in cfg.action {
            a.validate()
                .map_err(|e| Fail::new(exit::USAGE, format!("config {}: {e}", path.display())))?;
            if keymap.takes(a.key) {
                return Err(Fail::new(
                    exit::USAGE,
                    format!(
                        "config {}: custom action '{}' uses key '{}', which cordon already binds; pick another",
                        path.display(),
                        a.name,
                        a.key
                    ),
                ));
            }
            if let Some(o) = custom.iter().find(|o: &&CustomAction| o.key == a.key) {
                return Err(Fail::new(
                    exit::USAGE,
                    format!(
                        "config {}: custom actions '{}' and '{}' both use key '{}'",
                        path.display(),
                        o.name,
                        a.name,
                        a.key
                    ),
                ));
            }
            custom.push(a);
        }
    }
    specs.extend(args.sources.iter().cloned().flat_map(SourceSpec::expand));
    let mut names = std::collections::HashSet::new();
    for s in &specs {
        if s.name == crate::model::CORDON_SOURCE {
            return Err(Fail::new(
                exit::USAGE,
                format!(
                    "a source may not be named '{}': cordon's own timeline lines go by that name; give it another NAME= prefix",
                    s.name
                ),
            ));
        }
        if !names.insert(&s.name) {
            return Err(Fail::new(
                exit::USAGE,
                format!(
                    "two sources are named '{}'; give each a NAME= prefix",
                    s.name
                ),
            ));
        }
    }
    crate::source::otlp::check_links(&specs).map_err(|e| Fail::new(exit::USAGE, e))?;
    if !(0.05..=3600.0).contains(&poll) {
        return Err(Fail::new(
            exit::USAGE,
            "--poll must be between 0.05 and 3600 seconds",
        ));
    }
    Ok(Config {
        specs,
        poll,
        custom,
        keymap,
        theme: theme_name,
        rules,
    })
}
