"""Voxel-based first-order features (numba, CPU).

For each ROI voxel, the intensities of the kernel box voxels inside ``msk`` (pyradiomics'
``targetVoxelArray`` without its NaNs) are sorted once; every feature follows pyradiomics 3.0.1's
voxel formulas: nan-aware moments, numpy's linear percentiles, and Entropy / Uniformity from the
histogram of the globally discretised levels in the kernel.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .voxel_common import kernel_box

FIRSTORDER_COLUMNS = ("Energy", "TotalEnergy", "Entropy", "Minimum", "10Percentile",
                      "90Percentile", "Maximum", "Mean", "Median", "InterquartileRange", "Range",
                      "MeanAbsoluteDeviation", "RobustMeanAbsoluteDeviation", "RootMeanSquared",
                      "StandardDeviation", "Skewness", "Kurtosis", "Variance", "Uniformity")
_NF = 19


@njit(cache=True, inline="always")
def _percentile(a, n, p):
    """numpy's default (linear) percentile of the sorted a[:n]."""
    pos = p / 100.0 * (n - 1)
    lo = int(math.floor(pos))
    hi = lo + 1 if lo + 1 < n else n - 1
    t = pos - lo
    d = a[hi] - a[lo]
    # numpy's _lerp: a + d t, computed from the upper end for t >= 0.5
    return a[hi] - d * (1.0 - t) if t >= 0.5 else a[lo] + d * t


@njit(cache=True)
def _sort_small(a, n):
    for i in range(1, n):
        v = a[i]
        j = i - 1
        while j >= 0 and a[j] > v:
            a[j + 1] = a[j]
            j -= 1
        a[j + 1] = v


@njit(cache=True, nogil=True)
def voxel_firstorder(img, q, msk, centers, R, f2d, Ng, shift, voxel_volume, eps, cap, start,
                     stop, out):
    """Fill ``out[v, :]`` (FIRSTORDER_COLUMNS) for every voxel ``centers[v]``.

    img : float64 (Z, Y, X) intensities; q : int32 (Z, Y, X) levels 1..Ng inside ``msk``;
    msk : bool; centers : int64 (N, 3); R, f2d : kernel radius and force2D axis (-1: none);
    shift : voxelArrayShift; voxel_volume : mm^3 (TotalEnergy); cap : most voxels in a box.
    """
    Z, Y, X = img.shape
    vals = np.zeros(cap)
    hist = np.zeros(Ng + 1)
    used = np.zeros(cap, np.int64)
    bb = np.zeros(6, np.int64)
    for v in range(start, stop):
        kernel_box(centers[v, 0], centers[v, 1], centers[v, 2], R, f2d, Z, Y, X, bb)
        n = 0
        nu = 0
        for z in range(bb[0], bb[3] + 1):
            for y in range(bb[1], bb[4] + 1):
                for x in range(bb[2], bb[5] + 1):
                    if msk[z, y, x]:
                        vals[n] = img[z, y, x]
                        n += 1
                        g = q[z, y, x]
                        if hist[g] == 0.0:
                            used[nu] = g
                            nu += 1
                        hist[g] += 1.0
        _sort_small(vals, n)
        s = 0.0
        e = 0.0
        for i in range(n):
            s += vals[i]
            xs = vals[i] + shift
            e += xs * xs
        mean = s / n
        m2 = 0.0
        m3 = 0.0
        m4 = 0.0
        mad = 0.0
        for i in range(n):
            d = vals[i] - mean
            d2 = d * d
            m2 += d2
            m3 += d2 * d
            m4 += d2 * d2
            mad += abs(d)
        m2 /= n
        m3 /= n
        m4 /= n
        mad /= n
        p10 = _percentile(vals, n, 10.0)
        p90 = _percentile(vals, n, 90.0)
        p25 = _percentile(vals, n, 25.0)
        p75 = _percentile(vals, n, 75.0)
        med = _percentile(vals, n, 50.0)
        rs = 0.0
        rn = 0
        for i in range(n):
            if vals[i] >= p10 and vals[i] <= p90:
                rs += vals[i]
                rn += 1
        rmean = rs / rn if rn > 0 else np.nan
        rmad = 0.0
        for i in range(n):
            if vals[i] >= p10 and vals[i] <= p90:
                rmad += abs(vals[i] - rmean)
        rmad = rmad / rn if rn > 0 else np.nan
        ent = 0.0
        uni = 0.0
        for t in range(nu):
            g = used[t]
            p = hist[g] / n
            ent -= p * math.log2(p + eps)
            uni += p * p
            hist[g] = 0.0
        out[v, 0] = e
        out[v, 1] = e * voxel_volume
        out[v, 2] = ent
        out[v, 3] = vals[0]
        out[v, 4] = p10
        out[v, 5] = p90
        out[v, 6] = vals[n - 1]
        out[v, 7] = mean
        out[v, 8] = med
        out[v, 9] = p75 - p25
        out[v, 10] = vals[n - 1] - vals[0]
        out[v, 11] = mad
        out[v, 12] = rmad
        out[v, 13] = math.sqrt(e / n)
        out[v, 14] = math.sqrt(m2)
        if m2 == 0.0:
            out[v, 15] = 0.0
            out[v, 16] = 0.0
        else:
            out[v, 15] = m3 / m2 ** 1.5
            out[v, 16] = m4 / (m2 * m2)
        out[v, 17] = m2
        out[v, 18] = uni
