//! The board-independent part of every nowcast firmware: read a sample from a [`Source`], step
//! the model, hand each forecast to a [`Sink`].
//!
//! Boards provide the source (a sensor driver, or a recording replayed from flash) and the sink
//! (defmt, a radio, a display); the loop and its memory are the same everywhere. The QEMU and
//! real-board binaries are added by the firmware issue.

#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use nowcast_runtime::{StepError, Stepper};

/// Where samples come from: one value per model feature, in raw sensor units.
pub trait Source {
    /// Fills `sample`; returns `false` when the source is exhausted. A failed reading is
    /// reported as NaN in the affected channels (the stepper fills it and counts it).
    fn read(&mut self, sample: &mut [f32]) -> bool;
}

/// Where forecasts go.
pub trait Sink {
    /// Called with the sample index (from 0) and the forecast in target units.
    fn forecast(&mut self, index: u64, values: &[f32]);
}

/// Feeds every sample of `source` through `stepper` into `sink`; returns how many samples were
/// read. `sample` is the caller's buffer of one value per feature.
pub fn run(
    stepper: &mut Stepper<'_, '_>,
    source: &mut impl Source,
    sink: &mut impl Sink,
    sample: &mut [f32],
) -> Result<u64, StepError> {
    let mut index = 0;
    while source.read(sample) {
        if let Some(y) = stepper.step(sample)? {
            sink.forecast(index, y);
        }
        index += 1;
    }
    Ok(index)
}
