//! `costsim completions SHELL` and `costsim man`: what a user installs
//! beside the binary (a completion script, a man page), written from the
//! same argument definitions as `--help`.

use clap::CommandFactory;

use super::{emit, Exit};
use crate::cli::{Cli, CompletionsArgs, ManArgs};

pub fn completions(args: CompletionsArgs) -> anyhow::Result<Exit> {
    let mut command = Cli::command();
    emit(args.out.as_deref(), |w| {
        clap_complete::generate(args.shell, &mut command, "costsim", w);
        Ok(())
    })?;
    Ok(Exit::Ok)
}

pub fn man(args: ManArgs) -> anyhow::Result<Exit> {
    let command = Cli::command();
    emit(args.out.as_deref(), |w| {
        clap_mangen::Man::new(command).render(w)
    })?;
    Ok(Exit::Ok)
}
