"""Voxel-based GLDM: every feature of every voxel's kernel dependence matrix (numba, CPU).

A voxel's dependence is the number of its neighbours (bidirectional angles of ``distances``)
inside the kernel box and ``msk`` whose level differs by at most ``alpha`` (``gldm_a``), as in
pyradiomics 3.0.1's ``calculate_gldm`` with a bounding box.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .voxel_common import kernel_box, local_levels

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
        Nz = 0.0
        for j in range(nd):
            pd[j] = 0.0
        for i in range(n):
            s = 0.0
            for j in range(nd):
                s += P[i, j]
                pd[j] += P[i, j]
            pg[i] = s
            Nz += s
        sde = 0.0
        lde = 0.0
        dn = 0.0
        uj = 0.0
        for j in range(nd):
            fj = float(j + 1)
            sde += pd[j] / (fj * fj)
            lde += pd[j] * fj * fj
            dn += pd[j] * pd[j]
            uj += pd[j] / Nz * fj
        dv = 0.0
        for j in range(nd):
            d = (j + 1) - uj
            dv += pd[j] / Nz * d * d
        gln = 0.0
        ui = 0.0
        lgle = 0.0
        hgle = 0.0
        for i in range(n):
            li = float(lev[i])
            gln += pg[i] * pg[i]
            ui += pg[i] / Nz * li
            lgle += pg[i] / (li * li)
            hgle += pg[i] * li * li
        glv = 0.0
        for i in range(n):
            d = lev[i] - ui
            glv += pg[i] / Nz * d * d
        de = 0.0
        sdl = 0.0
        sdh = 0.0
        ldl = 0.0
        ldh = 0.0
        for i in range(n):
            i2 = float(lev[i]) * float(lev[i])
            for j in range(nd):
                p = P[i, j]
                if p == 0.0:
                    continue
                j2 = float(j + 1) * float(j + 1)
                pn = p / Nz
                de -= pn * math.log2(pn + eps)
                sdl += p / (i2 * j2)
                sdh += p * i2 / j2
                ldl += p * j2 / i2
                ldh += p * i2 * j2
        out[v, 0] = de
        out[v, 1] = dn / Nz
        out[v, 2] = dn / (Nz * Nz)
        out[v, 3] = dv
        out[v, 4] = gln / Nz
        out[v, 5] = glv
        out[v, 6] = hgle / Nz
        out[v, 7] = lde / Nz
        out[v, 8] = ldh / Nz
        out[v, 9] = ldl / Nz
        out[v, 10] = lgle / Nz
        out[v, 11] = sde / Nz
        out[v, 12] = sdh / Nz
        out[v, 13] = sdl / Nz
        for k in range(n):
            lut[lev[k]] = -1
