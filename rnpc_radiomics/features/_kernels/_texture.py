"""Kernels shared by the texture families: ROI grey-level histogram, padded label image."""

from __future__ import annotations

import numpy as np
from numba import njit, prange


@njit(cache=True)
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


@njit(cache=True)
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


@njit(cache=True)
def roi_histogram(q, mask, counts):
    """``counts[g] += 1`` for every ROI voxel of grey level ``g``; counts : int64 (>= max + 1,)."""
    Z, Y, X = q.shape
    for z in range(Z):
        for y in range(Y):
            for x in range(X):
                if mask[z, y, x]:
                    counts[q[z, y, x]] += 1


@njit(cache=True, parallel=True)
def neighbourhood_counts(lab, idx, steps, levels, alpha, gl, ng):
    """GLDM dependence counts and NGTDM sums from one walk over every voxel's neighbourhood.

    The fusion of :func:`..gldm.gldm_counts` (into ``gl``) and :func:`..ngtdm.ngtdm_counts`
    (into ``ng``), which read the same neighbours: same chunks, same order of additions (the
    neighbour sum, of whole-number grey levels, exact either way), so the results are
    bit-identical to the two kernels run apart. ``levels`` must hold whole numbers (grey
    levels), each below 2**53 / 26 in magnitude. ``gl`` (n_chunks, n, Na + 1)
    and ``ng`` (n_chunks, n, 2), zero on entry, have the same number of chunks.
    """
    Na = steps.shape[0]
    N = idx.shape[0]
    n_chunks = gl.shape[0]
    for c in prange(n_chunks):
        for t in range(c * N // n_chunks, (c + 1) * N // n_chunks):
            i = idx[t]
            g = lab[i]
            gv = levels[g]
            k = 0
            # Grey levels are whole numbers, so their float64 sum is exact in any order: summed
            # as integers (a 1-cycle add chain instead of a 4-cycle float one) and converted
            # once, it is bit for bit the float sum ngtdm_counts accumulates.
            total = 0
            count = 0
            for a in range(Na):
                # branch-free: about 1 in 8 neighbours has the same level, so a branch on it
                # mispredicts; outside the ROI (lj = -1) the terms add exactly 0
                lj = lab[i + steps[a]]
                inside = lj >= 0
                lv = levels[max(lj, 0)]
                total += np.int64(lv) * inside
                count += inside
                k += inside & (abs(lv - gv) <= alpha)
            gl[c, g, k] += 1.0
            ng[c, g, 0] += 1.0
            if count > 0:
                ng[c, g, 1] += abs(gv - np.float64(total) / count)
