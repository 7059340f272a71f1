//! The data pipeline: a sensor CSV file to normalized windows.
//!
//! 1. [`Series::load`] reads a CSV file (`,`, `;` or tab delimited, decimal commas in `;`
//!    files) with a header and a timestamp column (ISO 8601 with optional milliseconds, the
//!    Jena climate layout, a raw TMY3 file, or Unix seconds or milliseconds; detected), keeps
//!    its numeric columns (missing-value markers such as `NA` are missing cells), and puts
//!    the rows on a regular time grid: duplicates are dropped, gaps of 2 to 4 periods are
//!    filled by linear interpolation, longer gaps (and changes of an optional segment column)
//!    start new segments. Missing cells are `NaN`, counted per column. Bad rows are errors
//!    with their line number, or are skipped and counted; the [`LoadReport`] says what
//!    happened. The rules: [`Series`].
//! 2. [`Dataset::new`] selects the features and the target, fills their short runs of missing
//!    values and leaves longer ones out, splits the rows chronologically (60/20/20 by
//!    default), normalizes with the training rows' statistics and finds the valid windows of
//!    each split. The rules: [`Dataset`], [`WindowSpec`].
//! 3. [`Dataset::fill_batch`] materializes windows as `f32` tensors for a model
//!    ([`Batch`]); [`crate::baseline`] scores the naive forecasts on the same windows.
//!
//! [`tmy3`] reads and converts TMY3 weather files, and says why their year is fixed; [`epw`]
//! reads EnergyPlus weather files.
//! [`sequences`] reads labelled sequences (`.ts` and a CSV layout) for classification.
//!
//! Source files: `read.rs` (CSV records and line numbers, delimiters, decimal commas),
//! `timestamp.rs` (layouts, UTC milliseconds), `series.rs` (column detection, row parsing), `gaps.rs` (period, interpolation,
//! segments), `dataset.rs` (selection, split, normalization), `window.rs` (valid windows,
//! batches), `tmy3.rs`, `epw.rs`, `error.rs`.

mod dataset;
pub mod epw;
mod error;
mod gaps;
pub mod long;
mod read;
pub mod sequences;
mod series;
mod timestamp;
pub mod tmy3;
mod window;

pub use dataset::{
    ChannelStats, DEFAULT_SPLIT, Dataset, DatasetConfig, Growing, MIN_RELATIVE_STD, MIN_STD,
    Normalization, SPLIT_FLOOR_TOLERANCE, SPLIT_SUM_TOLERANCE, Split, flat,
};
pub use error::{BatchError, ConvertError, DatasetError, LoadError, list};
pub use read::{SKIPPED_ROWS_LISTED, SkippedRow};
pub use series::{
    COUNTER_NAMES, Duration, FLAG_WORDS, LATE_TIME_NAMES, LoadConfig, LoadReport, MISSING_MARKERS,
    MissingValues, SENTINEL_MAGNITUDE, Series, TIME_NAMES, is_sentinel_nines,
};
pub use timestamp::{TimestampError, TimestampFormat};
pub use window::{Batch, WindowSpec};
