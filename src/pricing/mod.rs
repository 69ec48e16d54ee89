//! The pricing catalog: models, dated price periods, long-context tiers and
//! cache rules, loaded from TOML (`pricing/*.toml`, embedded at build time).

pub mod lists;
mod load;

use std::fmt;

use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};

use crate::money::{Money, Multiplier, Rate};
use crate::record::{CallOptions, OptionKey, Usage};

pub use load::{load_dir, load_embedded, load_texts, CatalogError, CatalogProblem, EMBEDDED_FILES};

/// How a provider caches prompt prefixes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheKind {
    /// Caller-placed breakpoints; writes cost a premium (Anthropic).
    Explicit,
    /// The provider caches prefixes by itself; no write premium (OpenAI,
    /// DeepSeek, Gemini implicit, xAI).
    Automatic,
    /// No prompt caching discount.
    None,
}

impl fmt::Display for CacheKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CacheKind::Explicit => "explicit",
            CacheKind::Automatic => "automatic",
            CacheKind::None => "none",
        })
    }
}

/// A cache time-to-live, e.g. `5m`, `1h`, `24h`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ttl {
    seconds: i64,
}

impl Ttl {
    pub const FIVE_MINUTES: Ttl = Ttl { seconds: 300 };
    pub const ONE_HOUR: Ttl = Ttl { seconds: 3600 };

    /// Parses `<n>s`, `<n>m` or `<n>h` with n > 0.
    pub fn parse(text: &str) -> Option<Ttl> {
        let unit = match text.as_bytes().last()? {
            b's' => 1,
            b'm' => 60,
            b'h' => 3600,
            _ => return None,
        };
        let n: i64 = text[..text.len() - 1].parse().ok().filter(|n| *n > 0)?;
        n.checked_mul(unit).map(|seconds| Ttl { seconds })
    }

    pub fn seconds(self) -> i64 {
        self.seconds
    }
}

impl fmt::Display for Ttl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.seconds;
        if s % 3600 == 0 {
            write!(f, "{}h", s / 3600)
        } else if s % 60 == 0 {
            write!(f, "{}m", s / 60)
        } else {
            write!(f, "{s}s")
        }
    }
}

/// Prompt-cache behaviour of a model, as data for the cache simulator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheRules {
    pub kind: CacheKind,
    /// Shortest prompt prefix that can be cached.
    pub min_tokens: u64,
    /// Cached lengths are rounded down to a multiple of this.
    pub increment: u64,
    /// TTL options, shortest first; the first is the default. Writes at the
    /// first TTL are priced `cache_write_5m`, at a longer one `cache_write_1h`.
    pub ttls: Vec<Ttl>,
    pub refresh_on_hit: bool,
    /// Storage charge for explicit context caches, USD per million tokens per hour.
    pub storage_per_mtok_hour: Option<Rate>,
    pub source: Option<String>,
}

/// Per-million-token prices for one kind of request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rates {
    pub input: Rate,
    pub output: Rate,
    pub cache_read: Option<Rate>,
    pub cache_write_5m: Option<Rate>,
    pub cache_write_1h: Option<Rate>,
}

impl Rates {
    /// What one call costs at these rates. Token kinds the model has no
    /// special price for are billed as plain input: a cache read on a model
    /// without a cache discount costs what the input would have.
    pub fn cost(&self, usage: &Usage) -> Money {
        self.class_costs(usage).total()
    }

    /// What each kind of token costs at these rates.
    pub fn class_costs(&self, usage: &Usage) -> ClassCosts {
        let [_, read, write_5m, write_1h, _] = self.per_kind();
        ClassCosts {
            input: self.input.cost(usage.input),
            cache_read: read.cost(usage.cache_read),
            cache_write: write_5m.cost(usage.cache_write_5m) + write_1h.cost(usage.cache_write_1h),
            output: self.output.cost(usage.output),
            tools: Money::ZERO,
        }
    }

    /// The rate of each kind of token: input, cache read, 5-minute cache
    /// write, 1-hour cache write, output. Kinds without a price of their
    /// own are billed as input (1-hour writes as 5-minute ones).
    pub fn per_kind(&self) -> [Rate; 5] {
        let write_5m = self.cache_write_5m.unwrap_or(self.input);
        [
            self.input,
            self.cache_read.unwrap_or(self.input),
            write_5m,
            self.cache_write_1h.unwrap_or(write_5m),
            self.output,
        ]
    }

    /// The cost of `usage` and its cache-write premium (what the writes cost
    /// beyond the input rate), as [`Model::price`] computes them without
    /// options, or `None` past the bounds of money: for usage summed over
    /// many calls, where the sums may be large.
    pub fn checked_cost(&self, usage: &Usage) -> Option<(Money, Money)> {
        let [input, read, write_5m, write_1h, output] = self.per_kind();
        // Each product fits: a u64 count times an i64 rate is below 2^127.
        let writes = write_5m
            .cost(usage.cache_write_5m)
            .checked_add(write_1h.cost(usage.cache_write_1h))?;
        let cost = input
            .cost(usage.input)
            .checked_add(read.cost(usage.cache_read))?
            .checked_add(writes)?
            .checked_add(output.cost(usage.output))?;
        let written = usage.cache_write_5m.checked_add(usage.cache_write_1h)?;
        Some((cost, writes.checked_sub(input.cost(written))?))
    }

    fn scaled(&self, m: Multiplier) -> Rates {
        Rates {
            input: self.input.scaled(m),
            output: self.output.scaled(m),
            cache_read: self.cache_read.map(|r| r.scaled(m)),
            cache_write_5m: self.cache_write_5m.map(|r| r.scaled(m)),
            cache_write_1h: self.cache_write_1h.map(|r| r.scaled(m)),
        }
    }
}

/// One call's cost split by kind of token (reasoning is billed as output).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClassCosts {
    pub input: Money,
    pub cache_read: Money,
    pub cache_write: Money,
    pub output: Money,
    /// Fees per server tool use (web searches): money outside tokens.
    pub tools: Money,
}

impl ClassCosts {
    pub fn total(&self) -> Money {
        self.input + self.cache_read + self.cache_write + self.output + self.tools
    }
}

/// A price per use of a server-side tool (Anthropic web search: $10 per
/// 1,000 searches), over a date range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fee {
    /// The tool as logs count it (`web_search`).
    pub tool: String,
    /// Per use, in femto-dollars.
    pub per_use: Money,
    pub from: Option<Moment>,
    pub until: Option<Moment>,
    pub source: String,
    pub retrieved: NaiveDate,
}

impl Fee {
    /// The price of 1,000 uses, as the catalog states it.
    pub fn per_thousand(&self) -> Money {
        Money(self.per_use.0 * 1000)
    }

    fn applies_at(&self, at: Option<Moment>) -> bool {
        in_dates(self.from, self.until, at)
    }
}

/// Whether something dated `from..until` (either open) applies at `at`;
/// `None` asks for the newest prices: what has no end.
fn in_dates(from: Option<Moment>, until: Option<Moment>, at: Option<Moment>) -> bool {
    match at {
        Some(t) => from.is_none_or(|f| t >= f) && until.is_none_or(|u| t < u),
        None => until.is_none(),
    }
}

/// The prompt of the mean request of a call standing for `requests`
/// requests: it picks the long-context tier, as each request would have
/// been billed.
pub fn mean_request_prompt(usage: &Usage, requests: u64) -> u64 {
    usage.prompt_tokens().div_ceil(requests.max(1))
}

/// An instant as seconds and nanoseconds since the epoch: ordered as the
/// instant, and cheaper to compare than a date and a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct InstantKey(i64, u32);

impl InstantKey {
    pub fn of(at: DateTime<Utc>) -> InstantKey {
        InstantKey(at.timestamp(), at.timestamp_subsec_nanos())
    }
}

/// A model's price period for each stretch of time between the bounds of
/// its periods (see [`Model::period_lookup`]).
#[derive(Debug, Clone)]
pub struct PeriodLookup {
    bounds: Vec<InstantKey>,
    /// One more than `bounds`: before the first, then from each bound on.
    periods: Vec<usize>,
}

impl PeriodLookup {
    pub fn at(&self, at: InstantKey) -> usize {
        self.periods[self.bounds.partition_point(|b| *b <= at)]
    }

    /// Where the period may change: between two bounds it does not.
    pub fn bounds(&self) -> &[InstantKey] {
        &self.bounds
    }
}

/// Where a price period, variant or fee starts or ends: midnight UTC of a
/// day (`2025-09-29`), or an instant for prices that changed mid-day
/// (`2025-09-05T16:00:00Z`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Moment(pub DateTime<Utc>);

impl Moment {
    /// Midnight UTC at the start of `day`.
    pub fn day(day: NaiveDate) -> Moment {
        Moment(day.and_time(chrono::NaiveTime::MIN).and_utc())
    }

    pub fn date(self) -> NaiveDate {
        self.0.date_naive()
    }
}

impl fmt::Display for Moment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.time() == chrono::NaiveTime::MIN {
            write!(f, "{}", self.0.date_naive())
        } else {
            write!(f, "{}", self.0.format("%Y-%m-%dT%H:%M:%SZ"))
        }
    }
}

/// Higher rates for the whole request once its prompt exceeds a threshold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tier {
    pub above_prompt_tokens: u64,
    pub rates: Rates,
}

/// Prices in effect over a date range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    /// When the prices start to apply.
    pub from: Moment,
    /// When they no longer apply, if they were replaced.
    pub until: Option<Moment>,
    pub rates: Rates,
    /// Long-context tiers, ascending by threshold.
    pub tiers: Vec<Tier>,
    pub batch_multiplier: Option<Multiplier>,
    pub source: String,
    pub retrieved: NaiveDate,
}

impl Period {
    /// The tier a prompt of this size falls in: the highest threshold it
    /// exceeds, or `None` for the base rates.
    pub fn tier_for(&self, prompt_tokens: u64) -> Option<usize> {
        self.tiers
            .iter()
            .rposition(|t| prompt_tokens > t.above_prompt_tokens)
    }

    /// The rates of `tier`, or the base rates.
    fn rates_in(&self, tier: Option<usize>) -> Rates {
        tier.map_or(self.rates, |t| self.tiers[t].rates)
    }

    /// The tier of a call standing for `requests` requests.
    pub fn tier_for_call(&self, usage: &Usage, requests: u64) -> Option<usize> {
        self.tier_for(mean_request_prompt(usage, requests))
    }

    /// `rates` through the batch API if `batch`, and whether the batch
    /// price was asked for but this period has none (standard rates then).
    fn through_batch(&self, rates: Rates, batch: bool) -> (Rates, bool) {
        match (batch, self.batch_multiplier) {
            (true, Some(m)) => (rates.scaled(m), false),
            (true, None) => (rates, true),
            (false, _) => (rates, false),
        }
    }

    pub fn contains(&self, at: Moment) -> bool {
        at >= self.from && self.until.is_none_or(|u| at < u)
    }
}

/// What a request option does to a model's prices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VariantPrice {
    /// Every rate of the call's period and tier, cache rates included, times
    /// this (fast mode, data residency, flex).
    Multiplier(Multiplier),
    /// Rates of their own in place of the period's, tiers included (OpenAI
    /// priority processing).
    Rates(Rates),
}

/// A UTC clock window on some days of the week: DeepSeek's off-peak hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockWindow {
    /// Minutes after midnight UTC; the window is `start <= t < end`, and
    /// wraps past midnight when `end <= start` (16:30-00:30).
    pub start: u32,
    pub end: u32,
    /// Days it applies on, Monday first (a wrapping window belongs to the
    /// day it starts on).
    pub days: [bool; 7],
}

impl ClockWindow {
    pub fn contains(&self, at: DateTime<Utc>) -> bool {
        let minute = at.hour() * 60 + at.minute();
        let today = at.weekday().num_days_from_monday() as usize;
        if self.start < self.end {
            self.days[today] && (self.start..self.end).contains(&minute)
        } else {
            // After midnight, the window opened the day before.
            let yesterday = (today + 6) % 7;
            (self.days[today] && minute >= self.start)
                || (self.days[yesterday] && minute < self.end)
        }
    }
}

impl fmt::Display for ClockWindow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hm = |m: u32| format!("{:02}:{:02}", m / 60, m % 60);
        // A window to midnight reads "-24:00".
        let end = if self.end == 0 { 24 * 60 } else { self.end };
        write!(f, "UTC {}-{}", hm(self.start), hm(end))?;
        if self.days.iter().all(|d| *d) {
            return Ok(());
        }
        let days: Vec<&str> = DAY_NAMES
            .iter()
            .zip(self.days)
            .filter(|(_, on)| *on)
            .map(|(n, _)| *n)
            .collect();
        write!(f, " on {}", days.join(", "))
    }
}

/// Days of the week as the catalog names them, Monday first.
pub const DAY_NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// What makes a variant's prices apply to a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    /// The call was made with a request option (`speed = fast`).
    Option { key: OptionKey, value: String },
    /// The call was made inside a clock window (off-peak hours).
    Clock(ClockWindow),
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Condition::Option { key, value } => write!(f, "{} = {value}", key.name()),
            Condition::Clock(w) => write!(f, "{w}"),
        }
    }
}

/// Prices for requests made with one option (`speed = fast`,
/// `service_tier = priority`, `inference_geo = us`) or at some hours
/// (off-peak), over a date range: options are added and withdrawn per model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variant {
    pub when: Condition,
    pub from: Option<Moment>,
    pub until: Option<Moment>,
    pub price: VariantPrice,
    pub source: String,
    pub retrieved: NaiveDate,
}

impl Variant {
    /// Whether it prices requests made at `at`; `None` is the newest prices.
    fn applies_at(&self, at: Option<Moment>) -> bool {
        in_dates(self.from, self.until, at)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Model {
    pub id: String,
    pub name: String,
    pub provider: String,
    pub aliases: Vec<String>,
    pub context_window: u64,
    pub max_output: Option<u64>,
    /// An embedding model: it prices input tokens and answers no prompt, so
    /// sweeps, routes, cascades and compaction never send calls to it.
    pub embedding: bool,
    pub cache: CacheRules,
    /// In date order, not overlapping.
    pub periods: Vec<Period>,
    /// Prices of request options (the model's own, then its file's).
    pub variants: Vec<Variant>,
    /// Fees per server tool use (the model's own, then its file's).
    pub fees: Vec<Fee>,
    /// Catalog file the model comes from.
    pub file: String,
}

/// Which price period to use for a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PricingDate {
    /// The period in effect on the day of the call (the default).
    AtCall,
    /// The period in effect on this day, for every call.
    Fixed(NaiveDate),
    /// The newest period of each model (for forecasts).
    Latest,
}

impl fmt::Display for PricingDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PricingDate::AtCall => f.write_str("at each call's date"),
            PricingDate::Fixed(d) => write!(f, "as of {d}"),
            PricingDate::Latest => f.write_str("latest"),
        }
    }
}

/// The price of one call and where it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Priced {
    pub cost: Money,
    /// The same, by kind of token.
    pub by_class: ClassCosts,
    pub period: usize,
    pub tier: Option<usize>,
    /// The call predates the model's first price period and was priced at it.
    pub before_first_period: bool,
    /// The call was marked batch but the model has no batch price.
    pub batch_unavailable: bool,
    /// The call names a request option the model has no price for on its
    /// date (priced at standard rates).
    pub option_unpriced: bool,
    /// What the cache writes cost beyond the same tokens at the input rate.
    pub write_premium: Money,
}

impl Model {
    /// The period for a moment: the one containing it, else the last one that
    /// started before it; a moment before every period gets the first.
    pub fn period_index(&self, at: Moment) -> (usize, bool) {
        if let Some(i) = self.periods.iter().position(|p| p.contains(at)) {
            return (i, false);
        }
        match self.periods.iter().rposition(|p| p.from <= at) {
            Some(i) => (i, false),
            None => (0, true),
        }
    }

    /// The variant pricing `option = value` at `when` (`None`: the newest).
    fn variant(&self, option: OptionKey, value: &str, when: Option<Moment>) -> Option<&Variant> {
        self.variants.iter().find(|v| {
            matches!(&v.when, Condition::Option { key, value: wanted } if *key == option && wanted == value)
                && v.applies_at(when)
        })
    }

    /// The clock-window variant pricing a call made `at` (`when` as in
    /// [`Model::variant`]).
    fn clock_variant(&self, at: DateTime<Utc>, when: Option<Moment>) -> Option<&Variant> {
        self.variants.iter().find(|v| {
            matches!(&v.when, Condition::Clock(w) if w.contains(at)) && v.applies_at(when)
        })
    }

    /// The price period of a call made `at` priced as of `date`, whether
    /// `at` is before the first period, and the moment that picks variants
    /// and fees (`None`: the newest).
    pub fn period_at(&self, date: PricingDate, at: DateTime<Utc>) -> (usize, bool, Option<Moment>) {
        // Fixed dates price as at midnight UTC starting that day.
        match date {
            PricingDate::AtCall => {
                let (i, before) = self.period_index(Moment(at));
                (i, before, Some(Moment(at)))
            }
            PricingDate::Fixed(d) => {
                let (i, before) = self.period_index(Moment::day(d));
                (i, before, Some(Moment::day(d)))
            }
            PricingDate::Latest => (self.periods.len() - 1, false, None),
        }
    }

    /// Which period prices a call, as [`Model::period_at`] picks it for
    /// `date`, looked up fast: for a sweep, which asks every model for
    /// every call.
    pub fn period_lookup(&self, date: PricingDate) -> PeriodLookup {
        if date != PricingDate::AtCall {
            // A fixed date or the newest prices: one period for every call.
            return PeriodLookup {
                bounds: Vec::new(),
                periods: vec![self.period_at(date, DateTime::<Utc>::MIN_UTC).0],
            };
        }
        let mut bounds: Vec<DateTime<Utc>> = self
            .periods
            .iter()
            .flat_map(|p| [Some(p.from), p.until])
            .flatten()
            .map(|m| m.0)
            .collect();
        bounds.sort();
        bounds.dedup();
        // Between two bounds no period starts or ends, so one instant
        // answers for the whole stretch: the stretch's first.
        let periods = std::iter::once(DateTime::<Utc>::MIN_UTC)
            .chain(bounds.iter().copied())
            .map(|at| self.period_index(Moment(at)).0)
            .collect();
        PeriodLookup {
            bounds: bounds.iter().map(|&at| InstantKey::of(at)).collect(),
            periods,
        }
    }

    /// Whether some price depends on the time of day (off-peak windows).
    pub fn has_clock_prices(&self) -> bool {
        self.variants
            .iter()
            .any(|v| matches!(v.when, Condition::Clock(_)))
    }

    /// The rates [`Model::price`] uses for a call without request options
    /// outside any clock window, in `period` and `tier`, through the batch
    /// API if `batch`.
    pub fn plain_rates(&self, period: usize, tier: Option<usize>, batch: bool) -> Rates {
        let period = &self.periods[period];
        period.through_batch(period.rates_in(tier), batch).0
    }

    /// Prices one call's usage, made `at` with `options`, standing for
    /// `requests` API requests (an aggregated usage row: more than one). The
    /// long-context tier is chosen by the mean request's prompt, as each
    /// request would have been billed.
    pub fn price(
        &self,
        usage: &Usage,
        requests: u64,
        batch: bool,
        options: &CallOptions,
        date: PricingDate,
        at: DateTime<Utc>,
    ) -> Priced {
        let (period_index, before_first_period, day) = self.period_at(date, at);
        let period = &self.periods[period_index];
        let mut tier = period.tier_for_call(usage, requests);
        let mut rates = period.rates_in(tier);
        // Options: rates of their own first, then multipliers on whatever
        // rates apply, so they stack (fast mode in the US region).
        let mut option_unpriced = false;
        let clock = self.clock_variant(at, day);
        // Most calls set no option and meet no clock window: nothing to
        // collect (this runs for every call on every swept model).
        let mut chosen = options.iter().peekable();
        let found: Vec<&Variant> = if chosen.peek().is_none() && clock.is_none() {
            Vec::new()
        } else {
            chosen
                .filter_map(|(key, value)| {
                    let v = self.variant(key, value, day);
                    option_unpriced |= v.is_none();
                    v
                })
                .chain(clock)
                .collect()
        };
        for v in &found {
            if let VariantPrice::Rates(own) = v.price {
                rates = own;
                tier = None;
            }
        }
        for v in &found {
            if let VariantPrice::Multiplier(m) = v.price {
                rates = rates.scaled(m);
            }
        }
        let (rates, batch_unavailable) = period.through_batch(rates, batch);
        let writes = Usage {
            cache_write_5m: usage.cache_write_5m,
            cache_write_1h: usage.cache_write_1h,
            ..Usage::default()
        };
        let mut by_class = rates.class_costs(usage);
        for (tool, uses) in &options.tool_uses {
            if let Some(fee) = self
                .fees
                .iter()
                .find(|f| &f.tool == tool && f.applies_at(day))
            {
                by_class.tools += Money(fee.per_use.0 * i128::from(*uses));
            }
        }
        Priced {
            cost: by_class.total(),
            by_class,
            write_premium: rates.cost(&writes) - rates.input.cost(writes.cache_write()),
            period: period_index,
            tier,
            before_first_period,
            batch_unavailable,
            option_unpriced,
        }
    }
}

/// Every model of every provider, with an index over ids and aliases.
#[derive(Debug, Clone)]
pub struct Catalog {
    pub models: Vec<Model>,
    /// Lower-cased id or alias -> model index.
    /// A fast hash: every call read is looked up here.
    index: foldhash::HashMap<String, usize>,
    /// Where the catalog came from: "embedded" or a directory.
    pub origin: String,
}

impl Catalog {
    fn new(models: Vec<Model>, origin: String) -> Self {
        let mut index = foldhash::HashMap::default();
        for (i, m) in models.iter().enumerate() {
            index.insert(m.id.to_lowercase(), i);
            for a in &m.aliases {
                index.insert(a.to_lowercase(), i);
            }
        }
        Catalog {
            models,
            index,
            origin,
        }
    }

    /// The catalog version: the newest retrieval date of any price.
    pub fn version(&self) -> String {
        self.models
            .iter()
            .flat_map(|m| {
                let periods = m.periods.iter().map(|p| p.retrieved);
                periods
                    .chain(m.variants.iter().map(|v| v.retrieved))
                    .chain(m.fees.iter().map(|f| f.retrieved))
            })
            .max()
            .map_or_else(|| "empty".to_string(), |d| d.to_string())
    }

    /// Finds a model by id or alias, case-insensitively, also trying the name
    /// without a `provider/` prefix and without a date suffix
    /// (`-20250929`, `-2025-09-29`, `@20250929`).
    pub fn resolve(&self, name: &str) -> Option<&Model> {
        self.resolve_index(name).map(|i| &self.models[i])
    }

    pub fn resolve_index(&self, name: &str) -> Option<usize> {
        let trimmed = name.trim();
        // Most names are lower case already: looked up without a copy.
        let key = if trimmed
            .bytes()
            .any(|b| b.is_ascii_uppercase() || !b.is_ascii())
        {
            std::borrow::Cow::Owned(trimmed.to_lowercase())
        } else {
            std::borrow::Cow::Borrowed(trimmed)
        };
        let key = key.as_ref();
        if let Some(&i) = self.index.get(key) {
            return Some(i);
        }
        // OpenRouter's routing suffixes pick a provider, not a price:
        // `model:nitro` costs what `model` costs. (`:free` and `:online`
        // change the price: readers move them into the call's options.)
        if let Some(base) = ROUTING_SUFFIXES.iter().find_map(|s| key.strip_suffix(s)) {
            return self.resolve_index(base);
        }
        let unprefixed = key.rsplit('/').next().unwrap_or(key);
        if let Some(&i) = self.index.get(unprefixed) {
            return Some(i);
        }
        let undated = strip_date_suffix(unprefixed);
        if let Some(&i) = self.index.get(undated) {
            return Some(i);
        }
        // A fine-tuned model, `ft:BASE:org:name:id`, costs the catalog's
        // `ft:BASE` (fine-tuned inference prices of its base model).
        let mut parts = unprefixed.splitn(3, ':');
        match (parts.next(), parts.next()) {
            (Some("ft"), Some(base)) if !base.is_empty() => {
                let ft = format!("ft:{base}");
                self.index
                    .get(&ft)
                    .or_else(|| self.index.get(&format!("ft:{}", strip_date_suffix(base))))
                    .copied()
            }
            _ => None,
        }
    }

    /// Up to three catalog ids that look like `name`, best first.
    pub fn suggest(&self, name: &str) -> Vec<String> {
        // Model names are short; the similarity scales with the length, so
        // a name far longer than any model's (garbage in a log) gets none.
        const LONGEST_NAME: usize = 200;
        if name.len() > LONGEST_NAME {
            return Vec::new();
        }
        let key = name.trim().to_lowercase();
        let mut scored: Vec<(f64, &str)> = self
            .models
            .iter()
            .map(|m| {
                let best = std::iter::once(&m.id)
                    .chain(m.aliases.iter())
                    .filter(|candidate| same_version(&key, &candidate.to_lowercase()))
                    .map(|candidate| strsim::jaro_winkler(&key, &candidate.to_lowercase()))
                    .fold(0.0, f64::max);
                (best, m.id.as_str())
            })
            .filter(|(score, _)| *score >= 0.75)
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
        scored
            .into_iter()
            .take(3)
            .map(|(_, id)| id.to_string())
            .collect()
    }

    pub fn providers(&self) -> Vec<String> {
        let mut providers: Vec<String> = self.models.iter().map(|m| m.provider.clone()).collect();
        providers.sort();
        providers.dedup();
        providers
    }
}

/// OpenRouter model-name suffixes that choose how a request is routed
/// (fastest or cheapest provider, a tool-calling-tuned provider) or served
/// (`:thinking` turns extended thinking on, `:beta` skips OpenRouter's
/// moderation), billed at the model's own price.
const ROUTING_SUFFIXES: [&str; 5] = [":nitro", ":floor", ":exacto", ":thinking", ":beta"];

/// Whether two model names could be the same model misspelt: their first
/// `-`-separated parts with a digit (the version: `3.5`, `4o`, `2.5`) are the
/// same when both have one, so gpt-3.5-turbo never suggests gpt-5-pro.
fn same_version(a: &str, b: &str) -> bool {
    let version = |name: &str| {
        let name = name.rsplit('/').next().unwrap_or(name);
        name.split('-')
            .find(|part| part.bytes().any(|c| c.is_ascii_digit()))
            .map(str::to_string)
    };
    match (version(a), version(b)) {
        (Some(x), Some(y)) => x == y,
        _ => true,
    }
}

fn strip_date_suffix(name: &str) -> &str {
    let bytes = name.as_bytes();
    let digits = |s: &[u8]| s.iter().all(u8::is_ascii_digit);
    // -20250929 or @20250929
    if bytes.len() > 9 {
        let (head, tail) = bytes.split_at(bytes.len() - 9);
        if (tail[0] == b'-' || tail[0] == b'@') && digits(&tail[1..]) && !head.is_empty() {
            return &name[..name.len() - 9];
        }
    }
    // -2025-09-29
    if bytes.len() > 11 {
        let tail = &bytes[bytes.len() - 11..];
        if tail[0] == b'-'
            && digits(&tail[1..5])
            && tail[5] == b'-'
            && digits(&tail[6..8])
            && tail[8] == b'-'
            && digits(&tail[9..11])
        {
            return &name[..name.len() - 11];
        }
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn period_lookup_agrees_with_period_index() {
        let catalog = load_embedded().unwrap();
        let second = chrono::Duration::seconds(1);
        let nano = chrono::Duration::nanoseconds(1);
        for model in &catalog.models {
            let lookup = model.period_lookup(PricingDate::AtCall);
            // Every bound, just before and just after it, and the extremes.
            let mut instants = vec![DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC];
            for p in &model.periods {
                for m in [Some(p.from), p.until].into_iter().flatten() {
                    instants.extend([m.0 - second, m.0 - nano, m.0, m.0 + nano, m.0 + second]);
                }
            }
            for at in instants {
                assert_eq!(
                    lookup.at(InstantKey::of(at)),
                    model.period_index(Moment(at)).0,
                    "{} at {at}",
                    model.id
                );
            }
            let day = NaiveDate::from_ymd_opt(2025, 3, 1).unwrap();
            for date in [PricingDate::Latest, PricingDate::Fixed(day)] {
                let fixed = model.period_lookup(date);
                let at = InstantKey::of(DateTime::<Utc>::MIN_UTC);
                assert_eq!(fixed.at(at), model.period_at(date, Utc::now()).0);
            }
        }
    }

    #[test]
    fn strips_date_suffixes() {
        assert_eq!(
            strip_date_suffix("claude-sonnet-4-5-20250929"),
            "claude-sonnet-4-5"
        );
        assert_eq!(strip_date_suffix("gpt-4o-2024-08-06"), "gpt-4o");
        assert_eq!(
            strip_date_suffix("claude-3-5-sonnet@20240620"),
            "claude-3-5-sonnet"
        );
        assert_eq!(strip_date_suffix("gpt-5"), "gpt-5");
    }

    #[test]
    fn fine_tuned_ids_resolve_to_their_base_fine_tune_price() {
        let catalog = load_embedded().unwrap();
        let id = |name: &str| catalog.resolve(name).map(|m| m.id.as_str());
        assert_eq!(id("ft:gpt-4.1-mini:acme::abc123"), Some("ft:gpt-4.1-mini"));
        assert_eq!(
            id("ft:gpt-4o-mini-2024-07-18:acme:support:9xQ"),
            Some("ft:gpt-4o-mini")
        );
        assert_eq!(id("ft:gpt-4.1-2025-04-14:org::x"), Some("ft:gpt-4.1"));
        assert_eq!(id("ft:unknown-base:org::x"), None);
    }

    #[test]
    fn openrouter_routing_suffixes_cost_the_model() {
        let catalog = load_embedded().unwrap();
        let id = |name: &str| catalog.resolve(name).map(|m| m.id.as_str());
        assert_eq!(
            id("anthropic/claude-sonnet-4.5:nitro"),
            Some("claude-sonnet-4-5")
        );
        assert_eq!(id("openai/gpt-5-mini:floor"), Some("gpt-5-mini"));
        // A free variant is another price: not the paid model's.
        assert_eq!(id("deepseek/deepseek-chat:free"), None);
    }

    #[test]
    fn suggestions_stay_in_the_same_version() {
        assert!(!same_version("gpt-3.5-turbo-9999", "gpt-5-pro"));
        assert!(same_version("claude-sonet-4-5", "claude-sonnet-4-5"));
        assert!(same_version("gpt-4o-mni", "gpt-4o-mini"));
        let catalog = load_embedded().unwrap();
        let suggested = catalog.suggest("gpt-3.5-turbo-9999");
        assert!(
            suggested.iter().all(|s| s.starts_with("gpt-3.5")),
            "{suggested:?}"
        );
        assert!(!suggested.is_empty());
        // A megabyte of garbage as a model name gets no suggestion (and
        // costs no time comparing it with every model).
        let garbage = format!("claude-sonnet-4-5{}", "x".repeat(1 << 20));
        assert!(catalog.suggest(&garbage).is_empty());
    }

    fn rates(input: &str, output: &str) -> Rates {
        Rates {
            input: Rate::parse_usd_per_mtok(input).unwrap(),
            output: Rate::parse_usd_per_mtok(output).unwrap(),
            cache_read: None,
            cache_write_5m: None,
            cache_write_1h: None,
        }
    }

    #[test]
    fn tier_applies_to_the_whole_request_above_threshold() {
        let period = Period {
            from: Moment::day(NaiveDate::from_ymd_opt(2025, 1, 1).unwrap()),
            until: None,
            rates: rates("3", "15"),
            tiers: vec![Tier {
                above_prompt_tokens: 200_000,
                rates: rates("6", "22.5"),
            }],
            batch_multiplier: None,
            source: String::new(),
            retrieved: NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
        };
        assert_eq!(period.tier_for(200_000), None);
        assert_eq!(period.tier_for(200_001), Some(0));
    }

    #[test]
    fn uncached_kinds_fall_back_to_input() {
        let r = rates("2", "8");
        let usage = Usage {
            input: 1_000_000,
            cache_read: 1_000_000,
            cache_write_5m: 1_000_000,
            cache_write_1h: 1_000_000,
            output: 0,
            reasoning: 0,
        };
        assert_eq!(r.cost(&usage).to_decimal_string(2), "8.00");
    }
}
