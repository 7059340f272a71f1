//! The arithmetic every layer shares.
//!
//! Kernels are stored **output-major** in the blob (see [`crate::format`]): row `j` of a
//! kernel holds the weights of output `j` for inputs `0, 1, ...` — Keras' `(in, out)` matrix
//! transposed, so that each output is a dot product over contiguous memory. `y += x · W` is
//! computed as `y[j] = (((y[j] + x[0]·W[0][j]) + x[1]·W[1][j]) + ...)`: every output is a sum in
//! increasing input index, each product rounded and then added (Rust never fuses them), the same
//! bits on every target. Four outputs are computed together so each `x[i]` is loaded once for
//! four multiply-adds; that changes no rounding.
//!
//! An int8 kernel (`i8w`, see [`crate::tensor`]) computes `y[j] += s[j] · Σ_i x[i] · q[j][i]`:
//! the dot product of the exact int8-to-f32 values in increasing input order, then one multiply
//! by the row's scale (itself the exact product `m_j · 2^-exp`) and one add.

use crate::tensor::{Scales, Tensor};

#[cfg(all(feature = "asm", target_arch = "arm", target_abi = "eabihf"))]
mod m4f;

/// `y[j] += Σ_i x[i] · W[first + j][i]` for `j < y.len()`, where `W` is output-major with rows of
/// `x.len()` values; an int8 `W` uses scale `first + j` for row `first + j`.
///
/// The caller guarantees `w` has at least `first + y.len()` rows, and an int8 `w` as many
/// scales (checked once at load time); other rows are never read.
#[inline]
pub(crate) fn matvec_acc(y: &mut [f32], x: &[f32], w: Tensor<'_>, first: usize) {
    match w {
        Tensor::F32(w) => matvec_acc_f32(y, x, w, first),
        Tensor::I8 { values, scales } => matvec_acc_i8(y, x, values, scales, first),
        // Rejected for kernels (blocked ones: outside i8x16 models) at load time.
        Tensor::I16 { .. } | Tensor::U8Blocked { .. } => {}
    }
}

/// The `f32` case of [`matvec_acc`].
#[inline]
pub(crate) fn matvec_acc_f32(y: &mut [f32], x: &[f32], w: &[f32], first: usize) {
    let m = x.len();
    if m == 0 {
        return;
    }
    // The M4F assembly kernel takes the rows in blocks of four; the rest continue below.
    #[cfg(all(feature = "asm", target_arch = "arm", target_abi = "eabihf"))]
    let (y, first) = {
        let n4 = y.len() / 4 * 4;
        let (blocks, rest) = y.split_at_mut(n4);
        if n4 > 0 {
            m4f::matvec4(blocks, None, x, &w[first * m..]);
        }
        (rest, first + n4)
    };
    let mut rows = w.chunks_exact(m).skip(first);
    let mut blocks = y.chunks_exact_mut(4);
    for yb in &mut blocks {
        let (Some(r0), Some(r1), Some(r2), Some(r3)) =
            (rows.next(), rows.next(), rows.next(), rows.next())
        else {
            return;
        };
        let (mut a0, mut a1, mut a2, mut a3) = (yb[0], yb[1], yb[2], yb[3]);
        // Four inputs at a time as fixed-size chunks: consecutive loads the compiler can merge
        // (VLDM on the M4F), no bounds checks. The sums stay in increasing input order.
        let (xc, xr) = x.as_chunks::<4>();
        let (c0, t0) = r0.as_chunks::<4>();
        let (c1, t1) = r1.as_chunks::<4>();
        let (c2, t2) = r2.as_chunks::<4>();
        let (c3, t3) = r3.as_chunks::<4>();
        for ((((xs, w0), w1), w2), w3) in xc.iter().zip(c0).zip(c1).zip(c2).zip(c3) {
            for k in 0..4 {
                a0 += xs[k] * w0[k];
                a1 += xs[k] * w1[k];
                a2 += xs[k] * w2[k];
                a3 += xs[k] * w3[k];
            }
        }
        for ((((&xi, &w0), &w1), &w2), &w3) in xr.iter().zip(t0).zip(t1).zip(t2).zip(t3) {
            a0 += xi * w0;
            a1 += xi * w1;
            a2 += xi * w2;
            a3 += xi * w3;
        }
        yb[0] = a0;
        yb[1] = a1;
        yb[2] = a2;
        yb[3] = a3;
    }
    for (yj, row) in blocks.into_remainder().iter_mut().zip(rows) {
        let mut acc = *yj;
        for (&xi, &wi) in x.iter().zip(row) {
            acc += xi * wi;
        }
        *yj = acc;
    }
}

/// The int8 case of [`matvec_acc`]: `y[j] += s[first + j] · Σ_i x[i] · q[first + j][i]`.
#[inline]
pub(crate) fn matvec_acc_i8(y: &mut [f32], x: &[f32], q: &[i8], scales: Scales<'_>, first: usize) {
    let m = x.len();
    if m == 0 {
        return;
    }
    let unit = scales.unit();
    let scales = scales.mantissas.get(first..).unwrap_or(&[]);
    let tail = scales.get(y.len() / 4 * 4..).unwrap_or(&[]);
    let mut rows = q.chunks_exact(m).skip(first);
    let mut ys = y.chunks_exact_mut(4);
    let mut ss = scales.chunks_exact(4);
    for (yb, sb) in (&mut ys).zip(&mut ss) {
        let (Some(r0), Some(r1), Some(r2), Some(r3)) =
            (rows.next(), rows.next(), rows.next(), rows.next())
        else {
            return;
        };
        let (mut a0, mut a1, mut a2, mut a3) = (0.0f32, 0.0f32, 0.0f32, 0.0f32);
        for ((((&xi, &w0), &w1), &w2), &w3) in x.iter().zip(r0).zip(r1).zip(r2).zip(r3) {
            a0 += xi * f32::from(w0);
            a1 += xi * f32::from(w1);
            a2 += xi * f32::from(w2);
            a3 += xi * f32::from(w3);
        }
        yb[0] += f32::from(sb[0]) * unit * a0;
        yb[1] += f32::from(sb[1]) * unit * a1;
        yb[2] += f32::from(sb[2]) * unit * a2;
        yb[3] += f32::from(sb[3]) * unit * a3;
    }
    for ((yj, row), &s) in ys.into_remainder().iter_mut().zip(rows).zip(tail) {
        let mut acc = 0.0f32;
        for (&xi, &wi) in x.iter().zip(row) {
            acc += xi * f32::from(wi);
        }
        *yj += f32::from(s) * unit * acc;
    }
}

/// `y = b[b_first..] + x · W` for an output-major kernel of `y.len()` rows and a bias (`f32` or
/// int16) read from `b_first` on.
#[inline]
pub(crate) fn affine(y: &mut [f32], b: Tensor<'_>, b_first: usize, x: &[f32], w: Tensor<'_>) {
    // The M4F assembly kernel starts its sums from the bias itself instead of a copy in `y`.
    #[cfg(all(feature = "asm", target_arch = "arm", target_abi = "eabihf"))]
    if let (Tensor::F32(b), Tensor::F32(w)) = (b, w) {
        let (rows, n4) = (y.len(), y.len() / 4 * 4);
        if n4 > 0 && !x.is_empty() {
            let (blocks, rest) = y.split_at_mut(n4);
            m4f::matvec4(blocks, Some(&b[b_first..]), x, w);
            rest.copy_from_slice(&b[b_first + n4..b_first + rows]);
            matvec_acc_f32(rest, x, w, n4);
            return;
        }
    }
    b.load(y, b_first);
    matvec_acc(y, x, w, 0);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn affine_by_hand() {
        // x = [1, 2], Keras W = [[1, 2, 3], [4, 5, 6]] (stored transposed), b = [0.5, 0, -1]
        let mut y = [0.0; 3];
        affine(
            &mut y,
            Tensor::F32(&[0.5, 0.0, -1.0]),
            0,
            &[1.0, 2.0],
            Tensor::F32(&[1.0, 4.0, 2.0, 5.0, 3.0, 6.0]),
        );
        assert_eq!(y, [9.5, 12.0, 14.0]);
    }

    #[test]
    fn row_block() {
        // Output 2 only: 1·3 + 2·6.
        let mut y = [0.0; 1];
        matvec_acc_f32(&mut y, &[1.0, 2.0], &[1.0, 4.0, 2.0, 5.0, 3.0, 6.0], 2);
        assert_eq!(y, [15.0]);
    }

    #[test]
    fn int8_rows_by_hand() {
        // Rows [1, -2] with scale 0.5 and [3, 4] with scale 0.25, from row 1 of three.
        let q = [9, 9, 1, -2, 3, 4];
        let mut y = [1.0, 2.0];
        let scales = Scales {
            mantissas: &[7, 2, 1],
            exp: 2,
        };
        matvec_acc_i8(&mut y, &[2.0, 1.0], &q, scales, 1);
        // 1 + 0.5 · (2 - 2) = 1; 2 + 0.25 · (6 + 4) = 4.5
        assert_eq!(y, [1.0, 4.5]);
    }

    #[test]
    fn int8_blocks_and_remainder_agree_with_the_definition() {
        let x = [0.5, -1.25, 2.0];
        let q: [i8; 21] = core::array::from_fn(|k| ((k * 37 % 255) as i32 - 127) as i8);
        let m: [u16; 7] = core::array::from_fn(|j| 1000 * (j as u16 + 1));
        let scales = Scales {
            mantissas: &m,
            exp: 20,
        };
        let mut y = [0.1; 7];
        matvec_acc(&mut y, &x, Tensor::I8 { values: &q, scales }, 0);
        for (j, &yj) in y.iter().enumerate() {
            let mut acc = 0.0f32;
            for (i, &xi) in x.iter().enumerate() {
                acc += xi * f32::from(q[j * 3 + i]);
            }
            let s = f32::from(m[j]) / (1 << 20) as f32;
            assert_eq!(yj.to_bits(), (0.1 + s * acc).to_bits(), "output {j}");
        }
    }

    #[test]
    fn blocks_of_four_and_remainder_agree_with_the_definition() {
        let x = [0.5, -1.25, 2.0];
        let w: [f32; 18] = core::array::from_fn(|k| (k as f32 * 0.37).sin());
        let mut y = [0.1; 6];
        matvec_acc_f32(&mut y, &x, &w, 0);
        for (j, &yj) in y.iter().enumerate() {
            let mut acc = 0.1f32;
            for (i, &xi) in x.iter().enumerate() {
                acc += xi * w[j * 3 + i];
            }
            assert_eq!(yj.to_bits(), acc.to_bits(), "output {j}");
        }
    }
}
