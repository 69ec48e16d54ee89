//! The HTML report: one self-contained page (inline CSS and SVG; no script,
//! no fonts or images fetched) with four charts and the tables of the text
//! report. Every chart mark carries class `mark` and a `<title>` tooltip, so
//! a browser check can count what was drawn (see `scripts/check-html.sh`).

use crate::zone::Zone;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};

use chrono::DateTime;

use super::grid::{Align, Grid};
use super::{format_share, GroupTotals, Report};
use crate::money::{display_count, Money};

/// Chart colours (Observable's categorical palette), then grey for "other".
const PALETTE: [&str; 8] = [
    "#4269d0", "#efb118", "#ff725c", "#6cc5b0", "#3ca951", "#ff8ab7", "#a463f2", "#97bbf5",
];
const OTHER_COLOUR: &str = "#9498a0";
/// Models drawn with their own colour; the rest are summed as "other models".
const NAMED_MODELS: usize = 7;

const WIDTH: f64 = 960.0;
const LEFT: f64 = 80.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 44.0;

pub fn write_report(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let mut page = String::new();
    let title = format!("costsim report: {}", report.header.inputs.join(", "));
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n<h1>costsim report</h1>\n",
        esc(&title)
    );
    page.push_str(&summary(report));
    page.push_str("<ul class=\"header\">\n");
    for line in report.header_lines() {
        let _ = writeln!(page, "<li>{}</li>", esc(&line));
    }
    page.push_str("</ul>\n");

    let buckets = Buckets::of(report);
    let by_model = model_order(report);
    section(
        &mut page,
        &format!(
            "Cost per {} by model",
            buckets.unit.name(report.header.zone)
        ),
        &cost_over_time(report, &buckets, &by_model),
    );
    section(&mut page, "Cost share by model", &share_by_model(&by_model));
    if let Some((title, svg)) = scenario_bars(report) {
        section(&mut page, title, &svg);
    }
    section(
        &mut page,
        &format!(
            "Cache hit rate per {} (cache reads ÷ prompt tokens)",
            buckets.unit.name(report.header.zone)
        ),
        &hit_rate_over_time(report, &buckets),
    );

    page.push_str("<h2>Breakdown</h2>\n");
    page.push_str(&table(&report.human_grid()));
    if let Some(top) = report.top_grid() {
        page.push_str("<h2>Most expensive sessions</h2>\n");
        page.push_str(&table(&top));
    }
    if let Some(tasks) = &report.tasks {
        let notes = tasks.notes().join("; ");
        let _ = writeln!(
            page,
            "<h2>Per task <small>as recorded and under each scenario. {}</small></h2>",
            esc(&notes)
        );
        page.push_str(&table(&tasks.grid()));
        page.push_str(
            "<h2>Most expensive tasks <small>as recorded and under each scenario</small></h2>\n",
        );
        page.push_str(&table(&tasks.top_grid()));
    }
    if let Some(latency) = report.latency_grid() {
        page.push_str("<h2>Latency per model <small>as the logs record it</small></h2>\n");
        page.push_str(&table(&latency));
    }
    for s in report.sections() {
        let _ = writeln!(
            page,
            "<h2>{}<small>{}</small></h2>",
            esc(&s.title),
            esc(&s.note)
        );
        page.push_str(&table(&s.grid));
    }
    if report.compared().count() > 1 {
        page.push_str("<dl class=\"legend\">\n");
        for s in report.compared() {
            let _ = writeln!(
                page,
                "<dt>{}</dt><dd>{}</dd>",
                esc(&s.name),
                esc(&s.description)
            );
        }
        page.push_str("</dl>\n");
    }
    let _ = write!(
        page,
        "<footer>Made by costsim {}. Prices from the catalog named above; amounts are exact to the \
         femto-dollar and rounded only for display.</footer>\n</main>\n</body>\n</html>\n",
        env!("CARGO_PKG_VERSION")
    );
    out.write_all(page.as_bytes())
}

const STYLE: &str = "
body{margin:0;background:#f7f7f5;color:#1d1d1f;font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif}
main{max-width:1000px;margin:0 auto;padding:24px}
h1{font-size:24px;margin:0 0 12px}
h2{font-size:17px;margin:28px 0 8px}
h2 small{font-weight:normal;color:#666;font-size:13px}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:12px 0}
.card{background:#fff;border:1px solid #ddd;border-radius:8px;padding:10px 14px;min-width:150px}
.card b{display:block;font-size:20px}
.card span{color:#666;font-size:12px}
ul.header{color:#444;font-size:13px;padding-left:18px}
figure{background:#fff;border:1px solid #ddd;border-radius:8px;margin:0;padding:8px}
svg{display:block;width:100%;height:auto}
svg text{font:11px system-ui,sans-serif;fill:#333}
svg .axis{stroke:#bbb;stroke-width:1}
svg .grid{stroke:#eee;stroke-width:1}
.keys{display:flex;flex-wrap:wrap;gap:4px 14px;font-size:12px;margin:6px 4px 0}
.keys i{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:5px;vertical-align:-1px}
table{border-collapse:collapse;background:#fff;font-size:13px;margin:4px 0;font-variant-numeric:tabular-nums}
th,td{border:1px solid #ddd;padding:3px 8px;text-align:left;white-space:nowrap}
th{background:#f0f0ee}
td.num,th.num{text-align:right}
tfoot td{font-weight:bold}
.scroll{overflow-x:auto}
dl.legend{font-size:13px}
dl.legend dt{font-weight:bold;float:left;clear:left;margin-right:8px}
dl.legend dd{margin:0 0 4px}
footer{margin-top:32px;color:#777;font-size:12px}
";

/// Escapes text for HTML element content and attribute values.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn section(page: &mut String, title: &str, figure: &str) {
    let _ = writeln!(page, "<h2>{}</h2>\n<figure>\n{figure}</figure>", esc(title));
}

/// The headline figures.
fn summary(report: &Report) -> String {
    let t = &report.total;
    let mut cards = vec![
        (t.cost.display_usd(), "cost as recorded".to_string()),
        (display_count(t.calls), "calls".to_string()),
        (
            display_count(t.usage.prompt_tokens()),
            "prompt tokens".to_string(),
        ),
        (display_count(t.usage.output), "output tokens".to_string()),
    ];
    if let Some(bp) = t.cache_hit_bp() {
        cards.push((format_share(bp), "of prompt tokens read from cache".into()));
    }
    if let Some(best) = report
        .compared()
        .skip(1)
        .filter(|s| s.total.cost < t.cost)
        .min_by(|a, b| a.total.cost.cmp(&b.total.cost).then(a.name.cmp(&b.name)))
    {
        cards.push((
            (t.cost - best.total.cost).display_usd(),
            format!("saved by {}", best.name),
        ));
    }
    let mut html = String::from("<div class=\"cards\">\n");
    for (value, label) in cards {
        let _ = writeln!(
            html,
            "<div class=\"card\"><b>{}</b><span>{}</span></div>",
            esc(&value),
            esc(&label)
        );
    }
    html.push_str("</div>\n");
    html
}

/// The width of a time bucket, chosen so a chart has at most a few hundred.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Hour,
    Day,
    Week,
}

impl Unit {
    fn hours(self) -> i64 {
        match self {
            Unit::Hour => 1,
            Unit::Day => 24,
            Unit::Week => 168,
        }
    }

    /// The unit in words, with the zone its hours follow.
    fn name(self, zone: Zone) -> String {
        match self {
            Unit::Hour => format!("hour ({zone})"),
            Unit::Day => format!("day ({zone})"),
            Unit::Week => format!("week (ISO, {zone})"),
        }
    }

    /// The first hour of the bucket holding `hour` (weeks start on Monday).
    fn start(self, hour: i64) -> i64 {
        match self {
            Unit::Hour => hour,
            Unit::Day => hour.div_euclid(24) * 24,
            Unit::Week => {
                let day = hour.div_euclid(24);
                // 1970-01-01 was a Thursday: three days after a Monday.
                (day - (day + 3).rem_euclid(7)) * 24
            }
        }
    }

    /// The bucket's name; `start` counts wall-clock hours, so the
    /// date-time it makes read as UTC is the zone's local time.
    fn label(self, start: i64) -> String {
        let Some(t) = DateTime::from_timestamp(start * 3600, 0) else {
            return start.to_string();
        };
        match self {
            Unit::Hour => t.format("%m-%d %H:00").to_string(),
            Unit::Day => t.format("%Y-%m-%d").to_string(),
            Unit::Week => t.format("%G-W%V").to_string(),
        }
    }
}

/// The time axis: every bucket from the first call's to the last call's,
/// empty ones included, so equal widths mean equal time.
struct Buckets {
    unit: Unit,
    starts: Vec<i64>,
}

impl Buckets {
    fn of(report: &Report) -> Buckets {
        let first = report.timeline.iter().map(|p| p.hour).min();
        let last = report.timeline.iter().map(|p| p.hour).max();
        let (Some(first), Some(last)) = (first, last) else {
            return Buckets {
                unit: Unit::Day,
                starts: Vec::new(),
            };
        };
        let span = last - first;
        let unit = if span < 72 {
            Unit::Hour
        } else if span < 24 * 120 {
            Unit::Day
        } else {
            Unit::Week
        };
        let mut starts = Vec::new();
        let mut at = unit.start(first);
        while at <= last {
            starts.push(at);
            at += unit.hours();
        }
        Buckets { unit, starts }
    }

    fn index(&self, hour: i64) -> Option<usize> {
        let first = *self.starts.first()?;
        let i = (self.unit.start(hour) - first) / self.unit.hours();
        usize::try_from(i).ok().filter(|&i| i < self.starts.len())
    }

    fn x(&self, i: usize) -> f64 {
        LEFT + (WIDTH - LEFT - RIGHT) * i as f64 / self.starts.len().max(1) as f64
    }

    fn step(&self) -> f64 {
        (WIDTH - LEFT - RIGHT) / self.starts.len().max(1) as f64
    }

    /// Labels under the axis, at most about ten.
    fn labels(&self, svg: &mut String, height: f64) {
        let n = self.starts.len();
        let every = n.div_ceil(10).max(1);
        for (i, start) in self.starts.iter().enumerate().step_by(every) {
            let x = self.x(i) + self.step() / 2.0;
            let _ = writeln!(
                svg,
                "<text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                height - BOTTOM + 16.0,
                esc(&self.unit.label(*start))
            );
        }
    }
}

/// Baseline cost per model, most expensive first: the colour order.
struct ModelOrder {
    /// Model and its total cost under the calls as recorded.
    models: Vec<(String, GroupTotals)>,
}

impl ModelOrder {
    /// The series drawn: named models, then "other models" if any.
    fn series(&self) -> Vec<(String, &'static str)> {
        let mut out: Vec<(String, &'static str)> = self
            .models
            .iter()
            .take(NAMED_MODELS)
            .enumerate()
            .map(|(i, (m, _))| (m.clone(), PALETTE[i]))
            .collect();
        if self.models.len() > NAMED_MODELS {
            out.push(("other models".to_string(), OTHER_COLOUR));
        }
        out
    }

    fn series_index(&self, model: &str) -> usize {
        self.models
            .iter()
            .position(|(m, _)| m == model)
            .map_or(NAMED_MODELS, |i| i.min(NAMED_MODELS))
    }
}

fn model_order(report: &Report) -> ModelOrder {
    let mut totals: BTreeMap<&str, GroupTotals> = BTreeMap::new();
    for p in report.timeline.iter().filter(|p| p.scenario == 0) {
        totals.entry(&p.model).or_default().add(&p.totals);
    }
    let mut models: Vec<(String, GroupTotals)> = totals
        .into_iter()
        .map(|(m, t)| (m.to_string(), t))
        .collect();
    models.sort_by(|a, b| {
        b.1.cost
            .cmp(&a.1.cost)
            .then(b.1.calls.cmp(&a.1.calls))
            .then(a.0.cmp(&b.0))
    });
    ModelOrder { models }
}

fn keys(series: &[(String, &str)]) -> String {
    let mut html = String::from("<div class=\"keys\">");
    for (name, colour) in series {
        let _ = write!(
            html,
            "<span><i style=\"background:{colour}\"></i>{}</span>",
            esc(name)
        );
    }
    html.push_str("</div>\n");
    html
}

/// A round axis maximum at or above `v` (1, 2, 2.5 or 5 times a power of ten).
fn nice_ceiling(v: f64) -> f64 {
    if v <= 0.0 || !v.is_finite() {
        return 1.0;
    }
    let power = 10f64.powf(v.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * power)
        .find(|&c| c >= v * (1.0 - 1e-12))
        .unwrap_or(10.0 * power)
}

/// Amounts on an axis (in the display currency): as many decimals as the
/// tick step needs.
fn axis_usd(v: f64, step: f64) -> String {
    let decimals = (0..6)
        .find(|&d| {
            let scaled = step * 10f64.powi(d);
            (scaled - scaled.round()).abs() < 1e-9 * scaled.max(1.0)
        })
        .unwrap_or(6) as usize;
    let (_, prefix) = crate::currency::shown(Money::ZERO);
    format!("{prefix}{v:.decimals$}")
}

/// Opens a chart's `<svg>` with horizontal grid lines and y labels.
fn frame(svg: &mut String, id: &str, height: f64, max: f64, label: &dyn Fn(f64, f64) -> String) {
    let _ = writeln!(
        svg,
        "<svg class=\"chart\" id=\"{id}\" viewBox=\"0 0 {WIDTH} {height}\" role=\"img\">"
    );
    let plot = height - TOP - BOTTOM;
    for k in 0..=4 {
        let value = max * k as f64 / 4.0;
        let y = TOP + plot - plot * k as f64 / 4.0;
        let _ = writeln!(
            svg,
            "<line class=\"{}\" x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{y:.1}\" y2=\"{y:.1}\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            if k == 0 { "axis" } else { "grid" },
            WIDTH - RIGHT,
            LEFT - 6.0,
            y + 4.0,
            esc(&label(value, max / 4.0))
        );
    }
}

fn no_data(id: &str) -> String {
    format!(
        "<svg class=\"chart\" id=\"{id}\" viewBox=\"0 0 {WIDTH} 60\"><text x=\"{}\" y=\"34\" \
         text-anchor=\"middle\">No calls to draw.</text></svg>\n",
        WIDTH / 2.0
    )
}

/// Stacked bars: baseline cost per time bucket, one colour per model.
fn cost_over_time(report: &Report, buckets: &Buckets, order: &ModelOrder) -> String {
    if buckets.starts.is_empty() {
        return no_data("cost-over-time");
    }
    let series = order.series();
    // [bucket][series] -> cost
    let mut cost = vec![vec![Money::ZERO; series.len()]; buckets.starts.len()];
    for p in report.timeline.iter().filter(|p| p.scenario == 0) {
        if let Some(b) = buckets.index(p.hour) {
            cost[b][order.series_index(&p.model)] += p.totals.cost;
        }
    }
    let top = cost
        .iter()
        .map(|c| c.iter().fold(Money::ZERO, |a, &m| a + m).to_shown_f64())
        .fold(0.0, f64::max);
    let max = nice_ceiling(top);
    let height = 320.0;
    let plot = height - TOP - BOTTOM;
    let mut svg = String::new();
    frame(&mut svg, "cost-over-time", height, max, &axis_usd);
    let width = (buckets.step() * 0.8).max(1.0);
    for (b, costs) in cost.iter().enumerate() {
        let x = buckets.x(b) + (buckets.step() - width) / 2.0;
        let mut y = TOP + plot;
        let label = buckets.unit.label(buckets.starts[b]);
        for (s, money) in costs.iter().enumerate() {
            if *money == Money::ZERO {
                continue;
            }
            let h = plot * money.to_shown_f64() / max;
            y -= h;
            let _ = writeln!(
                svg,
                "<rect class=\"mark\" x=\"{x:.2}\" y=\"{y:.2}\" width=\"{width:.2}\" height=\"{h:.2}\" \
                 fill=\"{}\"><title>{}: {} {}</title></rect>",
                series[s].1,
                esc(&label),
                esc(&series[s].0),
                money.display_usd()
            );
        }
    }
    buckets.labels(&mut svg, height);
    svg.push_str("</svg>\n");
    svg + &keys(&series)
}

/// Horizontal bars of `(label, value, text, colour)`, longest = widest.
fn bars(id: &str, rows: &[(String, f64, String, &str)]) -> String {
    if rows.is_empty() {
        return no_data(id);
    }
    let row_height = 26.0;
    let label_width = 230.0;
    let text_width = 270.0;
    let height = row_height * rows.len() as f64 + 8.0;
    let max = rows.iter().map(|r| r.1).fold(0.0, f64::max);
    let span = WIDTH - label_width - text_width;
    let mut svg = format!(
        "<svg class=\"chart\" id=\"{id}\" viewBox=\"0 0 {WIDTH} {height}\" role=\"img\">\n"
    );
    for (i, (label, value, text, colour)) in rows.iter().enumerate() {
        let y = 4.0 + row_height * i as f64;
        let w = if max > 0.0 {
            (span * value / max).max(1.0)
        } else {
            1.0
        };
        let _ = writeln!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>\
             <rect class=\"mark\" x=\"{label_width}\" y=\"{:.1}\" width=\"{w:.2}\" height=\"{:.1}\" fill=\"{colour}\">\
             <title>{}: {}</title></rect>\
             <text x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            label_width - 8.0,
            y + 17.0,
            esc(label),
            y + 3.0,
            row_height - 8.0,
            esc(label),
            esc(text),
            label_width + w + 6.0,
            y + 17.0,
            esc(text)
        );
    }
    svg.push_str("</svg>\n");
    svg
}

fn share_by_model(order: &ModelOrder) -> String {
    let total = order
        .models
        .iter()
        .fold(Money::ZERO, |a, (_, t)| a + t.cost);
    let mut rows: Vec<(String, Money, u64)> = order
        .models
        .iter()
        .take(NAMED_MODELS)
        .map(|(m, t)| (m.clone(), t.cost, t.calls))
        .collect();
    if order.models.len() > NAMED_MODELS {
        let rest = &order.models[NAMED_MODELS..];
        rows.push((
            format!("{} other models", rest.len()),
            rest.iter().fold(Money::ZERO, |a, (_, t)| a + t.cost),
            rest.iter().map(|(_, t)| t.calls).sum(),
        ));
    }
    let drawn: Vec<(String, f64, String, &str)> = rows
        .into_iter()
        .enumerate()
        .map(|(i, (label, cost, calls))| {
            let share = cost
                .share_basis_points(total)
                .map_or_else(|| "—".to_string(), format_share);
            (
                label,
                cost.to_shown_f64(),
                format!(
                    "{} · {share} · {} calls",
                    cost.display_usd(),
                    display_count(calls)
                ),
                if i < NAMED_MODELS {
                    PALETTE[i]
                } else {
                    OTHER_COLOUR
                },
            )
        })
        .collect();
    bars("share-by-model", &drawn)
}

/// Models of a sweep drawn at most, cheapest first.
const SWEEP_BARS: usize = 12;

/// Total cost under each compared scenario, or else each model of a sweep
/// (cheapest first): cheaper green, dearer red, the baseline grey. Returns
/// the chart's title too.
fn scenario_bars(report: &Report) -> Option<(&'static str, String)> {
    let base = report.scenarios.first()?;
    let (title, shown): (&str, Vec<&super::ScenarioResult>) = if report.compared().count() >= 2 {
        (
            "Scenario cost against the baseline",
            report.compared().collect(),
        )
    } else {
        let mut sweep: Vec<&super::ScenarioResult> = report
            .scenarios
            .iter()
            .filter(|s| matches!(s.role, crate::scenario::Role::Sweep(_)))
            .collect();
        if sweep.is_empty() {
            return None;
        }
        sweep.sort_by(|a, b| a.total.cost.cmp(&b.total.cost).then(a.name.cmp(&b.name)));
        sweep.truncate(SWEEP_BARS);
        sweep.insert(0, base);
        ("The same calls on other models (cheapest first)", sweep)
    };
    let rows: Vec<(String, f64, String, &str)> = shown
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let cost = s.total.cost;
            let change = super::change_bp(base.total.cost, cost).map_or_else(String::new, |bp| {
                let sign = if bp > 0 {
                    "+"
                } else if bp < 0 {
                    "−"
                } else {
                    "±"
                };
                format!(" ({sign}{})", format_share(bp.abs()))
            });
            let colour = if i == 0 {
                "#6b7280"
            } else if cost < base.total.cost {
                "#3ca951"
            } else if cost > base.total.cost {
                "#e4572e"
            } else {
                "#9498a0"
            };
            (
                s.name.clone(),
                cost.to_shown_f64(),
                format!("{}{change}", cost.display_usd()),
                colour,
            )
        })
        .collect();
    Some((title, bars("scenario-savings", &rows)))
}

/// One line per compared scenario: cache reads over prompt tokens per bucket.
fn hit_rate_over_time(report: &Report, buckets: &Buckets) -> String {
    if buckets.starts.is_empty() {
        return no_data("cache-hit-rate");
    }
    let names: Vec<(usize, String)> = report
        .scenarios
        .iter()
        .enumerate()
        .filter(|(_, s)| !matches!(s.role, crate::scenario::Role::Sweep(_)))
        .map(|(i, s)| (i, s.name.clone()))
        .take(PALETTE.len())
        .collect();
    let names = if names.is_empty() {
        vec![(0, "as recorded".to_string())]
    } else {
        names
    };
    let height = 280.0;
    let plot = height - TOP - BOTTOM;
    let mut svg = String::new();
    frame(&mut svg, "cache-hit-rate", height, 1.0, &|v, _| {
        format!("{:.0}%", v * 100.0)
    });
    let mut series = Vec::new();
    for (n, (index, name)) in names.iter().enumerate() {
        let mut per_bucket = vec![(0u64, 0u64); buckets.starts.len()];
        for p in report.timeline.iter().filter(|p| p.scenario == *index) {
            if let Some(b) = buckets.index(p.hour) {
                per_bucket[b].0 += p.totals.usage.cache_read;
                per_bucket[b].1 += p.totals.usage.prompt_tokens();
            }
        }
        let colour = PALETTE[n];
        let points: Vec<(f64, f64, usize, f64)> = per_bucket
            .iter()
            .enumerate()
            .filter(|(_, (_, prompt))| *prompt > 0)
            .map(|(b, (read, prompt))| {
                let rate = *read as f64 / *prompt as f64;
                (
                    buckets.x(b) + buckets.step() / 2.0,
                    TOP + plot - plot * rate,
                    b,
                    rate,
                )
            })
            .collect();
        // A line joins neighbouring buckets only: an hour without calls
        // breaks it rather than drawing a slope nobody measured.
        let mut runs: Vec<Vec<(f64, f64)>> = Vec::new();
        let mut previous: Option<usize> = None;
        for (x, y, b, _) in &points {
            match (previous, runs.last_mut()) {
                (Some(p), Some(run)) if p + 1 == *b => run.push((*x, *y)),
                _ => runs.push(vec![(*x, *y)]),
            }
            previous = Some(*b);
        }
        for run in runs.iter().filter(|r| r.len() > 1) {
            let path: Vec<String> = run.iter().map(|(x, y)| format!("{x:.1},{y:.1}")).collect();
            let _ = writeln!(
                svg,
                "<polyline class=\"mark\" points=\"{}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\"><title>{}</title></polyline>",
                path.join(" "),
                esc(name)
            );
        }
        for (x, y, b, rate) in &points {
            let _ = writeln!(
                svg,
                "<circle class=\"mark\" cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"3\" fill=\"{colour}\">\
                 <title>{}, {}: {:.1}% of prompt tokens read from cache</title></circle>",
                esc(name),
                esc(&buckets.unit.label(buckets.starts[*b])),
                rate * 100.0
            );
        }
        series.push((name.clone(), colour));
    }
    buckets.labels(&mut svg, height);
    svg.push_str("</svg>\n");
    svg + &keys(&series)
}

/// A grid as an HTML table; right-aligned columns get class `num`.
fn table(grid: &Grid) -> String {
    let grid = &*grid.for_display();
    let class = |i: usize| {
        if grid.align.get(i) == Some(&Align::Right) {
            " class=\"num\""
        } else {
            ""
        }
    };
    let row = |cells: &[String], tag: &str| -> String {
        let mut html = String::from("<tr>");
        for (i, c) in cells.iter().enumerate() {
            let _ = write!(html, "<{tag}{}>{}</{tag}>", class(i), esc(c));
        }
        html.push_str("</tr>\n");
        html
    };
    let mut html = String::from("<div class=\"scroll\"><table>\n<thead>");
    html.push_str(&row(&grid.headers, "th"));
    html.push_str("</thead>\n<tbody>\n");
    for r in &grid.rows {
        html.push_str(&row(r, "td"));
    }
    html.push_str("</tbody>\n");
    if let Some(footer) = &grid.footer {
        html.push_str("<tfoot>");
        html.push_str(&row(footer, "td"));
        html.push_str("</tfoot>\n");
    }
    html.push_str("</table></div>\n");
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }

    #[test]
    fn rounds_axis_maxima() {
        assert_eq!(nice_ceiling(0.0), 1.0);
        assert_eq!(nice_ceiling(0.37), 0.5);
        assert_eq!(nice_ceiling(2.0), 2.0);
        assert_eq!(nice_ceiling(2.1), 2.5);
        assert_eq!(nice_ceiling(730.0), 1000.0);
        assert_eq!(axis_usd(250.0, 250.0), "$250");
        assert_eq!(axis_usd(0.125, 0.125), "$0.125");
        assert_eq!(axis_usd(0.5, 0.25), "$0.50");
    }

    #[test]
    fn weeks_start_on_monday() {
        // 2026-11-26 12:00 UTC is a Thursday; its week starts Monday 2026-11-23.
        let hour = 1_795_694_400 / 3600;
        let start = Unit::Week.start(hour);
        assert_eq!(Unit::Day.label(start), "2026-11-23");
        assert_eq!(Unit::Week.label(start), "2026-W48");
        assert_eq!(Unit::Day.start(hour) % 24, 0);
    }
}
