//! One glue file per verb: load, query, render.

pub mod validate;

use std::io::Write;

use crate::cli::{Cli, ColorChoice, Command};

/// How a command ended, mapped to the exit status by `main`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Exit 0.
    Ok,
    /// Exit 1: the catalog is invalid, or a query found nothing.
    Failed,
    /// Exit 2: bad usage, unreadable config, internal error.
    Usage,
}

/// Where commands write, and how.
pub struct Io<'a> {
    pub out: &'a mut dyn Write,
    pub err: &'a mut dyn Write,
    pub color: bool,
    pub width: usize,
}

/// An error that stops a command: the message to print and the outcome.
#[derive(Debug)]
pub struct Stop {
    pub message: String,
    pub outcome: Outcome,
    /// The reader went away (`lore … | head`): exit quietly.
    pub broken_pipe: bool,
}

impl Stop {
    pub fn usage(message: impl Into<String>) -> Stop {
        Stop {
            message: message.into(),
            outcome: Outcome::Usage,
            broken_pipe: false,
        }
    }
}

impl From<std::io::Error> for Stop {
    fn from(e: std::io::Error) -> Stop {
        Stop {
            broken_pipe: e.kind() == std::io::ErrorKind::BrokenPipe,
            ..Stop::usage(format!("cannot write output: {e}"))
        }
    }
}

/// Run a parsed command line.
pub fn run(cli: Cli, io: &mut Io<'_>) -> Result<Outcome, Stop> {
    match cli.color {
        ColorChoice::Always => io.color = true,
        ColorChoice::Never => io.color = false,
        ColorChoice::Auto => {}
    }
    match cli.command {
        Command::Validate(args) => validate::run(&args, io),
    }
}
