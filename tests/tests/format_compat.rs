//! Every released format version's sample blob keeps loading and computing the same outputs.
//!
//! `tests/blobs/v<N>_sample.ncm` is `nowcast_tests::sample_spec()` encoded by the release that
//! introduced format version N; `v<N>_sample.out` holds the bits of its window and streaming
//! outputs over the fixed input below. Only `cargo xtask bless` (NOWCAST_BLESS=1) writes them,
//! and only for the current version: older files are never rewritten.

use std::fmt::Write as _;

use nowcast_runtime::format::FORMAT_VERSION;
use nowcast_runtime::{AlignedBytes, Model, Stepper};
use nowcast_tests::{repo_root, sample_spec};

/// 48 hourly samples of (temp_c, rh_pct, pressure_mbar), one NaN reading in the middle.
fn input() -> Vec<f32> {
    let mut v = Vec::new();
    for t in 0..48 {
        let h = t as f32;
        v.extend([
            15.0 + 6.0 * (h / 24.0 * std::f32::consts::TAU).sin(),
            60.0 - h * 0.3,
            1005.0 + h * 0.1,
        ]);
    }
    v[3 * 20 + 1] = f32::NAN;
    v
}

fn outputs(model: &Model<'_>) -> String {
    let x = input();
    let mut text = String::new();
    let mut scratch = vec![0.0; model.window_scratch_len(48).expect("plan")];
    let w = model.window(&x, &mut scratch).expect("window");
    writeln!(text, "window {:08x}", w.values[0].to_bits()).unwrap();
    let mut state = vec![0.0; model.state_len()];
    let mut s = Stepper::new(model, &mut state).expect("stepper");
    for (t, sample) in x.chunks_exact(3).enumerate() {
        if let Some(y) = s.step(sample).expect("step") {
            writeln!(text, "step {t} {:08x}", y[0].to_bits()).unwrap();
        }
    }
    text
}

#[test]
fn released_sample_blobs_still_load_and_agree() {
    let dir = repo_root().join("tests/blobs");
    let bless = std::env::var_os("NOWCAST_BLESS").is_some();
    if bless {
        std::fs::create_dir_all(&dir).unwrap();
        let bytes = sample_spec().to_bytes().unwrap();
        let blob = AlignedBytes::new(&bytes);
        let model = Model::from_bytes(blob.as_bytes()).unwrap();
        std::fs::write(dir.join(format!("v{FORMAT_VERSION}_sample.ncm")), &bytes).unwrap();
        std::fs::write(
            dir.join(format!("v{FORMAT_VERSION}_sample.out")),
            outputs(&model),
        )
        .unwrap();
    }
    for version in 1..=FORMAT_VERSION {
        let path = dir.join(format!("v{version}_sample.ncm"));
        let bytes = std::fs::read(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (run cargo xtask bless)", path.display()));
        let blob = AlignedBytes::new(&bytes);
        let model = Model::from_bytes(blob.as_bytes())
            .unwrap_or_else(|e| panic!("{}: {e:?}", path.display()));
        let expected = std::fs::read_to_string(dir.join(format!("v{version}_sample.out"))).unwrap();
        assert_eq!(
            outputs(&model),
            expected,
            "format v{version} sample computes different outputs"
        );
    }
    // The current encoder still writes the current version's sample byte for byte.
    let current = std::fs::read(dir.join(format!("v{FORMAT_VERSION}_sample.ncm"))).unwrap();
    assert_eq!(
        sample_spec().to_bytes().unwrap(),
        current,
        "encoder output changed: bump the format version?"
    );
}

/// `tests/blobs/i8x16_plain_gru32.ncm` is an `i8x16` GRU(32) case as the encoder wrote it
/// before the blocked kernels (`DType::U8Blocked`, the integer row kernels' layout): plain int8
/// kernels. Never rewritten. It keeps loading, and streams the same outputs, bit for bit, as
/// its twin the current encoder writes (the same int8 values, scales and exponents, blocked),
/// over the QEMU cases' 2,400-sample recording (missing samples included).
#[test]
fn plain_int8_kernels_stream_as_their_blocked_twin() {
    use nowcast_runtime::ModelSpec;
    use nowcast_runtime::Tensor;
    use nowcast_runtime::layers::Layer;
    let root = repo_root();
    let plain =
        AlignedBytes::new(&std::fs::read(root.join("tests/blobs/i8x16_plain_gru32.ncm")).unwrap());
    let plain = Model::from_bytes(plain.as_bytes()).expect("the plain blob loads");
    let exponents = plain.int_exponents().expect("an i8x16 blob");
    let twin = ModelSpec::from_model(&plain)
        .to_bytes_i8x16(exponents)
        .expect("the encoder writes the twin");
    let twin = AlignedBytes::new(&twin);
    let blocked = Model::from_bytes(twin.as_bytes()).expect("the blocked twin loads");
    let blocked_kernels = |m: &Model<'_>| match &m.layers()[0] {
        Layer::Gru(g) => [g.kernel, g.recurrent_kernel].map(|t| match t {
            Tensor::I8 { .. } => false,
            Tensor::U8Blocked { .. } => true,
            other => panic!("not an int8 kernel: {other:?}"),
        }),
        other => panic!("not the GRU case: {other:?}"),
    };
    assert_eq!(blocked_kernels(&plain), [false; 2]);
    assert_eq!(blocked_kernels(&blocked), [true; 2]);
    let raw = std::fs::read(root.join("tests/qemu/stream.f32")).unwrap();
    let x: Vec<f32> = raw
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
        .collect();
    let n = plain.input_len();
    let (mut sp, mut sb) = (vec![0.0; plain.state_len()], vec![0.0; blocked.state_len()]);
    let mut p = Stepper::new(&plain, &mut sp).unwrap();
    let mut b = Stepper::new(&blocked, &mut sb).unwrap();
    let mut compared = 0;
    for (t, sample) in x.chunks_exact(n).enumerate() {
        let yp = p.step(sample).unwrap().map(|y| y.to_vec());
        let yb = b.step(sample).unwrap().map(|y| y.to_vec());
        let bits =
            |y: Option<Vec<f32>>| y.map(|y| y.iter().map(|v| v.to_bits()).collect::<Vec<_>>());
        assert_eq!(bits(yp), bits(yb), "sample {t}");
        compared += 1;
    }
    assert_eq!(compared, 2400);
}
