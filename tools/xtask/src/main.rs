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
//! - `qemu-case [basicmotions]`: regenerates the QEMU parity cases (trains the models, records
//!   the streams), or only the classifier case.
//! - `size`: code, model, state and stack bytes of the parity firmware per core, and of the
//!   lean forecaster (`firmware/qemu` bin `forecast`, gru32 i8x16, built for size) (the stack
//!   high-water mark measured under QEMU by painting).
//! - `cycles`: instructions per streamed step and per MAC of the reference models on
//!   Cortex-M4F and M3 under QEMU (the `tools/insncount` TCG plugin, built with gcc).
//! - `measure <model.ncm>`: one model's flash, RAM, stack and instructions per streamed step
//!   on each QEMU core, the firmware built with only the runtime features the model needs.

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
    if dir != root() {
        // The firmware workspace builds into its own target/, where `build_firmware` (and the
        // parity test) look for the ELFs.
        cmd.env_remove("CARGO_TARGET_DIR");
    }
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
    // The QEMU parity test builds nine firmware images; it runs once, in `qemu()` below.
    cargo(
        &root,
        &[
            "test",
            "--workspace",
            "--exclude",
            "nowcast-reduced",
            "--locked",
            "--",
            "--skip",
            "device_output_equals_host_bit_for_bit",
        ],
        &[],
    )?;
    // Alone, so that its runtime is built with the float path only.
    cargo(&root, &["test", "-p", "nowcast-reduced", "--locked"], &[])?;
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
            "--",
            "--skip",
            "device_output_equals_host_bit_for_bit",
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
    // Each numeric path alone with every layer kind, and with the few kinds of the lean
    // forecaster, as firmware that ships one mode and one model builds the runtime.
    for features in [
        "float,all-layers",
        "int,all-layers",
        "int,gru,dense",
        "float,dense",
    ] {
        cargo(
            &root,
            &[
                "clippy",
                "-p",
                "nowcast-runtime",
                "--locked",
                "--target",
                "thumbv7m-none-eabi",
                "--no-default-features",
                "--features",
                features,
                "--",
                "-D",
                "warnings",
            ],
            &[],
        )?;
    }
    qemu()?;
    // `measure` on a parity case: every core measured.
    let case = root.join("tests/qemu/gru32/model_i8x16.ncm");
    if measure(&case)? > 0 {
        bail!(
            "cargo xtask measure could not measure {} on every core",
            case.display()
        );
    }
    for target in THUMB_TARGETS {
        // The Black Pill (STM32F411, Cortex-M4F) firmware is built for its own target only.
        let mut args = vec![
            "clippy",
            "--workspace",
            "--locked",
            "--release",
            "--target",
            target,
        ];
        if target != "thumbv7em-none-eabihf" {
            args.extend(["--exclude", "nowcast-blackpill"]);
        }
        args.extend(["--", "-D", "warnings"]);
        cargo(&fw, &args, &[])?;
    }
    // The real board's binary links (defmt, memory.x, the embedded model).
    cargo(
        &fw,
        &[
            "build",
            "--locked",
            "--release",
            "--target",
            "thumbv7em-none-eabihf",
            "-p",
            "nowcast-blackpill",
        ],
        &[],
    )?;
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
    let cases = root.join("tests/qemu");
    for (case, spec) in [("conv_gru", "conv_gru.toml"), ("gru32", "gru32.toml")] {
        let dir = cases.join(case);
        std::fs::create_dir_all(&dir)?;
        let model_arg = dir.join("model.ncm").display().to_string();
        let spec = format!("tools/cli/specs/{spec}");
        nowcast_cli(
            &root,
            &[
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
                &spec,
                "--epochs",
                "3",
                "--seed",
                "1337",
                "--threads",
                "2",
                "--out",
                &model_arg,
            ],
        )?;
        // The quantized twins, calibrated on the same data's training split.
        for mode in ["i8w", "i8x16"] {
            let out = dir.join(format!("model_{mode}.ncm")).display().to_string();
            nowcast_cli(
                &root,
                &[
                    "quantize",
                    "--model",
                    &model_arg,
                    "--data",
                    "data/greensboro.csv",
                    "--mode",
                    mode,
                    "--out",
                    &out,
                ],
            )?;
        }
    }
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
            bytes.extend_from_slice(&recorded(i, c, v).to_le_bytes());
        }
    }
    std::fs::write(cases.join("stream.f32"), &bytes)?;
    println!(
        "wrote the conv_gru and gru32 cases (float models and their i8w and i8x16 twins) and {} samples to {}",
        QEMU_CASE_SAMPLES,
        cases.display()
    );
    classifier_case(&root, &cases)
}

/// The classifier case: an LSTM(32) trained on BasicMotions (`nowcast train --task classify`)
/// and its i8w and i8x16 twins (`nowcast quantize --task classify`), and its own recording: the first 25 test sequences (2,500 samples of 6 channels) back to
/// back, with the same missing readings as the forecasting recording.
fn classifier_case(root: &Path, cases: &Path) -> Result<()> {
    let dir = cases.join("basicmotions");
    std::fs::create_dir_all(&dir)?;
    let model = dir.join("model.ncm").display().to_string();
    let (train, test) = (
        "data/basicmotions/BasicMotions_TRAIN.ts",
        "data/basicmotions/BasicMotions_TEST.ts",
    );
    nowcast_cli(
        root,
        &[
            "train",
            "--task",
            "classify",
            "--data",
            train,
            "--test",
            test,
            "--model",
            "tools/cli/specs/basicmotions_lstm.toml",
            "--optimizer",
            "adam",
            "--batch",
            "8",
            "--epochs",
            "500",
            "--patience",
            "100",
            "--seed",
            "1337",
            "--threads",
            "2",
            "--out",
            &model,
        ],
    )?;
    for mode in ["i8w", "i8x16"] {
        let out = dir.join(format!("model_{mode}.ncm")).display().to_string();
        nowcast_cli(
            root,
            &[
                "quantize", "--task", "classify", "--model", &model, "--data", train, "--test",
                test, "--mode", mode, "--out", &out,
            ],
        )?;
    }
    let sequences = nowcast_trainer::data::sequences::read_ts(root.join(test))?;
    let mut bytes = Vec::new();
    let channels = sequences.channels.len();
    let samples = sequences
        .items
        .iter()
        .take(25)
        .flat_map(|s| s.values.chunks_exact(channels));
    for (i, sample) in samples.enumerate() {
        for (c, &v) in sample.iter().enumerate() {
            bytes.extend_from_slice(&recorded(i, c, v).to_le_bytes());
        }
    }
    std::fs::write(dir.join("stream.f32"), &bytes)?;
    println!(
        "wrote the basicmotions case ({} samples) to {}",
        bytes.len() / 4 / channels,
        dir.display()
    );
    Ok(())
}

/// Value `v` of sample `i`, channel `c` as the parity recordings hold it: sample 700 misses
/// channel 3, samples 1200-1202 miss everything (NaN).
fn recorded(i: usize, c: usize, v: f32) -> f32 {
    let missing = (i == 700 && c == 3) || (1200..1203).contains(&i);
    if missing { f32::NAN } else { v }
}

/// Runs the `nowcast` CLI (release build) with `args` from the repository root.
fn nowcast_cli(root: &Path, args: &[&str]) -> Result<()> {
    let mut all = vec![
        "run",
        "--release",
        "--locked",
        "-q",
        "-p",
        "nowcast-cli",
        "--",
    ];
    all.extend_from_slice(args);
    cargo(root, &all, &[])
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

/// A QEMU board the firmware runs on.
struct Board {
    target: &'static str,
    machine: &'static str,
    cpu: &'static str,
    core: &'static str,
    /// The QEMU board's flash and RAM (firmware/qemu/build.rs's memory.x).
    flash_kb: usize,
    ram_kb: usize,
}

/// The boards of `cargo xtask cycles` and `cargo xtask size`.
const BOARDS: [Board; 3] = [
    Board {
        target: "thumbv7em-none-eabihf",
        machine: "mps2-an386",
        cpu: "cortex-m4",
        core: "M4F",
        flash_kb: 4096,
        ram_kb: 4096,
    },
    Board {
        target: "thumbv7m-none-eabi",
        machine: "lm3s6965evb",
        cpu: "cortex-m3",
        core: "M3 (soft f32)",
        flash_kb: 256,
        ram_kb: 64,
    },
    Board {
        target: "thumbv6m-none-eabi",
        machine: "microbit",
        cpu: "cortex-m0",
        core: "M0 (soft f32)",
        flash_kb: 256,
        ram_kb: 16,
    },
];

/// Builds firmware binary `bin` of `nowcast-qemu` for the board with cargo profile `profile`
/// (`release`, or `release-z` for size); `features` replaces the default features (both numeric
/// paths, every layer kind, softmax, the assembly kernels). Returns the ELF.
fn build_firmware(
    fw: &Path,
    board: &Board,
    bin: &str,
    env: &[(&str, &str)],
    features: Option<&str>,
    profile: &str,
) -> Result<PathBuf> {
    let mut args = vec![
        "build",
        "--profile",
        profile,
        "--locked",
        "-q",
        "-p",
        "nowcast-qemu",
        "--target",
        board.target,
        "--bin",
        bin,
    ];
    if let Some(f) = features {
        args.extend(["--no-default-features", "--features", f]);
    }
    cargo(fw, &args, env)?;
    Ok(fw.join(format!("target/{}/{profile}/{bin}", board.target)))
}

/// Runs an ELF on the board under QEMU (semihosting on, a 300 s limit), `extra` arguments before
/// `-kernel`.
fn run_qemu(board: &Board, elf: &Path, extra: &[&str]) -> Result<std::process::Output> {
    Command::new("timeout")
        .args([
            "-k",
            "5",
            "300",
            "qemu-system-arm",
            "-cpu",
            board.cpu,
            "-machine",
            board.machine,
            "-nographic",
        ])
        .args(["-semihosting-config", "enable=on,target=native"])
        .args(extra)
        .arg("-kernel")
        .arg(elf)
        .output()
        .context("running qemu-system-arm")
}

/// Instructions per streamed step under QEMU (TCG plugin `tools/insncount`), per core.
fn cycles() -> Result<()> {
    let root = root();
    let fw = root.join("firmware");
    let plugin = build_plugin(&root)?;
    let mut rows = Vec::new();

    // On the M0 (16 KB of RAM) the firmware runs the streamed benchmarks only; the float and
    // the quantized models are two builds, so that each fits 256 KB of flash.
    for (board, modes) in BOARDS
        .iter()
        .flat_map(|b| ["f32", "i8w,i8x16"].map(|m| (b, m)))
    {
        let core = board.core;
        let elf = build_firmware(
            &fw,
            board,
            "cycles",
            &[("NOWCAST_BENCH_MODES", modes)],
            None,
            "release",
        )?;
        let plugin_arg = plugin_markers(&plugin, &elf)?;
        let out = run_qemu(board, &elf, &["-d", "plugin", "-plugin", &plugin_arg])?;
        if !out.status.success() {
            bail!(
                "{core}: the cycles firmware failed:\n{}",
                String::from_utf8_lossy(&out.stdout)
            );
        }
        // Labels come in order on stdout, counts in order on stderr.
        let text = String::from_utf8_lossy(&out.stdout);
        let labels: Vec<Vec<&str>> = text
            .lines()
            .filter_map(|l| l.strip_prefix("bench "))
            .map(|l| l.split(' ').collect())
            .collect();
        let log = String::from_utf8_lossy(&out.stderr);
        let counts: Vec<f64> = log
            .lines()
            .filter_map(|l| l.split("insns=").nth(1))
            .filter_map(|v| v.trim().parse().ok())
            .collect();
        if labels.len() != counts.len() {
            bail!(
                "{core}: {} benchmarks but {} counts",
                labels.len(),
                counts.len()
            );
        }
        for (l, insns) in labels.iter().zip(counts) {
            let (name, samples, macs): (&str, f64, f64) = (l[0], l[1].parse()?, l[2].parse()?);
            // Streamed regions are reported per sample; the window region as a whole.
            let per = if name.contains("window24") {
                1.0
            } else {
                samples
            };
            rows.push(format!(
                "{:<36} {:<14} {:>12.0} {:>12.0} {:>10}",
                name,
                core,
                insns / per,
                macs / per,
                if macs > 0.0 {
                    format!("{:.2}", insns / macs)
                } else {
                    "-".to_string()
                }
            ));
        }
    }
    println!(
        "\ninstructions under QEMU (TCG plugin), per streamed sample (window24: per 24-step window); f32 unless the name ends in the mode"
    );
    println!(
        "{:<36} {:<14} {:>12} {:>12} {:>10}",
        "model", "core", "instructions", "MACs", "instr/MAC"
    );
    for r in rows {
        println!("{r}");
    }
    Ok(())
}

/// The plugin's argument for an ELF with the `bench_start` and `bench_stop` markers: every
/// region between them counted.
fn plugin_markers(plugin: &Path, elf: &Path) -> Result<String> {
    let nm = Command::new("nm").arg(elf).output().context("running nm")?;
    let symbols = String::from_utf8_lossy(&nm.stdout);
    let addr = |name: &str| {
        symbols
            .lines()
            .find_map(|l| {
                l.strip_suffix(&format!(" T {name}"))
                    .map(|a| format!("0x{}", a.trim()))
            })
            .with_context(|| format!("no symbol {name} in {}", elf.display()))
    };
    Ok(format!(
        "{},start={},stop={}",
        plugin.display(),
        addr("bench_start")?,
        addr("bench_stop")?
    ))
}

/// Samples of the recording `cargo xtask measure`'s firmware cycles through.
const MEASURE_RECORDING: usize = 16;
/// Steps at least left out at the start of `cargo xtask measure`'s figures (the stepper
/// warming up; more until the model's first output).
const MEASURE_WARM_UP: usize = 40;

/// What `cargo xtask measure` found on one core.
struct Measured {
    footprint: Footprint,
    /// What the regions are: `steps` or `window passes`.
    region: &'static str,
    /// Regions in the figures, and regions in all.
    counted: usize,
    regions: usize,
    mean: f64,
    max: f64,
}

/// `cargo xtask measure <model.ncm>`: what one model costs on each QEMU core, before flashing.
/// The firmware (`firmware/qemu` bin `measure`) is built with the runtime features the model
/// needs only (its mode's path, its layer kinds, softmax if it uses it) and the assembly
/// kernels: at opt-level "z" for flash, state + scratch and the stack high-water mark, and at
/// opt-level 3 for instructions per streamed step, mean and largest over a synthetic recording
/// the firmware cycles through (16 samples, so that it takes little flash, which the figure
/// leaves out): the steps after a warm-up of at least
/// [`MEASURE_WARM_UP`] and up to the model's first output, a whole number of its output
/// periods (a model that decimates or pools emits every few steps). A window-only model: per
/// window pass. Returns how many cores it could not measure on (a model too large for the
/// M0's 16 KB of RAM, say), whose rows say why. (Two measures at once share `target/measure`
/// and the firmware's build folder: run one at a time.)
fn measure(path: &Path) -> Result<usize> {
    use nowcast_runtime::{AlignedBytes, Mode, Model};
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let blob = AlignedBytes::new(&bytes);
    let model = Model::from_bytes(blob.as_bytes())
        .map_err(|e| anyhow::anyhow!("{} does not load: {e:?}", path.display()))?;
    let mut features = vec![match model.mode() {
        Mode::I8x16 => "int",
        Mode::F32 | Mode::I8w => "float",
    }];
    for layer in model.layers() {
        let kinds = layer.kinds().into_iter().flatten();
        let softmax = layer.uses_softmax().then_some("softmax");
        for f in kinds.filter_map(|k| k.feature()).chain(softmax) {
            if !features.contains(&f) {
                features.push(f);
            }
        }
    }
    features.push("asm");
    let features = features.join(",");
    let root = root();
    let case = root.join("target/measure");
    std::fs::create_dir_all(&case)?;
    std::fs::write(case.join("model.ncm"), &bytes)?;
    // A short recording the firmware cycles through (see its bin `measure`).
    let n = model.input_len();
    let vocabulary = model.vocab().map(|v| v.max(1));
    let mut stream = Vec::with_capacity(4 * n * MEASURE_RECORDING);
    for k in 0..n * MEASURE_RECORDING {
        let h = (k as u32).wrapping_mul(2_654_435_761) >> 8;
        let v = match (vocabulary, model.input_norm()) {
            (Some(ids), _) => (h % ids) as f32,
            (None, norm) => {
                let u = h as f32 / (1u32 << 24) as f32 * 4.0 - 2.0;
                norm.map_or(u, |s| s.mean[k % n] + u * s.std[k % n])
            }
        };
        stream.extend(v.to_le_bytes());
    }
    std::fs::write(case.join("stream.f32"), &stream)?;
    let plugin = build_plugin(&root)?;
    let macs = model.macs_per_sample();
    let mut rows = Vec::new();
    let mut notes = Vec::new();
    let mut failed = 0;
    for board in &BOARDS {
        rows.push(match measure_on(&root, board, &case, &features, &plugin) {
            Ok(m) => {
                let f = &m.footprint;
                let per_mac = match macs > 0.0 {
                    true => format!("{:.2}", m.mean / macs),
                    false => "-".to_string(),
                };
                let note = format!("{} of {} {} counted", m.counted, m.regions, m.region);
                if !notes.contains(&note) {
                    notes.push(note);
                }
                format!(
                    "{:<14} {:>10} {:>11} {:>14} {:>12} {:>14.0} {:>12.0} {:>10}",
                    board.core, f.text, f.flash, f.state, f.stack, m.mean, m.max, per_mac
                )
            }
            Err(e) => {
                failed += 1;
                format!("{:<14} not measured: {e:#}", board.core)
            }
        });
    }
    let per = match model.is_streamable() {
        true => "per input sample",
        false => "per window (the model runs in window mode only)",
    };
    println!(
        "\n{}: mode {:?}, {} inputs, {macs:.0} MACs {per}; firmware features `{features}`",
        path.display(),
        model.mode(),
        model.input_len(),
    );
    println!(
        "bytes at opt-level \"z\" (flash with the model; state + scratch; stack high-water mark, which includes them); instructions at opt-level 3 under QEMU per {}, mean and largest ({})",
        match model.is_streamable() {
            true => "streamed step",
            false => "window pass",
        },
        notes.join("; ")
    );
    println!(
        "{:<14} {:>10} {:>11} {:>14} {:>12} {:>14} {:>12} {:>10}",
        "core",
        ".text",
        "flash",
        "state+scratch",
        "stack (HWM)",
        "instr mean",
        "instr max",
        "instr/MAC"
    );
    for r in rows {
        println!("{r}");
    }
    Ok(failed)
}

/// [`measure`] on one core.
fn measure_on(
    root: &Path,
    board: &Board,
    case: &Path,
    features: &str,
    plugin: &Path,
) -> Result<Measured> {
    let model_bytes = std::fs::metadata(case.join("model.ncm"))?.len();
    let fits = || {
        format!(
            "the {model_bytes}-byte model on a board with {} KB of flash and {} KB of RAM \
             (cargo's output above)",
            board.flash_kb, board.ram_kb
        )
    };
    let case_arg = case.display().to_string();
    let env = [
        ("NOWCAST_QEMU_CASE", case_arg.as_str()),
        ("NOWCAST_QEMU_MODEL", "model.ncm"),
    ];
    let fw = root.join("firmware");
    // Both builds first, so that a model too large for the board says so.
    build_firmware(&fw, board, "measure", &env, Some(features), LEAN_PROFILE).with_context(fits)?;
    let elf = build_firmware(&fw, board, "measure", &env, Some(features), "release")
        .with_context(fits)?;
    let lockup = "(a QEMU abort is a lockup: most likely the stack ran out of RAM)";
    let footprint = footprint(
        root,
        board,
        "measure",
        case,
        "model.ncm",
        features,
        LEAN_PROFILE,
    )
    .context(lockup)?;
    let arg = plugin_markers(plugin, &elf)?;
    let out = run_qemu(board, &elf, &["-d", "plugin", "-plugin", &arg])?;
    if !out.status.success() {
        bail!(
            "the firmware failed ({}): {} {lockup}",
            out.status,
            String::from_utf8_lossy(&out.stdout)
        );
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("measure "))
        .with_context(|| format!("no measure line in {text}"))?;
    let counts: Vec<f64> = String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter_map(|l| l.split("insns=").nth(1))
        .filter_map(|v| v.trim().parse().ok())
        .collect();
    let words: Vec<&str> = line.split_whitespace().collect();
    let (region, counted) = match words.as_slice() {
        // `stream <steps> first <i> period <p>`: whole output periods after the warm-up.
        ["stream", _, "first", first, "period", period] => {
            let start = MEASURE_WARM_UP.max(first.parse::<usize>()? + 1);
            let period = period.parse::<usize>()?.max(1);
            let whole = counts.len().saturating_sub(start) / period * period;
            (
                "steps",
                counts.get(start..start + whole).unwrap_or_default(),
            )
        }
        ["window", _] => ("window passes", &counts[..]),
        _ => bail!("a measure line it does not read: {line}"),
    };
    if counted.is_empty() {
        bail!(
            "no {region} to count after the warm-up ({} in all)",
            counts.len()
        );
    }
    Ok(Measured {
        footprint,
        region,
        counted: counted.len(),
        regions: counts.len(),
        mean: counted.iter().sum::<f64>() / counted.len() as f64,
        max: counted.iter().copied().fold(0.0, f64::max),
    })
}

/// The lean forecaster's build for `cargo xtask size` (and the parity test): the runtime's
/// integer path and the layer kinds of the gru32 case only, optimized for size.
const LEAN_FEATURES: &str = "int,gru,dense";
/// Its cargo profile (`firmware/Cargo.toml`: release with opt-level "z").
const LEAN_PROFILE: &str = "release-z";

/// Flash and RAM of the parity firmware per core, and of the lean forecaster (bin `forecast`)
/// on the gru32 i8x16 case: code (`.text`), the model blob, flash, the model's streaming state
/// and scratch, and the stack high-water mark measured under QEMU (the firmware paints its
/// stack and reports the deepest word used).
fn size() -> Result<()> {
    let root = root();
    let mut parity = Vec::new();
    for (case, model) in ["conv_gru", "gru32"]
        .iter()
        .flat_map(|c| ["model.ncm", "model_i8w.ncm", "model_i8x16.ncm"].map(|m| (*c, m)))
    {
        // The runtime's path for this mode only, as an application would build it; every layer
        // kind (the parity firmware also runs the tokenizer).
        let features = if model.contains("i8x16") {
            "int,all-layers,softmax"
        } else {
            "float,all-layers,softmax"
        };
        for board in &BOARDS {
            parity.push(size_row(
                &root, board, "parity", case, model, features, "release",
            )?);
        }
    }
    // Without and with the assembly kernels (the kernels `cargo xtask cycles` counts).
    let lean_asm = format!("{LEAN_FEATURES},asm");
    let mut lean = [Vec::new(), Vec::new()];
    for (rows, features) in lean.iter_mut().zip([LEAN_FEATURES, lean_asm.as_str()]) {
        for board in &BOARDS {
            rows.push(size_row(
                &root,
                board,
                "forecast",
                "gru32",
                "model_i8x16.ncm",
                features,
                LEAN_PROFILE,
            )?);
        }
    }
    let header = format!(
        "{:<9} {:<6} {:<14} {:>10} {:>11} {:>11} {:>14} {:>12}",
        "case", "mode", "core", ".text", "model blob", "flash", "state+scratch", "stack (HWM)"
    );
    println!(
        "\nparity firmware (tests/qemu cases) built with the runtime's path for the mode only (feature `float` for f32 and i8w, `int` for i8x16) and every layer kind and softmax, profile release (opt-level 3), bytes: flash is .vector_table + .text + .rodata (with the model) + .data, without the recorded input stream; the stack high-water mark includes the state buffer, which lives in main's frame"
    );
    println!("{header}");
    for r in parity {
        println!("{r}");
    }
    println!(
        "\nlean forecaster (bin forecast: no core::fmt, no tokenizer) built with runtime features `{LEAN_FEATURES}` only, profile {LEAN_PROFILE} (opt-level \"z\"), same columns"
    );
    println!("{header}");
    for r in &lean[0] {
        println!("{r}");
    }
    println!(
        "\nthe same with the assembly kernels (features `{lean_asm}`: the i8x16 kernels `cargo xtask cycles` counts)"
    );
    println!("{header}");
    for r in &lean[1] {
        println!("{r}");
    }
    Ok(())
}

/// One row of `cargo xtask size`: the [`footprint`] of `bin` with a case of `tests/qemu`.
fn size_row(
    root: &Path,
    board: &Board,
    bin: &str,
    case: &str,
    model: &str,
    features: &str,
    profile: &str,
) -> Result<String> {
    let case_dir = root.join("tests/qemu").join(case);
    let model_bytes = std::fs::metadata(case_dir.join(model))?.len();
    let f = footprint(root, board, bin, &case_dir, model, features, profile)?;
    let mode = model
        .strip_prefix("model_")
        .and_then(|m| m.strip_suffix(".ncm"))
        .unwrap_or("f32");
    Ok(format!(
        "{:<9} {:<6} {:<14} {:>10} {:>11} {:>11} {:>14} {:>12}",
        case, mode, board.core, f.text, model_bytes, f.flash, f.state, f.stack
    ))
}

/// What a firmware build takes: code bytes, flash bytes (without the recorded input stream,
/// which is not part of an application), and the RAM figures it prints under QEMU.
struct Footprint {
    text: usize,
    flash: usize,
    /// The model's state and scratch.
    state: usize,
    /// The stack high-water mark (which includes them: they live in main's frame).
    stack: usize,
}

/// The recording a case folder's firmware embeds: its own `stream.f32`, or the shared one in
/// the folder above (as firmware/qemu/build.rs picks it).
fn recording(case_dir: &Path) -> PathBuf {
    let own = case_dir.join("stream.f32");
    if own.exists() {
        own
    } else {
        case_dir.join("../stream.f32")
    }
}

/// Builds `bin` with the case in `case_dir` embedded (blob `model`), reads its sections and
/// runs it under QEMU for the state and stack figures it prints on stderr (`size
/// state_bytes=<n> stack_bytes=<n>`).
fn footprint(
    root: &Path,
    board: &Board,
    bin: &str,
    case_dir: &Path,
    model: &str,
    features: &str,
    profile: &str,
) -> Result<Footprint> {
    let fw = root.join("firmware");
    let case_arg = case_dir.display().to_string();
    let core = board.core;
    let env = [
        ("NOWCAST_QEMU_CASE", case_arg.as_str()),
        ("NOWCAST_QEMU_MODEL", model),
    ];
    let elf = build_firmware(&fw, board, bin, &env, Some(features), profile)?;
    let sections = Command::new("readelf")
        .arg("-SW")
        .arg(&elf)
        .output()
        .context("running readelf")?;
    let listing = String::from_utf8_lossy(&sections.stdout);
    let section = |name: &str| {
        listing
            .lines()
            .find(|l| l.contains(&format!(" {name} ")))
            .and_then(|l| {
                l.split_whitespace()
                    .skip_while(|w| *w != name)
                    .nth(4)
                    .and_then(|hex| usize::from_str_radix(hex, 16).ok())
            })
            .unwrap_or(0)
    };
    let text = section(".text");
    // The recorded input stream is in .rodata too; it is not part of an application.
    let recording = std::fs::metadata(recording(case_dir))?.len() as usize;
    let flash = text + section(".rodata") + section(".data") + section(".vector_table") - recording;
    let out = run_qemu(board, &elf, &[])?;
    if !out.status.success() {
        bail!(
            "{core}: {bin} failed ({}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout)
        );
    }
    let log = String::from_utf8_lossy(&out.stderr);
    let line = log
        .lines()
        .find(|l| l.starts_with("size "))
        .with_context(|| format!("{core}: no size line:\n{log}"))?;
    let field = |name: &str| -> Result<usize> {
        line.split_whitespace()
            .find_map(|w| w.strip_prefix(&format!("{name}=")))
            .with_context(|| format!("no {name} in {line}"))?
            .parse()
            .map_err(Into::into)
    };
    Ok(Footprint {
        text,
        flash,
        state: field("state_bytes")?,
        stack: field("stack_bytes")?,
    })
}

/// Builds the TCG plugin into `target/`.
fn build_plugin(root: &Path) -> Result<PathBuf> {
    let plugin = root.join("target/libinsncount.so");
    std::fs::create_dir_all(root.join("target"))?;
    let status = Command::new("gcc")
        .args([
            "-O2",
            "-Wall",
            "-shared",
            "-fPIC",
            "-fvisibility=hidden",
            "-o",
        ])
        .arg(&plugin)
        .arg(root.join("tools/insncount/insncount.c"))
        .status()
        .context("running gcc for the QEMU plugin")?;
    if !status.success() {
        bail!("building the QEMU plugin failed");
    }
    Ok(plugin)
}

/// `cargo xtask profile <M4F|M3|M0> <benchmark>`: where the instructions of one benchmark
/// region of the cycles firmware go, per function and per address (TCG plugin `profile=N`).
fn profile(core: &str, bench: &str) -> Result<()> {
    let root = root();
    let fw = root.join("firmware");
    let board = BOARDS
        .iter()
        .find(|b| b.core.split(' ').next() == Some(core))
        .with_context(|| format!("no board with core {core} (M4F, M3, M0)"))?;
    let plugin = build_plugin(&root)?;
    let modes = if bench.ends_with("_i8w") || bench.ends_with("_i8x16") {
        "i8w,i8x16"
    } else {
        "f32"
    };
    let elf = build_firmware(
        &fw,
        board,
        "cycles",
        &[("NOWCAST_BENCH_MODES", modes)],
        None,
        "release",
    )?;
    let nm = Command::new("nm")
        .args(["-n", "-C"])
        .arg(&elf)
        .output()
        .context("running nm")?;
    let symbols: Vec<(u64, String)> = String::from_utf8_lossy(&nm.stdout)
        .lines()
        .filter_map(|l| {
            let mut parts = l.splitn(3, ' ');
            let addr = u64::from_str_radix(parts.next()?, 16).ok()?;
            let kind = parts.next()?;
            let name = parts.next()?.to_string();
            // `$t`/`$d` are mapping symbols, not functions.
            (matches!(kind, "T" | "t") && !name.starts_with('$')).then_some((addr & !1, name))
        })
        .collect();
    let addr = |name: &str| {
        symbols
            .iter()
            .find(|(_, s)| s == name)
            .map(|(a, _)| format!("{a:#x}"))
            .with_context(|| format!("no symbol {name}"))
    };
    let (start, stop) = (addr("bench_start")?, addr("bench_stop")?);
    let plain = format!("{},start={start},stop={stop}", plugin.display());
    let out = run_qemu(board, &elf, &["-d", "plugin", "-plugin", &plain])?;
    let labels: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.strip_prefix("bench "))
        .filter_map(|l| l.split(' ').next().map(str::to_string))
        .collect();
    let region = labels
        .iter()
        .position(|l| l == bench)
        .with_context(|| format!("no benchmark {bench}; there are {labels:?}"))?;
    let arg = format!("{plain},profile={region}");
    let out = run_qemu(board, &elf, &["-d", "plugin", "-plugin", &arg])?;
    let log = String::from_utf8_lossy(&out.stderr);
    let mut per_fn: std::collections::BTreeMap<String, u64> = Default::default();
    let mut per_pc: Vec<(u64, u64)> = Vec::new();
    for l in log.lines().filter_map(|l| l.strip_prefix("insnprof: pc=")) {
        let Some((pc, n)) = l.split_once(" n=") else {
            continue;
        };
        let (Ok(pc), Ok(n)) = (
            u64::from_str_radix(pc.trim_start_matches("0x"), 16),
            n.parse::<u64>(),
        ) else {
            continue;
        };
        let at = symbols.partition_point(|(a, _)| *a <= pc);
        let name = at
            .checked_sub(1)
            .map_or("?".to_string(), |i| symbols[i].1.clone());
        *per_fn.entry(name).or_default() += n;
        per_pc.push((pc, n));
    }
    let total: u64 = per_fn.values().sum();
    let mut fns: Vec<_> = per_fn.into_iter().collect();
    fns.sort_by_key(|f| std::cmp::Reverse(f.1));
    println!("\n{bench} on {}: {total} instructions", board.core);
    for (name, n) in fns.iter().take(25) {
        let short: String = name.chars().take(110).collect();
        println!(
            "{n:>10} {:>5.1}%  {short}",
            *n as f64 * 100.0 / total.max(1) as f64
        );
    }
    let dump: String = per_pc
        .iter()
        .map(|(pc, n)| format!("{pc:#x} {n}\n"))
        .collect();
    let dump_path = root.join("target/profile.txt");
    std::fs::write(&dump_path, dump)?;
    println!(
        "(every address's count: {}; ELF: {})",
        dump_path.display(),
        elf.display()
    );
    per_pc.sort_by_key(|p| std::cmp::Reverse(p.1));
    println!("\nhottest addresses:");
    for (pc, n) in per_pc.iter().take(40) {
        println!("{pc:#8x} {n:>8}");
    }
    Ok(())
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
        "qemu-case" => match std::env::args().nth(2).as_deref() {
            None => qemu_case(),
            Some("basicmotions") => classifier_case(&root(), &root().join("tests/qemu")),
            Some(other) => bail!("no QEMU case {other:?} (basicmotions, or none for all)"),
        },
        "cycles" => cycles(),
        "measure" => match std::env::args().nth(2) {
            Some(model) if std::env::args().len() == 3 => match measure(Path::new(&model))? {
                0 => Ok(()),
                n => bail!(
                    "{n} of the {} cores not measured (their rows say why)",
                    BOARDS.len()
                ),
            },
            _ => bail!("usage: cargo xtask measure <model.ncm>"),
        },
        "size" => size(),
        "profile" => {
            let args: Vec<String> = std::env::args().skip(2).collect();
            match args.as_slice() {
                [core, bench] => profile(core, bench),
                _ => bail!(
                    "usage: cargo xtask profile <M4F|M3|M0> <benchmark, e.g. gru32_14in_i8x16>"
                ),
            }
        }
        _ => {
            eprintln!("usage: cargo xtask <ci|qemu|cycles|size|measure|profile|bless|qemu-case>");
            std::process::exit(2);
        }
    }
}
