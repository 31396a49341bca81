"""Voxel-based NGTDM: every feature of every voxel's kernel NGTDM (numba, CPU).

For each voxel of the kernel box inside ``msk``: the absolute difference between its level and
the mean level of its neighbours (bidirectional angles of ``distances``) inside the box and
``msk`` (0 without neighbours), summed per level, as in pyradiomics 3.0.1's ``calculate_ngtdm``
with a bounding box. Pair sums run over levels present in the kernel only (pyradiomics'
``p_zero`` masking).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .voxel_common import kernel_box, local_levels

NGTDM_COLUMNS = ("Busyness", "Coarseness", "Complexity", "Contrast", "Strength")


@njit(cache=True, nogil=True)
def voxel_ngtdm(q, msk, centers, R, f2d, angles, Ng, cap, start, stop, out):
    """Fill ``out[v, :]`` (NGTDM_COLUMNS) for every voxel ``centers[v]``.

    angles : int64 (Na, 3) bidirectional offsets. Other arguments as in ``voxel_glcm``.
    """
    Z, Y, X = q.shape
    Na = angles.shape[0]
    lut = np.full(Ng + 1, -1, np.int64)
    lev = np.zeros(cap, np.int64)
    cnt = np.zeros(cap)
    s = np.zeros(cap)
    bb = np.zeros(6, np.int64)
    for v in range(start, stop):
        kernel_box(centers[v, 0], centers[v, 1], centers[v, 2], R, f2d, Z, Y, X, bb)
        n = local_levels(q, msk, bb, lut, lev)
        for i in range(n):
            cnt[i] = 0.0
            s[i] = 0.0
        for z in range(bb[0], bb[3] + 1):
            for y in range(bb[1], bb[4] + 1):
                for x in range(bb[2], bb[5] + 1):
                    if not msk[z, y, x]:
                        continue
                    g = q[z, y, x]
                    k = 0.0
                    tot = 0.0
                    for a in range(Na):
                        zz = z + angles[a, 0]
                        yy = y + angles[a, 1]
                        xx = x + angles[a, 2]
                        if zz < bb[0] or zz > bb[3] or yy < bb[1] or yy > bb[4] \
                                or xx < bb[2] or xx > bb[5]:
                            continue
                        if msk[zz, yy, xx]:
                            k += 1.0
                            tot += q[zz, yy, xx]
                    diff = 0.0 if k == 0.0 else abs(g - tot / k)
                    li = lut[g]
                    cnt[li] += 1.0
                    s[li] += diff
        Nvp = 0.0
        for i in range(n):
            Nvp += cnt[i]
        ps = 0.0
        ssum = 0.0
        for i in range(n):
            ps += cnt[i] / Nvp * s[i]
            ssum += s[i]
        coarse = 1.0 / ps if ps != 0.0 else 1e6
        con = 0.0
        absd = 0.0
        comp = 0.0
        stren = 0.0
        for i in range(n):
            pi = cnt[i] / Nvp
            li = float(lev[i])
            for j in range(n):
                pj = cnt[j] / Nvp
                lj = float(lev[j])
                d = li - lj
                con += pi * pj * d * d
                absd += abs(li * pi - lj * pj)
                comp += abs(d) * (pi * s[i] + pj * s[j]) / (pi + pj)
                stren += (pi + pj) * d * d
        div = n * (n - 1)
        out[v, 0] = ps / absd if absd != 0.0 else 0.0
        out[v, 1] = coarse
        out[v, 2] = comp / Nvp
        out[v, 3] = con * ssum / Nvp / div if div != 0 else 0.0
        out[v, 4] = stren / ssum if ssum != 0.0 else 0.0
        for k in range(n):
            lut[lev[k]] = -1
