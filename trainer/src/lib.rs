//! The host side of nowcast: sensor CSV files to training windows, naive baselines, and (to
//! come) training, quantization and export through `nowcast-runtime`.
//!
//! # Map
//! - [`data`]: load a CSV file ([`data::Series`]), split and normalize it and cut it into
//!   windows ([`data::Dataset`]), materialize batches ([`data::Batch`]). TMY3 weather files are
//!   read directly or converted ([`data::tmy3`]).
//! - [`baseline`]: persistence and seasonal persistence MAE on the same windows as a model.
//! - [`quant`]: quantized blobs from float ones, and their error per layer.
//! - [`classify`]: labelled sequences as training examples, and a classifier's scores through
//!   the runtime (accuracy, precision, recall, confusion, the majority-class baseline).
//! - [`text`]: labelled texts as token-id sequences (vocabulary or hashing trick) or
//!   bag-of-words vectors, and GloVe-format word vectors.
//!
//! # The forecasting protocol (the Keras chapter's)
//! Inputs are the chosen feature channels over `lookback` rows, sampled every `step` rows;
//! the target is one channel `delay` rows after the window's last row. Rows are split
//! chronologically 60/20/20 into train/val/test, normalization statistics come from the
//! training rows only, and a window is used only if it and its target lie in one split and
//! one gap-free segment. Errors are MAE in the target's units.
//!
//! ```no_run
//! use nowcast_trainer::baseline;
//! use nowcast_trainer::data::{Dataset, DatasetConfig, LoadConfig, Series, Split, WindowSpec};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let series = Series::load("data/greensboro.csv", &LoadConfig::default())?;
//! let config = DatasetConfig::new("temp_c", WindowSpec::new(120, 6, 1)?);
//! let dataset = Dataset::new(&series, &config)?;
//! let batch = dataset.batch(&dataset.window_starts(Split::Train)[..32])?;
//! assert_eq!(batch.inputs().len(), 32 * 120 * dataset.features().len());
//! println!("{:?}", baseline::persistence_mae(&dataset, Split::Test).mae);
//! # Ok(())
//! # }
//! ```

#![deny(missing_docs)]

pub mod baseline;
pub mod classify;
pub mod data;
pub mod eval;
pub mod export;
pub mod net;
pub mod quant;
pub mod text;
pub mod train;
