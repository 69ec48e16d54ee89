//! The replay pipeline: read every source, price every call, aggregate.
//!
//! Sources are read in parallel (one rayon task per file); each task keeps
//! its own aggregate and counters, and the results are merged in source order.
//! The baseline, and scenarios that price each call alone (`cache-off`,
//! sweeps, routes), are priced as calls are read. Scenarios that need event
//! order (cache simulation, caps) get the parsed calls sorted by time, and
//! each is evaluated in parallel over that one list: the input is parsed
//! once. Money sums are exact integers, so the report is the same whatever
//! the thread count or input order.

mod evaluate;
mod sink;
pub mod spool;
mod time_order;

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use rayon::prelude::*;

use crate::cache::PromptShape;
use std::sync::Arc;

use crate::ingest::format::{Copies, Dedup, InputFormat};
use crate::ingest::{self, LineError, SkipReason, Source, SourceFormats};
use crate::pricing::{Catalog, Priced, PricingDate};
use crate::record::Call;
use crate::report::aggregate::AggregateError;
use crate::report::line_items::{LineItemsError, LineItemsWriter};
use crate::report::tasks::TaskSummary;
use crate::report::{
    Dimension, Header, LatencyRow, Report, ScenarioResult, ScenarioStats, TimelinePoint,
    UnpricedModel,
};
use crate::scenario::Scenario;
use crate::zone::Zone;
use evaluate::{Evaluated, Evaluator, LazyKeys, Pending, SweepEvaluator};
use sink::Sink;
use spool::{Buffers, Spool, SpoolDir, SpoolError};
use time_order::TimeOrder;

/// How many skipped lines are kept with their `file:line` for display.
pub const KEPT_LINE_ERRORS: usize = 20;

/// What to replay and how.
#[derive(Debug, Clone)]
pub struct ReplaySpec {
    pub sources: Vec<Source>,
    pub dims: Vec<Dimension>,
    /// The calls kept: `--since`, `--until`.
    pub window: Window,
    /// Where days, weeks and months are cut (`--timezone`).
    pub zone: Zone,
    pub pricing_date: PricingDate,
    /// Worker threads; `None` uses every core.
    pub threads: Option<usize>,
    /// Scenarios to compare with the baseline (which is not in this list).
    pub scenarios: Vec<Scenario>,
    /// Tokens at the start of every prompt shared across the sessions of a
    /// cache scope (a common system prompt), for inferred cache prefixes.
    pub shared_prefix: u64,
    /// The format sources are read as where not detected per file.
    pub formats: SourceFormats,
    /// What reading the command line found, for the header's notes.
    pub input_notes: Vec<String>,
    /// Responses already counted, across files.
    pub dedup: Arc<Dedup>,
    /// The time of records that carry none (`--assume-time`); without it,
    /// their file's modification time.
    pub assume_time: Option<DateTime<Utc>>,
    /// Also report the N most expensive sessions.
    pub top: Option<usize>,
    /// `--tasks`: per-task sums in every scenario.
    pub tasks: bool,
    /// Also keep totals per hour, scenario and model (for the HTML charts).
    pub timeline: bool,
    /// Also keep one row per priced call per scenario (`--line-items`).
    pub line_items: bool,
    /// Where scenario runs spill calls, and how many a buffer holds first.
    pub spool_dir: Arc<SpoolDir>,
    pub spool_calls: usize,
    /// Step the scenarios priced in time order as calls are read, with no
    /// spool, when the inputs can be read again should a call come out of
    /// order (`false`: always spool; tests compare the two).
    pub stream: bool,
    /// The command named in the report header: `replay` or `estimate`.
    pub command: &'static str,
}

impl ReplaySpec {
    /// The baseline followed by the requested scenarios.
    pub fn all_scenarios(&self) -> Vec<Scenario> {
        let mut all = vec![Scenario::baseline()];
        all.extend(self.scenarios.iter().cloned());
        all
    }

    /// Whether calls go through scenario evaluators (with their per-model
    /// totals and counts) rather than straight to the breakdown: with any
    /// scenario, and with line items.
    fn collects(&self) -> bool {
        !self.scenarios.is_empty() || self.line_items
    }

    /// Whether `scenario` is priced in time order, after every input is
    /// read: it keeps state from call to call (see [`evaluate::order_free`]),
    /// or line items are written (in time order). The others are priced as
    /// calls are read.
    fn in_time_order(&self, scenario: &Scenario) -> bool {
        self.line_items || !evaluate::order_free(scenario)
    }
}

/// A replay's report and the diagnostics that go to stderr.
#[derive(Debug)]
pub struct ReplayOutcome {
    pub report: Report,
    /// The first [`KEPT_LINE_ERRORS`] skipped lines, in input order.
    pub line_errors: Vec<LineError>,
    /// Files that could not be opened, with why.
    pub unreadable: Vec<String>,
    /// Files with no lines at all.
    pub empty_files: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error(transparent)]
    Aggregate(#[from] AggregateError),
    #[error("cannot start {threads} worker threads: {message}")]
    Threads { threads: usize, message: String },
    #[error(transparent)]
    Spool(#[from] SpoolError),
    #[error(transparent)]
    LineItems(#[from] LineItemsError),
}

/// A latency as counted: exact below 10 s, then to four significant
/// digits (123,456 ms counts as 123,400), so that a model's counts hold at
/// most about 9,000 values per power of ten whatever the input.
fn latency_bucket(ms: u64) -> u64 {
    let mut unit = 1;
    while ms / unit >= 10_000 {
        unit *= 10;
    }
    ms - ms % unit
}

/// Per-source results, merged at the end.
struct Partial<'a> {
    sink: Sink,
    /// Evaluators of the scenarios priced as calls are read, the number of
    /// calls they saw, and what those of partials merged into this one
    /// produced, by scenario number.
    free: Vec<Stepper<'a>>,
    free_calls: u64,
    evaluated: BTreeMap<usize, Evaluated>,
    /// Calls kept for the time-ordered scenario evaluation.
    spool: Spool,
    /// Which copy of each response that logs may write several times wins
    /// so far, and the copies that may still win, prepared: they are
    /// counted once every input is read.
    copies: Copies,
    held: Spool,
    lines: u64,
    calls: u64,
    filtered_out: u64,
    skipped: BTreeMap<SkipReason, u64>,
    line_errors: Vec<LineError>,
    unreadable: Vec<String>,
    empty_files: Vec<String>,
    first: Option<DateTime<Utc>>,
    last: Option<DateTime<Utc>>,
    unpriced: HashMap<String, u64>,
    before_first_period: u64,
    batch_unavailable: u64,
    /// Calls whose records carry no time, dated by assumption.
    undated: u64,
    /// Calls with a request option their model has no price for.
    option_unpriced: u64,
    /// Files read per format name.
    formats: BTreeMap<&'static str, u64>,
    /// Calls counted per input format.
    format_calls: BTreeMap<&'static str, u64>,
    not_calls: u64,
    duplicates: u64,
    /// Latencies the logs record, per model: how many calls took each
    /// number of milliseconds (see [`latency_bucket`]).
    latencies: BTreeMap<String, BTreeMap<u64, u64>>,
}

impl<'a> Partial<'a> {
    fn new(reading: Reading<'a>) -> Self {
        let spec = reading.spec;
        Partial {
            // With scenarios (or line items), totals come from evaluators.
            sink: Sink::new(spec.dims.len(), false)
                .with_sessions(spec.top.is_some())
                .with_tasks(spec.tasks && !spec.collects())
                .with_timeline(spec.timeline && !spec.collects(), spec.zone),
            free: if spec.collects() {
                reading.steppers(false)
            } else {
                Vec::new()
            },
            free_calls: 0,
            evaluated: BTreeMap::new(),
            spool: Spool::with_buffer(
                spec.spool_dir.clone(),
                spec.spool_calls,
                reading.buffers.take(),
            ),
            copies: Copies::default(),
            held: Spool::new(spec.spool_dir.clone(), spec.spool_calls),
            lines: 0,
            calls: 0,
            filtered_out: 0,
            skipped: BTreeMap::new(),
            line_errors: Vec::new(),
            unreadable: Vec::new(),
            empty_files: Vec::new(),
            first: None,
            last: None,
            unpriced: HashMap::new(),
            before_first_period: 0,
            batch_unavailable: 0,
            undated: 0,
            option_unpriced: 0,
            formats: BTreeMap::new(),
            format_calls: BTreeMap::new(),
            not_calls: 0,
            duplicates: 0,
            latencies: BTreeMap::new(),
        }
    }

    fn skip(&mut self, error: LineError) {
        *self.skipped.entry(error.reason).or_default() += 1;
        if self.line_errors.len() < KEPT_LINE_ERRORS {
            self.line_errors.push(error);
        }
    }

    /// Finishes the evaluators of the scenarios priced as calls were read
    /// and adds their results to those of the partials merged before.
    fn settle(&mut self) -> Result<(), AggregateError> {
        let free = std::mem::take(&mut self.free);
        // A partial that priced nothing adds nothing (thousands of small
        // files, each with a hundred swept models).
        if std::mem::take(&mut self.free_calls) == 0 {
            return Ok(());
        }
        for (index, evaluated) in free.into_iter().flat_map(Stepper::finish) {
            self.add_evaluated(index, evaluated)?;
        }
        Ok(())
    }

    fn add_evaluated(&mut self, index: usize, evaluated: Evaluated) -> Result<(), AggregateError> {
        match self.evaluated.entry(index) {
            std::collections::btree_map::Entry::Vacant(v) => {
                v.insert(evaluated);
            }
            std::collections::btree_map::Entry::Occupied(mut o) => o.get_mut().merge(evaluated)?,
        }
        Ok(())
    }

    /// Shifts the line numbers of everything read, for a piece of a file
    /// that follows `offset` lines of it.
    fn shift_lines(&mut self, offset: u64) {
        for e in &mut self.line_errors {
            e.line += offset;
        }
        self.spool.shift_lines(offset);
        self.copies.shift_lines(offset);
        self.held.shift_lines(offset);
    }

    fn merge(&mut self, mut other: Partial) -> Result<(), ReplayError> {
        other.settle()?;
        for (index, evaluated) in std::mem::take(&mut other.evaluated) {
            self.add_evaluated(index, evaluated)?;
        }
        self.sink.merge(other.sink)?;
        self.spool.merge(other.spool)?;
        self.copies.merge(other.copies);
        self.held.merge(other.held)?;
        self.lines += other.lines;
        self.calls += other.calls;
        self.filtered_out += other.filtered_out;
        for (reason, n) in other.skipped {
            *self.skipped.entry(reason).or_default() += n;
        }
        self.line_errors.extend(other.line_errors);
        self.line_errors.truncate(KEPT_LINE_ERRORS);
        self.unreadable.extend(other.unreadable);
        self.empty_files.extend(other.empty_files);
        self.first = min_opt(self.first, other.first);
        self.last = max_opt(self.last, other.last);
        for (model, n) in other.unpriced {
            *self.unpriced.entry(model).or_default() += n;
        }
        self.before_first_period += other.before_first_period;
        self.batch_unavailable += other.batch_unavailable;
        self.undated += other.undated;
        self.option_unpriced += other.option_unpriced;
        for (name, n) in other.formats {
            *self.formats.entry(name).or_default() += n;
        }
        for (name, n) in other.format_calls {
            *self.format_calls.entry(name).or_default() += n;
        }
        self.not_calls += other.not_calls;
        self.duplicates += other.duplicates;
        for (model, counts) in other.latencies {
            let mine = self.latencies.entry(model).or_default();
            for (ms, n) in counts {
                *mine.entry(ms).or_default() += n;
            }
        }
        Ok(())
    }
}

fn min_opt(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, y) => x.or(y),
    }
}

fn max_opt(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, y) => x.or(y),
    }
}

/// What steps through the time-ordered calls: one scenario's evaluator, or
/// a share of the plain sweeps priced together.
enum Stepper<'a> {
    One(Box<Evaluator<'a>>),
    Sweeps(SweepEvaluator<'a>),
}

impl Stepper<'_> {
    /// Steps one call; `recorded` is its price as recorded, when already
    /// found (calls priced as they are read).
    fn step(
        &mut self,
        call: &Pending,
        keys: &LazyKeys,
        recorded: Option<&Priced>,
    ) -> Result<(), AggregateError> {
        match self {
            Stepper::One(e) => e.step_priced(call, keys, recorded),
            Stepper::Sweeps(e) => {
                e.step(call);
                Ok(())
            }
        }
    }

    fn finish(self) -> Vec<(usize, Evaluated)> {
        match self {
            Stepper::One(e) => vec![(e.index(), e.finish())],
            Stepper::Sweeps(e) => e.finish(),
        }
    }
}

/// Bytes read between progress updates, to keep the bar cheap.
const PROGRESS_STEP: u64 = 1 << 20;

/// Files at least this big are parsed in parallel pieces.
const SPLIT_BYTES: u64 = 32 << 20;

/// Formats whose lines can be parsed independently of earlier lines (no
/// header row, no state carried from line to line), so a file can be split.
fn splittable(format: &InputFormat) -> bool {
    matches!(
        format.name,
        "canonical" | "claude-code" | "anthropic" | "otel" | "litellm" | "langfuse"
    )
}

/// What reading the inputs needs: the settings, the scenarios (the baseline
/// first), the catalog, and where progress is reported.
#[derive(Clone, Copy)]
struct Reading<'a> {
    spec: &'a ReplaySpec,
    scenarios: &'a [Scenario],
    catalog: &'a Catalog,
    progress: &'a (dyn Fn(Progress) + Sync),
    /// Some scenario is priced in time order: calls are spooled for it.
    any_in_time_order: bool,
    /// The baseline is priced as calls are read, not in time order.
    baseline_read: bool,
    /// The scenarios priced in time order change only the cache and keep
    /// per-model totals only: they read no session name, call id or
    /// (for a priced call) model name.
    time_order_needs_no_names: bool,
    /// Call buffers for reuse by the next pieces read.
    buffers: &'a Buffers,
}

impl<'a> Reading<'a> {
    /// The evaluators of the scenarios priced in time order (`in_time_order`),
    /// or of those priced as calls are read. Plain sweeps among the latter are
    /// priced together, one loop over their models per call, unless their
    /// hourly series are asked for (kept by each scenario's own evaluator).
    fn steppers(self, in_time_order: bool) -> Vec<Stepper<'a>> {
        let Reading {
            spec,
            scenarios,
            catalog,
            ..
        } = self;
        // Per-model totals make the scenario tables: none without scenarios.
        let per_model = !spec.scenarios.is_empty();
        // Pooled sweeps keep no per-task sums.
        let pool_sweeps = !in_time_order && !spec.timeline && !spec.tasks;
        let mut sweeps: Vec<(usize, &Scenario)> = Vec::new();
        let mut steppers = Vec::new();
        for (index, scenario) in scenarios.iter().enumerate() {
            if spec.in_time_order(scenario) != in_time_order {
                continue;
            }
            if index > 0 && pool_sweeps && evaluate::sweep_model(scenario).is_some() {
                sweeps.push((index, scenario));
                continue;
            }
            let sink = Sink::new(if index == 0 { spec.dims.len() } else { 0 }, per_model)
                .with_sessions(index == 0 && spec.top.is_some())
                .with_tasks(spec.tasks)
                .with_timeline(spec.timeline, spec.zone)
                .with_line_items(spec.line_items);
            steppers.push(Stepper::One(Box::new(Evaluator::new(
                catalog,
                index,
                scenario,
                spec.pricing_date,
                spec.shared_prefix,
                sink,
            ))));
        }
        if !sweeps.is_empty() {
            steppers.push(Stepper::Sweeps(SweepEvaluator::new(
                catalog,
                &sweeps,
                spec.pricing_date,
            )));
        }
        steppers
    }

    /// Resolves and prices one call (see [`Reading::commit`]).
    fn account(
        self,
        partial: &mut Partial<'a>,
        call: Call,
        order: (usize, u64),
    ) -> Result<(), ReplayError> {
        self.commit(partial, self.prepare(call, order))
    }

    /// A call resolved against the catalog, with its group keys; nothing is
    /// counted yet (a copy of a response may still lose to another copy).
    fn prepare(self, call: Call, order: (usize, u64)) -> Pending {
        let Reading { spec, catalog, .. } = self;
        let model = catalog.resolve_index(&call.model);
        let (model_key, provider_key) = match model {
            Some(i) => {
                let m = &catalog.models[i];
                let provider = call.provider.clone().unwrap_or_else(|| m.provider.clone());
                (m.id.clone(), provider)
            }
            None => {
                let provider = call
                    .provider
                    .clone()
                    .unwrap_or_else(|| "(unknown)".to_string());
                (call.model.clone(), provider)
            }
        };
        let keys = spec
            .dims
            .iter()
            .map(|d| d.key(&call, &model_key, &provider_key, spec.zone))
            .collect();
        let collects = spec.collects();
        let shape = if collects {
            // Unique per call, so segments without ids never match.
            PromptShape::of(&call, ((order.0 as u64) << 40) + order.1)
        } else {
            PromptShape::default()
        };
        Pending {
            order,
            ts: call.ts,
            keys,
            model,
            model_key,
            shape,
            account: call.account,
            session: call.session,
            id: call.id,
            step: call.step,
            success: call.success,
            tags: if collects || spec.tasks {
                call.tags
            } else {
                BTreeMap::new()
            },
            usage: call.usage,
            batch: call.batch,
            billed: call.billed,
            requests: call.requests,
            undated: call.undated,
            options: Pending::options_of(call.options),
            format: evaluate::FormatName(call.format),
            copy: None,
            latency_ms: call.latency_ms,
            prompt_hash: call.prompt_hash,
        }
    }

    /// Counts and prices a prepared call: without scenarios it goes straight
    /// to the breakdown; with them, the evaluators priced as calls are read
    /// step through it, and it is spooled for those priced in time order.
    fn commit(self, partial: &mut Partial<'a>, pending: Pending) -> Result<(), ReplayError> {
        let Reading {
            spec,
            scenarios,
            catalog,
            ..
        } = self;
        if !spec.window.contains(pending.ts) {
            partial.filtered_out += 1;
            return Ok(());
        }
        partial.calls += pending.requests;
        *partial.format_calls.entry(pending.format.0).or_default() += pending.requests;
        partial.undated += u64::from(pending.undated);
        partial.first = min_opt(partial.first, Some(pending.ts));
        partial.last = max_opt(partial.last, Some(pending.ts));
        if let Some(ms) = pending.latency_ms {
            let counts = match partial.latencies.get_mut(&pending.model_key) {
                Some(counts) => counts,
                None => partial
                    .latencies
                    .entry(pending.model_key.clone())
                    .or_default(),
            };
            *counts.entry(latency_bucket(ms)).or_default() += 1;
        }
        let priced = pending
            .model
            .map(|i| pending.price_on(&catalog.models[i], spec.pricing_date));
        match priced {
            Some(p) => {
                partial.before_first_period += u64::from(p.before_first_period);
                partial.batch_unavailable += u64::from(p.batch_unavailable);
                partial.option_unpriced += u64::from(p.option_unpriced);
            }
            None => {
                *partial
                    .unpriced
                    .entry(pending.model_key.clone())
                    .or_default() += pending.requests
            }
        }
        if spec.collects() {
            if !partial.free.is_empty() {
                partial.free_calls += 1;
                let keys = LazyKeys::new(&pending);
                for stepper in &mut partial.free {
                    stepper.step(&pending, &keys, priced.as_ref())?;
                }
            }
            if self.any_in_time_order {
                // The breakdown's keys serve the baseline only.
                let pending = match (self.baseline_read, self.time_order_needs_no_names) {
                    // What no scenario will read is freed now, by the thread
                    // that made it, not held and freed by another.
                    (true, true) => Pending {
                        keys: Vec::new(),
                        session: None,
                        id: None,
                        model_key: match pending.model {
                            Some(_) => String::new(),
                            None => pending.model_key,
                        },
                        ..pending
                    },
                    (true, false) => Pending {
                        keys: Vec::new(),
                        ..pending
                    },
                    (false, _) => pending,
                };
                partial.spool.push(pending)?;
            }
            return Ok(());
        }
        // No scenario: the baseline alone, priced above.
        Ok(partial.sink.record(
            0,
            Some(&scenarios[0].name),
            &pending,
            &pending.model_key,
            &pending.usage,
            pending.batch,
            priced,
        )?)
    }

    fn read_source(self, index: usize, source: &Source) -> Result<Partial<'a>, ReplayError> {
        let spec = self.spec;
        let mut partial = Partial::new(self);
        let name = source.display_name();
        let opened = match ingest::open_with_format(
            source,
            spec.formats.of(source),
            &spec.dedup,
            spec.assume_time,
        ) {
            Ok(o) => o,
            Err(e) => {
                partial.unreadable.push(e.to_string());
                return Ok(partial);
            }
        };
        *partial.formats.entry(opened.format.name).or_default() += 1;
        if let Source::File(path) = source {
            let big = source.size_on_disk().unwrap_or(0) >= SPLIT_BYTES;
            if big
                && rayon::current_num_threads() > 1
                && splittable(opened.format)
                && ingest::is_plain_lines(path)
            {
                if let Ok(ranges) = ingest::line_ranges(path, rayon::current_num_threads() * 4) {
                    return self.read_split(index, source, opened.format, ranges, partial);
                }
            }
        }
        let stats = self.read_stream(
            index,
            &name,
            opened.format.name,
            opened.reader,
            opened.parser,
            &mut partial,
        )?;
        if stats.bytes == 0 {
            partial.empty_files.push(name);
        }
        Ok(partial)
    }

    /// Reads one stream of lines into `partial`.
    fn read_stream(
        self,
        index: usize,
        name: &str,
        format: &'static str,
        reader: Box<dyn std::io::BufRead + Send>,
        mut parser: Box<dyn ingest::format::LineParser>,
        partial: &mut Partial<'a>,
    ) -> Result<ingest::ReadStats, ReplayError> {
        let progress = self.progress;
        let mut failure = None;
        let mut errors = Vec::new();
        let mut more_errors: BTreeMap<SkipReason, u64> = BTreeMap::new();
        let mut unreported = 0u64;
        // The best copy so far of each response in this stream: copies of a
        // response sit close together in a file, so most are replaced here
        // and only the stream's best reach the run-wide choice. A stream
        // of many responses (a gateway log whose every line has an id)
        // hands them on to the held spool as the map fills, so memory stays
        // bounded: a copy handed on and later beaten is dropped at the end,
        // where only each response's winning copy is priced.
        let mut best_here: HashMap<u128, ((usize, u64), Call)> = HashMap::new();
        let hand_on = |best_here: &mut HashMap<u128, ((usize, u64), Call)>,
                       partial: &mut Partial<'a>|
         -> Result<(), ReplayError> {
            for (key, (order, call)) in best_here.drain() {
                let pending = Pending {
                    copy: Some(key),
                    ..self.prepare(call, order)
                };
                partial.held.push(pending)?;
            }
            Ok(())
        };
        let stats = ingest::read_lines(
            reader,
            name,
            parser.as_mut(),
            |mut call, line, copy| {
                call.format = format;
                let order = (index, line);
                match copy {
                    Some(of) if partial.copies.offer(of, order) => {
                        best_here.insert(of.key, (order, call));
                        if best_here.len() >= self.spec.spool_calls && failure.is_none() {
                            if let Err(e) = hand_on(&mut best_here, partial) {
                                failure = Some(e);
                            }
                        }
                    }
                    // A copy that lost to an earlier one.
                    Some(_) => {}
                    None if failure.is_none() => {
                        if let Err(e) = self.account(partial, call, order) {
                            failure = Some(e);
                        }
                    }
                    None => {}
                }
            },
            |error| {
                // Only the first few messages are kept; the rest are counted
                // (millions of bad lines must not fill memory).
                if errors.len() < KEPT_LINE_ERRORS {
                    errors.push(error);
                } else {
                    *more_errors.entry(error.reason).or_insert(0u64) += 1;
                }
            },
            |n| {
                unreported += n;
                if unreported >= PROGRESS_STEP {
                    progress(Progress::Read(unreported));
                    unreported = 0;
                }
            },
        );
        progress(Progress::Read(unreported));
        if let Some(e) = failure {
            return Err(e);
        }
        // Held, prepared, until every input is read and the copy to keep
        // is known.
        hand_on(&mut best_here, partial)?;
        for e in errors {
            partial.skip(e);
        }
        for (reason, n) in more_errors {
            *partial.skipped.entry(reason).or_default() += n;
        }
        partial.lines += stats.lines;
        partial.not_calls += stats.not_calls;
        partial.duplicates += stats.duplicates;
        Ok(stats)
    }

    /// Parses the pieces of one big file in parallel and merges them in file
    /// order, shifting line numbers by the lines of the pieces before.
    fn read_split(
        self,
        index: usize,
        source: &Source,
        format: &'static InputFormat,
        ranges: Vec<(u64, u64)>,
        mut partial: Partial<'a>,
    ) -> Result<Partial<'a>, ReplayError> {
        let spec = self.spec;
        let pieces: Vec<(Partial, u64)> = ranges
            .par_iter()
            .map(|&range| {
                let (mut piece, raw_lines) = self.read_piece(index, source, format, range)?;
                // Pieces are held until all are read: their calls wait on disk.
                if spec.collects() {
                    piece.spool.spill()?;
                }
                piece.held.spill()?;
                Ok((piece, raw_lines))
            })
            .collect::<Result<_, ReplayError>>()?;
        let mut offset = 0u64;
        for (mut piece, raw_lines) in pieces {
            piece.shift_lines(offset);
            offset += raw_lines;
            partial.merge(piece)?;
        }
        Ok(partial)
    }

    /// Reads the lines of one piece of a big file (`range`: start and
    /// length in bytes), numbered from the piece's start; also hands back
    /// how many lines it holds.
    fn read_piece(
        self,
        index: usize,
        source: &Source,
        format: &'static InputFormat,
        (start, len): (u64, u64),
    ) -> Result<(Partial<'a>, u64), ReplayError> {
        let spec = self.spec;
        let mut piece = Partial::new(self);
        let name = source.display_name();
        let Source::File(path) = source else {
            return Ok((piece, 0));
        };
        let reader = match ingest::open_range(path, start, len) {
            Ok(r) => r,
            Err(e) => {
                piece.unreadable.push(format!("{name}: cannot read: {e}"));
                return Ok((piece, 0));
            }
        };
        let context = ingest::format::Context::of(source, &spec.dedup, spec.assume_time);
        let stats = self.read_stream(
            index,
            &name,
            format.name,
            reader,
            ingest::format::parser_for(format, spec.formats.of(source).is_some(), &context),
            &mut piece,
        )?;
        Ok((piece, stats.raw_lines))
    }

    /// How a source is read when calls are stepped as they come: a big file
    /// of lines, in pieces of about [`STREAM_PIECE_BYTES`] (so that the calls
    /// waiting to be stepped stay few), anything else whole.
    fn plan<'s>(self, index: usize, source: &'s Source) -> Vec<Task<'s>> {
        let whole = vec![Task {
            index,
            source,
            piece: None,
        }];
        let Source::File(path) = source else {
            return whole;
        };
        let size = source.size_on_disk().unwrap_or(0);
        if size < 2 * STREAM_PIECE_BYTES || !ingest::is_plain_lines(path) {
            return whole;
        }
        let spec = self.spec;
        // The format decides whether lines can be read apart; a file that
        // cannot be opened is reported when read whole.
        let format = match ingest::open_with_format(
            source,
            spec.formats.of(source),
            &spec.dedup,
            spec.assume_time,
        ) {
            Ok(opened) if splittable(opened.format) => opened.format,
            _ => return whole,
        };
        match ingest::line_ranges(path, size.div_ceil(STREAM_PIECE_BYTES) as usize) {
            Ok(ranges) => ranges
                .into_iter()
                .enumerate()
                .map(|(n, range)| Task {
                    index,
                    source,
                    piece: Some(Piece {
                        format,
                        range,
                        first: n == 0,
                    }),
                })
                .collect(),
            Err(_) => whole,
        }
    }

    /// Reads one task: what it read, and how many lines (for a piece).
    fn read_task(self, task: &Task) -> Result<(Partial<'a>, u64), ReplayError> {
        match &task.piece {
            None => Ok((self.read_source(task.index, task.source)?, 0)),
            Some(piece) => {
                let (mut partial, raw_lines) =
                    self.read_piece(task.index, task.source, piece.format, piece.range)?;
                if piece.first {
                    *partial.formats.entry(piece.format.name).or_default() += 1;
                }
                Ok((partial, raw_lines))
            }
        }
    }

    /// Reads every source, a few tasks at a time in parallel, and hands
    /// what each read to `time_order` in input order while the next few are
    /// read: no call is spooled. `None` when that cannot give time order:
    /// a call came later than calls after it that were already stepped, or
    /// a log writes copies of a response (the copy kept is known only once
    /// every input is read). The run must then be read again with a spool.
    fn read_streaming(
        self,
        time_order: &mut TimeOrder<'a, '_>,
    ) -> Result<Option<Partial<'a>>, ReplayError> {
        let spec = self.spec;
        let tasks: Vec<Task> = spec
            .sources
            .iter()
            .enumerate()
            .flat_map(|(index, source)| self.plan(index, source))
            .collect();
        let mut all = Partial::new(self);
        // Lines of the pieces of the current file handed over so far.
        let mut offset = 0u64;
        let mut hand_over = |all: &mut Partial<'a>,
                             time_order: &mut TimeOrder<'a, '_>,
                             read: Vec<(Partial<'a>, u64)>,
                             tasks: &[Task]|
         -> Result<bool, ReplayError> {
            for ((mut partial, raw_lines), task) in read.into_iter().zip(tasks) {
                if let Some(piece) = &task.piece {
                    if piece.first {
                        offset = 0;
                    }
                    partial.shift_lines(offset);
                    offset += raw_lines;
                }
                if !partial.copies.is_empty() {
                    return Ok(false);
                }
                let mut calls = std::mem::replace(
                    &mut partial.spool,
                    Spool::new(spec.spool_dir.clone(), spec.spool_calls),
                );
                all.merge(partial)?;
                match calls.take_buffer() {
                    // Calls held in memory, as they came: the window puts
                    // them in order.
                    Some(buffer) => time_order.offer_all(buffer)?,
                    None => {
                        for call in calls.into_sorted()? {
                            time_order.offer(call?)?;
                        }
                        time_order.flush()?;
                    }
                }
                if time_order.is_late() {
                    return Ok(false);
                }
            }
            Ok(true)
        };
        // A piece per thread is read while the pieces read before are
        // stepped: what waits in memory follows the thread count.
        let window = rayon::current_num_threads().max(1);
        let mut read: Vec<(Partial<'a>, u64)> = Vec::new();
        let mut read_tasks: &[Task] = &[];
        for chunk in tasks.chunks(window) {
            let (handed, next) = rayon::join(
                || hand_over(&mut all, time_order, std::mem::take(&mut read), read_tasks),
                || {
                    chunk
                        .par_iter()
                        .map(|task| self.read_task(task))
                        .collect::<Result<Vec<_>, ReplayError>>()
                },
            );
            if !handed? {
                return Ok(None);
            }
            read = next?;
            read_tasks = chunk;
        }
        if !hand_over(&mut all, time_order, read, read_tasks)? {
            return Ok(None);
        }
        Ok(Some(all))
    }

    /// Reads every source, a few at a time in parallel, merged in input
    /// order; calls for the scenarios priced in time order are spooled, and
    /// the copies of responses written several times are settled.
    fn read_spooled(self) -> Result<Partial<'a>, ReplayError> {
        let spec = self.spec;
        let mut all = Partial::new(self);
        // Sources are read a few at a time and merged in input order, so a
        // scenario run holds the unspooled calls of those few only.
        let window = (rayon::current_num_threads() * 4).max(1);
        for (start, chunk) in (0..).step_by(window).zip(spec.sources.chunks(window)) {
            let partials: Vec<Partial> = chunk
                .par_iter()
                .enumerate()
                .map(|(i, s)| self.read_source(start + i, s))
                .collect::<Result<_, _>>()?;
            for p in partials {
                all.merge(p)?;
            }
        }
        // The kept copy of each response, priced like any other call.
        let copies = std::mem::take(&mut all.copies);
        all.duplicates += copies.folded();
        let winners = copies.winners();
        let held = std::mem::replace(
            &mut all.held,
            Spool::new(spec.spool_dir.clone(), spec.spool_calls),
        );
        for pending in held.into_sorted()? {
            let pending = pending?;
            if pending
                .copy
                .is_some_and(|key| winners.contains(&(key, pending.order)))
            {
                self.commit(&mut all, pending)?;
            }
        }
        Ok(all)
    }
}

/// A big file read in pieces when calls are stepped as they come.
const STREAM_PIECE_BYTES: u64 = 1 << 20;

/// One piece of work of a streamed run: a whole source, or a piece of a big
/// file.
struct Task<'s> {
    index: usize,
    source: &'s Source,
    piece: Option<Piece>,
}

struct Piece {
    format: &'static InputFormat,
    /// Start and length in bytes.
    range: (u64, u64),
    /// The file's first piece (which counts the file).
    first: bool,
}

/// Everything read and evaluated: the merged partials, each scenario's
/// stats, and the TTL fallback counts per scenario name.
type Collected<'a> = (Partial<'a>, Vec<ScenarioStats>, BTreeMap<String, u64>);

/// Runs the replay.
pub fn replay(
    spec: &ReplaySpec,
    catalog: &Catalog,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<ReplayOutcome, ReplayError> {
    replay_with_items(spec, catalog, progress, None)
}

/// The time window of a run (`--since`, `--until`, `--last`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Window {
    /// Calls before this instant are left out.
    pub since: Option<DateTime<Utc>>,
    /// Calls at or after this instant are left out.
    pub until: Option<DateTime<Utc>>,
}

impl Window {
    pub fn contains(&self, ts: DateTime<Utc>) -> bool {
        self.since.is_none_or(|s| ts >= s) && self.until.is_none_or(|u| ts < u)
    }
}

/// What a replay reports as it goes, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// This many more bytes of input read.
    Read(u64),
    /// Reading is done; this many calls are now priced in time order under
    /// the scenarios.
    Pricing(u64),
    /// This many more calls priced.
    Priced(u64),
    /// Calls came out of time order: reading starts over from the first
    /// input, with the calls for the scenarios spooled to be sorted.
    ReadAgain,
}

/// Runs the replay, writing line items as calls are priced (`spec.line_items`
/// must be set for there to be any).
pub fn replay_with_items(
    spec: &ReplaySpec,
    catalog: &Catalog,
    progress: &(dyn Fn(Progress) + Sync),
    mut items: Option<&mut LineItemsWriter>,
) -> Result<ReplayOutcome, ReplayError> {
    let scenarios = spec.all_scenarios();
    // As many as the pieces read and waiting at once (see `read_streaming`).
    let buffers = Buffers::new(2 * spec.threads.unwrap_or_else(rayon::current_num_threads) + 1);
    let reading = Reading {
        spec,
        scenarios: &scenarios,
        catalog,
        progress,
        any_in_time_order: spec.collects() && scenarios.iter().any(|s| spec.in_time_order(s)),
        baseline_read: !spec.in_time_order(&scenarios[0]),
        time_order_needs_no_names: !spec.tasks
            && !spec.timeline
            && !spec.line_items
            && scenarios
                .iter()
                .all(|s| !spec.in_time_order(s) || s.transforms.is_empty()),
        buffers: &buffers,
    };
    let mut run = || -> Result<Collected<'_>, ReplayError> {
        let mut time_ordered = Vec::new();
        let mut streamed = None;
        // Calls are stepped in time order as they are read when every input
        // can be read again (a call out of order means reading it all again,
        // spooled) and no line item would be written twice.
        if reading.any_in_time_order
            && spec.stream
            && items.is_none()
            && !spec.sources.iter().any(|s| matches!(s, Source::Stdin))
        {
            let mut time_order =
                TimeOrder::new(reading.steppers(true), Some(reading.buffers), None, None);
            match reading.read_streaming(&mut time_order)? {
                Some(all) => {
                    time_ordered = time_order.finish()?;
                    streamed = Some(all);
                }
                None => {
                    // The run-wide duplicate set starts over with the reading.
                    spec.dedup.clear();
                    progress(Progress::ReadAgain);
                }
            }
        }
        let mut all = match streamed {
            Some(all) => all,
            None => {
                let mut all = reading.read_spooled()?;
                if reading.any_in_time_order {
                    let spool = std::mem::replace(
                        &mut all.spool,
                        Spool::new(spec.spool_dir.clone(), spec.spool_calls),
                    );
                    progress(Progress::Pricing(all.calls));
                    let mut time_order = TimeOrder::new(
                        reading.steppers(true),
                        None,
                        items.as_deref_mut(),
                        Some(progress),
                    );
                    for call in spool.into_sorted()? {
                        time_order.offer(call?)?;
                    }
                    time_ordered = time_order.finish()?;
                }
                all
            }
        };
        all.settle()?;
        let mut evaluated = std::mem::take(&mut all.evaluated);
        evaluated.extend(time_ordered);
        let mut stats = vec![ScenarioStats::default(); scenarios.len()];
        let mut fallback = BTreeMap::new();
        // In scenario order (a BTreeMap), whichever way each was priced.
        for (index, e) in evaluated {
            if index == 0 {
                all.sink.main = e.sink.main;
                all.sink.sessions = e.sink.sessions;
            }
            all.sink.merge_models(e.sink.by_model);
            all.sink.merge_timeline(e.sink.timeline);
            all.sink.merge_tasks(e.sink.tasks);
            if e.ttl_fallback > 0 {
                fallback.insert(scenarios[index].name.clone(), e.ttl_fallback);
            }
            stats[index] = e.stats;
        }
        Ok((all, stats, fallback))
    };
    let (all, stats, fallback) = match spec.threads {
        None => run()?,
        Some(threads) => rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .map_err(|e| ReplayError::Threads {
                threads,
                message: e.to_string(),
            })?
            .install(run)?,
    };
    Ok(finish(spec, &scenarios, catalog, all, stats, fallback)?)
}

fn finish(
    spec: &ReplaySpec,
    scenarios: &[Scenario],
    catalog: &Catalog,
    all: Partial,
    stats: Vec<ScenarioStats>,
    ttl_fallback: BTreeMap<String, u64>,
) -> Result<ReplayOutcome, AggregateError> {
    let mut unpriced: Vec<UnpricedModel> = all
        .unpriced
        .into_iter()
        .map(|(name, calls)| UnpricedModel {
            suggestions: catalog.suggest(&name),
            name,
            calls,
        })
        .collect();
    unpriced.sort_by(|a, b| b.calls.cmp(&a.calls).then_with(|| a.name.cmp(&b.name)));
    let mut notes = spec.input_notes.clone();
    if all.before_first_period > 0 {
        notes.push(format!(
            "{} calls are dated before their model's first price period and were priced at that period",
            all.before_first_period
        ));
    }
    if all.batch_unavailable > 0 {
        notes.push(format!(
            "{} calls are marked batch but their model has no batch price; priced at standard rates",
            all.batch_unavailable
        ));
    }
    if all.option_unpriced > 0 {
        notes.push(format!(
            "{} calls name a request option (fast mode, a service tier, a data-residency region) their model has no price for on their date; priced at standard rates",
            all.option_unpriced
        ));
    }
    if all.undated > 0 {
        notes.push(match spec.assume_time {
            Some(t) => format!(
                "{} calls carry no time of their own (API responses saved without one) and are dated {} (--assume-time)",
                all.undated,
                t.format("%Y-%m-%d %H:%M UTC")
            ),
            None => format!(
                "{} calls carry no time of their own (API responses saved without one) and are dated by their file's modification time; set one with --assume-time",
                all.undated
            ),
        });
    }
    for (name, n) in &ttl_fallback {
        notes.push(format!(
            "scenario {name}: {n} calls are on models without that cache TTL and were simulated at the model's default TTL"
        ));
    }
    let (pricing_date, pricing_date_key) = match spec.pricing_date {
        PricingDate::AtCall => ("at each call's date".to_string(), "at_call".to_string()),
        PricingDate::Latest => ("latest".to_string(), "latest".to_string()),
        PricingDate::Fixed(d) => (format!("as of {d}"), d.to_string()),
    };
    let header = Header {
        command: spec.command.to_string(),
        inputs: spec.sources.iter().map(Source::display_name).collect(),
        lines: all.lines,
        calls: all.calls,
        filtered_out: all.filtered_out,
        skipped: all.skipped.into_iter().collect(),
        unreadable_files: all.unreadable.len() as u64,
        first: all.first,
        last: all.last,
        catalog_version: catalog.version(),
        catalog_origin: catalog.origin.clone(),
        pricing_date,
        pricing_date_key,
        unpriced,
        notes,
        formats: all
            .formats
            .iter()
            .map(|(k, v)| (k.to_string(), *v))
            .collect(),
        format_calls: all
            .format_calls
            .iter()
            .map(|(k, v)| (k.to_string(), *v))
            .collect(),
        not_calls: all.not_calls,
        duplicates: all.duplicates,
        zone: spec.zone,
    };
    let groups = all.sink.main.finish()?;
    let (top_sessions, spans) = match (all.sink.sessions, spec.top) {
        (Some(sessions), Some(n)) => {
            let mut rows = sessions.totals.finish()?;
            rows.sort_by(|a, b| b.cost.cmp(&a.cost).then_with(|| a.keys.cmp(&b.keys)));
            rows.truncate(n);
            (rows, sessions.spans)
        }
        _ => Default::default(),
    };
    // The top sessions' first call and last answer.
    let top_spans = top_sessions
        .iter()
        .filter_map(|t| {
            let (start, end) = spans.get(&t.keys[0])?;
            let time = |ms: i64| DateTime::<Utc>::from_timestamp_millis(ms);
            Some((t.keys[0].clone(), (time(*start)?, time(*end)?)))
        })
        .collect();
    // With scenarios, every one is shown, even with no call to its name.
    let scenario_results = if spec.scenarios.is_empty() {
        Vec::new()
    } else {
        let rows = sink::model_rows(all.sink.by_model.unwrap_or_default())?;
        scenarios
            .iter()
            .zip(stats)
            .map(|(s, st)| ScenarioResult::from_rows(s, &rows, st))
            .collect()
    };
    let mut timeline: Vec<TimelinePoint> = all
        .sink
        .timeline
        .unwrap_or_default()
        .into_iter()
        .map(|((scenario, hour, model), totals)| TimelinePoint {
            scenario,
            hour,
            model,
            totals,
        })
        .collect();
    timeline.sort_by(|a, b| (a.scenario, a.hour, &a.model).cmp(&(b.scenario, b.hour, &b.model)));
    let latency = all
        .latencies
        .iter()
        .filter_map(|(model, counts)| LatencyRow::of(model, counts))
        .collect();
    let tasks = all.sink.tasks.and_then(|t| {
        let names: Vec<String> = scenarios.iter().map(|s| s.name.clone()).collect();
        let top_n = spec.top.unwrap_or(crate::report::tasks::DEFAULT_TOP_TASKS);
        TaskSummary::of(t.rows, &names, t.without_task, top_n)
    });
    let report = Report::new(header, spec.dims.clone(), groups)
        .with_tasks(tasks)
        .with_scenarios(scenario_results)
        .with_top_sessions(top_sessions)
        .with_top_spans(top_spans)
        .with_timeline(timeline)
        .with_latency(latency);
    report.check_sums()?;
    Ok(ReplayOutcome {
        report,
        line_errors: all.line_errors,
        unreadable: all.unreadable,
        empty_files: all.empty_files,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Money;
    use crate::pricing::load_embedded;
    use proptest::prelude::*;
    use std::io::Write;

    use crate::scenario::Scenario;

    #[test]
    fn latencies_keep_four_significant_digits_above_ten_seconds() {
        assert_eq!(latency_bucket(0), 0);
        assert_eq!(latency_bucket(9_999), 9_999);
        assert_eq!(latency_bucket(10_007), 10_000);
        assert_eq!(latency_bucket(123_456), 123_400);
        assert_eq!(latency_bucket(u64::MAX), 18_440_000_000_000_000_000);
    }

    const MODELS: [&str; 5] = [
        "claude-sonnet-4-5",
        "gpt-5-nano",
        "gemini-2.5-pro",
        "deepseek-chat",
        "not-a-model",
    ];

    fn line(
        model: usize,
        day: u32,
        input: u64,
        read: u64,
        write: u64,
        output: u64,
        batch: bool,
    ) -> String {
        format!(
            r#"{{"ts":"2025-{:02}-{:02}T12:00:00Z","model":"{}","batch":{batch},"usage":{{"input":{input},"cache_read":{read},"cache_write_5m":{write},"output":{output}}}}}"#,
            1 + day % 12,
            1 + day % 28,
            MODELS[model]
        )
    }

    /// A generated call: model index, day, input, cache read, cache write,
    /// output, batch.
    type GenCall = (usize, u32, u64, u64, u64, u64, bool);

    fn lines_of(calls: &[GenCall]) -> Vec<String> {
        calls
            .iter()
            .map(|&(m, d, i, r, w, o, b)| line(m, d, i, r, w, o, b))
            .collect()
    }

    fn run(files: &[Vec<String>], threads: usize) -> Report {
        run_with(files, threads, Vec::new())
    }

    /// A run as the command line makes it.
    fn run_with(files: &[Vec<String>], threads: usize, scenarios: Vec<Scenario>) -> Report {
        run_spec(
            files,
            threads,
            scenarios,
            spool::DEFAULT_SPOOL_CALLS,
            true,
            |_| {},
        )
        .0
    }

    /// A run whose time-ordered scenarios always go through the spool, of
    /// `spool_calls` calls a run.
    fn run_spooled(
        files: &[Vec<String>],
        threads: usize,
        scenarios: Vec<Scenario>,
        spool_calls: usize,
    ) -> Report {
        run_spec(files, threads, scenarios, spool_calls, false, |_| {}).0
    }

    /// Calls over 20 days, for the scenario properties.
    fn twenty_days_of_calls() -> impl Strategy<Value = Vec<GenCall>> {
        proptest::collection::vec(
            (
                0usize..5,
                0u32..20,
                0u64..300_000,
                0u64..50_000,
                0u64..20_000,
                0u64..9_000,
                any::<bool>(),
            ),
            1..150,
        )
    }

    /// A run of `files` read with the calls for time-ordered scenarios
    /// stepped as they come (when possible), and one always spooled; with
    /// whether the first read its inputs once.
    fn streamed_and_spooled(
        files: &[Vec<String>],
        threads: usize,
        scenarios: Vec<Scenario>,
    ) -> (Report, Report, bool) {
        let (streamed, once) = run_spec(
            files,
            threads,
            scenarios.clone(),
            spool::DEFAULT_SPOOL_CALLS,
            true,
            |_| {},
        );
        let (spooled, _) = run_spec(
            files,
            threads,
            scenarios,
            spool::DEFAULT_SPOOL_CALLS,
            false,
            |_| {},
        );
        (streamed, spooled, once)
    }

    /// The report of a run, and whether it read its inputs only once;
    /// `adjust` sets what else the run keeps.
    fn run_spec(
        files: &[Vec<String>],
        threads: usize,
        scenarios: Vec<Scenario>,
        spool_calls: usize,
        stream: bool,
        adjust: impl FnOnce(&mut ReplaySpec),
    ) -> (Report, bool) {
        let dir = tempfile::tempdir().unwrap();
        let mut sources = Vec::new();
        for (i, lines) in files.iter().enumerate() {
            let path = dir.path().join(format!("{i}.jsonl"));
            let mut f = std::fs::File::create(&path).unwrap();
            for l in lines {
                writeln!(f, "{l}").unwrap();
            }
            sources.push(Source::File(path));
        }
        let mut spec = ReplaySpec {
            sources,
            dims: vec![Dimension::Model, Dimension::Month],
            window: Window::default(),
            zone: Zone::UTC,
            pricing_date: PricingDate::AtCall,
            threads: Some(threads),
            scenarios,
            shared_prefix: 0,
            formats: Default::default(),
            input_notes: Vec::new(),
            dedup: Default::default(),
            assume_time: None,
            top: None,
            tasks: false,
            timeline: false,
            line_items: false,
            spool_dir: Default::default(),
            spool_calls,
            stream,
            command: "replay",
        };
        adjust(&mut spec);
        let catalog = load_embedded().unwrap();
        let read_again = std::sync::atomic::AtomicBool::new(false);
        let progress = |step: Progress| {
            if step == Progress::ReadAgain {
                read_again.store(true, std::sync::atomic::Ordering::Relaxed);
            }
        };
        let mut report = replay(&spec, &catalog, &progress).unwrap().report;
        report.header.inputs.clear();
        (report, !read_again.into_inner())
    }

    /// Canonical lines of `sessions` agent sessions of `steps` calls each,
    /// interleaved in time (a call a minute per session, sessions starting
    /// seven seconds apart) with prompts that grow, in time order but for
    /// every `swap`th pair of neighbours, written the other way round (calls
    /// logged as they end).
    fn agent_lines(sessions: u64, steps: u64, swap: usize) -> Vec<String> {
        let start = chrono::DateTime::parse_from_rfc3339("2026-03-02T09:00:00Z").unwrap();
        let mut calls: Vec<(i64, String)> = (0..sessions)
            .flat_map(|s| (0..steps).map(move |k| (s, k)))
            .map(|(s, k)| {
                let at = (s * 7 + k * 60) as i64;
                let ts = (start + chrono::Duration::seconds(at)).to_rfc3339();
                let model = if s % 4 == 0 { "gpt-5" } else { "claude-sonnet-4-5" };
                let line = format!(
                    r#"{{"ts":"{ts}","model":"{model}","session":"s{s}","step":{},"usage":{{"input":{},"output":300}}}}"#,
                    k + 1,
                    2_000 + 1_500 * k
                );
                (at, line)
            })
            .collect();
        calls.sort();
        let mut lines: Vec<String> = calls.into_iter().map(|(_, line)| line).collect();
        if swap > 0 {
            for pair in lines.chunks_mut(2).step_by(swap) {
                pair.reverse();
            }
        }
        lines
    }

    fn cache_scenarios() -> Vec<Scenario> {
        [
            crate::scenario::resolve("cache-5m").unwrap(),
            crate::scenario::resolve("cache-1h").unwrap(),
            crate::scenario::resolve("batch-50").unwrap(),
        ]
        .concat()
    }

    /// Checks that one file of `lines` under the cache scenarios reports as
    /// a spooled run at each thread count, read once or `read_once` not.
    fn equal_to_spooled(lines: &[String], threads: &[usize], read_once: bool) {
        for &threads in threads {
            let file = [lines.to_vec()];
            let (streamed, spooled, once) = streamed_and_spooled(&file, threads, cache_scenarios());
            assert_eq!(once, read_once, "read once, at {threads} threads");
            assert_eq!(streamed, spooled, "{threads} threads");
        }
    }

    /// A big file read in pieces, nearly in time order: stepped as read, in
    /// one pass, to the same report as a spooled run, at any thread count.
    #[test]
    fn a_big_file_nearly_in_time_order_is_stepped_as_read() {
        let lines = agent_lines(300, 100, 7);
        let bytes: usize = lines.iter().map(|l| l.len() + 1).sum();
        assert!(bytes as u64 > 3 * STREAM_PIECE_BYTES, "read in pieces");
        equal_to_spooled(&lines, &[1, 2, 4], true);
    }

    /// Calls of one session logged at the same instant (a retry, a burst)
    /// are stepped in input order: which came first decides what the cache
    /// holds. The truth: the same calls a nanosecond apart, in that order
    /// (too little to change a price or a cache expiry).
    #[test]
    fn calls_of_equal_time_keep_their_input_order() {
        let start = chrono::DateTime::parse_from_rfc3339("2026-03-02T09:00:00Z").unwrap();
        let lines = |apart: bool| -> Vec<String> {
            let mut lines: Vec<String> = (0..400u64)
                .flat_map(|s| (0..30u64).map(move |k| (s, k)))
                .map(|(s, k)| {
                    // Three calls an instant; prompts that grow and shrink.
                    let at = chrono::Duration::seconds((s * 7 + k / 3 * 60) as i64)
                        + chrono::Duration::nanoseconds(if apart { (k % 3) as i64 } else { 0 });
                    let ts = (start + at).to_rfc3339_opts(chrono::SecondsFormat::Nanos, true);
                    let input = 2_000 + 1_000 * ((k * 7) % 11);
                    format!(
                        r#"{{"ts":"{ts}","model":"claude-sonnet-4-5","session":"s{s}","usage":{{"input":{input},"output":300}}}}"#
                    )
                })
                .collect();
            // Sessions written one after another: the window puts them in order.
            lines.rotate_left(7);
            lines
        };
        for threads in [1, 2] {
            let equal = run_with(&[lines(false)], threads, cache_scenarios());
            let apart = run_with(&[lines(true)], threads, cache_scenarios());
            assert_eq!(equal.scenarios, apart.scenarios, "{threads} threads");
        }
        equal_to_spooled(&lines(false), &[1, 2], true);
    }

    /// Calls written later and later after their time (here, up to 12K
    /// calls late, three times what the window first holds): the window
    /// grows with the disorder it meets, and the run still reads once.
    #[test]
    fn the_window_grows_with_the_disorder_it_meets() {
        let lines = agent_lines(800, 60, 0);
        let n = lines.len();
        let most = 12_000;
        assert!(most > 2 * time_order::MIN_BATCH && most < time_order::MAX_BATCH);
        // Every 40th call is written that many calls after its place.
        let mut placed: Vec<(usize, String)> = lines
            .into_iter()
            .enumerate()
            .map(|(i, l)| (i + if i % 40 == 0 { i * most / n } else { 0 }, l))
            .collect();
        placed.sort_by_key(|&(at, _)| at);
        let lines: Vec<String> = placed.into_iter().map(|(_, l)| l).collect();
        equal_to_spooled(&lines, &[1, 2], true);
    }

    /// A call dated before calls already stepped (here, the last line of
    /// a big file) makes the run read everything again, spooled: the
    /// report is that of a spooled run.
    #[test]
    fn a_call_far_out_of_order_reads_the_inputs_again() {
        let mut lines = agent_lines(300, 200, 0);
        assert!(lines.len() > 3 * time_order::MAX_BATCH);
        let first = lines[0].clone();
        lines.push(first.replace("\"session\":\"s0\"", "\"session\":\"late\""));
        equal_to_spooled(&lines, &[1, 2], false);
    }

    /// Calls dated far ahead of the rest wait to the end; the calls read
    /// with them are freed all the same (past `HELD_BATCHES` batches held, the
    /// waiting ones are moved out of their pieces), and the report is a
    /// spooled run's.
    #[test]
    fn calls_dated_far_ahead_do_not_hold_their_pieces() {
        let mut lines = agent_lines(600, 240, 5);
        assert!(lines.len() > 8 * time_order::MAX_BATCH);
        // One in every piece read.
        for at in (0..lines.len()).step_by(5_000).rev() {
            let ahead = lines[at]
                .replace("2026-03-0", "2027-03-0")
                .replace("\"session\":\"s", "\"session\":\"ahead-s");
            lines.insert(at, ahead);
        }
        equal_to_spooled(&lines, &[1, 2], true);
    }

    /// Responses written as several copies are settled only once every
    /// input is read: such a run is spooled.
    #[test]
    fn copies_of_responses_are_spooled() {
        let files = vec![
            (0..40).map(|id| claude_line(id, 5, true)).collect(),
            (0..40).map(|id| claude_line(id, 50, true)).collect(),
        ];
        let (streamed, spooled, once) = streamed_and_spooled(&files, 2, cache_scenarios());
        assert!(!once);
        assert_eq!(streamed, spooled);
    }

    /// Reading again starts the run-wide duplicate set over: the spans of
    /// an OpenTelemetry export read before the restart are not taken for
    /// copies of themselves.
    #[test]
    fn reading_again_forgets_the_responses_seen() {
        let spans: Vec<String> = include_str!("../../fixtures/formats/otel-spans.jsonl")
            .lines()
            .map(str::to_string)
            .collect();
        let mut late = agent_lines(300, 200, 0);
        let first = late[0].clone();
        late.push(first);
        let (streamed, spooled, once) = streamed_and_spooled(&[spans, late], 1, cache_scenarios());
        assert!(!once);
        assert!(spooled
            .header
            .format_calls
            .iter()
            .any(|(f, n)| f == "otel" && *n > 0));
        assert_eq!(streamed, spooled);
    }

    /// One Claude Code line: a copy of response `id` with `output` tokens.
    fn claude_line(id: usize, output: u64, with_request: bool) -> String {
        let request = if with_request {
            format!(r#""requestId":"req_{id}","#)
        } else {
            String::new()
        };
        format!(
            r#"{{"type":"assistant","sessionId":"s{}","timestamp":"2026-03-02T09:{:02}:00Z",{request}"message":{{"id":"msg_{id}","model":"claude-sonnet-4-5","usage":{{"input_tokens":10,"cache_read_input_tokens":1000,"output_tokens":{output}}}}}}}"#,
            id % 3,
            id % 60
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(12))]
        /// Streaming copies of Claude Code responses, spread over files in
        /// any order (resumed sessions repeat them), count once each at
        /// their largest output, whatever the thread count.
        #[test]
        fn claude_code_copies_keep_the_final_count(
            responses in proptest::collection::vec((1u64..500, 1usize..4, any::<bool>()), 1..40),
            parts in 1usize..4,
            threads in 1usize..4,
            seed in any::<u64>(),
        ) {
            let mut lines = Vec::new();
            let mut expected_output = 0;
            for (id, &(final_output, copies, with_request)) in responses.iter().enumerate() {
                expected_output += final_output;
                for c in 0..copies {
                    let output = if c + 1 == copies { final_output } else { final_output / 2 };
                    lines.push(claude_line(id, output, with_request));
                }
            }
            // Scatter the copies over files, repeating some in a second file.
            let mut files = vec![Vec::new(); parts];
            let mut state = seed | 1;
            for l in &lines {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                files[(state % parts as u64) as usize].push(l.clone());
                if state % 5 == 0 {
                    files[((state / 5) % parts as u64) as usize].push(l.clone());
                }
            }
            let report = run(&files, threads);
            prop_assert_eq!(report.total.calls, responses.len() as u64);
            prop_assert_eq!(report.total.usage.output, expected_output);
            prop_assert_eq!(
                report.header.duplicates,
                files.iter().map(Vec::len).sum::<usize>() as u64 - responses.len() as u64
            );
            files.reverse();
            let reversed = run(&files, 1);
            prop_assert_eq!(&reversed.rows, &report.rows);
        }

        /// Totals, rows and their order do not depend on the order of the
        /// lines, how they are split into files, or the thread count.
        #[test]
        fn totals_ignore_order_split_and_threads(
            calls in proptest::collection::vec(
                (0usize..5, 0u32..400, 0u64..300_000, 0u64..50_000, 0u64..20_000, 0u64..9_000, any::<bool>()),
                1..120,
            ),
            seed in any::<u64>(),
            parts in 1usize..5,
            threads in 1usize..4,
        ) {
            let lines = lines_of(&calls);
            let baseline = run(std::slice::from_ref(&lines), 1);
            let mut shuffled = lines;
            // A deterministic shuffle from the seed.
            let mut state = seed | 1;
            for i in (1..shuffled.len()).rev() {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                shuffled.swap(i, (state % (i as u64 + 1)) as usize);
            }
            let mut files = vec![Vec::new(); parts];
            for (i, l) in shuffled.into_iter().enumerate() {
                files[i % parts].push(l);
            }
            let other = run(&files, threads);
            prop_assert_eq!(&other.rows, &baseline.rows);
            prop_assert_eq!(&other.total, &baseline.total);
            let sum: Money = baseline.rows.iter().map(|r| r.totals.cost).sum();
            prop_assert_eq!(sum, baseline.total.cost);
        }

        /// Scenario runs that spill calls to sorted runs on disk and merge
        /// them back give the report of the in-memory sort, for any split
        /// of the input into files (calls on the same instant included).
        #[test]
        fn spooled_scenario_runs_equal_in_memory_ones(
            calls in twenty_days_of_calls(),
            parts in 1usize..4,
            spool_calls in 1usize..9,
            threads in 1usize..3,
        ) {
            let lines = lines_of(&calls);
            let mut files = vec![Vec::new(); parts];
            for (i, l) in lines.into_iter().enumerate() {
                files[i % parts].push(l);
            }
            let scenarios = [
                crate::scenario::resolve("cache-5m").unwrap(),
                crate::scenario::resolve("batch-50").unwrap(),
            ]
            .concat();
            let memory = run_spooled(&files, threads, scenarios.clone(), spool::DEFAULT_SPOOL_CALLS);
            let spooled = run_spooled(&files, threads, scenarios, spool_calls);
            prop_assert_eq!(&spooled, &memory);
        }

        /// Runs stepped as they are read equal spooled runs, whatever the
        /// order of the calls; inputs in time order are read once.
        #[test]
        fn streamed_runs_equal_spooled_ones(
            calls in twenty_days_of_calls(),
            parts in 1usize..4,
            sorted in any::<bool>(),
            threads in 1usize..3,
        ) {
            let mut lines = lines_of(&calls);
            if sorted {
                // Each line starts with its time.
                lines.sort();
            }
            let mut files = vec![Vec::new(); parts];
            let per_file = lines.len().div_ceil(parts);
            for (i, l) in lines.into_iter().enumerate() {
                files[i / per_file].push(l);
            }
            let (streamed, spooled, once) = streamed_and_spooled(&files, threads, cache_scenarios());
            prop_assert_eq!(&streamed, &spooled);
            prop_assert!(once || !sorted);
        }

        /// Per-model totals summed per rate set and priced once equal those
        /// of every call priced alone (as a run keeping line items prices
        /// them): long-context tiers, batch, prices by the hour, unknown
        /// models, simulated caches, a route; and calls held without their
        /// names price as calls held whole.
        #[test]
        fn model_sums_equal_calls_priced_one_by_one(
            calls in twenty_days_of_calls(),
            sessions in proptest::collection::vec(0u8..4, 150),
        ) {
            let lines: Vec<String> = lines_of(&calls)
                .into_iter()
                .zip(&sessions)
                .map(|(l, s)| l.replacen('{', &format!(r#"{{"session":"s{s}","#), 1))
                .collect();
            let dir = tempfile::tempdir().unwrap();
            let route = dir.path().join("route.toml");
            std::fs::write(
                &route,
                "name = \"half-to-gemini\"\n[cache]\nmode = \"on\"\n[[route.rules]]\nfrom = \"*\"\n\
                 to = [ { model = \"gemini-2.5-pro\", share = 0.5 }, { model = \"gpt-5-nano\", share = 0.5 } ]\n",
            )
            .unwrap();
            let scenarios = [
                cache_scenarios(),
                crate::scenario::resolve(route.to_str().unwrap()).unwrap(),
            ]
            .concat();
            let files = [lines];
            let summed = run_spec(&files, 2, scenarios.clone(), spool::DEFAULT_SPOOL_CALLS, true, |_| {}).0;
            let alone = run_spec(&files, 2, scenarios, spool::DEFAULT_SPOOL_CALLS, true, |spec| {
                spec.line_items = true;
            })
            .0;
            prop_assert_eq!(summed.scenarios.len(), 5);
            prop_assert_eq!(&summed, &alone);
            // Scenarios that change only the cache are stepped through calls
            // held without their names (see `time_order_needs_no_names`).
            let caches = [
                crate::scenario::resolve("cache-5m").unwrap(),
                crate::scenario::resolve("cache-1h").unwrap(),
            ]
            .concat();
            let lean = run_spec(&files, 2, caches.clone(), spool::DEFAULT_SPOOL_CALLS, true, |_| {}).0;
            let named = run_spec(&files, 2, caches, spool::DEFAULT_SPOOL_CALLS, true, |spec| {
                spec.line_items = true;
            })
            .0;
            prop_assert_eq!(&lean, &named);
        }

        /// `cache = off` costs every prompt token at the input rate, and the
        /// baseline of a scenario run equals the plain run.
        #[test]
        fn cache_off_prices_every_prompt_token_as_input(
            calls in proptest::collection::vec(
                (0usize..4, 0u32..400, 0u64..300_000, 0u64..50_000, 0u64..20_000, 0u64..9_000, any::<bool>()),
                1..80,
            ),
        ) {
            let lines = lines_of(&calls);
            let scenarios = [crate::scenario::resolve("cache-off").unwrap(), crate::scenario::resolve("cache-5m").unwrap()].concat();
            let report = run_with(std::slice::from_ref(&lines), 2, scenarios);
            let catalog = load_embedded().unwrap();
            let mut expected = Money::ZERO;
            for &(m, d, i, r, w, o, b) in &calls {
                let call = crate::ingest::canonical::parse_line(line(m, d, i, r, w, o, b).as_bytes()).unwrap();
                let model = catalog.resolve(&call.model).unwrap();
                let plain = crate::record::Usage { input: call.usage.prompt_tokens(), output: call.usage.output, ..Default::default() };
                expected += model.price(&plain, call.requests, call.batch, &call.options, PricingDate::AtCall, call.ts).cost;
            }
            let off = &report.scenarios[1];
            prop_assert_eq!(off.name.as_str(), "cache-off");
            prop_assert_eq!(off.total.cost, expected);
            prop_assert_eq!(off.total.usage.cache_read + off.total.usage.cache_write(), 0);
            let plain = run(std::slice::from_ref(&lines), 1);
            prop_assert_eq!(&report.rows, &plain.rows);
            prop_assert_eq!(report.scenarios[0].total.cost, plain.total.cost);
        }
    }
}
