//! Naive baselines, scored on exactly the windows a model is scored on.
//!
//! For a window starting at row `s` with target row `t = s + lookback - 1 + delay` (see
//! [`data::WindowSpec`](crate::data::WindowSpec)):
//! - **Persistence** ("same as now") predicts the target at the window's last row
//!   `s + lookback - 1`, whatever the step. It covers every window.
//! - **Seasonal persistence** ("same as one season ago") predicts the target at row
//!   `t - lag`, `lag` the smallest whole number of seasons at least `delay` ([`seasonal_lag`]):
//!   `season` itself unless the forecast reaches further ahead than a season, when one season
//!   before the target is a row after the window's last, which a forecast made then cannot
//!   know. It covers only the windows whose row `t - lag` is in the same segment as `t` (the
//!   row exists and is that many seasons ago in time), in this split or before it (history a
//!   deployed forecaster has: a year-long season reads last year); the others are left out of
//!   its MAE, and [`BaselineMae::covered`] says how many are in.
//!   With hourly rows, `season = 24` is "same time yesterday" (for `delay` up to 24).
//!
//! Errors are mean absolute errors in the target's units, summed in `f64`.

use crate::data::{Dataset, Split};

/// A baseline's mean absolute error over the windows of one split.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BaselineMae {
    /// MAE in the target's units over the covered windows; `None` if none is covered.
    pub mae: Option<f64>,
    /// Windows the baseline could predict.
    pub covered: usize,
    /// Windows in the split.
    pub windows: usize,
}

/// MAE of `prediction(start)` against the target, over the split's windows for which it
/// gives a prediction.
fn score(
    dataset: &Dataset,
    split: Split,
    prediction: impl Fn(usize) -> Option<f64>,
) -> BaselineMae {
    let starts = dataset.window_starts(split);
    let target_offset = dataset.window().target_offset();
    let target = dataset.target();
    let (mut sum, mut covered) = (0.0f64, 0usize);
    for &start in starts {
        if let Some(predicted) = prediction(start) {
            sum += (predicted - target[start + target_offset]).abs();
            covered += 1;
        }
    }
    BaselineMae {
        mae: (covered > 0).then(|| sum / covered as f64),
        covered,
        windows: starts.len(),
    }
}

/// Persistence: the target at each window's last row (see the module docs).
pub fn persistence_mae(dataset: &Dataset, split: Split) -> BaselineMae {
    let last = dataset.window().last_row_offset();
    let target = dataset.target();
    score(dataset, split, |start| Some(target[start + last]))
}

/// How many rows before the target seasonal persistence reads: the smallest multiple of
/// `season` that is at least `delay` (so the row is at or before the window's last); 0 for
/// `season = 0`.
pub fn seasonal_lag(season: usize, delay: usize) -> usize {
    match season {
        0 => 0,
        _ => delay.div_ceil(season).max(1) * season,
    }
}

/// Seasonal persistence: the target [`seasonal_lag`] rows before the target row, where that row
/// is in the same segment (see the module docs). `season = 0` covers no window.
pub fn seasonal_mae(dataset: &Dataset, split: Split, season: usize) -> BaselineMae {
    score(dataset, split, seasonal(dataset, season))
}

/// The starts of the windows of `split` that seasonal persistence covers ([`seasonal_mae`]'s
/// [`covered`](BaselineMae::covered) ones), in order: where a model is to be compared with it
/// on the same windows.
pub fn seasonal_starts(dataset: &Dataset, split: Split, season: usize) -> Vec<usize> {
    let prediction = seasonal(dataset, season);
    (dataset.window_starts(split).iter().copied())
        .filter(|&start| prediction(start).is_some())
        .collect()
}

/// Seasonal persistence's prediction for the window at `start`, if it covers it.
fn seasonal(dataset: &Dataset, season: usize) -> impl Fn(usize) -> Option<f64> {
    let target_offset = dataset.window().target_offset();
    let lag = seasonal_lag(season, dataset.window().delay());
    let target = dataset.target();
    move |start| {
        let t = start + target_offset;
        let earlier = t.checked_sub(lag).filter(|_| lag > 0)?;
        // A valid window's start and target share one segment.
        let segment_start = dataset.segment_of(start)?.start;
        (earlier >= segment_start).then(|| target[earlier])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{DatasetConfig, LoadConfig, Series, WindowSpec};

    /// Hourly target values, one segment, all rows in the split `Train`.
    fn dataset(values: &[f64], lookback: usize, delay: usize) -> Dataset {
        let mut text = String::from("t,y\n");
        for (i, v) in values.iter().enumerate() {
            text.push_str(&format!("2021-01-01T{i:02}:00:00,{v}\n"));
        }
        let series = Series::from_reader(text.as_bytes(), &LoadConfig::default()).unwrap();
        let window = WindowSpec::new(lookback, delay, 1).unwrap();
        let mut config = DatasetConfig::new("y", window);
        config.split = [1.0, 0.0, 0.0];
        Dataset::new(&series, &config).unwrap()
    }

    #[test]
    fn persistence_by_hand() {
        // Lookback 2, delay 1: windows at 0, 1, 2 with last rows 1, 2, 3 and targets 2, 3, 4.
        let d = dataset(&[0.0, 1.0, 3.0, 6.0, 10.0], 2, 1);
        assert_eq!(d.window_starts(Split::Train), [0, 1, 2]);
        // |1 - 3| + |3 - 6| + |6 - 10| = 9 over 3 windows.
        assert_eq!(
            persistence_mae(&d, Split::Train),
            BaselineMae {
                mae: Some(3.0),
                covered: 3,
                windows: 3
            }
        );
        assert_eq!(
            persistence_mae(&d, Split::Test),
            BaselineMae {
                mae: None,
                covered: 0,
                windows: 0
            }
        );
    }

    #[test]
    fn seasonal_by_hand() {
        // Lookback 1, delay 1: window s targets row s + 1.
        let y = [5.0, 1.0, 2.0, 7.0, 4.0, 4.0];
        let d = dataset(&y, 1, 1);
        assert_eq!(d.window_starts(Split::Train), [0, 1, 2, 3, 4]);
        // Season 3: targets 1..=5, rows 3, 4, 5 have a row 3 earlier (0, 1, 2):
        // |5 - 7| + |1 - 4| + |2 - 4| = 7 over 3 covered windows.
        let s = seasonal_mae(&d, Split::Train, 3);
        assert_eq!((s.mae, s.covered, s.windows), (Some(7.0 / 3.0), 3, 5));
        assert_eq!(seasonal_starts(&d, Split::Train, 3), [2, 3, 4]);
        // Season 1 is persistence here (the target's previous row is the window's last).
        assert_eq!(
            seasonal_mae(&d, Split::Train, 1).mae,
            persistence_mae(&d, Split::Train).mae
        );
        assert_eq!(seasonal_mae(&d, Split::Train, 0).covered, 0);
        assert_eq!(seasonal_mae(&d, Split::Train, 6).mae, None);
        // Delay 3 past a season of 2: two seasons back (4 rows), never a row after the
        // window's last. Window s (lookback 1) targets row s + 3: rows 4, 5 read rows 0, 1.
        let d = dataset(&y, 1, 3);
        assert_eq!(
            (seasonal_lag(2, 3), seasonal_lag(2, 2), seasonal_lag(0, 3)),
            (4, 2, 0)
        );
        let s = seasonal_mae(&d, Split::Train, 2);
        // |5 - 4| + |1 - 4| = 4 over 2 covered windows of 3.
        assert_eq!((s.mae, s.covered, s.windows), (Some(2.0), 2, 3));
    }

    #[test]
    fn seasonal_stays_in_its_segment_and_reads_before_the_split() {
        // Rows 0..4, a long gap, rows 4..10 (hours 10..16). Lookback 1, delay 0.
        let text = "t,y\n\
            2021-01-01T00:00:00,0\n2021-01-01T01:00:00,1\n2021-01-01T02:00:00,2\n\
            2021-01-01T03:00:00,3\n2021-01-01T10:00:00,10\n2021-01-01T11:00:00,11\n\
            2021-01-01T12:00:00,12\n2021-01-01T13:00:00,13\n2021-01-01T14:00:00,14\n\
            2021-01-01T15:00:00,15\n";
        let series = Series::from_reader(text.as_bytes(), &LoadConfig::default()).unwrap();
        assert_eq!(series.segments(), [0..4, 4..10]);
        let mut config = DatasetConfig::new("y", WindowSpec::new(1, 0, 1).unwrap());
        config.split = [0.5, 0.2, 0.3];
        let d = Dataset::new(&series, &config).unwrap();
        // Train 0..5: row 4 (hour 10) is alone in its segment; season 2 covers rows 2, 3.
        let s = seasonal_mae(&d, Split::Train, 2);
        assert_eq!((s.mae, s.covered, s.windows), (Some(2.0), 2, 5));
        // Val 5..7 (hours 11, 12): rows 4 and 5 one season back, row 4 in train but in the same
        // segment: both covered, each off by 1.
        let s = seasonal_mae(&d, Split::Val, 1);
        assert_eq!((s.mae, s.covered, s.windows), (Some(1.0), 2, 2));
        // Season 6 from val: rows 5 - 6 and 6 - 6 are before the segment's start (4).
        let s = seasonal_mae(&d, Split::Val, 6);
        assert_eq!((s.mae, s.covered), (None, 0));
    }
}
