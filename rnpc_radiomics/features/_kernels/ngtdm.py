"""NGTDM kernel: neighbourhood grey tone differences (numba, CPU)."""

from __future__ import annotations

from numba import njit, prange


@njit(cache=True, nogil=True, parallel=True)
def ngtdm_counts(lab, idx, steps, levels, out):
    """Per grey level, count ROI voxels and sum |g - mean grey level of the neighbourhood|.

    The neighbourhood of ``i`` is ``i + steps[a]`` (offsets bidirectional) restricted to the ROI.
    ``out[c, lab[i], 0] += 1`` for every ROI voxel and ``out[c, lab[i], 1] += |g - mean|`` for
    those with a non-empty neighbourhood: pyradiomics' C code counts a voxel without neighbours
    in ``n_i`` (its docstring says otherwise) and adds nothing to ``s_i``. The voxels are split
    into ``out.shape[0]`` chunks, one per thread (no write races); the caller sums over the
    first axis.

    lab : int32 (V,) padded label image (pad >= largest offset); idx : int64 (N,) ROI voxels;
    steps : int64 (Na,) flat offsets; levels : float64 (n,) grey level of each label;
    out : float64 (n_chunks, n, 2) zero on entry.
    """
    Na = steps.shape[0]
    N = idx.shape[0]
    n_chunks = out.shape[0]
    for c in prange(n_chunks):
        for t in range(c * N // n_chunks, (c + 1) * N // n_chunks):
            i = idx[t]
            g = lab[i]
            total = 0.0
            count = 0
            for a in range(Na):
                lj = lab[i + steps[a]]
                if lj >= 0:
                    total += levels[lj]
                    count += 1
            out[c, g, 0] += 1.0
            if count > 0:
                out[c, g, 1] += abs(levels[g] - total / count)
