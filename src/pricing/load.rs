//! Reading catalog TOML files and checking them. Every problem names the
//! file and the entry (model id, period number) so it can be fixed.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

use chrono::NaiveDate;
use serde::Deserialize;

use super::{
    CacheKind, CacheRules, Catalog, ClockWindow, Condition, Fee, Model, Moment, Period, Rates,
    Tier, Ttl, Variant, VariantPrice, DAY_NAMES,
};
use crate::money::{Money, Multiplier, Rate};
use crate::record::OptionKey;

/// The catalog shipped inside the binary.
pub const EMBEDDED_FILES: &[(&str, &str)] = &[
    (
        "anthropic.toml",
        include_str!("../../pricing/anthropic.toml"),
    ),
    ("openai.toml", include_str!("../../pricing/openai.toml")),
    ("google.toml", include_str!("../../pricing/google.toml")),
    ("deepseek.toml", include_str!("../../pricing/deepseek.toml")),
    ("xai.toml", include_str!("../../pricing/xai.toml")),
    ("zai.toml", include_str!("../../pricing/zai.toml")),
    ("alibaba.toml", include_str!("../../pricing/alibaba.toml")),
    ("mistral.toml", include_str!("../../pricing/mistral.toml")),
    ("moonshot.toml", include_str!("../../pricing/moonshot.toml")),
    ("minimax.toml", include_str!("../../pricing/minimax.toml")),
    (
        "openrouter.toml",
        include_str!("../../pricing/openrouter.toml"),
    ),
];

/// One thing wrong with a catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogProblem {
    pub file: String,
    /// The entry, e.g. `model "gpt-5" period 2`; empty for file-level problems.
    pub entry: String,
    pub message: String,
}

impl fmt::Display for CatalogProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.entry.is_empty() {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(f, "{}: {}: {}", self.file, self.entry, self.message)
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("{path}: cannot read pricing directory: {source}")]
    Unreadable {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: no *.toml pricing files in this directory")]
    Empty { path: String },
    #[error("invalid pricing catalog ({} problem{}):\n  {}", .0.len(), if .0.len() == 1 { "" } else { "s" }, .0.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("\n  "))]
    Invalid(Vec<CatalogProblem>),
}

/// A price as written: a TOML number or a decimal string.
#[derive(Deserialize, Debug, Clone)]
#[serde(untagged)]
enum RawNumber {
    Int(i64),
    Float(f64),
    Text(String),
}

impl RawNumber {
    /// Decimal text of the value; Rust prints floats as their shortest
    /// round-trip form, so `0.075` stays `0.075`.
    fn text(&self) -> String {
        match self {
            RawNumber::Int(i) => i.to_string(),
            RawNumber::Float(f) => format!("{f}"),
            RawNumber::Text(s) => s.clone(),
        }
    }
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct RawFile {
    provider: Option<String>,
    name: Option<String>,
    cache: Option<RawCache>,
    /// Request options priced alike for the file's models (or the ones
    /// `models` lists): multipliers only.
    #[serde(default)]
    variants: Vec<RawVariant>,
    /// Fees per server tool use for the file's models (or `models`).
    #[serde(default)]
    fees: Vec<RawFee>,
    #[serde(default)]
    models: Vec<RawModel>,
}

/// `[[fees]]` / `[[models.fees]]`: a price per use of a server-side tool.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct RawFee {
    tool: Option<String>,
    /// USD per 1,000 uses.
    usd_per_1000: Option<RawNumber>,
    models: Option<Vec<String>>,
    /// File-level fees for the models of these providers in every file
    /// (`"*"`: all) instead of this file's.
    providers: Option<Vec<String>>,
    from: Option<toml::Value>,
    until: Option<toml::Value>,
    source: Option<String>,
    retrieved: Option<toml::Value>,
}

/// `[[variants]]` / `[[models.variants]]`: the price of requests made with
/// one option, `when = "speed=fast"`, as a `multiplier` of the model's rates
/// or rates of its own.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct RawVariant {
    when: Option<String>,
    /// With `when = "utc=HH:MM-HH:MM"`: the days of the week (default all).
    days: Option<Vec<String>>,
    /// File-level variants: the models they are for (default: all).
    models: Option<Vec<String>>,
    /// File-level variants for the models of these providers in every file
    /// (`"*"`: all) instead of this file's.
    providers: Option<Vec<String>>,
    from: Option<toml::Value>,
    until: Option<toml::Value>,
    multiplier: Option<RawNumber>,
    input: Option<RawNumber>,
    output: Option<RawNumber>,
    cache_read: Option<RawNumber>,
    cache_write_5m: Option<RawNumber>,
    cache_write_1h: Option<RawNumber>,
    source: Option<String>,
    retrieved: Option<toml::Value>,
}

#[derive(Deserialize, Debug, Clone, Default)]
#[serde(deny_unknown_fields)]
struct RawCache {
    kind: Option<String>,
    min_tokens: Option<u64>,
    increment: Option<u64>,
    ttls: Option<Vec<String>>,
    refresh_on_hit: Option<bool>,
    storage_per_mtok_hour: Option<RawNumber>,
    source: Option<String>,
}

impl RawCache {
    /// Fields set here win over `base`.
    fn over(&self, base: &RawCache) -> RawCache {
        RawCache {
            kind: self.kind.clone().or_else(|| base.kind.clone()),
            min_tokens: self.min_tokens.or(base.min_tokens),
            increment: self.increment.or(base.increment),
            ttls: self.ttls.clone().or_else(|| base.ttls.clone()),
            refresh_on_hit: self.refresh_on_hit.or(base.refresh_on_hit),
            storage_per_mtok_hour: self
                .storage_per_mtok_hour
                .clone()
                .or_else(|| base.storage_per_mtok_hour.clone()),
            source: self.source.clone().or_else(|| base.source.clone()),
        }
    }
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct RawModel {
    id: Option<String>,
    name: Option<String>,
    /// `chat` (the default) or `embedding`.
    kind: Option<String>,
    #[serde(default)]
    aliases: Vec<String>,
    context_window: Option<u64>,
    max_output: Option<u64>,
    cache: Option<RawCache>,
    #[serde(default)]
    periods: Vec<RawPeriod>,
    #[serde(default)]
    variants: Vec<RawVariant>,
    #[serde(default)]
    fees: Vec<RawFee>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct RawPeriod {
    from: Option<toml::Value>,
    until: Option<toml::Value>,
    input: Option<RawNumber>,
    output: Option<RawNumber>,
    cache_read: Option<RawNumber>,
    cache_write_5m: Option<RawNumber>,
    cache_write_1h: Option<RawNumber>,
    batch_multiplier: Option<RawNumber>,
    source: Option<String>,
    retrieved: Option<toml::Value>,
    #[serde(default)]
    tiers: Vec<RawTier>,
}

/// The price fields shared by periods and tiers.
struct RawRates<'a> {
    input: &'a Option<RawNumber>,
    output: &'a Option<RawNumber>,
    cache_read: &'a Option<RawNumber>,
    cache_write_5m: &'a Option<RawNumber>,
    cache_write_1h: &'a Option<RawNumber>,
}

macro_rules! raw_rates {
    ($raw:expr) => {
        RawRates {
            input: &$raw.input,
            output: &$raw.output,
            cache_read: &$raw.cache_read,
            cache_write_5m: &$raw.cache_write_5m,
            cache_write_1h: &$raw.cache_write_1h,
        }
    };
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct RawTier {
    above_prompt_tokens: Option<u64>,
    input: Option<RawNumber>,
    output: Option<RawNumber>,
    cache_read: Option<RawNumber>,
    cache_write_5m: Option<RawNumber>,
    cache_write_1h: Option<RawNumber>,
}

/// Collects problems while building one file's models.
struct Checker<'a> {
    file: &'a str,
    problems: Vec<CatalogProblem>,
}

impl Checker<'_> {
    fn report(&mut self, entry: &str, message: impl Into<String>) {
        self.problems.push(CatalogProblem {
            file: self.file.to_string(),
            entry: entry.to_string(),
            message: message.into(),
        });
    }

    fn rate(&mut self, entry: &str, field: &str, value: &Option<RawNumber>) -> Option<Rate> {
        let value = value.as_ref()?;
        match Rate::parse_usd_per_mtok(&value.text()) {
            Ok(rate) => Some(rate),
            Err(e) => {
                self.report(entry, format!("`{field}`: {e}"));
                None
            }
        }
    }

    fn required_rate(
        &mut self,
        entry: &str,
        field: &str,
        value: &Option<RawNumber>,
    ) -> Option<Rate> {
        if value.is_none() {
            self.report(entry, format!("missing `{field}`"));
            return None;
        }
        self.rate(entry, field, value)
    }

    /// When a price starts or ends: a date (`2025-09-29`, midnight UTC) or,
    /// for a change mid-day, an instant with its offset
    /// (`2025-09-05T16:00:00Z`), either as TOML or as a string.
    fn moment(&mut self, entry: &str, field: &str, value: &Option<toml::Value>) -> Option<Moment> {
        let value = value.as_ref()?;
        let text = match value {
            toml::Value::Datetime(d) => d.to_string(),
            toml::Value::String(s) => s.clone(),
            _ => String::new(),
        };
        let parsed = match NaiveDate::parse_from_str(&text, "%Y-%m-%d") {
            Ok(day) => Some(Moment::day(day)),
            Err(_) => chrono::DateTime::parse_from_rfc3339(&text)
                .ok()
                .map(|t| Moment(t.with_timezone(&chrono::Utc))),
        };
        if parsed.is_none() {
            self.report(
                entry,
                format!(
                    "`{field}`: `{value}` is not a date such as 2025-09-29 or an instant such as 2025-09-05T16:00:00Z"
                ),
            );
        }
        parsed
    }

    /// A TOML date (`2025-09-29`) or the same as a string.
    fn date(&mut self, entry: &str, field: &str, value: &Option<toml::Value>) -> Option<NaiveDate> {
        let value = value.as_ref()?;
        let parsed = match value {
            toml::Value::Datetime(d) if d.time.is_none() && d.offset.is_none() => d
                .date
                .and_then(|d| NaiveDate::from_ymd_opt(d.year as i32, d.month as u32, d.day as u32)),
            toml::Value::String(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d").ok(),
            _ => None,
        };
        if parsed.is_none() {
            self.report(
                entry,
                format!("`{field}`: `{value}` is not a date such as 2025-09-29"),
            );
        }
        parsed
    }

    /// Rates of a period or tier, checked against the model's cache kind.
    fn rates(&mut self, entry: &str, raw: RawRates<'_>, cache: &CacheRules) -> Option<Rates> {
        let input = self.required_rate(entry, "input", raw.input);
        let output = self.required_rate(entry, "output", raw.output);
        let cache_read = self.rate(entry, "cache_read", raw.cache_read);
        let cache_write_5m = self.rate(entry, "cache_write_5m", raw.cache_write_5m);
        let cache_write_1h = self.rate(entry, "cache_write_1h", raw.cache_write_1h);
        match cache.kind {
            CacheKind::Explicit => {
                if raw.cache_read.is_none() {
                    self.report(entry, "missing `cache_read` (cache kind is explicit)");
                }
                if raw.cache_write_5m.is_none() {
                    self.report(entry, "missing `cache_write_5m` (cache kind is explicit: the price of a write at the first TTL)");
                }
                if raw.cache_write_1h.is_none() && cache.ttls.len() > 1 {
                    self.report(entry, "missing `cache_write_1h` (cache kind is explicit with a second, longer TTL)");
                }
            }
            CacheKind::Automatic => {
                if raw.cache_read.is_none() {
                    self.report(entry, "missing `cache_read` (cache kind is automatic)");
                }
                if raw.cache_write_5m.is_some() || raw.cache_write_1h.is_some() {
                    self.report(entry, "cache write prices given but cache kind is automatic (writes are billed as input)");
                }
            }
            CacheKind::None => {
                if raw.cache_read.is_some()
                    || raw.cache_write_5m.is_some()
                    || raw.cache_write_1h.is_some()
                {
                    self.report(entry, "cache prices given but cache kind is none");
                }
            }
        }
        Some(Rates {
            input: input?,
            output: output?,
            cache_read,
            cache_write_5m,
            cache_write_1h,
        })
    }

    fn cache_rules(&mut self, entry: &str, raw: &RawCache) -> CacheRules {
        let kind = match raw.kind.as_deref() {
            Some("explicit") => CacheKind::Explicit,
            Some("automatic") => CacheKind::Automatic,
            Some("none") | None => {
                if raw.kind.is_none() {
                    self.report(entry, "missing cache `kind` (explicit, automatic or none)");
                }
                CacheKind::None
            }
            Some(other) => {
                self.report(
                    entry,
                    format!("cache `kind`: `{other}` is not explicit, automatic or none"),
                );
                CacheKind::None
            }
        };
        let mut ttls = Vec::new();
        for t in raw.ttls.clone().unwrap_or_default() {
            match Ttl::parse(&t) {
                Some(ttl) => ttls.push(ttl),
                None => self.report(
                    entry,
                    format!("cache `ttls`: `{t}` is not a duration such as 5m or 1h"),
                ),
            }
        }
        if kind != CacheKind::None && ttls.is_empty() {
            self.report(entry, "cache `ttls` is empty (give at least one, e.g. 5m)");
            ttls.push(Ttl::FIVE_MINUTES);
        }
        if ttls.windows(2).any(|w| w[0] >= w[1]) {
            self.report(entry, "cache `ttls` must be listed shortest first");
        }
        let increment = raw.increment.unwrap_or(1);
        if increment == 0 {
            self.report(entry, "cache `increment` must be at least 1");
        }
        let storage = self.rate(
            entry,
            "cache.storage_per_mtok_hour",
            &raw.storage_per_mtok_hour,
        );
        CacheRules {
            kind,
            min_tokens: raw.min_tokens.unwrap_or(0),
            increment: increment.max(1),
            ttls,
            refresh_on_hit: raw.refresh_on_hit.unwrap_or(true),
            storage_per_mtok_hour: storage,
            source: raw.source.clone(),
        }
    }

    fn model(
        &mut self,
        provider: &str,
        file_cache: &RawCache,
        index: usize,
        raw: &RawModel,
    ) -> Option<Model> {
        let entry = match &raw.id {
            Some(id) => format!("model \"{id}\""),
            None => format!("model #{}", index + 1),
        };
        let Some(id) = raw.id.clone().filter(|id| !id.trim().is_empty()) else {
            self.report(&entry, "missing `id`");
            return None;
        };
        let context_window = match raw.context_window {
            Some(0) | None => {
                self.report(&entry, "missing or zero `context_window`");
                0
            }
            Some(n) => n,
        };
        let embedding = match raw.kind.as_deref() {
            None | Some("chat") => false,
            Some("embedding") => true,
            Some(other) => {
                self.report(
                    &entry,
                    format!("`kind = \"{other}\"` is not chat or embedding"),
                );
                false
            }
        };
        let cache_raw = raw
            .cache
            .as_ref()
            .map_or_else(|| file_cache.clone(), |c| c.over(file_cache));
        let cache = self.cache_rules(&entry, &cache_raw);
        if raw.periods.is_empty() {
            self.report(
                &entry,
                "no `[[models.periods]]`: a model needs at least one price period",
            );
            return None;
        }
        let mut periods = Vec::new();
        for (i, p) in raw.periods.iter().enumerate() {
            let pentry = format!("{entry} period {} ", i + 1);
            let pentry = pentry.trim_end();
            if let Some(period) = self.period(pentry, p, &cache) {
                periods.push(period);
            }
        }
        if periods.len() != raw.periods.len() {
            return None;
        }
        for pair in periods.windows(2) {
            let (a, b) = (&pair[0], &pair[1]);
            match a.until {
                None => self.report(
                    &entry,
                    format!(
                        "period from {} has no `until` but a later period starts {}",
                        a.from, b.from
                    ),
                ),
                Some(until) if until > b.from => self.report(
                    &entry,
                    format!(
                        "periods overlap: {}..{} and the one from {}",
                        a.from, until, b.from
                    ),
                ),
                Some(_) if a.from >= b.from => self.report(&entry, "periods are not in date order"),
                _ => {}
            }
        }
        let mut variants = Vec::new();
        for (i, v) in raw.variants.iter().enumerate() {
            let ventry = format!("{entry} variant {}", i + 1);
            if let Some(variant) = self.variant(&ventry, v, Some(&cache)) {
                variants.push(variant);
            }
        }
        let mut fees = Vec::new();
        for (i, f) in raw.fees.iter().enumerate() {
            if let Some(fee) = self.fee(&format!("{entry} fee {}", i + 1), f) {
                fees.push(fee);
            }
        }
        if raw
            .variants
            .iter()
            .any(|v| v.models.is_some() || v.providers.is_some())
            || raw
                .fees
                .iter()
                .any(|f| f.models.is_some() || f.providers.is_some())
        {
            self.report(
                &entry,
                "`models` and `providers` belong to a file-level `[[variants]]` or `[[fees]]`, not a model's",
            );
        }
        Some(Model {
            name: raw.name.clone().unwrap_or_else(|| id.clone()),
            id,
            provider: provider.to_string(),
            aliases: raw.aliases.clone(),
            context_window,
            max_output: raw.max_output,
            embedding,
            cache,
            periods,
            variants,
            fees,
            file: self.file.to_string(),
        })
    }

    /// A variant's `when`: `OPTION=VALUE`, or `utc=HH:MM-HH:MM` with `days`.
    fn condition(&mut self, entry: &str, when: &str, days: Option<&[String]>) -> Option<Condition> {
        let (key, value) = when.split_once('=').map(|(k, v)| (k.trim(), v.trim()))?;
        if key == "utc" {
            let minutes = |t: &str| {
                let (h, m) = t.trim().split_once(':')?;
                let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
                (h <= 24 && m < 60 && h * 60 + m <= 24 * 60).then_some(h * 60 + m)
            };
            let window = value
                .split_once('-')
                .and_then(|(a, b)| Some((minutes(a)?, minutes(b)?)))
                .filter(|(a, b)| a != b);
            let Some((start, end)) = window else {
                self.report(
                    entry,
                    format!("`when`: `{when}` is not utc=HH:MM-HH:MM (a UTC clock window)"),
                );
                return None;
            };
            let mut on = [days.is_none(); 7];
            for day in days.unwrap_or(&[]) {
                match DAY_NAMES
                    .iter()
                    .position(|d| d.eq_ignore_ascii_case(day.trim()))
                {
                    Some(i) => on[i] = true,
                    None => self.report(
                        entry,
                        format!("`days`: `{day}` is not one of {}", DAY_NAMES.join(", ")),
                    ),
                }
            }
            return Some(Condition::Clock(ClockWindow {
                start,
                end: end % (24 * 60),
                days: on,
            }));
        }
        if days.is_some() {
            self.report(
                entry,
                "`days` goes with a clock window (`when = \"utc=HH:MM-HH:MM\"`)",
            );
        }
        match OptionKey::parse(key) {
            Some(key) if !value.is_empty() => Some(Condition::Option {
                key,
                value: value.to_ascii_lowercase(),
            }),
            _ => None,
        }
    }

    /// One variant; `cache` is the model's rules (`None` for a file-level
    /// variant, which may only be a multiplier).
    fn variant(
        &mut self,
        entry: &str,
        raw: &RawVariant,
        cache: Option<&CacheRules>,
    ) -> Option<Variant> {
        let when = raw.when.as_deref().unwrap_or("");
        let parsed = self.condition(entry, when, raw.days.as_deref());
        if parsed.is_none() && !when.trim_start().starts_with("utc=") {
            let names: Vec<&str> = OptionKey::ALL.iter().map(|k| k.name()).collect();
            self.report(
                entry,
                format!(
                    "`when`: `{when}` is not OPTION=VALUE with OPTION one of {}, nor utc=HH:MM-HH:MM",
                    names.join(", ")
                ),
            );
        }
        let from = self.moment(entry, "from", &raw.from);
        let until = self.moment(entry, "until", &raw.until);
        if let (Some(f), Some(u)) = (from, until) {
            if u <= f {
                self.report(entry, format!("`until` {u} is not after `from` {f}"));
            }
        }
        let (source, retrieved) = self.provenance(entry, &raw.source, &raw.retrieved);
        let has_rates = raw.input.is_some() || raw.output.is_some();
        let price = match (&raw.multiplier, has_rates, cache) {
            // 0 is a price too: OpenRouter's free variants.
            (Some(m), false, _) if matches!(Multiplier::parse(&m.text()), Ok(z) if z == Multiplier::ZERO) => {
                Some(VariantPrice::Multiplier(Multiplier::ZERO))
            }
            (Some(m), false, _) => self
                .multiplier(entry, "multiplier", m, None)
                .map(VariantPrice::Multiplier),
            (None, true, Some(cache)) => self
                .rates(entry, raw_rates!(raw), cache)
                .map(VariantPrice::Rates),
            (None, true, None) => {
                self.report(
                    entry,
                    "a file-level variant is a `multiplier`; give rates of their own in the model's `[[models.variants]]`",
                );
                None
            }
            (Some(_), true, _) => {
                self.report(entry, "give a `multiplier` or rates, not both");
                None
            }
            (None, false, _) => {
                self.report(
                    entry,
                    "missing `multiplier` (or `input` and `output` rates)",
                );
                None
            }
        };
        Some(Variant {
            when: parsed?,
            from,
            until,
            price: price?,
            source: source?,
            retrieved: retrieved?,
        })
    }

    /// One fee: a tool name and a price per 1,000 uses.
    fn fee(&mut self, entry: &str, raw: &RawFee) -> Option<Fee> {
        let tool = raw.tool.clone().filter(|t| !t.trim().is_empty());
        if tool.is_none() {
            self.report(
                entry,
                "missing `tool` (the tool as logs count it, e.g. web_search)",
            );
        }
        let per_use = match &raw.usd_per_1000 {
            None => {
                self.report(entry, "missing `usd_per_1000`");
                None
            }
            // Per 1,000 uses at USD per million has the same decimals: a
            // rate in nano-dollars per million is femto-dollars per use
            // after × 1,000.
            Some(v) => match Rate::parse_usd_per_mtok(&v.text()) {
                Ok(rate) => Some(Money(i128::from(rate.nano_per_mtok()) * 1000)),
                Err(e) => {
                    self.report(entry, format!("`usd_per_1000`: {e}"));
                    None
                }
            },
        };
        let from = self.moment(entry, "from", &raw.from);
        let until = self.moment(entry, "until", &raw.until);
        let (source, retrieved) = self.provenance(entry, &raw.source, &raw.retrieved);
        Some(Fee {
            tool: tool?,
            per_use: per_use?,
            from,
            until,
            source: source?,
            retrieved: retrieved?,
        })
    }

    /// A multiplier above 0 (and at most `max`, if given).
    fn multiplier(
        &mut self,
        entry: &str,
        field: &str,
        value: &RawNumber,
        max: Option<Multiplier>,
    ) -> Option<Multiplier> {
        match Multiplier::parse(&value.text()) {
            Ok(m) if m.thousandths() > 0 && max.is_none_or(|max| m <= max) => Some(m),
            Ok(m) => {
                let range =
                    max.map_or_else(|| "above 0".to_string(), |max| format!("in (0, {max}]"));
                self.report(entry, format!("`{field}`: {m} is not {range}"));
                None
            }
            Err(e) => {
                self.report(entry, format!("`{field}`: {e}"));
                None
            }
        }
    }

    /// A file-level entry's `providers` (it then applies across files), if
    /// given; it cannot also list `models`.
    fn providers(
        &mut self,
        entry: &str,
        providers: &Option<Vec<String>>,
        models: &Option<Vec<String>>,
    ) -> Option<Vec<String>> {
        let providers = providers.clone()?;
        if models.is_some() {
            self.report(
                entry,
                "give `models` (of this file) or `providers`, not both",
            );
        }
        if providers.is_empty() || providers.iter().any(|p| p.trim().is_empty()) {
            self.report(entry, "`providers`: list provider names, or \"*\" for all");
        }
        Some(providers)
    }

    /// Where a price comes from and when it was checked: both required.
    fn provenance(
        &mut self,
        entry: &str,
        source: &Option<String>,
        retrieved: &Option<toml::Value>,
    ) -> (Option<String>, Option<NaiveDate>) {
        let date = self.date(entry, "retrieved", retrieved);
        if retrieved.is_none() {
            self.report(
                entry,
                "missing `retrieved` (the date the price was checked)",
            );
        }
        let source = source.clone().filter(|s| !s.trim().is_empty());
        if source.is_none() {
            self.report(entry, "missing `source` (where the price comes from)");
        }
        (source, date)
    }

    fn period(&mut self, entry: &str, raw: &RawPeriod, cache: &CacheRules) -> Option<Period> {
        let from = self.moment(entry, "from", &raw.from);
        if raw.from.is_none() {
            self.report(entry, "missing `from`");
        }
        let until = self.moment(entry, "until", &raw.until);
        let (source, retrieved) = self.provenance(entry, &raw.source, &raw.retrieved);
        let rates = self.rates(entry, raw_rates!(raw), cache);
        let batch_multiplier = raw
            .batch_multiplier
            .as_ref()
            .and_then(|v| self.multiplier(entry, "batch_multiplier", v, Some(Multiplier::ONE)));
        let mut tiers = Vec::new();
        for (i, t) in raw.tiers.iter().enumerate() {
            let tentry = format!("{entry} tier {}", i + 1);
            let Some(threshold) = t.above_prompt_tokens.filter(|n| *n > 0) else {
                self.report(&tentry, "missing or zero `above_prompt_tokens`");
                continue;
            };
            if let Some(rates) = self.rates(&tentry, raw_rates!(t), cache) {
                tiers.push(Tier {
                    above_prompt_tokens: threshold,
                    rates,
                });
            }
        }
        if tiers
            .windows(2)
            .any(|w| w[0].above_prompt_tokens >= w[1].above_prompt_tokens)
        {
            self.report(
                entry,
                "tiers must be in ascending `above_prompt_tokens` order",
            );
        }
        if let (Some(f), Some(u)) = (from, until) {
            if u <= f {
                self.report(entry, format!("`until` {u} is not after `from` {f}"));
            }
        }
        Some(Period {
            from: from?,
            until,
            rates: rates?,
            tiers,
            batch_multiplier,
            source: source?,
            retrieved: retrieved?,
        })
    }
}

/// Parses one catalog file; problems are appended to `problems`.
/// File-level variants and fees for models of other files, by provider.
#[derive(Default)]
struct Shared {
    variants: Vec<(Vec<String>, Variant)>,
    fees: Vec<(Vec<String>, Fee)>,
}

impl Shared {
    /// Gives every model of a listed provider the shared entries, after its
    /// own file's: a model's own price for an option wins.
    fn apply(self, models: &mut [Model]) {
        let listed = |providers: &[String], m: &Model| {
            providers
                .iter()
                .any(|p| p == "*" || p.eq_ignore_ascii_case(&m.provider))
        };
        for m in models.iter_mut() {
            for (providers, fee) in &self.fees {
                if listed(providers, m) {
                    m.fees.push(fee.clone());
                }
            }
            for (providers, variant) in &self.variants {
                if listed(providers, m) {
                    m.variants.push(variant.clone());
                }
            }
        }
    }
}

fn parse_file(
    file: &str,
    text: &str,
    problems: &mut Vec<CatalogProblem>,
    shared: &mut Shared,
) -> Vec<Model> {
    let raw: RawFile = match toml::from_str(text) {
        Ok(raw) => raw,
        Err(e) => {
            let location = crate::toml_error::line(text, &e)
                .map(|n| format!("line {n}"))
                .unwrap_or_default();
            problems.push(CatalogProblem {
                file: file.to_string(),
                entry: location,
                message: e.message().to_string(),
            });
            return Vec::new();
        }
    };
    let mut checker = Checker {
        file,
        problems: Vec::new(),
    };
    let Some(provider) = raw.provider.clone().filter(|p| !p.trim().is_empty()) else {
        checker.report("", "missing top-level `provider`");
        problems.extend(checker.problems);
        return Vec::new();
    };
    let _ = &raw.name;
    let file_cache = raw.cache.clone().unwrap_or_default();
    let mut models: Vec<Model> = raw
        .models
        .iter()
        .enumerate()
        .filter_map(|(i, m)| checker.model(&provider, &file_cache, i, m))
        .collect();
    for (i, raw_fee) in raw.fees.iter().enumerate() {
        let entry = format!("fee {}", i + 1);
        let Some(fee) = checker.fee(&entry, raw_fee) else {
            continue;
        };
        if let Some(providers) = checker.providers(&entry, &raw_fee.providers, &raw_fee.models) {
            shared.fees.push((providers, fee));
            continue;
        }
        for m in &mut models {
            if raw_fee.models.as_ref().is_none_or(|n| n.contains(&m.id)) {
                m.fees.push(fee.clone());
            }
        }
        for name in raw_fee.models.iter().flatten() {
            if !models.iter().any(|m| &m.id == name) {
                checker.report(
                    &entry,
                    format!("`models`: no model \"{name}\" in this file"),
                );
            }
        }
    }
    // File-level variants go to the models they name (all by default),
    // after each model's own: a model's own price for an option wins.
    for (i, raw_variant) in raw.variants.iter().enumerate() {
        let entry = format!("variant {}", i + 1);
        let Some(variant) = checker.variant(&entry, raw_variant, None) else {
            continue;
        };
        if let Some(providers) =
            checker.providers(&entry, &raw_variant.providers, &raw_variant.models)
        {
            shared.variants.push((providers, variant));
            continue;
        }
        if let Some(names) = &raw_variant.models {
            for name in names {
                if !models.iter().any(|m| &m.id == name) {
                    checker.report(
                        &entry,
                        format!("`models`: no model \"{name}\" in this file"),
                    );
                }
            }
        }
        for m in &mut models {
            let listed = raw_variant
                .models
                .as_ref()
                .is_none_or(|n| n.contains(&m.id));
            if listed {
                m.variants.push(variant.clone());
            }
        }
    }
    problems.extend(checker.problems);
    models
}

/// Builds a catalog from `(file name, contents)` pairs, checking every file
/// and the names across files.
pub fn load_texts(files: &[(String, String)], origin: &str) -> Result<Catalog, CatalogError> {
    let mut problems = Vec::new();
    let mut models = Vec::new();
    let mut shared = Shared::default();
    for (name, text) in files {
        models.extend(parse_file(name, text, &mut problems, &mut shared));
    }
    shared.apply(&mut models);
    // Each name belongs to one model entry (a model may repeat its own id
    // as an alias; two entries may not share a name, even in one file).
    let mut owners: HashMap<String, (usize, String, String)> = HashMap::new();
    for (index, m) in models.iter().enumerate() {
        for name in std::iter::once(&m.id).chain(m.aliases.iter()) {
            let key = name.to_lowercase();
            if let Some((owner, file, id)) = owners.get(&key) {
                if *owner != index {
                    problems.push(CatalogProblem {
                        file: m.file.clone(),
                        entry: format!("model \"{}\"", m.id),
                        message: format!(
                            "name `{name}` is already used by model \"{id}\" in {file}"
                        ),
                    });
                }
            } else {
                owners.insert(key, (index, m.file.clone(), m.id.clone()));
            }
        }
    }
    if problems.is_empty() {
        Ok(Catalog::new(models, origin.to_string()))
    } else {
        Err(CatalogError::Invalid(problems))
    }
}

/// The catalog compiled into the binary.
pub fn load_embedded() -> Result<Catalog, CatalogError> {
    let files: Vec<(String, String)> = EMBEDDED_FILES
        .iter()
        .map(|(n, t)| (format!("pricing/{n}"), t.to_string()))
        .collect();
    load_texts(&files, "embedded")
}

/// Every `*.toml` file of a directory (not recursive), in name order.
pub fn load_dir(dir: &Path) -> Result<Catalog, CatalogError> {
    let unreadable = |e| CatalogError::Unreadable {
        path: dir.display().to_string(),
        source: e,
    };
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .map_err(unreadable)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml") && p.is_file())
        .collect();
    paths.sort();
    if paths.is_empty() {
        return Err(CatalogError::Empty {
            path: dir.display().to_string(),
        });
    }
    let mut files = Vec::new();
    for p in paths {
        let text = std::fs::read_to_string(&p).map_err(|e| CatalogError::Unreadable {
            path: p.display().to_string(),
            source: e,
        })?;
        files.push((p.display().to_string(), text));
    }
    load_texts(&files, &dir.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(text: &str) -> Vec<String> {
        match load_texts(&[("t.toml".to_string(), text.to_string())], "test") {
            Ok(_) => Vec::new(),
            Err(CatalogError::Invalid(p)) => p.iter().map(|p| p.to_string()).collect(),
            Err(e) => vec![e.to_string()],
        }
    }

    const GOOD: &str = r#"
provider = "acme"
[cache]
kind = "explicit"
min_tokens = 1024
ttls = ["5m", "1h"]
[[models]]
id = "m1"
aliases = ["m1-20250101"]
context_window = 200000
[[models.periods]]
from = 2025-01-01
until = 2025-06-01
input = 3
output = 15.0
cache_read = 0.3
cache_write_5m = 3.75
cache_write_1h = 6
source = "https://example.com"
retrieved = 2025-01-02
[[models.periods]]
from = 2025-06-01
input = "1.5"
output = 7.5
cache_read = 0.15
cache_write_5m = 1.875
cache_write_1h = 3
batch_multiplier = 0.5
source = "https://example.com"
retrieved = 2025-06-02
[[models.periods.tiers]]
above_prompt_tokens = 200000
input = 3
output = 15
cache_read = 0.3
cache_write_5m = 3.75
cache_write_1h = 6
"#;

    #[test]
    fn loads_a_good_file() {
        assert!(problems(GOOD).is_empty(), "{:?}", problems(GOOD));
        let cat = load_texts(&[("t.toml".into(), GOOD.into())], "test").unwrap();
        assert_eq!(cat.version(), "2025-06-02");
        let m = cat.resolve("M1-20250101").unwrap();
        assert_eq!(m.periods.len(), 2);
        assert_eq!(
            m.periods[1].rates.cache_write_5m.unwrap().to_string(),
            "$1.875"
        );
    }

    #[test]
    fn names_overlapping_periods() {
        let bad = GOOD.replace("until = 2025-06-01", "until = 2025-07-01");
        let p = problems(&bad);
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(
            p[0].starts_with("t.toml: model \"m1\": periods overlap"),
            "{p:?}"
        );
    }

    #[test]
    fn names_missing_and_bad_fields() {
        let bad = GOOD
            .replacen("output = 15.0\n", "", 1)
            .replace("input = \"1.5\"", "input = -1.5");
        let p = problems(&bad);
        assert!(
            p.iter()
                .any(|s| s == "t.toml: model \"m1\" period 1: missing `output`"),
            "{p:?}"
        );
        assert!(
            p.iter()
                .any(|s| s.contains("period 2: `input`: `-1.5` is negative")),
            "{p:?}"
        );
    }

    #[test]
    fn rejects_unknown_keys_with_a_line() {
        let bad = GOOD.replace("context_window", "context_windw");
        let p = problems(&bad);
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(p[0].contains("line"), "{p:?}");
        assert!(p[0].contains("context_windw"), "{p:?}");
    }

    #[test]
    fn rejects_a_model_given_twice_in_one_file() {
        let twice = format!("{GOOD}\n{}", &GOOD[GOOD.find("[[models]]").unwrap()..]);
        match load_texts(&[("a.toml".to_string(), twice)], "t") {
            Err(CatalogError::Invalid(p)) => assert!(p[0].to_string().contains("already used")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn rejects_duplicate_names_across_files() {
        let files = vec![
            ("a.toml".to_string(), GOOD.to_string()),
            ("b.toml".to_string(), GOOD.to_string()),
        ];
        match load_texts(&files, "t") {
            Err(CatalogError::Invalid(p)) => assert!(p[0].to_string().contains("already used")),
            other => panic!("{other:?}"),
        }
    }

    /// A file-level entry with `providers` reaches the models of those
    /// providers in other files, and only them; a zero multiplier is a
    /// price (free), and `models` with `providers` is refused.
    #[test]
    fn provider_scoped_entries_apply_across_files() {
        let shared = r#"
provider = "router"
[[variants]]
when = "variant=free"
providers = ["acme"]
multiplier = 0
source = "s"
retrieved = 2025-01-02
[[fees]]
tool = "web"
usd_per_1000 = 20
providers = ["*"]
source = "s"
retrieved = 2025-01-02
"#;
        let other = GOOD
            .replace("provider = \"acme\"", "provider = \"other\"")
            .replace("\"m1\"", "\"o1\"")
            .replace("\"m1-20250101\"", "\"o1-20250101\"");
        let files = vec![
            ("acme.toml".to_string(), GOOD.to_string()),
            ("other.toml".to_string(), other),
            ("router.toml".to_string(), shared.to_string()),
        ];
        let cat = load_texts(&files, "t").unwrap_or_else(|e| panic!("{e}"));
        let (m1, o1) = (cat.resolve("m1").unwrap(), cat.resolve("o1").unwrap());
        assert_eq!(m1.variants.len(), 1);
        assert_eq!(
            m1.variants[0].price,
            VariantPrice::Multiplier(Multiplier::ZERO)
        );
        assert!(o1.variants.is_empty());
        assert_eq!((m1.fees.len(), o1.fees.len()), (1, 1));
        assert_eq!(o1.fees[0].per_thousand(), Money(20 * 1_000_000_000_000_000));
        let both = shared.replace(
            "providers = [\"acme\"]",
            "providers = [\"acme\"]\nmodels = [\"m1\"]",
        );
        let files = vec![("router.toml".to_string(), both)];
        match load_texts(&files, "t") {
            Err(CatalogError::Invalid(p)) => assert!(
                p[0].to_string()
                    .contains("give `models` (of this file) or `providers`, not both"),
                "{p:?}"
            ),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_period_may_start_at_an_instant_but_not_at_a_local_time() {
        let instant = GOOD
            .replace("until = 2025-06-01", "until = 2025-06-01T16:00:00Z")
            .replace("from = 2025-06-01\n", "from = \"2025-06-01T16:00:00Z\"\n");
        assert!(problems(&instant).is_empty(), "{:?}", problems(&instant));
        let cat = load_texts(&[("t.toml".into(), instant)], "test").unwrap();
        let m = cat.resolve("m1").unwrap();
        let at = |t: &str| Moment(t.parse().unwrap());
        assert_eq!(m.period_index(at("2025-06-01T15:59:59Z")).0, 0);
        assert_eq!(m.period_index(at("2025-06-01T16:00:00Z")).0, 1);
        assert_eq!(m.periods[1].from.to_string(), "2025-06-01T16:00:00Z");
        let local = GOOD.replace("until = 2025-06-01", "until = 2025-06-01T16:00:00");
        let p = problems(&local);
        assert!(
            p.iter()
                .any(|s| s.contains("is not a date such as 2025-09-29 or an instant")),
            "{p:?}"
        );
    }

    #[test]
    fn embedded_catalog_is_valid() {
        let cat = load_embedded().unwrap_or_else(|e| panic!("{e}"));
        assert!(cat.models.len() > 30);
    }
}
