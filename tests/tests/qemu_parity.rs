//! Host against device, bit for bit: the parity firmware (`firmware/qemu`) streams the recorded
//! case of `tests/qemu/conv_gru` through the model under QEMU and prints every forecast's bits;
//! the host streams the same samples through `nowcast-runtime`; every line must match.
//!
//! The lean forecaster (`firmware/qemu` bin `forecast`: the runtime's integer path and the GRU
//! and Dense kinds only, no `core::fmt`, profile `release-z`, what `cargo xtask size` measures)
//! runs the gru32 i8x16 case on every board too, and its lines must match the host's likewise
//! (all but the tokenizer lines, which it does not print).
//!
//! The firmware's kernels (`firmware/qemu` bin `kernels`: the assembly dot products and row
//! sums) are checked against their Rust definitions on every board over pseudo-random inputs.
//!
//! Boards: mps2-an386 (Cortex-M4F, hardware f32), lm3s6965evb (Cortex-M3, soft-float f32) and
//! microbit (Cortex-M0, soft-float f32, 16 KB RAM).
//! Without `qemu-system-arm` the test says it skipped; with `NOWCAST_REQUIRE_QEMU=1` (what
//! `cargo xtask qemu` and `cargo xtask ci` set) a missing QEMU is a failure.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use nowcast_runtime::{AlignedBytes, Model, Stepper};
use nowcast_tests::repo_root;

/// Targets and the boards `firmware/qemu-run.sh` runs them on.
const TARGETS: [(&str, &str); 3] = [
    ("thumbv7em-none-eabihf", "mps2-an386, Cortex-M4F"),
    ("thumbv7m-none-eabi", "lm3s6965evb, Cortex-M3"),
    ("thumbv6m-none-eabi", "microbit, Cortex-M0"),
];

/// The recorded cases (folders of `tests/qemu`) and their models: the float one and its
/// quantized twins (`nowcast quantize`). `basicmotions` is a classifier (softmax over 4 classes).
const CASES: [(&str, &[&str]); 3] = [
    (
        "conv_gru",
        &["model.ncm", "model_i8w.ncm", "model_i8x16.ncm"],
    ),
    ("gru32", &["model.ncm", "model_i8w.ncm", "model_i8x16.ncm"]),
    (
        "basicmotions",
        &["model.ncm", "model_i8w.ncm", "model_i8x16.ncm"],
    ),
];

/// A case's recording: its own `stream.f32`, or the shared one beside the cases.
fn stream(case: &Path) -> Vec<u8> {
    let own = case.join("stream.f32");
    let path = if own.exists() {
        own
    } else {
        case.join("../stream.f32")
    };
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The lean forecaster's case and build (keep in step with `LEAN_FEATURES` and `LEAN_PROFILE` in
/// tools/xtask).
const LEAN: (&str, &str, &str, &str) = ("gru32", "model_i8x16.ncm", "int,gru,dense", "release-z");

/// A firmware binary and how it is built: bin, profile, features (`None`: the defaults).
struct Build<'a> {
    bin: &'a str,
    profile: &'a str,
    features: Option<&'a str>,
}

/// The parity firmware with every path and layer kind.
const PARITY: Build<'static> = Build {
    bin: "parity",
    profile: "release",
    features: None,
};

/// What the firmware prints, computed on the host.
fn host_lines(case: &Path, model_file: &str) -> String {
    let blob = AlignedBytes::new(&std::fs::read(case.join(model_file)).expect("model file"));
    let model = Model::from_bytes(blob.as_bytes()).expect("model loads");
    let stream = stream(case);
    let values: Vec<f32> = stream
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    let mut state = vec![0.0; model.state_len()];
    let mut stepper = Stepper::new(&model, &mut state).expect("streamable");
    let mut out = String::new();
    // The firmware first prints the hashed token ids of every line of sentences.txt.
    let sentences = std::fs::read_to_string(case.join("../sentences.txt")).expect("sentences.txt");
    for (i, line) in sentences.lines().enumerate() {
        let mut ids = [0u16; 32];
        let n = nowcast_runtime::text::hash_tokens(line, 4096, &mut ids);
        for id in &ids[..n.min(ids.len())] {
            writeln!(out, "hash {i} {id}").unwrap();
        }
    }
    let mut forecasts = 0;
    let n = model.input_len();
    for (i, sample) in values.chunks_exact(n).enumerate() {
        if let Some(y) = stepper.step(sample).expect("step") {
            forecasts += 1;
            for v in y {
                writeln!(out, "{i} {:08x}", v.to_bits()).unwrap();
            }
        }
    }
    writeln!(
        out,
        "done {} {forecasts} {}",
        values.len() / n,
        stepper.filled()
    )
    .unwrap();
    out
}

/// True (after saying so) when QEMU is missing and the test should skip; fails instead when
/// `NOWCAST_REQUIRE_QEMU` is set, as `cargo xtask qemu` sets it.
fn skip_without_qemu() -> bool {
    let available = Command::new("qemu-system-arm")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !available {
        assert!(
            std::env::var_os("NOWCAST_REQUIRE_QEMU").is_none(),
            "qemu-system-arm is required (apt-get install qemu-system-arm)"
        );
        println!("skipped: qemu-system-arm is not installed (cargo xtask qemu never skips)");
    }
    !available
}

#[test]
fn device_output_equals_host_bit_for_bit() {
    if skip_without_qemu() {
        return;
    }
    let root = repo_root();
    for (case, model_file) in CASES.iter().flat_map(|(c, models)| {
        models
            .iter()
            .map(move |m| (repo_root().join("tests/qemu").join(c), *m))
    }) {
        let expected = host_lines(&case, model_file);
        let forecasts = expected
            .lines()
            .filter(|l| !l.starts_with("hash ") && !l.starts_with("done "))
            .count();
        assert!(
            forecasts > 500,
            "the case must exercise the model: {forecasts} forecasts"
        );
        for (target, board) in TARGETS {
            run_on(
                &root, &PARITY, &case, model_file, target, board, &expected, forecasts,
            );
        }
    }
}

#[test]
fn lean_forecaster_device_output_equals_host_bit_for_bit() {
    if skip_without_qemu() {
        return;
    }
    let root = repo_root();
    let (case, model_file, features, profile) = LEAN;
    let case = root.join("tests/qemu").join(case);
    let lean = Build {
        bin: "forecast",
        profile,
        features: Some(features),
    };
    let expected: String = host_lines(&case, model_file)
        .lines()
        .filter(|l| !l.starts_with("hash "))
        .flat_map(|l| [l, "\n"])
        .collect();
    let forecasts = expected.lines().count() - 1;
    for (target, board) in TARGETS {
        run_on(
            &root, &lean, &case, model_file, target, board, &expected, forecasts,
        );
    }
}

/// The runtime's kernels (the assembly ones on these cores) against their Rust definitions on
/// the device, over pseudo-random cases (`firmware/qemu` bin `kernels`,
/// `nowcast_runtime::fixed::check_kernels`): input lengths 1 to 40 cover every remainder of
/// the four-column loops, which the recorded models (inputs of 10, 14 and 32) do not.
#[test]
fn device_kernels_equal_their_rust_definitions() {
    if skip_without_qemu() {
        return;
    }
    let root = repo_root();
    let build = Build {
        bin: "kernels",
        profile: "release",
        features: None,
    };
    for (target, board) in TARGETS {
        let output = firmware_run(&root, &build, target)
            .output()
            .expect("cargo runs");
        let device = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success() && device.contains("kernels: 3000 cases, 0 mismatches"),
            "kernels on {target} ({board}) ({}):\n{device}\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        println!("kernels on {target} ({board}): 3000 cases, 0 mismatches");
    }
}

/// `cargo run` of a `firmware/qemu` binary for `target` (its runner is QEMU).
fn firmware_run(root: &Path, build: &Build<'_>, target: &str) -> Command {
    let mut cargo = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cargo.current_dir(root.join("firmware")).args([
        "run",
        "--profile",
        build.profile,
        "--locked",
        "-q",
        "-p",
        "nowcast-qemu",
        "--target",
        target,
        "--bin",
        build.bin,
    ]);
    if let Some(features) = build.features {
        cargo.args(["--no-default-features", "--features", features]);
    }
    cargo.env_remove("CARGO_TARGET_DIR");
    cargo
}

#[allow(clippy::too_many_arguments)]
fn run_on(
    root: &Path,
    build: &Build<'_>,
    case: &Path,
    model_file: &str,
    target: &str,
    board: &str,
    expected: &str,
    forecasts: usize,
) {
    {
        let bin = build.bin;
        let output = firmware_run(root, build, target)
            .env("NOWCAST_QEMU_CASE", case)
            .env("NOWCAST_QEMU_MODEL", model_file)
            .output()
            .expect("cargo runs");
        let device = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "{bin} {model_file} on {target} ({board}): firmware failed ({}):\n{}\n{}",
            output.status,
            device,
            String::from_utf8_lossy(&output.stderr)
        );
        for (i, (h, d)) in expected.lines().zip(device.lines()).enumerate() {
            assert_eq!(
                d,
                h,
                "{bin} {model_file} on {target} ({board}): first mismatch at output line {} (`sample bits`): device `{d}`, host `{h}`",
                i + 1
            );
        }
        assert_eq!(
            device.lines().count(),
            expected.lines().count(),
            "{bin} {model_file} on {target} ({board}): line count differs"
        );
        println!(
            "{bin}: {}/{model_file} on {target} ({board}): {forecasts} forecasts, 0 mismatches",
            case.file_name().map_or("?".into(), |n| n.to_string_lossy())
        );
    }
}
