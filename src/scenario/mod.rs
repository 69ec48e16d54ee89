//! What-if scenarios: named lists of transforms applied to every call.
//!
//! A scenario comes from a built-in preset (`--scenario cache-1h`) or a TOML
//! file (`--scenario my.toml`). The baseline, `as-recorded`, prices the calls
//! as they were logged.

use std::fmt;
use std::path::Path;

use serde::Deserialize;

use crate::pricing::Ttl;

/// Where explicit cache breakpoints go when caching is simulated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// At the end of every prompt: each call caches everything it sent.
    End,
    /// After the prefix shared across sessions (system prompt and tools) only.
    Shared,
    /// Both: the shared prefix and the end of the prompt.
    Both,
}

impl Placement {
    fn parse(text: &str) -> Option<Placement> {
        match text {
            "end" => Some(Placement::End),
            "shared" => Some(Placement::Shared),
            "both" => Some(Placement::Both),
            _ => None,
        }
    }
}

impl fmt::Display for Placement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Placement::End => "end",
            Placement::Shared => "shared",
            Placement::Both => "both",
        })
    }
}

/// How prompt caching is treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheMode {
    /// The cache reads and writes as logged.
    AsRecorded,
    /// No caching: every prompt token at the input price.
    Off,
    /// Caching simulated from the catalog's cache rules.
    On { ttl: Ttl, placement: Placement },
}

impl fmt::Display for CacheMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CacheMode::AsRecorded => f.write_str("as recorded"),
            CacheMode::Off => f.write_str("off"),
            CacheMode::On { ttl, placement } => {
                write!(f, "simulated, {ttl} TTL, breakpoints: {placement}")
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    pub cache: CacheMode,
}

impl Scenario {
    /// The baseline every scenario is compared with.
    pub fn baseline() -> Scenario {
        Scenario {
            name: "as-recorded".to_string(),
            description: "the calls as logged (baseline)".to_string(),
            cache: CacheMode::AsRecorded,
        }
    }

    /// Whether pricing this scenario needs calls in time order per cache scope.
    pub fn needs_simulation(&self) -> bool {
        matches!(self.cache, CacheMode::On { .. })
    }
}

/// The built-in scenarios, for `--scenario NAME` and `costsim scenarios`.
pub fn presets() -> Vec<Scenario> {
    let on = |ttl, placement| CacheMode::On { ttl, placement };
    vec![
        Scenario::baseline(),
        Scenario {
            name: "cache-off".to_string(),
            description: "no prompt caching: every prompt token at the input price".to_string(),
            cache: CacheMode::Off,
        },
        Scenario {
            name: "cache-5m".to_string(),
            description: "caching simulated with a 5-minute TTL, a breakpoint at the end of every prompt"
                .to_string(),
            cache: on(Ttl::FIVE_MINUTES, Placement::End),
        },
        Scenario {
            name: "cache-1h".to_string(),
            description: "caching simulated with a 1-hour TTL, a breakpoint at the end of every prompt"
                .to_string(),
            cache: on(Ttl::ONE_HOUR, Placement::End),
        },
        Scenario {
            name: "cache-5m-shared".to_string(),
            description: "caching simulated with a 5-minute TTL, breakpoints after the shared prefix and at the end"
                .to_string(),
            cache: on(Ttl::FIVE_MINUTES, Placement::Both),
        },
        Scenario {
            name: "cache-1h-shared".to_string(),
            description: "caching simulated with a 1-hour TTL, breakpoints after the shared prefix and at the end"
                .to_string(),
            cache: on(Ttl::ONE_HOUR, Placement::Both),
        },
    ]
}

#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error("--scenario {0}: no such preset or file (presets: {1}; files end in .toml)")]
    Unknown(String, String),
    #[error("{path}: cannot read scenario file: {source}")]
    Unreadable {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
    #[error("--scenario {0} is given twice")]
    Repeated(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    name: Option<String>,
    description: Option<String>,
    cache: Option<RawCache>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCache {
    mode: Option<String>,
    ttl: Option<String>,
    breakpoints: Option<String>,
}

/// A preset name or the path of a scenario TOML file.
pub fn resolve(arg: &str) -> Result<Scenario, ScenarioError> {
    if let Some(p) = presets().into_iter().find(|p| p.name == arg) {
        return Ok(p);
    }
    let path = Path::new(arg);
    if path.exists() || arg.ends_with(".toml") {
        return load_file(path);
    }
    let names: Vec<String> = presets().into_iter().map(|p| p.name).collect();
    Err(ScenarioError::Unknown(arg.to_string(), names.join(", ")))
}

/// Reads a scenario file:
///
/// ```toml
/// name = "cache-1h-shared"
/// description = "1h cache on the system prompt and the conversation"
/// [cache]
/// mode = "on"            # off | as-recorded | on
/// ttl = "1h"             # with mode = "on"; default 5m
/// breakpoints = "both"   # end | shared | both; default end
/// ```
pub fn load_file(path: &Path) -> Result<Scenario, ScenarioError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| ScenarioError::Unreadable {
        path: shown.clone(),
        source: e,
    })?;
    parse(&shown, &text)
}

fn parse(path: &str, text: &str) -> Result<Scenario, ScenarioError> {
    let invalid = |message: String| ScenarioError::Invalid {
        path: path.to_string(),
        message,
    };
    let raw: RawScenario = toml::from_str(text).map_err(|e| {
        let line = e
            .span()
            .map(|s| {
                format!(
                    "line {}: ",
                    text[..s.start.min(text.len())].matches('\n').count() + 1
                )
            })
            .unwrap_or_default();
        invalid(format!("{line}{}", e.message()))
    })?;
    let default_name = Path::new(path).file_stem().map_or_else(
        || "scenario".to_string(),
        |s| s.to_string_lossy().into_owned(),
    );
    let name = raw.name.unwrap_or(default_name);
    if name.trim().is_empty() {
        return Err(invalid("`name` is empty".to_string()));
    }
    let cache = match raw.cache {
        None => CacheMode::AsRecorded,
        Some(c) => {
            let mode = c.mode.as_deref().unwrap_or("on");
            match mode {
                "off" | "as-recorded" => {
                    if c.ttl.is_some() || c.breakpoints.is_some() {
                        return Err(invalid(format!(
                            "cache.ttl and cache.breakpoints apply only to mode = \"on\", not \"{mode}\""
                        )));
                    }
                    if mode == "off" {
                        CacheMode::Off
                    } else {
                        CacheMode::AsRecorded
                    }
                }
                "on" => {
                    let ttl = match c.ttl.as_deref() {
                        None => Ttl::FIVE_MINUTES,
                        Some(t) => Ttl::parse(t).ok_or_else(|| {
                            invalid(format!(
                                "cache.ttl: `{t}` is not a duration such as 5m or 1h"
                            ))
                        })?,
                    };
                    let placement = match c.breakpoints.as_deref() {
                        None => Placement::End,
                        Some(b) => Placement::parse(b).ok_or_else(|| {
                            invalid(format!(
                                "cache.breakpoints: `{b}` is not end, shared or both"
                            ))
                        })?,
                    };
                    CacheMode::On { ttl, placement }
                }
                other => {
                    return Err(invalid(format!(
                        "cache.mode: `{other}` is not off, as-recorded or on"
                    )))
                }
            }
        }
    };
    Ok(Scenario {
        description: raw.description.unwrap_or_else(|| format!("cache {cache}")),
        name,
        cache,
    })
}

/// The baseline followed by the requested scenarios, without repeats.
pub fn with_baseline(requested: Vec<Scenario>) -> Result<Vec<Scenario>, ScenarioError> {
    let mut all = vec![Scenario::baseline()];
    for s in requested {
        if all.iter().any(|a| a.name == s.name) {
            if s.name == "as-recorded" {
                continue;
            }
            return Err(ScenarioError::Repeated(s.name));
        }
        all.push(s);
    }
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_resolve() {
        let s = resolve("cache-1h").unwrap();
        assert_eq!(
            s.cache,
            CacheMode::On {
                ttl: Ttl::ONE_HOUR,
                placement: Placement::End
            }
        );
        assert!(matches!(
            resolve("cache-2h"),
            Err(ScenarioError::Unknown(..))
        ));
    }

    #[test]
    fn parses_a_file() {
        let s = parse(
            "x.toml",
            "name = \"warm\"\n[cache]\nmode = \"on\"\nttl = \"1h\"\nbreakpoints = \"both\"\n",
        )
        .unwrap();
        assert_eq!(s.name, "warm");
        assert_eq!(
            s.cache,
            CacheMode::On {
                ttl: Ttl::ONE_HOUR,
                placement: Placement::Both
            }
        );
        let off = parse("dir/no-cache.toml", "[cache]\nmode = \"off\"\n").unwrap();
        assert_eq!(off.name, "no-cache");
        assert_eq!(off.cache, CacheMode::Off);
    }

    #[test]
    fn names_the_bad_key() {
        let e = parse("x.toml", "[cache]\nmode = \"maybe\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("x.toml: cache.mode: `maybe`"), "{e}");
        let e = parse("x.toml", "[cache]\nttl = \"forever\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("cache.ttl"), "{e}");
        let e = parse("x.toml", "[cache]\nmode = \"on\"\nttll = \"1h\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 3") && e.contains("ttll"), "{e}");
    }

    #[test]
    fn baseline_comes_first_and_repeats_are_refused() {
        let all = with_baseline(vec![resolve("cache-off").unwrap()]).unwrap();
        assert_eq!(all[0].name, "as-recorded");
        assert!(with_baseline(vec![
            resolve("cache-off").unwrap(),
            resolve("cache-off").unwrap()
        ])
        .is_err());
    }
}
