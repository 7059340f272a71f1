//! Activation functions, with Keras' definitions.
//!
//! | activation | definition |
//! |---|---|
//! | `Linear` | `x` |
//! | `Relu` | `max(x, 0)` |
//! | `Tanh` | `tanh(x)` |
//! | `Sigmoid` | `1 / (1 + exp(-x))` |
//! | `Softmax` | `exp(x_i - max x) / Σ exp(x_j - max x)` over the whole vector (Dense, Conv1D only) |
//! | `HardSigmoid` | `clamp(x / 6 + 1/2, 0, 1)` (Keras 3's `relu6(x + 3) / 6`) |
//!
//! `exp` and `tanh` are this module's own f32 polynomials: only `+ - * /`, which round the same
//! on every IEEE target and which Rust never fuses, so results are the same bits on a host and on
//! a Cortex-M. Measured against `f64` references (tests below, and `tools/fit/activations.py`,
//! which fitted them): `exp` within 1 ulp, `tanh` within 1.5 ulp, `sigmoid` within 2.5 ulp —
//! as close as `libm`'s `expf`/`tanhf`, in about half the instructions on the M4F.
//! With the `fast-math` feature they come from `micromath` (exp within about 0.05% relative
//! error): faster on FPU-less cores, also deterministic everywhere, but no longer within
//! Keras-parity tolerances.

use serde::{Deserialize, Serialize};

/// An activation function (format tags: Linear 0, Relu 1, Tanh 2, Sigmoid 3, Softmax 4,
/// HardSigmoid 5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Activation {
    /// Identity.
    Linear,
    /// Rectified linear unit.
    Relu,
    /// Hyperbolic tangent.
    Tanh,
    /// Logistic sigmoid.
    Sigmoid,
    /// Softmax over the layer's output vector.
    Softmax,
    /// Keras 3 hard sigmoid.
    HardSigmoid,
}

impl Activation {
    /// Whether the activation acts on each element alone (all but softmax).
    pub const fn is_elementwise(self) -> bool {
        !matches!(self, Activation::Softmax)
    }

    /// Applies the activation to one value (softmax is treated as linear here: use
    /// [`apply`](Self::apply) for vectors).
    #[inline]
    pub fn scalar(self, x: f32) -> f32 {
        match self {
            Activation::Linear | Activation::Softmax => x,
            Activation::Relu => {
                if x > 0.0 {
                    x
                } else {
                    0.0
                }
            }
            Activation::Tanh => tanh(x),
            Activation::Sigmoid => sigmoid(x),
            Activation::HardSigmoid => (x / 6.0 + 0.5).clamp(0.0, 1.0),
        }
    }

    /// Applies the activation in place to a layer's output vector.
    pub fn apply(self, v: &mut [f32]) {
        match self {
            Activation::Linear => {}
            #[cfg(feature = "softmax")]
            Activation::Softmax => softmax(v),
            // One loop per function, each inlined.
            Activation::Tanh => v.iter_mut().for_each(|x| *x = tanh(*x)),
            Activation::Sigmoid => v.iter_mut().for_each(|x| *x = sigmoid(*x)),
            _ => v.iter_mut().for_each(|x| *x = self.scalar(*x)),
        }
    }
}

/// `1 / (1 + exp(-x))`.
#[inline]
pub fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + exp(-x))
}

/// Hyperbolic tangent.
#[inline]
pub fn tanh(x: f32) -> f32 {
    #[cfg(not(feature = "fast-math"))]
    {
        let a = x.abs();
        if a < TANH_EDGE {
            // x + x^3 s(x^2): no cancellation near 0.
            let t = x * x;
            let s = TANH_S[0] + t * (TANH_S[1] + t * (TANH_S[2] + t * (TANH_S[3] + t * TANH_S[4])));
            s * (x * t) + x
        } else {
            // 1 - 2 / (e^2a + 1) is at least 0.5 here, so the subtraction loses nothing; it is
            // exactly 1 once e^2a overflows, and NaN stays NaN.
            (1.0 - 2.0 / (exp(2.0 * a) + 1.0)).copysign(x)
        }
    }
    #[cfg(feature = "fast-math")]
    {
        // tanh(x) = 1 - 2 / (exp(2x) + 1); exact limits ±1 for large |x|.
        1.0 - 2.0 / (exp(2.0 * x) + 1.0)
    }
}

/// Natural exponential.
#[inline]
pub fn exp(x: f32) -> f32 {
    #[cfg(not(feature = "fast-math"))]
    {
        if x > EXP_MAX {
            return f32::INFINITY;
        }
        if x < EXP_MIN {
            return 0.0;
        }
        // x = k ln2 + r with |r| <= ln2/2 (k rounded by the 1.5 * 2^23 trick; ln2 in two parts,
        // so k * LN2_HI is exact), e^r = 1 + r + r^2 q(r), then scaled by 2^k. NaN passes through.
        let kf = (x * core::f32::consts::LOG2_E + ROUND) - ROUND;
        let r = (x - kf * LN2_HI) - kf * LN2_LO;
        let q = EXP_Q[0] + r * (EXP_Q[1] + r * (EXP_Q[2] + r * (EXP_Q[3] + r * EXP_Q[4])));
        let p = (q * (r * r) + r) + 1.0;
        let k = kf as i32;
        if k > 127 {
            // e^x just below f32::MAX: 2^128 itself is not an f32.
            p * 2.0 * pow2(k - 1)
        } else if k < -126 {
            // A subnormal result: one rounding, in the last multiply.
            p * pow2(k + 64) * pow2(-64)
        } else {
            p * pow2(k)
        }
    }
    #[cfg(feature = "fast-math")]
    {
        if x > 88.0 {
            f32::INFINITY
        } else if x < -87.0 {
            0.0
        } else {
            micromath::F32Ext::exp(x)
        }
    }
}

/// Above this, `e^x` overflows f32 (`ln(f32::MAX)`, rounded down).
#[cfg(not(feature = "fast-math"))]
const EXP_MAX: f32 = 88.722_83;
/// Below this, `e^x` rounds to zero (`ln(2^-150)`).
#[cfg(not(feature = "fast-math"))]
const EXP_MIN: f32 = -103.972_08;
/// `1.5 · 2^23`: adding and subtracting it rounds an f32 of magnitude below 2^22 to an integer.
#[cfg(not(feature = "fast-math"))]
const ROUND: f32 = 12_582_912.0;
/// `ln 2` to 15 significant bits, and the rest.
#[cfg(not(feature = "fast-math"))]
const LN2_HI: f32 = 0.693_145_75;
#[cfg(not(feature = "fast-math"))]
const LN2_LO: f32 = 1.428_606_8e-6;
/// `q(r)` of `e^r = 1 + r + r^2 q(r)` on `[-ln2/2, ln2/2]` (`tools/fit/activations.py`).
#[cfg(not(feature = "fast-math"))]
const EXP_Q: [f32; 5] = [
    0.499_999_88,
    0.166_665_18,
    0.041_669_533,
    0.008_368_921,
    0.001_375_138_9,
];
/// Below this `|x|`, `tanh(x) = x + x^3 s(x^2)`; above, it is computed from `e^2|x|`.
#[cfg(not(feature = "fast-math"))]
const TANH_EDGE: f32 = 0.625;
/// `s(t)` (`tools/fit/activations.py`).
#[cfg(not(feature = "fast-math"))]
const TANH_S: [f32; 5] = [
    -0.333_332_87,
    0.133_315_13,
    -0.053_744_663,
    0.020_653_142,
    -0.005_718_979,
];

/// `2^k` for `-126 <= k <= 127`, built from its exponent bits.
#[cfg(not(feature = "fast-math"))]
#[inline]
fn pow2(k: i32) -> f32 {
    f32::from_bits(((k + 127) as u32) << 23)
}

/// Whether this build has the activation: softmax needs the `softmax` feature (the loader
/// refuses its blobs without).
pub(crate) fn check_built(act: Activation) -> Result<(), crate::error::Problem> {
    if act == Activation::Softmax && !cfg!(feature = "softmax") {
        return Err(crate::error::Problem::ActivationNotBuilt);
    }
    Ok(())
}

/// Softmax in place, with Keras' max subtraction for range safety.
fn softmax(v: &mut [f32]) {
    let max = v.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for x in v.iter_mut() {
        *x = exp(*x - max);
        sum += *x;
    }
    for x in v.iter_mut() {
        *x /= sum;
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;

    const EXACT: f32 = 1e-6;
    /// How far `tanh`/`sigmoid` may be from the true value: libm is within an ulp or two;
    /// `fast-math` (micromath's exp, about 0.04% relative error) within 1e-3.
    const TRANSCENDENTAL: f32 = if cfg!(feature = "fast-math") {
        1e-3
    } else {
        1e-6
    };

    #[test]
    fn hand_checked_values() {
        assert_eq!(Activation::Relu.scalar(-2.0), 0.0);
        assert_eq!(Activation::Relu.scalar(1.5), 1.5);
        assert!((Activation::Sigmoid.scalar(0.0) - 0.5).abs() < TRANSCENDENTAL);
        assert!((Activation::Sigmoid.scalar(1.5) - 0.817_574_5).abs() < TRANSCENDENTAL);
        assert!((Activation::Tanh.scalar(2.0) - 0.964_027_6).abs() < TRANSCENDENTAL);
        assert!((Activation::Tanh.scalar(-0.3) + 0.291_312_6).abs() < TRANSCENDENTAL);
        assert_eq!(Activation::HardSigmoid.scalar(-4.0), 0.0);
        assert_eq!(Activation::HardSigmoid.scalar(4.0), 1.0);
        assert!((Activation::HardSigmoid.scalar(1.5) - 0.75).abs() < EXACT);
        let mut v = [1.0, 2.0, 3.0];
        Activation::Softmax.apply(&mut v);
        // exp(-2), exp(-1), 1 over their sum.
        let s = 0.135_335_28 + 0.367_879_44 + 1.0;
        assert!((v[0] - 0.135_335_28 / s).abs() < TRANSCENDENTAL);
        assert!((v[2] - 1.0 / s).abs() < TRANSCENDENTAL);
    }

    /// `|got - want|` in units of the f32 spacing at `want`.
    #[cfg(not(feature = "fast-math"))]
    fn ulps(got: f32, want: f64) -> f64 {
        let w = (want as f32).abs();
        let spacing = f64::from(f32::from_bits(w.to_bits() + 1) - w);
        (f64::from(got) - want).abs() / spacing
    }

    /// The worst error in ulps of `f` against `reference` over `n + 1` evenly spread points of
    /// `[lo, hi]`, and where it is.
    #[cfg(not(feature = "fast-math"))]
    fn worst(f: fn(f32) -> f32, reference: fn(f64) -> f64, lo: f32, hi: f32, n: u32) -> (f64, f32) {
        (0..=n)
            .map(|i| {
                let x = lo + (hi - lo) * (i as f32 / n as f32);
                (ulps(f(x), reference(f64::from(x))), x)
            })
            .fold((0.0, lo), |a, b| if b.0 > a.0 { b } else { a })
    }

    #[cfg(not(feature = "fast-math"))]
    #[test]
    fn polynomials_are_within_their_ulp_bounds() {
        let sig = |x: f64| 1.0 / (1.0 + libm::exp(-x));
        /// Name, function, reference, range, bound in ulps.
        type Case = (&'static str, fn(f32) -> f32, fn(f64) -> f64, f32, f32, f64);
        let cases: [Case; 5] = [
            ("exp", exp, libm::exp, -103.9, 88.72, 1.0),
            ("exp near 0", exp, libm::exp, -1.0, 1.0, 1.0),
            ("tanh", tanh, libm::tanh, -12.0, 12.0, 1.5),
            ("tanh near 0", tanh, libm::tanh, -0.7, 0.7, 1.5),
            ("sigmoid", sigmoid, sig, -87.0, 40.0, 2.5),
        ];
        for (name, f, reference, lo, hi, bound) in cases {
            let (err, at) = worst(f, reference, lo, hi, 400_000);
            std::println!("{name}: worst {err:.3} ulp at {at}");
            assert!(err <= bound, "{name}: {err} ulp at {at}");
        }
    }

    #[cfg(not(feature = "fast-math"))]
    #[test]
    fn exp_and_tanh_edges() {
        assert_eq!(exp(0.0), 1.0);
        assert_eq!(exp(EXP_MAX + 0.001), f32::INFINITY);
        assert!(exp(EXP_MAX).is_finite() && exp(EXP_MAX) > 1e38);
        assert!(exp(f32::from_bits(EXP_MAX.to_bits() + 1)).is_infinite());
        assert_eq!(exp(-104.0), 0.0);
        // Subnormal results, and the smallest one.
        assert!(ulps(exp(-95.0), libm::exp(-95.0)) <= 1.0);
        assert!(exp(-103.9) > 0.0);
        assert!(exp(f32::NAN).is_nan() && tanh(f32::NAN).is_nan() && sigmoid(f32::NAN).is_nan());
        assert_eq!(exp(f32::NEG_INFINITY), 0.0);
        assert_eq!(tanh(f32::INFINITY), 1.0);
        assert_eq!(tanh(-1e-30), -1e-30);
        assert_eq!(tanh(-TANH_EDGE), -tanh(TANH_EDGE));
    }

    #[test]
    fn sigmoid_saturates_without_nan() {
        assert_eq!(sigmoid(-200.0), 0.0);
        assert_eq!(sigmoid(200.0), 1.0);
        assert!(tanh(50.0) <= 1.0 && tanh(-50.0) >= -1.0);
    }
}
