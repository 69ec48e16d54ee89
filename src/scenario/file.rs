//! Scenario TOML files and the shorthand flags.
//!
//! ```toml
//! name = "cheaper"                # default: the file name
//! description = "..."
//! pricing_date = "latest"         # or YYYY-MM-DD
//! [cache]
//! mode = "on"                     # off | as-recorded | on
//! ttl = "1h"
//! breakpoints = "both"            # end | shared | both
//! [route]
//! sticky = "session"              # session | call
//! seed = 1
//! [[route.rules]]
//! from = "claude-opus-*"
//! to = [{ model = "claude-sonnet-4-5", share = 0.7 },
//!       { model = "claude-haiku-4-5", share = 0.3, token_ratio = 1.0, output_ratio = 1.2 }]
//! [cascade]
//! from = "*"
//! first = "claude-haiku-4-5"
//! then = "claude-sonnet-4-5"
//! escalate = 0.2                  # a share, or "failed"
//! [batch]
//! share = 0.5
//! eligible = "non-interactive"    # all | non-interactive | tag:KEY=VALUE
//! [caps]
//! max_steps = 30
//! max_tokens = 2000000
//! ```
//!
//! A file may instead hold `[[scenarios]]`, each with the keys above; with
//! `stack = true` each one adds its transforms to those before it.

use std::path::Path;

use chrono::NaiveDate;
use serde::Deserialize;

use super::transform::{
    BatchRule, Caps, Cascade, Classifier, Compaction, Decision, Eligible, Escalate, Lookup, Ratio,
    Route, RouteRule, RouteTarget, SemanticCache, SemanticHits, Sticky, Transforms, PPM,
};
use super::{CacheMode, Placement, Role, Scenario};
use crate::money::parse_scaled_decimal;
use crate::pricing::{PricingDate, Ttl};

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
    #[error("scenario `{0}` is given twice")]
    Repeated(String),
    #[error("{origin}: scenario `{scenario}`: {place}: model `{model}` is not in the pricing catalog{hint}")]
    UnknownModel {
        origin: String,
        scenario: String,
        place: String,
        model: String,
        hint: String,
    },
    #[error("{origin}: scenario `{scenario}`: {place}: `{model}` is {problem}")]
    WrongKind {
        origin: String,
        scenario: String,
        place: String,
        model: String,
        problem: &'static str,
    },
}

/// A number as written: TOML integer, float or string.
#[derive(Deserialize, Debug, Clone)]
#[serde(untagged)]
enum Num {
    Int(i64),
    Float(f64),
    Text(String),
}

impl Num {
    fn text(&self) -> String {
        match self {
            Num::Int(i) => i.to_string(),
            Num::Float(f) => format!("{f}"),
            Num::Text(s) => s.clone(),
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    name: Option<String>,
    description: Option<String>,
    pricing_date: Option<String>,
    cache: Option<RawCache>,
    compaction: Option<RawCompaction>,
    route: Option<RawRoute>,
    semantic_cache: Option<RawSemantic>,
    cascade: Option<RawCascade>,
    batch: Option<RawBatch>,
    caps: Option<RawCaps>,
}

/// A whole file: one scenario at the top level, or a `[[scenarios]]` list.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    stack: bool,
    #[serde(default)]
    scenarios: Vec<RawScenario>,
    name: Option<String>,
    description: Option<String>,
    pricing_date: Option<String>,
    cache: Option<RawCache>,
    compaction: Option<RawCompaction>,
    route: Option<RawRoute>,
    semantic_cache: Option<RawSemantic>,
    cascade: Option<RawCascade>,
    batch: Option<RawBatch>,
    caps: Option<RawCaps>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCache {
    mode: Option<String>,
    ttl: Option<String>,
    breakpoints: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCompaction {
    trigger_tokens: Option<i64>,
    keep: Option<Num>,
    model: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSemantic {
    hit_rate: Option<Num>,
    ttl: Option<String>,
    embedding: Option<RawLookup>,
    eligible: Option<String>,
    seed: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLookup {
    model: Option<String>,
    tokens: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRoute {
    sticky: Option<String>,
    seed: Option<u64>,
    #[serde(default)]
    rules: Vec<RawRule>,
    classifier: Option<RawClassifier>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClassifier {
    model: Option<String>,
    input: Option<i64>,
    output: Option<i64>,
    per: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    from: Option<String>,
    #[serde(default)]
    to: Vec<RawTarget>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTarget {
    model: Option<String>,
    share: Option<Num>,
    token_ratio: Option<Num>,
    output_ratio: Option<Num>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCascade {
    from: Option<String>,
    first: Option<String>,
    then: Option<String>,
    escalate: Option<Num>,
    seed: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBatch {
    share: Option<Num>,
    eligible: Option<String>,
    seed: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCaps {
    max_steps: Option<i64>,
    max_tokens: Option<i64>,
}

/// Reads a scenario file: one scenario, or a `[[scenarios]]` list.
pub fn load_file(path: &Path) -> Result<Vec<Scenario>, ScenarioError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| ScenarioError::Unreadable {
        path: shown.clone(),
        source: e,
    })?;
    let mut scenarios = parse(&shown, &text)?;
    for s in &mut scenarios {
        s.origin = shown.clone();
    }
    Ok(scenarios)
}

type Fail = Box<dyn Fn(String) -> ScenarioError>;

pub(super) fn parse(path: &str, text: &str) -> Result<Vec<Scenario>, ScenarioError> {
    let owned = path.to_string();
    let invalid: Fail = Box::new(move |message| ScenarioError::Invalid {
        path: owned.clone(),
        message,
    });
    let located = |e: toml::de::Error| invalid(crate::toml_error::describe(text, &e));
    let raw: RawFile = toml::from_str(text).map_err(located)?;
    let default_name = Path::new(path).file_stem().map_or_else(
        || "scenario".to_string(),
        |s| s.to_string_lossy().into_owned(),
    );
    if raw.scenarios.is_empty() {
        if raw.stack {
            return Err(invalid(
                "`stack = true` needs a [[scenarios]] list".to_string(),
            ));
        }
        let single = RawScenario {
            name: raw.name,
            description: raw.description,
            pricing_date: raw.pricing_date,
            cache: raw.cache,
            compaction: raw.compaction,
            route: raw.route,
            semantic_cache: raw.semantic_cache,
            cascade: raw.cascade,
            batch: raw.batch,
            caps: raw.caps,
        };
        return Ok(vec![build(
            &invalid,
            "",
            single,
            &default_name,
            Role::Savings,
        )?]);
    }
    if raw.cache.is_some()
        || raw.compaction.is_some()
        || raw.route.is_some()
        || raw.semantic_cache.is_some()
        || raw.cascade.is_some()
        || raw.batch.is_some()
        || raw.caps.is_some()
        || raw.pricing_date.is_some()
    {
        return Err(invalid(
            "put transforms inside each [[scenarios]] entry, not at the top level".to_string(),
        ));
    }
    let stack_name = raw.name.clone().unwrap_or(default_name);
    let mut out: Vec<Scenario> = Vec::new();
    for (i, entry) in raw.scenarios.into_iter().enumerate() {
        let prefix = format!("scenarios[{i}].");
        let fallback = format!("{stack_name}-{}", i + 1);
        let role = if raw.stack {
            Role::Step(stack_name.clone())
        } else {
            Role::Savings
        };
        let mut scenario = build(&invalid, &prefix, entry, &fallback, role)?;
        if raw.stack {
            if let Some(previous) = out.last() {
                scenario.transforms = previous.transforms.then(&scenario.transforms);
                if scenario.cache == CacheMode::AsRecorded {
                    scenario.cache = previous.cache;
                }
            }
        }
        out.push(scenario);
    }
    Ok(out)
}

/// A share as a decimal fraction (`0.3`) or a percentage (`30%`), in ppm.
fn share(invalid: &Fail, key: &str, value: &Num) -> Result<u64, ScenarioError> {
    let text = value.text();
    let ppm = match text.trim().strip_suffix('%') {
        // Percent to ppm: four more decimal places.
        Some(percent) => parse_scaled_decimal(percent.trim(), 4),
        None => parse_scaled_decimal(&text, 6),
    }
    .map_err(|e| invalid(format!("{key}: {e}")))?;
    if ppm as u64 > PPM {
        return Err(invalid(format!("{key}: {} is more than 1", value.text())));
    }
    Ok(ppm as u64)
}

fn ratio(invalid: &Fail, key: &str, value: &Option<Num>) -> Result<Ratio, ScenarioError> {
    match value {
        None => Ok(Ratio::ONE),
        Some(v) => {
            let ppm =
                parse_scaled_decimal(&v.text(), 6).map_err(|e| invalid(format!("{key}: {e}")))?;
            if ppm == 0 {
                return Err(invalid(format!("{key}: must be more than 0")));
            }
            Ok(Ratio(ppm as u64))
        }
    }
}

fn pattern(invalid: &Fail, key: &str, text: &str) -> Result<glob::Pattern, ScenarioError> {
    glob::Pattern::new(text)
        .map_err(|e| invalid(format!("{key}: `{text}` is not a valid glob: {}", e.msg)))
}

fn build(
    invalid: &Fail,
    at: &str,
    raw: RawScenario,
    default_name: &str,
    role: Role,
) -> Result<Scenario, ScenarioError> {
    let name = raw.name.unwrap_or_else(|| default_name.to_string());
    if name.trim().is_empty() {
        return Err(invalid(format!("{at}name: empty")));
    }
    let cache = match raw.cache {
        None => CacheMode::AsRecorded,
        Some(c) => cache_mode(invalid, at, c)?,
    };
    let pricing_date = match raw.pricing_date.as_deref() {
        None => None,
        Some("latest") => Some(PricingDate::Latest),
        Some(d) => Some(PricingDate::Fixed(
            NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| {
                invalid(format!(
                    "{at}pricing_date: `{d}` is not a date (YYYY-MM-DD) or `latest`"
                ))
            })?,
        )),
    };
    let compaction = raw
        .compaction
        .map(|c| compaction(invalid, &format!("{at}compaction"), c))
        .transpose()?;
    let route = raw.route.map(|r| route(invalid, at, r)).transpose()?;
    let semantic_cache = raw
        .semantic_cache
        .map(|c| semantic(invalid, &format!("{at}semantic_cache"), c))
        .transpose()?;
    let cascade = raw.cascade.map(|c| cascade(invalid, at, c)).transpose()?;
    let batch = raw.batch.map(|b| batch(invalid, at, b)).transpose()?;
    let caps = raw.caps.map(|c| caps(invalid, at, c)).transpose()?;
    let transforms = Transforms {
        compaction,
        route,
        semantic_cache,
        cascade,
        batch,
        caps,
        pricing_date,
    };
    let description = raw
        .description
        .unwrap_or_else(|| describe(cache, &transforms));
    Ok(Scenario {
        name,
        description,
        cache,
        transforms,
        role,
        origin: String::new(),
    })
}

fn cache_mode(invalid: &Fail, at: &str, c: RawCache) -> Result<CacheMode, ScenarioError> {
    let mode = c.mode.as_deref().unwrap_or("on");
    match mode {
        "off" | "as-recorded" => {
            if c.ttl.is_some() || c.breakpoints.is_some() {
                return Err(invalid(format!(
                    "{at}cache.ttl and {at}cache.breakpoints apply only to mode = \"on\", not \"{mode}\""
                )));
            }
            Ok(if mode == "off" {
                CacheMode::Off
            } else {
                CacheMode::AsRecorded
            })
        }
        "on" => {
            let ttl = match c.ttl.as_deref() {
                None => Ttl::FIVE_MINUTES,
                Some(t) => Ttl::parse(t).ok_or_else(|| {
                    invalid(format!(
                        "{at}cache.ttl: `{t}` is not a duration such as 5m or 1h"
                    ))
                })?,
            };
            let placement = match c.breakpoints.as_deref() {
                None => Placement::End,
                Some(b) => Placement::parse(b).ok_or_else(|| {
                    invalid(format!(
                        "{at}cache.breakpoints: `{b}` is not end, shared or both"
                    ))
                })?,
            };
            Ok(CacheMode::On { ttl, placement })
        }
        other => Err(invalid(format!(
            "{at}cache.mode: `{other}` is not off, as-recorded or on"
        ))),
    }
}

/// A required count of tokens, at least 1; `what` explains it when missing.
fn positive_tokens(
    invalid: &Fail,
    key: &str,
    value: Option<i64>,
    what: &str,
) -> Result<u64, ScenarioError> {
    match value {
        None => Err(invalid(format!("{key}: missing ({what})"))),
        Some(n) if n < 1 => Err(invalid(format!(
            "{key}: {n} is not a positive number of tokens"
        ))),
        Some(n) => Ok(n as u64),
    }
}

fn compaction(invalid: &Fail, key: &str, c: RawCompaction) -> Result<Compaction, ScenarioError> {
    let trigger_tokens = positive_tokens(
        invalid,
        &format!("{key}.trigger_tokens"),
        c.trigger_tokens,
        "the prompt size that starts a compaction, e.g. 100000",
    )?;
    let keep = match &c.keep {
        None => {
            return Err(invalid(format!(
                "{key}.keep: missing (the summary's share of the prompt it replaces, e.g. 0.3)"
            )))
        }
        Some(v) => share(invalid, &format!("{key}.keep"), v)?,
    };
    if keep == 0 || keep == PPM {
        return Err(invalid(format!(
            "{key}.keep: {} must be more than 0 and less than 1",
            c.keep.as_ref().map(Num::text).unwrap_or_default()
        )));
    }
    Ok(Compaction {
        trigger_tokens,
        keep: Ratio(keep),
        model: c.model,
    })
}

fn semantic(invalid: &Fail, key: &str, c: RawSemantic) -> Result<SemanticCache, ScenarioError> {
    let hits = match (&c.hit_rate, c.ttl.as_deref()) {
        (Some(rate), None) => SemanticHits::Share(share(invalid, &format!("{key}.hit_rate"), rate)?),
        (None, Some(ttl)) => {
            let ttl = Ttl::parse(ttl).ok_or_else(|| {
                invalid(format!(
                    "{key}.ttl: `{ttl}` is not a duration such as 5m or 1h"
                ))
            })?;
            SemanticHits::Repeats { ttl }
        }
        (Some(_), Some(_)) => {
            return Err(invalid(format!(
                "{key}: give hit_rate (a share of eligible calls) or ttl (repeats of prompt_hash), not both"
            )))
        }
        (None, None) => {
            return Err(invalid(format!(
                "{key}: give hit_rate (a share of eligible calls, e.g. 0.3) or ttl (repeats of a call's prompt_hash within it, e.g. \"1h\")"
            )))
        }
    };
    let lookup = c
        .embedding
        .map(|l| {
            let model = l.model.ok_or_else(|| {
                invalid(format!(
                    "{key}.embedding.model: missing (an embedding model, e.g. \"text-embedding-3-small\")"
                ))
            })?;
            let tokens = positive_tokens(
                invalid,
                &format!("{key}.embedding.tokens"),
                l.tokens,
                "tokens embedded per lookup, e.g. 200",
            )?;
            Ok(Lookup { model, tokens })
        })
        .transpose()?;
    let eligible =
        parse_eligible(c.eligible.as_deref().unwrap_or("non-interactive")).ok_or_else(|| {
            invalid(format!(
                "{key}.eligible: `{}` is not all, non-interactive or tag:KEY=VALUE",
                c.eligible.clone().unwrap_or_default()
            ))
        })?;
    Ok(SemanticCache {
        hits,
        lookup,
        eligible,
        seed: c.seed.unwrap_or(0),
    })
}

fn route(invalid: &Fail, at: &str, r: RawRoute) -> Result<Route, ScenarioError> {
    let sticky = match r.sticky.as_deref() {
        None | Some("session") => Sticky::Session,
        Some("call") => Sticky::Call,
        Some(other) => {
            return Err(invalid(format!(
                "{at}route.sticky: `{other}` is not session or call"
            )))
        }
    };
    if r.rules.is_empty() {
        return Err(invalid(format!(
            "{at}route.rules: no rules ([[route.rules]] with from and to)"
        )));
    }
    let mut rules = Vec::new();
    for (i, rule) in r.rules.into_iter().enumerate() {
        let key = format!("{at}route.rules[{i}]");
        let from = rule.from.ok_or_else(|| {
            invalid(format!(
                "{key}.from: missing (a model glob such as \"claude-opus-*\")"
            ))
        })?;
        let pattern = pattern(invalid, &format!("{key}.from"), &from)?;
        if rule.to.is_empty() {
            return Err(invalid(format!("{key}.to: no targets")));
        }
        let mut targets = Vec::new();
        for (j, t) in rule.to.into_iter().enumerate() {
            let tkey = format!("{key}.to[{j}]");
            let model = t
                .model
                .ok_or_else(|| invalid(format!("{tkey}.model: missing")))?;
            let share_ppm = match &t.share {
                Some(v) => share(invalid, &format!("{tkey}.share"), v)?,
                None => return Err(invalid(format!("{tkey}.share: missing"))),
            };
            targets.push(RouteTarget {
                model,
                share_ppm,
                token_ratio: ratio(invalid, &format!("{tkey}.token_ratio"), &t.token_ratio)?,
                output_ratio: ratio(invalid, &format!("{tkey}.output_ratio"), &t.output_ratio)?,
            });
        }
        let sum: u64 = targets.iter().map(|t| t.share_ppm).sum();
        if sum != PPM {
            return Err(invalid(format!(
                "{key}.to: shares sum to {} instead of 1",
                Ratio(sum)
            )));
        }
        rules.push(RouteRule {
            from,
            pattern,
            targets,
        });
    }
    let classifier = r
        .classifier
        .map(|c| classifier(invalid, &format!("{at}route.classifier"), c))
        .transpose()?;
    Ok(Route {
        rules,
        sticky,
        seed: r.seed.unwrap_or(0),
        classifier,
    })
}

fn classifier(invalid: &Fail, key: &str, c: RawClassifier) -> Result<Classifier, ScenarioError> {
    let model = c.model.ok_or_else(|| {
        invalid(format!(
            "{key}.model: missing (the model that makes the routing decision, e.g. \"gpt-oss-120b\")"
        ))
    })?;
    let tokens = |name: &str, v: Option<i64>, required: bool| match v {
        None if required => Err(invalid(format!(
            "{key}.{name}: missing (prompt tokens of one classifying call, e.g. 350)"
        ))),
        None => Ok(0),
        Some(n) if n < 0 => Err(invalid(format!("{key}.{name}: {n} is negative"))),
        Some(n) => Ok(n as u64),
    };
    let input = tokens("input", c.input, true)?;
    let output = tokens("output", c.output, false)?;
    let per = match c.per.as_deref() {
        None | Some("request") => Decision::Request,
        Some("session") => Decision::Session,
        Some(other) => {
            return Err(invalid(format!(
                "{key}.per: `{other}` is not request or session"
            )))
        }
    };
    Ok(Classifier {
        model,
        input,
        output,
        per,
    })
}

fn cascade(invalid: &Fail, at: &str, c: RawCascade) -> Result<Cascade, ScenarioError> {
    let from = c.from.unwrap_or_else(|| "*".to_string());
    let pattern = pattern(invalid, &format!("{at}cascade.from"), &from)?;
    let first = c.first.ok_or_else(|| {
        invalid(format!(
            "{at}cascade.first: missing (the cheap model tried first)"
        ))
    })?;
    let then = c.then.ok_or_else(|| {
        invalid(format!(
            "{at}cascade.then: missing (the model escalated to)"
        ))
    })?;
    let escalate = match &c.escalate {
        None => {
            return Err(invalid(format!(
                "{at}cascade.escalate: missing (a share such as 0.2, or \"failed\")"
            )))
        }
        Some(Num::Text(t)) if t == "failed" => Escalate::Failed,
        Some(v) => Escalate::Share(share(invalid, &format!("{at}cascade.escalate"), v)?),
    };
    Ok(Cascade {
        from,
        pattern,
        first,
        then,
        escalate,
        seed: c.seed.unwrap_or(0),
    })
}

fn batch(invalid: &Fail, at: &str, b: RawBatch) -> Result<BatchRule, ScenarioError> {
    let share_ppm = match &b.share {
        None => PPM,
        Some(v) => share(invalid, &format!("{at}batch.share"), v)?,
    };
    let eligible =
        parse_eligible(b.eligible.as_deref().unwrap_or("non-interactive")).ok_or_else(|| {
            invalid(format!(
                "{at}batch.eligible: `{}` is not all, non-interactive or tag:KEY=VALUE",
                b.eligible.clone().unwrap_or_default()
            ))
        })?;
    Ok(BatchRule {
        share_ppm,
        eligible,
        seed: b.seed.unwrap_or(0),
    })
}

fn parse_eligible(text: &str) -> Option<Eligible> {
    match text {
        "all" => Some(Eligible::All),
        "non-interactive" => Some(Eligible::NonInteractive),
        other => {
            let (k, v) = other.strip_prefix("tag:")?.split_once('=')?;
            (!k.is_empty()).then(|| Eligible::Tag(k.to_string(), v.to_string()))
        }
    }
}

fn caps(invalid: &Fail, at: &str, c: RawCaps) -> Result<Caps, ScenarioError> {
    let positive = |key: &str, v: Option<i64>| -> Result<Option<u64>, ScenarioError> {
        match v {
            None => Ok(None),
            Some(n) if n >= 1 => Ok(Some(n as u64)),
            Some(n) => Err(invalid(format!(
                "{at}caps.{key}: {n} is not a positive number"
            ))),
        }
    };
    let caps = Caps {
        max_steps: positive("max_steps", c.max_steps)?,
        max_tokens: positive("max_tokens", c.max_tokens)?,
    };
    if caps == Caps::default() {
        return Err(invalid(format!(
            "{at}caps: give max_steps and/or max_tokens"
        )));
    }
    Ok(caps)
}

/// Words for a scenario without a description.
fn describe(cache: CacheMode, t: &Transforms) -> String {
    let mut parts = Vec::new();
    if cache != CacheMode::AsRecorded {
        parts.push(format!("cache {cache}"));
    }
    if let Some(c) = &t.compaction {
        parts.push(format!(
            "compact sessions past {} prompt tokens to {}%{}",
            c.trigger_tokens,
            Ratio(c.keep.0 * 100),
            c.model
                .as_ref()
                .map(|m| format!(" with {m}"))
                .unwrap_or_default()
        ));
    }
    if let Some(r) = &t.route {
        let rules: Vec<String> = r
            .rules
            .iter()
            .map(|rule| {
                let to: Vec<String> = rule
                    .targets
                    .iter()
                    .map(|t| format!("{} {}%", t.model, Ratio(t.share_ppm * 100)))
                    .collect();
                format!("{} -> {}", rule.from, to.join(", "))
            })
            .collect();
        parts.push(format!("route {} (per {})", rules.join("; "), r.sticky));
        if let Some(c) = &r.classifier {
            parts.push(format!(
                "router {} ({} in, {} out per {})",
                c.model, c.input, c.output, c.per
            ));
        }
    }
    if let Some(c) = &t.semantic_cache {
        let hits = match c.hits {
            SemanticHits::Share(p) => format!("{}% of", Ratio(p * 100)),
            SemanticHits::Repeats { ttl } => format!("repeated prompts (within {ttl}) of"),
        };
        let lookup = c
            .lookup
            .as_ref()
            .map(|l| format!(", {} tokens per lookup on {}", l.tokens, l.model))
            .unwrap_or_default();
        parts.push(format!(
            "semantic cache answers {hits} {} calls{lookup}",
            c.eligible
        ));
    }
    if let Some(c) = &t.cascade {
        let when = match c.escalate {
            Escalate::Share(p) => format!("{}% escalated", Ratio(p * 100)),
            Escalate::Failed => "failed calls escalated".to_string(),
        };
        parts.push(format!("cascade {} -> {} ({when})", c.first, c.then));
    }
    if let Some(b) = &t.batch {
        parts.push(format!(
            "batch {}% of {} calls",
            Ratio(b.share_ppm * 100),
            b.eligible
        ));
    }
    if let Some(c) = &t.caps {
        if let Some(s) = c.max_steps {
            parts.push(format!("at most {s} steps per session"));
        }
        if let Some(n) = c.max_tokens {
            parts.push(format!("at most {n} tokens per session"));
        }
    }
    if let Some(d) = t.pricing_date {
        parts.push(format!("prices {d}"));
    }
    if parts.is_empty() {
        "the calls as recorded".to_string()
    } else {
        parts.join("; ")
    }
}

/// `claude-opus-*=claude-sonnet-4-5:0.7,claude-haiku-4-5:0.3` (rules
/// separated by `;`) as a route, for `--route`.
pub fn parse_route_spec(spec: &str, sticky: Sticky) -> Result<Route, ScenarioError> {
    let invalid: Fail = Box::new(|message| ScenarioError::Invalid {
        path: "--route".to_string(),
        message,
    });
    let mut rules = Vec::new();
    for part in spec.split(';').filter(|p| !p.trim().is_empty()) {
        let (from, to) = part
            .split_once('=')
            .ok_or_else(|| invalid(format!("`{part}`: expected GLOB=MODEL:SHARE,MODEL:SHARE")))?;
        let from = from.trim().to_string();
        let pattern = pattern(&invalid, "rule", &from)?;
        let mut targets = Vec::new();
        for t in to.split(',') {
            let (model, share_text) = t.rsplit_once(':').map_or((t, "1"), |(m, s)| (m, s));
            let share_ppm = share(
                &invalid,
                &format!("share of `{}`", model.trim()),
                &Num::Text(share_text.trim().to_string()),
            )?;
            targets.push(RouteTarget {
                model: model.trim().to_string(),
                share_ppm,
                token_ratio: Ratio::ONE,
                output_ratio: Ratio::ONE,
            });
        }
        let sum: u64 = targets.iter().map(|t| t.share_ppm).sum();
        if sum != PPM {
            return Err(invalid(format!(
                "`{part}`: shares sum to {} instead of 1",
                Ratio(sum)
            )));
        }
        rules.push(RouteRule {
            from,
            pattern,
            targets,
        });
    }
    if rules.is_empty() {
        return Err(invalid("empty route".to_string()));
    }
    Ok(Route {
        rules,
        sticky,
        seed: 0,
        classifier: None,
    })
}

/// `MODEL:INPUT[:OUTPUT[:request|session]]` as a route's classifier, for
/// `--router`: `gpt-oss-120b:350:5`.
pub fn parse_classifier_spec(spec: &str) -> Result<Classifier, ScenarioError> {
    let invalid: Fail = Box::new(|message| ScenarioError::Invalid {
        path: "--router".to_string(),
        message,
    });
    let parts: Vec<&str> = spec.split(':').map(str::trim).collect();
    let number = |i: usize, name: &str| -> Result<Option<i64>, ScenarioError> {
        parts
            .get(i)
            .map(|t| {
                t.parse::<i64>().map_err(|_| {
                    invalid(format!(
                        "`{spec}`: {name} `{t}` is not a whole number of tokens"
                    ))
                })
            })
            .transpose()
    };
    if parts.len() < 2 || parts.len() > 4 || parts[0].is_empty() {
        return Err(invalid(format!(
            "`{spec}`: expected MODEL:INPUT[:OUTPUT[:request|session]], e.g. gpt-oss-120b:350:5"
        )));
    }
    classifier(
        &invalid,
        "router",
        RawClassifier {
            model: Some(parts[0].to_string()),
            input: number(1, "input")?,
            output: number(2, "output")?,
            per: parts.get(3).map(|p| p.to_string()),
        },
    )
}

/// `TRIGGER:KEEP[:MODEL]` as a compaction, for `--compaction`:
/// `100000:0.3:claude-haiku-4-5`.
pub fn parse_compaction_spec(spec: &str) -> Result<Compaction, ScenarioError> {
    let invalid: Fail = Box::new(|message| ScenarioError::Invalid {
        path: "--compaction".to_string(),
        message,
    });
    let parts: Vec<&str> = spec.split(':').map(str::trim).collect();
    if parts.len() < 2 || parts.len() > 3 {
        return Err(invalid(format!(
            "`{spec}`: expected TRIGGER:KEEP[:MODEL], e.g. 100000:0.3:claude-haiku-4-5"
        )));
    }
    let trigger = parts[0].parse::<i64>().map_err(|_| {
        invalid(format!(
            "`{spec}`: trigger `{}` is not a whole number of tokens",
            parts[0]
        ))
    })?;
    compaction(
        &invalid,
        "compaction",
        RawCompaction {
            trigger_tokens: Some(trigger),
            keep: Some(Num::Text(parts[1].to_string())),
            model: parts
                .get(2)
                .filter(|m| !m.is_empty())
                .map(|m| m.to_string()),
        },
    )
}

/// `RATE[:MODEL:TOKENS]` as a semantic cache answering that share of the
/// non-interactive calls, for `--semantic-cache`: `0.3:text-embedding-3-small:200`.
pub fn parse_semantic_spec(spec: &str) -> Result<SemanticCache, ScenarioError> {
    let invalid: Fail = Box::new(|message| ScenarioError::Invalid {
        path: "--semantic-cache".to_string(),
        message,
    });
    let parts: Vec<&str> = spec.split(':').map(str::trim).collect();
    let embedding = match parts.as_slice() {
        [_] => None,
        [_, model, tokens] => Some(RawLookup {
            model: Some(model.to_string()),
            tokens: Some(tokens.parse::<i64>().map_err(|_| {
                invalid(format!(
                    "`{spec}`: tokens `{tokens}` is not a whole number of tokens"
                ))
            })?),
        }),
        _ => {
            return Err(invalid(format!(
                "`{spec}`: expected RATE[:MODEL:TOKENS], e.g. 0.3:text-embedding-3-small:200"
            )))
        }
    };
    semantic(
        &invalid,
        "semantic cache",
        RawSemantic {
            hit_rate: Some(Num::Text(parts[0].to_string())),
            ttl: None,
            embedding,
            eligible: None,
            seed: None,
        },
    )
}

/// The scenario made of the shorthand flags, if any was given.
pub fn shorthand(
    compaction: Option<Compaction>,
    route: Option<Route>,
    semantic_cache: Option<SemanticCache>,
    batch_share: Option<&str>,
    max_steps: Option<u64>,
    max_tokens: Option<u64>,
) -> Result<Option<Scenario>, ScenarioError> {
    let invalid: Fail = Box::new(|message| ScenarioError::Invalid {
        path: "--batch".to_string(),
        message,
    });
    let batch = batch_share
        .map(|s| {
            share(&invalid, "share", &Num::Text(s.to_string())).map(|share_ppm| BatchRule {
                share_ppm,
                eligible: Eligible::NonInteractive,
                seed: 0,
            })
        })
        .transpose()?;
    let caps = (max_steps.is_some() || max_tokens.is_some()).then_some(Caps {
        max_steps,
        max_tokens,
    });
    if matches!(max_steps, Some(0)) || matches!(max_tokens, Some(0)) {
        return Err(ScenarioError::Invalid {
            path: "--max-steps/--max-tokens".to_string(),
            message: "must be at least 1".to_string(),
        });
    }
    let transforms = Transforms {
        compaction,
        route,
        semantic_cache,
        batch,
        caps,
        ..Transforms::default()
    };
    if transforms.is_empty() {
        return Ok(None);
    }
    let mut names = Vec::new();
    if let Some(c) = &transforms.compaction {
        names.push(format!("compaction-{}", c.trigger_tokens));
    }
    if transforms.route.is_some() {
        names.push("route".to_string());
    }
    if let Some(SemanticHits::Share(p)) = transforms.semantic_cache.as_ref().map(|c| c.hits) {
        names.push(format!("semantic-{}", Ratio(p * 100)));
    }
    if let Some(b) = &transforms.batch {
        names.push(format!("batch-{}", Ratio(b.share_ppm * 100)));
    }
    if let Some(s) = max_steps {
        names.push(format!("max-steps-{s}"));
    }
    if let Some(t) = max_tokens {
        names.push(format!("max-tokens-{t}"));
    }
    Ok(Some(Scenario {
        name: names.join("+"),
        description: describe(CacheMode::AsRecorded, &transforms),
        cache: CacheMode::AsRecorded,
        transforms,
        role: Role::Savings,
        origin: "shorthand flags".to_string(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Scenario {
        let mut v = parse("x.toml", text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(v.len(), 1);
        v.remove(0)
    }

    fn error(text: &str) -> String {
        match parse("x.toml", text) {
            Ok(_) => panic!("accepted:\n{text}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn parses_a_cache_file() {
        let s =
            one("name = \"warm\"\n[cache]\nmode = \"on\"\nttl = \"1h\"\nbreakpoints = \"both\"\n");
        assert_eq!(s.name, "warm");
        assert_eq!(
            s.cache,
            CacheMode::On {
                ttl: Ttl::ONE_HOUR,
                placement: Placement::Both
            }
        );
        let off = parse("dir/no-cache.toml", "[cache]\nmode = \"off\"\n").unwrap();
        assert_eq!(off[0].name, "no-cache");
    }

    #[test]
    fn parses_every_transform() {
        let s = one(r#"
pricing_date = "latest"
[route]
sticky = "call"
[[route.rules]]
from = "claude-opus-*"
to = [{ model = "claude-sonnet-4-5", share = 0.7 }, { model = "claude-haiku-4-5", share = 0.3, output_ratio = 1.2 }]
[cascade]
first = "gpt-5-nano"
then = "gpt-5"
escalate = "failed"
[batch]
share = 0.5
eligible = "tag:kind=offline"
[caps]
max_steps = 30
"#);
        let route = s.transforms.route.as_ref().unwrap();
        assert_eq!(route.sticky, Sticky::Call);
        assert_eq!(route.rules[0].targets[1].output_ratio, Ratio(1_200_000));
        assert_eq!(
            s.transforms.cascade.as_ref().unwrap().escalate,
            Escalate::Failed
        );
        assert_eq!(
            s.transforms.batch.as_ref().unwrap().eligible,
            Eligible::Tag("kind".into(), "offline".into())
        );
        assert_eq!(s.transforms.caps.unwrap().max_steps, Some(30));
        assert_eq!(s.transforms.pricing_date, Some(PricingDate::Latest));
        assert!(
            s.description
                .contains("claude-opus-* -> claude-sonnet-4-5 70%"),
            "{}",
            s.description
        );
    }

    #[test]
    fn names_file_key_and_problem() {
        let e = error("[[route.rules]]\nfrom = \"*\"\nto = [{ model = \"a\", share = 0.7 }, { model = \"b\", share = 0.2 }]\n");
        assert_eq!(
            e,
            "x.toml: route.rules[0].to: shares sum to 0.9 instead of 1"
        );
        let e = error("[caps]\nmax_steps = -3\n");
        assert_eq!(e, "x.toml: caps.max_steps: -3 is not a positive number");
        let e = error("[cache]\nmode = \"maybe\"\n");
        assert_eq!(
            e,
            "x.toml: cache.mode: `maybe` is not off, as-recorded or on"
        );
        let e = error("[cache]\nmode = \"on\"\nttll = \"1h\"\n");
        assert!(e.contains("line 3") && e.contains("ttll"), "{e}");
        let e = error("colour = \"red\"\n");
        assert!(e.contains("unknown field `colour`"), "{e}");
        let e = error("[batch]\nshare = 1.5\n");
        assert!(e.contains("batch.share: 1.5 is more than 1"), "{e}");
    }

    #[test]
    fn stacks_are_cumulative() {
        let v = parse(
            "s.toml",
            r#"
stack = true
name = "stacked"
[[scenarios]]
name = "+caching"
[scenarios.cache]
mode = "on"
[[scenarios]]
name = "+routing"
[scenarios.route]
[[scenarios.route.rules]]
from = "*"
to = [{ model = "gpt-5-mini", share = 1 }]
"#,
        )
        .unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!(v[1].role, Role::Step("stacked".into()));
        assert!(
            matches!(v[1].cache, CacheMode::On { .. }),
            "caching carries over"
        );
        assert!(v[1].transforms.route.is_some());
    }

    #[test]
    fn route_spec_shorthand() {
        let r = parse_route_spec(
            "claude-opus-*=claude-sonnet-4-5:0.7,claude-haiku-4-5:0.3",
            Sticky::Session,
        )
        .unwrap();
        assert_eq!(r.rules[0].targets.len(), 2);
        let e = parse_route_spec("*=a:0.5,b:0.4", Sticky::Session)
            .unwrap_err()
            .to_string();
        assert!(e.contains("shares sum to 0.9"), "{e}");
        // Percentages read as the same fractions.
        let percent = parse_route_spec(
            "claude-opus-*=claude-sonnet-4-5:70%,claude-haiku-4-5: 30 %",
            Sticky::Session,
        )
        .unwrap();
        assert_eq!(percent, r);
        let e = parse_route_spec("*=a:50%,b:0.4", Sticky::Session)
            .unwrap_err()
            .to_string();
        assert!(e.contains("shares sum to 0.9"), "{e}");
        let e = parse_route_spec("*=a:150%", Sticky::Session)
            .unwrap_err()
            .to_string();
        assert!(e.contains("more than 1"), "{e}");
        let s = shorthand(None, Some(r), None, Some("0.5"), Some(30), None)
            .unwrap()
            .unwrap();
        assert_eq!(s.name, "route+batch-50+max-steps-30");
    }
}
