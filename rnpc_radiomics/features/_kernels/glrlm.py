"""GLRLM kernel: run counting along each angle (numba, CPU)."""

from __future__ import annotations

import numpy as np
from numba import njit, prange


@njit(cache=True, parallel=True)
def glrlm_counts(lab, idx, steps, mask, offsets, out):
    """Count maximal runs of equal grey level inside the ROI, per offset; one thread per offset.

    A run starts at an ROI voxel ``i`` whose predecessor ``i - steps[a]`` has another label (the
    -1 border and non-ROI voxels included) and extends while the successor has the same label.
    ``out[a, g, L - 1] += 1`` for a run of label ``g`` and length ``L``.

    As in pyradiomics' C code, an offset counts no runs at all unless some line along it holds
    at least two ROI voxels (adjacent or not); otherwise every run would have length 1.

    lab : int32 (V,) padded label image (pad >= 1); idx : int64 (N,) ROI voxels;
    steps : int64 (Na,) flat offsets; mask : bool (Z, Y, X) unpadded ROI and
    offsets : int64 (Na, 3) the same offsets as (dz, dy, dx), for the line test;
    out : float64 (Na, n, Nr) zero on entry, Nr >= the longest possible run.
    """
    Na = steps.shape[0]
    N = idx.shape[0]
    for a in prange(Na):
        o = steps[a]
        longest = 0
        for t in range(N):
            i = idx[t]
            g = lab[i]
            if lab[i - o] == g:
                continue  # not the first voxel of its run
            n = 1
            j = i + o
            while lab[j] == g:
                n += 1
                j += o
            out[a, g, n - 1] += 1.0
            if n > longest:
                longest = n
        if longest == 1 and not _shares_line(mask, offsets[a, 0], offsets[a, 1], offsets[a, 2]):
            out[a, :, :] = 0.0


@njit(cache=True)
def _shares_line(mask, dz, dy, dx):
    """True when two mask voxels lie on one line along (dz, dy, dx). Only reached when every
    run has length 1, i.e. for very sparse masks, so the plain walk is cheap enough."""
    Z, Y, X = mask.shape
    for z in range(Z):
        for y in range(Y):
            for x in range(X):
                if not mask[z, y, x]:
                    continue
                nz = z + dz
                ny = y + dy
                nx = x + dx
                while 0 <= nz < Z and 0 <= ny < Y and 0 <= nx < X:
                    if mask[nz, ny, nx]:
                        return True
                    nz += dz
                    ny += dy
                    nx += dx
    return False


@njit(cache=True)
def mask_lines(lab, idx, steps):
    """The ROI's lines along each offset: maximal chains of ROI voxels ``i, i + o, ...``.

    Depends on the mask only (``lab >= 0`` inside the ROI), so an extraction computes it once
    for all its image types. A line starts at an ROI voxel whose predecessor ``i - o`` is
    outside the ROI (or the -1 border).

    lab : int32 (V,) padded label image (pad >= 1); idx : int64 (N,) ROI voxels, raster order;
    steps : int64 (Na,) flat offsets.

    Returns
    -------
    starts, lens : int64 (S,)
        First flat index and length of each line, angle after angle.
    ptr : int64 (Na + 1,)
        Lines of angle ``a`` are ``ptr[a]:ptr[a + 1]``.
    """
    Na = steps.shape[0]
    N = idx.shape[0]
    ptr = np.zeros(Na + 1, np.int64)
    for a in range(Na):
        o = steps[a]
        c = 0
        for t in range(N):
            c += lab[idx[t] - o] < 0
        ptr[a + 1] = ptr[a] + c
    starts = np.empty(ptr[Na], np.int64)
    lens = np.empty(ptr[Na], np.int64)
    for a in range(Na):
        o = steps[a]
        k = ptr[a]
        for t in range(N):
            i = idx[t]
            if lab[i - o] >= 0:
                continue
            n = 1
            j = i + o
            while lab[j] >= 0:
                n += 1
                j += o
            starts[k] = i
            lens[k] = n
            k += 1
    return starts, lens, ptr


@njit(cache=True, parallel=True)
def glrlm_counts_lines(lab, starts, lens, ptr, steps, out):
    """:func:`glrlm_counts` on the ROI lines of :func:`mask_lines` (one thread per offset).

    Each line is read once, in order, ending a run wherever the label changes, instead of
    testing every voxel's predecessor and walking from each run start. The counts (whole
    numbers) equal :func:`glrlm_counts`'s except that offsets whose every run has length 1
    are not cleared here: the caller zeroes those the mask says hold no two ROI voxels on one
    line (:func:`empty_angles`).

    lab : int32 (V,) padded label image; starts, lens, ptr : :func:`mask_lines` of the same
    mask, pad and ``steps``; out : float64 (Na, n, Nr) zero on entry.
    """
    Na = steps.shape[0]
    for a in prange(Na):
        o = steps[a]
        for s in range(ptr[a], ptr[a + 1]):
            j = starts[s]
            prev = lab[j]
            n = 1
            for _ in range(lens[s] - 1):
                j += o
                g = lab[j]
                if g == prev:
                    n += 1
                else:
                    out[a, prev, n - 1] += 1.0
                    prev = g
                    n = 1
            out[a, prev, n - 1] += 1.0


def empty_angles(lens, ptr, mask, offsets):
    """Offsets pyradiomics counts no runs for: no line along them holds two ROI voxels.

    An ROI line of length >= 2 has two adjacent ROI voxels; otherwise (every line a single
    voxel) :func:`_shares_line` looks for two ROI voxels further apart on one line, as
    :func:`glrlm_counts` does. Mask only.

    Returns
    -------
    ndarray of bool, shape (Na,)
    """
    out = np.zeros(offsets.shape[0], dtype=bool)
    for a in range(offsets.shape[0]):
        seg = lens[ptr[a]:ptr[a + 1]]
        if seg.size == 0 or seg.max() > 1:
            continue  # an empty ROI, or two adjacent ROI voxels
        out[a] = not _shares_line(mask, offsets[a, 0], offsets[a, 1], offsets[a, 2])
    return out
