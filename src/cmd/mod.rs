//! One module per subcommand; each only wires the pipeline stages together
//! and is the only place that prints.

pub mod check;
pub mod diff;
pub mod doctor;
pub mod estimate;
pub mod formats;
pub mod merge;
pub mod price_lists;
pub mod pricing;
pub mod replay;
pub mod scenarios;
pub mod shell;

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::Path;

/// How a command ended, mapped to the process exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: done.
    Ok,
    /// 1: a check failed (e.g. over budget).
    CheckFailed,
    /// 2: usage or input error.
    InputError,
}

impl Exit {
    pub fn code(self) -> i32 {
        match self {
            Exit::Ok => 0,
            Exit::CheckFailed => 1,
            Exit::InputError => 2,
        }
    }
}

/// Reads a JSON file; errors name the file (and the line of a syntax error).
pub fn read_json(path: &Path) -> anyhow::Result<serde_json::Value> {
    let shown = path.display();
    let text =
        std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("{shown}: cannot read: {e}"))?;
    serde_json::from_str(&text).map_err(|e| anyhow::anyhow!("{shown}:{}: not JSON: {e}", e.line()))
}

/// Writes with `write` to `out` (a file) or to standard output. A closed pipe
/// (`costsim ... | head`) is not an error.
pub fn emit(
    out: Option<&Path>,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> anyhow::Result<()> {
    let result = match out {
        Some(path) => {
            let file = File::create(path).map_err(|e| {
                anyhow::anyhow!("{}: cannot create output file: {e}", path.display())
            })?;
            let mut writer = BufWriter::new(file);
            write(&mut writer)
                .and_then(|_| writer.flush())
                .map_err(|e| anyhow::anyhow!("{}: cannot write: {e}", path.display()))
        }
        None => {
            let stdout = io::stdout();
            // Tables fit a terminal and colour it; files and pipes get every
            // column, plain.
            let terminal = stdout.is_terminal();
            let width = terminal
                .then(|| terminal_size::terminal_size().map(|(w, _)| usize::from(w.0)))
                .flatten();
            let colour = terminal
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::env::var_os("TERM").is_none_or(|t| t != "dumb");
            let mut writer = BufWriter::new(stdout.lock());
            let written = crate::report::grid::with_terminal(width, colour, || {
                write(&mut writer).and_then(|_| writer.flush())
            });
            match written {
                Err(e) if crate::is_broken_pipe(&e) => Ok(()),
                other => other.map_err(|e| anyhow::anyhow!("cannot write to standard output: {e}")),
            }
        }
    };
    result
}
