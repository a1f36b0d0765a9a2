#!/usr/bin/python3
"""bench_opencv.py — times cv2.GaussianBlur for tests/bench/bench.c in the same run.

Usage: bench_opencv.py RAW WIDTH HEIGHT CHANNELS SIGMA:KSIZE:THREADS:RUNS...
RAW holds the 8-bit image, rows of WIDTH*CHANNELS bytes. Prints one line per spec: the median
milliseconds of RUNS calls, the destination buffer reused (no page faults in the figure)."""
import sys
import time

import cv2
import numpy as np


def main():
    raw, w, h, c = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    img = np.fromfile(raw, dtype=np.uint8).reshape((h, w, c) if c > 1 else (h, w))
    dst = np.empty_like(img)
    for spec in sys.argv[5:]:
        sigma, ksize, threads, runs = spec.split(":")
        sigma, ksize, threads, runs = float(sigma), int(ksize), int(threads), int(runs)
        cv2.setNumThreads(threads)
        cv2.GaussianBlur(img, (ksize, ksize), sigma, dst=dst, borderType=cv2.BORDER_REFLECT)
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            cv2.GaussianBlur(img, (ksize, ksize), sigma, dst=dst, borderType=cv2.BORDER_REFLECT)
            times.append((time.perf_counter() - t0) * 1000.0)
        times.sort()
        print("%.3f" % times[len(times) // 2], flush=True)


if __name__ == "__main__":
    main()
