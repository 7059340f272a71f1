"""Fits the polynomials of nowcast-runtime's f32 `exp` and small-|x| `tanh` (runtime/src/activation.rs).

Weighted least squares on Chebyshev nodes (close to minimax in relative error), coefficients
rounded to f32, then every candidate is evaluated exactly as the runtime does: f32 Horner, each
product rounded and then added. Prints the coefficients and the worst error in ulps over a dense
grid. Run: python3 tools/fit/activations.py (numpy only; CI does not run it).
"""
import numpy as np

f32 = np.float32
LN2_HI = f32(0.693145751953125)  # 12 significant bits: k * LN2_HI is exact for |k| < 2^12
LN2_LO = f32(np.float64(np.log(2.0)) - np.float64(LN2_HI))
LOG2E = f32(1.4426950408889634)
MAGIC = f32(12582912.0)  # 1.5 * 2^23: adding it rounds to an integer


def cheb(a, b, n):
    k = np.arange(n)
    return (a + b) / 2 + (b - a) / 2 * np.cos(np.pi * (k + 0.5) / n)


def horner(coeffs, t):
    acc = f32(coeffs[-1]) * np.ones_like(t, dtype=f32)
    for c in coeffs[-2::-1]:
        acc = (acc * t).astype(f32) + f32(c)
        acc = acc.astype(f32)
    return acc


def ulps(got, want):
    got = got.astype(np.float64)
    spacing = np.spacing(np.abs(want).astype(f32)).astype(np.float64)
    return np.abs(got - want) / spacing


def fit_exp(degree):
    # p(r) = 1 + r + r^2 q(r) on [-ln2/2, ln2/2], fitted in relative error.
    r = cheb(-0.3466, 0.3466, 4000)
    target = (np.exp(r) - 1 - r) / r**2
    w = r**2 / np.exp(r)
    A = np.vander(r, degree + 1, increasing=True) * w[:, None]
    c = np.linalg.lstsq(A, target * w, rcond=None)[0]
    return [f32(v) for v in c]


def exp32(x, q):
    kf = ((x * LOG2E).astype(f32) + MAGIC).astype(f32) - MAGIC
    kf = kf.astype(f32)
    r = (x - (kf * LN2_HI).astype(f32)).astype(f32)
    r = (r - (kf * LN2_LO).astype(f32)).astype(f32)
    r2 = (r * r).astype(f32)
    p = (horner(q, r) * r2).astype(f32)
    p = ((p + r).astype(f32) + f32(1.0)).astype(f32)
    return (p.astype(np.float64) * np.exp2(kf.astype(np.float64))).astype(f32)


def fit_tanh(degree, edge):
    # tanh(x) = x + x^3 s(x^2) on [0, edge], relative error.
    x = cheb(1e-4, edge, 4000)
    t = x * x
    target = (np.tanh(x) - x) / x**3
    w = x**3 / np.tanh(x)
    A = np.vander(t, degree + 1, increasing=True) * w[:, None]
    c = np.linalg.lstsq(A, target * w, rcond=None)[0]
    return [f32(v) for v in c]


def tanh_small(x, s):
    t = (x * x).astype(f32)
    x3 = (x * t).astype(f32)
    return ((horner(s, t) * x3).astype(f32) + x).astype(f32)


def tanh_large(x, q):
    e = exp32((f32(2.0) * x).astype(f32), q)
    return (f32(1.0) - (f32(2.0) / (e + f32(1.0)).astype(f32)).astype(f32)).astype(f32)


def main():
    xs = np.linspace(-87.0, 88.0, 2_000_001).astype(f32)
    for d in (3, 4, 5):
        q = fit_exp(d)
        err = ulps(exp32(xs, q), np.exp(xs.astype(np.float64)))
        print(f"exp degree {d + 2}: q = {[float(v) for v in q]}, max {err.max():.2f} ulp")
    q = fit_exp(4)
    edge = 0.625
    ts = np.linspace(0.0, edge, 1_000_001).astype(f32)[1:]
    tl = np.linspace(edge, 10.0, 1_000_001).astype(f32)
    print(f"tanh large [{edge}, 10]: max {ulps(tanh_large(tl, q), np.tanh(tl.astype(np.float64))).max():.2f} ulp")
    for d in (3, 4, 5):
        s = fit_tanh(d, edge)
        err = ulps(tanh_small(ts, s), np.tanh(ts.astype(np.float64)))
        print(f"tanh small degree {2 * d + 3}: s = {[float(v) for v in s]}, max {err.max():.2f} ulp")


if __name__ == "__main__":
    main()
