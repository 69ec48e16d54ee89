//! What-if scenarios: named lists of transforms applied to every call.
//!
//! A scenario comes from a built-in preset (`--scenario cache-1h`), a TOML
//! file (`--scenario my.toml`, one scenario or a `[[scenarios]]` list), the
//! shorthand flags (`--route`, `--batch`, `--max-steps`, ...) or `--sweep`.
//! The baseline, `as-recorded`, prices the calls as they were logged.

mod file;
pub mod transform;

use std::fmt;

use crate::pricing::{Catalog, Ttl};
pub use file::{load_file, ScenarioError};
pub use transform::{
    BatchRule, Caps, Cascade, Classifier, Compaction, Decision, Eligible, Escalate, Lookup, Ratio,
    Route, RouteRule, RouteTarget, SemanticCache, SemanticHits, Sticky, Transforms, PPM,
};

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

/// What a scenario is for in the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    /// A row of the savings table.
    Savings,
    /// A step of the named stack (cumulative transforms), shown in the
    /// stacking table as well.
    Step(String),
    /// One model of `--sweep`, shown in the sweep table only.
    Sweep(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    pub cache: CacheMode,
    pub transforms: Transforms,
    pub role: Role,
    /// Where it was defined (a file path, a flag, "built-in"), for messages.
    pub origin: String,
}

impl Scenario {
    /// The baseline every scenario is compared with.
    pub fn baseline() -> Scenario {
        Scenario {
            name: "as-recorded".to_string(),
            description: "the calls as logged (baseline)".to_string(),
            cache: CacheMode::AsRecorded,
            transforms: Transforms::default(),
            role: Role::Savings,
            origin: "built-in".to_string(),
        }
    }

    fn cache_only(name: &str, description: &str, cache: CacheMode) -> Scenario {
        Scenario {
            name: name.to_string(),
            description: description.to_string(),
            cache,
            transforms: Transforms::default(),
            role: Role::Savings,
            origin: "built-in".to_string(),
        }
    }

    /// Whether pricing this scenario needs the calls in time order (cache
    /// state, session caps) rather than one at a time.
    pub fn needs_order(&self) -> bool {
        matches!(self.cache, CacheMode::On { .. }) || !self.transforms.is_empty()
    }

    /// Every model id the scenario names, with its key, for checking
    /// against the catalog.
    pub fn models(&self) -> Vec<(String, &str)> {
        let mut out = Vec::new();
        if let Some(route) = &self.transforms.route {
            for (i, rule) in route.rules.iter().enumerate() {
                for (j, t) in rule.targets.iter().enumerate() {
                    out.push((format!("route.rules[{i}].to[{j}].model"), t.model.as_str()));
                }
            }
            if let Some(c) = &route.classifier {
                out.push(("route.classifier.model".to_string(), c.model.as_str()));
            }
        }
        if let Some(model) = self
            .transforms
            .compaction
            .as_ref()
            .and_then(|c| c.model.as_ref())
        {
            out.push(("compaction.model".to_string(), model.as_str()));
        }
        if let Some(l) = self
            .transforms
            .semantic_cache
            .as_ref()
            .and_then(|s| s.lookup.as_ref())
        {
            out.push((
                "semantic_cache.embedding.model".to_string(),
                l.model.as_str(),
            ));
        }
        if let Some(c) = &self.transforms.cascade {
            out.push(("cascade.first".to_string(), c.first.as_str()));
            out.push(("cascade.then".to_string(), c.then.as_str()));
        }
        out
    }

    /// Fails on models the catalog does not know, suggesting close ids, and
    /// on models of the wrong kind: an embedding model answers no call, and
    /// only an embedding model does a semantic cache's lookups.
    pub fn check_models(&self, catalog: &Catalog) -> Result<(), ScenarioError> {
        if let Some(c) = &self.transforms.compaction {
            // The summariser reads the whole prompt that passed the trigger.
            let window = c.model.as_deref().and_then(|m| catalog.resolve(m));
            if let Some(summariser) = window.filter(|m| m.context_window < c.trigger_tokens) {
                return Err(ScenarioError::Invalid {
                    path: self.origin.clone(),
                    message: format!(
                        "scenario `{}`: compaction.trigger_tokens: {} is more than {}'s context window ({} tokens), which must hold the prompt it summarises",
                        self.name, c.trigger_tokens, summariser.id, summariser.context_window
                    ),
                });
            }
        }
        for (place, model) in self.models() {
            if let Some(found) = catalog.resolve(model) {
                let lookup = place.ends_with("embedding.model");
                if found.embedding != lookup {
                    return Err(ScenarioError::WrongKind {
                        origin: self.origin.clone(),
                        scenario: self.name.clone(),
                        place,
                        model: model.to_string(),
                        problem: if lookup {
                            "not an embedding model (the lookup embeds the prompt)"
                        } else {
                            "an embedding model: it answers no prompts"
                        },
                    });
                }
            } else {
                let suggestions = catalog.suggest(model);
                let hint = if suggestions.is_empty() {
                    String::new()
                } else {
                    format!("; did you mean {}?", suggestions.join(", "))
                };
                return Err(ScenarioError::UnknownModel {
                    origin: self.origin.clone(),
                    scenario: self.name.clone(),
                    place,
                    model: model.to_string(),
                    hint,
                });
            }
        }
        Ok(())
    }
}

/// The built-in scenarios, for `--scenario NAME` and `costsim scenarios`.
pub fn presets() -> Vec<Scenario> {
    let on = |ttl, placement| CacheMode::On { ttl, placement };
    vec![
        Scenario::baseline(),
        Scenario::cache_only(
            "cache-off",
            "no prompt caching: every prompt token at the input price",
            CacheMode::Off,
        ),
        Scenario::cache_only(
            "cache-5m",
            "caching simulated with a 5-minute TTL, a breakpoint at the end of every prompt",
            on(Ttl::FIVE_MINUTES, Placement::End),
        ),
        Scenario::cache_only(
            "cache-1h",
            "caching simulated with a 1-hour TTL, a breakpoint at the end of every prompt",
            on(Ttl::ONE_HOUR, Placement::End),
        ),
        Scenario::cache_only(
            "cache-5m-shared",
            "caching simulated with a 5-minute TTL, breakpoints after the shared prefix and at the end",
            on(Ttl::FIVE_MINUTES, Placement::Both),
        ),
        Scenario::cache_only(
            "cache-1h-shared",
            "caching simulated with a 1-hour TTL, breakpoints after the shared prefix and at the end",
            on(Ttl::ONE_HOUR, Placement::Both),
        ),
        Scenario {
            name: "batch-50".to_string(),
            description: "half of the non-interactive calls (first step of a session, or no session) through the batch API"
                .to_string(),
            cache: CacheMode::AsRecorded,
            transforms: Transforms {
                batch: Some(BatchRule {
                    share_ppm: PPM / 2,
                    eligible: Eligible::NonInteractive,
                    seed: 0,
                }),
                ..Transforms::default()
            },
            role: Role::Savings,
            origin: "built-in".to_string(),
        },
    ]
}

/// A preset name or the path of a scenario TOML file (which may hold
/// several scenarios).
pub fn resolve(arg: &str) -> Result<Vec<Scenario>, ScenarioError> {
    if let Some(p) = presets().into_iter().find(|p| p.name == arg) {
        return Ok(vec![p]);
    }
    let path = std::path::Path::new(arg);
    if path.exists() || arg.ends_with(".toml") {
        return load_file(path);
    }
    let names: Vec<String> = presets().into_iter().map(|p| p.name).collect();
    Err(ScenarioError::Unknown(arg.to_string(), names.join(", ")))
}

/// The baseline followed by the requested scenarios, without repeats.
pub fn with_baseline(requested: Vec<Scenario>) -> Result<Vec<Scenario>, ScenarioError> {
    let mut all = vec![Scenario::baseline()];
    for s in requested {
        if all.iter().any(|a| a.name == s.name) {
            if s == Scenario::baseline() {
                // `--scenario as-recorded`: the baseline, always there.
                continue;
            }
            if s.name == "as-recorded" {
                // Another scenario would vanish behind the baseline's name.
                return Err(ScenarioError::Invalid {
                    path: s.origin,
                    message: "the scenario name `as-recorded` is reserved for the baseline: choose another".to_string(),
                });
            }
            return Err(ScenarioError::Repeated(s.name));
        }
        all.push(s);
    }
    Ok(all)
}

/// One scenario per model for `--sweep`: every call sent to that model,
/// everything else as recorded.
pub fn sweep(models: &[String]) -> Vec<Scenario> {
    models
        .iter()
        .map(|m| Scenario {
            name: format!("sweep:{m}"),
            description: format!("every call on {m}"),
            cache: CacheMode::AsRecorded,
            transforms: Transforms {
                route: Some(Route {
                    rules: vec![RouteRule {
                        from: "*".to_string(),
                        pattern: glob::Pattern::new("*").expect("valid glob"),
                        targets: vec![RouteTarget {
                            model: m.clone(),
                            share_ppm: PPM,
                            token_ratio: Ratio::ONE,
                            output_ratio: Ratio::ONE,
                        }],
                    }],
                    sticky: Sticky::Session,
                    seed: 0,
                    classifier: None,
                }),
                ..Transforms::default()
            },
            role: Role::Sweep(m.clone()),
            origin: "--sweep".to_string(),
        })
        .collect()
}

pub use file::{
    parse_classifier_spec, parse_compaction_spec, parse_route_spec, parse_semantic_spec, shorthand,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_resolve() {
        let s = &resolve("cache-1h").unwrap()[0];
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
    fn baseline_comes_first_and_repeats_are_refused() {
        let off = resolve("cache-off").unwrap();
        let all = with_baseline(off.clone()).unwrap();
        assert_eq!(all[0].name, "as-recorded");
        assert!(with_baseline([off.clone(), off].concat()).is_err());
        // The baseline preset is always there; another scenario under its
        // name would vanish behind it, so it is refused.
        let baseline = resolve("as-recorded").unwrap();
        assert_eq!(with_baseline(baseline).unwrap().len(), 1);
        let mut impostor = resolve("cache-1h").unwrap();
        impostor[0].name = "as-recorded".to_string();
        impostor[0].origin = "mine.toml".to_string();
        let err = with_baseline(impostor).unwrap_err().to_string();
        assert!(
            err.starts_with("mine.toml: the scenario name `as-recorded` is reserved"),
            "{err}"
        );
    }

    #[test]
    fn unknown_targets_are_named() {
        let catalog = crate::pricing::load_embedded().unwrap();
        let s = sweep(&["claude-sonet-4-5".to_string()]);
        let e = s[0].check_models(&catalog).unwrap_err().to_string();
        assert!(
            e.contains("claude-sonet-4-5") && e.contains("did you mean claude-sonnet-4-5"),
            "{e}"
        );
    }
}
