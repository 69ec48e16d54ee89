//! The canonical call record: what every input format is converted into.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

/// Token counts of one call, split the way providers bill them.
///
/// `input` excludes cache reads and writes: the whole prompt is
/// `input + cache_read + cache_write_5m + cache_write_1h`. `output` includes
/// reasoning tokens; `reasoning` is informational.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Usage {
    pub input: u64,
    pub cache_read: u64,
    pub cache_write_5m: u64,
    pub cache_write_1h: u64,
    pub output: u64,
    pub reasoning: u64,
}

impl Usage {
    /// Every prompt token, whatever rate it is billed at.
    /// Every prompt token (saturating: sums of absurd counts do not wrap).
    pub fn prompt_tokens(&self) -> u64 {
        self.input
            .saturating_add(self.cache_read)
            .saturating_add(self.cache_write_5m)
            .saturating_add(self.cache_write_1h)
    }

    pub fn cache_write(&self) -> u64 {
        self.cache_write_5m + self.cache_write_1h
    }
}

/// A request option that changes what a call costs, as logs record it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OptionKey {
    /// Anthropic fast mode (`usage.speed`: `fast`).
    Speed,
    /// OpenAI `service_tier` (`priority`, `flex`), and other providers' tiers.
    ServiceTier,
    /// Anthropic data residency (`usage.inference_geo`: `us`).
    InferenceGeo,
    /// An OpenRouter model variant named by a suffix of the model id
    /// (`model:free`): `free` costs nothing.
    Variant,
}

impl OptionKey {
    pub const ALL: [OptionKey; 4] = [
        OptionKey::Speed,
        OptionKey::ServiceTier,
        OptionKey::InferenceGeo,
        OptionKey::Variant,
    ];

    /// The field name logs, traces and the catalog use.
    pub fn name(self) -> &'static str {
        match self {
            OptionKey::Speed => "speed",
            OptionKey::ServiceTier => "service_tier",
            OptionKey::InferenceGeo => "inference_geo",
            OptionKey::Variant => "variant",
        }
    }

    pub fn parse(name: &str) -> Option<OptionKey> {
        OptionKey::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// The price-changing request options of one call; unset means the
/// provider's default (standard speed, the default tier, global inference).
/// Server-side tool uses billed per use (web searches) ride along: they too
/// change what the request costs beyond its tokens.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CallOptions {
    pub speed: Option<String>,
    pub service_tier: Option<String>,
    pub inference_geo: Option<String>,
    /// OpenRouter's `:free` model variant.
    #[serde(default)]
    pub variant: Option<String>,
    /// Uses per server tool (`web_search`, `web_fetch`), as logs count them.
    pub tool_uses: BTreeMap<String, u64>,
}

/// Values that name a provider's default, not an option (`not_available`:
/// Anthropic's `inference_geo` on models without data residency).
const DEFAULT_VALUES: [&str; 6] = ["standard", "default", "auto", "global", "not_available", ""];

impl CallOptions {
    /// No option: every value the default.
    pub const NONE: CallOptions = CallOptions {
        speed: None,
        service_tier: None,
        inference_geo: None,
        variant: None,
        tool_uses: BTreeMap::new(),
    };

    /// The options a log names (absent values are the defaults).
    pub fn of<const N: usize>(values: [(OptionKey, Option<&str>); N]) -> CallOptions {
        let mut options = CallOptions::default();
        for (key, value) in values {
            if let Some(value) = value {
                options.set(key, value);
            }
        }
        options
    }

    /// Records `value` for `key`, unless it names the default.
    pub fn set(&mut self, key: OptionKey, value: &str) {
        let value = value.trim().to_ascii_lowercase();
        let slot = self.slot(key);
        *slot = (!DEFAULT_VALUES.contains(&value.as_str())).then_some(value);
    }

    pub fn get(&self, key: OptionKey) -> Option<&str> {
        match key {
            OptionKey::Speed => self.speed.as_deref(),
            OptionKey::ServiceTier => self.service_tier.as_deref(),
            OptionKey::InferenceGeo => self.inference_geo.as_deref(),
            OptionKey::Variant => self.variant.as_deref(),
        }
    }

    fn slot(&mut self, key: OptionKey) -> &mut Option<String> {
        match key {
            OptionKey::Speed => &mut self.speed,
            OptionKey::ServiceTier => &mut self.service_tier,
            OptionKey::InferenceGeo => &mut self.inference_geo,
            OptionKey::Variant => &mut self.variant,
        }
    }

    /// Counts `n` more uses of `tool` (none: nothing recorded).
    pub fn add_tool_uses(&mut self, tool: &str, n: u64) {
        if n > 0 {
            *self.tool_uses.entry(tool.to_string()).or_default() += n;
        }
    }

    /// No option set and no server tool used: the call is priced at its
    /// model's plain rates.
    pub fn is_plain(&self) -> bool {
        self.iter().next().is_none() && self.tool_uses.is_empty()
    }

    /// The options that are set, in a fixed order.
    pub fn iter(&self) -> impl Iterator<Item = (OptionKey, &str)> {
        OptionKey::ALL
            .into_iter()
            .filter_map(|k| self.get(k).map(|v| (k, v)))
    }
}

/// One piece of a prompt, in order, as traces may record it for exact cache
/// simulation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// Content id (a hash); pieces without one never match a cached prefix.
    pub id: Option<String>,
    pub tokens: u64,
    /// Cache breakpoint TTL requested after this segment ("5m" or "1h").
    pub cache: Option<String>,
}

/// One priced unit of work: a single model call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub ts: DateTime<Utc>,
    /// Provider as logged; when absent the catalog's provider for the model.
    pub provider: Option<String>,
    pub model: String,
    pub account: String,
    pub session: Option<String>,
    pub step: Option<u64>,
    pub tags: BTreeMap<String, String>,
    pub usage: Usage,
    pub segments: Option<Vec<Segment>>,
    pub batch: bool,
    pub success: Option<bool>,
    pub latency_ms: Option<u64>,
    /// A hash of the prompt's text, where the trace gives one: repeats of it
    /// are what a semantic cache (exact-match, at least) would answer.
    pub prompt_hash: Option<u64>,
    pub id: Option<String>,
    /// What the provider billed for the call, where the log says (billing
    /// exports, gateways): compared with costsim's price in the report.
    pub billed: Option<crate::money::Money>,
    /// Request options that change the price (fast mode, service tier,
    /// data residency).
    pub options: CallOptions,
    /// API requests the record stands for: 1 for a logged call, the
    /// export's request count for an aggregated usage row (priced as that
    /// many requests of the row's mean size). Counted as calls.
    pub requests: u64,
    /// The record carried no time of its own (a bare API response): `ts` is
    /// the time assumed for its file. Counted in the report header.
    pub undated: bool,
    /// The input format the call was read as (`claude-code`, `gemini-cli`,
    /// `openai`): the `agent` dimension. Set by whoever reads the file.
    pub format: &'static str,
}

impl Call {
    /// A call with what every record has; the rest is unknown: the default
    /// account, no session, step, tags, segments, id or billed amount, not
    /// batch. Readers set the fields their format has with `..Call::new(..)`.
    pub fn new(ts: DateTime<Utc>, model: String, usage: Usage) -> Call {
        Call {
            ts,
            provider: None,
            model,
            account: DEFAULT_ACCOUNT.to_string(),
            session: None,
            step: None,
            tags: BTreeMap::new(),
            usage,
            segments: None,
            batch: false,
            success: None,
            latency_ms: None,
            prompt_hash: None,
            id: None,
            billed: None,
            options: CallOptions::default(),
            requests: 1,
            undated: false,
            format: "",
        }
    }
}

/// Tool uses an OpenRouter `:online` request stands for: one run of its web
/// plugin, priced per provider by the catalog's `openrouter_web` fees.
pub const OPENROUTER_WEB: &str = "openrouter_web";

impl Call {
    /// Moves OpenRouter's price-changing model suffixes into options:
    /// `model:free` is the free variant, `model:online` adds a web search
    /// (`model:free:online` both). Suffixes that only choose a route
    /// (`:nitro`, `:floor`) stay in the name; the catalog ignores them.
    pub fn split_model_suffixes(&mut self) {
        // Runs on every call: compares in place rather than lower-casing a
        // copy of the name.
        let base_len = |model: &str, suffix: &str| {
            let n = model.len().checked_sub(suffix.len())?;
            model.get(n..)?.eq_ignore_ascii_case(suffix).then_some(n)
        };
        loop {
            if let Some(n) = base_len(&self.model, ":free") {
                self.model.truncate(n);
                self.options.set(OptionKey::Variant, "free");
            } else if let Some(n) = base_len(&self.model, ":online") {
                self.model.truncate(n);
                self.options.add_tool_uses(OPENROUTER_WEB, 1);
            } else {
                return;
            }
        }
    }
}

/// Account used when a record names none.
pub const DEFAULT_ACCOUNT: &str = "default";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openrouter_suffixes_become_options() {
        let call = |model: &str| {
            let mut c = Call::new(Utc::now(), model.to_string(), Usage::default());
            c.split_model_suffixes();
            c
        };
        let free = call("meta-llama/llama-3.3-70b-instruct:free");
        assert_eq!(free.model, "meta-llama/llama-3.3-70b-instruct");
        assert_eq!(free.options.get(OptionKey::Variant), Some("free"));
        let both = call("openai/gpt-oss-20b:FREE:online");
        assert_eq!(both.model, "openai/gpt-oss-20b");
        assert_eq!(both.options.variant.as_deref(), Some("free"));
        assert_eq!(both.options.tool_uses[OPENROUTER_WEB], 1);
        // Routing suffixes and other colons stay in the name.
        assert_eq!(call("openai/gpt-5:nitro").model, "openai/gpt-5:nitro");
        assert_eq!(call("amazon.nova-pro-v1:0").model, "amazon.nova-pro-v1:0");
        assert_eq!(call("gpt-5").options, CallOptions::default());
    }
}
