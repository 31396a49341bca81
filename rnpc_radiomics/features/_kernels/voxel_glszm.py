"""Voxel-based GLSZM: every feature of every voxel's kernel size-zone matrix (numba, CPU).

Zones are the connected components (26-connected, 8 under force2D) of equal-level voxels inside
the kernel box and ``msk``, found by a stack flood fill on the box, as pyradiomics 3.0.1's
``calculate_glszm`` does with a bounding box.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from . import voxel_common as vc
from .voxel_common import kernel_box, local_levels, size_matrix_stats

GLSZM_COLUMNS = ("GrayLevelNonUniformity", "GrayLevelNonUniformityNormalized",
                 "GrayLevelVariance", "HighGrayLevelZoneEmphasis", "LargeAreaEmphasis",
                 "LargeAreaHighGrayLevelEmphasis", "LargeAreaLowGrayLevelEmphasis",
                 "LowGrayLevelZoneEmphasis", "SizeZoneNonUniformity",
                 "SizeZoneNonUniformityNormalized", "SmallAreaEmphasis",
                 "SmallAreaHighGrayLevelEmphasis", "SmallAreaLowGrayLevelEmphasis",
                 "ZoneEntropy", "ZonePercentage", "ZoneVariance")
_NF = 16


@njit(cache=True, nogil=True)
def voxel_glszm(q, msk, centers, R, f2d, angles, Ng, eps, cap, start, stop, out):
    """Fill ``out[v, :]`` (GLSZM_COLUMNS) for every voxel ``centers[v]``.

    angles : int64 (Na, 3) *bidirectional* distance-1 offsets (the connectivity); cap : most
    voxels in a box (also the largest zone). Other arguments as in ``voxel_glcm``.
    """
    Z, Y, X = q.shape
    Na = angles.shape[0]
    lut = np.full(Ng + 1, -1, np.int64)
    lev = np.zeros(cap, np.int64)
    P = np.zeros((cap, cap))
    ps = np.zeros(cap)
    pg = np.zeros(cap)
    st = np.zeros(vc.SM_LEN)
    seen = np.zeros(cap, np.bool_)
    stack = np.zeros((cap, 3), np.int64)
    bb = np.zeros(6, np.int64)
    for v in range(start, stop):
        kernel_box(centers[v, 0], centers[v, 1], centers[v, 2], R, f2d, Z, Y, X, bb)
        n = local_levels(q, msk, bb, lut, lev)
        ny = bb[4] - bb[1] + 1
        nx = bb[5] - bb[2] + 1
        nbox = (bb[3] - bb[0] + 1) * ny * nx
        for k in range(nbox):
            seen[k] = False
        for i in range(n):
            for j in range(cap):
                P[i, j] = 0.0
        maxsize = 0
        for z in range(bb[0], bb[3] + 1):
            for y in range(bb[1], bb[4] + 1):
                for x in range(bb[2], bb[5] + 1):
                    k0 = ((z - bb[0]) * ny + (y - bb[1])) * nx + (x - bb[2])
                    if not msk[z, y, x] or seen[k0]:
                        continue
                    g = q[z, y, x]
                    seen[k0] = True
                    top = 0
                    stack[0, 0] = z
                    stack[0, 1] = y
                    stack[0, 2] = x
                    top = 1
                    size = 0
                    while top > 0:
                        top -= 1
                        cz = stack[top, 0]
                        cy = stack[top, 1]
                        cx = stack[top, 2]
                        size += 1
                        for a in range(Na):
                            zz = cz + angles[a, 0]
                            yy = cy + angles[a, 1]
                            xx = cx + angles[a, 2]
                            if zz < bb[0] or zz > bb[3] or yy < bb[1] or yy > bb[4] \
                                    or xx < bb[2] or xx > bb[5]:
                                continue
                            kk = ((zz - bb[0]) * ny + (yy - bb[1])) * nx + (xx - bb[2])
                            if seen[kk] or not msk[zz, yy, xx] or q[zz, yy, xx] != g:
                                continue
                            seen[kk] = True
                            stack[top, 0] = zz
                            stack[top, 1] = yy
                            stack[top, 2] = xx
                            top += 1
                    P[lut[g], size - 1] += 1.0
                    if size > maxsize:
                        maxsize = size
        size_matrix_stats(P, lev, n, maxsize, eps, pg, ps, st)
        Nz = st[vc.SM_N]
        out[v, 0] = st[vc.SM_GLN] / Nz
        out[v, 1] = st[vc.SM_GLN] / (Nz * Nz)
        out[v, 2] = st[vc.SM_GLV]
        out[v, 3] = st[vc.SM_HGE] / Nz
        out[v, 4] = st[vc.SM_LE] / Nz
        out[v, 5] = st[vc.SM_LH] / Nz
        out[v, 6] = st[vc.SM_LL] / Nz
        out[v, 7] = st[vc.SM_LGE] / Nz
        out[v, 8] = st[vc.SM_SN] / Nz
        out[v, 9] = st[vc.SM_SN] / (Nz * Nz)
        out[v, 10] = st[vc.SM_SE] / Nz
        out[v, 11] = st[vc.SM_SH] / Nz
        out[v, 12] = st[vc.SM_SL] / Nz
        out[v, 13] = st[vc.SM_ENT]
        out[v, 14] = Nz / st[vc.SM_NP]
        out[v, 15] = st[vc.SM_SV]
        for k in range(n):
            lut[lev[k]] = -1
