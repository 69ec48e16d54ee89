//! `costsim formats`: every input format, with an example and its mapping.

use super::{emit, Exit};
use crate::cli::FormatsArgs;
use crate::config::format_of;
use crate::ingest::format;
use crate::report::grid::{self, Align, Grid};
use crate::report::Format;

pub fn run(args: FormatsArgs) -> anyhow::Result<Exit> {
    let formats = format::all();
    let mut table = Grid::new(
        vec![
            "Format".into(),
            "What it reads".into(),
            "What maps to what".into(),
        ],
        vec![Align::Left, Align::Left, Align::Left],
    );
    for f in &formats {
        table.push(vec![
            f.name.to_string(),
            f.title.to_string(),
            f.mapping.to_string(),
        ]);
    }
    emit(None, |w| match format_of(args.output.format) {
        Format::Json => {
            let list: Vec<serde_json::Value> = formats
                .iter()
                .map(|f| {
                    serde_json::json!({
                        "name": f.name,
                        "title": f.title,
                        "example": f.example,
                        "mapping": f.mapping,
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
                writeln!(w, "  maps: {}", f.mapping)?;
                writeln!(w, "  e.g.: {}\n", f.example)?;
            }
            writeln!(
                w,
                "Formats are detected per file from its first lines; force one with `replay --format NAME`."
            )
        }
    })?;
    Ok(Exit::Ok)
}
