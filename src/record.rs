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
    pub fn prompt_tokens(&self) -> u64 {
        self.input + self.cache_read + self.cache_write_5m + self.cache_write_1h
    }

    pub fn cache_write(&self) -> u64 {
        self.cache_write_5m + self.cache_write_1h
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
    pub id: Option<String>,
    /// What the provider billed for the call, where the log says (billing
    /// exports, gateways): compared with costsim's price in the report.
    pub billed: Option<crate::money::Money>,
    /// API requests the record stands for: 1 for a logged call, the
    /// export's request count for an aggregated usage row (priced as that
    /// many requests of the row's mean size). Counted as calls.
    pub requests: u64,
    /// The record carried no time of its own (a bare API response): `ts` is
    /// the time assumed for its file. Counted in the report header.
    pub undated: bool,
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
            id: None,
            billed: None,
            requests: 1,
            undated: false,
        }
    }
}

/// Account used when a record names none.
pub const DEFAULT_ACCOUNT: &str = "default";
