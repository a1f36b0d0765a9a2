#!/usr/bin/python3
"""The decimated Gaussian of src/decim.c in numpy (float64), against scipy's gaussian_filter.

It is how decim.c's constants were chosen: the step s = floor(sigma / SIGMA_PER_STEP), the
anti-alias Gaussian's sigma STEP_SIGMA * s and its cut at REACH_SIGMAS of its sigmas. For each
photo and sigma it prints the largest error and the share of 8-bit pixels equal to
round(scipy) (reflect border, truncate 4). The chain per axis, as in decim.c:

    down:   Z(c) = sum_k g(k) x(c s + k)            g: Gaussian of sigma STEP_SIGMA * s
    coarse: V(c) = sum_j K(j) Z(c - j)              K: least squares, see coarse_kernel
    up:     y(n) = sum_c g(n - c s) V(c)            weights normalized per phase n mod s

Usage: tests/fit_decim.py [image ...]   (default: assets/coffee.png; green channel, at most
1200x1200 of it). Needs python3-numpy, python3-scipy, python3-opencv. Not run by make test.
"""
import sys

import cv2
import numpy as np
from scipy import ndimage


def gaussian(sigma, reach):
    k = np.arange(-reach, reach + 1)
    g = np.exp(-k * k / (2 * sigma * sigma))
    return g / g.sum()


def coarse_kernel(sigma, step, anti_sigma, reach):
    """K(-J..J): sum_j K(j) G2(k - j s) ~ the sampled Gaussian cut at R (scipy's kernel),
    G2 the down and up Gaussians together (sigma sqrt(2) * anti_sigma)."""
    cut = int(4 * sigma + 0.5)
    radius = (cut + 3 * step - 1) // step
    j = np.arange(-radius, radius + 1)
    both = np.sqrt(2) * anti_sigma
    span = cut + 2 * reach + step * radius
    k = np.arange(-span, span + 1)
    a = np.exp(-((k[:, None] - j[None, :] * step) ** 2) / (2 * both * both))
    target = np.where(np.abs(k) <= cut, np.exp(-k * k / (2 * sigma * sigma)), 0.0)
    kc, *_ = np.linalg.lstsq(a, target, rcond=None)
    return kc / kc.sum(), radius


def reflect(i, n):
    i = np.mod(i, 2 * n)
    return np.where(i >= n, 2 * n - 1 - i, i)


def along(x, sigma, per_step, step_sigma, reach_sigmas):
    """The chain along axis 0 of x."""
    n = x.shape[0]
    step = int(min(max(np.floor(sigma / per_step), 3), 64))
    anti_sigma = step_sigma * step
    reach = int(np.ceil(reach_sigmas * anti_sigma))
    g = gaussian(anti_sigma, reach)
    kc, radius = coarse_kernel(sigma, step, anti_sigma, reach)
    first = -(reach // step) - radius
    last = (n - 1 + reach) // step + radius
    cells = np.arange(first, last + 1)
    z = sum(g[k + reach] * x[reflect(cells * step + k, n)] for k in range(-reach, reach + 1))
    v = np.zeros_like(z)
    for jj in range(-radius, radius + 1):
        src = np.arange(len(cells)) - jj
        ok = (src >= 0) & (src < len(cells))
        v[ok] += kc[jj + radius] * z[src[ok]]
    y = np.zeros_like(x)
    total = np.zeros(n)
    shape = (-1,) + (1,) * (x.ndim - 1)
    for ci, c in enumerate(cells * step):
        lo, hi = max(c - reach, 0), min(c + reach, n - 1)
        if lo <= hi:
            w = g[np.arange(lo, hi + 1) - c + reach]
            y[lo:hi + 1] += w.reshape(shape) * v[ci]
            total[lo:hi + 1] += w
    return y / total.reshape(shape)


def main():
    paths = sys.argv[1:] or ["assets/coffee.png"]
    settings = [(2.4, 0.8, 4.5), (3.0, 0.8, 4.5), (2.0, 0.8, 4.5), (2.4, 0.75, 4.5)]
    for path in paths:
        img = cv2.imread(path, cv2.IMREAD_COLOR)
        if img is None:
            sys.exit(f"{path}: cannot read")
        img = img[:1200, :1200, 1].astype(np.float64)
        for sigma in (10, 12, 20, 30, 50):
            ref = ndimage.gaussian_filter(img, sigma, mode="reflect", truncate=4.0)
            for per_step, step_sigma, reach_sigmas in settings:
                y = along(along(img, sigma, per_step, step_sigma, reach_sigmas).T, sigma,
                          per_step, step_sigma, reach_sigmas).T
                exact = np.mean(np.round(y) == np.round(ref)) * 100
                print(f"{path} sigma {sigma:3} per_step {per_step} step_sigma {step_sigma} "
                      f"reach {reach_sigmas}: max error {np.abs(y - ref).max():.1e}, "
                      f"{exact:.3f} % exact", flush=True)


if __name__ == "__main__":
    main()
