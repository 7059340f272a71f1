//! # nowcast-runtime
//!
//! Runs small Keras-style forecasting models on microcontrollers one sensor sample at a time:
//! `#![no_std]`, no allocation, no `unsafe` (but for two audited assembly kernels behind the
//! `asm` feature, for Cortex-M cores), the same bits on a host and on a Cortex-M.
//!
//! ## The map
//!
//! - [`format`]: the model blob. A fixed header (magic, version, lengths, CRC-32), postcard
//!   metadata (feature and target names, sample period, lookback, delay, normalization, the
//!   layer list) and an aligned arena of little-endian tensors that are used in place.
//! - [`Model`]: [`Model::from_bytes`] checks a blob once — header, CRC, every tensor's type,
//!   bounds and length, every layer's chaining — and returns a typed [`LoadError`] saying which
//!   layer and what is wrong. After that nothing can fail but caller mistakes.
//! - [`layers`]: Dense, SimpleRNN, LSTM, GRU (`reset_after` both ways), Conv1D (valid, causal,
//!   dilation, strides), Max/AveragePooling1D, GlobalMax/GlobalAveragePooling1D, Flatten,
//!   Embedding, Bidirectional (concat), Dropout — each with Keras' weight layout, gate order and
//!   defaults, checked against golden vectors produced by Keras.
//! - [`Stepper`] (streaming): one call per raw sample, state in a caller-provided buffer of
//!   [`Model::state_len`] words, `Some(forecast)` whenever the model emits. O(1) per sample.
//! - Window mode ([`Model::window`]): the whole forward pass over a window, for models that
//!   need it (Bidirectional, Flatten, global pooling) and for checking against Keras.
//! - [`text`]: the tokenizer and hashing trick of text models; a model that carries its
//!   vocabulary looks tokens up itself ([`Model::token_id`], [`Model::encode_text`]).
//! - [`activation`]: the runtime's own f32 `exp` and `tanh` (within 1 and 1.5 ulp, as close as
//!   `libm`'s); `fast-math` swaps in `micromath` approximations. Both are deterministic and
//!   identical on every target.
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn core::error::Error>> {
//! # let blob: &[u8] = &[];
//! use nowcast_runtime::{Model, Stepper};
//! let model = Model::from_bytes(blob)?;
//! let mut state = [0.0f32; 4096];
//! let mut stepper = Stepper::new(&model, &mut state)?;
//! if let Some(forecast) = stepper.step(&[21.5, 1013.2, 0.43])? {
//!     // forecast[0] is in the target's units
//! #   let _ = forecast;
//! }
//! # Ok(()) }
//! ```
//!
//! Raw sensor values go in and target units come out: normalization is part of the model.

#![no_std]
// The exception: the feature-gated assembly kernels (`kernels/m4f.rs`, `fixed/thumb.rs`).
#![cfg_attr(not(feature = "asm"), forbid(unsafe_code))]
#![cfg_attr(feature = "asm", deny(unsafe_code))]
#![deny(missing_docs)]
// A build without one of the numeric paths (features `float`, `int`) or without some layer
// kinds (`all-layers`) leaves their code unused.
#![cfg_attr(
    not(all(feature = "float", feature = "int", feature = "all-layers")),
    allow(dead_code, unused_imports, unused_variables)
)]
// The crate docs link the text paths, which such a build may leave out; the full build (CI's
// `cargo doc`) still checks every link.
#![cfg_attr(not(feature = "all-layers"), allow(rustdoc::broken_intra_doc_links))]

#[cfg(target_endian = "big")]
compile_error!("nowcast-runtime reads tensors in place and supports little-endian targets only");

#[cfg(feature = "alloc")]
extern crate alloc;

pub mod activation;
#[cfg(feature = "alloc")]
mod build;
pub mod error;
pub mod fixed;
pub mod format;
mod kernels;
pub mod layers;
pub mod model;
pub mod stream;
pub mod tensor;
#[cfg(feature = "text")]
pub mod text;
pub mod window;

#[cfg(feature = "alloc")]
pub use build::{BuildError, HEADROOM, ModelSpec, Ranges, exponent_for, exponents};
pub use error::{LoadError, Problem, StepError, TensorName, WindowError};
#[cfg(feature = "alloc")]
pub use format::AlignedBytes;
pub use layers::{Layer, LayerKind, Shape};
pub use model::{LayerSummary, Mode, Model, NameIter, Names};
pub use stream::Stepper;
pub use tensor::{Scales, Tensor};
pub use window::{Probe, WindowOutput};
