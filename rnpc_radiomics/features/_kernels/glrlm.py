"""GLRLM kernel: run counting along each angle (numba, CPU)."""

from __future__ import annotations

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
