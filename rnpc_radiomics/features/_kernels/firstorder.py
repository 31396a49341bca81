"""First-order kernels (numba, CPU): ROI gather + histogram, then every statistic in few passes.

:func:`firstorder_gather` reads the ROI once (intensities in the image's own dtype, for numpy to
sort, and the grey-level histogram). :func:`firstorder_stats` then works on the sorted values:
pass 1 the sum and energy (the contiguous run ``P10 <= X <= P90`` summed on its own), pass 2
the central moments, the mean absolute deviation and, over that run, the robust one.
Percentiles are numpy's 'linear' method with numpy's lerp (bit for bit ``numpy.percentile``'s
interpolation of the sorted values; tested against a twin). Sums are float64 loops over
blocks of 256 values, then over the block sums, not numpy's pairwise sums: they differ by
~1e-14 relative.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

# Columns of the ``out`` vector of :func:`firstorder_stats`.
STAT_SUM, STAT_ENERGY, STAT_MEAN, STAT_M2, STAT_M3, STAT_M4, STAT_MAD = 0, 1, 2, 3, 4, 5, 6
STAT_P10, STAT_P25, STAT_P50, STAT_P75, STAT_P90, STAT_RMAD = 7, 8, 9, 10, 11, 12
N_STATS = 13


@njit(cache=True, nogil=True)
def firstorder_gather(img, q, msk, raw, hist):
    """Copy the ROI intensities into ``raw`` and count the grey levels of ``q`` in the ROI.

    img : (V,) intensities, any numeric dtype; q : int (V,) grey levels; msk : bool (V,);
    raw : (N,) of img's dtype, N = number of ROI voxels, filled in flat order;
    hist : int64 (H,) zero on entry, ``hist[g]`` += 1 for every ROI level g.
    Returns N, or -1 (stopping there) at the first ROI level outside 0..H-1.
    """
    k = 0
    nh = hist.shape[0]
    for i in range(msk.shape[0]):
        if msk[i]:
            raw[k] = img[i]
            k += 1
            g = q[i]
            if g >= 0 and g < nh:
                hist[g] += 1
            else:
                return -1
    return k


@njit(cache=True, nogil=True, inline="always")
def _percentile(s, p):
    """numpy's default (linear) percentile of the ascending ``s`` (len >= 1), as float64."""
    n = s.shape[0]
    if n == 1:
        return np.float64(s[0])
    pos = p / 100.0 * (n - 1)
    lo = int(math.floor(pos))
    hi = lo + 1 if lo + 1 < n else n - 1
    t = pos - lo
    a = np.float64(s[lo])
    b = np.float64(s[hi])
    d = b - a
    # numpy's _lerp: a + d t, but b - d (1 - t) for t >= 0.5 (monotone and exact at t = 1)
    return b - d * (1.0 - t) if t >= 0.5 else a + d * t


@njit(cache=True, nogil=True, inline="always")
def _bisect(s, v, right):
    """Smallest i with not s[i] < v (``right`` False) or not s[i] <= v (``right`` True);
    len(s) when none. ``s`` ascending, NaNs last (neither below nor equal to v)."""
    lo = 0
    hi = s.shape[0]
    while lo < hi:
        mid = (lo + hi) // 2
        x = np.float64(s[mid])
        if not (x <= v if right else x < v):
            hi = mid
        else:
            lo = mid + 1
    return lo


_BLOCK = 256  # values per inner sum, then the block sums are added: ~1e-15 relative error


# fastmath "reassoc" only lets LLVM split each inner sum into SIMD lanes (a few partial sums, as
# numpy's pairwise sum does too); no other float semantics change.
@njit(cache=True, nogil=True, fastmath={"reassoc", "nsz"})
def _sums(s, a, b, shift, acc):
    """acc[0] += sum(x), acc[1] += sum((x + shift)^2) over x = float64(s[a:b])."""
    for b0 in range(a, b, _BLOCK):
        b1 = min(b0 + _BLOCK, b)
        sx = 0.0
        se = 0.0
        for i in range(b0, b1):
            x = np.float64(s[i])
            sx += x
            x += shift
            se += x * x
        acc[0] += sx
        acc[1] += se


@njit(cache=True, nogil=True, fastmath={"reassoc", "nsz"})
def _deviations(s, a, b, mu, rmu, robust, acc):
    """Sums over x = float64(s[a:b]), d = x - mu: acc[0..3] += d^2, d^3, d^4, |d|; with
    ``robust``, acc[4] += |x - rmu| too."""
    for b0 in range(a, b, _BLOCK):
        b1 = min(b0 + _BLOCK, b)
        m2 = 0.0
        m3 = 0.0
        m4 = 0.0
        ad = 0.0
        r = 0.0
        if robust:
            for i in range(b0, b1):
                x = np.float64(s[i])
                d = x - mu
                d2 = d * d
                m2 += d2
                m3 += d2 * d
                m4 += d2 * d2
                ad += abs(d)
                r += abs(x - rmu)
        else:
            for i in range(b0, b1):
                d = np.float64(s[i]) - mu
                d2 = d * d
                m2 += d2
                m3 += d2 * d
                m4 += d2 * d2
                ad += abs(d)
        acc[0] += m2
        acc[1] += m3
        acc[2] += m4
        acc[3] += ad
        acc[4] += r


@njit(cache=True, nogil=True)
def firstorder_stats(s, shift, out):
    """First-order statistics of the ascending ROI intensities ``s`` (len N >= 1).

    s : (N,) sorted (NaNs last, as numpy sorts), any numeric dtype, widened to float64 exactly;
    shift : voxelArrayShift. out : float64 (N_STATS,) filled (see the STAT_* columns): sum,
    energy sum((x + shift)^2), mean, population central moments m2, m3, m4, mean absolute
    deviation, the 10/25/50/75/90th percentiles and the robust mean absolute deviation of the
    values in [P10, P90] (NaN when there is none).

    Two passes: sums (the run s[i0:i1] of values in [P10, P90] summed on its own), then the
    deviations from the mean and, over s[i0:i1], from the robust mean.
    """
    n = s.shape[0]
    p10 = _percentile(s, 10.0)
    p90 = _percentile(s, 90.0)
    i0 = _bisect(s, p10, False)
    i1 = max(_bisect(s, p90, True), i0)
    # runs [0, i0), [i0, i1), [i1, n); one call site per callee: compiled once, not per literal
    bounds = np.empty(4, np.int64)
    bounds[0] = 0
    bounds[1] = i0
    bounds[2] = i1
    bounds[3] = n
    sums = np.zeros((3, 2))
    for r in range(3):
        _sums(s, bounds[r], bounds[r + 1], shift, sums[r])
    total = (sums[0, 0] + sums[1, 0]) + sums[2, 0]
    mean = total / n
    # the mean lies in [min, max]; rounding must not push it out (a flat ROI keeps m2 == 0)
    if mean < np.float64(s[0]):
        mean = np.float64(s[0])
    elif mean > np.float64(s[n - 1]):
        mean = np.float64(s[n - 1])
    rn = i1 - i0
    rmu = sums[1, 0] / rn if rn > 0 else 0.0
    acc = np.zeros(5)
    for r in range(3):
        _deviations(s, bounds[r], bounds[r + 1], mean, rmu, r == 1, acc)
    out[STAT_SUM] = total
    out[STAT_ENERGY] = (sums[0, 1] + sums[1, 1]) + sums[2, 1]
    out[STAT_MEAN] = mean
    out[STAT_M2] = acc[0] / n
    out[STAT_M3] = acc[1] / n
    out[STAT_M4] = acc[2] / n
    out[STAT_MAD] = acc[3] / n
    out[STAT_P10] = p10
    out[STAT_P25] = _percentile(s, 25.0)
    out[STAT_P50] = _percentile(s, 50.0)
    out[STAT_P75] = _percentile(s, 75.0)
    out[STAT_P90] = p90
    # no value in [P10, P90] (N = 2, or NaNs): numpy's mean of an empty selection
    out[STAT_RMAD] = acc[4] / rn if rn > 0 else np.nan


@njit(cache=True, nogil=True)
def is_flat(img, msk):
    """True when the ROI is non-empty and every ROI value equals the first one (NaN never does).

    img : (V,) any numeric dtype; msk : bool (V,). Stops at the first differing value.
    """
    if msk.shape[0] == 0:
        return False
    found = False
    first = img[0]
    for i in range(msk.shape[0]):
        if msk[i]:
            if not found:
                first = img[i]
                found = True
            if img[i] != first:
                return False
    return found
