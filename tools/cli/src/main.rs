//! `nowcast`: the command line of the nowcast toolchain.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};

// First, so that its `out!` and `outln!` are in scope in the modules after it.
#[macro_use]
mod stdout;

mod bench;
mod classify;
mod data_args;
mod demo;
mod inspect;
mod plot;
mod quantize;
mod replay;
mod text;
mod train;

/// Train small recurrent forecasters on sensor CSVs and run them on microcontrollers.
#[derive(Debug, Parser)]
#[command(name = "nowcast", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Train a model on a CSV, score it against the baselines, write the model blob.
    Train(Box<train::TrainArgs>),
    /// Score an exported model on a CSV through the runtime, with the baselines.
    Eval(Box<replay::EvalArgs>),
    /// Quantize a float model (int8 weights), scored against the float model on the same data.
    Quantize(Box<quantize::QuantizeArgs>),
    /// Stream a CSV through a model sample by sample; one forecast per row.
    Replay(replay::ReplayArgs),
    /// The whole job on the bundled sample data: train, compare with the baselines, stream.
    Demo(demo::DemoArgs),
    /// Time a model's streamed step (and window) on this host through the runtime.
    Bench(bench::BenchArgs),
    /// Keras-style summary of a model file: layers, shapes, params, flash, RAM, MACs.
    Inspect {
        /// The model file (.ncm).
        model: PathBuf,
    },
}

fn main() -> Result<()> {
    match Cli::parse().command {
        Command::Train(a) if a.stateful && a.task != train::TaskArg::Forecast => {
            anyhow::bail!("--stateful trains forecasters: drop it or use --task forecast")
        }
        Command::Train(a) if a.task == train::TaskArg::Classify => classify::run(&a).map(|_| ()),
        Command::Train(a) if a.task == train::TaskArg::Text => text::run(&a).map(|_| ()),
        Command::Train(a) => train::run(&a).map(|_| ()),
        Command::Eval(a) => replay::eval(&a),
        Command::Quantize(a) if a.task == train::TaskArg::Classify => {
            classify::quantize(&a).map(|_| ())
        }
        Command::Quantize(a) if a.task == train::TaskArg::Text => text::quantize(&a).map(|_| ()),
        Command::Quantize(a) => quantize::run(&a).map(|_| ()),
        Command::Replay(a) => replay::replay(&a),
        Command::Demo(a) => demo::run(&a),
        Command::Bench(a) => bench::run(&a).map(|_| ()),
        Command::Inspect { model } => {
            let bytes =
                std::fs::read(&model).with_context(|| format!("reading {}", model.display()))?;
            out!(
                "{}",
                inspect::summary(&bytes).with_context(|| format!("loading {}", model.display()))?
            );
            Ok(())
        }
    }
}
