"""Voxel-based GLCM: every feature of every voxel's kernel GLCM (numba, CPU).

For each ROI voxel the co-occurrence counts of its kernel box are built per angle on the grey
levels present in the box (at most (2R + 1)^3 of them, however many the ROI has), optionally
symmetrised and distance-weighted, normalised per angle, and the 24 pyradiomics features are
computed per angle and averaged over the angles that have pairs (pyradiomics' ``nanmean``). The
per-angle ``pxSuby``/``pxAddy`` sums use scratch arrays indexed by the global level difference /
sum, touched entries only, so the cost per voxel depends on the kernel, not on Ng.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .voxel_common import kernel_box, local_levels

# Output columns, in this order.
GLCM_COLUMNS = ("Autocorrelation", "ClusterProminence", "ClusterShade", "ClusterTendency",
                "Contrast", "Correlation", "DifferenceAverage", "DifferenceEntropy",
                "DifferenceVariance", "Id", "Idm", "Idmn", "Idn", "Imc1", "Imc2",
                "InverseVariance", "JointAverage", "JointEnergy", "JointEntropy", "MCC",
                "MaximumProbability", "SumAverage", "SumEntropy", "SumSquares")
_NF = 24


@njit(cache=True, nogil=True)
def voxel_glcm(q, msk, centers, R, f2d, angles, weights, use_weights, symmetric, Ng,
               n_global, eps, do_mcc, cap, start, stop, out, nonempty):
    """Fill ``out[v, :]`` (GLCM_COLUMNS) and ``nonempty[v]`` for every voxel ``centers[v]``.

    q : int32 (Z, Y, X) grey levels 1..Ng inside ``msk``; msk : bool (Z, Y, X);
    centers : int64 (N, 3); R : kernel radius; f2d : force2D axis or -1; angles : int64 (Na, 3)
    unidirectional offsets; weights : float64 (Na,) used when ``use_weights``; symmetric : bool;
    Ng : max grey level (Idmn, Idn); n_global : number of grey levels in ``msk`` (MCC is 1 when
    it is 1); eps : machine epsilon; do_mcc : compute MCC (eigenvalues; NaN otherwise);
    cap : most levels in a box; start, stop : the voxels to compute. ``nonempty[v]`` gets bit ``a`` set
    when angle ``a`` (after weighting: bit 0) has at least one pair in the kernel.
    """
    Z, Y, X = q.shape
    Na = angles.shape[0]
    lut = np.full(Ng + 1, -1, np.int64)
    lev = np.zeros(cap, np.int64)
    P = np.zeros((Na, cap, cap))
    Pw = np.zeros((1, cap, cap))
    px = np.zeros(cap)
    py = np.zeros(cap)
    pdiff = np.zeros(Ng + 1)
    psum = np.zeros(2 * Ng + 2)
    touched_d = np.zeros(cap * cap, np.int64)
    touched_s = np.zeros(cap * cap, np.int64)
    act_i = np.zeros(cap, np.int64)
    act_k = np.zeros(cap, np.int64)
    bb = np.zeros(6, np.int64)
    acc = np.zeros(_NF)
    cnt = np.zeros(_NF)
    for v in range(start, stop):
        kernel_box(centers[v, 0], centers[v, 1], centers[v, 2], R, f2d, Z, Y, X, bb)
        n = local_levels(q, msk, bb, lut, lev)
        for a in range(Na):
            for i in range(n):
                for j in range(n):
                    P[a, i, j] = 0.0
        # co-occurrence counts inside the box
        for z in range(bb[0], bb[3] + 1):
            for y in range(bb[1], bb[4] + 1):
                for x in range(bb[2], bb[5] + 1):
                    if not msk[z, y, x]:
                        continue
                    li = lut[q[z, y, x]]
                    for a in range(Na):
                        zz = z + angles[a, 0]
                        yy = y + angles[a, 1]
                        xx = x + angles[a, 2]
                        if zz < bb[0] or zz > bb[3] or yy < bb[1] or yy > bb[4] \
                                or xx < bb[2] or xx > bb[5]:
                            continue
                        if msk[zz, yy, xx]:
                            P[a, li, lut[q[zz, yy, xx]]] += 1.0
        if symmetric:
            for a in range(Na):
                for i in range(n):
                    for j in range(i + 1, n):
                        s = P[a, i, j] + P[a, j, i]
                        P[a, i, j] = s
                        P[a, j, i] = s
                    P[a, i, i] *= 2.0
        if use_weights:
            for i in range(n):
                for j in range(n):
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
            cnt[f] = 0.0
        bits = 0
        for a in range(Ne):
            tot = 0.0
            for i in range(n):
                for j in range(n):
                    tot += M[a, i, j]
            if tot == 0.0:
                continue
            bits |= 1 << a
            for i in range(n):
                px[i] = 0.0
                py[i] = 0.0
            ux = 0.0
            uy = 0.0
            for i in range(n):
                for j in range(n):
                    p = M[a, i, j] / tot
                    px[i] += p
                    py[j] += p
            for i in range(n):
                ux += px[i] * lev[i]
                uy += py[i] * lev[i]
            ac = 0.0
            c2 = 0.0
            c3 = 0.0
            c4 = 0.0
            con = 0.0
            sx = 0.0
            sy = 0.0
            cm = 0.0
            en = 0.0
            hxy = 0.0
            hxy1 = 0.0
            mx = 0.0
            nd = 0
            ns = 0
            for i in range(n):
                li = float(lev[i])
                for j in range(n):
                    p = M[a, i, j] / tot
                    if p == 0.0:
                        continue
                    lj = float(lev[j])
                    ac += p * li * lj
                    t = li + lj - ux - uy
                    t2 = t * t
                    c2 += p * t2
                    c3 += p * t2 * t
                    c4 += p * t2 * t2
                    d = li - lj
                    con += p * d * d
                    di = li - ux
                    dj = lj - uy
                    sx += p * di * di
                    sy += p * dj * dj
                    cm += p * di * dj
                    en += p * p
                    hxy -= p * math.log2(p + eps)
                    hxy1 -= p * math.log2(px[i] * py[j] + eps)
                    if p > mx:
                        mx = p
                    kd = lev[i] - lev[j]
                    if kd < 0:
                        kd = -kd
                    if pdiff[kd] == 0.0:
                        touched_d[nd] = kd
                        nd += 1
                    pdiff[kd] += p
                    ks = lev[i] + lev[j]
                    if psum[ks] == 0.0:
                        touched_s[ns] = ks
                        ns += 1
                    psum[ks] += p
            hxy2 = 0.0
            hx = 0.0
            hy = 0.0
            for i in range(n):
                if px[i] > 0.0:
                    hx -= px[i] * math.log2(px[i] + eps)
                if py[i] > 0.0:
                    hy -= py[i] * math.log2(py[i] + eps)
                for j in range(n):
                    pp = px[i] * py[j]
                    if pp > 0.0:
                        hxy2 -= pp * math.log2(pp + eps)
            da = 0.0
            dent = 0.0
            idv = 0.0
            idm = 0.0
            idmn = 0.0
            idn = 0.0
            inv = 0.0
            for t in range(nd):
                k = touched_d[t]
                pk = pdiff[k]
                fk = float(k)
                da += fk * pk
                dent -= pk * math.log2(pk + eps)
                idv += pk / (1.0 + fk)
                idm += pk / (1.0 + fk * fk)
                idmn += pk / (1.0 + fk * fk / (Ng * Ng))
                idn += pk / (1.0 + fk / Ng)
                if k > 0:
                    inv += pk / (fk * fk)
            dv = 0.0
            for t in range(nd):
                k = touched_d[t]
                dv += pdiff[k] * (k - da) * (k - da)
                pdiff[k] = 0.0
            sa = 0.0
            sent = 0.0
            for t in range(ns):
                k = touched_s[t]
                pk = psum[k]
                sa += k * pk
                sent -= pk * math.log2(pk + eps)
                psum[k] = 0.0
            sig = math.sqrt(sx) * math.sqrt(sy)
            corr = 1.0 if sig == 0.0 else cm / (sig + eps)
            div = hx if hx > hy else hy
            imc1 = (hxy - hxy1) / div if div != 0.0 else 0.0
            vals = (ac, c4, c3, c2, con, corr, da, dent, dv, idv, idm, idmn, idn, imc1)
            for f in range(14):
                acc[f] += vals[f]
                cnt[f] += 1.0
            if hxy2 == hxy:
                acc[14] += 0.0
                cnt[14] += 1.0
            else:
                rad = 1.0 - math.exp(-2.0 * (hxy2 - hxy))
                if rad >= 0.0:
                    acc[14] += math.sqrt(rad)
                    cnt[14] += 1.0
            vals2 = (inv, ux, en, hxy)
            for f in range(4):
                acc[15 + f] += vals2[f]
                cnt[15 + f] += 1.0
            if do_mcc:
                if n_global < 2:
                    acc[19] += 1.0
                    cnt[19] += 1.0
                else:
                    na_ = 0
                    nk_ = 0
                    for i in range(n):
                        if px[i] > 0.0:
                            act_i[na_] = i
                            na_ += 1
                        if py[i] > 0.0:
                            act_k[nk_] = i
                            nk_ += 1
                    if na_ < 2:
                        acc[19] += 0.0
                        cnt[19] += 1.0
                    else:
                        # S = B B^T, B_ik = p_ik / sqrt(px_i py_k): similar to pyradiomics'
                        # Q_ij = sum_k p_ik p_jk / (px_i py_k), symmetric, so eigvalsh.
                        B = np.empty((na_, nk_))
                        for r in range(na_):
                            i = act_i[r]
                            for s_ in range(nk_):
                                k = act_k[s_]
                                B[r, s_] = (M[a, i, k] / tot) / math.sqrt(px[i] * py[k] + eps)
                        S = B @ B.T
                        ev = np.linalg.eigvalsh(S)
                        e2 = ev[na_ - 2]
                        acc[19] += math.sqrt(e2) if e2 > 0.0 else 0.0
                        cnt[19] += 1.0
            vals3 = (mx, sa, sent, sx)
            for f in range(4):
                acc[20 + f] += vals3[f]
                cnt[20 + f] += 1.0
        for f in range(_NF):
            out[v, f] = acc[f] / cnt[f] if cnt[f] > 0 else np.nan
        if not do_mcc:
            out[v, 19] = np.nan
        nonempty[v] = bits
        for k in range(n):
            lut[lev[k]] = -1
