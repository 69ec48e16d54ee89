//! `costsim diff OLD.json NEW.json`.

use super::{emit, read_json, Exit};
use crate::cli::DiffArgs;
use crate::config::format_of;
use crate::report::diff;

pub fn run(args: DiffArgs) -> anyhow::Result<Exit> {
    let old = read_json(&args.old)?;
    let new = read_json(&args.new)?;
    let d = diff::diff(
        &args.old.display().to_string(),
        &old,
        &args.new.display().to_string(),
        &new,
    )?;
    emit(args.out.as_deref(), |w| {
        diff::render(&d, format_of(args.output.format()), w)
    })?;
    Ok(Exit::Ok)
}
