//! `nowcast`: the command line of the nowcast toolchain.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};

mod inspect;

/// Train small recurrent forecasters on sensor CSVs and run them on microcontrollers.
#[derive(Debug, Parser)]
#[command(name = "nowcast", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Keras-style summary of a model file: layers, shapes, params, flash, RAM, MACs.
    Inspect {
        /// The model file (.ncm).
        model: PathBuf,
    },
}

fn main() -> Result<()> {
    match Cli::parse().command {
        Command::Inspect { model } => {
            let bytes =
                std::fs::read(&model).with_context(|| format!("reading {}", model.display()))?;
            print!(
                "{}",
                inspect::summary(&bytes).with_context(|| format!("loading {}", model.display()))?
            );
            Ok(())
        }
    }
}
