//! The arithmetic every layer shares.
//!
//! Weights are in Keras' layout: a kernel for `m` inputs and `n` outputs is `m` rows of `n`
//! values, row-major. `y += x · W` is computed row by row (`y[j] += x[i] * W[i][j]` for
//! `i = 0, 1, ...`), so every output is a sum in increasing `i`, separately multiplied and added
//! (Rust never fuses them): the same bits on every target, while the inner loop over `j` is
//! free to be vectorized.

/// `y += x · W[:, off..off + y.len()]`, where `W` has `x.len()` rows of `stride` values.
///
/// The caller guarantees `w.len() == x.len() * stride` and `off + y.len() <= stride` (checked
/// once at load time); extra rows or columns are never read.
///
/// Rows are taken four at a time: `y[j]` is loaded once, gets `x[i]·W[i][j]` added for the four
/// rows in increasing `i`, and is stored once. That is the very same sequence of roundings as
/// one row at a time (so the result is bit-identical), with a quarter of the loads and stores
/// of `y`.
#[inline]
pub(crate) fn matvec_acc(y: &mut [f32], x: &[f32], w: &[f32], stride: usize, off: usize) {
    let n = y.len();
    let mut rows = w.chunks_exact(stride).map(|row| &row[off..off + n]);
    let mut xs = x.chunks_exact(4);
    for x4 in &mut xs {
        let (Some(r0), Some(r1), Some(r2), Some(r3)) = (rows.next(), rows.next(), rows.next(), rows.next()) else {
            return;
        };
        let (x0, x1, x2, x3) = (x4[0], x4[1], x4[2], x4[3]);
        for ((((yj, &a), &b), &c), &d) in y.iter_mut().zip(r0).zip(r1).zip(r2).zip(r3) {
            let mut acc = *yj;
            acc += x0 * a;
            acc += x1 * b;
            acc += x2 * c;
            acc += x3 * d;
            *yj = acc;
        }
    }
    for (&xi, row) in xs.remainder().iter().zip(rows) {
        for (yj, &wij) in y.iter_mut().zip(row) {
            *yj += xi * wij;
        }
    }
}

/// `y = b + x · W` for a full kernel (`stride == y.len()`).
#[inline]
pub(crate) fn affine(y: &mut [f32], b: &[f32], x: &[f32], w: &[f32]) {
    y.copy_from_slice(b);
    matvec_acc(y, x, w, b.len(), 0);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn affine_by_hand() {
        // x = [1, 2], W = [[1, 2, 3], [4, 5, 6]], b = [0.5, 0, -1]
        let mut y = [0.0; 3];
        affine(
            &mut y,
            &[0.5, 0.0, -1.0],
            &[1.0, 2.0],
            &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
        );
        assert_eq!(y, [9.5, 12.0, 14.0]);
    }

    #[test]
    fn column_block() {
        let mut y = [0.0; 1];
        matvec_acc(&mut y, &[1.0, 2.0], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], 3, 2);
        assert_eq!(y, [15.0]);
    }
}
