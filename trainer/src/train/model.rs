//! A model being trained: its layout, flat parameters, and the forward/backward pass of the
//! whole stack on one batch.

use ndarray::s;
use nowcast_runtime::Layer;
use rand_chacha::ChaCha8Rng;

use super::loss::Loss;
use super::spec::Built;
use crate::net::{self, Ctx, Float, LayerOpts, NetError, Seq};

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
        let (layout, opts, params) = (self.layout, self.opts, self.params);
        let layers = net::views(layout, params);
        let mut ctx = Ctx { train: true, rng };
        let mut acts = vec![x];
        let mut caches = Vec::with_capacity(layers.len());
        for (i, (l, o)) in layers.iter().zip(opts).enumerate() {
            let (y, c) = net::forward(i, l, o, &acts[i], &mut ctx)?;
            acts.push(y);
            caches.push(c);
        }
        let out = acts.last().expect("at least the input");
        let (steps, batch, width) = (out.steps, out.batch, out.width());
        let mut dy = Seq::zeros(steps, batch, width);
        let mut total = 0.0;
        {
            let pred = last_step(out);
            let mut d = dy.data.slice_mut(s![(steps - 1) * batch.., ..]);
            let mut row = vec![F::zero(); width];
            let mut g = vec![F::zero(); width];
            for (b, &t) in targets.iter().enumerate() {
                row.iter_mut().zip(pred.row(b)).for_each(|(r, &p)| *r = p);
                let w = class_weights
                    .and_then(|w| w.get(t.to64() as usize))
                    .map_or(1.0, |&w| f64::from(w));
                total += w * loss.example(&row, t, &mut g, scale * F::of(w));
                d.row_mut(b).iter_mut().zip(&g).for_each(|(d, &g)| *d = g);
            }
        }
        let mut grad = vec![F::zero(); params.len()];
        let mut grads = net::views_mut(layout, &mut grad);
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
        Ok((total, grad))
    }
}
