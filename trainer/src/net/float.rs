//! The element type of training (`f32`) and of the gradient checks (`f64`), and the few matrix
//! helpers every layer uses.
//!
//! Matrices are `ndarray` arrays in standard (row-major) layout; products go through
//! `ndarray`'s `general_mat_mul`, i.e. the `matrixmultiply` GEMM kernels.

use std::fmt::Debug;
use std::iter::Sum;
use std::ops::{AddAssign, MulAssign, SubAssign};

use ndarray::{Array2, ArrayView2, ArrayViewMut2, LinalgScalar, linalg::general_mat_mul};

/// `f32` or `f64`.
pub trait Float:
    num_traits::Float
    + LinalgScalar
    + AddAssign
    + SubAssign
    + MulAssign
    + Sum
    + Send
    + Sync
    + Debug
    + Default
    + 'static
{
    /// Converts from `f64` (rounding for `f32`).
    fn of(x: f64) -> Self;
    /// Converts to `f64`.
    fn to64(self) -> f64;
}

impl Float for f32 {
    fn of(x: f64) -> Self {
        x as f32
    }
    fn to64(self) -> f64 {
        f64::from(self)
    }
}

impl Float for f64 {
    fn of(x: f64) -> Self {
        x
    }
    fn to64(self) -> f64 {
        self
    }
}

/// A row-major view of `data` as `rows × cols`. The caller guarantees the length (layer
/// shapes are checked when the model is built).
pub(crate) fn view<F>(data: &[F], rows: usize, cols: usize) -> ArrayView2<'_, F> {
    ArrayView2::from_shape((rows, cols), data).expect("tensor length matches its layer's shape")
}

/// A mutable row-major view of `data` as `rows × cols`.
pub(crate) fn view_mut<F>(data: &mut [F], rows: usize, cols: usize) -> ArrayViewMut2<'_, F> {
    ArrayViewMut2::from_shape((rows, cols), data).expect("tensor length matches its layer's shape")
}

/// `c += a · b`.
pub(crate) fn mm_acc<F: Float>(
    c: &mut ArrayViewMut2<'_, F>,
    a: &ArrayView2<'_, F>,
    b: &ArrayView2<'_, F>,
) {
    general_mat_mul(F::one(), a, b, F::one(), c);
}

/// `a · b` as a new matrix.
pub(crate) fn mm<F: Float>(a: &ArrayView2<'_, F>, b: &ArrayView2<'_, F>) -> Array2<F> {
    let mut c = Array2::zeros((a.nrows(), b.ncols()));
    general_mat_mul(F::one(), a, b, F::zero(), &mut c);
    c
}

/// Adds the column sums of `a` to `out`.
pub(crate) fn col_sums_acc<F: Float>(out: &mut [F], a: &ArrayView2<'_, F>) {
    for row in a.rows() {
        for (o, &v) in out.iter_mut().zip(row) {
            *o += v;
        }
    }
}

/// Adds `bias` to every row of `a`.
pub(crate) fn add_rows<F: Float>(a: &mut ArrayViewMut2<'_, F>, bias: &[F]) {
    for mut row in a.rows_mut() {
        for (v, &b) in row.iter_mut().zip(bias) {
            *v += b;
        }
    }
}
