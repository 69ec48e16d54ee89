//! Reports: grouped totals with their header, and renderers for each output
//! format. Renderers are pure: they write into any `io::Write`.

pub mod aggregate;
pub mod check;
pub mod diff;
pub mod doctor;
pub mod grid;
pub mod html;
pub mod json;
pub mod line_items;
pub mod merge;
pub mod scenarios;
pub mod tasks;

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};

use crate::ingest::SkipReason;
use crate::money::{display_count, Money};
use crate::record::Call;
use crate::zone::Zone;

pub use aggregate::GroupTotals;
use grid::{Align, Grid};
pub use scenarios::{change_bp, ScenarioResult, ScenarioStats};

/// A column to group calls by.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Dimension {
    Model,
    Provider,
    Account,
    Day,
    Week,
    Month,
    Session,
    /// What a call was part of: its `task` tag, else its session.
    Task,
    /// The format of the log a call was read from: the coding agent
    /// (`claude-code`, `codex`, `gemini-cli`) or the API log (`openai`).
    Agent,
    Tag(String),
}

impl FromStr for Dimension {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "model" => Dimension::Model,
            "provider" => Dimension::Provider,
            "account" => Dimension::Account,
            "day" => Dimension::Day,
            "week" => Dimension::Week,
            "month" => Dimension::Month,
            "session" => Dimension::Session,
            "task" => Dimension::Task,
            "agent" => Dimension::Agent,
            other => match other.strip_prefix("tag:") {
                Some(key) if !key.is_empty() => Dimension::Tag(key.to_string()),
                _ => {
                    return Err(format!(
                        "`{other}` is not a dimension: use model, provider, account, day, week, month, session, task, agent or tag:KEY"
                    ))
                }
            },
        })
    }
}

impl fmt::Display for Dimension {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Dimension::Model => f.write_str("model"),
            Dimension::Provider => f.write_str("provider"),
            Dimension::Account => f.write_str("account"),
            Dimension::Day => f.write_str("day"),
            Dimension::Week => f.write_str("week"),
            Dimension::Month => f.write_str("month"),
            Dimension::Session => f.write_str("session"),
            Dimension::Task => f.write_str("task"),
            Dimension::Agent => f.write_str("agent"),
            Dimension::Tag(k) => write!(f, "tag:{k}"),
        }
    }
}

/// A wall time for people: `2h 05m`, `3m 20s`, `45s`, `850 ms`.
pub fn display_duration(d: chrono::TimeDelta) -> String {
    let ms = d.num_milliseconds().max(0);
    let s = ms / 1000;
    match s {
        0 => format!("{ms} ms"),
        1..=59 => format!("{s}s"),
        60..=3599 => format!("{}m {:02}s", s / 60, s % 60),
        _ => format!("{}h {:02}m", s / 3600, (s % 3600) / 60),
    }
}

/// Group key for calls without a session or tag.
pub const NONE_KEY: &str = "(none)";

impl Dimension {
    /// Column title for people.
    pub fn title(&self) -> String {
        match self {
            Dimension::Tag(k) => k.clone(),
            other => {
                let text = other.to_string();
                let mut chars = text.chars();
                chars
                    .next()
                    .map(|c| c.to_uppercase().collect::<String>() + chars.as_str())
                    .unwrap_or_default()
            }
        }
    }

    pub fn is_time(&self) -> bool {
        matches!(self, Dimension::Day | Dimension::Week | Dimension::Month)
    }

    /// This call's key. `model` and `provider` are the catalog's names when
    /// the model is priced, else what the call says.
    pub fn key(&self, call: &Call, model: &str, provider: &str, zone: Zone) -> String {
        match self {
            Dimension::Model => model.to_string(),
            Dimension::Provider => provider.to_string(),
            Dimension::Account => call.account.clone(),
            Dimension::Day => zone.day_key(call.ts),
            Dimension::Week => zone.week_key(call.ts),
            Dimension::Month => zone.month_key(call.ts),
            Dimension::Session => call.session.clone().unwrap_or_else(|| NONE_KEY.to_string()),
            Dimension::Task => tasks::task_of(&call.tags, &call.session)
                .cloned()
                .unwrap_or_else(|| NONE_KEY.to_string()),
            Dimension::Agent if call.format.is_empty() => NONE_KEY.to_string(),
            Dimension::Agent => call.format.to_string(),
            Dimension::Tag(k) => call
                .tags
                .get(k)
                .cloned()
                .unwrap_or_else(|| NONE_KEY.to_string()),
        }
    }
}

/// A model found in the input but not in the catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnpricedModel {
    pub name: String,
    pub calls: u64,
    pub suggestions: Vec<String>,
}

/// Everything said above the table: what was read and how it was priced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Header {
    /// The command that made the report: `replay` or `estimate`.
    pub command: String,
    pub inputs: Vec<String>,
    /// Non-blank lines read.
    pub lines: u64,
    /// Calls in the report (after `--since/--until`).
    pub calls: u64,
    /// Valid calls left out by `--since/--until`.
    pub filtered_out: u64,
    /// Skipped lines by reason, in reason order.
    pub skipped: Vec<(SkipReason, u64)>,
    /// Files that could not be opened or read at all.
    pub unreadable_files: u64,
    pub first: Option<DateTime<Utc>>,
    pub last: Option<DateTime<Utc>>,
    pub catalog_version: String,
    pub catalog_origin: String,
    /// How the price period was chosen, in words.
    pub pricing_date: String,
    /// The same, as a stable key for JSON: `at_call`, `latest` or a date.
    pub pricing_date_key: String,
    pub unpriced: Vec<UnpricedModel>,
    /// Other things worth knowing, one sentence each.
    pub notes: Vec<String>,
    /// Files read per input format.
    pub formats: Vec<(String, u64)>,
    /// Calls counted per input format (after `--since/--until`).
    pub format_calls: Vec<(String, u64)>,
    /// Lines that carry no usage (user messages, session records, headers).
    pub not_calls: u64,
    /// Lines repeating an API response already counted, folded.
    pub duplicates: u64,
    /// Where days are cut, and the zone of the times shown.
    pub zone: Zone,
}

impl Header {
    pub fn skipped_total(&self) -> u64 {
        self.skipped.iter().map(|(_, n)| n).sum()
    }
}

/// One row of the breakdown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub totals: GroupTotals,
    /// Share of the total cost, in hundredths of a percent.
    pub share_bp: Option<i128>,
}

impl Row {
    /// No call of the row could be priced.
    pub fn is_unpriced(&self) -> bool {
        self.totals.calls > 0 && self.totals.unpriced_calls == self.totals.calls
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub header: Header,
    pub dims: Vec<Dimension>,
    pub rows: Vec<Row>,
    pub total: GroupTotals,
    /// The baseline and each requested scenario; empty when none was asked for.
    pub scenarios: Vec<ScenarioResult>,
    /// The most expensive sessions (`--top N`), most expensive first; keys
    /// `[session]`.
    pub top_sessions: Vec<GroupTotals>,
    /// Totals per scenario, hour and model, in that order; empty unless the
    /// report is drawn as charts.
    pub timeline: Vec<TimelinePoint>,
    /// Latencies the logs record, per model (by name); empty when none do.
    pub latency: Vec<LatencyRow>,
    /// `--tasks`: cost, calls and tokens per task, as recorded and under
    /// each scenario.
    pub tasks: Option<tasks::TaskSummary>,
    /// Each top session's first call and last answer (the last call's time
    /// plus its latency, where logged): its wall time.
    pub top_spans: std::collections::BTreeMap<String, (DateTime<Utc>, DateTime<Utc>)>,
}

/// One model's recorded latencies: how many calls carry one, and the
/// nearest-rank percentiles of them, in milliseconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LatencyRow {
    pub model: String,
    pub calls: u64,
    pub p50_ms: u64,
    pub p95_ms: u64,
    pub max_ms: u64,
}

impl LatencyRow {
    /// From how many calls took each number of milliseconds; `None` for
    /// no calls.
    pub fn of(model: &str, counts: &std::collections::BTreeMap<u64, u64>) -> Option<LatencyRow> {
        let calls: u64 = counts.values().sum();
        if calls == 0 {
            return None;
        }
        // Nearest rank: the smallest value with at least p% of the calls at
        // or below it.
        let at = |percent: u64| {
            let rank = (calls * percent).div_ceil(100).max(1);
            let mut seen = 0;
            for (&ms, &n) in counts {
                seen += n;
                if seen >= rank {
                    return ms;
                }
            }
            *counts.keys().next_back().unwrap_or(&0)
        };
        Some(LatencyRow {
            model: model.to_string(),
            calls,
            p50_ms: at(50),
            p95_ms: at(95),
            max_ms: *counts.keys().next_back()?,
        })
    }
}

/// One model's calls in one hour under one scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimelinePoint {
    /// Index into `Report::scenarios`; 0 is the calls as recorded.
    pub scenario: usize,
    /// Hours since 1970-01-01 00:00 on the report zone's wall clock.
    pub hour: i64,
    pub model: String,
    pub totals: GroupTotals,
}

impl Report {
    /// Orders groups (by time when the first dimension is time, else by cost,
    /// largest first; keys break ties) and computes shares and the total.
    pub fn new(header: Header, dims: Vec<Dimension>, groups: Vec<GroupTotals>) -> Report {
        let mut total = GroupTotals::default();
        for g in &groups {
            total.add(g);
        }
        let mut groups = groups;
        if dims.first().is_some_and(Dimension::is_time) {
            groups.sort_by(|a, b| a.keys.cmp(&b.keys));
        } else {
            groups.sort_by(|a, b| {
                b.cost
                    .cmp(&a.cost)
                    .then_with(|| b.calls.cmp(&a.calls))
                    .then_with(|| a.keys.cmp(&b.keys))
            });
        }
        let rows = groups
            .into_iter()
            .map(|totals| Row {
                share_bp: totals.cost.share_basis_points(total.cost),
                totals,
            })
            .collect();
        Report {
            header,
            dims,
            rows,
            total,
            scenarios: Vec::new(),
            top_sessions: Vec::new(),
            timeline: Vec::new(),
            latency: Vec::new(),
            tasks: None,
            top_spans: Default::default(),
        }
    }

    pub fn with_top_spans(
        mut self,
        spans: std::collections::BTreeMap<String, (DateTime<Utc>, DateTime<Utc>)>,
    ) -> Report {
        self.top_spans = spans;
        self
    }

    /// A top session's wall time: first call to last answer.
    pub fn wall_time(&self, session: &str) -> Option<chrono::TimeDelta> {
        self.top_spans.get(session).map(|(a, b)| *b - *a)
    }

    pub fn with_tasks(mut self, tasks: Option<tasks::TaskSummary>) -> Report {
        self.tasks = tasks;
        self
    }

    pub fn with_latency(mut self, latency: Vec<LatencyRow>) -> Report {
        self.latency = latency;
        self
    }

    pub fn with_timeline(mut self, timeline: Vec<TimelinePoint>) -> Report {
        self.timeline = timeline;
        self
    }

    /// An error naming the first group, total or scenario whose sums
    /// overflowed: such numbers are refused, never printed wrapped.
    pub fn check_sums(&self) -> Result<(), aggregate::AggregateError> {
        for row in &self.rows {
            row.totals
                .check(|| aggregate::group_name(&row.totals.keys))?;
        }
        self.total.check(|| "the total row".to_string())?;
        for s in &self.scenarios {
            s.total.check(|| format!("scenario `{}`", s.name))?;
            for m in &s.by_model {
                m.check(|| format!("model `{}` in scenario `{}`", m.keys.join(" / "), s.name))?;
            }
        }
        for t in &self.top_sessions {
            t.check(|| format!("session `{}`", t.keys.join(" / ")))?;
        }
        for p in &self.timeline {
            p.totals
                .check(|| format!("model `{}` in hour {}", p.model, p.hour))?;
        }
        Ok(())
    }

    pub fn with_top_sessions(mut self, sessions: Vec<GroupTotals>) -> Report {
        self.top_sessions = sessions;
        self
    }

    /// Recorded latencies per model (p50, p95, max), when the logs carry
    /// any.
    pub fn latency_grid(&self) -> Option<Grid> {
        if self.latency.is_empty() {
            return None;
        }
        let mut grid = Grid::titled(&["Model", "Calls timed", "p50", "p95", "Max"], 1);
        let ms = |v: u64| format!("{} ms", display_count(v));
        for l in &self.latency {
            grid.push(vec![
                l.model.clone(),
                display_count(l.calls),
                ms(l.p50_ms),
                ms(l.p95_ms),
                ms(l.max_ms),
            ]);
        }
        Some(grid)
    }

    /// `--top`: the most expensive sessions with their calls (steps), tokens
    /// and cost: where runaway agent loops show up.
    pub fn top_grid(&self) -> Option<Grid> {
        if self.top_sessions.is_empty() {
            return None;
        }
        let mut grid = Grid::titled(
            &[
                "Session",
                "Steps",
                "Wall time",
                "Prompt tokens",
                "Output",
                "Cost",
                "Share",
            ],
            1,
        );
        for s in &self.top_sessions {
            grid.push(vec![
                s.keys[0].clone(),
                display_count(s.calls),
                self.wall_time(&s.keys[0])
                    .map_or_else(|| "—".to_string(), display_duration),
                display_count(s.usage.prompt_tokens()),
                display_count(s.usage.output),
                s.cost.exact_usd(),
                s.cost
                    .share_basis_points(self.total.cost)
                    .map_or_else(|| "—".to_string(), format_share),
            ]);
        }
        Some(grid)
    }

    pub fn with_scenarios(mut self, scenarios: Vec<ScenarioResult>) -> Report {
        self.scenarios = scenarios;
        self
    }

    /// The header as plain lines, for table and markdown output.
    pub fn header_lines(&self) -> Vec<String> {
        let h = &self.header;
        let mut lines = Vec::new();
        let range = match (h.first, h.last) {
            (Some(a), Some(b)) => format!(
                ", {} → {} {}",
                h.zone.local(a).format("%Y-%m-%d %H:%M"),
                h.zone.local(b).format("%Y-%m-%d %H:%M"),
                h.zone
            ),
            _ => String::new(),
        };
        lines.push(format!(
            "costsim {}: {} input{}, {} lines, {} calls{}",
            h.command,
            h.inputs.len(),
            plural(h.inputs.len() as u64),
            display_count(h.lines),
            display_count(h.calls),
            range
        ));
        let skipped = h.skipped_total();
        if skipped > 0 {
            let reasons: Vec<String> = h
                .skipped
                .iter()
                .map(|(r, n)| format!("{} {}", r.label(), display_count(*n)))
                .collect();
            lines.push(format!(
                "Skipped {} line{}: {}",
                display_count(skipped),
                plural(skipped),
                reasons.join(", ")
            ));
        }
        if h.unreadable_files > 0 {
            lines.push(format!(
                "Unreadable files: {} (see stderr)",
                display_count(h.unreadable_files)
            ));
        }
        if h.formats.iter().any(|(name, _)| name != "canonical") || h.duplicates > 0 {
            let formats: Vec<String> = h
                .formats
                .iter()
                .map(|(name, n)| {
                    let calls = h
                        .format_calls
                        .iter()
                        .find(|(f, _)| f == name)
                        .map_or(0, |(_, c)| *c);
                    format!(
                        "{name} ({} file{}, {} call{})",
                        display_count(*n),
                        plural(*n),
                        display_count(calls),
                        plural(calls)
                    )
                })
                .collect();
            lines.push(format!(
                "Formats: {}; {} lines without usage; {} duplicate lines folded",
                formats.join(", "),
                display_count(h.not_calls),
                display_count(h.duplicates)
            ));
        }
        if h.filtered_out > 0 {
            lines.push(format!(
                "Outside --since/--until: {} calls",
                display_count(h.filtered_out)
            ));
        }
        lines.push(format!(
            "Pricing: catalog {} ({}), prices {}",
            h.catalog_version, h.catalog_origin, h.pricing_date
        ));
        if let Some(c) = crate::currency::display() {
            lines.push(format!(
                "Amounts in {} at {} {} per US dollar (the rate given; prices, CSV and JSON are in USD)",
                c.code, c.per_usd, c.code
            ));
        }
        if !h.unpriced.is_empty() {
            let names: Vec<String> = h
                .unpriced
                .iter()
                .map(|u| {
                    format!(
                        "{} ({} call{})",
                        u.name,
                        display_count(u.calls),
                        plural(u.calls)
                    )
                })
                .collect();
            lines.push(format!("Unpriced models: {}", names.join(", ")));
        }
        for note in &h.notes {
            lines.push(format!("Note: {note}"));
        }
        if self.has_billed() {
            let t = &self.total;
            lines.push(format!(
                "Billed: {} calls carry the provider's cost: billed {}, costsim {} for the same calls",
                display_count(t.billed_calls),
                t.billed.display_usd(),
                t.billed_priced.display_usd()
            ));
        }
        lines
    }

    fn key_titles(&self) -> Vec<String> {
        self.dims.iter().map(Dimension::title).collect()
    }

    /// The breakdown with numbers formatted for people.
    pub fn human_grid(&self) -> Grid {
        let mut headers = self.key_titles();
        headers.extend(
            [
                "Calls",
                "Input",
                "Cache write",
                "Cache read",
                "Output",
                "Cost",
                "Share",
            ]
            .map(String::from),
        );
        let mut align = vec![Align::Left; self.dims.len()];
        align.extend([Align::Right; 7]);
        // Fees per tool use (web searches), part of Cost, when any was paid.
        let tools = self.has_tools();
        if tools {
            headers.insert(headers.len() - 2, "Tools".to_string());
            align.push(Align::Right);
        }
        let with_tools = |mut cells: Vec<String>, t: &GroupTotals| {
            if tools {
                cells.insert(cells.len() - 1, t.tools.exact_usd());
            }
            cells
        };
        let billed = self.has_billed();
        if billed {
            headers.extend(["Billed".to_string(), "Billed − costsim".to_string()]);
            align.extend([Align::Right; 2]);
        }
        let mut grid = Grid::new(headers, align);
        for row in &self.rows {
            let mut cells = row.totals.keys.clone();
            cells.extend(with_tools(
                human_numbers(&row.totals, row.is_unpriced()),
                &row.totals,
            ));
            cells.push(match (row.is_unpriced(), row.share_bp) {
                (true, _) | (_, None) => "—".to_string(),
                (false, Some(bp)) => format_share(bp),
            });
            if billed {
                cells.extend(billed_cells(&row.totals));
            }
            grid.push(cells);
        }
        let mut total = vec![String::new(); self.dims.len()];
        if let Some(first) = total.first_mut() {
            *first = "Total".to_string();
        }
        total.extend(with_tools(human_numbers(&self.total, false), &self.total));
        total.push(if self.total.cost == Money::ZERO {
            "—".to_string()
        } else {
            "100.0%".to_string()
        });
        if billed {
            total.extend(billed_cells(&self.total));
        }
        grid.set_footer(total);
        grid
    }

    /// Whether some calls paid fees per tool use.
    pub fn has_tools(&self) -> bool {
        self.total.tools != Money::ZERO
    }

    /// Whether some calls carry what the provider billed.
    pub fn has_billed(&self) -> bool {
        self.total.billed_calls > 0
    }

    /// Column names of the CSV breakdown.
    fn machine_headers(&self) -> Vec<String> {
        let mut headers: Vec<String> = self.dims.iter().map(|d| d.to_string()).collect();
        headers.extend(
            aggregate::COUNT_COLUMNS
                .iter()
                .chain(["cost_usd", "share"].iter())
                .map(|s| s.to_string()),
        );
        if self.has_tools() {
            headers.push("tools_usd".to_string());
        }
        if self.has_billed() {
            headers.extend(["billed_calls", "billed_usd", "billed_priced_usd"].map(String::from));
        }
        headers
    }

    /// One CSV row of the breakdown, plain numbers.
    fn machine_cells(&self, row: &Row) -> Vec<String> {
        let t = &row.totals;
        let mut cells = t.keys.clone();
        cells.extend(aggregate::count_cells(t));
        cells.extend([
            if row.is_unpriced() {
                String::new()
            } else {
                t.cost.to_decimal_string(6)
            },
            match row.share_bp {
                Some(bp) if !row.is_unpriced() => share_fraction(bp),
                _ => String::new(),
            },
        ]);
        if self.has_tools() {
            cells.push(t.tools.to_decimal_string(6));
        }
        if self.has_billed() {
            cells.extend([
                t.billed_calls.to_string(),
                t.billed.to_decimal_string(6),
                t.billed_priced.to_decimal_string(6),
            ]);
        }
        cells
    }

    /// The breakdown as CSV: one row per group, no total. Rows are formatted
    /// one at a time, so a million groups cost no extra million strings.
    pub fn write_machine_csv(&self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        let mut writer = csv::Writer::from_writer(out);
        writer.write_record(self.machine_headers())?;
        for row in &self.rows {
            let cells = self.machine_cells(row);
            let safe: Vec<_> = cells.iter().map(|c| csv_cell(c)).collect();
            writer.write_record(safe.iter().map(|c| c.as_bytes()))?;
        }
        writer.flush()
    }
}

/// A CSV cell that a spreadsheet will not run as a formula: text from logs
/// (model names, tags, sessions) that starts with `=`, `+`, `-`, `@` or a
/// control character gets a leading `'`; numbers (`-1.5`) are left alone.
pub fn csv_cell(cell: &str) -> std::borrow::Cow<'_, str> {
    let risky = cell
        .chars()
        .next()
        .is_some_and(|c| matches!(c, '=' | '+' | '-' | '@' | '\t' | '\r'));
    if risky && cell.parse::<f64>().is_err() {
        std::borrow::Cow::Owned(format!("'{cell}"))
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}

/// Billed amount and its difference from costsim's price for the same calls.
fn billed_cells(t: &GroupTotals) -> [String; 2] {
    if t.billed_calls == 0 {
        return ["—".to_string(), "—".to_string()];
    }
    let diff = t.billed - t.billed_priced;
    [t.billed.exact_usd(), diff.exact_signed_usd()]
}

fn human_numbers(t: &GroupTotals, unpriced: bool) -> Vec<String> {
    vec![
        display_count(t.calls),
        display_count(t.usage.input),
        display_count(t.usage.cache_write()),
        display_count(t.usage.cache_read),
        display_count(t.usage.output),
        if unpriced {
            "(unpriced)".to_string()
        } else {
            t.cost.exact_usd()
        },
    ]
}

/// `4567` basis points -> `45.7%`.
pub fn format_share(bp: i128) -> String {
    let tenths = (bp + 5).div_euclid(10);
    format!("{}.{}%", tenths / 10, tenths % 10)
}

/// `4567` basis points -> `0.4567`; `-125` -> `-0.0125`.
pub fn share_fraction(bp: i128) -> String {
    let sign = if bp < 0 { "-" } else { "" };
    let abs = bp.abs();
    format!("{sign}{}.{:04}", abs / 10_000, abs % 10_000)
}

fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// Output formats of reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Markdown,
    Csv,
    Json,
}

/// How a replay report is written: as any command's output, or as a web
/// page with charts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rendering {
    Plain(Format),
    Html,
}

/// Writes a report in the given format.
pub fn render(
    report: &Report,
    rendering: Rendering,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let format = match rendering {
        Rendering::Html => return html::write_report(report, out),
        Rendering::Plain(format) => format,
    };
    match format {
        Format::Table => {
            for line in report.header_lines() {
                writeln!(out, "{line}")?;
            }
            writeln!(out)?;
            grid::write_table(&report.human_grid(), out)?;
            if let Some(top) = report.top_grid() {
                writeln!(out, "\nMost expensive sessions:\n")?;
                grid::write_table(&top, out)?;
            }
            if let Some(tasks) = &report.tasks {
                writeln!(out, "\nPer task, as recorded and under each scenario:\n")?;
                grid::write_table(&tasks.grid(), out)?;
                for note in tasks.notes() {
                    writeln!(out, "{note}")?;
                }
                writeln!(
                    out,
                    "\nMost expensive tasks, as recorded and under each scenario:\n"
                )?;
                grid::write_table(&tasks.top_grid(), out)?;
            }
            scenarios::write_sections(report, false, out)
        }
        Format::Markdown => {
            for line in report.header_lines() {
                writeln!(out, "{}  ", grid::escape_markdown(&line))?;
            }
            writeln!(out)?;
            grid::write_markdown(&report.human_grid(), out)?;
            if let Some(top) = report.top_grid() {
                writeln!(out, "\n**Most expensive sessions**\n")?;
                grid::write_markdown(&top, out)?;
            }
            if let Some(tasks) = &report.tasks {
                writeln!(out, "\n**Per task, as recorded and under each scenario**\n")?;
                grid::write_markdown(&tasks.grid(), out)?;
                for note in tasks.notes() {
                    writeln!(out, "\n{}", grid::escape_markdown(&note))?;
                }
                writeln!(
                    out,
                    "\n**Most expensive tasks, as recorded and under each scenario**\n"
                )?;
                grid::write_markdown(&tasks.top_grid(), out)?;
            }
            scenarios::write_sections(report, true, out)
        }
        Format::Csv => match report.scenario_machine_grid() {
            Some(grid) => grid::write_csv(&grid, out),
            None => report.write_machine_csv(out),
        },
        Format::Json => json::write_report(report, out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_that_would_be_formulas_are_quoted() {
        for (cell, want) in [
            ("=1+1", "'=1+1"),
            ("+cmd", "'+cmd"),
            ("-x", "'-x"),
            ("@sum(A1)", "'@sum(A1)"),
            ("\tx", "'\tx"),
            ("-1.5", "-1.5"),
            ("+2", "+2"),
            ("gpt-5", "gpt-5"),
            ("", ""),
        ] {
            assert_eq!(csv_cell(cell), want, "{cell:?}");
        }
    }

    #[test]
    fn formats_shares() {
        assert_eq!(format_share(4567), "45.7%");
        assert_eq!(format_share(10_000), "100.0%");
        assert_eq!(format_share(4), "0.0%");
        assert_eq!(format_share(5), "0.1%");
        assert_eq!(share_fraction(4567), "0.4567");
        assert_eq!(share_fraction(10_000), "1.0000");
    }

    #[test]
    fn parses_dimensions() {
        assert_eq!(
            "tag:team".parse::<Dimension>().unwrap(),
            Dimension::Tag("team".into())
        );
        assert!("tag:".parse::<Dimension>().is_err());
        assert!("colour".parse::<Dimension>().is_err());
        assert_eq!(Dimension::Week.title(), "Week");
    }
}
