//! `nowcast inspect`: what a model is and what it costs on a device.

use std::fmt::Write as _;

use nowcast_runtime::{AlignedBytes, Model, Shape, Tensor};

fn shape(s: Shape) -> String {
    match s {
        Shape::Sequence { channels } => format!("(T, {channels})"),
        Shape::Vector { len } => format!("({len})"),
    }
}

/// The summary table of a model blob.
pub fn summary(bytes: &[u8]) -> anyhow::Result<String> {
    let blob = AlignedBytes::new(bytes);
    let model =
        Model::from_bytes(blob.as_bytes()).map_err(|e| anyhow::anyhow!("invalid model: {e:?}"))?;
    let mut out = String::new();
    let w = &mut out;
    writeln!(
        w,
        "model \"{}\" (format v{}, {} bytes, mode {})",
        model.name(),
        nowcast_runtime::format::FORMAT_VERSION,
        bytes.len(),
        model.mode().name()
    )?;
    writeln!(
        w,
        "inputs  ({}): {}",
        model.input_len(),
        model.features().iter().collect::<Vec<_>>().join(", ")
    )?;
    writeln!(
        w,
        "outputs ({}): {}",
        model.output_len(),
        model.targets().iter().collect::<Vec<_>>().join(", ")
    )?;
    let period = model.sample_period_ms();
    writeln!(
        w,
        "window: lookback {} rows, step {}, delay {}{}",
        model.lookback(),
        model.step(),
        model.delay(),
        if period > 0 {
            let ms = i64::try_from(period).unwrap_or(i64::MAX);
            format!(", sample period {}", nowcast_trainer::data::Duration(ms))
        } else {
            String::new()
        }
    )?;
    writeln!(w)?;
    writeln!(
        w,
        "{:<3} {:<26} {:<12} {:>9} {:>8} {:>12} {:>12} {:>12}",
        "#", "layer", "output", "params", "weights", "weight B", "state B", "MACs/out"
    )?;
    writeln!(w, "{}", "-".repeat(101))?;
    let (mut params, mut weights, mut state) = (0, 0, 0);
    for i in 0..model.layers().len() {
        let Some(s) = model.summary(i) else { continue };
        let mut int8 = false;
        let _ = model.layers()[i].try_map(&mut |t: &Tensor<'_>, _| {
            int8 |= t.is_quantized();
            Ok::<(), ()>(())
        });
        let dtype = match (s.params, int8) {
            (0, _) => "-",
            (_, true) => "int8",
            (_, false) => "f32",
        };
        writeln!(
            w,
            "{:<3} {:<26} {:<12} {:>9} {:>8} {:>12} {:>12} {:>12}",
            i,
            s.kind,
            shape(s.output),
            s.params,
            dtype,
            s.weight_bytes,
            s.state_bytes,
            s.macs
        )?;
        params += s.params;
        weights += s.weight_bytes;
        state += s.state_bytes;
    }
    writeln!(w, "{}", "-".repeat(101))?;
    writeln!(
        w,
        "total params {params}, weight bytes {weights}, layer state bytes {state}"
    )?;
    if model.is_streamable() {
        writeln!(
            w,
            "streaming: {} state + scratch bytes, {:.0} MACs per input sample",
            model.state_len() * 4,
            model.macs_per_sample()
        )?;
    } else {
        let steps = model.window_steps().max(1);
        let scratch = model.window_scratch_len(steps).map(|n| n * 4).unwrap_or(0);
        writeln!(
            w,
            "window mode only: {scratch} scratch bytes for a {steps}-step window, {:.0} MACs per window",
            model.macs_per_sample()
        )?;
    }
    Ok(out)
}
