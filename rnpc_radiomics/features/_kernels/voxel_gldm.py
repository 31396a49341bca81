"""Voxel-based GLDM: every feature of every voxel's kernel dependence matrix (numba, CPU).

A voxel's dependence is the number of its neighbours (bidirectional angles of ``distances``)
inside the kernel box and ``msk`` whose level differs by at most ``alpha`` (``gldm_a``), as in
pyradiomics 3.0.1's ``calculate_gldm`` with a bounding box.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from . import voxel_common as vc
from .voxel_common import kernel_box, local_levels, size_matrix_stats

GLDM_COLUMNS = ("DependenceEntropy", "DependenceNonUniformity",
                "DependenceNonUniformityNormalized", "DependenceVariance",
                "GrayLevelNonUniformity", "GrayLevelVariance", "HighGrayLevelEmphasis",
                "LargeDependenceEmphasis", "LargeDependenceHighGrayLevelEmphasis",
                "LargeDependenceLowGrayLevelEmphasis", "LowGrayLevelEmphasis",
                "SmallDependenceEmphasis", "SmallDependenceHighGrayLevelEmphasis",
                "SmallDependenceLowGrayLevelEmphasis")
_NF = 14


@njit(cache=True, nogil=True)
def voxel_gldm(q, msk, centers, R, f2d, angles, alpha, Ng, eps, cap, start, stop, out):
    """Fill ``out[v, :]`` (GLDM_COLUMNS) for every voxel ``centers[v]``.

    angles : int64 (Na, 3) bidirectional offsets; alpha : dependence cut-off. Other arguments
    as in ``voxel_glcm``.
    """
    Z, Y, X = q.shape
    Na = angles.shape[0]
    nd = Na + 1
    lut = np.full(Ng + 1, -1, np.int64)
    lev = np.zeros(cap, np.int64)
    P = np.zeros((cap, nd))
    pd = np.zeros(nd)
    pg = np.zeros(cap)
    st = np.zeros(vc.SM_LEN)
    bb = np.zeros(6, np.int64)
    for v in range(start, stop):
        kernel_box(centers[v, 0], centers[v, 1], centers[v, 2], R, f2d, Z, Y, X, bb)
        n = local_levels(q, msk, bb, lut, lev)
        for i in range(n):
            for j in range(nd):
                P[i, j] = 0.0
        for z in range(bb[0], bb[3] + 1):
            for y in range(bb[1], bb[4] + 1):
                for x in range(bb[2], bb[5] + 1):
                    if not msk[z, y, x]:
                        continue
                    g = q[z, y, x]
                    dep = 0
                    for a in range(Na):
                        zz = z + angles[a, 0]
                        yy = y + angles[a, 1]
                        xx = x + angles[a, 2]
                        if zz < bb[0] or zz > bb[3] or yy < bb[1] or yy > bb[4] \
                                or xx < bb[2] or xx > bb[5]:
                            continue
                        if msk[zz, yy, xx] and abs(g - q[zz, yy, xx]) <= alpha:
                            dep += 1
                    P[lut[g], dep] += 1.0
        size_matrix_stats(P, lev, n, nd, eps, pg, pd, st)
        Nz = st[vc.SM_N]
        out[v, 0] = st[vc.SM_ENT]
        out[v, 1] = st[vc.SM_SN] / Nz
        out[v, 2] = st[vc.SM_SN] / (Nz * Nz)
        out[v, 3] = st[vc.SM_SV]
        out[v, 4] = st[vc.SM_GLN] / Nz
        out[v, 5] = st[vc.SM_GLV]
        out[v, 6] = st[vc.SM_HGE] / Nz
        out[v, 7] = st[vc.SM_LE] / Nz
        out[v, 8] = st[vc.SM_LH] / Nz
        out[v, 9] = st[vc.SM_LL] / Nz
        out[v, 10] = st[vc.SM_LGE] / Nz
        out[v, 11] = st[vc.SM_SE] / Nz
        out[v, 12] = st[vc.SM_SH] / Nz
        out[v, 13] = st[vc.SM_SL] / Nz
        for k in range(n):
            lut[lev[k]] = -1
