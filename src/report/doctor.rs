//! Rendering of `cache doctor` findings.

use std::io::{self, Write};

use serde_json::json;

use super::grid::{self, Align, Grid};
use super::Format;
use crate::cache::doctor::Diagnosis;
use crate::money::display_count;

/// Sessions listed under each finding.
const SHOWN_SESSIONS: usize = 5;

fn findings_grid(d: &Diagnosis) -> Grid {
    let mut grid = Grid::new(
        [
            "#",
            "Finding",
            "Sessions",
            "Calls",
            "Lost",
            "Share of spend",
        ]
        .map(String::from)
        .to_vec(),
        vec![
            Align::Right,
            Align::Left,
            Align::Right,
            Align::Right,
            Align::Right,
            Align::Right,
        ],
    );
    for (i, f) in d.findings.iter().enumerate() {
        grid.push(vec![
            (i + 1).to_string(),
            f.kind.title().to_string(),
            display_count(f.evidence.len() as u64),
            display_count(f.calls),
            f.lost.display_usd(),
            f.lost
                .share_basis_points(d.spent)
                .map_or_else(|| "—".to_string(), super::format_share),
        ]);
    }
    grid
}

fn evidence_grid(f: &crate::cache::doctor::Finding) -> Grid {
    let mut grid = Grid::new(
        ["Session", "Model", "Lost", "What happened", "Lines"]
            .map(String::from)
            .to_vec(),
        vec![
            Align::Left,
            Align::Left,
            Align::Right,
            Align::Left,
            Align::Left,
        ],
    );
    for e in f.evidence.iter().take(SHOWN_SESSIONS) {
        grid.push(vec![
            e.session.clone(),
            e.model.clone(),
            e.lost.display_usd(),
            e.detail.clone(),
            compact_lines(&e.lines),
        ]);
    }
    grid
}

/// `a.jsonl:3`, `a.jsonl:9`, `b.jsonl:1` -> `a.jsonl:3,9 b.jsonl:1`.
fn compact_lines(lines: &[String]) -> String {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for place in lines {
        let (file, line) = place.rsplit_once(':').unwrap_or((place.as_str(), ""));
        match out.last_mut() {
            Some((f, ls)) if f == file => ls.push(line.to_string()),
            _ => out.push((file.to_string(), vec![line.to_string()])),
        }
    }
    out.iter()
        .map(|(f, ls)| format!("{f}:{}", ls.join(",")))
        .collect::<Vec<_>>()
        .join(" ")
}

fn headline(d: &Diagnosis) -> String {
    let lost = d
        .findings
        .iter()
        .map(|f| f.lost)
        .sum::<crate::money::Money>();
    format!(
        "costsim cache doctor: {} calls in {} sessions, {} spent; caching problems below cost {}",
        display_count(d.calls),
        display_count(d.sessions),
        d.spent.display_usd(),
        lost.display_usd()
    )
}

pub fn render(d: &Diagnosis, format: Format, out: &mut dyn Write) -> io::Result<()> {
    match format {
        Format::Json => {
            let value = json!({
                "schema_version": 1,
                "command": "cache doctor",
                "calls": d.calls,
                "sessions": d.sessions,
                "spent_usd": d.spent.to_usd_f64(),
                "findings": d.findings.iter().map(|f| json!({
                    "kind": f.kind.key(),
                    "title": f.kind.title(),
                    "lost_usd": f.lost.to_usd_f64(),
                    "lost_femto_usd": f.lost.femto().to_string(),
                    "calls": f.calls,
                    "advice": f.advice,
                    "sessions": f.evidence.iter().map(|e| json!({
                        "session": e.session,
                        "model": e.model,
                        "lost_usd": e.lost.to_usd_f64(),
                        "detail": e.detail,
                        "lines": e.lines,
                    })).collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
            });
            serde_json::to_writer_pretty(&mut *out, &value)?;
            writeln!(out)
        }
        Format::Csv => {
            let mut grid = Grid::new(
                ["finding", "session", "model", "lost_usd", "detail", "lines"]
                    .map(String::from)
                    .to_vec(),
                vec![Align::Left; 6],
            );
            for f in &d.findings {
                for e in &f.evidence {
                    grid.push(vec![
                        f.kind.key().to_string(),
                        e.session.clone(),
                        e.model.clone(),
                        e.lost.to_decimal_string(6),
                        e.detail.clone(),
                        e.lines.join(" "),
                    ]);
                }
            }
            grid::write_csv(&grid, out)
        }
        Format::Table | Format::Markdown => {
            let markdown = format == Format::Markdown;
            let write_grid = |g: &Grid, out: &mut dyn Write| {
                if markdown {
                    grid::write_markdown(g, out)
                } else {
                    grid::write_table(g, out)
                }
            };
            let text = |s: &str| {
                if markdown {
                    grid::escape_markdown(s)
                } else {
                    s.to_string()
                }
            };
            writeln!(out, "{}\n", text(&headline(d)))?;
            if d.findings.is_empty() {
                writeln!(out, "No caching problems found.")?;
                return Ok(());
            }
            write_grid(&findings_grid(d), out)?;
            for (i, f) in d.findings.iter().enumerate() {
                let title = format!(
                    "{}. {} — {} lost",
                    i + 1,
                    f.kind.title(),
                    f.lost.display_usd()
                );
                if markdown {
                    writeln!(out, "\n### {}\n", text(&title))?;
                } else {
                    writeln!(out, "\n{title}\n")?;
                }
                writeln!(out, "What to change: {}\n", text(&f.advice))?;
                write_grid(&evidence_grid(f), out)?;
                if f.evidence.len() > SHOWN_SESSIONS {
                    writeln!(
                        out,
                        "... and {} more sessions (see --output json)",
                        f.evidence.len() - SHOWN_SESSIONS
                    )?;
                }
            }
            Ok(())
        }
    }
}
