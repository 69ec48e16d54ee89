//! `costsim merge REPORT.json...`.

use super::{emit, read_json, Exit};
use crate::cli::MergeArgs;
use crate::config::format_of;
use crate::report::{self, merge, Rendering};

pub fn run(args: MergeArgs) -> anyhow::Result<Exit> {
    let mut reports = Vec::new();
    for path in &args.reports {
        let shown = path.display().to_string();
        let value = read_json(path)?;
        reports.push((shown.clone(), merge::read_saved(&shown, &value)?));
    }
    let merged = merge::merge(reports)?;
    let rendering = Rendering::Plain(format_of(args.output.format()));
    emit(args.out.as_deref(), |w| {
        report::render(&merged, rendering, w)
    })?;
    Ok(Exit::Ok)
}
