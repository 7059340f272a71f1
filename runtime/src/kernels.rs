//! The arithmetic every layer shares.
//!
//! Kernels are stored **output-major** in the blob (see [`crate::format`]): row `j` of a
//! kernel holds the weights of output `j` for inputs `0, 1, ...` — Keras' `(in, out)` matrix
//! transposed, so that each output is a dot product over contiguous memory. `y += x · W` is
//! computed as `y[j] = (((y[j] + x[0]·W[0][j]) + x[1]·W[1][j]) + ...)`: every output is a sum in
//! increasing input index, each product rounded and then added (Rust never fuses them), the same
//! bits on every target. Four outputs are computed together so each `x[i]` is loaded once for
//! four multiply-adds; that changes no rounding.

/// `y[j] += Σ_i x[i] · W[first + j][i]` for `j < y.len()`, where `W` is output-major with rows of
/// `x.len()` values.
///
/// The caller guarantees `w` has at least `first + y.len()` rows (checked once at load time);
/// other rows are never read.
#[inline]
pub(crate) fn matvec_acc(y: &mut [f32], x: &[f32], w: &[f32], first: usize) {
    let m = x.len();
    if m == 0 {
        return;
    }
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

/// `y = b + x · W` for an output-major kernel of `y.len()` rows.
#[inline]
pub(crate) fn affine(y: &mut [f32], b: &[f32], x: &[f32], w: &[f32]) {
    y.copy_from_slice(b);
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
            &[0.5, 0.0, -1.0],
            &[1.0, 2.0],
            &[1.0, 4.0, 2.0, 5.0, 3.0, 6.0],
        );
        assert_eq!(y, [9.5, 12.0, 14.0]);
    }

    #[test]
    fn row_block() {
        // Output 2 only: 1·3 + 2·6.
        let mut y = [0.0; 1];
        matvec_acc(&mut y, &[1.0, 2.0], &[1.0, 4.0, 2.0, 5.0, 3.0, 6.0], 2);
        assert_eq!(y, [15.0]);
    }

    #[test]
    fn blocks_of_four_and_remainder_agree_with_the_definition() {
        let x = [0.5, -1.25, 2.0];
        let w: [f32; 18] = core::array::from_fn(|k| (k as f32 * 0.37).sin());
        let mut y = [0.1; 6];
        matvec_acc(&mut y, &x, &w, 0);
        for (j, &yj) in y.iter().enumerate() {
            let mut acc = 0.1f32;
            for (i, &xi) in x.iter().enumerate() {
                acc += xi * w[j * 3 + i];
            }
            assert_eq!(yj.to_bits(), acc.to_bits(), "output {j}");
        }
    }
}
