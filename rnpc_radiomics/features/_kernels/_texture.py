"""Kernels shared by the texture families: ROI grey-level histogram, padded label image."""

from __future__ import annotations

import numpy as np
from numba import njit, prange


@njit(cache=True, nogil=True)
def padded_labels(q, mask, lut, pad, lab, idx):
    """Fill a -1-bordered label image and the flat indices of the ROI voxels; return their count.

    ``lab`` is the (Z + 2 pad, Y + 2 pad, X + 2 pad) volume, flattened, holding ``lut[q]`` inside
    the mask and -1 elsewhere, border included. Every neighbour within ``pad`` of an ROI voxel is
    then a valid index, so the texture kernels need no bounds checks, and one read of ``lab``
    answers both "in the mask?" and "which grey level?".

    q : int32 (Z, Y, X); mask : bool (Z, Y, X); lut : int64 (Ng + 1,); pad : int;
    lab : int32 ((Z+2pad)*(Y+2pad)*(X+2pad),) filled; idx : int64 (>= ROI voxels,) filled in
    raster order.
    """
    Z, Y, X = q.shape
    Yp = Y + 2 * pad
    Xp = X + 2 * pad
    lab[:] = -1
    n = 0
    for z in range(Z):
        for y in range(Y):
            base = ((z + pad) * Yp + (y + pad)) * Xp + pad
            for x in range(X):
                if mask[z, y, x]:
                    lab[base + x] = lut[q[z, y, x]]
                    idx[n] = base + x
                    n += 1
    return n


@njit(cache=True, nogil=True)
def roi_max(q, mask):
    """Largest ``q`` inside the mask (0 for an empty mask)."""
    Z, Y, X = q.shape
    best = 0
    for z in range(Z):
        for y in range(Y):
            for x in range(X):
                if mask[z, y, x] and q[z, y, x] > best:
                    best = q[z, y, x]
    return best


@njit(cache=True, nogil=True)
def roi_histogram(q, mask, counts):
    """``counts[g] += 1`` for every ROI voxel of grey level ``g``; counts : int64 (>= max + 1,)."""
    Z, Y, X = q.shape
    for z in range(Z):
        for y in range(Y):
            for x in range(X):
                if mask[z, y, x]:
                    counts[q[z, y, x]] += 1


# Voxels per block of the offset-major neighbourhood loops: three int scratch rows of this
# length stay in L1 while every offset streams over them.
_NB_BLOCK = 1024


@njit(cache=True, nogil=True)
def neighbourhood_counts(lab, idx, steps, levels, alpha, gl, ng):
    """GLDM dependence counts and NGTDM sums from one pass over every voxel's neighbourhood.

    The fusion of :func:`..gldm.gldm_counts` (into ``gl``) and :func:`..ngtdm.ngtdm_counts`
    (into ``ng``), which read the same neighbours: same chunks of ROI voxels, same order of
    additions, so the results are bit-identical to the two kernels run apart. ``levels`` must
    hold whole numbers (grey levels). ``gl`` (n_chunks, n, Na + 1) and ``ng`` (n_chunks, n, 2),
    zero on entry, have the same number of chunks.

    Each chunk's voxel range is cut into blocks of consecutive (padded) voxels; for a block,
    every offset in turn is applied to all its voxels (offset-major: contiguous loads, no
    gathers, SIMD), counting into per-voxel rows the dependent neighbours, the in-ROI
    neighbours and the sum of their grey levels (whole numbers: summed exactly as integers and
    converted once, bit for bit the float sum). The block's ROI voxels are then added to the
    chunk's counts in raster order.
    """
    N = idx.shape[0]
    if N == 0:
        return
    Na = steps.shape[0]
    big = 0.0
    for g in range(levels.shape[0]):
        big = max(big, abs(levels[g]))
    # |level difference| <= alpha for whole numbers is |difference| <= floor(alpha)
    if alpha < 0:
        amax = -1
    elif alpha >= 2.0**40:
        amax = 2**40
    else:
        amax = np.int64(np.floor(alpha))
    if big * (Na + 1) < 2.0**30 and amax < 2**30:
        _neighbourhood_blocks(lab, idx, steps, levels, np.int32(amax), gl, ng, np.int32(0))
    else:
        _neighbourhood_blocks(lab, idx, steps, levels, np.int64(amax), gl, ng, np.int64(0))


@njit(cache=True, nogil=True, parallel=True)
def _neighbourhood_blocks(lab, idx, steps, levels, amax, gl, ng, zero):
    """:func:`neighbourhood_counts` with integer rows of ``zero``'s type (int32 when the grey
    levels are small enough that no sum can overflow it, which doubles the SIMD width)."""
    Na = steps.shape[0]
    N = idx.shape[0]
    n_chunks = gl.shape[0]
    smax = 0
    for a in range(Na):
        smax = max(smax, abs(steps[a]))
    lo = idx[0] - smax
    hi = idx[N - 1] + 1 + smax
    # grey level of every voxel that can be a neighbour (0 outside the ROI)
    lv = np.full(hi - lo, zero)
    for k in prange(hi - lo):
        lj = lab[lo + k]
        if lj >= 0:
            lv[k] = levels[lj]
    for c in prange(n_chunks):
        t0 = c * N // n_chunks
        t1 = (c + 1) * N // n_chunks
        if t0 == t1:
            continue
        dep = np.empty(_NB_BLOCK, np.int32)
        cnt = np.empty(_NB_BLOCK, np.int32)
        tot = np.full(_NB_BLOCK, zero)
        t = t0
        while t < t1:
            b0 = idx[t]
            b1 = min(b0 + _NB_BLOCK, idx[t1 - 1] + 1)
            m = b1 - b0
            for k in range(m):
                dep[k] = 0
                cnt[k] = 0
                tot[k] = zero
            for a in range(Na):
                # unsigned indices (all >= 0 here) spare numba's negative-index wraparound
                # test, which would keep this loop from vectorising
                s = steps[a]
                o = b0 - lo
                for k in range(m):
                    kk = np.uint64(k)
                    vj = lv[np.uint64(o + k + s)]
                    vi = lv[np.uint64(o + k)]
                    ins = np.int32(lab[np.uint64(b0 + k + s)] >= 0)
                    cnt[kk] = cnt[kk] + ins
                    dep[kk] = dep[kk] + (ins & np.int32(abs(vj - vi) <= amax))
                    tot[kk] = tot[kk] + vj
            while t < t1 and idx[t] < b1:
                i = idx[t]
                k = i - b0
                g = lab[i]
                gl[c, g, dep[k]] += 1.0
                ng[c, g, 0] += 1.0
                if cnt[k] > 0:
                    ng[c, g, 1] += abs(levels[g] - np.float64(tot[k]) / cnt[k])
                t += 1


@njit(cache=True, nogil=True, parallel=True)
def _touch_threads(out):
    for i in prange(out.shape[0]):
        out[i] = i


def threading_layer() -> str:
    """The numba threading layer in use ('omp', 'tbb' or 'workqueue'), starting it if needed
    (numba picks it on the first parallel kernel call)."""
    import numba

    try:
        return numba.threading_layer()
    except ValueError:  # no parallel kernel has run yet
        _touch_threads(np.empty(2, np.int64))
        return numba.threading_layer()
