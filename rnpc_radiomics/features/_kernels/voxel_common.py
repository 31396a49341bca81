"""Helpers shared by the voxel-based (feature map) kernels (numba, CPU).

Every voxel kernel works like pyradiomics 3.0.1's voxel mode: the texture matrix of a voxel is the
segment-mode matrix of its *kernel box*, the cube of radius ``R`` around it clipped to the image
(a single slice along ``force2Ddimension`` under force2D), restricted to ``msk`` (the ROI with
``maskedKernel``, every voxel of the cropped image without). Grey levels are the global bin
numbers (1..Ng) of the image discretised once over ``msk``.

Each kernel computes the voxels ``start:stop`` with ``nogil=True`` and allocates its own small
scratch (a level look-up table and matrices sized by the kernel, not by Ng), so
:func:`run_parallel` can hand disjoint voxel ranges to a thread pool: memory does not grow with
the number of voxels and no two threads write the same buffer. (Plain threads rather than numba's
``prange``: the parallel-accelerator compile of these kernels took minutes, this takes seconds.)
"""

from __future__ import annotations

import math

from numba import njit


@njit(cache=True, inline="always")
def kernel_box(c0, c1, c2, R, f2d, Z, Y, X, bb):
    """Fill ``bb`` (6,) with [lo_z, lo_y, lo_x, hi_z, hi_y, hi_x] (inclusive), as pyradiomics'
    ``set_bb``: the cube of radius R clipped to the image, one slice along axis ``f2d``."""
    cs = (c0, c1, c2)
    sz = (Z, Y, X)
    for d in range(3):
        c = cs[d]
        if d == f2d:
            bb[d] = c
            bb[3 + d] = c
        else:
            lo = c - R
            hi = c + R
            bb[d] = lo if lo > 0 else 0
            bb[3 + d] = hi if hi < sz[d] - 1 else sz[d] - 1


@njit(cache=True, inline="always")
def local_levels(q, msk, bb, lut, lev):
    """Compact the grey levels present in the box: ``lut[g]`` = local index, ``lev[k]`` = level.

    Returns the number of levels n. The caller resets ``lut[lev[:n]] = -1`` afterwards.
    """
    n = 0
    for z in range(bb[0], bb[3] + 1):
        for y in range(bb[1], bb[4] + 1):
            for x in range(bb[2], bb[5] + 1):
                if msk[z, y, x]:
                    g = q[z, y, x]
                    if lut[g] < 0:
                        lut[g] = n
                        lev[n] = g
                        n += 1
    return n


# Entries of the :func:`size_matrix_stats` vector.
(SM_N, SM_GLN, SM_GLV, SM_HGE, SM_LGE, SM_SN, SM_SE, SM_LE, SM_NP, SM_SV, SM_ENT, SM_SL, SM_SH,
 SM_LL, SM_LH) = range(15)
SM_LEN = 15


@njit(cache=True, nogil=True, inline="always")
def size_matrix_stats(P, lev, n, ns, eps, pg, ps, st):
    """The sums behind every feature of a (grey level, size) count matrix: GLRLM (run length),
    GLSZM (zone size) and GLDM (dependence size) share them in form.

    P : float64 (>= n, >= ns), counts of level ``lev[i]`` and size ``j + 1``; pg (>= n),
    ps (>= ns) : scratch, left holding the level and size marginals; st : float64 (SM_LEN,)
    filled with N (total count) and the sums SM_*: sum pg^2, the grey level variance,
    sum pg i^2, sum pg / i^2, sum ps^2, sum ps / j^2, sum ps j^2, sum ps j, the size variance,
    the entropy, and sum P / (i^2 j^2), P i^2 / j^2, P j^2 / i^2, P i^2 j^2. Each sum runs in
    index order. When N is 0 only st[SM_N] is set.
    """
    N = 0.0
    for j in range(ns):
        ps[j] = 0.0
    for i in range(n):
        s = 0.0
        for j in range(ns):
            s += P[i, j]
            ps[j] += P[i, j]
        pg[i] = s
        N += s
    st[SM_N] = N
    if N == 0.0:
        return
    gln = 0.0
    ui = 0.0
    lge = 0.0
    hge = 0.0
    for i in range(n):
        li = float(lev[i])
        gln += pg[i] * pg[i]
        ui += pg[i] / N * li
        lge += pg[i] / (li * li)
        hge += pg[i] * li * li
    glv = 0.0
    for i in range(n):
        d = lev[i] - ui
        glv += pg[i] / N * d * d
    se = 0.0
    le = 0.0
    sn = 0.0
    npx = 0.0
    uj = 0.0
    for j in range(ns):
        fj = float(j + 1)
        se += ps[j] / (fj * fj)
        le += ps[j] * fj * fj
        sn += ps[j] * ps[j]
        npx += ps[j] * fj
        uj += ps[j] / N * fj
    sv = 0.0
    for j in range(ns):
        d = (j + 1) - uj
        sv += ps[j] / N * d * d
    ent = 0.0
    sl = 0.0
    sh = 0.0
    ll = 0.0
    lh = 0.0
    for i in range(n):
        i2 = float(lev[i]) * float(lev[i])
        for j in range(ns):
            p = P[i, j]
            if p == 0.0:
                continue
            j2 = float(j + 1) * float(j + 1)
            pn = p / N
            ent -= pn * math.log2(pn + eps)
            sl += p / (i2 * j2)
            sh += p * i2 / j2
            ll += p * j2 / i2
            lh += p * i2 * j2
    st[SM_GLN] = gln
    st[SM_GLV] = glv
    st[SM_HGE] = hge
    st[SM_LGE] = lge
    st[SM_SN] = sn
    st[SM_SE] = se
    st[SM_LE] = le
    st[SM_NP] = npx
    st[SM_SV] = sv
    st[SM_ENT] = ent
    st[SM_SL] = sl
    st[SM_SH] = sh
    st[SM_LL] = ll
    st[SM_LH] = lh


def run_parallel(call, n: int, threads: int | None = None) -> None:
    """Run ``call(start, stop)`` over ``range(n)`` split into chunks, on a thread pool.

    ``call`` must release the GIL (a ``nogil`` numba kernel) and write disjoint outputs.
    """
    import os
    from concurrent.futures import ThreadPoolExecutor

    n = int(n)
    if n <= 0:
        return
    threads = threads or os.cpu_count() or 1
    # several chunks per thread balance uneven kernels (ROI border voxels are cheaper)
    step = max(64, -(-n // (threads * 8)))
    bounds = [(s, min(n, s + step)) for s in range(0, n, step)]
    if threads == 1 or len(bounds) == 1:
        for s, e in bounds:
            call(s, e)
        return
    with ThreadPoolExecutor(max_workers=min(threads, len(bounds))) as pool:
        for f in [pool.submit(call, s, e) for s, e in bounds]:
            f.result()


def kernel_capacity(R: int, f2d: int) -> int:
    """Most voxels a kernel box can hold: (2R + 1)^3, or (2R + 1)^2 under force2D."""
    side = 2 * int(R) + 1
    return side ** 2 if f2d >= 0 else side ** 3


__all__ = ["kernel_box", "local_levels", "run_parallel", "kernel_capacity"]
