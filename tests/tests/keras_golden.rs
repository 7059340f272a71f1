//! Every layer kind against Keras: the golden cases of `tests/golden/` rebuilt in the nowcast
//! format, run in window mode and (where the model is causal) in streaming mode.

use nowcast_runtime::Model;
use nowcast_tests::{encode, golden};

/// Largest absolute difference allowed between nowcast and Keras (float32 on both sides,
/// different summation order).
const KERAS_TOLERANCE: f32 = 1e-5;

fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len(), "lengths differ");
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

#[test]
fn every_golden_case_matches_keras() {
    let cases = golden::all();
    assert!(
        cases.len() >= 30,
        "expected the golden cases, found {}",
        cases.len()
    );
    let mut kinds = std::collections::BTreeSet::new();
    let mut report = Vec::new();
    for case in &cases {
        let blob = encode(&case.spec);
        let model = Model::from_bytes(blob.as_bytes())
            .unwrap_or_else(|e| panic!("{}: load failed: {e:?}", case.name));
        kinds.extend(model.layers().iter().map(|l| l.kind()));

        let mut scratch = vec![0.0; model.window_scratch_len(case.steps).expect("plan")];
        let out = if case.tokens {
            let ids: Vec<u16> = case.input.iter().map(|&x| x as u16).collect();
            model.window_tokens(&ids, &mut scratch)
        } else {
            model.window(&case.input, &mut scratch)
        }
        .unwrap_or_else(|e| panic!("{}: window failed: {e:?}", case.name));
        let expected_steps = (case.output_shape.len() == 2).then(|| case.output_shape[0]);
        assert_eq!(out.steps, expected_steps, "{}: output steps", case.name);
        let window = out.values.to_vec();
        let diff = max_abs_diff(&window, &case.output);
        assert!(
            diff <= KERAS_TOLERANCE,
            "{}: window differs from Keras by {diff}",
            case.name
        );

        if model.is_streamable() {
            assert_eq!(
                case.streamed(&model),
                window,
                "{}: stream differs from window",
                case.name
            );
        }
        report.push(format!(
            "{:32} max |nowcast - keras| = {diff:.2e}",
            case.name
        ));
    }
    println!("{}", report.join("\n"));
    for kind in [
        "dense",
        "simple_rnn",
        "lstm",
        "gru",
        "conv1d",
        "max_pooling1d",
        "average_pooling1d",
        "global_max_pooling1d",
        "global_average_pooling1d",
        "flatten",
        "embedding",
        "bidirectional",
        "dropout",
    ] {
        assert!(kinds.contains(kind), "no golden case covers {kind}");
    }
}
