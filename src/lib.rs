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
pub mod currency;
pub mod ingest;
pub mod money;
pub mod pricing;
pub mod record;
pub mod replay;
pub mod report;
pub mod scenario;
pub mod settings;
pub mod toml_error;
pub mod zone;

use std::ffi::OsString;

use clap::{CommandFactory, FromArgMatches};

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
    let (command, applied) = match with_settings(Cli::command()) {
        Ok(c) => c,
        Err(e) => {
            say!("costsim: error: {e}");
            return Exit::InputError.code();
        }
    };
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    let parsed = command
        .try_get_matches_from(&args)
        .and_then(|m| Cli::from_arg_matches(&m).map(|cli| (cli, m)));
    let cli = match parsed {
        Ok((cli, matches)) => {
            if let Some(line) = applied.describe(&matches) {
                if !quiet(&matches) {
                    say!("costsim: {line}");
                }
            }
            cli
        }
        Err(e) => {
            // --help and --version are not errors.
            let code = if e.use_stderr() {
                Exit::InputError.code()
            } else {
                0
            };
            let _ = e.print();
            if let Some(source) = applied.source_of_bad_value(&e, &args) {
                say!("costsim: that value is a default from {source}");
            }
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

/// The command line with the defaults of the settings file and the
/// `COSTSIM_*` environment.
fn with_settings(
    command: clap::Command,
) -> Result<(clap::Command, settings::Applied), settings::SettingsError> {
    let file = settings::locate()
        .map(|(path, named)| settings::read(&path, named).map(|(text, table)| (path, text, table)))
        .transpose()?;
    settings::apply(
        command,
        file.as_ref()
            .map(|(path, text, table)| (path.as_path(), text.as_str(), table)),
        &settings::environment(),
    )
}

/// Whether the command run was asked to be quiet (`--quiet`).
fn quiet(matches: &clap::ArgMatches) -> bool {
    let mut m = matches;
    while let Some((_, sub)) = m.subcommand() {
        m = sub;
    }
    matches!(m.try_get_one::<bool>("quiet"), Ok(Some(true)))
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
