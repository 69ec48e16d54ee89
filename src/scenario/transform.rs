//! The transforms a scenario applies to a call, and their deterministic
//! decisions. Nothing here keeps state: assignments come from a seeded hash
//! of the session or call id, so a run gives the same answer every time and
//! on any number of threads.

use std::collections::BTreeMap;
use std::fmt;

use xxhash_rust::xxh3::xxh3_64_with_seed;

use crate::pricing::{PricingDate, Ttl};

/// Parts per million: shares and ratios.
pub const PPM: u64 = 1_000_000;

/// A non-negative multiplier kept in parts per million (1.0 = 1,000,000).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ratio(pub u64);

impl Ratio {
    pub const ONE: Ratio = Ratio(PPM);

    /// `tokens × ratio`, rounded half up.
    /// `tokens` scaled, rounded to the nearest token; a result beyond u64
    /// (only from counts no call has) stays at the largest count.
    pub fn apply(self, tokens: u64) -> u64 {
        let scaled = (tokens as u128 * self.0 as u128 + (PPM / 2) as u128) / PPM as u128;
        u64::try_from(scaled).unwrap_or(u64::MAX)
    }
}

impl fmt::Display for Ratio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = format!("{}.{:06}", self.0 / PPM, self.0 % PPM);
        let text = text.trim_end_matches('0').trim_end_matches('.');
        f.write_str(text)
    }
}

/// A number in [0, 1) drawn from `key`, in parts per million.
pub fn draw(seed: u64, key: &str) -> u64 {
    xxh3_64_with_seed(key.as_bytes(), seed) % PPM
}

/// Whether routing picks per session (keeps a session on one model, so its
/// prompt cache stays warm) or per call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sticky {
    Session,
    Call,
}

impl fmt::Display for Sticky {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Sticky::Session => "session",
            Sticky::Call => "call",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteTarget {
    /// Catalog id or alias of the model calls are sent to.
    pub model: String,
    pub share_ppm: u64,
    /// Prompt tokens on the target per recorded prompt token (tokenizers differ).
    pub token_ratio: Ratio,
    /// Output tokens on the target per recorded output token.
    pub output_ratio: Ratio,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteRule {
    /// Glob on the recorded model id (e.g. `claude-opus-*`).
    pub from: String,
    pub pattern: glob::Pattern,
    pub targets: Vec<RouteTarget>,
}

impl RouteRule {
    /// Whether the rule applies to calls of `model` (`*`, every sweep's
    /// rule, without running the glob on every call).
    fn matches(&self, model: &str) -> bool {
        self.from == "*" || self.pattern.matches(model)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub rules: Vec<RouteRule>,
    pub sticky: Sticky,
    pub seed: u64,
    /// The model call that makes each routing decision, priced with the
    /// scenario so that a route's saving is net of its router.
    pub classifier: Option<Classifier>,
}

/// A router's own call: its model and tokens, once per routed request or
/// once per session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classifier {
    /// Catalog id or alias.
    pub model: String,
    /// Prompt tokens of one classifying call (the routing prompt and the
    /// request it reads).
    pub input: u64,
    pub output: u64,
    pub per: Decision,
}

/// How often a router classifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Every call a rule matches.
    Request,
    /// The first such call of each session (calls outside a session: each).
    Session,
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Decision::Request => "request",
            Decision::Session => "session",
        })
    }
}

impl Route {
    /// The target for a call of `model`, or `None` when no rule matches.
    /// `session_key` and `call_key` identify the session and the call; they
    /// are asked for only when there is a draw to make.
    pub fn target<'k>(
        &self,
        model: &str,
        session_key: impl FnOnce() -> &'k str,
        call_key: impl FnOnce() -> &'k str,
    ) -> Option<&RouteTarget> {
        let rule = self.rules.iter().find(|r| r.matches(model))?;
        if let [only] = rule.targets.as_slice() {
            // One target takes every call: nothing to draw.
            return Some(only);
        }
        let key = match self.sticky {
            Sticky::Session => session_key(),
            Sticky::Call => call_key(),
        };
        pick(&rule.targets, draw(self.seed, key), |t| t.share_ppm)
    }
}

/// The item whose cumulative share interval contains `point` (in ppm).
fn pick<T>(items: &[T], point: u64, share: impl Fn(&T) -> u64) -> Option<&T> {
    let mut upper = 0;
    for item in items {
        upper += share(item);
        if point < upper {
            return Some(item);
        }
    }
    items.last()
}

/// Which calls of a cascade go on to the stronger model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Escalate {
    /// A share of the calls, drawn per call.
    Share(u64),
    /// The calls recorded with `success: false`.
    Failed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cascade {
    pub from: String,
    pub pattern: glob::Pattern,
    /// Tried first.
    pub first: String,
    /// Called as well when the first answer is not good enough.
    pub then: String,
    pub escalate: Escalate,
    pub seed: u64,
}

impl Cascade {
    pub fn applies_to(&self, model: &str) -> bool {
        self.pattern.matches(model)
    }

    pub fn escalates(&self, call_key: &str, success: Option<bool>) -> bool {
        match self.escalate {
            Escalate::Share(ppm) => draw(self.seed, call_key) < ppm,
            Escalate::Failed => success == Some(false),
        }
    }
}

/// Which calls may go through a batch API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Eligible {
    All,
    /// Calls that start a session (or have none): later steps of an agent
    /// loop wait on the previous answer and cannot wait for a batch.
    NonInteractive,
    /// Calls with this tag value.
    Tag(String, String),
}

impl Eligible {
    /// Whether a call is eligible: `first_of_session` says whether it starts
    /// a session (or has none).
    pub fn admits(&self, first_of_session: bool, tags: &BTreeMap<String, String>) -> bool {
        match self {
            Eligible::All => true,
            Eligible::NonInteractive => first_of_session,
            Eligible::Tag(k, v) => tags.get(k) == Some(v),
        }
    }
}

impl fmt::Display for Eligible {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Eligible::All => f.write_str("all"),
            Eligible::NonInteractive => f.write_str("non-interactive"),
            Eligible::Tag(k, v) => write!(f, "tag:{k}={v}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchRule {
    /// Share of eligible calls sent through the batch API.
    pub share_ppm: u64,
    pub eligible: Eligible,
    pub seed: u64,
}

impl BatchRule {
    pub fn selects(&self, call_key: &str) -> bool {
        draw(self.seed, call_key) < self.share_ppm
    }
}

/// Limits on an agent loop: calls past them are not made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Caps {
    pub max_steps: Option<u64>,
    /// Prompt plus output tokens per session.
    pub max_tokens: Option<u64>,
}

/// Context compaction: when a session's prompt passes `trigger_tokens`,
/// a summarising call replaces its history with a summary `keep` times its
/// size, and the session's later prompts are that much shorter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compaction {
    /// Prompt tokens (after earlier compactions) past which a session is
    /// compacted before its call.
    pub trigger_tokens: u64,
    /// The summary's size as a share of the prompt it replaces (0 < keep < 1).
    pub keep: Ratio,
    /// Catalog id or alias of the summarising model; `None`: the model the
    /// call was recorded on (an agent summarising with itself).
    pub model: Option<String>,
}

/// Which eligible calls a semantic cache answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SemanticHits {
    /// This share of them (ppm), drawn per call from a seeded hash.
    Share(u64),
    /// Those whose `prompt_hash` an earlier eligible call of the account
    /// stored less than `ttl` ago.
    Repeats { ttl: Ttl },
}

/// The embedding call a semantic cache makes to look a prompt up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lookup {
    /// Catalog id or alias of an embedding model.
    pub model: String,
    /// Tokens embedded per lookup.
    pub tokens: u64,
}

/// A semantic cache in front of the models: eligible calls are looked up
/// (each lookup priced), and a hit is answered without a model call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SemanticCache {
    pub hits: SemanticHits,
    pub lookup: Option<Lookup>,
    pub eligible: Eligible,
    pub seed: u64,
}

impl SemanticCache {
    /// Whether a cache answering `share` (ppm) of the eligible calls
    /// answers this one (repeats are decided by the evaluator, which keeps
    /// the prompts seen).
    pub fn draws_hit(&self, share: u64, call_key: &str) -> bool {
        draw(self.seed, call_key) < share
    }
}

/// Every transform a scenario may carry besides caching.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Transforms {
    pub compaction: Option<Compaction>,
    pub route: Option<Route>,
    pub semantic_cache: Option<SemanticCache>,
    pub cascade: Option<Cascade>,
    pub batch: Option<BatchRule>,
    pub caps: Option<Caps>,
    pub pricing_date: Option<PricingDate>,
}

impl Transforms {
    pub fn is_empty(&self) -> bool {
        *self == Transforms::default()
    }

    /// `self` with the transforms `later` sets laid over it (for stacks).
    pub fn then(&self, later: &Transforms) -> Transforms {
        Transforms {
            compaction: later.compaction.clone().or_else(|| self.compaction.clone()),
            route: later.route.clone().or_else(|| self.route.clone()),
            semantic_cache: later
                .semantic_cache
                .clone()
                .or_else(|| self.semantic_cache.clone()),
            cascade: later.cascade.clone().or_else(|| self.cascade.clone()),
            batch: later.batch.clone().or_else(|| self.batch.clone()),
            caps: later.caps.or(self.caps),
            pricing_date: later.pricing_date.or(self.pricing_date),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(model: &str, share: u64) -> RouteTarget {
        RouteTarget {
            model: model.into(),
            share_ppm: share,
            token_ratio: Ratio::ONE,
            output_ratio: Ratio::ONE,
        }
    }

    #[test]
    fn ratios_round_half_up() {
        assert_eq!(Ratio(1_100_000).apply(1000), 1100);
        assert_eq!(Ratio(500_000).apply(3), 2);
        assert_eq!(Ratio(1_234_500).to_string(), "1.2345");
        assert_eq!(Ratio::ONE.to_string(), "1");
    }

    #[test]
    fn routing_shares_are_realized_and_sticky() {
        let route = Route {
            rules: vec![RouteRule {
                from: "*".into(),
                pattern: glob::Pattern::new("*").unwrap(),
                targets: vec![
                    target("a", 700_000),
                    target("b", 250_000),
                    target("c", 50_000),
                ],
            }],
            sticky: Sticky::Session,
            seed: 1,
            classifier: None,
        };
        let mut counts = [0u32; 3];
        for s in 0..10_000 {
            let key = format!("session-{s}");
            let (first, second) = (format!("{key}/1"), format!("{key}/2"));
            let t = route.target("m", || &key, || &first).unwrap();
            counts[(t.model.as_bytes()[0] - b'a') as usize] += 1;
            // Every call of the session goes to the same model.
            assert_eq!(
                route.target("m", || &key, || &second).unwrap().model,
                t.model
            );
        }
        assert!((6900..=7100).contains(&counts[0]), "{counts:?}");
        assert!((2400..=2600).contains(&counts[1]), "{counts:?}");
        assert!((400..=600).contains(&counts[2]), "{counts:?}");
    }
}
