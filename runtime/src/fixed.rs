//! Fixed-point arithmetic of the full-integer mode (`i8x16`).
//!
//! **Numbers.** A value between layers is an `i16` `q` with a per-tensor exponent `e`: it
//! stands for `q · 2^-e` ("Q`e`"). Outputs of tanh, sigmoid and hard sigmoid are Q15, where 1.0
//! is 32768 (kept in an `i32` inside a step; stored saturated to 32767). Pre-activations of
//! tanh, sigmoid and hard sigmoid are `i32` in Q12; those of ReLU and linear outputs are `i32`
//! in the output's own exponent.
//!
//! **Products.** `acc = Σ x_q · w_q` over an `i16` input and an int8 row: each product is at
//! most `32768 · 127 < 2^22` in magnitude, so up to [`I32_TERMS`] terms are summed in `i32`
//! and longer rows in `i64`. Never wraps.
//!
//! **Rescaling.** A weight row's scale is `m · 2^-N` (a `u16` mantissa, see
//! [`crate::tensor::Scales`]), so moving `acc` (in Q`e_in` times the weights) to Q`e_t` is
//! `rescale(acc, m, N + e_in - e_t) = (acc · m + 2^(s-1)) >> s`, computed exactly: rounding
//! half up (an arithmetic shift), exact when `s ≤ 0`, saturated to `i32` at the end. The
//! layers compute an `i32` sum's rescale in 32-bit arithmetic where the shift allows (see
//! `layers::int`; [`mul_hi17_narrow`] on the M0, the assembly epilogue with `asm`), anything
//! else exactly in 64-bit arithmetic ([`rescale`]).
//!
//! **Activations.** `tanh` is read from [`TANH_Q15`], `round(tanh(i/64) · 32768)` for `i` in
//! `0..=378` (x in `[0, 5.9]`), interpolated linearly between entries with rounding, odd
//! symmetric, and 32768 from 5.9 on (where it rounds to 32768); `sigmoid(x) = (1 + tanh(x/2)) / 2`, the same table read at
//! half the slope. Measured against `libm` over every Q12 input in `[-16, 16]` (the test
//! `activations_are_within_their_documented_error`): tanh within [`TANH_MAX_ERROR_LSB`]
//! and sigmoid within [`SIGMOID_MAX_ERROR_LSB`] units of 2^-15. Hard sigmoid is exact up to
//! rounding: `16384 + round(4 · v / 3)`, clamped to `[0, 32768]`.
//!
//! Every operation here is integer only, so it is the same on every target.

use crate::activation::Activation;

#[cfg(all(feature = "asm", any(nowcast_thumb2, nowcast_thumb1)))]
mod thumb;

/// Exponent of the pre-activations of tanh, sigmoid and hard sigmoid (Q12: ±8 in `i16` range,
/// ±524288 in `i32`).
pub const GATE_EXP: u8 = 12;

/// Exponent of tanh, sigmoid and hard sigmoid outputs (Q15).
pub const UNIT_EXP: u8 = 15;

/// `1.0` in Q15.
pub const ONE: i32 = 1 << 15;

/// Most products an `i32` accumulator takes: `516 · 32768 · 127 < 2^31`.
pub const I32_TERMS: usize = 516;

/// Largest difference from `libm`'s tanh over Q12 inputs, in units of 2^-15.
pub const TANH_MAX_ERROR_LSB: i32 = 2;

/// Largest difference from `libm`'s sigmoid over Q12 inputs, in units of 2^-15.
pub const SIGMOID_MAX_ERROR_LSB: i32 = 2;

/// `round(tanh(i / 64) · 32768)` for `i` in `0..=378`: from `378 / 64 ≈ 5.9` on, tanh rounds to
/// 32768 (1.0), so the entries past the last one would all be 32768.
pub const TANH_Q15: [u16; 379] = [
    0, 512, 1024, 1535, 2045, 2555, 3063, 3570, 4075, 4578, 5079, 5577, 6073, 6566, 7056, 7542,
    8025, 8505, 8980, 9452, 9919, 10382, 10840, 11294, 11743, 12186, 12625, 13058, 13486, 13909,
    14326, 14737, 15143, 15542, 15936, 16324, 16706, 17082, 17452, 17816, 18173, 18525, 18870,
    19209, 19542, 19869, 20189, 20504, 20813, 21115, 21411, 21702, 21986, 22265, 22538, 22804,
    23066, 23321, 23571, 23815, 24054, 24287, 24516, 24738, 24956, 25168, 25376, 25578, 25776,
    25969, 26157, 26340, 26519, 26694, 26864, 27029, 27191, 27348, 27502, 27651, 27797, 27938,
    28076, 28211, 28341, 28469, 28592, 28713, 28830, 28944, 29055, 29163, 29268, 29370, 29470,
    29566, 29660, 29751, 29840, 29926, 30010, 30091, 30170, 30247, 30322, 30394, 30465, 30533,
    30600, 30664, 30727, 30788, 30847, 30904, 30960, 31014, 31067, 31118, 31167, 31215, 31262,
    31307, 31351, 31394, 31435, 31476, 31515, 31553, 31589, 31625, 31659, 31693, 31726, 31757,
    31788, 31817, 31846, 31874, 31901, 31928, 31953, 31978, 32002, 32025, 32048, 32070, 32091,
    32112, 32132, 32151, 32170, 32188, 32206, 32223, 32240, 32256, 32271, 32287, 32301, 32316,
    32329, 32343, 32356, 32368, 32381, 32392, 32404, 32415, 32426, 32436, 32447, 32456, 32466,
    32475, 32484, 32493, 32501, 32509, 32517, 32525, 32532, 32540, 32547, 32553, 32560, 32566,
    32573, 32579, 32584, 32590, 32596, 32601, 32606, 32611, 32616, 32620, 32625, 32629, 32634,
    32638, 32642, 32646, 32649, 32653, 32657, 32660, 32663, 32667, 32670, 32673, 32676, 32678,
    32681, 32684, 32686, 32689, 32691, 32694, 32696, 32698, 32700, 32702, 32704, 32706, 32708,
    32710, 32712, 32714, 32715, 32717, 32718, 32720, 32721, 32723, 32724, 32726, 32727, 32728,
    32729, 32731, 32732, 32733, 32734, 32735, 32736, 32737, 32738, 32739, 32740, 32741, 32741,
    32742, 32743, 32744, 32745, 32745, 32746, 32747, 32747, 32748, 32749, 32749, 32750, 32750,
    32751, 32751, 32752, 32752, 32753, 32753, 32754, 32754, 32755, 32755, 32755, 32756, 32756,
    32757, 32757, 32757, 32758, 32758, 32758, 32759, 32759, 32759, 32759, 32760, 32760, 32760,
    32760, 32761, 32761, 32761, 32761, 32762, 32762, 32762, 32762, 32762, 32762, 32763, 32763,
    32763, 32763, 32763, 32763, 32764, 32764, 32764, 32764, 32764, 32764, 32764, 32764, 32765,
    32765, 32765, 32765, 32765, 32765, 32765, 32765, 32765, 32765, 32765, 32766, 32766, 32766,
    32766, 32766, 32766, 32766, 32766, 32766, 32766, 32766, 32766, 32766, 32766, 32766, 32766,
    32767, 32767, 32767, 32767, 32767, 32767, 32767, 32767, 32767, 32767, 32767, 32767, 32767,
    32767, 32767, 32767, 32767, 32767, 32767, 32767, 32767, 32767, 32767, 32767, 32767, 32767,
    32767, 32767, 32767, 32767, 32767, 32767, 32767, 32767, 32767, 32767, 32768,
];

/// `Σ x[i] · w[i]`, exactly.
#[inline]
pub fn dot(x: &[i16], w: &[i8]) -> i64 {
    if x.len() <= I32_TERMS {
        let mut acc = 0i32;
        for (&a, &b) in x.iter().zip(w) {
            acc += i32::from(a) * i32::from(b);
        }
        i64::from(acc)
    } else {
        x.iter()
            .zip(w)
            .map(|(&a, &b)| i64::from(i32::from(a) * i32::from(b)))
            .sum()
    }
}

/// [`rescale`] of an `i16` value (a bias) by a mantissa of 1, in `i32` only: `v · 2^-shift`
/// rounded half up. Equal to `rescale(v, 1, shift)` for every `v` and every `shift ≥ -15`
/// (what the callers pass: exponents are at most 15).
#[inline]
pub fn shift_i16(v: i16, shift: i32) -> i32 {
    let v = i32::from(v);
    if shift >= 17 {
        // |v| ≤ 2^15 < 2^(shift-1): rounds to 0.
        0
    } else if shift > 0 {
        (v + (1 << (shift - 1))) >> shift
    } else {
        // shift ≥ -15 here (exponents are at most 15), so |v · 2^-shift| ≤ 2^30.
        v << (-shift).min(15)
    }
}

/// `acc + [Σ x·row_k]` for the four consecutive rows `row_k = block[k·n..(k+1)·n]`, `n =
/// x.len()` (a block shorter than `4n` adds nothing): each `x[i]` loaded once for four
/// products. Exact when no sum leaves the `i32` range, which the callers ensure (rows of at
/// most [`I32_TERMS`] terms from zero, or a bound checked beforehand).
#[inline]
pub fn dot4(acc: [i32; 4], x: &[i16], block: &[i8]) -> [i32; 4] {
    #[cfg(all(feature = "asm", any(nowcast_thumb2, nowcast_thumb1)))]
    {
        thumb::dot4(acc, x, block)
    }
    #[cfg(not(all(feature = "asm", any(nowcast_thumb2, nowcast_thumb1))))]
    {
        dot4_rust(acc, x, block)
    }
}

/// The whole blocks of a blocked kernel (see [`crate::tensor`]) against `x` (`n = x.len()`
/// columns, at least 1): for each block `j` of `y.chunks_exact(8)`, `y[8j + k] = (y[8j + k] <<
/// lsl) + c + Σ_i x[i] · u_j(k, i)`, in wrapping arithmetic (a shift of 32 or more gives 0),
/// where `u_j` is block `j` of `blocks` (`8n` bytes from `8n·j`). With
/// `c = -128 · Σ x` the sum is `Σ x · q`: a row-sum call runs its first part with `lsl = 32`,
/// its second with its shift. If `blocks` holds fewer than `y.len() / 8` blocks, or `x` is
/// empty, `y` is left as it is.
#[inline]
pub(crate) fn rows8(y: &mut [i32], x: &[i16], blocks: &[u8], lsl: u32, c: i32) {
    #[cfg(all(feature = "asm", any(nowcast_thumb2, nowcast_thumb1)))]
    {
        thumb::rows8(y, x, blocks, lsl, c)
    }
    #[cfg(not(all(feature = "asm", any(nowcast_thumb2, nowcast_thumb1))))]
    {
        rows8_rust(y, x, blocks, lsl, c)
    }
}

/// [`rows8`] in Rust, the definition.
#[inline]
pub(crate) fn rows8_rust(y: &mut [i32], x: &[i16], blocks: &[u8], lsl: u32, c: i32) {
    let n = x.len();
    // (All blocks or none, as the assembly does.)
    if n == 0
        || (8 * n)
            .checked_mul(y.len() / 8)
            .is_none_or(|need| blocks.len() < need)
    {
        return;
    }
    let mut rest = blocks;
    for yb in y.chunks_exact_mut(8) {
        let Some((block, tail)) = rest.split_at_checked(8 * n) else {
            return;
        };
        rest = tail;
        let mut acc = [0i32; 8];
        // In the order the bytes are stored: column pairs (16 bytes from `8i` for columns `i`
        // and `i + 1`, rows 2q and 2q + 1 of both in word q), then an odd last column (8 bytes,
        // the rows in order).
        let mut i = 0;
        while let (Some(w), Some(&[x0, x1])) = (block.get(8 * i..8 * i + 16), x.get(i..i + 2)) {
            let (x0, x1) = (i32::from(x0), i32::from(x1));
            for (k, a) in acc.iter_mut().enumerate() {
                let at = 4 * (k / 2) + k % 2;
                let t = x0 * i32::from(w[at]) + x1 * i32::from(w[at + 2]);
                *a = a.wrapping_add(t);
            }
            i += 2;
        }
        if let (Some(w), Some(&xl)) = (block.get(8 * i..8 * i + 8), x.get(i)) {
            for (a, &u) in acc.iter_mut().zip(w) {
                *a = a.wrapping_add(i32::from(xl) * i32::from(u));
            }
        }
        for (yk, a) in yb.iter_mut().zip(acc) {
            *yk = yk
                .checked_shl(lsl)
                .unwrap_or(0)
                .wrapping_add(c)
                .wrapping_add(a);
        }
    }
}

/// One bias of [`rescale_rows`], `(values, add, asr)`: row `j`'s term is `((values[j] << 15) +
/// add) >> asr`, a bias rescaled to a row's exponent (see `layers::int`): `add = 0` with `asr`
/// in `1..=15` (moved up by `15 - asr`, exactly, at most 2^29 in magnitude) or `add =
/// 2^(asr-1)` with `asr` in `16..=31` (moved down, rounded half up, at most 2^15).
pub(crate) type BiasTerms<'a> = (&'a [i16], i32, u32);

/// `y[j] = rescale(y[j], m[j], shift) + t0[j] + t1[j]` with the terms of the biases `b0` and
/// `b1` ([`BiasTerms`]): the epilogue of a row-sum call, for `18 ≤ shift ≤ 32`. Lengths
/// shorter than `y`'s, or a shift or bias outside its range, leave `y` as it is. The sum fits:
/// the rescaled value is below 2^29 in magnitude (the module docs), each term at most 2^29.
#[inline]
pub(crate) fn rescale_rows(y: &mut [i32], m: &[u16], shift: u32, b0: BiasTerms, b1: BiasTerms) {
    // (Every caller checked the arguments: one that did not would leave its sums unscaled.)
    debug_assert!(rescale_rows_fit(y.len(), m, shift, b0, b1));
    #[cfg(all(feature = "asm", any(nowcast_thumb2, nowcast_thumb1)))]
    {
        thumb::rescale_rows(y, m, shift, b0, b1)
    }
    #[cfg(not(all(feature = "asm", any(nowcast_thumb2, nowcast_thumb1))))]
    {
        rescale_rows_rust(y, m, shift, b0, b1)
    }
}

/// `y[j] = rescale(y[j], m[j], shift) + b0[j] + b1[j]` (without `b1` if `None`): [`rescale_rows`]
/// for biases already in the rows' exponent (a bias the encoder wrote at the exponent it is
/// added at, `asr = 15`: its term is its value), for `18 ≤ shift ≤ 32`. Lengths shorter than
/// `y`'s or a shift outside the range leave `y` as it is. The sum fits: below 2^29 + 2^16.
#[inline]
pub(crate) fn rescale_rows_exact(
    y: &mut [i32],
    m: &[u16],
    shift: u32,
    b0: &[i16],
    b1: Option<&[i16]>,
) {
    debug_assert!(rescale_rows_exact_fit(y.len(), m, shift, b0, b1));
    #[cfg(all(feature = "asm", any(nowcast_thumb2, nowcast_thumb1)))]
    {
        thumb::rescale_rows_exact(y, m, shift, b0, b1)
    }
    #[cfg(not(all(feature = "asm", any(nowcast_thumb2, nowcast_thumb1))))]
    {
        rescale_rows_exact_rust(y, m, shift, b0, b1)
    }
}

/// Whether [`rescale_rows_exact`] takes these arguments for rows `..n`.
#[inline]
fn rescale_rows_exact_fit(n: usize, m: &[u16], shift: u32, b0: &[i16], b1: Option<&[i16]>) -> bool {
    m.len() >= n && b0.len() >= n && b1.is_none_or(|b| b.len() >= n) && (18..=32).contains(&shift)
}

/// [`rescale_rows_exact`] in Rust: the definition ([`rescale`] and the biases in `i64`).
#[cfg_attr(
    all(feature = "asm", any(nowcast_thumb2, nowcast_thumb1)),
    allow(dead_code)
)]
fn rescale_rows_exact_rust(y: &mut [i32], m: &[u16], shift: u32, b0: &[i16], b1: Option<&[i16]>) {
    if !rescale_rows_exact_fit(y.len(), m, shift, b0, b1) {
        return;
    }
    for (j, (yj, &mj)) in y.iter_mut().zip(m).enumerate() {
        let b = i64::from(b0[j]) + b1.map_or(0, |b| i64::from(b[j]));
        *yj = (i64::from(rescale(i64::from(*yj), mj, shift as i32)) + b) as i32;
    }
}

/// Whether [`rescale_rows`] takes these arguments for rows `..n`.
#[inline]
fn rescale_rows_fit(n: usize, m: &[u16], shift: u32, b0: BiasTerms, b1: BiasTerms) -> bool {
    let bias_fits = |(values, add, asr): BiasTerms| {
        values.len() >= n
            && match asr {
                1..=15 => add == 0,
                16..=31 => add == 1 << (asr - 1),
                _ => false,
            }
    };
    m.len() >= n && (18..=32).contains(&shift) && bias_fits(b0) && bias_fits(b1)
}

/// [`rescale_rows`] in Rust: the definition ([`rescale`] and the terms in `i64`).
#[cfg_attr(
    all(feature = "asm", any(nowcast_thumb2, nowcast_thumb1)),
    allow(dead_code)
)]
fn rescale_rows_rust(y: &mut [i32], m: &[u16], shift: u32, b0: BiasTerms, b1: BiasTerms) {
    if !rescale_rows_fit(y.len(), m, shift, b0, b1) {
        return;
    }
    let term = |b: BiasTerms, j: usize| ((i64::from(b.0[j]) << 15) + i64::from(b.1)) >> b.2;
    for (j, (yj, &mj)) in y.iter_mut().zip(m).enumerate() {
        let v = i64::from(rescale(i64::from(*yj), mj, shift as i32)) + term(b0, j) + term(b1, j);
        *yj = v as i32;
    }
}

/// The next value of a xorshift32 generator (Marsaglia's 13/17/5): the pseudo-random inputs of
/// [`check_kernels`] and of the tests.
#[inline]
pub(crate) fn xorshift32(state: &mut u32) -> u32 {
    *state ^= *state << 13;
    *state ^= *state >> 17;
    *state ^= *state << 5;
    *state
}

/// A case where a kernel [`check_kernels`] ran disagreed with its Rust definition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KernelMismatch {
    /// `"dot4"`, `"rows8"`, `"dot_u8"`, `"gru_cell"`, `"rescale_rows"` or `"rescale_rows_exact"`.
    pub kernel: &'static str,
    /// The case's number.
    pub case: u32,
    /// The first part's input length.
    pub n: u32,
    /// A second length the case drew (the epilogue's rows are `1 + (n + k) % 40`).
    pub k: u32,
}

/// The kernels this build runs ([`dot4`] (Conv1D), the blocked kernels' row sums and the
/// rescaling epilogue, in assembly with the `asm` feature on Cortex-M) against their plain Rust
/// definitions (`dot4_rust`, the blocked rows' loop, [`rescale`] and the bias terms), over
/// `cases` pseudo-random cases: inputs of 1 to 40 values over the whole `i16` range (both
/// extremes included), weights over `[-127, 127]` (bytes over `1..=255`), starting sums over
/// the whole `i32` range, one to three blocks, shifts 0 to 3 or 32; for the epilogue 1 to 40
/// sums over the whole `i32` range, mantissas over the whole `u16` range, every shift from 18
/// to 32 and every case of both biases (and one or two biases in the rows' exponent). Returns
/// the number of cases checked; without assembly both sides are the Rust loops. The firmware
/// runs it under QEMU on every core (`firmware/qemu` bin `kernels`). It checks results only:
/// that the assembly restores the registers it saves rests on review and on the parity suite.
pub fn check_kernels(cases: u32) -> Result<u32, KernelMismatch> {
    const MAX: usize = 40;
    let mut state = 0x9e37_79b9u32;
    let mut next = move || xorshift32(&mut state);
    let (mut xa, mut xb) = ([0i16; MAX], [0i16; MAX]);
    let mut wa = [0i8; 4 * MAX];
    for case in 0..cases {
        let n = 1 + next() as usize % MAX;
        let k = next() as usize % (MAX + 1);
        let blocks = 1 + next() as usize % 3;
        for x in xa.iter_mut().chain(xb.iter_mut()) {
            *x = match next() % 16 {
                0 => i16::MIN,
                1 => i16::MAX,
                _ => next() as i16,
            };
        }
        for w in wa.iter_mut() {
            *w = match next() % 16 {
                0 => -127,
                1 => 127,
                _ => ((next() % 255) as i32 - 127) as i8,
            };
        }
        let mismatch = |kernel| KernelMismatch {
            kernel,
            case,
            n: n as u32,
            k: k as u32,
        };
        let acc = [next() as i32 >> 8, 0, -(1 << 20), next() as i32 >> 9];
        if dot4(acc, &xa[..n], &wa[..4 * n]) != dot4_rust(acc, &xa[..n], &wa[..4 * n]) {
            return Err(mismatch("dot4"));
        }
        // Blocked rows: bytes over 1..=255 (extremes included), starting sums and offsets over
        // the whole i32 range, the first part's shift of 32 or the second's.
        let mut bytes = [0u8; 3 * 8 * MAX];
        for u in bytes.iter_mut() {
            *u = match next() % 16 {
                0 => 1,
                1 => 255,
                _ => 1 + (next() % 255) as u8,
            };
        }
        let (lsl, c) = (if next() % 4 == 0 { 32 } else { next() % 4 }, next() as i32);
        let mut fast: [i32; 24] = core::array::from_fn(|_| next() as i32);
        let mut plain = fast;
        rows8(&mut fast[..8 * blocks], &xa[..n], &bytes, lsl, c);
        rows8_rust(&mut plain[..8 * blocks], &xa[..n], &bytes, lsl, c);
        if fast != plain {
            return Err(mismatch("rows8"));
        }
        // One row of bytes, every length up to `n` (the kernels take one, two and four terms
        // at a time).
        if (0..=n)
            .any(|k| dot_u8(&xa[..k], &bytes[..k], c) != dot_u8_rust(&xa[..k], &bytes[..k], c))
        {
            return Err(mismatch("dot_u8"));
        }
        // The GRU units: pre-activations over the whole i32 range, mostly near the table.
        let mut pre = || match next() % 8 {
            0 => next() as i32,
            1 => [i32::MIN, i32::MAX, 378 << 7, (378 << 7) - 1, -(378 << 6)][next() as usize % 5],
            _ => (next() as i32) >> (9 + next() % 8),
        };
        let (gz, gr, gx, gh): ([i32; MAX], [i32; MAX], [i32; MAX], [i32; MAX]) = (
            core::array::from_fn(|_| pre()),
            core::array::from_fn(|_| pre()),
            core::array::from_fn(|_| pre()),
            core::array::from_fn(|_| pre()),
        );
        let (mut fast, mut plain) = (xb, xb);
        gru_cell(&mut fast[..n], &gz, &gr, &gx, &gh);
        gru_cell_rust(&mut plain[..n], &gz, &gr, &gx, &gh);
        if fast != plain {
            return Err(mismatch("gru_cell"));
        }
        // The epilogue: sums over the whole i32 range, every shift, every bias case.
        let shift = 18 + next() % 15;
        let bias = |s: u32| (if s > 15 { 1 << (s - 1) } else { 0 }, s);
        let (s0, s1) = (1 + next() % 31, 1 + next() % 31);
        let (m, v0, v1): ([u16; MAX], [i16; MAX], [i16; MAX]) = (
            core::array::from_fn(|_| next() as u16),
            core::array::from_fn(|i| xa[i] ^ xb[i]),
            core::array::from_fn(|i| xb[i]),
        );
        let rows = 1 + (n + k) % MAX;
        let (b0, b1) = (bias(s0), bias(s1));
        let (b0, b1) = ((&v0[..], b0.0, b0.1), (&v1[..], b1.0, b1.1));
        let mut fast: [i32; MAX] = core::array::from_fn(|_| next() as i32);
        let mut plain = fast;
        rescale_rows(&mut fast[..rows], &m, shift, b0, b1);
        rescale_rows_rust(&mut plain[..rows], &m, shift, b0, b1);
        if fast != plain {
            return Err(mismatch("rescale_rows"));
        }
        // The same with biases in the rows' exponent, one or two.
        let second = (next() % 2 == 0).then_some(&v1[..]);
        let mut fast: [i32; MAX] = core::array::from_fn(|_| next() as i32);
        let mut plain = fast;
        rescale_rows_exact(&mut fast[..rows], &m, shift, &v0, second);
        rescale_rows_exact_rust(&mut plain[..rows], &m, shift, &v0, second);
        if fast != plain {
            return Err(mismatch("rescale_rows_exact"));
        }
    }
    Ok(cases)
}

/// `(acc · m) >> 17` (rounded down), exactly, for every `i32` `acc`: `|acc · m| < 2^47`, so the
/// result is below 2^30 in magnitude. On the M0 (no 32 x 32 -> 64 multiply) from two 16 x 16
/// products: with `acc = hi · 2^16 + lo` (`lo` unsigned) it is `(hi · m + ((lo · m) >> 16)) >> 1`.
#[inline]
pub fn mul_hi17(acc: i32, m: u16) -> i32 {
    #[cfg(nowcast_thumb1)]
    {
        mul_hi17_narrow(acc, m)
    }
    #[cfg(not(nowcast_thumb1))]
    {
        ((i64::from(acc) * i64::from(m)) >> 17) as i32
    }
}

/// [`mul_hi17`] in 32-bit arithmetic only (the M0's).
#[inline]
pub fn mul_hi17_narrow(acc: i32, m: u16) -> i32 {
    let m = u32::from(m);
    let (hi, lo) = (acc >> 16, acc as u32 & 0xffff);
    // lo · m < 2^32 and |hi · m| ≤ 2^15 · (2^16 - 1) = 2^31 - 2^15: the sum fits.
    ((hi * m as i32) + ((lo * m) >> 16) as i32) >> 1
}

/// [`dot4`] in Rust, the definition the assembly variants match.
#[inline]
pub(crate) fn dot4_rust(acc: [i32; 4], x: &[i16], block: &[i8]) -> [i32; 4] {
    let n = x.len();
    let Some(block) = block.get(..4 * n) else {
        return acc;
    };
    let (r0, rest) = block.split_at(n);
    let (r1, rest) = rest.split_at(n);
    let (r2, r3) = rest.split_at(n);
    let [mut a0, mut a1, mut a2, mut a3] = acc;
    for i in 0..n {
        let xi = i32::from(x[i]);
        a0 += xi * i32::from(r0[i]);
        a1 += xi * i32::from(r1[i]);
        a2 += xi * i32::from(r2[i]);
        a3 += xi * i32::from(r3[i]);
    }
    [a0, a1, a2, a3]
}

/// `acc · m · 2^-shift`, rounded half up, saturated to `i32` (see the module docs).
///
/// Exactly, in 64-bit arithmetic (128-bit arithmetic is 600 bytes of code on the Cortex-M):
/// with `acc = q · 2^16 + r` (`r` the low 16 bits), `acc · m = A · 2^16 + B` for `A = q · m`
/// (`|A| < 2^63`) and `B = r · m` (`0 ≤ B < 2^32`). For `shift ≥ 17` the rounding term is a
/// multiple of 2^16, so the result is `floor((A + (B >> 16) + 2^(k-1)) / 2^k)` with `k = shift -
/// 16`, taken as `A`'s quotient by 2^k plus the quotient of its remainder and the rest (below
/// 2^64 unsigned); from `shift = 80` on it is 0 (`|acc · m| < 2^79`). Below, `A · 2^16 + B` is
/// formed where `|A| < 2^46` (elsewhere the result saturates, and so does a stand-in of 2^62),
/// and moved left by at most 32 where it is below 2^31 (elsewhere it saturates as it is).
#[inline]
pub fn rescale(acc: i64, m: u16, shift: i32) -> i32 {
    let m = i64::from(m);
    let (a, b) = ((acc >> 16) * m, (acc & 0xffff) * m);
    let r = if shift >= 80 {
        0
    } else if shift > 16 {
        let k = (shift - 16) as u32;
        let rest = (a as u64 & ((1u64 << k) - 1)) + (b as u64 >> 16) + (1u64 << (k - 1));
        (a >> k) + (rest >> k) as i64
    } else {
        // Where |A| ≥ 2^46 the result saturates: a stand-in of 2^62 with A's sign does too.
        let v = if a.unsigned_abs() < 1 << 46 {
            (a << 16) + b
        } else {
            a.signum() << 62
        };
        if shift > 0 {
            (v + (1 << (shift - 1))) >> shift
        } else if v.unsigned_abs() < 1 << 31 {
            v << shift.unsigned_abs().min(32)
        } else {
            v
        }
    };
    r.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32
}

/// `v · 2^-shift` rounded half up for `shift > 0`, `v · 2^-shift` saturated to `i32` for `shift
/// ≤ 0`, for every `shift` (beyond ±32 the result is what it is at ±32: 0, or saturated).
#[inline]
pub fn shift_round(v: i32, shift: i32) -> i32 {
    shift_round_within(v, shift.clamp(-32, 32))
}

/// [`shift_round`] for `shift` in `-32..=32`, without the clamp: what the layers pass (the
/// LSTM's 15, `30 - e_c` and `e_c - 12`, `e_c` at most 15, checked at load), where the clamp
/// cost about 4.5 instructions per LSTM unit on the M3 and 15 on the M0.
#[inline]
pub(crate) fn shift_round_within(v: i32, shift: i32) -> i32 {
    debug_assert!((-32..=32).contains(&shift));
    if shift > 0 {
        ((i64::from(v) + (1i64 << (shift - 1))) >> shift) as i32
    } else {
        (i64::from(v) << -shift).clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32
    }
}

/// Saturates to `i16`.
#[inline]
pub fn sat16(v: i32) -> i16 {
    v.clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16
}

/// `tanh(v · 2^-frac)` in Q15, for `frac` in `7..=20`.
#[inline]
fn tanh_at(v: i32, frac: u32) -> i32 {
    let shift = frac - 6;
    let a = v.unsigned_abs();
    let i = (a >> shift) as usize;
    let y = if i >= TANH_Q15.len() - 1 {
        ONE
    } else {
        let f = (a & ((1 << shift) - 1)) as i32;
        let lo = i32::from(TANH_Q15[i]);
        let hi = i32::from(TANH_Q15[i + 1]);
        lo + (((hi - lo) * f + (1 << (shift - 1))) >> shift)
    };
    if v < 0 { -y } else { y }
}

/// tanh of a Q12 value, in Q15 (`-32768..=32768`).
#[inline]
pub fn tanh(v: i32) -> i32 {
    tanh_at(v, 12)
}

/// The logistic sigmoid of a Q12 value, in Q15 (`0..=32768`).
#[inline]
pub fn sigmoid(v: i32) -> i32 {
    (ONE + tanh_at(v, 13) + 1) >> 1
}

/// Keras 3's hard sigmoid of a Q12 value, `clamp(x / 6 + 1/2, 0, 1)`, in Q15:
/// `16384 + (4·v ± 1) / 3` (the sign's), clamped to `[0, 32768]`.
///
/// `v` is first clamped to `±2^20`, far past where the output saturates (`|v| ≥ 12288`), so
/// `4·v` fits an `i32` and the division is 32-bit (a 64-bit one is a library call of about
/// 1 KB on the Cortex-M).
#[inline]
pub fn hard_sigmoid(v: i32) -> i32 {
    let n = 4 * v.clamp(-(1 << 20), 1 << 20);
    let q = (n + if n >= 0 { 1 } else { -1 }) / 3;
    (16384 + q).clamp(0, ONE)
}

/// Whether the activation maps Q12 pre-activations to Q15 outputs (tanh, sigmoid, hard
/// sigmoid); the others act in the output's own exponent.
pub const fn is_bounded(act: Activation) -> bool {
    matches!(
        act,
        Activation::Tanh | Activation::Sigmoid | Activation::HardSigmoid
    )
}

/// The exponent pre-activations of `act` are computed in, for a layer whose output exponent is
/// `out_exp`.
pub const fn target_exp(act: Activation, out_exp: u8) -> u8 {
    if is_bounded(act) { GATE_EXP } else { out_exp }
}

/// Applies an activation to a pre-activation in [`target_exp`]: Q15 for the bounded ones
/// (unsaturated, so 1.0 is 32768), the value itself (ReLU: clamped at 0) for the others.
/// Softmax is linear here: it is applied in `f32` at the model's output.
#[inline]
pub fn activate(act: Activation, v: i32) -> i32 {
    match act {
        Activation::Tanh => tanh(v),
        Activation::Sigmoid => sigmoid(v),
        Activation::HardSigmoid => hard_sigmoid(v),
        Activation::Relu => v.max(0),
        Activation::Linear | Activation::Softmax => v,
    }
}

/// `c + Σ x[i] · u[i]` wrapping, for bytes `u` of a blocked kernel's row after its blocks (see
/// [`crate::tensor`]): with `c = -128 · Σ x` (the input's offset, as [`rows8`] takes it) it is
/// `Σ x[i] · (u[i] - 128)`, exact for `x.len() ≤ I32_TERMS`. Bytes past `x.len()` are not read;
/// a shorter `u` gives 0.
#[cfg_attr(
    not(all(feature = "asm", any(nowcast_thumb2, nowcast_thumb1))),
    allow(dead_code)
)]
#[inline]
pub(crate) fn dot_u8(x: &[i16], u: &[u8], c: i32) -> i32 {
    #[cfg(all(feature = "asm", any(nowcast_thumb2, nowcast_thumb1)))]
    {
        thumb::dot_u8(x, u, c)
    }
    #[cfg(not(all(feature = "asm", any(nowcast_thumb2, nowcast_thumb1))))]
    {
        dot_u8_rust(x, u, c)
    }
}

/// [`dot_u8`] in Rust, the definition.
fn dot_u8_rust(x: &[i16], u: &[u8], c: i32) -> i32 {
    if u.len() < x.len() {
        return 0;
    }
    x.iter()
        .zip(u)
        .fold(c, |s, (&x, &u)| s.wrapping_add(i32::from(x) * i32::from(u)))
}

/// The units of a `reset_after` GRU with Keras' activations (sigmoid gates, a tanh candidate),
/// from their Q12 pre-activations: `h[j] = blend(sigmoid(z[j]), h[j], tanh(xh[j] + mul_q15(
/// sigmoid(r[j]), hh[j])))`, the sum saturating, where `blend(z, h, c) = sat16((z·h + (2^15 -
/// z)·c + 2^14) >> 15)` (`i32` holds it: a sigmoid is in `[0, 2^15]`). Slices shorter than `h`
/// leave it as it is.
#[inline]
pub(crate) fn gru_cell(h: &mut [i16], z: &[i32], r: &[i32], xh: &[i32], hh: &[i32]) {
    #[cfg(all(feature = "asm", any(nowcast_thumb2, nowcast_thumb1)))]
    {
        thumb::gru_cell(h, z, r, xh, hh)
    }
    #[cfg(not(all(feature = "asm", any(nowcast_thumb2, nowcast_thumb1))))]
    {
        gru_cell_rust(h, z, r, xh, hh)
    }
}

/// [`gru_cell`] in Rust, the definition.
pub(crate) fn gru_cell_rust(h: &mut [i16], z: &[i32], r: &[i32], xh: &[i32], hh: &[i32]) {
    let n = h.len();
    if [z.len(), r.len(), xh.len(), hh.len()]
        .iter()
        .any(|&l| l < n)
    {
        return;
    }
    for (j, hj) in h.iter_mut().enumerate() {
        let (zq, rq) = (sigmoid(z[j]), sigmoid(r[j]));
        let c = tanh(xh[j].saturating_add(mul_q15(rq, hh[j])));
        *hj = sat16((zq * i32::from(*hj) + (ONE - zq) * c + (1 << 14)) >> 15);
    }
}

/// [`mul_q15`] of two values in `[-2^15, 2^15]` (Q15 gates and `i16` states): the product fits
/// an `i32`, so no 64-bit arithmetic.
#[inline]
pub fn mul_q15_unit(a: i32, b: i32) -> i32 {
    let (a, b) = (a.clamp(-ONE, ONE), b.clamp(-ONE, ONE));
    (a * b + (1 << 14)) >> 15
}

/// `(a · b + 2^14) >> 15` for a Q15 `a`, saturated to `i32`.
#[inline]
pub fn mul_q15(a: i32, b: i32) -> i32 {
    // A gate in [0, 2^15] times a value below 2^16 in magnitude (every GRU candidate in
    // practice): the product and its rounding fit an i32.
    if (0..=ONE).contains(&a) && (-(1 << 16)..1 << 16).contains(&b) {
        return (a * b + (1 << 14)) >> 15;
    }
    ((i64::from(a) * i64::from(b) + (1 << 14)) >> 15)
        .clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;

    #[test]
    fn the_table_is_tanh() {
        for (i, &t) in TANH_Q15.iter().enumerate() {
            let exact = libm::round(libm::tanh(i as f64 / 64.0) * 32768.0);
            assert_eq!(f64::from(t), exact, "entry {i}");
        }
        // The table ends where tanh starts rounding to 1.0 for good.
        let n = TANH_Q15.len();
        assert!(TANH_Q15[n - 2] < 32768 && TANH_Q15[n - 1] == 32768);
    }

    /// The table up to 378 gives what the table up to 512 (x = 8) gave, on every input up to
    /// 2^21 of both resolutions the activations read it at, and at the extremes.
    #[test]
    fn the_short_table_reads_as_the_long_one() {
        let long: std::vec::Vec<i32> = (0..=512)
            .map(|i| libm::round(libm::tanh(f64::from(i) / 64.0) * 32768.0) as i32)
            .collect();
        let long_tanh_at = |v: i32, frac: u32| {
            let shift = frac - 6;
            let a = v.unsigned_abs();
            let i = (a >> shift) as usize;
            let y = if i >= 512 {
                ONE
            } else {
                let f = (a & ((1 << shift) - 1)) as i32;
                long[i] + (((long[i + 1] - long[i]) * f + (1 << (shift - 1))) >> shift)
            };
            if v < 0 { -y } else { y }
        };
        let extremes = [i32::MIN, i32::MIN + 1, i32::MAX];
        for v in (-(1 << 21)..=(1 << 21)).chain(extremes) {
            for frac in [12, 13] {
                assert_eq!(tanh_at(v, frac), long_tanh_at(v, frac), "{v} {frac}");
            }
        }
    }

    #[test]
    fn activations_are_within_their_documented_error() {
        let (mut worst_t, mut worst_s, mut worst_h) = (0f64, 0f64, 0f64);
        for v in -(16 << 12)..=(16 << 12) {
            let x = f64::from(v) / 4096.0;
            let t = f64::from(tanh(v)) - libm::tanh(x) * 32768.0;
            let s = f64::from(sigmoid(v)) - 32768.0 / (1.0 + libm::exp(-x));
            let h = f64::from(hard_sigmoid(v)) - (x / 6.0 + 0.5).clamp(0.0, 1.0) * 32768.0;
            worst_t = worst_t.max(t.abs());
            worst_s = worst_s.max(s.abs());
            worst_h = worst_h.max(h.abs());
        }
        std::println!(
            "max error in 2^-15: tanh {worst_t:.3}, sigmoid {worst_s:.3}, hard sigmoid {worst_h:.3}"
        );
        assert!(
            worst_t <= f64::from(TANH_MAX_ERROR_LSB),
            "tanh off by {worst_t} LSB"
        );
        assert!(
            worst_s <= f64::from(SIGMOID_MAX_ERROR_LSB),
            "sigmoid off by {worst_s} LSB"
        );
        assert!(worst_h <= 0.5 + 1e-9, "hard sigmoid off by {worst_h} LSB");
        // The bounds are tight: a better approximation should lower them.
        assert!(
            worst_t > f64::from(TANH_MAX_ERROR_LSB - 1),
            "tanh error only {worst_t}"
        );
        assert!(tanh(i32::MAX) == ONE && tanh(i32::MIN) == -ONE && sigmoid(i32::MIN) == 0);
    }

    #[test]
    fn hard_sigmoid_equals_its_64_bit_formula() {
        let wide = |v: i32| {
            let n = 4 * i64::from(v);
            let q = (n + if n >= 0 { 1 } else { -1 }) / 3;
            (16384 + q).clamp(0, i64::from(ONE)) as i32
        };
        let edges = [
            i32::MIN,
            i32::MIN + 1,
            -(1 << 20) - 1,
            -12289,
            -12288,
            -12287,
        ];
        let edges = edges.into_iter().chain(edges.map(|v| -(v + 1)));
        for v in (-(1 << 16)..=(1 << 16)).chain(edges).chain([i32::MAX]) {
            assert_eq!(hard_sigmoid(v), wide(v), "{v}");
        }
    }

    #[test]
    fn the_middle_product_is_exact() {
        let mut accs = std::vec![
            0,
            1,
            -1,
            (1 << 30) - 1,
            -(1 << 30) + 1,
            65535,
            -65536,
            65536
        ];
        let mut r = 0x2545_f491_u32;
        for _ in 0..500 {
            let v = xorshift32(&mut r);
            accs.push((v as i32) >> (v % 31));
        }
        for &acc in &accs {
            for m in [0u16, 1, 255, 32768, 40_000, u16::MAX] {
                let exact = (i64::from(acc) * i64::from(m)) >> 17;
                assert_eq!(i64::from(mul_hi17_narrow(acc, m)), exact, "{acc} {m}");
            }
        }
    }

    #[test]
    fn unit_products_equal_the_general_one() {
        for a in [-ONE, -32767, -1, 0, 1, 12345, ONE] {
            for b in [-ONE, -20000, -1, 0, 1, 32767, ONE] {
                assert_eq!(mul_q15_unit(a, b), mul_q15(a, b), "{a} {b}");
            }
        }
        let wide = |a: i32, b: i32| {
            ((i64::from(a) * i64::from(b) + (1 << 14)) >> 15)
                .clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32
        };
        for a in [
            i32::MIN,
            -ONE - 1,
            -ONE,
            -1,
            0,
            1,
            777,
            ONE - 1,
            ONE,
            ONE + 1,
            i32::MAX,
        ] {
            for b in [
                i32::MIN,
                -(1 << 16) - 1,
                -(1 << 16),
                -65535,
                -3,
                0,
                5,
                65535,
                1 << 16,
                i32::MAX,
            ] {
                assert_eq!(mul_q15(a, b), wide(a, b), "{a} {b}");
            }
        }
    }

    #[test]
    fn bias_shifts_equal_rescaling_by_one() {
        for v in [i16::MIN, -32767, -12345, -2, -1, 0, 1, 2, 777, i16::MAX] {
            for s in -15..=40 {
                assert_eq!(shift_i16(v, s), rescale(i64::from(v), 1, s), "{v} {s}");
            }
        }
    }

    /// The 64-bit rescale against the product, rounding and shift in `i128`, over the whole
    /// `i64` range (its extremes and every power of two around them), every mantissa edge and
    /// every shift from -70 to 100.
    #[test]
    fn rescale_equals_its_128_bit_definition() {
        let wide = |acc: i64, m: u16, shift: i32| {
            let p = i128::from(acc) * i128::from(m);
            let r = if shift >= 100 {
                0
            } else if shift > 0 {
                (p + (1i128 << (shift - 1))) >> shift
            } else {
                p << (-shift).min(48)
            };
            r.clamp(i128::from(i32::MIN), i128::from(i32::MAX)) as i32
        };
        let mut accs = std::vec![0i64, 1, -1, i64::MAX, i64::MIN, i64::MIN + 1, i64::MAX - 1];
        for e in 0..63 {
            for d in [-1i64, 0, 1] {
                accs.push((1i64 << e) + d);
                accs.push(-(1i64 << e) + d);
            }
        }
        let mut r = 0x2545_f491_u32;
        for _ in 0..3000 {
            let hi = u64::from(xorshift32(&mut r));
            let v = ((hi << 32) | u64::from(xorshift32(&mut r))) as i64;
            accs.push(v >> (xorshift32(&mut r) % 64));
        }
        for &acc in &accs {
            for m in [
                0u16,
                1,
                2,
                3,
                255,
                32767,
                32768,
                40_000,
                u16::MAX - 1,
                u16::MAX,
            ] {
                for shift in -70..=100 {
                    assert_eq!(
                        rescale(acc, m, shift),
                        wide(acc, m, shift),
                        "{acc} {m} {shift}"
                    );
                }
            }
        }
    }

    #[test]
    fn rescale_rounds_half_up_and_saturates() {
        // m · 2^-shift = 0.5
        assert_eq!(rescale(3, 1 << 14, 15), 2); // 1.5 -> 2
        assert_eq!(rescale(-3, 1 << 14, 15), -1); // -1.5 -> -1
        assert_eq!(rescale(i64::MAX, u16::MAX, 1), i32::MAX);
        assert_eq!(rescale(-5, 3, -2), -60);
        assert_eq!(rescale(1 << 40, 1, 70), 0);
        // Past 2^63 the product is still exact: (2^60 · 65535 + 2^44) >> 45 = 65535 · 2^15.
        assert_eq!(rescale(1 << 60, u16::MAX, 45), 65535 << 15);
        assert_eq!(shift_round(5, 1), 3);
        assert_eq!(shift_round(-5, 1), -2);
        assert_eq!(shift_round(3, -2), 12);
        // Every shift is defined (the debug build does not overflow): 0 far right, saturated
        // far left.
        assert_eq!(shift_round(i32::MIN, 32), 0);
        assert_eq!(shift_round(i32::MAX, i32::MAX), 0);
        assert_eq!(shift_round(-1, i32::MIN), i32::MIN);
        assert_eq!(shift_round(1, -40), i32::MAX);
        assert_eq!(shift_round(0, i32::MIN), 0);
        assert_eq!(sat16(40000), i16::MAX);
    }

    #[test]
    fn four_rows_at_once_are_four_dot_products() {
        let x: [i16; 7] = [i16::MIN, -3, 0, 5, i16::MAX, 100, -7];
        let rows: [[i8; 7]; 4] =
            core::array::from_fn(|r| core::array::from_fn(|i| (r as i8 * 31 - i as i8 * 17) | 1));
        let start = [7, -1 << 20, 0, i32::MAX >> 2];
        let got = dot4(start, &x, rows.as_flattened());
        assert_eq!(dot4(start, &x, &rows.as_flattened()[..27]), start);
        for r in 0..4 {
            assert_eq!(
                i64::from(got[r]),
                i64::from(start[r]) + dot(&x, &rows[r]),
                "row {r}"
            );
        }
    }

    #[test]
    fn long_rows_accumulate_in_i64() {
        let x = [i16::MIN; 600];
        let w = [-127i8; 600];
        assert_eq!(dot(&x, &w), 600 * 32768 * 127);
        assert_eq!(dot(&x[..516], &w[..516]), 516 * 32768 * 127);
    }
}
