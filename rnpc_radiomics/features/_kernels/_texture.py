"""Kernels shared by the texture families: ROI grey-level histogram, padded label image."""

from __future__ import annotations

from numba import njit


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
