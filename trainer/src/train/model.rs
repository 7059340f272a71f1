//! A model being trained: its layout, flat parameters, and the forward/backward pass of the
//! whole stack on one batch.

use ndarray::s;
use nowcast_runtime::Layer;
use rand_chacha::ChaCha8Rng;

use super::loss::Loss;
use super::spec::Built;
use crate::net::{self, Cache, Ctx, Float, LayerOpts, NetError, Seq, State};

/// Layers (as tensor lengths), dropout options and the flat parameter vector.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainModel {
    /// Tensor lengths per layer, in `try_map` order.
    pub layout: Vec<Layer<usize>>,
    /// Training options per layer.
    pub opts: Vec<LayerOpts>,
    /// All parameters, layer by layer.
    pub params: Vec<f32>,
}

impl TrainModel {
    /// Flattens initialized layers.
    pub fn new(built: Built) -> Self {
        let layout = built.layers.iter().map(net::layout).collect();
        let mut params = Vec::new();
        for l in &built.layers {
            let _ = l.try_map(&mut |t: &Vec<f32>, _| {
                params.extend_from_slice(t);
                Ok::<_, ()>(())
            });
        }
        TrainModel {
            layout,
            opts: built.opts,
            params,
        }
    }

    /// The layers with their current weights (for export).
    pub fn layers(&self) -> Vec<Layer<Vec<f32>>> {
        net::views(&self.layout, &self.params)
            .iter()
            .map(|l| {
                match l.try_map(&mut |t: &&[f32], _| Ok::<_, std::convert::Infallible>(t.to_vec()))
                {
                    Ok(l) => l,
                    Err(never) => match never {},
                }
            })
            .collect()
    }

    /// Number of parameters.
    pub fn param_count(&self) -> usize {
        self.params.len()
    }
}

/// The last step of a model's output, one row per example.
fn last_step<F: Float>(y: &Seq<F>) -> ndarray::ArrayView2<'_, F> {
    y.data.slice(s![(y.steps - 1) * y.batch.., ..])
}

/// A forward pass kept for the backward one: every layer's input and output (`acts[i]`,
/// `acts[i + 1]`) and each layer's cache.
type Pass<F> = (Vec<Seq<F>>, Vec<Cache<F>>);

/// A network to run: layout, options and parameters (`f32` to train, `f64` to check).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Net<'a, F> {
    pub layout: &'a [Layer<usize>],
    pub opts: &'a [LayerOpts],
    pub params: &'a [F],
}

impl TrainModel {
    pub(crate) fn net(&self) -> Net<'_, f32> {
        Net {
            layout: &self.layout,
            opts: &self.opts,
            params: &self.params,
        }
    }
}

impl<F: Float> Net<'_, F> {
    /// The whole last output step in inference mode, example after example, and its width.
    pub(crate) fn predict_rows(
        &self,
        x: Seq<F>,
        rng: ChaCha8Rng,
    ) -> Result<(Vec<F>, usize), NetError> {
        let (layout, opts, params) = (self.layout, self.opts, self.params);
        let layers = net::views(layout, params);
        let mut ctx = Ctx { train: false, rng };
        let mut cur = x;
        for (i, (l, o)) in layers.iter().zip(opts).enumerate() {
            cur = net::forward(i, l, o, &cur, &mut ctx)?.0;
        }
        let last = last_step(&cur);
        Ok((last.iter().copied().collect(), last.ncols()))
    }

    /// Loss sum over the batch and the gradient of `scale · Σ loss` with respect to every
    /// parameter (with `scale = 1 / full batch size`, chunk gradients add up to the batch mean's).
    pub(crate) fn loss_and_grad(
        &self,
        x: Seq<F>,
        targets: &[F],
        loss: Loss,
        scale: F,
        class_weights: Option<&[f32]>,
        rng: ChaCha8Rng,
    ) -> Result<(f64, Vec<F>), NetError> {
        let layers = net::views(self.layout, self.params);
        let mut ctx = Ctx { train: true, rng };
        let mut acts = vec![x];
        let mut caches = Vec::with_capacity(layers.len());
        for (i, (l, o)) in layers.iter().zip(self.opts).enumerate() {
            let (y, c) = net::forward(i, l, o, &acts[i], &mut ctx)?;
            acts.push(y);
            caches.push(c);
        }
        let out = acts.last().expect("at least the input");
        let (steps, batch, width) = (out.steps, out.batch, out.width());
        let mut dy = Seq::zeros(steps, batch, width);
        let weighted = targets.iter().map(|&t| {
            let w = class_weights
                .and_then(|w| w.get(t.to64() as usize))
                .map_or(1.0, |&w| f64::from(w));
            Some((t, w))
        });
        let total = add_losses(
            last_step(out),
            weighted,
            dy.data.slice_mut(s![(steps - 1) * batch.., ..]),
            loss,
            scale,
        );
        Ok((total, self.backprop(&layers, &acts, &caches, dy)))
    }

    /// The gradient of every parameter from the output gradient `dy`, back through the layers
    /// (`acts[i]` is layer `i`'s input, `acts[i + 1]` its output).
    fn backprop(
        &self,
        layers: &[Layer<&[F]>],
        acts: &[Seq<F>],
        caches: &[Cache<F>],
        mut dy: Seq<F>,
    ) -> Vec<F> {
        let mut grad = vec![F::zero(); self.params.len()];
        let mut grads = net::views_mut(self.layout, &mut grad);
        for i in (0..layers.len()).rev() {
            dy = net::backward(
                &layers[i],
                &mut grads[i],
                &acts[i],
                &acts[i + 1],
                &caches[i],
                dy,
            );
        }
        drop(grads);
        grad
    }

    /// The layers as a stream steps them: every recurrent layer returns its whole sequence, so
    /// the output has a forecast after every step, as the runtime's `Stepper` emits them.
    /// Refused for layers whose state a stream of chunks cannot carry here (Conv1D, pooling,
    /// Bidirectional, Flatten, Embedding).
    pub(crate) fn stream_layers(&self) -> Result<Vec<Layer<&[F]>>, NetError> {
        let mut layers = net::views(self.layout, self.params);
        for (index, l) in layers.iter_mut().enumerate() {
            match l {
                Layer::SimpleRnn(r) => r.return_sequences = true,
                Layer::Lstm(r) => r.return_sequences = true,
                Layer::Gru(r) => r.return_sequences = true,
                Layer::Dense(_) | Layer::Dropout { .. } => {}
                _ => {
                    return Err(NetError::NotStateful {
                        index,
                        kind: l.kind(),
                    });
                }
            }
        }
        Ok(layers)
    }

    /// One chunk of streams (`x`: `steps × lanes`) forward from `states` (one per layer, `None`
    /// for zero), which it leaves at the state after the chunk's last step. Returns every
    /// layer's input and output and the caches.
    fn stream_forward(
        &self,
        layers: &[Layer<&[F]>],
        x: Seq<F>,
        states: &mut [Option<State<F>>],
        ctx: &mut Ctx,
    ) -> Result<Pass<F>, NetError> {
        let batch = x.batch;
        let mut acts = vec![x];
        let mut caches = Vec::with_capacity(layers.len());
        for (i, (l, o)) in layers.iter().zip(self.opts).enumerate() {
            let (y, c) = net::forward_from(i, l, o, &acts[i], ctx, states[i].as_ref())?;
            if let Some(s) = net::last_state(&c, batch) {
                states[i] = Some(s);
            }
            acts.push(y);
            caches.push(c);
        }
        Ok((acts, caches))
    }

    /// Inference over one chunk of streams from `states` (advanced): the output after every
    /// step, time-major (`steps · lanes` rows).
    pub(crate) fn stream_predict(
        &self,
        x: Seq<F>,
        states: &mut [Option<State<F>>],
    ) -> Result<Seq<F>, NetError> {
        let layers = self.stream_layers()?;
        let mut ctx = Ctx {
            train: false,
            rng: rand::SeedableRng::seed_from_u64(0),
        };
        let (mut acts, _) = self.stream_forward(&layers, x, states, &mut ctx)?;
        Ok(acts.pop().expect("at least the input"))
    }

    /// Truncated backprop through time over one chunk of streams: the loss sum over the steps
    /// with a target (`targets`, time-major like the output rows) and the gradient of `scale ·
    /// Σ loss`, from `states` (advanced to the chunk's end; no gradient flows into them).
    pub(crate) fn stream_loss_and_grad(
        &self,
        x: Seq<F>,
        targets: &[Option<F>],
        states: &mut [Option<State<F>>],
        loss: Loss,
        scale: F,
        rng: ChaCha8Rng,
    ) -> Result<(f64, Vec<F>), NetError> {
        let layers = self.stream_layers()?;
        let mut ctx = Ctx { train: true, rng };
        let (acts, caches) = self.stream_forward(&layers, x, states, &mut ctx)?;
        let out = acts.last().expect("at least the input");
        let mut dy = Seq::zeros(out.steps, out.batch, out.width());
        let weighted = targets.iter().map(|t| t.map(|t| (t, 1.0)));
        let total = add_losses(out.data.view(), weighted, dy.data.view_mut(), loss, scale);
        Ok((total, self.backprop(&layers, &acts, &caches, dy)))
    }
}

/// `Σ w · loss(pred row, target)` over the rows with a target (and weight `w`), writing `scale
/// · w` times each row's loss gradient into `d` (rows without a target keep a zero gradient).
fn add_losses<F: Float>(
    pred: ndarray::ArrayView2<'_, F>,
    targets: impl Iterator<Item = Option<(F, f64)>>,
    mut d: ndarray::ArrayViewMut2<'_, F>,
    loss: Loss,
    scale: F,
) -> f64 {
    let width = pred.ncols();
    let mut row = vec![F::zero(); width];
    let mut g = vec![F::zero(); width];
    let mut total = 0.0;
    for (b, t) in targets.enumerate() {
        let Some((t, w)) = t else { continue };
        row.iter_mut().zip(pred.row(b)).for_each(|(r, &p)| *r = p);
        total += w * loss.example(&row, t, &mut g, scale * F::of(w));
        d.row_mut(b).iter_mut().zip(&g).for_each(|(d, &g)| *d = g);
    }
    total
}
