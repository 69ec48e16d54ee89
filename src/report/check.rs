//! Rendering of `costsim check` verdicts: a table, a PR comment, JSON, CSV.

use std::io::{self, Write};

use serde_json::json;

use super::grid::{self, Align, Grid};
use super::{json::report_value, Format, Report};
use crate::check::Verdict;
use crate::money::display_count;

fn grid_of(verdicts: &[Verdict]) -> Grid {
    let mut g = Grid::new(
        ["Rule", "Figure", "Limit", "Result", "How"]
            .map(String::from)
            .to_vec(),
        vec![
            Align::Left,
            Align::Right,
            Align::Right,
            Align::Left,
            Align::Left,
        ],
    );
    for v in verdicts {
        g.push(vec![
            v.rule.clone(),
            v.figure.clone(),
            v.limit.clone(),
            if v.passed { "pass" } else { "FAIL" }.to_string(),
            v.method.clone(),
        ]);
    }
    g
}

fn headline(verdicts: &[Verdict], report: &Report) -> String {
    let failed = verdicts.iter().filter(|v| !v.passed).count();
    let h = &report.header;
    let verdict = if failed == 0 && verdicts.len() == 1 {
        "PASS: the rule holds".to_string()
    } else if failed == 0 {
        format!("PASS: all {} rules hold", verdicts.len())
    } else {
        format!("FAIL: {failed} of {} rules broken", verdicts.len())
    };
    format!(
        "costsim check — {verdict} ({} calls over {} observed day{}, {} spent, catalog {})",
        display_count(h.calls),
        report.observed_days(),
        if report.observed_days() == 1 { "" } else { "s" },
        report.total.cost.display_usd(),
        h.catalog_version
    )
}

pub fn render(
    verdicts: &[Verdict],
    report: &Report,
    format: Format,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        Format::Table => {
            writeln!(out, "{}\n", headline(verdicts, report))?;
            grid::write_table(&grid_of(verdicts), out)
        }
        Format::Markdown => {
            // A ready PR comment.
            let failed = verdicts.iter().any(|v| !v.passed);
            writeln!(
                out,
                "### {} costsim check\n",
                if failed { "❌" } else { "✅" }
            )?;
            writeln!(
                out,
                "{}\n",
                grid::escape_markdown(&headline(verdicts, report))
            )?;
            grid::write_markdown(&grid_of(verdicts), out)?;
            writeln!(out, "\n<details><summary>Spend by model</summary>\n")?;
            grid::write_markdown(&report.human_grid(), out)?;
            writeln!(out, "\n</details>")
        }
        Format::Csv => grid::write_csv(&grid_of(verdicts), out),
        Format::Json => {
            let value = json!({
                "schema_version": super::json::SCHEMA_VERSION,
                "command": "check",
                "passed": verdicts.iter().all(|v| v.passed),
                "rules": verdicts.iter().map(|v| json!({
                    "rule": v.rule,
                    "figure": v.figure,
                    "limit": v.limit,
                    "passed": v.passed,
                    "method": v.method,
                    "figure_usd": v.figure_money.map(|m| m.to_usd_f64()),
                    "limit_usd": v.limit_money.map(|m| m.to_usd_f64()),
                })).collect::<Vec<_>>(),
                "report": report_value(report),
            });
            serde_json::to_writer_pretty(&mut *out, &value)?;
            writeln!(out)
        }
    }
}
