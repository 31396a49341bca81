"""GLRLM kernel: run counting along each angle (numba, CPU)."""

from __future__ import annotations

import numpy as np
from numba import njit, prange


@njit(cache=True, nogil=True, parallel=True)
def glrlm_counts(lab, idx, steps, mask, offsets, out):
    """Count maximal runs of equal grey level inside the ROI, per offset; one thread per offset.

    A run is a maximal chain of ROI voxels ``i, i + steps[a], ...`` of one label (the -1 border
    and non-ROI voxels end it). ``out[a, g, L - 1] += 1`` for a run of label ``g`` and length
    ``L``. Each ROI line along the offset (its first voxel's predecessor lies outside the ROI)
    is walked once, as :func:`glrlm_counts_lines` walks the lines of :func:`mask_lines`.

    As in pyradiomics' C code, an offset counts no runs at all unless some line along it holds
    at least two ROI voxels (adjacent or not); otherwise every run would have length 1.

    lab : int32 (V,) padded label image (pad >= 1); idx : int64 (N,) ROI voxels;
    steps : int64 (Na,) flat offsets; mask : bool (Z, Y, X) unpadded ROI and
    offsets : int64 (Na, 3) the same offsets as (dz, dy, dx), for the line test;
    out : float64 (Na, n, Nr) zero on entry, Nr >= the longest possible run.
    """
    Na = steps.shape[0]
    N = idx.shape[0]
    n = out.shape[1]
    Nr = out.shape[2]
    for a in prange(Na):
        cnt = np.zeros(n * Nr, np.int32)  # (n, Nr) run counts of this offset, flattened
        o = np.uint64(steps[a])  # a negative step wraps around modulo 2**64, as intended
        nr = np.uint64(Nr)
        zero = np.uint64(0)
        one = np.uint64(1)
        longest = 0  # the longest ROI line
        for t in range(N):
            i = idx[t]
            if lab[i - steps[a]] >= 0:
                continue  # not the first voxel of its line
            j = np.uint64(i)
            prev = lab[j]
            base = np.uint64(prev) * nr
            r = zero
            m = 1
            j += o
            g = lab[j]
            while g >= 0:  # branch-free run bookkeeping, as in glrlm_counts_lines
                e = g != prev
                cnt[base + r] += e
                r = zero if e else r + one
                prev = g
                base = np.uint64(g) * nr
                m += 1
                j += o
                g = lab[j]
            cnt[base + r] += 1
            longest = max(longest, m)
        if longest == 1 and not _shares_line(mask, offsets[a, 0], offsets[a, 1], offsets[a, 2]):
            continue  # no run counted along this offset
        k = 0
        for g in range(n):
            for r2 in range(Nr):
                out[a, g, r2] += cnt[k]
                k += 1


@njit(cache=True, nogil=True)
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


@njit(cache=True, nogil=True, parallel=True)
def mask_lines(lab, idx, steps):
    """The ROI's lines along each offset: maximal chains of ROI voxels ``i, i + o, ...``.

    Depends on the mask only (``lab >= 0`` inside the ROI), so an extraction computes it once
    for all its image types. A line starts at an ROI voxel whose predecessor ``i - o`` is
    outside the ROI (or the -1 border). One thread per offset.

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
    counts = np.zeros(Na, np.int64)
    for a in prange(Na):
        o = steps[a]
        c = 0
        for t in range(N):
            c += lab[idx[t] - o] < 0
        counts[a] = c
    ptr = np.zeros(Na + 1, np.int64)
    for a in range(Na):
        ptr[a + 1] = ptr[a] + counts[a]
    starts = np.empty(ptr[Na], np.int64)
    lens = np.empty(ptr[Na], np.int64)
    for a in prange(Na):
        o = steps[a]
        k = ptr[a]
        for t in range(N):
            i = idx[t]
            if lab[i - o] < 0:
                starts[k] = i
                k += 1
        ou = np.uint64(o)  # unsigned: no negative-index wraparound code in the walk
        for s in range(ptr[a], ptr[a + 1]):
            j = np.uint64(starts[s]) + ou
            n = 1
            while lab[j] >= 0:
                n += 1
                j += ou
            lens[s] = n
    return starts, lens, ptr


@njit(cache=True, nogil=True, parallel=True)
def glrlm_counts_lines(lab, starts, lens, ptr, steps, out):
    """:func:`glrlm_counts` on the ROI lines of :func:`mask_lines` (one thread per offset).

    Each line is read once, in order, ending a run wherever the label changes, instead of
    testing every voxel's predecessor and walking from each run start. The counts (whole
    numbers) equal :func:`glrlm_counts`'s except that offsets whose every run has length 1
    are not cleared here: the caller zeroes those the mask says hold no two ROI voxels on one
    line (:func:`empty_angles`).

    Branch-free inner loop: every step adds ``label changed`` (0 or 1) to the int32 count of
    the run so far, so no branch depends on the data (run ends are unpredictable in real
    images), and unsigned indices spare numba's negative-index wraparound code.

    lab : int32 (V,) padded label image; starts, lens, ptr : :func:`mask_lines` of the same
    mask, pad and ``steps``; out : float64 (Na, n, Nr) zero on entry, Nr >= the longest line.
    """
    Na = steps.shape[0]
    n = out.shape[1]
    for a in prange(Na):
        w = 0  # the longest line: no run of this offset is longer
        for s in range(ptr[a], ptr[a + 1]):
            w = max(w, lens[s])
        cnt = np.zeros(n * w, np.int32)  # (n, w) run counts of this offset, flattened
        o = np.uint64(steps[a])  # a negative step wraps around modulo 2**64, as intended
        nr = np.uint64(w)
        zero = np.uint64(0)
        one = np.uint64(1)
        for s in range(ptr[a], ptr[a + 1]):
            j = np.uint64(starts[s])
            prev = lab[j]
            base = np.uint64(prev) * nr  # row of the current run's label
            r = zero  # current run length - 1
            for _ in range(lens[s] - 1):
                j += o
                g = lab[j]
                e = g != prev
                cnt[base + r] += e  # the run ends here when the label changes
                r = zero if e else r + one
                prev = g
                base = np.uint64(g) * nr
            cnt[base + r] += 1  # the line's last run
        k = 0
        for g in range(n):
            for r2 in range(w):
                out[a, g, r2] += cnt[k]
                k += 1


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
