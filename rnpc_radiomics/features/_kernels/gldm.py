"""GLDM kernel: grey level dependence counting (numba, CPU)."""

from __future__ import annotations

from numba import njit, prange


@njit(cache=True, nogil=True, parallel=True)
def gldm_counts(lab, idx, steps, levels, alpha, out):
    """Count, per grey level, ROI voxels by their number of dependent neighbours.

    A neighbour ``i + steps[a]`` (offsets bidirectional) in the ROI is dependent when
    ``|levels[lab[neighbour]] - levels[lab[i]]| <= alpha``; ``out[c, lab[i], k] += 1`` for a
    voxel with ``k`` dependent neighbours (dependence size ``k + 1``). The voxels are split into
    ``out.shape[0]`` chunks, one per thread, each with its own slab of ``out`` (no write races);
    the caller sums over the first axis.

    lab : int32 (V,) padded label image (pad >= largest offset); idx : int64 (N,) ROI voxels;
    steps : int64 (Na,) flat offsets; levels : float64 (n,) grey level of each label;
    alpha : float; out : float64 (n_chunks, n, Na + 1) zero on entry.
    """
    Na = steps.shape[0]
    N = idx.shape[0]
    n_chunks = out.shape[0]
    for c in prange(n_chunks):
        for t in range(c * N // n_chunks, (c + 1) * N // n_chunks):
            i = idx[t]
            g = lab[i]
            gv = levels[g]
            k = 0
            for a in range(Na):
                lj = lab[i + steps[a]]
                if lj >= 0 and abs(levels[lj] - gv) <= alpha:
                    k += 1
            out[c, g, k] += 1.0
