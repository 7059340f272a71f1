//! `nowcast demo`: the whole job on the bundled Greensboro weather data.
//!
//! Trains a GRU(32) to forecast the temperature 6 hours ahead from the last 120 hours of all ten
//! channels (the Keras chapter's task), compares it with persistence and seasonal persistence
//! on the same windows through the runtime, quantizes it to the integer-only `i8x16` mode and
//! scores that too, streams the whole year through the exported model sample by sample, and
//! prints both models' summaries.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Args;
use nowcast_trainer::quant::Calibration;

use crate::classify::SequenceArgs;
use crate::data_args::DataArgs;
use crate::quantize::{ModeArg, QuantizeArgs};
use crate::replay::{ReplayArgs, replay};
use crate::text::TextArgs;
use crate::train::{LossArg, OptArg, TaskArg, TrainArgs};

/// The demo's model: GRU(32) then Dense(1).
const SPEC: &str = "# nowcast demo: GRU(32) forecaster\n[[layers]]\nkind = \"gru\"\nunits = 32\n\n[[layers]]\nkind = \"dense\"\nunits = 1\n";

/// `nowcast demo` flags.
#[derive(Debug, Clone, Args)]
pub struct DemoArgs {
    /// The sample data (default: `data/greensboro.csv` of the nowcast repository).
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Output folder.
    #[arg(long, default_value = "out/demo")]
    pub out: PathBuf,
    /// Most epochs.
    #[arg(long, default_value_t = 20)]
    pub epochs: usize,
    /// Seed.
    #[arg(long, default_value_t = 1337)]
    pub seed: u64,
}

fn sample_data() -> Option<PathBuf> {
    let here = Path::new("data/greensboro.csv");
    if here.exists() {
        return Some(here.to_path_buf());
    }
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/greensboro.csv");
    repo.exists().then_some(repo)
}

/// Runs the demo.
pub fn run(a: &DemoArgs) -> Result<()> {
    let data = match &a.data {
        Some(d) => d.clone(),
        None => sample_data().context(
            "data/greensboro.csv not found: run from the repository root or pass --data",
        )?,
    };
    std::fs::create_dir_all(&a.out).with_context(|| format!("creating {}", a.out.display()))?;
    let spec = a.out.join("gru32.toml");
    std::fs::write(&spec, SPEC)?;
    let model = a.out.join("model.ncm");
    outln!(
        "nowcast demo: temperature 6 h ahead from 120 h of 10 weather channels ({})\n",
        data.display()
    );
    let args = TrainArgs {
        data: DataArgs {
            data: data.clone(),
            target: Some("temp_c".into()),
            features: None,
            ignore: Vec::new(),
            resample: None,
            long: None,
            segment_column: None,
            time_column: None,
            sample_period: None,
            skip_bad_rows: false,
            sort: false,
            lookback: Some(120),
            delay: Some(6),
            step: Some(1),
            split: vec![0.6, 0.2, 0.2],
            season: Some(24),
        },
        model: spec,
        epochs: a.epochs,
        // The recipe for a few thousand windows (see the README): batches of 32 give four times
        // the updates per epoch of the default 128, and Adam is steadier than RMSprop there.
        batch: 32,
        optimizer: OptArg::Adam,
        lr: None,
        loss: Some(LossArg::Mae),
        task: TaskArg::Forecast,
        sequences: SequenceArgs {
            test: None,
            columns: crate::classify::SequenceColumns {
                sequence_column: "sequence".into(),
                label_column: "label".into(),
            },
            val_fraction: 0.2,
        },
        length: None,
        class_weight: None,
        text: TextArgs {
            text_column: "text".into(),
            vocab: 10_000,
            hashing: None,
        },
        embeddings: None,
        freeze_embeddings: false,
        patience: 3,
        seed: a.seed,
        threads: None,
        out: model.clone(),
        report: Some(a.out.clone()),
        checkpoint: None,
        resume: false,
        ema: None,
        stateful: false,
        lanes: 32,
    };
    crate::train::run(&args)?;
    // The integer-only model an FPU-less Cortex-M0/M3 runs, scored against the float one.
    outln!();
    let quantized = a.out.join("model_i8x16.ncm");
    crate::quantize::run(&QuantizeArgs {
        model: model.clone(),
        data: args.data.clone(),
        mode: ModeArg::I8x16,
        out: quantized.clone(),
        report: Some(a.out.clone()),
        layer_windows: 512,
        calibration: Calibration::Max,
        calibration_windows: 2048,
        task: TaskArg::Forecast,
        sequences: args.sequences.clone(),
        text: args.text.clone(),
        seed: a.seed,
    })?;
    outln!();
    replay(&ReplayArgs {
        model: model.clone(),
        data,
        out: a.out.join("forecasts.csv"),
        skip_bad_rows: false,
        sort: false,
        time_column: None,
        sample_period: None,
        resample: None,
        long: None,
        segment_column: None,
        sequences: args.sequences.columns.clone(),
    })?;
    outln!();
    for m in [&model, &quantized] {
        let bytes = std::fs::read(m)?;
        out!("{}", crate::inspect::summary(&bytes)?);
        outln!();
    }
    outln!(
        "next: nowcast eval --model {} --data data/greensboro.csv; for a board, {} (see the README, On a real board)",
        model.display(),
        quantized.display()
    );
    Ok(())
}
