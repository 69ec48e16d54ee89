//! costsim: prices LLM API usage logs against a versioned catalog and
//! reports where the money goes.
//!
//! Pipeline (data flows one way): `ingest` (inputs -> canonical `record`s)
//! -> `scenario` (what-if transforms) -> `cache` (prompt-cache simulation per
//! scope) -> `pricing` (catalog, exact `money`) -> `replay` (wires these,
//! aggregation) -> `report` (table, markdown, CSV, JSON). `cli` and `config`
//! turn arguments into settings; `cmd` wires each subcommand.

pub mod cache;
pub mod check;
pub mod cli;
pub mod cmd;
pub mod config;
pub mod crash;
pub mod ingest;
pub mod money;
pub mod pricing;
pub mod record;
pub mod replay;
pub mod report;
pub mod scenario;
pub mod toml_error;
pub mod zone;

use std::ffi::OsString;

use clap::Parser;

use cli::{Cli, Command};
use cmd::Exit;

/// Prints a line to standard error. A closed standard error is ignored:
/// `eprintln!` would panic, and what costsim has to say there is never worth
/// a crash.
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

/// Whether an error is, at bottom, a closed pipe (`costsim … | head`):
/// the reader has what it wanted, so the run ends quietly.
pub fn is_broken_pipe(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(error);
    while let Some(e) = cause {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            if io.kind() == std::io::ErrorKind::BrokenPipe {
                return true;
            }
            // A wrapped error (`io::Error::other(csv_error)`) hides its
            // cause from `source()`.
            if let Some(inner) = io.get_ref() {
                if is_broken_pipe(inner) {
                    return true;
                }
            }
        }
        if let Some(csv::ErrorKind::Io(io)) = e.downcast_ref::<csv::Error>().map(csv::Error::kind) {
            if io.kind() == std::io::ErrorKind::BrokenPipe {
                return true;
            }
        }
        cause = e.source();
    }
    false
}

/// Runs costsim with these arguments (the first is the program name) and
/// returns the process exit code.
pub fn run<I, T>(args: I) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            // --help and --version are not errors.
            let code = if e.use_stderr() {
                Exit::InputError.code()
            } else {
                0
            };
            let _ = e.print();
            return code;
        }
    };
    let result = match cli.command {
        Command::Replay(args) => cmd::replay::run(args),
        Command::Pricing(command) => cmd::pricing::run(command),
        Command::Scenarios(args) => cmd::scenarios::run(args),
        Command::Cache(cli::CacheCommand::Doctor(args)) => cmd::doctor::run(args),
        Command::Estimate(args) => cmd::estimate::estimate(args),
        Command::Synth(args) => cmd::estimate::synth(args),
        Command::Formats(args) => cmd::formats::run(args),
        Command::Check(args) => cmd::check::run(args),
        Command::Diff(args) => cmd::diff::run(args),
        Command::Merge(args) => cmd::merge::run(args),
        Command::Completions(args) => cmd::shell::completions(args),
        Command::Man(args) => cmd::shell::man(args),
    };
    match result {
        Ok(exit) => exit.code(),
        // The reader of our output went away: nothing is lost.
        Err(e) if e.chain().any(is_broken_pipe) => Exit::Ok.code(),
        Err(e) => {
            // Every error message already ends with its cause (`{source}`
            // in the message), so the cause chain is not printed again.
            say!("costsim: error: {e}");
            Exit::InputError.code()
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn run_can_be_called_more_than_once() {
        assert_eq!(super::run(["costsim", "pricing", "validate"]), 0);
        assert_eq!(super::run(["costsim", "pricing", "validate"]), 0);
        assert_eq!(super::run(["costsim", "no-such-command"]), 2);
    }
}
