//! `costsim formats`: every input format, with an example and its mapping.

use super::{emit, Exit};
use crate::cli::FormatsArgs;
use crate::config::format_of;
use crate::ingest::{agents, format};
use crate::report::grid::{self, Align, Grid};
use crate::report::Format;

pub fn run(args: FormatsArgs) -> anyhow::Result<Exit> {
    let formats = format::all();
    let mut table = Grid::new(
        vec![
            "Format".into(),
            "What it reads".into(),
            "--agents".into(),
            "What maps to what".into(),
        ],
        vec![Align::Left, Align::Left, Align::Left, Align::Left],
    );
    for f in &formats {
        table.push(vec![
            f.name.to_string(),
            f.title.to_string(),
            agents::of_format(f.name)
                .map(|a| format!("{}: {}", a.name, a.looks_in))
                .unwrap_or_default(),
            f.mapping.to_string(),
        ]);
    }
    emit(args.out.as_deref(), |w| {
        match format_of(args.output.format()) {
            Format::Json => {
                let list: Vec<serde_json::Value> = formats
                    .iter()
                    .map(|f| {
                        serde_json::json!({
                            "name": f.name,
                            "title": f.title,
                            "example": f.example,
                            "mapping": f.mapping,
                            "agent": agents::of_format(f.name).map(|a| serde_json::json!({
                                "name": a.name,
                                "looks_in": a.looks_in,
                            })),
                        })
                    })
                    .collect();
                serde_json::to_writer_pretty(&mut *w, &list)?;
                writeln!(w)
            }
            Format::Csv => grid::write_csv(&table, w),
            Format::Markdown => grid::write_markdown(&table, w),
            Format::Table => {
                for f in &formats {
                    writeln!(w, "{} — {}", f.name, f.title)?;
                    if let Some(a) = agents::of_format(f.name) {
                        writeln!(w, "  --agents {}: looks in {}", a.name, a.looks_in)?;
                    }
                    writeln!(w, "  maps: {}", f.mapping)?;
                    writeln!(w, "  e.g.: {}\n", f.example)?;
                }
                writeln!(
                w,
                "Formats are detected per file from its first lines; force one with `replay --format NAME`."
            )
            }
        }
    })?;
    Ok(Exit::Ok)
}
