//! Pricing the time-ordered calls under one scenario: caps, then route or
//! cascade, then batch, then the prompt cache, then the price.
//!
//! Each scenario keeps its own state (cache per scope, steps and tokens per
//! session), so scenarios are independent and run in parallel over the same
//! parsed calls: the input is read once.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use std::borrow::Cow;

// A fast hash: these maps are looked up for every call of every scenario.
use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
use smallvec::SmallVec;

use chrono::{DateTime, Utc};

use super::sink::{call_totals, Sink};
use crate::cache::{effective_ttl, is_long_ttl, PromptShape, ScopeCache};
use crate::pricing::Ttl;
use crate::pricing::{
    mean_request_prompt, CacheKind, Catalog, InstantKey, PeriodLookup, Priced, PricingDate,
};
use crate::record::Usage;
use crate::report::aggregate::AggregateError;
use crate::report::aggregate::{add_count, add_usage, GroupTotals};
use crate::report::line_items::LineItem;
use crate::report::ScenarioStats;
use crate::scenario::{
    CacheMode, Compaction, Decision, Eligible, Ratio, Role, Scenario, SemanticHits,
};

/// A call resolved against the catalog, ready to be priced per scenario.
/// Serializable: big scenario runs spool calls to disk (see `spool.rs`).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Pending {
    /// Source index and line: orders calls with equal timestamps, and names
    /// calls without an id.
    pub order: (usize, u64),
    #[serde(with = "chrono::serde::ts_nanoseconds")]
    pub ts: DateTime<Utc>,
    /// Group keys of the breakdown.
    pub keys: Vec<String>,
    pub model: Option<usize>,
    pub model_key: String,
    pub account: String,
    pub session: Option<String>,
    pub id: Option<String>,
    pub step: Option<u64>,
    pub success: Option<bool>,
    pub tags: BTreeMap<String, String>,
    pub usage: Usage,
    pub batch: bool,
    pub shape: PromptShape,
    /// What the provider billed, where the log says.
    pub billed: Option<crate::money::Money>,
    /// API requests the call stands for (an aggregated usage row: many).
    pub requests: u64,
    /// The record carried no time; `ts` is assumed.
    pub undated: bool,
    /// Request options that change the price (fast mode, service tier);
    /// `None` for none, as for most calls (see [`Pending::options`]): calls
    /// are moved and held by the thousand, so what is rare is kept apart.
    pub options: Option<Box<crate::record::CallOptions>>,
    /// The input format the call was read as.
    pub format: FormatName,
    /// The response this call is a copy of, when logs may write it again
    /// (see `Copies`): with `order`, it names the copy.
    pub copy: Option<u128>,
    /// How long the call took, where the log says.
    pub latency_ms: Option<u64>,
    /// A hash of the prompt's text, where the trace gives one.
    pub prompt_hash: Option<u64>,
}

/// A format name through the spool: written as the format's number in
/// [`crate::ingest::format::all`] (a spool is read back by the run that
/// wrote it), read back as the format's own `&'static str`; no format (an
/// empty name) and unknown numbers read as empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FormatName(pub &'static str);

/// The formats in detection order, listed once.
fn formats() -> &'static [&'static crate::ingest::format::InputFormat] {
    static ALL: OnceLock<Vec<&'static crate::ingest::format::InputFormat>> = OnceLock::new();
    ALL.get_or_init(crate::ingest::format::all)
}

impl serde::Serialize for FormatName {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let number = formats()
            .iter()
            .position(|f| std::ptr::eq(f.name, self.0) || f.name == self.0);
        s.serialize_u16(number.map_or(u16::MAX, |n| n as u16))
    }
}

impl<'de> serde::Deserialize<'de> for FormatName {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let number = u16::deserialize(d)?;
        Ok(FormatName(
            formats().get(usize::from(number)).map_or("", |f| f.name),
        ))
    }
}

/// A call's names for seeded draws and per-session state, made once per
/// call, on first use, and shared by every scenario: a plain repricing
/// (the baseline, `cache-off`, a sweep) needs none of them.
pub struct LazyKeys<'c> {
    call: &'c Pending,
    keys: OnceLock<CallKeys>,
    /// A 128-bit hash of the account: the key of its caches. Apart from
    /// the names, which a cache scenario never needs.
    account: OnceLock<u128>,
}

impl<'c> LazyKeys<'c> {
    /// Keys made when a scenario first asks.
    pub fn new(call: &'c Pending) -> Self {
        LazyKeys {
            call,
            keys: OnceLock::new(),
            account: OnceLock::new(),
        }
    }

    fn get(&self) -> &CallKeys {
        self.keys.get_or_init(|| CallKeys::of(self.call))
    }

    fn account_id(&self) -> u128 {
        *self
            .account
            .get_or_init(|| xxhash_rust::xxh3::xxh3_128(self.call.account.as_bytes()))
    }
}

pub struct CallKeys {
    pub call: String,
    pub session: String,
    /// A 128-bit hash of `session`: the key of per-session state, so a
    /// million sessions cost a million integers, not strings.
    pub session_id: u128,
}

impl CallKeys {
    pub fn of(call: &Pending) -> CallKeys {
        let session = call.session_key();
        CallKeys {
            session_id: xxhash_rust::xxh3::xxh3_128(session.as_bytes()),
            call: call.call_key(),
            session,
        }
    }
}

impl Pending {
    /// Names the call for seeded draws: its id, else what it is (time,
    /// model, tokens) and its line in its file. Not the input's position in
    /// the argument list: the same calls given in another order draw alike.
    fn call_key(&self) -> String {
        match &self.id {
            Some(id) => id.clone(),
            None => {
                let u = &self.usage;
                format!(
                    "{}:{}:{}:{}/{}/{}/{}/{}",
                    self.ts.timestamp_nanos_opt().unwrap_or(i64::MAX),
                    self.model_key,
                    self.order.1,
                    u.input,
                    u.cache_read,
                    u.cache_write_5m,
                    u.cache_write_1h,
                    u.output
                )
            }
        }
    }

    /// The call's request options (the defaults when it names none).
    pub fn options(&self) -> &crate::record::CallOptions {
        static NONE: crate::record::CallOptions = crate::record::CallOptions::NONE;
        self.options.as_deref().unwrap_or(&NONE)
    }

    /// The options to keep with a call: `None` for the defaults.
    pub fn options_of(
        options: crate::record::CallOptions,
    ) -> Option<Box<crate::record::CallOptions>> {
        (options != crate::record::CallOptions::NONE).then(|| Box::new(options))
    }

    /// The call as recorded (its usage, requests, batch flag and options)
    /// priced on `model` as of `date`.
    pub fn price_on(&self, model: &crate::pricing::Model, date: PricingDate) -> Priced {
        model.price(
            &self.usage,
            self.requests,
            self.batch,
            self.options(),
            date,
            self.ts,
        )
    }

    /// Names the session for sticky routing; a call without one is its own.
    fn session_key(&self) -> String {
        match &self.session {
            Some(s) => format!("{}/{s}", self.account),
            None => self.call_key(),
        }
    }
}

/// One model call a scenario makes for a recorded call. On another model
/// the recorded cache split is kept (the same application would cache the
/// same way there); a cache scenario simulates it instead.
struct Leg<'s> {
    model: usize,
    usage: Usage,
    /// The call's own shape, unless a route scaled it.
    shape: Cow<'s, PromptShape>,
}

fn scaled_usage(u: &Usage, prompt: Ratio, output: Ratio) -> Usage {
    Usage {
        input: prompt.apply(u.input),
        cache_read: prompt.apply(u.cache_read),
        cache_write_5m: prompt.apply(u.cache_write_5m),
        cache_write_1h: prompt.apply(u.cache_write_1h),
        output: output.apply(u.output),
        reasoning: output.apply(u.reasoning).min(output.apply(u.output)),
    }
}

fn scaled_shape(shape: &PromptShape, ratio: Ratio) -> PromptShape {
    PromptShape {
        tokens: ratio.apply(shape.tokens),
        session: shape.session,
        boundaries: shape.boundaries.as_ref().map(|b| {
            b.iter()
                .map(|x| crate::cache::Boundary {
                    end: ratio.apply(x.end),
                    ..*x
                })
                .collect()
        }),
    }
}

/// Every prompt token at the input price.
fn uncached(u: &Usage) -> Usage {
    Usage {
        input: u.prompt_tokens(),
        cache_read: 0,
        cache_write_5m: 0,
        cache_write_1h: 0,
        ..*u
    }
}

/// What evaluating one scenario produced.
pub struct Evaluated {
    pub sink: Sink,
    pub stats: ScenarioStats,
    /// Calls simulated at a model's default TTL because it lacks the scenario's.
    pub ttl_fallback: u64,
}

impl Evaluated {
    /// Adds what another share of the calls produced (scenarios priced as
    /// calls are read: each reading thread evaluates its own share).
    pub fn merge(&mut self, other: Evaluated) -> Result<(), AggregateError> {
        self.sink.merge(other.sink)?;
        self.stats.merge(&other.stats);
        self.ttl_fallback += other.ttl_fallback;
        Ok(())
    }
}

/// Whether a scenario prices each call alone, whatever came before it: no
/// cache simulation (its state expires with time), no caps (they count a
/// session's steps) and no batching of a session's first call (which, for
/// calls without a step number, is the first one seen). Such scenarios are
/// priced as calls are read, in any order and in parallel pieces; their
/// draws hash the call's own names, so the sums are the same.
pub fn order_free(scenario: &Scenario) -> bool {
    let t = &scenario.transforms;
    matches!(scenario.cache, CacheMode::AsRecorded | CacheMode::Off)
        && t.caps.is_none()
        // A compacted session's prompts depend on its earlier ones, and a
        // semantic cache answers what it has seen.
        && t.compaction.is_none()
        && t.semantic_cache.is_none()
        && t.batch
            .as_ref()
            .is_none_or(|b| b.eligible != Eligible::NonInteractive)
        // A router that classifies once per session pays on the first call
        // seen of each.
        && t.route
            .as_ref()
            .and_then(|r| r.classifier.as_ref())
            .is_none_or(|c| c.per == Decision::Request)
}

/// What compaction has done to one session so far (kept only for sessions
/// compacted at least once).
#[derive(Debug, Clone, Copy)]
struct SessionCompaction {
    /// Prompt tokens the summaries took out of every later prompt.
    removed: u64,
    /// The last recorded prompt: a shorter one means the recorded session
    /// rewrote its own history, and what was removed no longer applies.
    last_prompt: u64,
    /// Compactions so far: each starts a new prefix chain for the cache.
    generation: u64,
}

/// A call's prompt after compaction, and the summarising call made before
/// it, if the call passed the trigger.
struct Compacted {
    usage: Usage,
    shape: PromptShape,
    summary: Option<Usage>,
}

/// `usage` with its prompt cut to `to` tokens, each part (cache reads,
/// writes, plain input) shrunk in proportion; plain input takes the
/// rounding, so the parts sum to `to` exactly.
fn shrunk(usage: &Usage, to: u64) -> Usage {
    let total = usage.prompt_tokens();
    if total == 0 || to >= total {
        return *usage;
    }
    let part = |tokens: u64| (tokens as u128 * to as u128 / total as u128) as u64;
    let (cache_read, cache_write_5m, cache_write_1h) = (
        part(usage.cache_read),
        part(usage.cache_write_5m),
        part(usage.cache_write_1h),
    );
    Usage {
        input: to
            .saturating_sub(cache_read)
            .saturating_sub(cache_write_5m)
            .saturating_sub(cache_write_1h),
        cache_read,
        cache_write_5m,
        cache_write_1h,
        ..*usage
    }
}

/// A call a transform makes of its own, resolved: a route's classifier or
/// a semantic cache's lookup, and what each costs.
struct SideCall {
    model: usize,
    /// Its line in the scenario's per-model totals: `gpt-oss-120b (router)`.
    key: String,
    usage: Usage,
    per: Decision,
}

struct State<'a> {
    catalog: &'a Catalog,
    /// Per account (its hash) and model: the cache, whether its writes
    /// are billed as 1-hour ones, and whether it falls back from the TTL
    /// asked for.
    caches: Vec<(ScopeCache, bool, bool)>,
    cache_index: HashMap<(u128, usize), usize>,
    /// The last call's account and its hash, and its scope and cache:
    /// most calls share them with the call before.
    last_account: Option<(String, u128)>,
    last_cache: Option<((u128, usize), usize)>,
    sessions: HashMap<u128, (u64, u64)>,
    capped: HashSet<u128>,
    seen_sessions: HashSet<u128>,
    /// Sessions whose routing decision the router has made.
    classified: HashSet<u128>,
    compacted: HashMap<u128, SessionCompaction>,
    /// A semantic cache's prompts, per account and prompt hash: when stored.
    semantic: HashMap<(u128, u64), i64>,
    semantic_lookups: u64,
    ttl_fallback: u64,
}

/// Prices calls, fed in time order, under one scenario, scenario number
/// `index` (0 is the baseline, which also fills the breakdown).
pub struct Evaluator<'a> {
    catalog: &'a Catalog,
    index: usize,
    scenario: &'a Scenario,
    date: PricingDate,
    shared_prefix: u64,
    /// Target names resolved once, not per call.
    resolved: HashMap<&'a str, usize>,
    router: Option<SideCall>,
    /// A semantic cache's lookup call, priced like a router's.
    lookup: Option<SideCall>,
    stats: ScenarioStats,
    state: State<'a>,
    sink: Sink,
    /// Calls at plain rates, summed per model apart from the sink.
    books: Books<'a>,
    /// The scenario keeps every call as recorded (the baseline).
    as_recorded: bool,
    /// The scenario changes nothing but the cache.
    cache_only: bool,
}

/// Where a scenario's calls are priced and summed: plain calls apart (see
/// [`PlainSums`]) when the sink keeps per-model totals only, the others
/// priced one by one into the sink.
struct Books<'a> {
    catalog: &'a Catalog,
    date: PricingDate,
    plain: PlainSums,
}

impl Books<'_> {
    /// Prices one leg of `call`, sent to `model` with `usage` (the cache
    /// applied), through the batch API if `batch`, for scenario `index`.
    #[allow(clippy::too_many_arguments)]
    fn record_leg(
        &mut self,
        sink: &mut Sink,
        index: usize,
        scenario: &str,
        call: &Pending,
        model: usize,
        usage: &Usage,
        batch: bool,
    ) -> Result<(), AggregateError> {
        let (catalog, date) = (self.catalog, self.date);
        let leg_model = &catalog.models[model];
        let sums = if sink.keeps_calls(index) || sink.by_model.is_none() {
            None
        } else {
            self.plain.of(catalog, model, call.options())
        };
        if let Some(sums) = sums {
            // As `Model::price` picks the rates of a plain call.
            let (period, _, _) = leg_model.period_at(date, call.ts);
            let tier = leg_model.periods[period].tier_for_call(usage, call.requests);
            sums.add(period, tier, batch, call.requests, usage);
            return Ok(());
        }
        // Request options go with the call wherever it is sent.
        let priced = leg_model.price(usage, call.requests, batch, call.options(), date, call.ts);
        sink.record(
            index,
            Some(scenario),
            call,
            &leg_model.id,
            usage,
            batch,
            Some(priced),
        )
    }
}

/// Per-model totals of the calls priced at their model's plain rates (no
/// request option, no prices by time of day), summed per rate set and
/// priced once at the end (see [`RateBuckets`]): per call, a few additions
/// in place of a price and a lookup by the model's name. Made on first use.
#[derive(Default)]
struct PlainSums {
    /// By catalog model number.
    buckets: Vec<RateBuckets>,
    /// Whether each model has prices by time of day (its calls are priced
    /// one by one).
    clock: Vec<bool>,
}

impl PlainSums {
    /// The sums of `model`, if a call of `options` on it is priced at
    /// plain rates.
    fn of(
        &mut self,
        catalog: &Catalog,
        model: usize,
        options: &crate::record::CallOptions,
    ) -> Option<&mut RateBuckets> {
        if !options.is_plain() {
            return None;
        }
        if self.buckets.is_empty() {
            self.buckets = catalog
                .models
                .iter()
                .map(|_| RateBuckets::default())
                .collect();
            self.clock = catalog
                .models
                .iter()
                .map(|m| m.has_clock_prices())
                .collect();
        }
        (!self.clock[model]).then(|| &mut self.buckets[model])
    }

    /// Adds the sums, priced, to `sink`'s per-model totals of `scenario`.
    fn add_to(self, catalog: &Catalog, scenario: &str, sink: &mut Sink) {
        for (model, buckets) in self.buckets.iter().enumerate() {
            if !buckets.buckets.is_empty() {
                let model = &catalog.models[model];
                sink.add_model(scenario, &model.id, &buckets.totals(model));
            }
        }
    }
}

impl SideCall {
    /// `input` and `output` tokens a call on the catalog's `model`, shown
    /// as `MODEL (role)`; `None` for a model the catalog lacks (scenarios
    /// are checked against it before any call is priced).
    fn new(
        catalog: &Catalog,
        model: &str,
        role: &str,
        input: u64,
        output: u64,
        per: Decision,
    ) -> Option<SideCall> {
        let model = catalog.resolve_index(model)?;
        Some(SideCall {
            model,
            key: format!("{} ({role})", catalog.models[model].id),
            usage: Usage {
                input,
                output,
                ..Usage::default()
            },
            per,
        })
    }

    /// `n` of its calls (a row standing for many requests makes one each):
    /// their usage and price.
    fn priced(
        &self,
        catalog: &Catalog,
        n: u64,
        date: PricingDate,
        ts: DateTime<Utc>,
    ) -> (Usage, Priced) {
        let usage = Usage {
            input: self.usage.input.saturating_mul(n),
            output: self.usage.output.saturating_mul(n),
            ..Usage::default()
        };
        let priced = price_side_call(&catalog.models[self.model], &usage, n, date, ts);
        (usage, priced)
    }
}

/// A call a transform makes of its own (a router's, a lookup's, a
/// summary's): `requests` requests of `usage` on `model`, at standard rates
/// and without request options.
fn price_side_call(
    model: &crate::pricing::Model,
    usage: &Usage,
    requests: u64,
    date: PricingDate,
    ts: DateTime<Utc>,
) -> Priced {
    model.price(usage, requests, false, &Default::default(), date, ts)
}

impl<'a> Evaluator<'a> {
    pub fn new(
        catalog: &'a Catalog,
        index: usize,
        scenario: &'a Scenario,
        default_date: PricingDate,
        shared_prefix: u64,
        sink: Sink,
    ) -> Self {
        let date = scenario.transforms.pricing_date.unwrap_or(default_date);
        Evaluator {
            as_recorded: scenario.cache == CacheMode::AsRecorded && scenario.transforms.is_empty(),
            cache_only: scenario.transforms.is_empty(),
            catalog,
            index,
            scenario,
            date,
            shared_prefix,
            resolved: scenario
                .models()
                .into_iter()
                .filter_map(|(_, name)| Some((name, catalog.resolve_index(name)?)))
                .collect(),
            router: scenario
                .transforms
                .route
                .as_ref()
                .and_then(|r| r.classifier.as_ref())
                .and_then(|c| SideCall::new(catalog, &c.model, "router", c.input, c.output, c.per)),
            lookup: scenario
                .transforms
                .semantic_cache
                .as_ref()
                .and_then(|c| c.lookup.as_ref())
                .and_then(|l| {
                    SideCall::new(
                        catalog,
                        &l.model,
                        "semantic cache",
                        l.tokens,
                        0,
                        Decision::Request,
                    )
                }),
            stats: ScenarioStats::default(),
            state: State {
                catalog,
                caches: Vec::new(),
                cache_index: HashMap::new(),
                last_account: None,
                last_cache: None,
                sessions: HashMap::new(),
                capped: HashSet::new(),
                seen_sessions: HashSet::new(),
                classified: HashSet::new(),
                compacted: HashMap::new(),
                semantic: HashMap::new(),
                semantic_lookups: 0,
                ttl_fallback: 0,
            },
            sink,
            books: Books {
                catalog,
                date,
                plain: PlainSums::default(),
            },
        }
    }

    /// The line items recorded since the last call (none unless asked for).
    pub fn take_line_items(&mut self) -> Vec<LineItem> {
        self.sink
            .line_items
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default()
    }

    /// The number of the scenario this evaluates.
    pub fn index(&self) -> usize {
        self.index
    }

    pub fn finish(mut self) -> Evaluated {
        self.books
            .plain
            .add_to(self.catalog, &self.scenario.name, &mut self.sink);
        Evaluated {
            sink: self.sink,
            stats: self.stats,
            ttl_fallback: self.state.ttl_fallback,
        }
    }

    /// As [`Evaluator::step`], for a call whose price as recorded is
    /// `recorded` (found as it was read): a scenario that keeps every call
    /// as recorded adds it with that price, not pricing it again.
    pub fn step_priced(
        &mut self,
        call: &Pending,
        keys: &LazyKeys,
        recorded: Option<&Priced>,
    ) -> Result<(), AggregateError> {
        let (Some(model), Some(priced), true) = (call.model, recorded, self.as_recorded) else {
            return self.step(call, keys);
        };
        let id = &self.catalog.models[model].id;
        // What the provider billed is summed call by call.
        let sums = match (&self.sink.by_model, call.billed) {
            (Some(_), None) => self.books.plain.of(self.catalog, model, call.options()),
            _ => None,
        };
        // Summed apart, or with the call.
        let models_of = match sums {
            Some(sums) => {
                sums.add(
                    priced.period,
                    priced.tier,
                    call.batch,
                    call.requests,
                    &call.usage,
                );
                None
            }
            None => Some(self.scenario.name.as_str()),
        };
        self.sink.record(
            self.index,
            models_of,
            call,
            id,
            &call.usage,
            call.batch,
            Some(*priced),
        )?;
        if let Some(ok) = call.success {
            self.stats.count_success(id, 1, u64::from(ok));
        }
        Ok(())
    }

    /// Prices the next call in time order.
    pub fn step(&mut self, call: &Pending, keys: &LazyKeys) -> Result<(), AggregateError> {
        let (catalog, index, scenario, date) = (self.catalog, self.index, self.scenario, self.date);
        let t = &scenario.transforms;
        let resolved = &self.resolved;
        let index_of = |name: &str| *resolved.get(name).expect("checked against the catalog");
        let stats = &mut self.stats;
        let state = &mut self.state;
        let sink = &mut self.sink;
        let Some(recorded) = call.model else {
            // Unpriced: shown with its tokens in every scenario.
            return sink.record(
                index,
                Some(&scenario.name),
                call,
                &call.model_key,
                &call.usage,
                call.batch,
                None,
            );
        };
        let model = &catalog.models[recorded];
        if self.cache_only {
            // Nothing but the cache differs from the call as recorded.
            let leg = Leg {
                model: recorded,
                usage: call.usage,
                shape: Cow::Borrowed(&call.shape),
            };
            let usage = state.cache_usage(scenario.cache, call, keys, &leg, self.shared_prefix);
            self.books.record_leg(
                sink,
                index,
                &scenario.name,
                call,
                recorded,
                &usage,
                call.batch,
            )?;
            if let Some(ok) = call.success {
                stats.count_success(&model.id, 1, u64::from(ok));
            }
            return Ok(());
        }
        let session = || keys.get().session_id;
        // Only batching and a semantic cache ask (sessions seen are kept
        // for them alone).
        let first_of_session = (t.batch.is_some() || t.semantic_cache.is_some())
            && match (&call.session, call.step) {
                (None, _) => true,
                (Some(_), Some(step)) => step <= 1,
                (Some(_), None) => state.seen_sessions.insert(session()),
            };
        if let (Some(caps), Some(_)) = (t.caps, &call.session) {
            let session = session();
            let over = state.capped.contains(&session) || {
                let entry = state.sessions.entry(session).or_default();
                entry.0 += 1;
                // Saturating: a cap is reached, never wrapped past.
                entry.1 = entry
                    .1
                    .saturating_add(call.usage.prompt_tokens())
                    .saturating_add(call.usage.output);
                let over = caps.max_steps.is_some_and(|m| entry.0 > m)
                    || caps.max_tokens.is_some_and(|m| entry.1 > m);
                if over {
                    // A capped session needs no count any more.
                    state.sessions.remove(&session);
                    state.capped.insert(session);
                    stats.capped_sessions += 1;
                }
                over
            };
            if over {
                stats.dropped_calls += 1;
                stats.dropped_cost += call.price_on(model, date).cost;
                return Ok(());
            }
        }
        let call_key = || keys.get().call.as_str();
        if let Some(semantic) = &t.semantic_cache {
            if semantic.eligible.admits(first_of_session, &call.tags) {
                // Every eligible request is looked up, hit or miss.
                let n = call.requests.max(1);
                stats.semantic_lookups += n;
                if let Some(lookup) = &self.lookup {
                    let (usage, priced) = lookup.priced(catalog, n, date, call.ts);
                    stats.semantic_lookup_cost += priced.cost;
                    sink.record(
                        index,
                        Some(&scenario.name),
                        call,
                        &lookup.key,
                        &usage,
                        false,
                        Some(priced),
                    )?;
                }
                let hit = match semantic.hits {
                    SemanticHits::Share(share) => semantic.draws_hit(share, call_key()),
                    SemanticHits::Repeats { ttl } => state.repeated(
                        keys.account_id(),
                        call.prompt_hash,
                        call.ts.timestamp_millis(),
                        ttl,
                    ),
                };
                if hit {
                    stats.semantic_hits += n;
                    stats.semantic_answered_cost += call.price_on(model, date).cost;
                    return Ok(());
                }
            }
        }
        // Compaction comes before routing: a route sends the compacted prompt.
        let compacted = match (&t.compaction, &call.session) {
            (Some(c), Some(_)) => state.compact(c, session(), call),
            _ => None,
        };
        let (usage, shape) = match &compacted {
            Some(done) => {
                stats.compacted_tokens_removed = stats.compacted_tokens_removed.saturating_add(
                    call.usage
                        .prompt_tokens()
                        .saturating_sub(done.usage.prompt_tokens()),
                );
                (done.usage, &done.shape)
            }
            None => (call.usage, &call.shape),
        };
        if let Some(summary) = compacted.as_ref().and_then(|done| done.summary) {
            let c = t.compaction.as_ref().expect("compacted");
            let summariser = c.model.as_deref().map_or(recorded, index_of);
            // Its own call on its own model: priced without a cache.
            let priced = price_side_call(&catalog.models[summariser], &summary, 1, date, call.ts);
            stats.compactions += 1;
            stats.compaction_cost += priced.cost;
            let key = format!("{} (compaction)", catalog.models[summariser].id);
            sink.record(
                index,
                Some(&scenario.name),
                call,
                &key,
                &summary,
                false,
                Some(priced),
            )?;
        }
        // At most two (a cascade): kept inline, not allocated per call.
        let mut legs: SmallVec<[Leg; 2]> = SmallVec::new();
        let original = Leg {
            model: recorded,
            usage,
            shape: Cow::Borrowed(shape),
        };
        if let Some(c) = t.cascade.as_ref().filter(|c| c.applies_to(&model.id)) {
            stats.cascaded += 1;
            for (name, go) in [
                (&c.first, true),
                (&c.then, c.escalates(call_key(), call.success)),
            ] {
                if !go {
                    continue;
                }
                let target = catalog
                    .resolve_index(name)
                    .expect("checked against the catalog");
                legs.push(Leg {
                    model: target,
                    usage,
                    shape: Cow::Borrowed(shape),
                });
            }
            if legs.len() == 2 {
                stats.escalated += 1;
            }
        } else if let Some(target) = t
            .route
            .as_ref()
            .and_then(|r| r.target(&model.id, || &keys.get().session, call_key))
        {
            if let Some(router) = &self.router {
                let decides = match router.per {
                    Decision::Request => true,
                    Decision::Session => {
                        call.session.is_none() || state.classified.insert(session())
                    }
                };
                if decides {
                    // A row standing for many requests (a usage export) had
                    // each of them classified.
                    let n = call.requests.max(1);
                    let (usage, priced) = router.priced(catalog, n, date, call.ts);
                    stats.router_calls += n;
                    stats.router_cost += priced.cost;
                    sink.record(
                        index,
                        Some(&scenario.name),
                        call,
                        &router.key,
                        &usage,
                        false,
                        Some(priced),
                    )?;
                }
            }
            let target_index = index_of(&target.model);
            let usage = scaled_usage(&usage, target.token_ratio, target.output_ratio);
            if usage.prompt_tokens() > catalog.models[target_index].context_window {
                stats.not_fit += 1;
                legs.push(original);
            } else if target_index == recorded && target.token_ratio == Ratio::ONE {
                legs.push(original);
            } else {
                stats.routed += u64::from(target_index != recorded);
                legs.push(Leg {
                    model: target_index,
                    usage,
                    shape: Cow::Owned(scaled_shape(shape, target.token_ratio)),
                });
            }
        } else {
            legs.push(original);
        }
        let batch = call.batch
            || t.batch.as_ref().is_some_and(|b| {
                b.eligible.admits(first_of_session, &call.tags) && b.selects(call_key())
            });
        if batch && !call.batch {
            stats.batched += 1;
        }
        let last = legs.len() - 1;
        for (i, leg) in legs.into_iter().enumerate() {
            let usage = state.cache_usage(scenario.cache, call, keys, &leg, self.shared_prefix);
            let leg_model = &catalog.models[leg.model];
            self.books
                .record_leg(sink, index, &scenario.name, call, leg.model, &usage, batch)?;
            if i == last {
                if let Some(ok) = call.success {
                    stats.count_success(&leg_model.id, 1, u64::from(ok));
                }
            }
        }
        Ok(())
    }
}

impl State<'_> {
    /// Whether a semantic cache holding prompts for `ttl` has this one (an
    /// earlier eligible call of the account stored it less than `ttl` ago);
    /// if not, it stores it now. Calls come in time order, so entries
    /// expired now can be dropped.
    fn repeated(&mut self, account: u128, hash: Option<u64>, now_ms: i64, ttl: Ttl) -> bool {
        let Some(hash) = hash else {
            return false;
        };
        let ttl_ms = ttl.seconds() * 1000;
        self.semantic_lookups += 1;
        if self.semantic_lookups % 65_536 == 0 {
            self.semantic.retain(|_, stored| now_ms - *stored < ttl_ms);
        }
        match self.semantic.get(&(account, hash)) {
            Some(&stored) if now_ms - stored < ttl_ms => true,
            _ => {
                self.semantic.insert((account, hash), now_ms);
                false
            }
        }
    }

    /// The call's prompt under compaction: shorter by what earlier summaries
    /// removed, and compacted now if it passes the trigger. `None` when the
    /// session has not been compacted (the call is as recorded).
    fn compact(&mut self, c: &Compaction, session: u128, call: &Pending) -> Option<Compacted> {
        let prompt = call.usage.prompt_tokens();
        let before = match self.compacted.get(&session) {
            // The recorded session rewrote its history (it compacted on its
            // own): the prompt is what it sent, as if never compacted.
            Some(s) if prompt < s.last_prompt => {
                self.compacted.remove(&session);
                None
            }
            other => other.copied(),
        };
        let mut now = before.unwrap_or(SessionCompaction {
            removed: 0,
            last_prompt: prompt,
            generation: 0,
        });
        now.last_prompt = prompt;
        let mut effective = prompt.saturating_sub(now.removed);
        let mut summary = None;
        if effective > c.trigger_tokens {
            // The summariser reads the whole prompt and writes what is kept;
            // the call then sends the summary in place of the history.
            let kept = c.keep.apply(effective);
            summary = Some(Usage {
                input: effective,
                output: kept,
                ..Usage::default()
            });
            now.removed = now.removed.saturating_add(effective - kept);
            now.generation += 1;
            effective = kept;
        }
        if now.generation == 0 {
            return None;
        }
        self.compacted.insert(session, now);
        let shape = PromptShape {
            tokens: effective,
            // A new prefix chain per compaction: nothing before it matches.
            session: call.shape.session.map(|s| {
                let mut bytes = [0u8; 16];
                bytes[..8].copy_from_slice(&s.to_le_bytes());
                bytes[8..].copy_from_slice(&now.generation.to_le_bytes());
                xxhash_rust::xxh3::xxh3_64(&bytes)
            }),
            boundaries: None,
        };
        Some(Compacted {
            usage: shrunk(&call.usage, effective),
            shape,
            summary,
        })
    }

    /// The leg's usage under the scenario's cache mode.
    fn cache_usage(
        &mut self,
        mode: CacheMode,
        call: &Pending,
        keys: &LazyKeys,
        leg: &Leg,
        shared_prefix: u64,
    ) -> Usage {
        match mode {
            CacheMode::AsRecorded => leg.usage,
            CacheMode::Off => uncached(&leg.usage),
            CacheMode::On { ttl, placement } => {
                let account = match &self.last_account {
                    Some((name, id)) if *name == call.account => *id,
                    _ => {
                        let id = keys.account_id();
                        self.last_account = Some((call.account.clone(), id));
                        id
                    }
                };
                let key = (account, leg.model);
                let at = match self.last_cache {
                    Some((last, at)) if last == key => at,
                    _ => {
                        let (catalog, caches) = (self.catalog, &mut self.caches);
                        let at = *self.cache_index.entry(key).or_insert_with(|| {
                            let rules = &catalog.models[leg.model].cache;
                            let used = effective_ttl(rules, ttl);
                            caches.push((
                                ScopeCache::new(rules, ttl, placement, shared_prefix),
                                is_long_ttl(rules, used),
                                rules.kind == CacheKind::Explicit && used != ttl,
                            ));
                            caches.len() - 1
                        });
                        self.last_cache = Some((key, at));
                        at
                    }
                };
                let (cache, long, falls_back) = &mut self.caches[at];
                if *falls_back {
                    self.ttl_fallback += 1;
                }
                let o = cache.call(call.ts.timestamp_millis(), &leg.shape);
                Usage {
                    input: o.input,
                    cache_read: o.read,
                    cache_write_5m: if *long { 0 } else { o.write },
                    cache_write_1h: if *long { o.write } else { 0 },
                    ..leg.usage
                }
            }
        }
    }
}

/// The model a `--sweep` scenario sends every call to, when that is all the
/// scenario does (no cache simulation, pricing date of its own, cascade,
/// batch or caps): such
/// scenarios keep no state and are priced together by [`SweepEvaluator`].
pub fn sweep_model(scenario: &Scenario) -> Option<&str> {
    let Role::Sweep(model) = &scenario.role else {
        return None;
    };
    let t = &scenario.transforms;
    let [rule] = t.route.as_ref()?.rules.as_slice() else {
        return None;
    };
    let [target] = rule.targets.as_slice() else {
        return None;
    };
    let plain = scenario.cache == CacheMode::AsRecorded
        && t.pricing_date.is_none()
        && t.cascade.is_none()
        && t.batch.is_none()
        && t.caps.is_none()
        && t.compaction.is_none()
        && t.semantic_cache.is_none()
        && rule.from == "*"
        && target.model == *model
        && target.token_ratio == Ratio::ONE
        && target.output_ratio == Ratio::ONE;
    plain.then_some(model.as_str())
}

/// Sweep scenarios (see [`sweep_model`]) priced in one pass: per call, one
/// loop over their models, each call repriced on each model exactly as
/// [`Evaluator`] routes it, without a scenario state machine each.
pub struct SweepEvaluator<'a> {
    catalog: &'a Catalog,
    /// The run's pricing date: sweeps have none of their own.
    date: PricingDate,
    targets: Vec<SweepTarget<'a>>,
    /// Plain calls summed by what decides their price on every target,
    /// spread over the targets when there are many or at the end.
    classes: HashMap<PriceClass, ClassSums>,
    /// Every target's period bounds, tier thresholds and context windows,
    /// sorted: a call's place among each is its class.
    period_bounds: Vec<InstantKey>,
    tier_bounds: Vec<u64>,
    window_bounds: Vec<u64>,
}

/// What makes two plain calls price alike on every target without prices
/// by time of day: their recorded model and its rates (for targets they do
/// not fit), batch, and their place among every target's period bounds,
/// tier thresholds and context windows.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct PriceClass {
    recorded: usize,
    recorded_rates: (usize, Option<usize>),
    batch: bool,
    epoch: usize,
    tier: usize,
    window: usize,
}

/// The calls of a class, summed, with one of them standing for the rest
/// (its time, prompt and mean request prompt fall where all of theirs do).
struct ClassSums {
    at: InstantKey,
    prompt: u64,
    mean_prompt: u64,
    calls: u64,
    requests: u64,
    usage: Usage,
    overflowed: bool,
    labelled: (u64, u64),
}

/// `values` sorted, each once.
fn sorted<T: Ord>(mut values: Vec<T>) -> Vec<T> {
    values.sort_unstable();
    values.dedup();
    values
}

/// Classes held before they are spread over the targets.
const MAX_CLASSES: usize = 4096;

struct SweepTarget<'a> {
    index: usize,
    scenario: &'a Scenario,
    model: usize,
    context_window: u64,
    /// The target model's price period by time.
    periods: PeriodLookup,
    /// Whether some period of the model has long-context tiers.
    tiered: bool,
    /// The model has prices by time of day: every call is priced alone.
    clock_prices: bool,
    stats: ScenarioStats,
    /// Calls the target model answers (most of them).
    own: Answered,
    /// Calls left on their recorded model (their prompt does not fit the
    /// target's context window), per model: few, so a short list.
    others: Vec<(usize, Answered)>,
    /// Calls on models the catalog does not know, per name.
    unpriced: HashMap<String, GroupTotals>,
}

/// The calls one model answers in a sweep: those at its plain rates summed
/// per rate set, the others priced alone and summed; and of them, those
/// with a `success` label, and successes.
#[derive(Default)]
struct Answered {
    seen: bool,
    plain: RateBuckets,
    priced: GroupTotals,
    success: (u64, u64),
}

impl Answered {
    fn totals(&self, model: &crate::pricing::Model) -> GroupTotals {
        let mut totals = self.plain.totals(model);
        totals.add(&self.priced);
        totals
    }
}

impl<'a> SweepEvaluator<'a> {
    /// `sweeps`: (scenario number, scenario), each passing [`sweep_model`].
    pub fn new(catalog: &'a Catalog, sweeps: &[(usize, &'a Scenario)], date: PricingDate) -> Self {
        let targets: Vec<SweepTarget> = sweeps
            .iter()
            .map(|&(index, scenario)| {
                let model = sweep_model(scenario)
                    .and_then(|m| catalog.resolve_index(m))
                    .expect("checked against the catalog");
                let m = &catalog.models[model];
                SweepTarget {
                    index,
                    scenario,
                    model,
                    context_window: m.context_window,
                    periods: m.period_lookup(date),
                    tiered: m.periods.iter().any(|p| !p.tiers.is_empty()),
                    clock_prices: m.has_clock_prices(),
                    stats: ScenarioStats::default(),
                    own: Answered::default(),
                    others: Vec::new(),
                    unpriced: HashMap::new(),
                }
            })
            .collect();
        let period_bounds = sorted(
            targets
                .iter()
                .flat_map(|t| t.periods.bounds().iter().copied())
                .collect(),
        );
        let tier_bounds = sorted(
            targets
                .iter()
                .flat_map(|t| &catalog.models[t.model].periods)
                .flat_map(|p| p.tiers.iter().map(|tier| tier.above_prompt_tokens))
                .collect(),
        );
        let window_bounds = sorted(targets.iter().map(|t| t.context_window).collect());
        SweepEvaluator {
            catalog,
            date,
            targets,
            classes: HashMap::new(),
            period_bounds,
            tier_bounds,
            window_bounds,
        }
    }

    /// Spreads the summed classes over the targets without clock prices,
    /// as [`SweepEvaluator::step`] does each call.
    fn spread_classes(&mut self) {
        for (class, sums) in self.classes.drain() {
            for t in self.targets.iter_mut().filter(|t| !t.clock_prices) {
                let ((period, tier), answered) = if sums.prompt > t.context_window {
                    // Left on their recorded model, at its rates.
                    t.stats.not_fit += sums.calls;
                    (class.recorded_rates, t.answered(class.recorded))
                } else {
                    t.stats.routed += u64::from(t.model != class.recorded) * sums.calls;
                    let period = t.periods.at(sums.at);
                    let tier = if t.tiered {
                        self.catalog.models[t.model].periods[period].tier_for(sums.mean_prompt)
                    } else {
                        None
                    };
                    ((period, tier), &mut t.own)
                };
                answered.plain.add_sum(period, tier, class.batch, &sums);
                answered.count(Some(sums.labelled));
            }
        }
    }

    /// Prices the next call on every swept model.
    pub fn step(&mut self, call: &Pending) {
        let (catalog, date) = (self.catalog, self.date);
        let Some(recorded) = call.model else {
            for t in &mut self.targets {
                // Unpriced: shown with its tokens in every scenario.
                let totals = call_totals(t.index, call, &call.usage, None);
                match t.unpriced.get_mut(&call.model_key) {
                    Some(sum) => sum.add(&totals),
                    None => {
                        t.unpriced.insert(call.model_key.clone(), totals);
                    }
                }
            }
            return;
        };
        let prompt = call.usage.prompt_tokens();
        let plain = call.options().is_plain();
        let labelled = call.success.map(|ok| (1, u64::from(ok)));
        let at = InstantKey::of(call.ts);
        let mean_prompt = mean_request_prompt(&call.usage, call.requests);
        let recorded_model = &catalog.models[recorded];
        // A plain call on a model without clock prices is summed in its
        // class, once, for every target without clock prices.
        let classed = plain && !recorded_model.has_clock_prices();
        if classed {
            let (period, _, _) = recorded_model.period_at(date, call.ts);
            let class = PriceClass {
                recorded,
                recorded_rates: (period, recorded_model.periods[period].tier_for(mean_prompt)),
                batch: call.batch,
                epoch: self.period_bounds.partition_point(|b| *b <= at),
                tier: self.tier_bounds.partition_point(|b| *b < mean_prompt),
                window: self.window_bounds.partition_point(|b| *b < prompt),
            };
            let sums = self.classes.entry(class).or_insert_with(|| ClassSums {
                at,
                prompt,
                mean_prompt,
                calls: 0,
                requests: 0,
                usage: Usage::default(),
                overflowed: false,
                labelled: (0, 0),
            });
            sums.calls += 1;
            // `&`, not `&&`: every sum is taken, as in `GroupTotals::add`.
            let fits = add_count(&mut sums.requests, call.requests)
                & add_usage(&mut sums.usage, &call.usage);
            sums.overflowed |= !fits;
            if let Some((n, ok)) = labelled {
                sums.labelled.0 += n;
                sums.labelled.1 += ok;
            }
            if self.classes.len() > MAX_CLASSES {
                self.spread_classes();
            }
        }
        // The call's period and tier on its recorded model, for sweeps it
        // does not fit: found once per call (`None` inside: priced alone).
        let mut recorded_rates: Option<Option<(usize, Option<usize>)>> = None;
        for t in self
            .targets
            .iter_mut()
            .filter(|t| !classed || t.clock_prices)
        {
            if prompt > t.context_window {
                // Left on its recorded model.
                t.stats.not_fit += 1;
                let index = t.index;
                let answered = t.answered(recorded);
                let model = &catalog.models[recorded];
                let rates = *recorded_rates.get_or_insert_with(|| {
                    (plain && !model.has_clock_prices()).then(|| {
                        let (period, _, _) = model.period_at(date, call.ts);
                        (period, model.periods[period].tier_for(mean_prompt))
                    })
                });
                match rates {
                    Some((period, tier)) => {
                        answered
                            .plain
                            .add(period, tier, call.batch, call.requests, &call.usage)
                    }
                    None => answered.add_priced(model, index, date, call),
                }
                answered.count(labelled);
                continue;
            }
            t.stats.routed += u64::from(t.model != recorded);
            let answered = &mut t.own;
            if plain && !t.clock_prices {
                let period = t.periods.at(at);
                // Most models have no tiers: their periods are not touched.
                let tier = if t.tiered {
                    catalog.models[t.model].periods[period].tier_for(mean_prompt)
                } else {
                    None
                };
                answered
                    .plain
                    .add(period, tier, call.batch, call.requests, &call.usage);
            } else {
                answered.add_priced(&catalog.models[t.model], t.index, date, call);
            }
            answered.count(labelled);
        }
    }

    /// What each sweep scenario produced, with its number.
    pub fn finish(mut self) -> Vec<(usize, Evaluated)> {
        self.spread_classes();
        let catalog = self.catalog;
        self.targets
            .into_iter()
            .map(|mut t| {
                let mut models = t.unpriced;
                let answered = std::iter::once((t.model, t.own)).chain(t.others);
                for (model, a) in answered.filter(|(_, a)| a.seen) {
                    let model = &catalog.models[model];
                    models
                        .entry(model.id.clone())
                        .or_default()
                        .add(&a.totals(model));
                    if a.success.0 > 0 {
                        t.stats.count_success(&model.id, a.success.0, a.success.1);
                    }
                }
                let mut sink = Sink::new(0, true);
                if let Some(by_model) = sink.by_model.as_mut() {
                    by_model.push((t.scenario.name.clone(), models));
                }
                let evaluated = Evaluated {
                    sink,
                    stats: t.stats,
                    ttl_fallback: 0,
                };
                (t.index, evaluated)
            })
            .collect()
    }
}

impl SweepTarget<'_> {
    /// The calls answered by `model`.
    fn answered(&mut self, model: usize) -> &mut Answered {
        if model == self.model {
            &mut self.own
        } else {
            let i = match self.others.iter().position(|(m, _)| *m == model) {
                Some(i) => i,
                None => {
                    self.others.push((model, Answered::default()));
                    self.others.len() - 1
                }
            };
            &mut self.others[i].1
        }
    }
}

impl Answered {
    /// Adds a call priced alone (request options, prices by time of day).
    fn add_priced(
        &mut self,
        model: &crate::pricing::Model,
        index: usize,
        date: PricingDate,
        call: &Pending,
    ) {
        let priced = call.price_on(model, date);
        self.priced
            .add(&call_totals(index, call, &call.usage, Some(priced)));
    }

    /// Marks a call answered, with its success label if any (calls, successes).
    fn count(&mut self, labelled: Option<(u64, u64)>) {
        self.seen = true;
        if let Some((n, ok)) = labelled {
            self.success.0 += n;
            self.success.1 += ok;
        }
    }
}

/// Calls on one model summed per set of rates (price period, long-context
/// tier, batch), priced once at the end. A price is linear in the tokens
/// (each kind's count times its rate, in integers), so the cost of the
/// summed tokens is exactly the sum of the calls' costs.
#[derive(Default)]
struct RateBuckets {
    buckets: Vec<RateBucket>,
}

struct RateBucket {
    period: usize,
    tier: Option<usize>,
    batch: bool,
    calls: u64,
    usage: Usage,
    /// A sum stopped at its bound.
    overflowed: bool,
}

impl RateBuckets {
    /// Adds `requests` requests with `usage`, at the rates of `period`
    /// and `tier`, through the batch API if `batch`.
    fn add(
        &mut self,
        period: usize,
        tier: Option<usize>,
        batch: bool,
        requests: u64,
        usage: &Usage,
    ) {
        let bucket = self.bucket(period, tier, batch);
        // `&`, not `&&`: every sum is taken, as in `GroupTotals::add`.
        let fits = add_count(&mut bucket.calls, requests) & add_usage(&mut bucket.usage, usage);
        bucket.overflowed |= !fits;
    }

    /// Adds a class of calls summed alike.
    fn add_sum(&mut self, period: usize, tier: Option<usize>, batch: bool, sums: &ClassSums) {
        let bucket = self.bucket(period, tier, batch);
        let fits =
            add_count(&mut bucket.calls, sums.requests) & add_usage(&mut bucket.usage, &sums.usage);
        bucket.overflowed |= !fits | sums.overflowed;
    }

    fn bucket(&mut self, period: usize, tier: Option<usize>, batch: bool) -> &mut RateBucket {
        // Few rate sets per model: a short scan beats a hash.
        let bucket = match self
            .buckets
            .iter_mut()
            .position(|b| b.period == period && b.tier == tier && b.batch == batch)
        {
            Some(i) => &mut self.buckets[i],
            None => {
                self.buckets.push(RateBucket {
                    period,
                    tier,
                    batch,
                    calls: 0,
                    usage: Usage::default(),
                    overflowed: false,
                });
                self.buckets.last_mut().expect("just pushed")
            }
        };
        bucket
    }

    /// The summed calls priced on `model`, as [`call_totals`] would sum them
    /// one by one; a sum past its bound marks the totals overflowed.
    fn totals(&self, model: &crate::pricing::Model) -> GroupTotals {
        let mut all = GroupTotals::default();
        for b in &self.buckets {
            let rates = model.plain_rates(b.period, b.tier, b.batch);
            let Some((cost, premium)) = rates.checked_cost(&b.usage) else {
                all.overflowed = true;
                continue;
            };
            let mut totals = GroupTotals::of_call(&b.usage, Some(cost), premium, None);
            totals.calls = b.calls;
            totals.overflowed = b.overflowed;
            all.add(&totals);
        }
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// A shortened prompt has exactly the tokens asked for, no part
        /// grows, and the output is untouched.
        #[test]
        fn shrunk_prompts_sum_to_what_was_kept(
            input in 0u64..1 << 40,
            cache_read in 0u64..1 << 40,
            cache_write_5m in 0u64..1 << 40,
            cache_write_1h in 0u64..1 << 40,
            output in 0u64..1 << 40,
            keep in 0u64..=crate::scenario::PPM,
        ) {
            let usage = Usage { input, cache_read, cache_write_5m, cache_write_1h, output, ..Usage::default() };
            let to = Ratio(keep).apply(usage.prompt_tokens());
            let cut = shrunk(&usage, to);
            prop_assert_eq!(cut.prompt_tokens(), to);
            // Plain input takes the rounding of the three other parts.
            prop_assert!(cut.input <= usage.input + 3);
            prop_assert!(cut.cache_read <= usage.cache_read);
            prop_assert!(cut.cache_write_5m <= usage.cache_write_5m);
            prop_assert!(cut.cache_write_1h <= usage.cache_write_1h);
            prop_assert_eq!(cut.output, output);
        }
    }
}
