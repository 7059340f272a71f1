//! With the `float` path only, an i8x16 blob is refused with `ModeNotBuilt`, and f32 and i8w
//! blobs load and run. Meaningful only when this crate is tested alone (`cargo xtask ci` does).

use nowcast_runtime::format::IntModel;
use nowcast_runtime::layers::IntLayer;
use nowcast_runtime::{AlignedBytes, LoadError, Mode, Model};

mod common;
use common::{dense, spec};

#[test]
fn the_left_out_mode_is_refused_and_the_built_ones_run() {
    let mut layers = heapless::Vec::new();
    let _ = layers.push(IntLayer {
        output_exp: 12,
        cell_exp: 0,
    });
    let int = IntModel {
        input_exp: 12,
        layers,
    };
    let blob = AlignedBytes::new(&spec(1, vec![dense(1)]).to_bytes_i8x16(&int).unwrap());
    assert_eq!(
        Model::from_bytes(blob.as_bytes()).err(),
        Some(LoadError::ModeNotBuilt { integer: true })
    );
    for mode in [Mode::F32, Mode::I8w] {
        let blob = AlignedBytes::new(&spec(1, vec![dense(1)]).to_bytes_as(mode).unwrap());
        let model = Model::from_bytes(blob.as_bytes()).expect("loads");
        let mut scratch = vec![0.0; model.window_scratch_len(1).unwrap()];
        let y = model.window(&[2.0], &mut scratch).unwrap().values[0];
        assert!((y - 1.25).abs() < 0.01, "{mode:?}: {y}");
    }
}
