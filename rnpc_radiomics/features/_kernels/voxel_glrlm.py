"""Voxel-based GLRLM: every feature of every voxel's kernel run-length matrix (numba, CPU).

Runs are maximal lines of equal-level voxels inside the kernel box and ``msk`` along each of the
13 (4 under force2D) unidirectional angles, as in pyradiomics 3.0.1's ``calculate_glrlm`` with a
bounding box; an angle along which no line of the box holds two ``msk`` voxels is emptied, like
pyradiomics' "multiElement" rule. Features are computed per angle and averaged over non-empty
angles (pyradiomics' ``nanmean``).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from . import voxel_common as vc
from .voxel_common import kernel_box, local_levels, size_matrix_stats

GLRLM_COLUMNS = ("GrayLevelNonUniformity", "GrayLevelNonUniformityNormalized",
                 "GrayLevelVariance", "HighGrayLevelRunEmphasis", "LongRunEmphasis",
                 "LongRunHighGrayLevelEmphasis", "LongRunLowGrayLevelEmphasis",
                 "LowGrayLevelRunEmphasis", "RunEntropy", "RunLengthNonUniformity",
                 "RunLengthNonUniformityNormalized", "RunPercentage", "RunVariance",
                 "ShortRunEmphasis", "ShortRunHighGrayLevelEmphasis",
                 "ShortRunLowGrayLevelEmphasis")
_NF = 16


@njit(cache=True, inline="always")
def _inside(z, y, x, bb):
    return not (z < bb[0] or z > bb[3] or y < bb[1] or y > bb[4] or x < bb[2] or x > bb[5])


@njit(cache=True, nogil=True)
def voxel_glrlm(q, msk, centers, R, f2d, angles, weights, use_weights, Ng, eps, cap, maxrun,
                start, stop, out):
    """Fill ``out[v, :]`` (GLRLM_COLUMNS) for every voxel ``centers[v]``.

    angles : int64 (Na, 3) unidirectional distance-1 offsets; weights : float64 (Na,) distance
    weights (used when ``use_weights``: angles are summed into one); maxrun : longest possible
    run (2R + 1); cap : most levels in a box. Other arguments as in ``voxel_glcm``.
    """
    Z, Y, X = q.shape
    Na = angles.shape[0]
    lut = np.full(Ng + 1, -1, np.int64)
    lev = np.zeros(cap, np.int64)
    P = np.zeros((Na, cap, maxrun))
    Pw = np.zeros((1, cap, maxrun))
    pr = np.zeros(maxrun)
    pg = np.zeros(cap)
    st = np.zeros(vc.SM_LEN)
    bb = np.zeros(6, np.int64)
    acc = np.zeros(_NF)
    for v in range(start, stop):
        kernel_box(centers[v, 0], centers[v, 1], centers[v, 2], R, f2d, Z, Y, X, bb)
        n = local_levels(q, msk, bb, lut, lev)
        for a in range(Na):
            for i in range(n):
                for j in range(maxrun):
                    P[a, i, j] = 0.0
        for a in range(Na):
            dz = angles[a, 0]
            dy = angles[a, 1]
            dx = angles[a, 2]
            multi = False
            for z in range(bb[0], bb[3] + 1):
                for y in range(bb[1], bb[4] + 1):
                    for x in range(bb[2], bb[5] + 1):
                        if not msk[z, y, x]:
                            continue
                        g = q[z, y, x]
                        # another msk voxel further along this line (any level)?
                        if not multi:
                            zz = z + dz
                            yy = y + dy
                            xx = x + dx
                            while _inside(zz, yy, xx, bb):
                                if msk[zz, yy, xx]:
                                    multi = True
                                    break
                                zz += dz
                                yy += dy
                                xx += dx
                        # a run starts here unless the previous voxel continues it
                        zp = z - dz
                        yp = y - dy
                        xp = x - dx
                        if _inside(zp, yp, xp, bb) and msk[zp, yp, xp] and q[zp, yp, xp] == g:
                            continue
                        L = 1
                        zz = z + dz
                        yy = y + dy
                        xx = x + dx
                        while _inside(zz, yy, xx, bb) and msk[zz, yy, xx] and q[zz, yy, xx] == g:
                            L += 1
                            zz += dz
                            yy += dy
                            xx += dx
                        P[a, lut[g], L - 1] += 1.0
            if not multi:
                for i in range(n):
                    for j in range(maxrun):
                        P[a, i, j] = 0.0
        if use_weights:
            for i in range(n):
                for j in range(maxrun):
                    s = 0.0
                    for a in range(Na):
                        s += P[a, i, j] * weights[a]
                    Pw[0, i, j] = s
            M = Pw
            Ne = 1
        else:
            M = P
            Ne = Na
        for f in range(_NF):
            acc[f] = 0.0
        na_ok = 0
        for a in range(Ne):
            size_matrix_stats(M[a], lev, n, maxrun, eps, pg, pr, st)
            Nr = st[vc.SM_N]
            if Nr == 0.0:
                continue
            na_ok += 1
            acc[0] += st[vc.SM_GLN] / Nr
            acc[1] += st[vc.SM_GLN] / (Nr * Nr)
            acc[2] += st[vc.SM_GLV]
            acc[3] += st[vc.SM_HGE] / Nr
            acc[4] += st[vc.SM_LE] / Nr
            acc[5] += st[vc.SM_LH] / Nr
            acc[6] += st[vc.SM_LL] / Nr
            acc[7] += st[vc.SM_LGE] / Nr
            acc[8] += st[vc.SM_ENT]
            acc[9] += st[vc.SM_SN] / Nr
            acc[10] += st[vc.SM_SN] / (Nr * Nr)
            acc[11] += Nr / st[vc.SM_NP]
            acc[12] += st[vc.SM_SV]
            acc[13] += st[vc.SM_SE] / Nr
            acc[14] += st[vc.SM_SH] / Nr
            acc[15] += st[vc.SM_SL] / Nr
        for f in range(_NF):
            out[v, f] = acc[f] / na_ok if na_ok > 0 else np.nan
        for k in range(n):
            lut[lev[k]] = -1
