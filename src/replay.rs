//! The replay pipeline: read every source, price every call, aggregate.
//!
//! Sources are read in parallel (one rayon task per file); each task keeps
//! its own aggregate and counters, and the results are merged in source order.
//! Money sums are exact integers, so the report is the same whatever the
//! thread count or input order.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use rayon::prelude::*;

use crate::ingest::{self, LineError, SkipReason, Source};
use crate::pricing::{Catalog, PricingDate};
use crate::record::Call;
use crate::report::aggregate::{AggregateError, Aggregator};
use crate::report::{Dimension, Header, Report, UnpricedModel};

/// How many skipped lines are kept with their `file:line` for display.
pub const KEPT_LINE_ERRORS: usize = 20;

/// What to replay and how.
#[derive(Debug, Clone)]
pub struct ReplaySpec {
    pub sources: Vec<Source>,
    pub dims: Vec<Dimension>,
    /// Calls before this instant are left out.
    pub since: Option<DateTime<Utc>>,
    /// Calls at or after this instant are left out.
    pub until: Option<DateTime<Utc>>,
    pub pricing_date: PricingDate,
    /// Worker threads; `None` uses every core.
    pub threads: Option<usize>,
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
}

/// Per-source results, merged at the end.
struct Partial {
    aggregator: Aggregator,
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
}

impl Partial {
    fn new(dims: usize) -> Self {
        Partial {
            aggregator: Aggregator::new(dims),
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
        }
    }

    fn skip(&mut self, error: LineError) {
        *self.skipped.entry(error.reason).or_default() += 1;
        if self.line_errors.len() < KEPT_LINE_ERRORS {
            self.line_errors.push(error);
        }
    }

    fn merge(&mut self, other: Partial) -> Result<(), AggregateError> {
        self.aggregator.merge(other.aggregator)?;
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

/// Prices one call and adds it to the partial aggregate.
fn account(
    spec: &ReplaySpec,
    catalog: &Catalog,
    partial: &mut Partial,
    call: Call,
) -> Result<(), AggregateError> {
    if spec.since.is_some_and(|s| call.ts < s) || spec.until.is_some_and(|u| call.ts >= u) {
        partial.filtered_out += 1;
        return Ok(());
    }
    partial.calls += 1;
    partial.first = min_opt(partial.first, Some(call.ts));
    partial.last = max_opt(partial.last, Some(call.ts));
    let model = catalog.resolve(&call.model);
    let (model_key, provider_key, cost) = match model {
        Some(m) => {
            let priced = m.price(
                &call.usage,
                call.batch,
                spec.pricing_date,
                call.ts.date_naive(),
            );
            partial.before_first_period += u64::from(priced.before_first_period);
            partial.batch_unavailable += u64::from(priced.batch_unavailable);
            let provider = call.provider.clone().unwrap_or_else(|| m.provider.clone());
            (m.id.clone(), provider, Some(priced.cost))
        }
        None => {
            *partial.unpriced.entry(call.model.clone()).or_default() += 1;
            let provider = call
                .provider
                .clone()
                .unwrap_or_else(|| "(unknown)".to_string());
            (call.model.clone(), provider, None)
        }
    };
    let keys = spec
        .dims
        .iter()
        .map(|d| d.key(&call, &model_key, &provider_key))
        .collect();
    partial.aggregator.push(keys, &call.usage, cost)
}

/// Bytes read between progress updates, to keep the bar cheap.
const PROGRESS_STEP: u64 = 1 << 20;

fn read_source(
    spec: &ReplaySpec,
    catalog: &Catalog,
    source: &Source,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Partial, AggregateError> {
    let mut partial = Partial::new(spec.dims.len());
    let name = source.display_name();
    let reader = match ingest::open(source) {
        Ok(r) => r,
        Err(e) => {
            partial.unreadable.push(e.to_string());
            return Ok(partial);
        }
    };
    let mut failure = None;
    let mut errors = Vec::new();
    let mut unreported = 0u64;
    let stats = ingest::read_lines(
        reader,
        &name,
        |call| {
            if failure.is_none() {
                if let Err(e) = account(spec, catalog, &mut partial, call) {
                    failure = Some(e);
                }
            }
        },
        |error| errors.push(error),
        |n| {
            unreported += n;
            if unreported >= PROGRESS_STEP {
                progress(unreported);
                unreported = 0;
            }
        },
    );
    progress(unreported);
    if let Some(e) = failure {
        return Err(e);
    }
    for e in errors {
        partial.skip(e);
    }
    partial.lines = stats.lines;
    if stats.bytes == 0 {
        partial.empty_files.push(name);
    }
    Ok(partial)
}

/// Runs the replay.
pub fn replay(
    spec: &ReplaySpec,
    catalog: &Catalog,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<ReplayOutcome, ReplayError> {
    let run = || -> Result<Vec<Partial>, AggregateError> {
        spec.sources
            .par_iter()
            .map(|s| read_source(spec, catalog, s, progress))
            .collect()
    };
    let partials = match spec.threads {
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
    let mut all = Partial::new(spec.dims.len());
    for p in partials {
        all.merge(p)?;
    }
    Ok(finish(spec, catalog, all)?)
}

fn finish(
    spec: &ReplaySpec,
    catalog: &Catalog,
    all: Partial,
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
    let mut notes = Vec::new();
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
    let (pricing_date, pricing_date_key) = match spec.pricing_date {
        PricingDate::AtCall => ("at each call's date".to_string(), "at_call".to_string()),
        PricingDate::Latest => ("latest".to_string(), "latest".to_string()),
        PricingDate::Fixed(d) => (format!("as of {d}"), d.to_string()),
    };
    let header = Header {
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
    };
    let groups = all.aggregator.finish()?;
    Ok(ReplayOutcome {
        report: Report::new(header, spec.dims.clone(), groups),
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

    fn run(files: &[Vec<String>], threads: usize) -> Report {
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
        let spec = ReplaySpec {
            sources,
            dims: vec![Dimension::Model, Dimension::Month],
            since: None,
            until: None,
            pricing_date: PricingDate::AtCall,
            threads: Some(threads),
        };
        let catalog = load_embedded().unwrap();
        let mut report = replay(&spec, &catalog, &|_| {}).unwrap().report;
        report.header.inputs.clear();
        report
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(12))]
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
            let lines: Vec<String> = calls
                .iter()
                .map(|&(m, d, i, r, w, o, b)| line(m, d, i, r, w, o, b))
                .collect();
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
    }
}
