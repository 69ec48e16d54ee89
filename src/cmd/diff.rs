//! `costsim diff OLD.json NEW.json`.

use super::{emit, Exit};
use crate::cli::DiffArgs;
use crate::config::format_of;
use crate::report::diff;

fn load(path: &std::path::Path) -> anyhow::Result<serde_json::Value> {
    let shown = path.display();
    let text =
        std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("{shown}: cannot read: {e}"))?;
    serde_json::from_str(&text).map_err(|e| anyhow::anyhow!("{shown}: not JSON: {e}"))
}

pub fn run(args: DiffArgs) -> anyhow::Result<Exit> {
    let old = load(&args.old)?;
    let new = load(&args.new)?;
    let d = diff::diff(
        &args.old.display().to_string(),
        &old,
        &args.new.display().to_string(),
        &new,
    )?;
    emit(None, |w| diff::render(&d, format_of(args.output.format), w))?;
    Ok(Exit::Ok)
}
