#!/usr/bin/python3
"""fit_iir.py — fits the recursive Gaussian of src/iir.c (run by hand; prints the C table).

exp(-x^2/2) for x >= 0 is approximated by three damped cosine pairs,
    sum_j exp(-l_j x) (a_j cos(w_j x) + b_j sin(w_j x)),
least squares on x in [0, 12] (nonlinear in l_j, w_j; the a_j, b_j solved linearly inside).
Sampled at x = n/sigma this is the causal half of a 6th-order recursive filter."""
import numpy as np
from scipy.optimize import least_squares

x = np.linspace(0.0, 12.0, 4001)
g = np.exp(-0.5 * x * x)


def basis(p):
    cols = []
    for j in range(3):
        l, w = p[2 * j], p[2 * j + 1]
        e = np.exp(-l * x)
        cols += [e * np.cos(w * x), e * np.sin(w * x)]
    return np.stack(cols, axis=1)


def resid(p):
    a = basis(p)
    c, *_ = np.linalg.lstsq(a, g, rcond=None)
    return a @ c - g


best = None
for start in ([1.3, 0.6, 1.2, 1.9, 1.0, 3.2], [1.7, 0.4, 1.5, 1.4, 1.2, 2.5],
              [1.0, 0.5, 1.3, 1.6, 1.6, 2.8]):
    r = least_squares(resid, start, xtol=1e-15, ftol=1e-15, gtol=1e-15, max_nfev=20000)
    if best is None or r.cost < best.cost:
        best = r
p = best.x
c, *_ = np.linalg.lstsq(basis(p), g, rcond=None)
print("max abs error %.3g" % np.max(np.abs(resid(p))))
for j in range(3):
    print("    {%.17g, %.17g, %.17g, %.17g}," % (c[2 * j], c[2 * j + 1], p[2 * j], p[2 * j + 1]))
