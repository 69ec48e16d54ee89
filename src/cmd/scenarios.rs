//! `costsim scenarios`: the built-in scenarios.

use super::{emit, Exit};
use crate::cli::ScenariosArgs;
use crate::config::format_of;
use crate::report::grid::{self, Align, Grid};
use crate::report::Format;
use crate::scenario::presets;

pub fn run(args: ScenariosArgs) -> anyhow::Result<Exit> {
    let mut table = Grid::new(
        vec!["Scenario".into(), "Cache".into(), "What it prices".into()],
        vec![Align::Left, Align::Left, Align::Left],
    );
    for s in presets() {
        table.push(vec![s.name, s.cache.to_string(), s.description]);
    }
    emit(args.out.as_deref(), |w| {
        match format_of(args.output.format()) {
            Format::Table => {
                grid::write_table(&table, w)?;
                writeln!(w, "\nUse with: costsim replay INPUT --scenario NAME (repeatable), or a TOML file (see README).")
            }
            Format::Markdown => grid::write_markdown(&table, w),
            Format::Csv => grid::write_csv(&table, w),
            Format::Json => {
                let list: Vec<serde_json::Value> = presets()
                .into_iter()
                .map(|s| serde_json::json!({"name": s.name, "cache": s.cache.to_string(), "description": s.description}))
                .collect();
                serde_json::to_writer_pretty(&mut *w, &list)?;
                writeln!(w)
            }
        }
    })?;
    Ok(Exit::Ok)
}
