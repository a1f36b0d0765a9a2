#!/usr/bin/python3
"""bench_rbf.py X.npy GAMMA REPEATS OUT.npy — the numpy/scipy peer of tests/bench/bench_rbf.c.

Times K = exp(-gamma * cdist(X, X, 'sqeuclidean')), the usual way to get the Gaussian kernel
matrix without a Python loop, prints the best time in seconds on one line, and saves K so the
C side can compare values. Run by bench_rbf.c in the same run as ours; not a test."""
import sys
import time

import numpy as np
from scipy.spatial.distance import cdist


def main():
    x = np.load(sys.argv[1])
    gamma = float(sys.argv[2])
    repeats = int(sys.argv[3])
    best = float("inf")
    k = None
    for _ in range(repeats):
        k = None  # free the previous result first, as the C side does
        t = time.perf_counter()
        k = np.exp(-gamma * cdist(x, x, "sqeuclidean"))
        best = min(best, time.perf_counter() - t)
    np.save(sys.argv[4], k)
    print(f"{best:.6f}")


if __name__ == "__main__":
    main()
