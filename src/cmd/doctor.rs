//! `costsim cache doctor`: read the inputs, diagnose, print the findings.

use std::collections::HashMap;

use rayon::prelude::*;

use super::{emit, Exit};
use crate::cache::doctor::{diagnose, Observed};
use crate::cli::DoctorArgs;
use crate::config::{format_of, load_catalog, resolve_sources, time_window, zone_of};
use crate::ingest::format::Copies;
use crate::ingest::{self, LineError};
use crate::report::doctor;

pub fn run(args: DoctorArgs) -> anyhow::Result<Exit> {
    let catalog = load_catalog(args.catalog.pricing.as_deref())?;
    let window = time_window(&args.window, zone_of(&args.window)?, chrono::Utc::now())?;
    let resolved = resolve_sources(
        args.inputs.clone(),
        None,
        args.claude,
        args.agents.as_deref(),
    )?;
    let sources = &resolved.sources;
    let files: Vec<String> = sources.iter().map(|s| s.display_name()).collect();
    let dedup = std::sync::Arc::new(crate::ingest::format::Dedup::default());
    // Calls, copies of responses that may still win, which copies those are.
    type Read = (
        Vec<Observed>,
        HashMap<u128, Observed>,
        Copies,
        Vec<LineError>,
        Option<String>,
    );
    let results: Vec<Read> = sources
        .par_iter()
        .enumerate()
        .map(|(index, source)| {
            let mut calls = Vec::new();
            // The best copy so far of each response in this file.
            let mut held = HashMap::new();
            let mut copies = Copies::default();
            let mut errors = Vec::new();
            match ingest::open_with_format(source, resolved.formats.of(source), &dedup, None) {
                Err(e) => (calls, held, copies, errors, Some(e.to_string())),
                Ok(mut opened) => {
                    ingest::read_lines(
                        opened.reader,
                        &files[index],
                        opened.parser.as_mut(),
                        |call, line, copy| {
                            if !window.contains(call.ts) {
                                return;
                            }
                            let observed = Observed {
                                file: index,
                                line,
                                call,
                            };
                            match copy {
                                None => calls.push(observed),
                                Some(of) => {
                                    if copies.offer(of, (index, line)) {
                                        held.insert(of.key, observed);
                                    }
                                }
                            }
                        },
                        |e| errors.push(e),
                        |_| {},
                    );
                    (calls, held, copies, errors, None)
                }
            }
        })
        .collect();
    let mut observed = Vec::new();
    let mut held = Vec::new();
    let mut kept = Copies::default();
    let mut skipped = 0usize;
    let mut problems = 0usize;
    for (calls, copies_held, copies, errors, unreadable) in results {
        observed.extend(calls);
        held.extend(copies_held);
        kept.merge(copies);
        if let Some(e) = unreadable {
            problems += 1;
            crate::say!("costsim: warning: {e}");
        }
        for e in errors.iter().take(5) {
            if !args.quiet {
                crate::say!("costsim: warning: {e}");
            }
        }
        skipped += errors.len();
    }
    // One copy of each response that logs write several times.
    let winners = kept.winners();
    observed.extend(
        held.into_iter()
            .filter(|(key, o)| winners.contains(&(*key, (o.file, o.line))))
            .map(|(_, o)| o),
    );
    if skipped > 0 && !args.quiet {
        crate::say!("costsim: warning: {skipped} lines skipped");
    }
    if args.strict && skipped + problems > 0 {
        crate::say!(
            "costsim: error: {} skipped lines or unreadable files (--strict)",
            skipped + problems
        );
        return Ok(Exit::InputError);
    }
    if observed.is_empty() {
        crate::say!("costsim: error: no calls to diagnose");
        return Ok(Exit::InputError);
    }
    let diagnosis = diagnose(&observed, &files, &catalog, args.shared_prefix);
    emit(args.out.as_deref(), |w| {
        doctor::render(&diagnosis, format_of(args.output.format()), w)
    })?;
    Ok(Exit::Ok)
}
