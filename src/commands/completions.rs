//! `lore completions SHELL` and `lore man`: generated from the command line's own
//! definition (`clap_complete`, `clap_mangen`), so they cannot drift from it.

use clap::CommandFactory;

use super::{Error, Io, Outcome};
use crate::cli::{Cli, CompletionsArgs};

#[allow(clippy::unnecessary_wraps)] // every verb has the same signature for `commands::run`
pub(crate) fn completions(args: &CompletionsArgs, io: &mut Io<'_>) -> Result<Outcome, Error> {
    let mut cmd = Cli::command();
    clap_complete::generate(args.shell, &mut cmd, "lore", io.out);
    Ok(Outcome::Ok)
}

pub(crate) fn man(io: &mut Io<'_>) -> Result<Outcome, Error> {
    clap_mangen::Man::new(Cli::command()).render(io.out)?;
    Ok(Outcome::Ok)
}
