//! Validated settings built from the command line before any work starts.
//! No stage sees a clap type.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Days, NaiveDate, Utc};

use crate::cli::{
    OutputFormat, ReplayArgs, ReportFormat, RunArgs, StickyArg, WhatIfArgs, WindowArgs,
};
use crate::currency::Currency;
use crate::ingest::format::InputFormat;
use crate::ingest::{self, IngestError, Source, SourceFormats};
use crate::pricing::{self, Catalog, CatalogError, PricingDate};
use crate::replay::{ReplaySpec, Window};
use crate::report::{Dimension, Format, Rendering};
use crate::scenario::{self, Scenario, ScenarioError, Sticky};
use crate::zone::{Zone, ZoneError};

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{0}")]
    Agents(String),
    #[error("{flag} {output} is also an input ({input}): writing it would destroy it before it is read; choose another file")]
    OutputIsInput {
        flag: &'static str,
        output: String,
        input: String,
    },
    #[error("--by: {0}")]
    BadDimension(String),
    #[error("--by {0} is given twice")]
    RepeatedDimension(String),
    #[error("--{flag}: `{value}` is not a date (YYYY-MM-DD), `today`, `yesterday`, a span back from now (`7d`, `2w`, `12h`) or an RFC 3339 timestamp")]
    BadTime { flag: &'static str, value: String },
    #[error("--last: `{0}` is not a span such as `7d`, `2w` or `12h`")]
    BadSpan(String),
    #[error("--since {since} is not before --until {until}")]
    EmptyRange { since: String, until: String },
    #[error("--pricing-date: `{0}` is not a date (YYYY-MM-DD) or `latest`")]
    BadPricingDate(String),
    #[error("--threads must be at least 1")]
    ZeroThreads,
    #[error(transparent)]
    Zone(#[from] ZoneError),
    #[error(transparent)]
    Currency(#[from] crate::currency::CurrencyError),
    #[error(transparent)]
    Input(#[from] IngestError),
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    #[error("--format: `{0}` is not a format (formats: {1})")]
    UnknownFormat(String, String),
    #[error("--sweep: model `{model}` is not in the pricing catalog{hint}")]
    SweepModel { model: String, hint: String },
    #[error("--sweep: `{0}` is an embedding model: it answers no prompts, so calls cannot be priced on it")]
    SweepEmbedding(String),
}

pub fn format_of(output: OutputFormat) -> Format {
    match output {
        OutputFormat::Table => Format::Table,
        OutputFormat::Markdown => Format::Markdown,
        OutputFormat::Csv => Format::Csv,
        OutputFormat::Json => Format::Json,
    }
}

pub fn report_format_of(output: ReportFormat) -> Rendering {
    match output {
        ReportFormat::Table => Rendering::Plain(Format::Table),
        ReportFormat::Markdown => Rendering::Plain(Format::Markdown),
        ReportFormat::Csv => Rendering::Plain(Format::Csv),
        ReportFormat::Json => Rendering::Plain(Format::Json),
        ReportFormat::Html => Rendering::Html,
    }
}

/// The embedded catalog, or the one in `dir`.
pub fn load_catalog(dir: Option<&Path>) -> Result<Catalog, CatalogError> {
    match dir {
        Some(dir) => pricing::load_dir(dir),
        None => pricing::load_embedded(),
    }
}

/// Everything `replay` needs.
#[derive(Debug)]
pub struct ReplayConfig {
    pub spec: ReplaySpec,
    /// Where amounts people read are shown in (`--currency`, `--rate`).
    pub currency: Option<Currency>,
    /// Tables with only the columns that matter at a glance (`--compact`).
    pub compact: bool,
    pub catalog: Catalog,
    pub format: Rendering,
    pub out: Option<PathBuf>,
    /// Where to write `--line-items`.
    pub line_items: Option<PathBuf>,
    pub strict: bool,
    pub quiet: bool,
}

/// The sources a command reads: its inputs, plus the Claude Code logs
/// (`--claude`) and the coding agents' logs (`--agents`) where they live.
pub struct Resolved {
    pub sources: Vec<Source>,
    /// The format each is read as, where not detected.
    pub formats: SourceFormats,
    /// What discovery found where, for the header.
    pub notes: Vec<String>,
}

pub fn resolve_sources(
    mut inputs: Vec<String>,
    format: Option<&str>,
    claude: bool,
    agents: Option<&str>,
) -> Result<Resolved, ConfigError> {
    let mut formats = SourceFormats {
        every: format.map(format_named).transpose()?,
        known: Default::default(),
    };
    // Only Claude Code logs: read every file as such, even one whose first
    // lines are not enough to tell.
    let only_claude = claude && inputs.is_empty() && formats.every.is_none();
    if claude {
        let claude_dirs = ingest::claude_code::claude_dirs()
            .map_err(|what| IngestError::NotFound { path: what })?;
        inputs.extend(claude_dirs.iter().map(|d| d.display().to_string()));
    }
    let mut sources = ingest::resolve_inputs(&inputs)?;
    if only_claude {
        for source in &sources {
            formats
                .known
                .insert(source.clone(), &ingest::claude_code::FORMAT);
        }
    }
    let mut notes = Vec::new();
    if let Some(list) = agents {
        let agents = ingest::agents::named(list).map_err(ConfigError::Agents)?;
        let (env, home) = ingest::agents::environment();
        let found = ingest::agents::discover(&agents, &env, home.as_deref());
        if found.iter().all(|f| f.files.is_empty()) && sources.is_empty() {
            return Err(ConfigError::Agents(ingest::agents::summary(&found)));
        }
        notes.push(ingest::agents::summary(&found));
        for f in found {
            for file in f.files {
                if !sources.contains(&file) {
                    formats.known.insert(file.clone(), f.agent.format);
                    sources.push(file);
                }
            }
        }
    }
    Ok(Resolved {
        sources,
        formats,
        notes,
    })
}

impl TryFrom<ReplayArgs> for ReplayConfig {
    type Error = ConfigError;

    fn try_from(args: ReplayArgs) -> Result<Self, ConfigError> {
        // Clap requires INPUT unless --claude or --agents is given.
        let Resolved {
            sources,
            formats,
            notes: input_notes,
        } = resolve_sources(
            args.inputs,
            args.format.as_deref(),
            args.claude,
            args.agents.as_deref(),
        )?;
        let mut config = ReplayConfig::new(sources, args.run)?;
        config.spec.formats = formats;
        config.spec.input_notes = input_notes;
        Ok(config)
    }
}

impl ReplayConfig {
    /// Settings for pricing `sources` as `args` say.
    pub fn new(sources: Vec<Source>, args: RunArgs) -> Result<Self, ConfigError> {
        let mut dims = Vec::new();
        for text in &args.by {
            let dim: Dimension = text.parse().map_err(ConfigError::BadDimension)?;
            if dims.contains(&dim) {
                return Err(ConfigError::RepeatedDimension(text.clone()));
            }
            dims.push(dim);
        }
        if dims.is_empty() {
            dims.push(Dimension::Model);
        }
        let now = Utc::now();
        let zone = zone_of(&args.window)?;
        let window = time_window(&args.window, zone, now)?;
        let pricing_date = match args.pricing_date.as_deref() {
            None => PricingDate::AtCall,
            Some("latest") => PricingDate::Latest,
            Some(text) => PricingDate::Fixed(
                NaiveDate::parse_from_str(text, "%Y-%m-%d")
                    .map_err(|_| ConfigError::BadPricingDate(text.to_string()))?,
            ),
        };
        let assume_time = args
            .assume_time
            .as_deref()
            .map(|v| parse_bound("assume-time", v, false, zone, now))
            .transpose()?;
        if args.threads == Some(0) {
            return Err(ConfigError::ZeroThreads);
        }
        let currency = match (args.currency.as_deref(), args.rate.as_deref()) {
            (Some(code), Some(rate)) => Some(Currency::parse(code, rate)?),
            _ => None,
        };
        let catalog = load_catalog(args.catalog.pricing.as_deref())?;
        let scenarios = scenarios_of(&args.scenario, &args.what_if, &catalog)?;
        Ok(ReplayConfig {
            spec: ReplaySpec {
                sources,
                dims,
                window,
                zone,
                pricing_date,
                threads: args.threads,
                scenarios,
                shared_prefix: args.shared_prefix,
                formats: SourceFormats::default(),
                input_notes: Vec::new(),
                dedup: Default::default(),
                assume_time,
                top: args.top,
                tasks: args.tasks,
                timeline: args.output.format() == ReportFormat::Html,
                line_items: args.line_items.is_some(),
                spool_dir: Default::default(),
                spool_calls: crate::replay::spool::DEFAULT_SPOOL_CALLS,
                stream: true,
                command: "replay",
            },
            currency,
            compact: args.compact,
            catalog,
            format: report_format_of(args.output.format()),
            out: args.out,
            line_items: args.line_items,
            strict: args.strict,
            quiet: args.quiet,
        })
        .and_then(|config: ReplayConfig| {
            refuse_output_over_input(
                &[
                    ("--out", config.out.as_deref()),
                    ("--line-items", config.line_items.as_deref()),
                ],
                config.spec.sources.iter().filter_map(|s| match s {
                    Source::File(p) => Some(p.as_path()),
                    _ => None,
                }),
            )?;
            Ok(config)
        })
    }
}

/// Refuses an output file that is also an input: creating it would empty
/// the input before it is read. Paths are compared as the files they name
/// (`./a.jsonl` and `a.jsonl`, symlinks); an output that does not exist yet
/// cannot be an input.
pub fn refuse_output_over_input<'a>(
    outputs: &[(&'static str, Option<&Path>)],
    inputs: impl Iterator<Item = &'a Path> + Clone,
) -> Result<(), ConfigError> {
    for (flag, output) in outputs {
        let Some(output) = output else { continue };
        let Ok(target) = output.canonicalize() else {
            continue;
        };
        if let Some(input) = inputs
            .clone()
            .find(|i| i.canonicalize().is_ok_and(|i| i == target))
        {
            return Err(ConfigError::OutputIsInput {
                flag,
                output: output.display().to_string(),
                input: input.display().to_string(),
            });
        }
    }
    Ok(())
}

/// The input format called `name`.
pub fn format_named(name: &str) -> Result<&'static InputFormat, ConfigError> {
    ingest::format::by_name(name).ok_or_else(|| {
        let names: Vec<&str> = ingest::format::all().iter().map(|f| f.name).collect();
        ConfigError::UnknownFormat(name.to_string(), names.join(", "))
    })
}

/// The requested scenarios (presets, files, shorthand flags, sweep),
/// checked against the catalog; the baseline is not included.
pub fn scenarios_of(
    names: &[String],
    what_if: &WhatIfArgs,
    catalog: &Catalog,
) -> Result<Vec<Scenario>, ConfigError> {
    let mut scenarios = Vec::new();
    for arg in names {
        scenarios.extend(scenario::resolve(arg)?);
    }
    let sticky = match what_if.sticky {
        StickyArg::Session => Sticky::Session,
        StickyArg::Call => Sticky::Call,
    };
    let mut route = what_if
        .route
        .as_deref()
        .map(|spec| scenario::parse_route_spec(spec, sticky))
        .transpose()?;
    if let (Some(route), Some(spec)) = (route.as_mut(), what_if.router.as_deref()) {
        route.classifier = Some(scenario::parse_classifier_spec(spec)?);
    }
    let compaction = what_if
        .compaction
        .as_deref()
        .map(scenario::parse_compaction_spec)
        .transpose()?;
    let semantic_cache = what_if
        .semantic_cache
        .as_deref()
        .map(scenario::parse_semantic_spec)
        .transpose()?;
    if let Some(s) = scenario::shorthand(
        compaction,
        route,
        semantic_cache,
        what_if.batch.as_deref(),
        what_if.max_steps,
        what_if.max_tokens,
    )? {
        scenarios.push(s);
    }
    if let Some(list) = &what_if.sweep {
        let ids: Vec<String> = if list.trim() == "all" {
            // Every model that answers prompts: embedding models cannot.
            catalog
                .models
                .iter()
                .filter(|m| !m.embedding)
                .map(|m| m.id.clone())
                .collect()
        } else {
            let mut ids = Vec::new();
            for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
                match catalog.resolve(name) {
                    Some(m) if m.embedding => {
                        return Err(ConfigError::SweepEmbedding(m.id.clone()))
                    }
                    Some(m) => ids.push(m.id.clone()),
                    None => {
                        let hint = catalog.suggest(name);
                        return Err(ConfigError::SweepModel {
                            model: name.to_string(),
                            hint: if hint.is_empty() {
                                String::new()
                            } else {
                                format!("; did you mean {}?", hint.join(", "))
                            },
                        });
                    }
                }
            }
            ids.dedup();
            ids
        };
        scenarios.extend(scenario::sweep(&ids));
    }
    for s in &scenarios {
        s.check_models(catalog)?;
    }
    // The baseline is always shown; asking for it again is harmless.
    Ok(scenario::with_baseline(scenarios)?
        .into_iter()
        .skip(1)
        .collect())
}

/// A `--since`/`--until` value. A bare date means the start of that day in
/// `zone`, or for an upper bound the start of the next day, so the day is
/// included; `today` and `yesterday` are days too. `7d`, `2w`, `12h` mean
/// that long before `now`.
fn parse_bound(
    flag: &'static str,
    value: &str,
    upper: bool,
    zone: Zone,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, ConfigError> {
    if let Some(ago) = parse_ago(value) {
        return Ok(now - ago);
    }
    let today = zone.date(now);
    let named_day = match value {
        "today" => Some(today),
        "yesterday" => today.pred_opt(),
        _ => None,
    };
    if let Some(date) = named_day.or_else(|| NaiveDate::parse_from_str(value, "%Y-%m-%d").ok()) {
        let day = if upper {
            date.checked_add_days(Days::new(1)).unwrap_or(date)
        } else {
            date
        };
        return Ok(zone.start_of(day));
    }
    ingest::fields::parse_timestamp(value).ok_or_else(|| ConfigError::BadTime {
        flag,
        value: value.to_string(),
    })
}

/// The zone a run's calendar follows: `--timezone`, else UTC.
pub fn zone_of(args: &WindowArgs) -> Result<Zone, ConfigError> {
    Ok(args
        .timezone
        .as_deref()
        .map(Zone::parse)
        .transpose()?
        .unwrap_or_default())
}

/// The calls a run keeps: `--since` (or `--last`) and `--until`, read at
/// `now` in the run's `zone`.
pub fn time_window(
    args: &WindowArgs,
    zone: Zone,
    now: DateTime<Utc>,
) -> Result<Window, ConfigError> {
    let (since, until, last) = (
        args.since.as_deref(),
        args.until.as_deref(),
        args.last.as_deref(),
    );
    if let Some(span) = last.filter(|v| parse_ago(v).is_none()) {
        return Err(ConfigError::BadSpan(span.to_string()));
    }
    let since_text = since.or(last);
    let from = since_text
        .map(|v| parse_bound("since", v, false, zone, now))
        .transpose()?;
    let to = until
        .map(|v| parse_bound("until", v, true, zone, now))
        .transpose()?;
    if let (Some(s), Some(u)) = (from, to) {
        if s >= u {
            return Err(ConfigError::EmptyRange {
                since: since_text.unwrap_or_default().to_string(),
                until: until.unwrap_or_default().to_string(),
            });
        }
    }
    Ok(Window {
        since: from,
        until: to,
    })
}

/// `7d`, `2w`, `12h`: a span back from now (at most 100 years).
fn parse_ago(value: &str) -> Option<chrono::TimeDelta> {
    let digits = value.bytes().take_while(u8::is_ascii_digit).count();
    let n: i64 = value[..digits].parse().ok()?;
    let hours = match &value[digits..] {
        "h" => n,
        "d" => n.checked_mul(24)?,
        "w" => n.checked_mul(24 * 7)?,
        _ => return None,
    };
    (hours <= 100 * 366 * 24).then(|| chrono::TimeDelta::hours(hours))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        "2026-12-07T15:30:00Z".parse().unwrap()
    }

    #[test]
    fn date_bounds_include_the_whole_day() {
        let since = parse_bound("since", "2026-03-01", false, Zone::UTC, now()).unwrap();
        let until = parse_bound("until", "2026-03-01", true, Zone::UTC, now()).unwrap();
        assert_eq!(since.to_rfc3339(), "2026-03-01T00:00:00+00:00");
        assert_eq!(until.to_rfc3339(), "2026-03-02T00:00:00+00:00");
        assert!(parse_bound("since", "March", false, Zone::UTC, now()).is_err());
    }

    #[test]
    fn relative_bounds_count_back_from_now() {
        let at_in = |zone: Zone| {
            move |v: &str, upper: bool| {
                parse_bound("since", v, upper, zone, now())
                    .unwrap()
                    .to_rfc3339()
            }
        };
        let at = at_in(Zone::UTC);
        assert_eq!(at("7d", false), "2026-11-30T15:30:00+00:00");
        assert_eq!(at("2w", false), "2026-11-23T15:30:00+00:00");
        assert_eq!(at("12h", false), "2026-12-07T03:30:00+00:00");
        assert_eq!(at("yesterday", false), "2026-12-06T00:00:00+00:00");
        // `--until yesterday` includes all of yesterday.
        assert_eq!(at("yesterday", true), "2026-12-07T00:00:00+00:00");
        assert_eq!(at("today", false), "2026-12-07T00:00:00+00:00");
        // In a zone ahead of UTC, today began the evening before (UTC).
        let in_tokyo = at_in(Zone::parse("Asia/Tokyo").unwrap());
        assert_eq!(in_tokyo("today", false), "2026-12-07T15:00:00+00:00");
        assert_eq!(in_tokyo("yesterday", true), "2026-12-07T15:00:00+00:00");
        assert_eq!(in_tokyo("2026-03-01", false), "2026-02-28T15:00:00+00:00");
        // Spans count back from now whatever the zone.
        assert_eq!(in_tokyo("12h", false), "2026-12-07T03:30:00+00:00");
        for bad in ["7", "d", "7y", "-7d", "99999999999999999999d", "40000d"] {
            assert!(
                parse_bound("since", bad, false, Zone::UTC, now()).is_err(),
                "{bad}"
            );
        }
    }
}
