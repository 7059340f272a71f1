//! Training: model specs, the training loop, losses and optimizers.
//!
//! - [`spec`]: TOML model specs with Keras' names and defaults, and Keras' initializers.
//! - [`TrainModel`]: a model's flat parameters and the whole-stack forward/backward pass.
//! - [`fit`](fit::fit): mini-batch training with early stopping; [`FitConfig`], [`History`].
//! - [`fit_stateful`]: the same loop over long streams, state carried across chunks.
//! - [`Loss`], [`Optimizer`]: Keras' MAE/MSE/Huber and RMSprop/Adam.

pub mod fit;
pub mod loss;
mod model;
pub mod optim;
pub mod spec;
pub mod stateful;

pub use fit::{FitConfig, FitError, History, Progress, fit};
pub use loss::Loss;
pub use model::TrainModel;
pub use optim::{Optimizer, OptimizerKind};
pub use spec::{Built, ModelToml, SpecError};
pub use stateful::{Stateful, fit_stateful};
