//! `costsim replay`: price the inputs and print the breakdown.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::{emit, Exit};
use crate::cli::ReplayArgs;
use crate::config::ReplayConfig;
use crate::money::display_count;
use crate::replay::{replay_with_items, Progress, ReplayOutcome};
use crate::report;
use crate::report::line_items::LineItemsWriter;

/// Skipped lines shown on stderr with their `file:line`.
const SHOWN_LINE_ERRORS: usize = 5;

pub fn run(args: ReplayArgs) -> anyhow::Result<Exit> {
    run_config(ReplayConfig::try_from(args)?)
}

/// Replays with validated settings (shared with `estimate`).
pub fn run_config(config: ReplayConfig) -> anyhow::Result<Exit> {
    if let Some(currency) = &config.currency {
        crate::currency::show_amounts_in(currency.clone());
    }
    report::grid::set_compact(config.compact);
    let bar = progress_bar(&config);
    // Reading counts bytes; pricing under scenarios (after reading, in time
    // order) counts calls, so the bar keeps moving until the report.
    let on_progress = |step: Progress| match step {
        Progress::Read(bytes) | Progress::Priced(bytes) => bar.inc(bytes),
        Progress::Pricing(calls) => {
            if let Ok(style) = ProgressStyle::with_template(
                "{spinner} pricing {human_pos}/{human_len} calls under the scenarios [{bar:30}] {eta} left",
            ) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.set_length(calls);
            bar.set_position(0);
            bar.reset_eta();
        }
        Progress::ReadAgain => {
            bar.set_position(0);
            bar.reset_eta();
        }
    };
    let mut items = match &config.line_items {
        Some(path) => Some(LineItemsWriter::create(path, scenario_names(&config))?),
        None => None,
    };
    let outcome = replay_with_items(&config.spec, &config.catalog, &on_progress, items.as_mut())?;
    bar.finish_and_clear();

    let header = &outcome.report.header;
    let problems = header.skipped_total() + header.unreadable_files;
    if config.strict && problems > 0 {
        print_diagnostics(&outcome, usize::MAX);
        crate::say!(
            "costsim: error: {} skipped line{} or unreadable file{} (--strict)",
            display_count(problems),
            if problems == 1 { "" } else { "s" },
            if problems == 1 { "" } else { "s" },
        );
        return Ok(Exit::InputError);
    }
    if header.calls == 0 && header.filtered_out == 0 {
        print_diagnostics(&outcome, SHOWN_LINE_ERRORS);
        let why = if header.lines == 0 && header.unreadable_files == 0 {
            "the input is empty"
        } else {
            "no line could be read as a call"
        };
        crate::say!("costsim: error: no calls to price: {why}");
        return Ok(Exit::InputError);
    }
    if !config.quiet {
        print_diagnostics(&outcome, SHOWN_LINE_ERRORS);
    }
    emit(config.out.as_deref(), |w| {
        report::render(&outcome.report, config.format, w)
    })?;
    if let (Some(path), Some(items)) = (&config.line_items, items) {
        let rows = items.finish()?;
        if !config.quiet {
            crate::say!(
                "costsim: wrote {} line item{} to {}",
                display_count(rows),
                if rows == 1 { "" } else { "s" },
                path.display()
            );
        }
    }
    Ok(Exit::Ok)
}

/// Scenario names as line items name them (0 is the calls as recorded).
pub fn scenario_names(config: &ReplayConfig) -> Vec<String> {
    config
        .spec
        .all_scenarios()
        .into_iter()
        .map(|s| s.name)
        .collect()
}

/// A byte-count bar on stderr, only when stderr is a terminal.
fn progress_bar(config: &ReplayConfig) -> ProgressBar {
    if config.quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let total: u64 = config
        .spec
        .sources
        .iter()
        .filter_map(|s| s.size_on_disk())
        .sum();
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner} reading {bytes}/{total_bytes} [{bar:30}] {bytes_per_sec}, {eta} left",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

fn print_diagnostics(outcome: &ReplayOutcome, shown: usize) {
    let header = &outcome.report.header;
    for e in &outcome.unreadable {
        crate::say!("costsim: warning: {e}");
    }
    for name in &outcome.empty_files {
        crate::say!("costsim: warning: {name}: file is empty");
    }
    let skipped = header.skipped_total();
    for e in outcome.line_errors.iter().take(shown) {
        crate::say!("costsim: warning: {e}");
    }
    let listed = outcome.line_errors.len().min(shown) as u64;
    if skipped > listed {
        crate::say!(
            "costsim: warning: ... and {} more skipped line{} (counted in the report header)",
            display_count(skipped - listed),
            if skipped - listed == 1 { "" } else { "s" }
        );
    }
    for u in &header.unpriced {
        let hint = if u.suggestions.is_empty() {
            "see `costsim pricing list`, or add it from a public price list with `costsim pricing import`".to_string()
        } else {
            format!("did you mean {}?", u.suggestions.join(", "))
        };
        crate::say!(
            "costsim: warning: model `{}` is not in the pricing catalog ({} call{} shown as unpriced); {hint}",
            u.name,
            display_count(u.calls),
            if u.calls == 1 { "" } else { "s" }
        );
    }
}
