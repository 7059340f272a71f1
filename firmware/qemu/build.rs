//! Writes `memory.x` for the target's board and embeds the parity case: the model blob and the
//! recorded input stream of `NOWCAST_QEMU_CASE` (a folder with `model.ncm`, maybe its quantized
//! twins, and its own `stream.f32` or else the shared recording in the folder above it),
//! by default `tests/qemu/conv_gru` of the repository. The state buffer is sized from the model.

use std::{env, fs, path::PathBuf};

use nowcast_runtime::{AlignedBytes, Model};

fn main() {
    let target = env::var("TARGET").expect("cargo sets TARGET");
    let mem = match target.as_str() {
        // lm3s6965evb (Cortex-M3)
        "thumbv7m-none-eabi" => {
            "MEMORY {\n  FLASH : ORIGIN = 0x00000000, LENGTH = 256K\n  RAM : ORIGIN = 0x20000000, LENGTH = 64K\n}\n"
        }
        // mps2-an386 (Cortex-M4F)
        "thumbv7em-none-eabihf" => {
            "MEMORY {\n  FLASH : ORIGIN = 0x00000000, LENGTH = 4M\n  RAM : ORIGIN = 0x20000000, LENGTH = 4M\n}\n"
        }
        // microbit (Cortex-M0)
        "thumbv6m-none-eabi" => {
            "MEMORY {\n  FLASH : ORIGIN = 0x00000000, LENGTH = 256K\n  RAM : ORIGIN = 0x20000000, LENGTH = 16K\n}\n"
        }
        t => panic!("no board for target {t}"),
    };
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    fs::write(out.join("memory.x"), mem).expect("write memory.x");
    println!("cargo:rustc-link-search={}", out.display());
    // The M3 board links its device crate's vector table (see Cargo.toml).
    println!("cargo::rustc-check-cfg=cfg(lm3s6965)");
    if target == "thumbv7m-none-eabi" {
        println!("cargo:rustc-cfg=lm3s6965");
    }
    // The lean forecaster is built for size: the linker folds identical functions (duplicate
    // monomorphizations, mostly of the decoder). None of its functions' addresses matter.
    println!("cargo:rustc-link-arg-bin=forecast=--icf=all");
    // So is `cargo xtask measure`'s, for the same flash figure: its markers (`nop`s from inline
    // assembly) have no twin to be folded with.
    println!("cargo:rustc-link-arg-bin=measure=--icf=all");

    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let case = env::var_os("NOWCAST_QEMU_CASE")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest.join("../../tests/qemu/conv_gru"));
    println!("cargo:rerun-if-env-changed=NOWCAST_QEMU_CASE");
    // The case folder's float model, or (NOWCAST_QEMU_MODEL) one of its quantized twins.
    let model_file = env::var("NOWCAST_QEMU_MODEL").unwrap_or_else(|_| "model.ncm".into());
    println!("cargo:rerun-if-env-changed=NOWCAST_QEMU_MODEL");
    let model = fs::read(case.join(&model_file))
        .unwrap_or_else(|e| panic!("{}: {e}", case.join(&model_file).display()));
    let own = case.join("stream.f32");
    let stream_path = if own.exists() {
        own
    } else {
        case.join("../stream.f32")
    };
    let stream =
        fs::read(&stream_path).unwrap_or_else(|e| panic!("{}: {e}", stream_path.display()));
    println!(
        "cargo:rerun-if-changed={}",
        case.join(&model_file).display()
    );
    println!("cargo:rerun-if-changed={}", stream_path.display());
    let blob = AlignedBytes::new(&model);
    let m = Model::from_bytes(blob.as_bytes())
        .unwrap_or_else(|e| panic!("{model_file} does not load: {e:?}"));
    assert!(
        stream.len().is_multiple_of(4 * m.input_len()),
        "stream.f32 is not whole samples"
    );
    fs::write(out.join("model.ncm"), &model).expect("copy model");
    fs::write(out.join("stream.f32"), &stream).expect("copy stream");
    // A window-only model (Bidirectional, global pooling) runs whole windows instead: the bin
    // `measure` builds its window pass for such a model only (cfg `nowcast_window_only`).
    println!("cargo::rustc-check-cfg=cfg(nowcast_window_only)");
    if nowcast_runtime::Stepper::new(&m, &mut vec![0.0; m.state_len()]).is_err() {
        println!("cargo:rustc-cfg=nowcast_window_only");
    }
    let window_steps = m.window_steps();
    let window_scratch = m.window_scratch_len(window_steps).unwrap_or(0);
    fs::write(
        out.join("sizes.rs"),
        format!(
            "/// f32 words of the model's streaming state.\npub const STATE_LEN: usize = {};\n\
             /// Values per sample.\npub const INPUTS: usize = {};\n\
             /// Samples in one of the model's windows.\npub const WINDOW_STEPS: usize = {};\n\
             /// f32 words of scratch for one window pass.\npub const WINDOW_SCRATCH_LEN: usize = {};\n",
            m.state_len(),
            m.input_len(),
            window_steps,
            window_scratch
        ),
    )
    .expect("write sizes.rs");
    bench_models(&out);
    println!("cargo:rerun-if-changed=build.rs");
}

/// Deterministic weights in [-scale, scale).
fn values(n: usize, seed: u64, scale: f32) -> Vec<f32> {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            ((x >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0) * scale
        })
        .collect()
}

/// i8x16 exponents for a benchmark model from its float ranges over inputs like the
/// firmware's (uniform in [-2, 2)).
fn calibrated(spec: &nowcast_runtime::ModelSpec) -> nowcast_runtime::format::IntModel {
    let float = AlignedBytes::new(&spec.to_bytes().expect("bench model encodes"));
    let model = Model::from_bytes(float.as_bytes()).expect("bench model loads");
    let mut ranges = nowcast_runtime::Ranges::new(model.layers().len());
    let n = model.input_len();
    let mut scratch = vec![0.0; model.window_scratch_len(24).expect("plan")];
    for seed in 0..8 {
        let w = values(24 * n, 100 + seed, 2.0);
        model
            .window_probed(&w, &mut scratch, &mut |p| ranges.observe(p))
            .expect("bench model runs");
    }
    nowcast_runtime::exponents(&model, &ranges)
}

/// The instruction-count benchmark models (`src/bin/cycles.rs`): the reference shapes of the
/// firmware issue, with pseudo-random weights, written to OUT_DIR with a table in bench.rs.
fn bench_models(out: &std::path::Path) {
    use nowcast_runtime::activation::Activation;
    use nowcast_runtime::format::Standardize;
    use nowcast_runtime::layers::{Conv1d, Dense, Gru, Layer, Lstm, Padding, Pooling, SimpleRnn};
    use nowcast_runtime::{Mode, ModelSpec};
    let u = 32usize;
    let dense = |i: usize| {
        Layer::Dense(Dense {
            units: 1,
            activation: Activation::Linear,
            kernel: values(i, 9, 0.3),
            bias: vec![0.0],
        })
    };
    let gru = |i: usize| {
        Layer::Gru(Gru {
            units: u as u32,
            activation: Activation::Tanh,
            recurrent_activation: Activation::Sigmoid,
            reset_after: true,
            return_sequences: false,
            kernel: values(i * 3 * u, 1, 0.3),
            recurrent_kernel: values(u * 3 * u, 2, 0.3),
            bias: values(6 * u, 3, 0.1),
        })
    };
    let lstm = |i: usize| {
        Layer::Lstm(Lstm {
            units: u as u32,
            activation: Activation::Tanh,
            recurrent_activation: Activation::Sigmoid,
            return_sequences: false,
            kernel: values(i * 4 * u, 4, 0.3),
            recurrent_kernel: values(u * 4 * u, 5, 0.3),
            bias: values(4 * u, 6, 0.1),
        })
    };
    let rnn = |i: usize| {
        Layer::SimpleRnn(SimpleRnn {
            units: u as u32,
            activation: Activation::Tanh,
            return_sequences: false,
            kernel: values(i * u, 7, 0.3),
            recurrent_kernel: values(u * u, 8, 0.3),
            bias: values(u, 9, 0.1),
        })
    };
    let conv = Layer::Conv1d(Conv1d {
        filters: u as u32,
        kernel_size: 5,
        strides: 1,
        dilation: 1,
        padding: Padding::Causal,
        activation: Activation::Relu,
        kernel: values(5 * 14 * u, 10, 0.3),
        bias: values(u, 11, 0.1),
    });
    let spec = |inputs: usize, layers: Vec<Layer<Vec<f32>>>| ModelSpec {
        vocabulary: None,
        name: "bench".into(),
        features: (0..inputs).map(|i| format!("x{i}")).collect(),
        targets: vec!["y".into()],
        sample_period_ms: 600_000,
        lookback: 24,
        delay: 6,
        step: 1,
        input_norm: Some(Standardize {
            mean: vec![0.0; inputs],
            std: vec![1.0; inputs],
        }),
        output_norm: Some(Standardize {
            mean: vec![0.0],
            std: vec![1.0],
        }),
        layers,
    };
    // (name, spec, samples per measured region, window mode)
    let cases = [
        ("gru32_14in", spec(14, vec![gru(14), dense(u)]), 1, false),
        ("lstm32_14in", spec(14, vec![lstm(14), dense(u)]), 1, false),
        (
            "simple_rnn32_14in",
            spec(14, vec![rnn(14), dense(u)]),
            1,
            false,
        ),
        (
            "conv32x5_maxpool3_gru32_14in",
            spec(
                14,
                vec![
                    conv,
                    Layer::MaxPooling1d(Pooling {
                        pool_size: 3,
                        strides: 3,
                    }),
                    gru(u),
                    dense(u),
                ],
            ),
            3,
            false,
        ),
        (
            "weather_lstm32_19in",
            spec(19, vec![lstm(19), dense(u)]),
            1,
            false,
        ),
        (
            "weather_lstm32_19in_window24",
            spec(19, vec![lstm(19), dense(u)]),
            24,
            true,
        ),
    ];
    let mut table = String::from("/// The benchmark models.\npub static BENCHES: &[Bench] = &[\n");
    let (mut max_state, mut max_scratch, mut max_inputs) = (0, 0, 0);
    let mut variants = Vec::new();
    // Which numeric modes to build (`NOWCAST_BENCH_MODES`, comma-separated; default all).
    let modes = env::var("NOWCAST_BENCH_MODES").unwrap_or_else(|_| "f32,i8w,i8x16".into());
    println!("cargo:rerun-if-env-changed=NOWCAST_BENCH_MODES");
    // The M0 (16 KB of RAM) runs the streamed benchmarks only: no window buffers.
    let small = env::var("TARGET").is_ok_and(|t| t == "thumbv6m-none-eabi");
    for (name, s, samples, window) in cases {
        if window && small {
            continue;
        }
        for mode in [Mode::F32, Mode::I8w, Mode::I8x16] {
            if !modes.split(',').any(|m| m == mode.name()) {
                continue;
            }
            let bytes = match mode {
                Mode::I8x16 => s
                    .to_bytes_i8x16(&calibrated(&s))
                    .expect("bench model encodes"),
                _ => s.to_bytes_as(mode).expect("bench model encodes"),
            };
            let label = match mode {
                Mode::F32 => name.to_string(),
                _ => format!("{name}_{}", mode.name()),
            };
            variants.push((label, bytes, samples, window));
        }
    }
    // Each distinct blob is embedded once (the window benchmark reuses the streamed model).
    let mut blobs: Vec<Vec<u8>> = Vec::new();
    let mut statics = String::new();
    for (name, bytes, samples, window) in variants {
        let id = match blobs.iter().position(|b| *b == bytes) {
            Some(i) => i,
            None => {
                fs::write(out.join(format!("bench_{}.ncm", blobs.len())), &bytes)
                    .expect("write bench model");
                statics += &format!(
                    "static BLOB_{0}: &[u8] = nowcast_runtime::include_model!(concat!(env!(\"OUT_DIR\"), \"/bench_{0}.ncm\"));\n",
                    blobs.len()
                );
                blobs.push(bytes.clone());
                blobs.len() - 1
            }
        };
        let blob = AlignedBytes::new(&bytes);
        let m = Model::from_bytes(blob.as_bytes()).expect("bench model loads");
        // MACs of the measured region: per sample when streaming; for a window, every step of
        // the recurrent layer and the Dense head once.
        let macs = if window {
            let cell = m.summary(0).expect("layer 0").macs * samples;
            (cell + m.summary(1).expect("layer 1").macs) as f64
        } else {
            m.macs_per_sample() * samples as f64
        };
        max_state = max_state.max(m.state_len());
        if window {
            max_scratch = max_scratch.max(m.window_scratch_len(24).expect("plan"));
        }
        max_inputs = max_inputs.max(m.input_len());
        table += &format!(
            "    Bench {{ name: {name:?}, blob: BLOB_{id}, samples: {samples}, window: {window}, macs: {macs:.1} }},\n"
        );
    }
    table += "];\n";
    table += &statics;
    table += &format!(
        "/// Largest state of the benchmark models.\npub const MAX_STATE: usize = {max_state};\n/// Largest 24-step window scratch.\npub const MAX_SCRATCH: usize = {max_scratch};\n/// Most inputs.\npub const MAX_INPUTS: usize = {max_inputs};\n"
    );
    fs::write(out.join("bench.rs"), table).expect("write bench.rs");
}
