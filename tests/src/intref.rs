//! A second, deliberately plain implementation of the `i8x16` mode, to check the runtime's
//! integer path bit for bit.
//!
//! It shares nothing with the runtime's integer code but the activation tables (`fixed::tanh`,
//! `fixed::sigmoid`, `fixed::hard_sigmoid`, tested against `libm` on their own): it reads the
//! weights through the public API, runs whole windows layer by layer with `i128` products and
//! one rounding function, indexes every weight by its formula, and writes each layer's
//! equations out in full.

use nowcast_runtime::activation::Activation;
use nowcast_runtime::fixed;
use nowcast_runtime::layers::{Cell, Gru, IntLayer, Layer, Lstm, Padding, SimpleRnn};
use nowcast_runtime::{Model, Shape, Tensor};

type Seq = Vec<Vec<i64>>;

const I32: (i64, i64) = (i32::MIN as i64, i32::MAX as i64);

/// `round(p · 2^-s)`, half up, as a floor division; clamped to `i32`.
fn round_shift(p: i128, s: i32) -> i64 {
    let v = if s > 0 {
        let d = 1i128 << s.min(120);
        (p + d / 2).div_euclid(d)
    } else {
        p * (1i128 << (-s).min(60))
    };
    v.clamp(I32.0 as i128, I32.1 as i128) as i64
}

fn sat32(v: i64) -> i64 {
    v.clamp(I32.0, I32.1)
}

fn sat16(v: i64) -> i64 {
    v.clamp(i64::from(i16::MIN), i64::from(i16::MAX))
}

fn act(a: Activation, z: i64) -> i64 {
    let z = sat32(z) as i32;
    i64::from(match a {
        Activation::Tanh => fixed::tanh(z),
        Activation::Sigmoid => fixed::sigmoid(z),
        Activation::HardSigmoid => fixed::hard_sigmoid(z),
        Activation::Relu => z.max(0),
        Activation::Linear | Activation::Softmax => z,
    })
}

fn bounded(a: Activation) -> bool {
    matches!(
        a,
        Activation::Tanh | Activation::Sigmoid | Activation::HardSigmoid
    )
}

/// Pre-activation exponent: Q12 before tanh/sigmoid/hard sigmoid, else the output's.
fn target(a: Activation, e_out: u8) -> i32 {
    if bounded(a) { 12 } else { i32::from(e_out) }
}

/// A kernel (plain or blocked: [`Tensor::int8_at`]), row scale `m[row] · 2^-exp`.
struct Kernel<'a> {
    t: Tensor<'a>,
    m: &'a [u16],
    exp: i32,
    cols: usize,
}

fn kernel<'a>(t: &Tensor<'a>, cols: usize) -> Kernel<'a> {
    match t {
        Tensor::I8 { scales, .. } | Tensor::U8Blocked { scales, .. } => Kernel {
            t: *t,
            m: scales.mantissas,
            exp: i32::from(scales.exp),
            cols,
        },
        _ => panic!("i8x16 kernels are int8"),
    }
}

impl Kernel<'_> {
    fn w(&self, row: usize, col: usize) -> i128 {
        i128::from(
            self.t
                .int8_at(row, col, self.cols)
                .expect("a weight of the kernel"),
        )
    }

    /// `round(Σ x · W[row] · m[row] · 2^-(exp + e_in - e_t))`.
    fn row(&self, row: usize, x: &[i64], e_in: i32, e_t: i32) -> i64 {
        let acc: i128 = (0..self.cols)
            .map(|c| i128::from(x[c]) * self.w(row, c))
            .sum();
        round_shift(acc * i128::from(self.m[row]), self.exp + e_in - e_t)
    }
}

/// A recurrent row: `round(m · 2^-(N + E - e_t) · (Σ x·W · 2^(E - e_in) + Σ h·U · 2^(E - e_h)))`
/// with `E = max(e_in, e_h)`: both kernels share the row's scale.
#[allow(clippy::too_many_arguments)]
fn pair(
    w: &Kernel<'_>,
    u: &Kernel<'_>,
    row: usize,
    x: &[i64],
    e_in: i32,
    h: &[i64],
    e_h: i32,
    e_t: i32,
) -> i64 {
    assert_eq!((w.m[row], w.exp), (u.m[row], u.exp), "shared scales");
    let e = e_in.max(e_h);
    let ax: i128 = (0..w.cols).map(|c| i128::from(x[c]) * w.w(row, c)).sum();
    let ah: i128 = (0..u.cols).map(|c| i128::from(h[c]) * u.w(row, c)).sum();
    let acc = ax * (1i128 << (e - e_in)) + ah * (1i128 << (e - e_h));
    round_shift(acc * i128::from(w.m[row]), w.exp + e - e_t)
}

/// Bias `j` in Q(`e_t`).
fn bias(t: &Tensor<'_>, j: usize, e_t: i32) -> i64 {
    match t {
        Tensor::I16 { values, scale } => round_shift(
            i128::from(values[j]) * i128::from(scale.mantissas[0]),
            i32::from(scale.exp) - e_t,
        ),
        _ => panic!("i8x16 biases are int16"),
    }
}

/// `(a · b + 2^14) >> 15`.
fn mul15(a: i64, b: i64) -> i64 {
    sat32((a * b + (1 << 14)) >> 15)
}

fn simple_rnn(l: &SimpleRnn<Tensor<'_>>, xs: &Seq, e_in: u8, q: IntLayer) -> Seq {
    let u = l.units as usize;
    let n = xs.first().map_or(0, Vec::len);
    let (w, r) = (kernel(&l.kernel, n), kernel(&l.recurrent_kernel, u));
    let e_t = target(l.activation, q.output_exp);
    let mut h = vec![0i64; u];
    let mut out = Vec::new();
    for x in xs {
        let z: Vec<i64> = (0..u)
            .map(|j| {
                let a = pair(
                    &w,
                    &r,
                    j,
                    x,
                    i32::from(e_in),
                    &h,
                    i32::from(q.output_exp),
                    e_t,
                );
                sat32(a + bias(&l.bias, j, e_t))
            })
            .collect();
        h = z.iter().map(|&z| sat16(act(l.activation, z))).collect();
        out.push(h.clone());
    }
    out
}

fn gru(l: &Gru<Tensor<'_>>, xs: &Seq, e_in: u8) -> Seq {
    let u = l.units as usize;
    let n = xs.first().map_or(0, Vec::len);
    let (w, r) = (kernel(&l.kernel, n), kernel(&l.recurrent_kernel, u));
    let (a, ra) = (l.activation, l.recurrent_activation);
    let e = i32::from(e_in);
    let mut h = vec![0i64; u];
    let mut out = Vec::new();
    for x in xs {
        // z and r rows: both kernels in one sum, then the input bias (and with reset_after the
        // recurrent bias too).
        let zr = |k: usize| {
            let s = sat32(pair(&w, &r, k, x, e, &h, 15, 12) + bias(&l.bias, k, 12));
            if l.reset_after {
                sat32(s + bias(&l.bias, 3 * u + k, 12))
            } else {
                s
            }
        };
        let xh = |j: usize| sat32(w.row(2 * u + j, x, e, 12) + bias(&l.bias, 2 * u + j, 12));
        let mut next = vec![0i64; u];
        if l.reset_after {
            for j in 0..u {
                let z = act(ra, zr(j));
                let rr = act(ra, zr(u + j));
                let hh_h = sat32(r.row(2 * u + j, &h, 15, 12) + bias(&l.bias, 5 * u + j, 12));
                let hh = act(a, sat32(xh(j) + mul15(rr, hh_h)));
                next[j] = sat16((z * h[j] + (32768 - z) * hh + (1 << 14)) >> 15);
            }
        } else {
            let rh: Vec<i64> = (0..u)
                .map(|k| sat16(mul15(act(ra, zr(u + k)), h[k])))
                .collect();
            for j in 0..u {
                let z = act(ra, zr(j));
                let hh = act(a, sat32(xh(j) + r.row(2 * u + j, &rh, 15, 12)));
                next[j] = sat16((z * h[j] + (32768 - z) * hh + (1 << 14)) >> 15);
            }
        }
        h = next;
        out.push(h.clone());
    }
    out
}

fn lstm(l: &Lstm<Tensor<'_>>, xs: &Seq, e_in: u8, q: IntLayer) -> Seq {
    let u = l.units as usize;
    let n = xs.first().map_or(0, Vec::len);
    let (w, r) = (kernel(&l.kernel, n), kernel(&l.recurrent_kernel, u));
    let (a, ra) = (l.activation, l.recurrent_activation);
    let ec = i32::from(q.cell_exp);
    let (mut h, mut c) = (vec![0i64; u], vec![0i64; u]);
    let mut out = Vec::new();
    for x in xs {
        let z = |k: usize| {
            sat32(pair(&w, &r, k, x, i32::from(e_in), &h, 15, 12) + bias(&l.bias, k, 12))
        };
        let mut nh = vec![0i64; u];
        for j in 0..u {
            let (i, f, g, o) = (
                act(ra, z(j)),
                act(ra, z(u + j)),
                act(a, z(2 * u + j)),
                act(ra, z(3 * u + j)),
            );
            let kept = round_shift(i128::from(f * c[j]), 15);
            let new = round_shift(i128::from(i * g), 30 - ec);
            c[j] = sat16(sat32(kept + new));
            let tc = act(a, round_shift(i128::from(c[j]), ec - 12));
            nh[j] = sat16(mul15(o, tc));
        }
        h = nh;
        out.push(h.clone());
    }
    out
}

fn last_or_all(seq: Seq, return_sequences: bool) -> Seq {
    if return_sequences {
        seq
    } else {
        seq.last().cloned().into_iter().collect()
    }
}

fn cell(c: &Cell<Tensor<'_>>, xs: &Seq, e_in: u8, q: IntLayer) -> (Seq, bool) {
    match c {
        Cell::SimpleRnn(l) => (simple_rnn(l, xs, e_in, q), l.return_sequences),
        Cell::Lstm(l) => (lstm(l, xs, e_in, q), l.return_sequences),
        Cell::Gru(l) => (gru(l, xs, e_in), l.return_sequences),
    }
}

/// The model's `i8x16` output for a window of raw samples, as `i16` values and their exponent
/// (before the output boundary's `f32` conversion).
pub fn window(model: &Model<'_>, raw: &[f32]) -> (Vec<i64>, u8) {
    let int = model.int_exponents().expect("an i8x16 model");
    let n = model.input_len();
    let scale = f32::from(1u16 << int.input_exp);
    // A missing (non-finite) reading is the channel's last finite one, at first its mean.
    let mut last: Vec<f32> = (0..n)
        .map(|c| model.input_norm().map_or(0.0, |norm| norm.mean[c]))
        .collect();
    let mut seq: Seq = raw
        .chunks_exact(n)
        .map(|row| {
            row.iter()
                .enumerate()
                .map(|(c, &v)| {
                    if model.vocab().is_some() {
                        return v as i64;
                    }
                    if v.is_finite() {
                        last[c] = v;
                    }
                    // The sample and the mean times the gain 2^e / std, each product exact in
                    // f64 and truncated to Q16 (at most 2^61 in magnitude), their difference
                    // rounded half up.
                    let v = last[c];
                    let (mean, gain) = match model.input_norm() {
                        Some(norm) => (norm.mean[c], (scale / norm.std[c]).min(f32::MAX)),
                        None => (0.0, scale),
                    };
                    let q16 = |x: f32| {
                        let p = (f64::from(x) * f64::from(gain) * 65536.0).trunc() as i128;
                        p.clamp(-(1 << 61), 1 << 61)
                    };
                    ((q16(v) - q16(mean) + (1 << 15)) >> 16).clamp(-32768, 32767) as i64
                })
                .collect()
        })
        .collect();
    let mut e = int.input_exp;
    for (i, (layer, &q)) in model.layers().iter().zip(&int.layers).enumerate() {
        let width = model.layer_input(i).map_or(0, Shape::width);
        seq = match layer {
            Layer::Dense(l) => {
                let w = kernel(&l.kernel, width);
                let e_t = target(l.activation, q.output_exp);
                seq.iter()
                    .map(|x| {
                        (0..l.units as usize)
                            .map(|j| {
                                let z =
                                    sat32(w.row(j, x, i32::from(e), e_t) + bias(&l.bias, j, e_t));
                                sat16(act(l.activation, z))
                            })
                            .collect()
                    })
                    .collect()
            }
            Layer::SimpleRnn(l) => last_or_all(simple_rnn(l, &seq, e, q), l.return_sequences),
            Layer::Gru(l) => last_or_all(gru(l, &seq, e), l.return_sequences),
            Layer::Lstm(l) => last_or_all(lstm(l, &seq, e, q), l.return_sequences),
            Layer::Conv1d(l) => {
                let (k, d, s, f) = (
                    l.kernel_size as usize,
                    l.dilation as usize,
                    l.strides as usize,
                    l.filters as usize,
                );
                let span = (k - 1) * d + 1;
                let pad = if l.padding == Padding::Causal {
                    span - 1
                } else {
                    0
                };
                let w = kernel(&l.kernel, width);
                let e_t = target(l.activation, q.output_exp);
                let mut out = Vec::new();
                let mut end = span - 1; // last padded position of the first output
                while end < seq.len() + pad {
                    let y = (0..f)
                        .map(|fi| {
                            let mut acc: i128 = 0;
                            for tap in 0..k {
                                let pos = end as i64 - ((k - 1 - tap) * d) as i64 - pad as i64;
                                if pos < 0 {
                                    continue;
                                }
                                let x = &seq[pos as usize];
                                for (c, &v) in x.iter().enumerate().take(width) {
                                    acc += i128::from(v) * w.w(tap * f + fi, c);
                                }
                            }
                            let z =
                                round_shift(acc * i128::from(w.m[fi]), w.exp + i32::from(e) - e_t);
                            sat16(act(l.activation, sat32(z + bias(&l.bias, fi, e_t))))
                        })
                        .collect();
                    out.push(y);
                    end += s;
                }
                out
            }
            Layer::MaxPooling1d(p) | Layer::AveragePooling1d(p) => {
                let average = matches!(layer, Layer::AveragePooling1d(_));
                let (ps, st) = (p.pool_size as usize, p.strides as usize);
                let mut out = Vec::new();
                let mut start = 0;
                while start + ps <= seq.len() {
                    out.push(pool(&seq[start..start + ps], average));
                    start += st;
                }
                out
            }
            Layer::GlobalMaxPooling1d => vec![pool(&seq, false)],
            Layer::GlobalAveragePooling1d => vec![pool(&seq, true)],
            Layer::Flatten => vec![seq.concat()],
            Layer::Dropout { .. } => seq,
            Layer::Embedding(l) => {
                let t = kernel(&l.embeddings, l.output_dim as usize);
                seq.iter()
                    .map(|x| {
                        let id = x[0] as usize;
                        (0..l.output_dim as usize)
                            .map(|k| {
                                let p = t.w(id, k) * i128::from(t.m[id]);
                                sat16(round_shift(p, t.exp - i32::from(q.output_exp)))
                            })
                            .collect()
                    })
                    .collect()
            }
            Layer::Bidirectional(b) => {
                let (fw, rs) = cell(&b.forward, &seq, e, q);
                let rev: Seq = seq.iter().rev().cloned().collect();
                let (mut bw, _) = cell(&b.backward, &rev, e, q);
                bw.reverse();
                if rs {
                    fw.iter()
                        .zip(&bw)
                        .map(|(a, b)| [a.clone(), b.clone()].concat())
                        .collect()
                } else {
                    // The backward direction's last state is after it consumed step 0.
                    vec![[fw[fw.len() - 1].clone(), bw[0].clone()].concat()]
                }
            }
        };
        e = q.output_exp;
    }
    (seq.concat(), e)
}

fn pool(rows: &[Vec<i64>], average: bool) -> Vec<i64> {
    let c = rows.first().map_or(0, Vec::len);
    (0..c)
        .map(|ch| {
            let vals: Vec<i64> = rows.iter().map(|r| r[ch]).collect();
            if average {
                let (sum, n) = (vals.iter().sum::<i64>(), vals.len() as i64);
                let q = if sum >= 0 {
                    (sum + n / 2) / n
                } else {
                    (sum - n / 2) / n
                };
                sat16(q)
            } else {
                vals.into_iter().max().unwrap_or(i64::from(i16::MIN))
            }
        })
        .collect()
}
