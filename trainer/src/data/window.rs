//! Windows: their shape, which starts are valid, and batches of them.
//!
//! Conventions (`L` = lookback, `D` = delay, `S` = step, all in rows):
//! - A window starting at row `s` spans rows `s ..= s + L - 1` and samples rows
//!   `s, s + S, s + 2S, ...` while below `s + L`: `ceil(L / S)` samples
//!   ([`WindowSpec::samples`]). Its last sample is row `s + (ceil(L / S) - 1) S`, which is the
//!   span's last row `s + L - 1` only when `S` divides `L - 1`.
//! - It predicts the target at row `s + L - 1 + D` ([`WindowSpec::target_offset`]): `D` rows
//!   after the span's last row. Persistence predicts the target at the span's last row
//!   ([`WindowSpec::last_row_offset`]).
//! - It is valid iff `s` and the target row are in the same split and the same segment.
//!   Splits and segments are contiguous, so then every row in between is too.
//! - A [`Batch`] is laid out `[window][sample][channel]`, row-major: the value of channel
//!   `c` at sample `k` of window `w` is `inputs[(w * samples + k) * channels + c]`.

use std::ops::Range;

use super::dataset::Dataset;
use super::error::{BatchError, DatasetError};

/// The shape of a window: `lookback` rows read every `step`-th row, the target `delay` rows
/// after the last row of the span (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowSpec {
    lookback: usize,
    delay: usize,
    step: usize,
}

impl WindowSpec {
    /// Checks that `lookback` and `step` are at least 1 and that the target offset fits.
    pub fn new(lookback: usize, delay: usize, step: usize) -> Result<Self, DatasetError> {
        if lookback == 0 || step == 0 || lookback.checked_add(delay).is_none() {
            return Err(DatasetError::BadWindow {
                lookback,
                delay,
                step,
            });
        }
        Ok(Self {
            lookback,
            delay,
            step,
        })
    }

    /// Rows spanned by a window.
    pub fn lookback(&self) -> usize {
        self.lookback
    }

    /// Rows from the span's last row to the target row.
    pub fn delay(&self) -> usize {
        self.delay
    }

    /// Rows between two samples.
    pub fn step(&self) -> usize {
        self.step
    }

    /// Samples per window: `ceil(lookback / step)`.
    pub fn samples(&self) -> usize {
        self.lookback.div_ceil(self.step)
    }

    /// From the start to the span's last row: `lookback - 1`.
    pub fn last_row_offset(&self) -> usize {
        self.lookback - 1
    }

    /// From the start to the target row: `lookback - 1 + delay`.
    pub fn target_offset(&self) -> usize {
        self.lookback - 1 + self.delay
    }
}

/// The valid window starts among `rows` (one split), ascending.
pub(crate) fn valid_starts(
    segments: &[Range<usize>],
    rows: Range<usize>,
    window: WindowSpec,
) -> Vec<usize> {
    let offset = window.target_offset();
    let mut starts = Vec::new();
    for segment in segments {
        let first = segment.start.max(rows.start);
        let end = segment.end.min(rows.end);
        // Valid: first <= s and s + offset < end.
        if let Some(last_end) = end.checked_sub(offset) {
            starts.extend(first..last_end);
        }
    }
    starts
}

/// A batch of windows, ready for a model.
///
/// `inputs` are normalized `f32` in the layout of the module docs; `targets` are the
/// normalized targets (`f32`, what a model is trained on) and `raw_targets` the same targets
/// in their own units (`f64`, what errors are reported in).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Batch {
    inputs: Vec<f32>,
    targets: Vec<f32>,
    raw_targets: Vec<f64>,
    samples: usize,
    channels: usize,
}

impl Batch {
    /// An empty batch, to be filled by [`Dataset::fill_batch`] (which reuses its memory).
    pub fn new() -> Self {
        Self::default()
    }

    /// Normalized inputs, `[window][sample][channel]`.
    pub fn inputs(&self) -> &[f32] {
        &self.inputs
    }

    /// Normalized targets, one per window.
    pub fn targets(&self) -> &[f32] {
        &self.targets
    }

    /// Targets in their own units, one per window.
    pub fn raw_targets(&self) -> &[f64] {
        &self.raw_targets
    }

    /// Windows in the batch.
    pub fn len(&self) -> usize {
        self.targets.len()
    }

    /// Whether the batch has no windows.
    pub fn is_empty(&self) -> bool {
        self.targets.is_empty()
    }

    /// Samples per window (the time axis).
    pub fn samples(&self) -> usize {
        self.samples
    }

    /// Channels per sample (the features).
    pub fn channels(&self) -> usize {
        self.channels
    }
}

impl Dataset {
    /// Whether `start` is a valid window start in some split.
    pub fn is_window_start(&self, start: usize) -> bool {
        self.starts
            .iter()
            .any(|starts| starts.binary_search(&start).is_ok())
    }

    /// Replaces the contents of `batch` with the windows starting at `starts`, in that order.
    /// Every start must be a valid window start (of any split); otherwise `batch` is left as
    /// it was.
    pub fn fill_batch(&self, starts: &[usize], batch: &mut Batch) -> Result<(), BatchError> {
        if let Some(&start) = starts.iter().find(|&&s| !self.is_window_start(s)) {
            return Err(BatchError::NotAWindowStart { start });
        }
        let channels = self.features().len();
        let window = self.window;
        batch.samples = window.samples();
        batch.channels = channels;
        batch.inputs.clear();
        batch.targets.clear();
        batch.raw_targets.clear();
        batch
            .inputs
            .reserve(starts.len() * batch.samples * channels);
        // Valid starts have their target row, and so every sampled row, inside the series.
        for &start in starts {
            for row in (start..start + window.lookback()).step_by(window.step()) {
                batch
                    .inputs
                    .extend_from_slice(&self.inputs[row * channels..(row + 1) * channels]);
            }
            let raw = self.target[start + window.target_offset()];
            batch.raw_targets.push(raw);
            batch
                .targets
                .push(self.normalization.target.normalize(raw) as f32);
        }
        Ok(())
    }

    /// A new batch of the windows starting at `starts` (see [`Dataset::fill_batch`]).
    pub fn batch(&self, starts: &[usize]) -> Result<Batch, BatchError> {
        let mut batch = Batch::new();
        self.fill_batch(starts, &mut batch)?;
        Ok(batch)
    }
}

#[cfg(test)]
// A list of one segment is meant, not a range of rows.
#[allow(clippy::single_range_in_vec_init)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::data::{DatasetConfig, LoadConfig, Series, Split};

    fn window(lookback: usize, delay: usize, step: usize) -> WindowSpec {
        WindowSpec::new(lookback, delay, step).unwrap()
    }

    /// Rows every 60 s at the given minute offsets, column `a` = the row's minute.
    fn series_at(minutes: &[i64]) -> Series {
        let mut text = String::from("t,a\n");
        for m in minutes {
            let t = m * 60;
            text.push_str(&format!(
                "2021-01-{:02}T{:02}:{:02}:00Z,{m}\n",
                1 + t / 86_400,
                t % 86_400 / 3600,
                t % 3600 / 60
            ));
        }
        Series::from_reader(text.as_bytes(), &LoadConfig::default()).unwrap()
    }

    #[test]
    fn shape() {
        let w = window(120, 6, 1);
        assert_eq!(
            (w.samples(), w.last_row_offset(), w.target_offset()),
            (120, 119, 125)
        );
        let w = window(10, 0, 3);
        // Rows s, s+3, s+6, s+9.
        assert_eq!(w.samples(), 4);
        assert_eq!(window(9, 0, 3).samples(), 3);
        for (l, d, s) in [(0, 1, 1), (1, 1, 0), (2, usize::MAX, 1)] {
            assert!(matches!(
                WindowSpec::new(l, d, s),
                Err(DatasetError::BadWindow { .. })
            ));
        }
    }

    #[test]
    fn starts_stop_at_split_and_segment_ends() {
        // Segments 0..6 and 6..20 (a 10-minute jump); lookback 3, delay 1: offset 3.
        let segments = [0..6, 6..20];
        let w = window(3, 1, 1);
        assert_eq!(valid_starts(&segments, 0..12, w), [0, 1, 2, 6, 7, 8]);
        assert_eq!(valid_starts(&segments, 12..16, w), [12]);
        assert_eq!(valid_starts(&segments, 16..20, w), [16]);
        assert_eq!(valid_starts(&segments, 16..19, w), Vec::<usize>::new());
        // Segment ends are exclusive: start 2 targets row 5, the last row of segment 0.
        assert_eq!(valid_starts(&[0..6], 0..6, w), [0, 1, 2]);
    }

    #[test]
    fn dataset_window_starts_and_batches() {
        // Minutes 0..10, then a gap of 10 periods, then 30..50: 30 rows, segments 0..10, 10..30.
        let minutes: Vec<i64> = (0..10).chain(30..50).collect();
        let series = series_at(&minutes);
        assert_eq!(series.segments(), [0..10, 10..30]);
        let mut config = DatasetConfig::new("a", window(4, 2, 2));
        config.split = [0.5, 0.25, 0.25];
        let dataset = Dataset::new(&series, &config).unwrap();
        // Splits 0..15, 15..22, 22..30; offset 5. Train rows 10..15 of the second segment
        // cannot reach a target inside the split.
        assert_eq!(dataset.split_rows(Split::Val), 15..22);
        assert_eq!(dataset.window_starts(Split::Train), [0, 1, 2, 3, 4]);
        assert_eq!(dataset.window_starts(Split::Val), [15, 16]);
        assert_eq!(dataset.window_starts(Split::Test), [22, 23, 24]);

        let batch = dataset.batch(&[16, 3]).unwrap();
        assert_eq!((batch.len(), batch.samples(), batch.channels()), (2, 2, 1));
        let stats = &dataset.normalization().target;
        let norm = |minute: f64| stats.normalize(minute) as f32;
        // Window 16 samples rows 16 and 18 (minutes 36, 38), targets row 21 (minute 41).
        assert_eq!(
            batch.inputs(),
            [norm(36.0), norm(38.0), norm(3.0), norm(5.0)]
        );
        assert_eq!(batch.raw_targets(), [41.0, 8.0]);
        assert_eq!(batch.targets(), [norm(41.0), norm(8.0)]);

        let mut reused = batch.clone();
        assert_eq!(
            dataset.fill_batch(&[3, 5], &mut reused),
            Err(BatchError::NotAWindowStart { start: 5 })
        );
        assert_eq!(reused, batch, "a failed fill leaves the batch alone");
        dataset.fill_batch(&[], &mut reused).unwrap();
        assert!(reused.is_empty() && reused.inputs().is_empty());
        assert!(!dataset.is_window_start(usize::MAX));
    }

    #[test]
    fn batch_channel_layout() {
        let text = "t,x,y\n\
                    2021-01-01T00:00:00,0,100\n\
                    2021-01-01T01:00:00,1,200\n\
                    2021-01-01T02:00:00,2,300\n\
                    2021-01-01T03:00:00,3,400\n";
        let series = Series::from_reader(text.as_bytes(), &LoadConfig::default()).unwrap();
        let mut config = DatasetConfig::new("y", window(2, 1, 1));
        config.split = [1.0, 0.0, 0.0];
        let dataset = Dataset::new(&series, &config).unwrap();
        assert_eq!(dataset.window_starts(Split::Train), [0, 1]);
        let n = dataset.normalization();
        let batch = dataset.batch(&[1]).unwrap();
        let z = |c: usize, v: f64| n.features[c].normalize(v) as f32;
        assert_eq!(
            batch.inputs(),
            [z(0, 1.0), z(1, 200.0), z(0, 2.0), z(1, 300.0)]
        );
        assert_eq!(batch.raw_targets(), [400.0]);
    }

    /// Builds minute offsets from gaps of 1 period or of 5..=12 periods.
    fn minutes_from(gaps: &[(bool, i64)]) -> Vec<i64> {
        let mut minute = 0;
        let mut minutes = vec![0];
        for &(long, extra) in gaps {
            minute += if long { 5 + extra } else { 1 };
            minutes.push(minute);
        }
        minutes
    }

    proptest! {
        /// No window crosses a split or segment boundary, and every start that does not is
        /// listed: the starts are exactly those whose rows `s..=s + offset` are one period
        /// apart (no long gap) and inside one split, checked by brute force.
        #[test]
        fn windows_never_cross_boundaries(
            gaps in prop::collection::vec((prop::bool::weighted(0.1), 0i64..8), 10..150),
            lookback in 1usize..12,
            delay in 0usize..6,
            step in 1usize..4,
            train in 0.1f64..0.8,
            val_share in 0.0f64..1.0,
        ) {
            let minutes = minutes_from(&gaps);
            let series = series_at(&minutes);
            let val = (1.0 - train) * val_share;
            let mut config = DatasetConfig::new("a", window(lookback, delay, step));
            config.split = [train, val, (1.0 - train - val).max(0.0)];
            let dataset = Dataset::new(&series, &config).unwrap();
            let offset = lookback - 1 + delay;
            let times = series.times();
            for split in Split::ALL {
                let rows = dataset.split_rows(split);
                let brute: Vec<usize> = (0..series.len())
                    .filter(|&s| s + offset < series.len())
                    .filter(|&s| rows.contains(&s) && rows.contains(&(s + offset)))
                    .filter(|&s| times[s + offset] - times[s] == 60_000 * offset as i64)
                    .collect();
                prop_assert_eq!(dataset.window_starts(split), &brute[..]);
                for &s in dataset.window_starts(split) {
                    let segment = dataset.segment_of(s).unwrap();
                    prop_assert!(segment.contains(&(s + offset)));
                }
            }
        }
    }
}
