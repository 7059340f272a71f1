//! The full-integer mode (`i8x16`): every layer on `i16` activations and state, int8 weights,
//! integer arithmetic only (see [`crate::fixed`] for the numbers, rounding and saturation).
//!
//! Each layer's output has an exponent `e_out` ([`IntLayer::output_exp`]) and reads its input
//! in the previous layer's (or the model input's) exponent `e_in`. Kernels are the blob's int8
//! kernels with their scales `m_j · 2^-N` ([`Scales`](crate::tensor::Scales)), biases its
//! int16 biases. Dense and recurrent kernels are blocked ([`Tensor::U8Blocked`], what the
//! encoder writes: eight rows at a time through the row kernels); plain ones (`Tensor::I8`,
//! blobs written before the blocked layout, and every Conv1D kernel) give the same results,
//! row by row. With `e_t` the exponent of the pre-activation ([`fixed::target_exp`]: 12 before
//! tanh, sigmoid and hard sigmoid, else `e_out`):
//!
//! | layer | integer step |
//! |---|---|
//! | Dense, Conv1D | `z_j = rescale(Σ x·q_j, m_j, N + e_in - e_t) + b_j`, `y_j = sat16(act(z_j))`; Conv1D sums all taps of filter `j` first |
//! | SimpleRNN | `z_j = rescale(Σ x·W_j · 2^(E - e_in) + Σ h·U_j · 2^(E - e_out), m_j, N + E - e_t) + b_j` with `E = max(e_in, e_out)`: one exact sum, one rescale (the kernels share their scales), `h_j = sat16(act(z_j))` |
//! | GRU | gates in Q12 (`h` is Q15). `z` and `r` rows as SimpleRNN's, plus both their biases; the candidate's parts apart, `x_h = rescale(Σ x·W_h) + b_xh` and `h_h = rescale(Σ h·U_h) + b_hh`; `z, r, hh` in Q15 and `h = sat16((z·h + (1 - z)·hh + 2^14) >> 15)`. With `reset_after` `hh = act(x_h + (r·h_h + 2^14) >> 15)`; else `r·h` is rounded to Q15 and `hh = act(x_h + rescale(Σ (r·h)·U_h))` |
//! | LSTM | gates in Q12, rows as SimpleRNN's; `i, f, g, o` in Q15, `c` in Q(`cell_exp`): `c = sat16(round(f·c / 2^15) + round(i·g / 2^(30 - cell_exp)))`, `h = sat16(round(o · act(c in Q12) / 2^15))` |
//! | Embedding | `y_k = sat16(rescale(q[id][k], m_id, N - e_out))` |
//! | Max/AveragePooling1D, global pooling | max, or the sum divided by the count rounded half away from zero; `e_out = e_in` |
//! | Flatten, Dropout | the identity; `e_out = e_in` |
//!
//! where `b_j` is the int16 bias `v · m · 2^-exp` rescaled to Q(`e_t`) (the encoder writes an
//! `i8x16` layer's biases at `exp = e_t` where they fit, so that `b_j = v`) and `rescale(a, m, s) =
//! round(a · m · 2^-s)` ([`fixed::rescale`]). Tanh, sigmoid and hard sigmoid layers output Q15
//! (`e_out = 15`); softmax (last layer only) is linear here and applied in `f32` at the output.

use serde::{Deserialize, Serialize};

use super::{Bidirectional, Cell, Cursor, Gru, Layer, Lstm, SimpleRnn};
use crate::activation::Activation;
use crate::fixed::{self, GATE_EXP, ONE, UNIT_EXP, activate, dot, sat16};
use crate::tensor::{BLOCK_ROWS, Tensor};

/// The exponents of one layer in an `i8x16` model (wire format, see [`crate::format`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct IntLayer {
    /// The output is `q · 2^-output_exp` (15 for tanh/sigmoid outputs).
    pub output_exp: u8,
    /// LSTM: the cell state `c` is `q · 2^-cell_exp`; 0 for other layers.
    pub cell_exp: u8,
}

/// An input vector with its blocked kernels' correction [`offset`], summed once for every
/// kernel that reads the vector (a GRU reads its input and its state twice each).
#[derive(Clone, Copy)]
struct Input<'a> {
    x: &'a [i16],
    offset: i32,
}

impl<'a> Input<'a> {
    fn of(x: &'a [i16]) -> Self {
        Input {
            x,
            offset: offset(x),
        }
    }
}

/// One kernel's share of a row sum: its input (with the input's [`offset`]) and its rows from
/// the first one wanted. A plain int8 kernel (`Tensor::I8`) is its bytes from the first row
/// wanted (`skip` 0); a blocked one (`Tensor::U8Blocked`) its bytes from the block of the first
/// row wanted, the rows from that block's first, and the rows to skip in it.
#[derive(Clone, Copy)]
struct Part<'a> {
    x: &'a [i16],
    offset: i32,
    bytes: &'a [u8],
    blocked: bool,
    rows: usize,
    skip: usize,
}

impl<'a> Part<'a> {
    /// Rows `first..` of an int8 kernel (plain or blocked) against `x`, with the kernel's
    /// scales.
    fn of(x: Input<'a>, w: Tensor<'a>, first: usize) -> Option<(Self, crate::tensor::Scales<'a>)> {
        let (bytes, scales, blocked): (&[u8], _, _) = match w {
            Tensor::I8 { values, scales } => (bytemuck::cast_slice(values), scales, false),
            Tensor::U8Blocked { values, scales } => (values, scales, true),
            _ => return None,
        };
        // (The loader checked that the kernel is `scales.len()` rows of `x.len()`.)
        let start = if blocked {
            first / BLOCK_ROWS * BLOCK_ROWS
        } else {
            first
        };
        let part = Part {
            x: x.x,
            offset: x.offset,
            bytes: bytes.get(start * x.x.len()..)?,
            blocked,
            rows: scales.len().checked_sub(start)?,
            skip: first - start,
        };
        Some((part, scales))
    }

    /// Row `j`'s exact sum.
    fn dot(&self, j: usize) -> i64 {
        let (n, row) = (self.x.len(), self.skip + j);
        if row >= self.rows {
            return 0;
        }
        // With the assembly kernels, a blocked row after the blocks (a Dense layer's few rows)
        // through the one-row kernel: its `n` bytes are in a row.
        #[cfg(all(feature = "asm", any(nowcast_thumb2, nowcast_thumb1)))]
        if self.blocked
            && row >= self.rows / BLOCK_ROWS * BLOCK_ROWS
            && n <= fixed::I32_TERMS
            && let Some(u) = self.bytes.get(row * n..(row + 1) * n)
        {
            return i64::from(fixed::dot_u8(self.x, u, self.offset));
        }
        let k = row % BLOCK_ROWS;
        if self.blocked && row - k + BLOCK_ROWS <= self.rows {
            // A row inside a block (a call that does not start at one): its whole block
            // through the row kernel (rows of at most I32_TERMS terms sum in i32).
            let mut sums = [0i32; BLOCK_ROWS];
            if let (Some(block), true) = (self.bytes.get((row - k) * n..), n <= fixed::I32_TERMS) {
                fixed::rows8(&mut sums, self.x, block, 32, self.offset);
                return i64::from(sums[k]);
            }
        }
        // A plain row, or a blocked one after the blocks: `n` bytes in a row (a blocked byte
        // `q + 128` with its top bit flipped is `q`). Each term is below 2^22 in magnitude:
        // i32 products, an i64 sum.
        let flip = if self.blocked { 0x80 } else { 0 };
        let bytes = self.bytes.get(row * n..(row + 1) * n).unwrap_or(&[]);
        let term = |(&x, &u): (&i16, &u8)| i32::from(x) * i32::from((u ^ flip) as i8);
        self.x
            .iter()
            .zip(bytes)
            .map(term)
            .fold(0i64, |s, t| s + i64::from(t))
    }

    /// For blocked rows from the start of a block: the bytes from that block on and the
    /// number of whole blocks there.
    fn blocks(&self) -> Option<(&'a [u8], usize)> {
        (self.blocked && self.skip == 0).then_some((self.bytes, self.rows / BLOCK_ROWS))
    }
}

/// `-128 · Σ x`, the correction of a blocked kernel's sums `Σ x · (q + 128)`, wrapping (the
/// sums the callers allow fit an `i32`, whatever the order of the terms).
fn offset(x: &[i16]) -> i32 {
    x.iter()
        .fold(0i32, |s, &v| s.wrapping_add(i32::from(v)))
        .wrapping_mul(-128)
}

/// A bias rescaled to Q(`e_t`) with its case chosen once per call: with its power-of-two scale
/// `2^-exp` and `s = exp - e_t` (at least -15: exponents are at most 15), `shift_i16(v, s) = ((v
/// << 15) + add) >> asr`, which for `s ≥ 16` is 0 for every `v` (as `shift_i16` is). A bias
/// is at most 2^30 in magnitude, 2^29 where [`fast`](Self::fast).
#[derive(Clone, Copy)]
struct Bias<'a> {
    values: &'a [i16],
    add: i32,
    asr: u32,
}

impl<'a> Bias<'a> {
    /// Biases `first..first + n` of `b` (their scale a power of two, checked at load).
    fn of(b: Tensor<'a>, first: usize, n: usize, e_t: u8) -> Option<Self> {
        let Tensor::I16 { values, scale } = b else {
            return None;
        };
        let s = (i32::from(scale.exp) - i32::from(e_t)).clamp(-15, 16);
        Some(Bias {
            values: values.get(first..first + n)?,
            add: if s > 0 { 1 << (s + 14) } else { 0 },
            asr: (s + 15) as u32,
        })
    }

    /// Whether the bias is rescaled up by at most 2^14 (so at most 2^29 in magnitude): what
    /// the fast path's sums take.
    fn fast(self) -> bool {
        self.asr > 0
    }

    /// A bias that is 0 for every row, read from any `values` (`(v << 15) + 2^30` is in `[0,
    /// 2^31)` for every `i16`).
    fn zero(values: &'a [i16]) -> Self {
        Bias {
            values,
            add: 1 << 30,
            asr: 31,
        }
    }

    /// Whether the bias is in the exponent it is added at (`term(v) = v`): what the encoder
    /// writes for biases of at most 8 in magnitude before tanh and sigmoid (see `build`).
    #[cfg(all(feature = "asm", any(nowcast_thumb2, nowcast_thumb1)))]
    fn exact(self) -> bool {
        self.add == 0 && self.asr == 15
    }

    /// The bias as [`fixed::rescale_rows`] takes it.
    #[cfg(all(feature = "asm", any(nowcast_thumb2, nowcast_thumb1)))]
    fn terms(self) -> fixed::BiasTerms<'a> {
        (self.values, self.add, self.asr)
    }

    /// The rescaled value of a bias `v`.
    #[inline(always)]
    fn term(&self, v: i16) -> i32 {
        ((i32::from(v) << 15) + self.add) >> self.asr
    }
}

/// The rescaling of exact `i32` row sums for `18 ≤ shift < 49` (every model the encoder
/// writes, in practice): the rounding term `2^(shift-1)` is a multiple of 2^17, so
/// `rescale(acc, m, shift) = (((acc · m) >> 17) + 2^(shift-18)) >> (shift - 17)`, the top of a
/// 32 x 16-bit product and 32-bit arithmetic. The result is below 2^29 in magnitude (`|acc · m|
/// < 2^47 ≤ 2^(shift + 29)`).
#[derive(Clone, Copy)]
struct Requant {
    round: i32,
    asr: u32,
}

impl Requant {
    /// For sums of at most `terms` products of an `i16` and an int8 (each below 2^22 in
    /// magnitude: -128 is refused at load), which fit an `i32` below 512 terms.
    fn new(terms: usize, shift: i32) -> Option<Self> {
        (terms < 512 && (18..49).contains(&shift)).then(|| Requant {
            round: 1 << (shift - 18),
            asr: (shift - 17) as u32,
        })
    }

    #[inline(always)]
    fn apply(self, acc: i32, m: u16) -> i32 {
        (fixed::mul_hi17(acc, m) + self.round) >> self.asr
    }
}

/// `y[j] = rescale(Σ a·A[j] · 2^lsl + Σ b·B[j], m[j], shift)` for the parts `A` (against `a`)
/// and, if given, `B`, plus each of `biases` (`b[j]` rescaled to Q(`e_t`)), each bias added
/// saturating. Exact sums, one rescale per row.
#[allow(clippy::too_many_arguments)]
fn rows<'a>(
    y: &mut [i32],
    a: Part<'_>,
    lsl: u32,
    b: Option<Part<'_>>,
    m: &[u16],
    shift: i32,
    biases: [Option<(Tensor<'a>, usize)>; 2],
    e_t: u8,
) {
    let Some(m) = m.get(..y.len()) else {
        return;
    };
    // Products counted with the first part's scaling (a shift of `lsl` is 2^lsl terms), each
    // count capped at 512, where it is refused anyway (the fast path needs a non-empty `a`).
    let bl = b.map_or(0, |b| b.x.len());
    let terms = (a.x.len().min(512) << lsl.min(9)) + bl.min(512);
    let r = y.len();
    // Each given bias with its shift; a second one that is 0 if not given; both 0 if none is
    // (a reset_before GRU's candidate), read from the mantissas.
    let bias = |b: Option<(Tensor<'a>, usize)>| b.and_then(|(t, first)| Bias::of(t, first, r, e_t));
    let (b0, b1) = match biases {
        [None, None] => (Some(Bias::zero(bytemuck::cast_slice(m))), None),
        _ => (bias(biases[0]), bias(biases[1])),
    };
    let b1 = b1.or(b0.map(|b| Bias::zero(b.values)));
    let nonempty = !a.x.is_empty() && b.is_none_or(|b| !b.x.is_empty());
    let fast = |b: Option<Bias<'_>>| b.is_some_and(Bias::fast);
    match Requant::new(terms, shift).filter(|_| nonempty && fast(b0) && fast(b1)) {
        Some(rq) => {
            let (Some(b0), Some(b1)) = (b0, b1) else {
                return;
            };
            rows_fast(y, a, lsl, b);
            // The assembly epilogue where the shift allows: biases in the rows' exponent (a
            // second one of 0, shifted by 31, left out) added as they are.
            #[cfg(all(feature = "asm", any(nowcast_thumb2, nowcast_thumb1)))]
            if shift <= 32 {
                if b0.exact() && (b1.exact() || b1.asr == 31) {
                    let second = b1.exact().then_some(b1.values);
                    fixed::rescale_rows_exact(y, m, shift as u32, b0.values, second);
                } else {
                    fixed::rescale_rows(y, m, shift as u32, b0.terms(), b1.terms());
                }
                return;
            }
            // |rescaled| < 2^29 and two biases of at most 2^29: the sums fit, no saturation.
            let biases = b0.values.iter().zip(b1.values);
            for ((yj, &mj), (&v0, &v1)) in y.iter_mut().zip(m).zip(biases) {
                *yj = rq.apply(*yj, mj) + b0.term(v0) + b1.term(v1);
            }
        }
        None => {
            // Exact `i64` sums, the general rescale, each bias added saturating.
            for (j, (yj, &mj)) in y.iter_mut().zip(m).enumerate() {
                *yj = fixed::rescale(row_sum(a, lsl, b, j), mj, shift);
            }
            for b in [b0, b1].into_iter().flatten() {
                for (yj, &v) in y.iter_mut().zip(b.values) {
                    *yj = yj.saturating_add(b.term(v));
                }
            }
        }
    }
}

/// [`rows`]' exact sums in `i32` (the caller checked that they fit and that both inputs are
/// not empty): blocked kernels' whole blocks through the row kernels, every other row (plain
/// int8 kernels of blobs written before the blocked layout, rows around the blocks) one by one.
#[inline(never)]
fn rows_fast(y: &mut [i32], a: Part<'_>, lsl: u32, b: Option<Part<'_>>) {
    let body = rows_blocked(y, a, lsl, b);
    for (i, yi) in y[body..].iter_mut().enumerate() {
        *yi = row_sum(a, lsl, b, body + i) as i32;
    }
}

/// Row `j`'s exact sum `(Σ a·A[j]) << lsl + Σ b·B[j]`, one row at a time.
#[inline(never)]
fn row_sum(a: Part<'_>, lsl: u32, b: Option<Part<'_>>, j: usize) -> i64 {
    (a.dot(j) << lsl) + b.map_or(0, |b| b.dot(j))
}

/// [`rows_fast`] on blocked kernels: the rows in whole blocks of every part through
/// [`fixed::rows8`], each part's `Σ x · (q + 128)` corrected by `-128 · Σ x`. Returns how many
/// rows from the first it wrote (0 unless every part is blocked from a block's start).
fn rows_blocked(y: &mut [i32], a: Part<'_>, lsl: u32, b: Option<Part<'_>>) -> usize {
    let (Some((ab, na)), Some(second)) = (
        a.blocks(),
        b.map_or(Some(None), |b| b.blocks().map(|blocks| Some((b, blocks)))),
    ) else {
        return 0;
    };
    let nb = second.map_or(usize::MAX, |(_, (_, n))| n);
    let body = (y.len() / BLOCK_ROWS).min(na).min(nb) * BLOCK_ROWS;
    let yb = &mut y[..body];
    // The first part replaces what `y` held (a shift of 32 is 0), the second adds to it shifted.
    fixed::rows8(yb, a.x, ab, 32, a.offset);
    match second {
        Some((b, (bb, _))) => fixed::rows8(yb, b.x, bb, lsl, b.offset),
        None if lsl > 0 => yb.iter_mut().for_each(|v| *v <<= lsl),
        None => {}
    }
    body
}

/// `y[j] = rescale(Σ x · W[first + j], m[first + j], N + e_in - e_t)` plus the biases.
fn gemv(
    y: &mut [i32],
    x: Input<'_>,
    w: Tensor<'_>,
    first: usize,
    e_in: u8,
    e_t: u8,
    biases: [Option<(Tensor<'_>, usize)>; 2],
) {
    let Some((a, scales)) = Part::of(x, w, first) else {
        return;
    };
    let shift = i32::from(scales.exp) + i32::from(e_in) - i32::from(e_t);
    let m = scales.mantissas.get(first..).unwrap_or(&[]);
    rows(y, a, 0, None, m, shift, biases, e_t);
}

/// `y[j] = rescale(Σ x·W[first + j] · 2^(E - e_in) + Σ h·U[first + j] · 2^(E - e_h), m[first + j],
/// N + E - e_t)` with `E = max(e_in, e_h)`, plus the biases: a recurrent row's input and
/// recurrent parts summed exactly, then rescaled once (the two kernels share their scales,
/// checked at load).
#[allow(clippy::too_many_arguments)]
fn gemv_pair(
    y: &mut [i32],
    x: Input<'_>,
    w: Tensor<'_>,
    h: Input<'_>,
    u: Tensor<'_>,
    first: usize,
    e_in: u8,
    e_h: u8,
    e_t: u8,
    biases: [Option<(Tensor<'_>, usize)>; 2],
) {
    let (Some((px, scales)), Some((ph, _))) = (Part::of(x, w, first), Part::of(h, u, first)) else {
        return;
    };
    let e = e_in.max(e_h);
    let shift = i32::from(scales.exp) + i32::from(e) - i32::from(e_t);
    let m = scales.mantissas.get(first..).unwrap_or(&[]);
    // The part scaled up goes first (at most one is: E is one of the two exponents).
    let (a, lsl, b) = if e > e_in {
        (px, u32::from(e - e_in), ph)
    } else {
        (ph, u32::from(e - e_h), px)
    };
    rows(y, a, lsl, Some(b), m, shift, biases, e_t);
}

/// `y[j] += b[first + j]` rescaled to Q(`e_t`) (a power-of-two scale, checked at load: a
/// shift).
fn add_bias(y: &mut [i32], b: Tensor<'_>, first: usize, e_t: u8) {
    let Tensor::I16 { values, scale } = b else {
        return;
    };
    let shift = i32::from(scale.exp) - i32::from(e_t);
    for (yj, &v) in y.iter_mut().zip(values.get(first..).unwrap_or(&[])) {
        *yj = yj.saturating_add(fixed::shift_i16(v, shift));
    }
}

/// `act` of a pre-activation in its target exponent, stored as `i16`.
fn out16(act: Activation, z: i32) -> i16 {
    sat16(activate(act, z))
}

fn dense_step(
    kernel: Tensor<'_>,
    bias: Tensor<'_>,
    act: Activation,
    x: &[i16],
    e_in: u8,
    q: IntLayer,
    y: &mut [i16],
) {
    let e_t = fixed::target_exp(act, q.output_exp);
    // Sixteen rows at a time through a buffer on the stack (Dense has no scratch).
    let mut z = [0i32; 16];
    let x = Input::of(x);
    for (c, yc) in y.chunks_mut(16).enumerate() {
        let (z, first) = (&mut z[..yc.len()], 16 * c);
        gemv(z, x, kernel, first, e_in, e_t, [Some((bias, first)), None]);
        for (yj, &zj) in yc.iter_mut().zip(z.iter()) {
            *yj = out16(act, zj);
        }
    }
}

impl SimpleRnn<Tensor<'_>> {
    fn step_int(&self, x: &[i16], e_in: u8, q: IntLayer, state: &mut [i16], scratch: &mut [i32]) {
        let u = self.units as usize;
        let e_t = fixed::target_exp(self.activation, q.output_exp);
        let (h, z) = (&mut state[..u], &mut scratch[..u]);
        let (w, r) = (self.kernel, self.recurrent_kernel);
        let bias = [Some((self.bias, 0)), None];
        gemv_pair(
            z,
            Input::of(x),
            w,
            Input::of(h),
            r,
            0,
            e_in,
            q.output_exp,
            e_t,
            bias,
        );
        // Keras' tanh with its call resolved once, else through the dispatch.
        if self.activation == Activation::Tanh {
            for (h, &z) in h.iter_mut().zip(z.iter()) {
                *h = sat16(fixed::tanh(z));
            }
        } else {
            for (h, &z) in h.iter_mut().zip(z.iter()) {
                *h = out16(self.activation, z);
            }
        }
    }
}

/// `(z · h + (1 - z) · hh + 2^14) >> 15` for Q15 `z`, `h`, `hh`.
fn blend(z: i32, h: i16, hh: i32) -> i16 {
    if (0..=ONE).contains(&z) {
        // z in [0, 2^15] and |h|, |hh| ≤ 2^15: |z·h + (2^15 - z)·hh| ≤ 2^30, so i32 holds it.
        sat16((z * i32::from(h) + (ONE - z) * hh + (1 << 14)) >> 15)
    } else {
        // A tanh recurrent activation: z in [-2^15, 0), 2^15 - z up to 2^16.
        let v = i64::from(z) * i64::from(h) + i64::from(ONE - z) * i64::from(hh) + (1 << 14);
        (v >> 15).clamp(i64::from(i16::MIN), i64::from(i16::MAX)) as i16
    }
}

/// The units of a `reset_after` GRU from its pre-activations: `z`, `r`, the candidate's input
/// part `xh` and recurrent part `hh`.
#[inline(always)]
fn gru_units(
    h: &mut [i16],
    z: &[i32],
    r: &[i32],
    xh: &[i32],
    hh: &[i32],
    rec: impl Fn(i32) -> i32,
    act: impl Fn(i32) -> i32,
) {
    let pre = z.iter().zip(r).zip(xh.iter().zip(hh));
    for (hj, ((&z, &r), (&xh, &hh))) in h.iter_mut().zip(pre) {
        let (z, r) = (rec(z), rec(r));
        let cand = act(xh.saturating_add(fixed::mul_q15(r, hh)));
        *hj = blend(z, *hj, cand);
    }
}

impl Gru<Tensor<'_>> {
    fn step_int(&self, x: &[i16], e_in: u8, state: &mut [i16], scratch: &mut [i32]) {
        let u = self.units as usize;
        let g = 3 * u;
        let h = &mut state[..u];
        let (act, rec) = (self.activation, self.recurrent_activation);
        if self.reset_after {
            // z and r: input and recurrent parts in one accumulator; the candidate's two parts
            // apart (r multiplies the recurrent one).
            let (xs, hs) = scratch[..2 * g].split_at_mut(g);
            let (w, rk) = (self.kernel, self.recurrent_kernel);
            let b = |first| Some((self.bias, first));
            let zr = &mut xs[..2 * u];
            let (xi, hi) = (Input::of(x), Input::of(h));
            gemv_pair(zr, xi, w, hi, rk, 0, e_in, UNIT_EXP, GATE_EXP, [b(0), b(g)]);
            let (xh, hh) = (&mut xs[2 * u..], &mut hs[2 * u..]);
            gemv(xh, xi, w, 2 * u, e_in, GATE_EXP, [b(2 * u), None]);
            gemv(hh, hi, rk, 2 * u, UNIT_EXP, GATE_EXP, [b(g + 2 * u), None]);
            let (zr, xh) = xs.split_at(2 * u);
            let (z, r) = zr.split_at(u);
            let hh = &hs[2 * u..];
            // Keras' activations with their calls resolved once, else through the dispatch.
            if (rec, act) == (Activation::Sigmoid, Activation::Tanh) {
                #[cfg(all(feature = "asm", any(nowcast_thumb2, nowcast_thumb1)))]
                fixed::gru_cell(h, z, r, xh, hh);
                #[cfg(not(all(feature = "asm", any(nowcast_thumb2, nowcast_thumb1))))]
                gru_units(h, z, r, xh, hh, fixed::sigmoid, fixed::tanh);
            } else {
                gru_units(h, z, r, xh, hh, |v| activate(rec, v), |v| activate(act, v));
            }
        } else {
            let (xs, rest) = scratch[..g + u].split_at_mut(g);
            let rh: &mut [i16] = &mut bytemuck::cast_slice_mut::<i32, i16>(rest)[..u];
            let (w, rk) = (self.kernel, self.recurrent_kernel);
            let b = |first| Some((self.bias, first));
            let zr = &mut xs[..2 * u];
            let xi = Input::of(x);
            gemv_pair(
                zr,
                xi,
                w,
                Input::of(h),
                rk,
                0,
                e_in,
                UNIT_EXP,
                GATE_EXP,
                [b(0), None],
            );
            gemv(
                &mut xs[2 * u..],
                xi,
                w,
                2 * u,
                e_in,
                GATE_EXP,
                [b(2 * u), None],
            );
            for j in 0..u {
                let r = activate(rec, xs[u + j]);
                rh[j] = sat16(fixed::mul_q15_unit(r, i32::from(h[j])));
            }
            // The candidate's recurrent part where r was (r is not read again).
            let rh_part = &mut xs[u..2 * u];
            let rh = Input::of(rh);
            gemv(rh_part, rh, rk, 2 * u, UNIT_EXP, GATE_EXP, [None, None]);
            for j in 0..u {
                let z = activate(rec, xs[j]);
                let hh = activate(act, xs[2 * u + j].saturating_add(xs[u + j]));
                h[j] = blend(z, h[j], hh);
            }
        }
    }
}

impl Lstm<Tensor<'_>> {
    fn step_int(&self, x: &[i16], e_in: u8, q: IntLayer, state: &mut [i16], scratch: &mut [i32]) {
        let u = self.units as usize;
        let z = &mut scratch[..4 * u];
        let (h, c) = state[..2 * u].split_at_mut(u);
        let (w, r) = (self.kernel, self.recurrent_kernel);
        let bias = [Some((self.bias, 0)), None];
        gemv_pair(
            z,
            Input::of(x),
            w,
            Input::of(h),
            r,
            0,
            e_in,
            UNIT_EXP,
            GATE_EXP,
            bias,
        );
        let (act, rec) = (self.activation, self.recurrent_activation);
        let e_c = i32::from(q.cell_exp);
        // Keras' activations with their calls resolved once, else through the dispatch.
        if (rec, act) == (Activation::Sigmoid, Activation::Tanh) {
            lstm_units(h, c, z, e_c, fixed::sigmoid, fixed::tanh);
        } else {
            lstm_units(h, c, z, e_c, |v| activate(rec, v), |v| activate(act, v));
        }
    }
}

/// The units of an LSTM from their pre-activations `z` (the gates `i, f, g, o`, `h.len()`
/// each), the cell state `c` in Q(`e_c`).
#[inline(always)]
fn lstm_units(
    h: &mut [i16],
    c: &mut [i16],
    z: &[i32],
    e_c: i32,
    rec: impl Fn(i32) -> i32,
    act: impl Fn(i32) -> i32,
) {
    let u = h.len();
    for j in 0..u {
        let i = rec(z[j]);
        let f = rec(z[u + j]);
        let g = act(z[2 * u + j]);
        let o = rec(z[3 * u + j]);
        let kept = fixed::shift_round_within(f * i32::from(c[j]), 15);
        let new = fixed::shift_round_within(i * g, 30 - e_c);
        c[j] = sat16(kept.saturating_add(new));
        let tc = act(fixed::shift_round_within(
            i32::from(c[j]),
            e_c - i32::from(GATE_EXP),
        ));
        h[j] = sat16(fixed::mul_q15_unit(o, tc));
    }
}

/// One step of a recurrent cell (SimpleRNN, LSTM, GRU) given as a layer.
fn cell_step(
    layer: &Layer<Tensor<'_>>,
    x: &[i16],
    e_in: u8,
    q: IntLayer,
    state: &mut [i16],
    scratch: &mut [i32],
) {
    match layer {
        #[cfg(feature = "simple-rnn")]
        Layer::SimpleRnn(l) => l.step_int(x, e_in, q, state, scratch),
        #[cfg(feature = "lstm")]
        Layer::Lstm(l) => l.step_int(x, e_in, q, state, scratch),
        #[cfg(feature = "gru")]
        Layer::Gru(l) => l.step_int(x, e_in, state, scratch),
        _ => {}
    }
}

impl Layer<Tensor<'_>> {
    /// The integer twin of [`push`](Self::push): feeds one `i16` input vector in Q(`e_in`);
    /// returns the output in Q(`q.output_exp`) when the layer emits one. `state` is the layer's
    /// `state_len(input)` values as `i16`, reset to zero; `scratch` has `scratch_len()` `i32`s.
    #[inline]
    pub(crate) fn push_int<'s>(
        &self,
        x: &'s [i16],
        e_in: u8,
        q: IntLayer,
        state: &'s mut [i16],
        cursor: &mut Cursor,
        scratch: &mut [i32],
    ) -> Option<&'s [i16]> {
        match self {
            #[cfg(feature = "dense")]
            Layer::Dense(l) => {
                dense_step(l.kernel, l.bias, l.activation, x, e_in, q, state);
                Some(state)
            }
            Layer::SimpleRnn(_) | Layer::Lstm(_) | Layer::Gru(_) => {
                let units = self.recurrent()?.units();
                cell_step(self, x, e_in, q, state, scratch);
                Some(&state[..units])
            }
            #[cfg(feature = "conv1d")]
            Layer::Conv1d(l) => {
                let cin = x.len();
                let span = l.span();
                let (ring, out) = state.split_at_mut(span * cin);
                let slot = cursor.pos as usize * cin;
                ring[slot..slot + cin].copy_from_slice(x);
                if !cursor.advance(span as u32, l.strides) {
                    return None;
                }
                let (k, d, f) = (
                    l.kernel_size as usize,
                    l.dilation as usize,
                    l.filters as usize,
                );
                let Tensor::I8 { values, scales } = l.kernel else {
                    return None;
                };
                let e_t = fixed::target_exp(l.activation, q.output_exp);
                let shift = i32::from(scales.exp) + i32::from(e_in) - i32::from(e_t);
                let row = |tap: usize, fi: usize| &values[(tap * f + fi) * cin..][..cin];
                let tap_input = |tap: usize| {
                    let at = cursor.back(((k - 1 - tap) * d) as u32, span as u32) * cin;
                    &ring[at..at + cin]
                };
                // Filters four at a time (each tap's input loaded once for four), all taps of a
                // filter summed exactly before its one rescale.
                let mut fi = 0;
                while fi < f {
                    let block = (f - fi).min(4);
                    let mut acc = [0i64; 4];
                    for tap in 0..k {
                        let x = tap_input(tap);
                        if block == 4 && cin <= fixed::I32_TERMS {
                            let rows = &values[(tap * f + fi) * cin..][..4 * cin];
                            let a = fixed::dot4([0; 4], x, rows);
                            for (s, v) in acc.iter_mut().zip(a) {
                                *s += i64::from(v);
                            }
                        } else {
                            for (b, s) in acc.iter_mut().enumerate().take(block) {
                                *s += dot(x, row(tap, fi + b));
                            }
                        }
                    }
                    for (b, &a) in acc.iter().enumerate().take(block) {
                        let mut z = [fixed::rescale(a, scales.mantissas[fi + b], shift)];
                        add_bias(&mut z, l.bias, fi + b, e_t);
                        out[fi + b] = out16(l.activation, z[0]);
                    }
                    fi += block;
                }
                Some(out)
            }
            #[cfg(feature = "pooling")]
            Layer::MaxPooling1d(p) | Layer::AveragePooling1d(p) => {
                let average = matches!(self, Layer::AveragePooling1d(_));
                let c = x.len();
                let ps = p.pool_size;
                let (ring, out) = state.split_at_mut(ps as usize * c);
                let slot = cursor.pos as usize * c;
                ring[slot..slot + c].copy_from_slice(x);
                if !cursor.advance(ps, p.strides) {
                    return None;
                }
                for (ch, o) in out.iter_mut().enumerate() {
                    let values = (0..ps).map(|back| ring[cursor.back(back, ps) * c + ch]);
                    *o = reduce(values, average);
                }
                Some(out)
            }
            #[cfg(feature = "embedding")]
            Layer::Embedding(l) => {
                let Tensor::I8 { values, scales } = l.embeddings else {
                    return None;
                };
                let id = x.first().map_or(0, |&v| v as u16 as usize);
                let d = state.len();
                let shift = i32::from(scales.exp) - i32::from(q.output_exp);
                match (values.chunks_exact(d).nth(id), scales.mantissas.get(id)) {
                    (Some(row), Some(&m)) => {
                        for (y, &v) in state.iter_mut().zip(row) {
                            *y = sat16(fixed::rescale(i64::from(v), m, shift));
                        }
                    }
                    _ => state.fill(0),
                }
                Some(state)
            }
            Layer::Dropout { .. } => Some(x),
            // Window-only layers.
            Layer::GlobalMaxPooling1d
            | Layer::GlobalAveragePooling1d
            | Layer::Flatten
            | Layer::Bidirectional(_) => None,
            // Kinds this build leaves out.
            #[cfg(not(feature = "all-layers"))]
            #[allow(unreachable_patterns)]
            _ => None,
        }
    }
}

/// Max, or the sum divided by the count rounded half away from zero.
pub(crate) fn reduce(values: impl Iterator<Item = i16>, average: bool) -> i16 {
    let (mut max, mut sum, mut n) = (i16::MIN, 0i64, 0i64);
    for v in values {
        max = max.max(v);
        sum += i64::from(v);
        n += 1;
    }
    if !average {
        return max;
    }
    if n == 0 {
        return 0;
    }
    let half = n / 2;
    let q = if sum >= 0 {
        (sum + half) / n
    } else {
        (sum - half) / n
    };
    q.clamp(i64::from(i16::MIN), i64::from(i16::MAX)) as i16
}

/// Global pooling over `seq` (`steps` rows of `out.len()` channels).
pub(crate) fn reduce_global(seq: &[i16], out: &mut [i16], average: bool) {
    let c = out.len().max(1);
    for (ch, o) in out.iter_mut().enumerate() {
        *o = reduce(seq.iter().skip(ch).step_by(c).copied(), average);
    }
}

impl Bidirectional<Tensor<'_>> {
    /// The integer twin of [`window`](Self::window).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn window_int(
        &self,
        seq: &[i16],
        cin: usize,
        e_in: u8,
        q: IntLayer,
        out: &mut [i16],
        state: &mut [i16],
        scratch: &mut [i32],
    ) {
        let (fl, bl) = (self.forward.as_layer(), self.backward.as_layer());
        let (f, b) = (self.forward.get(), self.backward.get());
        let (fu, bu) = (f.units(), b.units());
        let width = fu + bu;
        let (fs, rest) = state.split_at_mut(f.state_len());
        let bs = &mut rest[..b.state_len()];
        fs.fill(0);
        bs.fill(0);
        let rs = f.return_sequences();
        for (t, x) in seq.chunks_exact(cin).enumerate() {
            cell_step(&fl, x, e_in, q, fs, scratch);
            if rs {
                out[t * width..t * width + fu].copy_from_slice(&fs[..fu]);
            }
        }
        for (t, x) in seq.chunks_exact(cin).enumerate().rev() {
            cell_step(&bl, x, e_in, q, bs, scratch);
            if rs {
                out[t * width + fu..(t + 1) * width].copy_from_slice(&bs[..bu]);
            }
        }
        if !rs {
            out[..fu].copy_from_slice(&fs[..fu]);
            out[fu..width].copy_from_slice(&bs[..bu]);
        }
    }
}

/// Checks an `i8x16` model once at load: every kernel int8, every bias int16, the activations
/// the integer path has, and exponents that agree with the layers (see the module docs).
pub(crate) fn check(
    layers: &[Layer<Tensor<'_>>],
    int: &crate::format::IntModel,
) -> Result<(), crate::error::LoadError> {
    use crate::error::{LoadError, Problem, TensorName};
    use crate::format::MAX_ACT_EXP;
    if int.input_exp > MAX_ACT_EXP {
        return Err(LoadError::InputNorm(Problem::BadExponent));
    }
    let mut e_in = int.input_exp;
    let last = layers.len().saturating_sub(1);
    for (index, (layer, q)) in layers.iter().zip(&int.layers).enumerate() {
        let err = |problem| LoadError::Layer {
            index: index as u8,
            problem,
        };
        // Tensors: kernels int8 (blocked or not, Conv1D and Embedding not), biases int16.
        let mut dtype = Ok(());
        let plain_only = matches!(layer, Layer::Conv1d(_) | Layer::Embedding(_));
        let _ = layer.try_map_loaded(
            &mut |t: &Tensor<'_>, name| {
                let ok = match (name, t) {
                    (TensorName::Bias, t) => matches!(t, Tensor::I16 { .. }),
                    (_, Tensor::I8 { .. }) => true,
                    (_, Tensor::U8Blocked { .. }) => !plain_only,
                    _ => false,
                };
                if !ok && dtype.is_ok() {
                    dtype = Err(err(Problem::UnsupportedDType { tensor: name }));
                }
                Ok(())
            },
            (),
        );
        dtype?;
        // The recurrent rows sum both kernels before one rescale: their scales must agree
        // (compared element by element: a slice `==` is a 116-byte memcmp on the Cortex-M).
        let shares = |l: &Layer<Tensor<'_>>| match l.recurrent_kernels() {
            Some((w, u)) => match (w.int8_scales(), u.int8_scales()) {
                (Some(a), Some(b)) => a.exp == b.exp && a.mantissas.iter().eq(b.mantissas),
                _ => false,
            },
            None => true,
        };
        let shares = match layer {
            #[cfg(feature = "bidirectional")]
            Layer::Bidirectional(b) => {
                shares(&b.forward.as_layer()) && shares(&b.backward.as_layer())
            }
            _ => shares(layer),
        };
        if !shares {
            return Err(err(Problem::BadQuantization {
                tensor: TensorName::RecurrentKernel,
            }));
        }
        if q.output_exp > MAX_ACT_EXP || q.cell_exp > MAX_ACT_EXP {
            return Err(err(Problem::BadExponent));
        }
        let bounded_cell = |act: Activation, rec: Activation| {
            if fixed::is_bounded(act) && fixed::is_bounded(rec) {
                Ok(())
            } else {
                Err(err(Problem::UnsupportedActivation))
            }
        };
        let cell_exp_ok = |lstm: bool| lstm || q.cell_exp == 0;
        let unit_out = |bounded: bool| !bounded || q.output_exp == UNIT_EXP;
        let ok = match layer {
            #[cfg(feature = "dense")]
            Layer::Dense(l) => {
                if l.activation == Activation::Softmax && index != last {
                    return Err(err(Problem::SoftmaxNotLast));
                }
                unit_out(fixed::is_bounded(l.activation)) && cell_exp_ok(false)
            }
            #[cfg(feature = "conv1d")]
            Layer::Conv1d(l) => {
                // Softmax over a Conv1D's filters has no calibrated logit range (the probes see
                // Dense logits only).
                if l.activation == Activation::Softmax {
                    return Err(err(Problem::UnsupportedActivation));
                }
                unit_out(fixed::is_bounded(l.activation)) && cell_exp_ok(false)
            }
            #[cfg(feature = "simple-rnn")]
            Layer::SimpleRnn(l) => unit_out(fixed::is_bounded(l.activation)) && cell_exp_ok(false),
            #[cfg(feature = "gru")]
            Layer::Gru(l) => {
                bounded_cell(l.activation, l.recurrent_activation)?;
                q.output_exp == UNIT_EXP && cell_exp_ok(false)
            }
            #[cfg(feature = "lstm")]
            Layer::Lstm(l) => {
                bounded_cell(l.activation, l.recurrent_activation)?;
                q.output_exp == UNIT_EXP
            }
            #[cfg(feature = "bidirectional")]
            Layer::Bidirectional(b) => {
                // Both directions write one output, so they share its exponent: both bounded
                // (Q15), or both unbounded SimpleRNNs in the calibrated exponent.
                let mut lstm = false;
                let mut bounded = [true; 2];
                for (k, c) in [&b.forward, &b.backward].into_iter().enumerate() {
                    match c {
                        Cell::SimpleRnn(l) => bounded[k] = fixed::is_bounded(l.activation),
                        Cell::Lstm(l) => {
                            bounded_cell(l.activation, l.recurrent_activation)?;
                            lstm = true;
                        }
                        Cell::Gru(l) => bounded_cell(l.activation, l.recurrent_activation)?,
                    }
                }
                if bounded[0] != bounded[1] {
                    return Err(err(Problem::UnsupportedActivation));
                }
                unit_out(bounded[0]) && cell_exp_ok(lstm)
            }
            #[cfg(feature = "embedding")]
            Layer::Embedding(_) => cell_exp_ok(false),
            #[cfg(feature = "pooling")]
            Layer::MaxPooling1d(_)
            | Layer::AveragePooling1d(_)
            | Layer::GlobalMaxPooling1d
            | Layer::GlobalAveragePooling1d => q.output_exp == e_in && cell_exp_ok(false),
            Layer::Flatten | Layer::Dropout { .. } => q.output_exp == e_in && cell_exp_ok(false),
            // Kinds this build leaves out (refused before this check).
            #[cfg(not(feature = "all-layers"))]
            #[allow(unreachable_patterns)]
            _ => {
                return Err(LoadError::LayerNotBuilt {
                    index: index as u8,
                    kind: layer.layer_kind(),
                });
            }
        };
        if !ok {
            return Err(err(Problem::BadExponent));
        }
        e_in = q.output_exp;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use crate::tensor::Scales;

    #[test]
    fn a_bias_term_is_the_bias_shift() {
        let values: [i16; 0] = [];
        let mut slow = 0;
        // Every shift s = exp - e_t from -15 (the slow path's only) to 40.
        for (exp, e_t) in (0..=40u8)
            .map(|e| (e, 0))
            .chain([(0, 13), (0, 14), (0, 15)])
        {
            let scale = Scales {
                mantissas: &[1],
                exp,
            };
            let t = Tensor::I16 {
                values: &values,
                scale,
            };
            let s = i32::from(exp) - i32::from(e_t);
            let b = Bias::of(t, 0, 0, e_t).expect("an int16 bias");
            if !b.fast() {
                assert_eq!(s, -15, "exp {exp} e_t {e_t} not fast");
                slow += 1;
            }
            let bound = if b.fast() { 1 << 29 } else { 1 << 30 };
            let zero = Bias::zero(b.values);
            for v in i16::MIN..=i16::MAX {
                assert_eq!(b.term(v), fixed::shift_i16(v, s), "{v} {s}");
                assert!(b.term(v).unsigned_abs() <= bound);
                assert_eq!(zero.term(v), 0);
            }
        }
        assert_eq!(slow, 1);
    }

    /// A reference for `gemv_pair` and `gemv`: exact sums in `i128`, [`fixed::rescale`], then
    /// each bias rescaled by [`fixed::rescale`] with a mantissa of 1 and added saturating.
    #[allow(clippy::too_many_arguments)]
    fn reference(
        x: &[i16],
        w: &[i8],
        h: Option<(&[i16], &[i8], u8)>,
        m: &[u16],
        exp: u8,
        e_in: u8,
        e_t: u8,
        biases: &[(&[i16], u8)],
    ) -> std::vec::Vec<i32> {
        let e = h.map_or(e_in, |(_, _, e_h)| e_in.max(e_h));
        let shift = i32::from(exp) + i32::from(e) - i32::from(e_t);
        let rows = m.len();
        (0..rows)
            .map(|j| {
                let dot = |x: &[i16], w: &[i8]| -> i64 {
                    let n = x.len();
                    (0..n)
                        .map(|i| i64::from(x[i]) * i64::from(w[j * n + i]))
                        .sum()
                };
                let mut acc = dot(x, w) << (e - e_in);
                if let Some((h, u, e_h)) = h {
                    acc += dot(h, u) << (e - e_h);
                }
                let mut v = fixed::rescale(acc, m[j], shift);
                for &(b, bexp) in biases {
                    let s = i32::from(bexp) - i32::from(e_t);
                    v = v.saturating_add(fixed::rescale(i64::from(b[j]), 1, s));
                }
                v
            })
            .collect()
    }

    #[test]
    fn row_kernels_equal_the_exact_reference() {
        struct Rng(u32);
        impl Rng {
            fn below(&mut self, k: u32) -> u32 {
                fixed::xorshift32(&mut self.0) % k
            }
            fn val(&mut self, lim: u32) -> i32 {
                self.below(2 * lim + 1) as i32 - lim as i32
            }
        }
        let mut rng = Rng(0x9e37_79b9);
        let (mut fast, mut slow) = (0, 0);
        for case in 0..400 {
            // Row counts with and without a remainder of four; short and long inputs.
            let rows = 1 + rng.below(11) as usize;
            let (n, k) = (1 + rng.below(40) as usize, 1 + rng.below(40) as usize);
            let n = if case % 50 == 0 { 520 } else { n };
            let lim = if case % 7 == 0 { 32767 } else { 3000 };
            let x: std::vec::Vec<i16> = (0..n).map(|_| rng.val(lim) as i16).collect();
            let h: std::vec::Vec<i16> = (0..k).map(|_| rng.val(32767) as i16).collect();
            let w: std::vec::Vec<i8> = (0..rows * n).map(|_| rng.val(127) as i8).collect();
            let u: std::vec::Vec<i8> = (0..rows * k).map(|_| rng.val(127) as i8).collect();
            let m: std::vec::Vec<u16> = (0..rows).map(|_| rng.below(65536) as u16).collect();
            let b0: std::vec::Vec<i16> = (0..rows).map(|_| rng.val(32767) as i16).collect();
            let b1: std::vec::Vec<i16> = (0..rows).map(|_| rng.val(32767) as i16).collect();
            let (exp, bexp) = (10 + rng.below(25) as u8, rng.below(30) as u8);
            let (e_in, e_h, e_t) = (
                rng.below(16) as u8,
                rng.below(16) as u8,
                rng.below(16) as u8,
            );
            let kernel = |v: &'static [i8]| Tensor::I8 {
                values: v,
                scales: Scales {
                    mantissas: std::vec::Vec::leak(m.clone()),
                    exp,
                },
            };
            let bias = |v: &std::vec::Vec<i16>| Tensor::I16 {
                values: std::vec::Vec::leak(v.clone()),
                scale: Scales {
                    mantissas: &[1],
                    exp: bexp,
                },
            };
            let (wt, ut) = (kernel(w.clone().leak()), kernel(u.clone().leak()));
            let (bt0, bt1) = (bias(&b0), bias(&b1));
            let nb = rng.below(3) as usize;
            let given = [Some((bt0, 0)), Some((bt1, 0))];
            let biases: [Option<(Tensor<'_>, usize)>; 2] =
                core::array::from_fn(|i| if i < nb { given[i] } else { None });
            let ref_biases = &[(&b0[..], bexp), (&b1[..], bexp)][..nb];
            let mut y = std::vec![0x5a5a_5a5a; rows];
            if case % 2 == 0 {
                let (xi, hi) = (Input::of(&x), Input::of(&h));
                gemv_pair(&mut y, xi, wt, hi, ut, 0, e_in, e_h, e_t, biases);
                let want = reference(&x, &w, Some((&h, &u, e_h)), &m, exp, e_in, e_t, ref_biases);
                assert_eq!(y, want, "pair case {case}");
            } else {
                gemv(&mut y, Input::of(&x), wt, 0, e_in, e_t, biases);
                let want = reference(&x, &w, None, &m, exp, e_in, e_t, ref_biases);
                assert_eq!(y, want, "single case {case}");
            }
            // The fast path's conditions, as `rows` decides them.
            let pair = case % 2 == 0;
            let e = if pair { e_in.max(e_h) } else { e_in };
            let shift = i32::from(exp) + i32::from(e) - i32::from(e_t);
            let terms = match (pair, e > e_in) {
                (false, _) => n,
                (true, true) => (n.min(512) << (e - e_in).min(9)) + k,
                (true, false) => (k << (e - e_h).min(9)) + n.min(512),
            };
            let biases_ok = nb == 0 || i32::from(bexp) - i32::from(e_t) >= -14;
            if (18..49).contains(&shift) && terms < 512 && biases_ok {
                fast += 1;
            } else {
                slow += 1;
            }
        }
        // Both paths were taken many times.
        assert!(fast > 100 && slow > 50, "fast {fast} slow {slow}");
    }

    #[test]
    fn the_call_rescale_is_the_rescale() {
        let mut accs = std::vec![0i32, 1, -1, i32::MAX, i32::MIN, 12345, -99999];
        let mut r = 0x2545_f491_u32;
        for _ in 0..300 {
            let v = fixed::xorshift32(&mut r);
            accs.push((v as i32) >> (v % 31));
        }
        assert!(Requant::new(512, 20).is_none() && Requant::new(5, 17).is_none());
        assert!(Requant::new(5, 49).is_none());
        for shift in 18..49 {
            let rq = Requant::new(511, shift).expect("in range");
            for &acc in &accs {
                for m in [0u16, 1, 3, 32768, 40_000, u16::MAX] {
                    let v = rq.apply(acc, m);
                    assert_eq!(
                        v,
                        fixed::rescale(i64::from(acc), m, shift),
                        "{acc} {m} {shift}"
                    );
                    assert!(v.unsigned_abs() < 1 << 29);
                }
            }
        }
    }
}
