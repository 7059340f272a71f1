//! `nowcast bench`: what a model costs per sample, measured on this host through the runtime,
//! next to what it needs on a device (flash, RAM, MACs).
//!
//! Samples are drawn around the model's input normalization (mean ± 2 std, deterministic), so
//! every layer sees values of the size it was trained on. The step time is the median of
//! `--rounds` timed runs of `--samples` streamed samples each, after a warm-up run.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Args;
use nowcast_runtime::{AlignedBytes, Model, Stepper};
use serde::Serialize;

/// `nowcast bench` flags.
#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    /// The model file (.ncm).
    pub model: PathBuf,
    /// Streamed samples per timed round.
    #[arg(long, default_value_t = 20_000)]
    pub samples: usize,
    /// Timed rounds (the median is reported).
    #[arg(long, default_value_t = 5)]
    pub rounds: usize,
    /// Print the figures as JSON.
    #[arg(long)]
    pub json: bool,
}

/// What `nowcast bench --json` prints.
#[derive(Debug, Serialize)]
pub struct BenchJson {
    pub mode: &'static str,
    pub macs_per_sample: f64,
    pub ns_per_sample: f64,
    pub ns_per_mac: f64,
    /// Window-mode forward pass over `window_steps` samples, if the model has a lookback.
    pub ns_per_window: Option<f64>,
    pub window_steps: usize,
    pub weight_bytes: usize,
    pub blob_bytes: usize,
    pub state_bytes: usize,
}

/// Deterministic raw samples around the model's input normalization.
fn samples(model: &Model<'_>, count: usize) -> Vec<f32> {
    let n = model.input_len();
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut out = Vec::with_capacity(count * n);
    for _ in 0..count {
        for c in 0..n {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let u = (x >> 40) as f32 / (1u64 << 24) as f32 * 4.0 - 2.0;
            out.push(match model.input_norm() {
                Some(norm) => norm.mean[c] + u * norm.std[c],
                None => u,
            });
        }
    }
    out
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Runs the benchmark; prints a table or JSON.
pub fn run(a: &BenchArgs) -> Result<BenchJson> {
    let bytes =
        std::fs::read(&a.model).with_context(|| format!("reading {}", a.model.display()))?;
    let blob = AlignedBytes::new(&bytes);
    let model = Model::from_bytes(blob.as_bytes())
        .map_err(|e| anyhow::anyhow!("{}: invalid model: {e:?}", a.model.display()))?;
    if model.vocab().is_some() {
        bail!("nowcast bench measures value models; this one takes token ids");
    }
    if !model.is_streamable() {
        bail!("the model needs the whole window (it is not streamable); nothing to step");
    }
    let (count, rounds) = (a.samples.max(1), a.rounds.max(1));
    let n = model.input_len();
    // (At least one whole window of samples, for the window's timing.)
    let input = samples(&model, count.max(model.window_steps()));
    let mut state = vec![0.0f32; model.state_len()];
    let mut stepper = Stepper::new(&model, &mut state).map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let round = |stepper: &mut Stepper<'_, '_>| -> Result<f64> {
        let start = Instant::now();
        for x in input.chunks_exact(n).take(count) {
            black_box(
                stepper
                    .step(black_box(x))
                    .map_err(|e| anyhow::anyhow!("{e:?}"))?,
            );
        }
        Ok(start.elapsed().as_secs_f64() * 1e9 / count as f64)
    };
    round(&mut stepper)?;
    let per_sample = median(
        (0..rounds)
            .map(|_| round(&mut stepper))
            .collect::<Result<_>>()?,
    );

    let steps = model.window_steps();
    let per_window = if steps > 0 {
        let mut scratch = vec![
            0.0f32;
            model
                .window_scratch_len(steps)
                .map_err(|e| anyhow::anyhow!("{e:?}"))?
        ];
        let window = &input[..steps * n];
        let reps = (count / steps).clamp(1, 2_000);
        let mut time = || -> Result<f64> {
            let start = Instant::now();
            for _ in 0..reps {
                black_box(
                    model
                        .window(black_box(window), &mut scratch)
                        .map_err(|e| anyhow::anyhow!("{e:?}"))?
                        .last()[0],
                );
            }
            Ok(start.elapsed().as_secs_f64() * 1e9 / reps as f64)
        };
        time()?;
        Some(median((0..rounds).map(|_| time()).collect::<Result<_>>()?))
    } else {
        None
    };
    let macs = model.macs_per_sample();
    let weight_bytes = (0..model.layers().len())
        .filter_map(|i| model.summary(i))
        .map(|s| s.weight_bytes)
        .sum();
    let report = BenchJson {
        mode: model.mode().name(),
        macs_per_sample: macs,
        ns_per_sample: per_sample,
        ns_per_mac: per_sample / macs.max(1.0),
        ns_per_window: per_window,
        window_steps: steps,
        weight_bytes,
        blob_bytes: bytes.len(),
        state_bytes: model.state_len() * 4,
    };
    if a.json {
        outln!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        outln!(
            "model {} ({} mode) on this host, median of {rounds} rounds of {count} samples",
            a.model.display(),
            report.mode
        );
        outln!(
            "  streamed step   {:>10.0} ns   ({:.0} MACs per sample, {:.2} ns per MAC)",
            per_sample,
            macs,
            report.ns_per_mac
        );
        if let Some(w) = per_window {
            outln!("  window of {steps:>4}  {w:>10.0} ns");
        }
        outln!(
            "  on a device: {} bytes of blob ({} of weights), {} bytes of state and scratch",
            report.blob_bytes,
            report.weight_bytes,
            report.state_bytes
        );
        outln!("  instructions per step on Cortex-M cores: cargo xtask cycles (QEMU)");
    }
    Ok(report)
}
