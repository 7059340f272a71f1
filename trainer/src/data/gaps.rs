//! Gap handling: the sample period, duplicate rows, short gaps filled by linear
//! interpolation, long gaps and segment-column changes starting new segments.
//!
//! Conventions:
//! - The sample period `P` is the median of the positive differences between consecutive
//!   timestamps (the lower middle one for an even count), over pairs that are not separated by
//!   a segment-column change. Zero differences (duplicates) do not count.
//! - A row `Δt` after the previous kept row is `k = round(Δt / P)` periods after it, halves
//!   rounding up. `k = 0`: the row is dropped (a duplicate; the first row is kept). `k = 1`:
//!   kept. `2 <= k <= MAX_STEPS_FILLED` (4): the `k - 1` missing rows are filled in, row
//!   `j` at `(prev * (k - j) + next * j) / k` for every column (exact when the inputs and the
//!   result are small multiples of a power of two, e.g. integers) and at time
//!   `t_prev + Δt * j / k` (integer division), then the row is kept. `k > MAX_STEPS_FILLED`:
//!   the row starts a new segment.
//! - A row where the segment column's value changes starts a new segment whatever its `Δt`;
//!   nothing is dropped or filled across such a change.

use std::ops::Range;

use super::error::LoadError;

/// The largest gap, in periods, that is filled by interpolation; a larger one splits segments.
pub(crate) const MAX_STEPS_FILLED: i64 = 4;

/// Rows as read, in file order, with timestamps that do not decrease within a segment-column
/// group (they may go back where a group starts: another device's rows).
#[derive(Debug, Default)]
pub(crate) struct Rows {
    pub(crate) times: Vec<i64>,
    /// Each row's line in the file.
    pub(crate) lines: Vec<u64>,
    /// Row-major, `width` values per row.
    pub(crate) values: Vec<f64>,
    pub(crate) width: usize,
    /// Whether the row's segment-column value differs from the previous row's.
    pub(crate) group_changes: Vec<bool>,
    /// Lines where a daylight-saving clock change in local timestamps was taken out.
    pub(crate) clock_changes: Vec<u64>,
    /// Lines where a count since power-up restarts (a new segment).
    pub(crate) counter_restarts: Vec<u64>,
    /// Per row: what the daylight-saving changes before it took off its clock (local
    /// timestamps: the file's clock is `time + shift`; 0 for other times).
    pub(crate) shifts: Vec<i64>,
}

impl Rows {
    fn len(&self) -> usize {
        self.times.len()
    }

    fn row(&self, i: usize) -> &[f64] {
        &self.values[i * self.width..(i + 1) * self.width]
    }
}

/// How many periods [`Regular::off_grid`] looks across.
pub(crate) const DRIFT_ROWS: usize = 32;

/// Rows on a regular grid, split into segments.
#[derive(Debug)]
pub(crate) struct Regular {
    pub(crate) times: Vec<i64>,
    /// Column-major: one vector per column.
    pub(crate) columns: Vec<Vec<f64>>,
    /// Contiguous, in order, covering every row.
    pub(crate) segments: Vec<Range<usize>>,
    pub(crate) period: i64,
    pub(crate) duplicates: usize,
    pub(crate) interpolated: usize,
    /// Rows more than half a period off the middle of the rows [`DRIFT_ROWS`] / 2 before and
    /// after them, in a run of one-period intervals: irregular times taken as evenly spaced.
    /// (A jittered regular log's rows stay near a line, within twice the jitter; an irregular
    /// log's wander off it, as a random walk does.)
    pub(crate) off_grid: usize,
    /// Per row: whether it was filled in (interpolated into a gap), not read.
    pub(crate) filled: Vec<bool>,
    /// Per row: its clock shift ([`Rows::shifts`]; a row filled in has the row after's: where
    /// the row of a clock change was bad, the filled row is at the clock after the change).
    pub(crate) shifts: Vec<i64>,
    /// Per column: its missing cells (`NaN`) in the rows kept (not those filled in) and the
    /// first one's line.
    pub(crate) missing: Vec<(usize, u64)>,
}

impl Regular {
    fn push(&mut self, time: i64, shift: i64, filled: bool, row: impl Iterator<Item = f64>) {
        self.times.push(time);
        self.filled.push(filled);
        self.shifts.push(shift);
        for (column, value) in self.columns.iter_mut().zip(row) {
            column.push(value);
        }
    }

    /// Row `i` of `rows`, kept: pushed, its missing cells counted.
    fn keep(&mut self, rows: &Rows, i: usize) {
        self.push(
            rows.times[i],
            rows.shifts[i],
            false,
            rows.row(i).iter().copied(),
        );
        for ((count, first), v) in self.missing.iter_mut().zip(rows.row(i)) {
            if v.is_nan() {
                if *count == 0 {
                    *first = rows.lines[i];
                }
                *count += 1;
            }
        }
    }

    fn start_segment(&mut self) {
        let at = self.times.len();
        if let Some(last) = self.segments.last_mut() {
            last.end = at;
        }
        self.segments.push(at..at);
    }
}

/// Rows resampled onto a grid of `period` ms (for irregular or event-driven logs): each row of
/// the result is a bin `[t, t + period)` with `t` a multiple of `period`, timed at `t` (at the
/// line of its first row), holding the mean of each column over the rows in it (missing values
/// skipped). A column without a reading in a bin keeps its value of the bin before in the same
/// segment-column group (a sensor that reports on change; counted in the second result), else
/// it is missing there (and counted as missing). Up to `MAX_STEPS_FILLED - 1` bins in a row
/// without any row hold the values of the bin before the same way (at the line of the row
/// after them); a longer run is left out, a gap that starts a new segment as in any file. A
/// bin never mixes two groups.
pub(crate) fn resample(rows: &Rows, period: i64) -> (Rows, usize) {
    let w = rows.width;
    let mut out = Rows {
        width: w,
        clock_changes: rows.clock_changes.clone(),
        counter_restarts: rows.counter_restarts.clone(),
        ..Rows::default()
    };
    let mut bins = Bins {
        sums: vec![0.0; w],
        counts: vec![0; w],
        last: vec![f64::NAN; w],
        held: 0,
    };
    // The bin at hand: its time, whether it starts a group, and its first row's line and
    // clock shift.
    let mut bin: Option<Bin> = None;
    for i in 0..rows.len() {
        let t = rows.times[i].div_euclid(period) * period;
        let (change, line, shift) = (rows.group_changes[i], rows.lines[i], rows.shifts[i]);
        match bin {
            Some(b) if b.0 == t && !change => {}
            Some(b) => {
                bins.flush(&mut out, b);
                // A short run of bins without a row (nothing reported): the values held.
                let k = (t - b.0) / period;
                if !change && (2..=MAX_STEPS_FILLED).contains(&k) {
                    for j in 1..k {
                        bins.flush(&mut out, (b.0 + j * period, false, line, b.3));
                    }
                }
                bin = Some((t, change, line, shift));
            }
            None => bin = Some((t, change, line, shift)),
        }
        for (k, &v) in rows.row(i).iter().enumerate() {
            if !v.is_nan() {
                bins.sums[k] += v;
                bins.counts[k] += 1;
            }
        }
    }
    if let Some(b) = bin {
        bins.flush(&mut out, b);
    }
    (out, bins.held)
}

/// A bin of [`resample`]: its time, whether it starts a group, its line and its clock shift.
type Bin = (i64, bool, u64, i64);

/// [`resample`]'s sums of the bin at hand, each column's last value and the cells held.
struct Bins {
    sums: Vec<f64>,
    counts: Vec<usize>,
    last: Vec<f64>,
    held: usize,
}

impl Bins {
    /// The bin `(t, change, line, shift)` as a row of `out`.
    fn flush(&mut self, out: &mut Rows, (t, change, line, shift): Bin) {
        out.times.push(t);
        out.group_changes.push(change);
        out.lines.push(line);
        out.shifts.push(shift);
        if change {
            self.last.fill(f64::NAN);
        }
        for k in 0..self.sums.len() {
            let v = match self.counts[k] {
                0 if !self.last[k].is_nan() => {
                    self.held += 1;
                    self.last[k]
                }
                0 => f64::NAN,
                c => self.sums[k] / c as f64,
            };
            out.values.push(v);
            self.last[k] = v;
            (self.sums[k], self.counts[k]) = (0.0, 0);
        }
    }
}

/// The median positive spacing of consecutive timestamps within segment-column groups.
fn sample_period(rows: &Rows) -> Option<i64> {
    let mut spacings: Vec<i64> = (1..rows.len())
        .filter(|&i| !rows.group_changes[i])
        .map(|i| rows.times[i] - rows.times[i - 1])
        .filter(|&dt| dt > 0)
        .collect();
    if spacings.is_empty() {
        return None;
    }
    let middle = (spacings.len() - 1) / 2;
    Some(*spacings.select_nth_unstable(middle).1)
}

/// Puts rows on the grid of their sample period (see the module docs).
pub(crate) fn regularize(rows: &Rows) -> Result<Regular, LoadError> {
    let period = sample_period(rows).ok_or(LoadError::NoSamplePeriod { rows: rows.len() })?;
    regularize_at(rows, period)
}

/// [`regularize`] on a grid of `period` ms (a resampled file's).
pub(crate) fn regularize_at(rows: &Rows, period: i64) -> Result<Regular, LoadError> {
    let mut out = Regular {
        times: Vec::with_capacity(rows.len()),
        columns: vec![Vec::with_capacity(rows.len()); rows.width],
        segments: Vec::new(),
        period,
        duplicates: 0,
        interpolated: 0,
        off_grid: 0,
        filled: Vec::with_capacity(rows.len()),
        shifts: Vec::with_capacity(rows.len()),
        missing: vec![(0, 0); rows.width],
    };
    let mut previous: Option<usize> = None;
    // The times of the last rows kept one period after another (at most DRIFT_ROWS + 1).
    let mut run: std::collections::VecDeque<i64> = Default::default();
    for i in 0..rows.len() {
        let time = rows.times[i];
        let Some(p) = previous.filter(|_| !rows.group_changes[i]) else {
            out.start_segment();
            out.keep(rows, i);
            previous = Some(i);
            run.clear();
            run.push_back(time);
            continue;
        };
        let dt = time - rows.times[p];
        let steps = (dt + period / 2) / period;
        match steps {
            0 => {}
            1 => {
                run.push_back(time);
                if run.len() > DRIFT_ROWS {
                    let first = run.pop_front().unwrap_or(time);
                    let middle = run[DRIFT_ROWS / 2 - 1];
                    let drift = 2 * middle - first - time;
                    out.off_grid += usize::from(drift.abs() > period);
                }
            }
            _ => {
                run.clear();
                run.push_back(time);
            }
        }
        match steps {
            0 => {
                out.duplicates += 1;
                continue;
            }
            1 => {}
            2..=MAX_STEPS_FILLED => {
                let (before, after) = (rows.row(p), rows.row(i));
                for j in 1..steps {
                    let (w_before, w_after) = ((steps - j) as f64, j as f64);
                    let filled = before
                        .iter()
                        .zip(after)
                        .map(|(&a, &b)| (a * w_before + b * w_after) / steps as f64);
                    out.push(rows.times[p] + dt * j / steps, rows.shifts[i], true, filled);
                    out.interpolated += 1;
                }
            }
            _ => out.start_segment(),
        }
        out.keep(rows, i);
        previous = Some(i);
    }
    if let Some(last) = out.segments.last_mut() {
        last.end = out.times.len();
    }
    Ok(out)
}

#[cfg(test)]
// A list of one segment is meant, not a range of rows.
#[allow(clippy::single_range_in_vec_init)]
mod tests {
    use super::*;

    /// One column; `groups` marks segment-column changes.
    fn rows(times: &[i64], values: &[f64], changes: &[usize]) -> Rows {
        Rows {
            times: times.to_vec(),
            lines: (2..).take(times.len()).collect(),
            values: values.to_vec(),
            width: 1,
            group_changes: (0..times.len()).map(|i| changes.contains(&i)).collect(),
            clock_changes: Vec::new(),
            counter_restarts: Vec::new(),
            shifts: vec![0; times.len()],
        }
    }

    #[test]
    fn resampling_takes_each_bins_mean_and_keeps_groups_apart() {
        // Irregular times (ms), one column with a missing value; a group change at 2600.
        let times = [0, 400, 950, 1100, 3020, 3500, 2600, 2700];
        let values = [1.0, 2.0, f64::NAN, 4.0, 5.0, 7.0, 8.0, 10.0];
        let (out, held) = resample(&rows(&times, &values, &[6]), 1000);
        // (The empty bin at 2000 holds the one before: nothing was reported.)
        assert_eq!(out.times, [0, 1000, 2000, 3000, 2000]);
        assert_eq!(out.values, [1.5, 4.0, 4.0, 6.0, 9.0]);
        assert_eq!(out.group_changes, [false, false, false, false, true]);
        assert_eq!((out.lines, held), (vec![2, 5, 6, 6, 8], 1));
        // Bins without a row: three held, four are a gap (a new segment, later).
        let (out, held) = resample(&rows(&[0, 4000, 9000], &[1.0, 2.0, 3.0], &[]), 1000);
        assert_eq!(out.times, [0, 1000, 2000, 3000, 4000, 9000]);
        assert_eq!(out.values, [1.0, 1.0, 1.0, 1.0, 2.0, 3.0]);
        assert_eq!(held, 3);
        // A missing value is not held: it stays missing, and is counted so.
        let (out, held) = resample(&rows(&[0, 2000], &[f64::NAN, 2.0], &[]), 1000);
        assert!(out.values[1].is_nan());
        assert_eq!(
            (held, out.values.iter().filter(|v| v.is_nan()).count()),
            (0, 2)
        );
        // Two columns: the second reports on change only, and keeps its value until the next.
        let mut r = rows(&[0, 500, 1500, 2500, 3500], &[], &[]);
        r.width = 2;
        r.values = vec![
            1.0,
            f64::NAN,
            2.0,
            7.0,
            3.0,
            f64::NAN,
            4.0,
            f64::NAN,
            5.0,
            8.0,
        ];
        let (out, held) = resample(&r, 1000);
        assert_eq!(out.values, [1.5, 7.0, 3.0, 7.0, 4.0, 7.0, 5.0, 8.0]);
        assert_eq!(
            (
                held,
                out.values
                    .iter()
                    .skip(1)
                    .step_by(2)
                    .filter(|v| v.is_nan())
                    .count()
            ),
            (2, 0)
        );
    }

    #[test]
    fn period_is_the_median_positive_spacing() {
        let r = rows(&[0, 10, 10, 20, 50, 60, 70], &[0.0; 7], &[]);
        // Spacings 10, (0 ignored), 10, 30, 10, 10: median 10.
        assert_eq!(sample_period(&r), Some(10));
        let r = rows(&[0, 10, 30, 60], &[0.0; 4], &[]);
        // Spacings 10, 20, 30: median 20. Even counts take the lower middle.
        assert_eq!(sample_period(&r), Some(20));
        let r = rows(&[0, 10, 20, 50, 90], &[0.0; 5], &[]);
        // Spacings 10, 10, 30, 40: the lower middle is 10.
        assert_eq!(sample_period(&r), Some(10));
        assert_eq!(sample_period(&rows(&[5, 5], &[0.0; 2], &[])), None);
    }

    #[test]
    fn duplicates_are_dropped() {
        // Period 10; 24 s is 4 s after the kept row at 20: round(0.4) = 0 periods, a
        // duplicate too.
        let r = rows(
            &[0, 10, 20, 20, 24, 30, 40],
            &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0],
            &[],
        );
        let out = regularize(&r).unwrap();
        assert_eq!(out.period, 10);
        assert_eq!(out.times, [0, 10, 20, 30, 40]);
        assert_eq!(
            out.columns[0],
            [1.0, 2.0, 3.0, 6.0, 7.0],
            "the first of duplicates is kept"
        );
        assert_eq!(out.duplicates, 2);
        assert_eq!(out.segments, [0..5]);
    }

    #[test]
    fn short_gaps_are_interpolated_exactly() {
        // Period 10, then gaps of 2, 3 and 4 periods; values are time / 10.
        let times = [0, 10, 20, 30, 40, 60, 90, 130, 140, 150, 160];
        let values: Vec<f64> = times.iter().map(|&t| t as f64 / 10.0).collect();
        let out = regularize(&rows(&times, &values, &[])).unwrap();
        assert_eq!(out.period, 10);
        assert_eq!(out.times, (0..=160).step_by(10).collect::<Vec<_>>());
        let expected: Vec<f64> = (0..=16).map(f64::from).collect();
        assert_eq!(out.columns[0], expected);
        assert_eq!(out.interpolated, 1 + 2 + 3);
        assert_eq!(out.segments, [0..17]);
    }

    #[test]
    fn interpolation_uses_both_ends() {
        // k = 4: 8 -> -4 in quarter steps.
        let r = rows(&[0, 10, 20, 60], &[0.0, 0.0, 8.0, -4.0], &[]);
        let out = regularize(&r).unwrap();
        assert_eq!(out.columns[0], [0.0, 0.0, 8.0, 5.0, 2.0, -1.0, -4.0]);
        assert_eq!(out.times, [0, 10, 20, 30, 40, 50, 60]);
    }

    #[test]
    fn long_gaps_start_segments() {
        // 45 s is round(4.5) = 5 periods: a new segment; 200 s is 20 periods.
        let r = rows(&[0, 10, 20, 65, 75, 275, 285], &[0.0; 7], &[]);
        let out = regularize(&r).unwrap();
        assert_eq!(out.segments, [0..3, 3..5, 5..7]);
        assert_eq!(out.interpolated, 0);
        // 35 s is round(3.5) = 4 periods: filled.
        let r = rows(&[0, 10, 20, 55], &[0.0; 4], &[]);
        let out = regularize(&r).unwrap();
        assert_eq!(out.segments, [0..7]);
        assert_eq!(out.interpolated, 3);
    }

    #[test]
    fn segment_column_changes_start_segments() {
        // Changes at row 2 (a regular step) and at row 4 (a duplicate time, not dropped); the
        // 3-period gap inside the last group is filled.
        let r = rows(&[0, 10, 20, 30, 30, 40, 70], &[0.0; 7], &[2, 4]);
        let out = regularize(&r).unwrap();
        assert_eq!(out.segments, [0..2, 2..4, 4..9]);
        assert_eq!(out.duplicates, 0);
        assert_eq!(
            out.interpolated, 2,
            "only the gap inside the last group is filled"
        );
    }
}
