//! `cargo xtask <task>`: the one entry point for every check.
//!
//! - `ci`: everything CI runs, in CI's order: formatting, clippy (warnings are errors), the
//!   whole test suite, the runtime's tests again on a 32-bit host target (i686; `.ci/run`
//!   installs it), the runtime's docs with warnings as errors, the no_std runtime cross-built
//!   for Cortex-M0, M3 and M4F, and the firmware workspace checked for its targets.
//!   Last, the QEMU parity suite (`qemu`).
//! - `qemu`: the parity firmware built for Cortex-M4F, M3 and M0, run under QEMU on the
//!   recorded case in `tests/qemu/`, every forecast compared bit for bit with the host runtime.
//!   Needs `qemu-system-arm` (`.ci/run` installs it); never skips.
//! - `bless`: rewrites the committed snapshots (the released-format sample blobs) from the
//!   current code; review the diff before committing it.
//! - `qemu-case`: regenerates the QEMU parity case (trains the model, records the stream).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};

/// Thumb targets the no_std crates must build for.
const THUMB_TARGETS: [&str; 3] = [
    "thumbv6m-none-eabi",
    "thumbv7m-none-eabi",
    "thumbv7em-none-eabihf",
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// Runs `cargo args...` in `dir`, echoing the command and its wall time.
fn cargo(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Result<()> {
    let start = Instant::now();
    println!(
        "\n==> cargo {}{}",
        args.join(" "),
        if dir == root() {
            String::new()
        } else {
            format!("   (in {})", dir.display())
        }
    );
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.args(args).current_dir(dir);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let status = cmd
        .status()
        .with_context(|| format!("running cargo {}", args.join(" ")))?;
    if !status.success() {
        bail!("cargo {} failed ({status})", args.join(" "));
    }
    println!("<== {:.1} s", start.elapsed().as_secs_f64());
    Ok(())
}

fn ci() -> Result<()> {
    let root = root();
    let fw = root.join("firmware");
    let start = Instant::now();
    cargo(&root, &["fmt", "--all", "--", "--check"], &[])?;
    cargo(&fw, &["fmt", "--all", "--", "--check"], &[])?;
    cargo(
        &root,
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--locked",
            "--",
            "-D",
            "warnings",
        ],
        &[],
    )?;
    cargo(&root, &["test", "--workspace", "--locked"], &[])?;
    // usize is 32 bits on the Cortex-M targets: run the runtime's tests where it is too.
    cargo(
        &root,
        &[
            "test",
            "-p",
            "nowcast-runtime",
            "-p",
            "nowcast-tests",
            "--locked",
            "--target",
            "i686-unknown-linux-gnu",
        ],
        &[],
    )?;
    // The runtime's docs are its map: broken links fail CI.
    cargo(
        &root,
        &["doc", "-p", "nowcast-runtime", "--no-deps", "--locked"],
        &[("RUSTDOCFLAGS", "-D warnings")],
    )?;
    // The approximate activations are deterministic and near the exact ones.
    cargo(
        &root,
        &[
            "test",
            "-p",
            "nowcast-runtime",
            "--lib",
            "--locked",
            "--features",
            "fast-math",
        ],
        &[],
    )?;
    for target in THUMB_TARGETS {
        cargo(
            &root,
            &[
                "build",
                "-p",
                "nowcast-runtime",
                "--locked",
                "--release",
                "--target",
                target,
            ],
            &[],
        )?;
    }
    cargo(
        &root,
        &[
            "build",
            "-p",
            "nowcast-runtime",
            "--locked",
            "--release",
            "--target",
            "thumbv6m-none-eabi",
            "--features",
            "fast-math,defmt",
        ],
        &[],
    )?;
    qemu()?;
    for target in THUMB_TARGETS {
        cargo(
            &fw,
            &[
                "clippy",
                "--workspace",
                "--locked",
                "--release",
                "--target",
                target,
                "--",
                "-D",
                "warnings",
            ],
            &[],
        )?;
    }
    println!(
        "\nxtask ci: all checks passed in {:.0} s",
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The QEMU parity case: a Conv1D + MaxPool + Conv1D + GRU model trained by nowcast on the
/// bundled data, and 2,400 raw samples from the start of its validation split with a
/// missing channel reading and three missing samples (NaN), so the recording covers warm-up,
/// pooling decimation and missing-sample filling.
fn qemu_case() -> Result<()> {
    let root = root();
    let dir = root.join("tests/qemu/conv_gru");
    std::fs::create_dir_all(&dir)?;
    let model = dir.join("model.ncm");
    let model_arg = model.display().to_string();
    cargo(
        &root,
        &[
            "run",
            "--release",
            "--locked",
            "-q",
            "-p",
            "nowcast-cli",
            "--",
            "train",
            "--data",
            "data/greensboro.csv",
            "--target",
            "temp_c",
            "--lookback",
            "120",
            "--delay",
            "6",
            "--model",
            "tools/cli/specs/conv_gru.toml",
            "--epochs",
            "3",
            "--seed",
            "1337",
            "--threads",
            "2",
            "--out",
            &model_arg,
        ],
        &[],
    )?;
    use nowcast_trainer::data::{Dataset, DatasetConfig, LoadConfig, Series, Split, WindowSpec};
    let series = Series::load(root.join("data/greensboro.csv"), &LoadConfig::default())?;
    let dataset = Dataset::new(
        &series,
        &DatasetConfig::new("temp_c", WindowSpec::new(120, 6, 1)?),
    )?;
    let start = dataset.split_rows(Split::Val).start;
    let mut bytes = Vec::new();
    for (i, row) in (start..start + QEMU_CASE_SAMPLES).enumerate() {
        for (c, &v) in dataset.raw_row(row).iter().enumerate() {
            let missing = (i == 700 && c == 3) || (1200..1203).contains(&i);
            let v = if missing { f32::NAN } else { v };
            bytes.extend_from_slice(&v.to_le_bytes());
        }
    }
    std::fs::write(dir.join("stream.f32"), &bytes)?;
    println!(
        "wrote {} and {} samples to {}",
        model.display(),
        QEMU_CASE_SAMPLES,
        dir.display()
    );
    Ok(())
}

/// Samples in the QEMU parity recording.
const QEMU_CASE_SAMPLES: usize = 2400;

/// Host against QEMU, bit for bit, on every firmware target (QEMU required).
fn qemu() -> Result<()> {
    cargo(
        &root(),
        &[
            "test",
            "-p",
            "nowcast-tests",
            "--locked",
            "--test",
            "qemu_parity",
            "--",
            "--nocapture",
        ],
        &[("NOWCAST_REQUIRE_QEMU", "1")],
    )
}

fn bless() -> Result<()> {
    cargo(
        &root(),
        &["test", "-p", "nowcast-tests", "--test", "format_compat"],
        &[("NOWCAST_BLESS", "1")],
    )
}

fn main() -> Result<()> {
    let task = std::env::args().nth(1).unwrap_or_default();
    match task.as_str() {
        "ci" => ci(),
        "bless" => bless(),
        "qemu" => qemu(),
        "qemu-case" => qemu_case(),
        _ => {
            eprintln!("usage: cargo xtask <ci|qemu|bless|qemu-case>");
            std::process::exit(2);
        }
    }
}
