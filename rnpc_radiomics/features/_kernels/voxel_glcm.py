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
_LN2 = math.log(2.0)


@njit(cache=True, nogil=True)
def _second_eigenvalue(S, m, d, e, squared):
    """Second largest eigenvalue of the symmetric S[:m, :m] (m >= 2; S, d, e are scratch), or
    with ``squared`` the second largest squared eigenvalue.

    Householder reduction to tridiagonal form, then implicit QL (eigenvalues only; Numerical
    Recipes' tred2/tqli): for the small matrices of one kernel this is several times faster
    than a LAPACK call from numba, with LAPACK's accuracy.
    """
    n = m
    for i in range(n - 1, 0, -1):
        lo = i - 1
        h = 0.0
        if lo > 0:
            scale = 0.0
            for k in range(lo + 1):
                scale += abs(S[i, k])
            if scale == 0.0:
                e[i] = S[i, lo]
            else:
                for k in range(lo + 1):
                    S[i, k] /= scale
                    h += S[i, k] * S[i, k]
                f = S[i, lo]
                g = -math.sqrt(h) if f >= 0.0 else math.sqrt(h)
                e[i] = scale * g
                h -= f * g
                S[i, lo] = f - g
                f = 0.0
                for j in range(lo + 1):
                    g = 0.0
                    for k in range(j + 1):
                        g += S[j, k] * S[i, k]
                    for k in range(j + 1, lo + 1):
                        g += S[k, j] * S[i, k]
                    e[j] = g / h
                    f += e[j] * S[i, j]
                hh = f / (h + h)
                for j in range(lo + 1):
                    f = S[i, j]
                    g = e[j] - hh * f
                    e[j] = g
                    for k in range(j + 1):
                        S[j, k] -= f * e[k] + g * S[i, k]
        else:
            e[i] = S[i, lo]
        d[i] = h
    e[0] = 0.0
    for i in range(n):
        d[i] = S[i, i]
    # implicit QL on the tridiagonal (d, e)
    for i in range(1, n):
        e[i - 1] = e[i]
    e[n - 1] = 0.0
    for lo in range(n):
        it = 0
        while True:
            mm = lo
            while mm < n - 1:
                dd = abs(d[mm]) + abs(d[mm + 1])
                if abs(e[mm]) <= 2.220446049250313e-16 * dd:
                    break
                mm += 1
            if mm == lo or it == 60:
                break
            it += 1
            g = (d[lo + 1] - d[lo]) / (2.0 * e[lo])
            r = math.sqrt(g * g + 1.0)
            g = d[mm] - d[lo] + e[lo] / (g + (r if g >= 0.0 else -r))
            s = 1.0
            c = 1.0
            p = 0.0
            i = mm - 1
            early = False
            while i >= lo:
                f = s * e[i]
                b = c * e[i]
                r = math.sqrt(f * f + g * g)  # values are <= ~1: no overflow
                e[i + 1] = r
                if r == 0.0:
                    d[i + 1] -= p
                    e[mm] = 0.0
                    early = True
                    break
                s = f / r
                c = g / r
                g = d[i + 1] - p
                r = (d[i] - g) * s + 2.0 * c * b
                p = s * r
                d[i + 1] = g + p
                g = c * r - b
                i -= 1
            if early:
                continue
            d[lo] -= p
            e[lo] = g
            e[mm] = 0.0
    e1 = -np.inf
    e2 = -np.inf
    for i in range(n):
        v = d[i] * d[i] if squared else d[i]
        if v > e1:
            e2 = e1
            e1 = v
        elif v > e2:
            e2 = v
    return e2


@njit(cache=True, nogil=True)
def voxel_glcm(q, msk, centers, R, f2d, angles, weights, use_weights, symmetric, Ng,
               n_global, eps, do_imc, do_mcc, cap, start, stop, out, nonempty):
    """Fill ``out[v, :]`` (GLCM_COLUMNS) and ``nonempty[v]`` for every voxel ``centers[v]``.

    q : int32 (Z, Y, X) grey levels 1..Ng inside ``msk``; msk : bool (Z, Y, X);
    centers : int64 (N, 3); R : kernel radius; f2d : force2D axis or -1; angles : int64 (Na, 3)
    unidirectional offsets; weights : float64 (Na,) used when ``use_weights``; symmetric : bool;
    Ng : max grey level (Idmn, Idn); n_global : number of grey levels in ``msk`` (MCC is 1 when
    it is 1); eps : machine epsilon; do_imc, do_mcc : compute Imc1/Imc2, MCC (NaN otherwise);
    cap : most levels in a box; start, stop : the voxels to compute. ``nonempty[v]`` gets bit ``a`` set
    when angle ``a`` (after weighting: bit 0) has at least one pair in the kernel.
    """
    Z, Y, X = q.shape
    Na = angles.shape[0]
    lut = np.full(Ng + 1, -1, np.int64)
    lev = np.zeros(cap, np.int64)
    # counts per angle; slot Na holds the distance-weighted sum. Only non-zero entries are
    # visited (nzi/nzj list them): a kernel has at most a few dozen pairs per angle.
    P = np.zeros((Na + 1, cap, cap))
    nzi = np.zeros((Na + 1, cap * cap), np.int64)
    nzj = np.zeros((Na + 1, cap * cap), np.int64)
    nnz = np.zeros(Na + 1, np.int64)
    px = np.zeros(cap)
    py = np.zeros(cap)
    pdiff = np.zeros(Ng + 1)
    psum = np.zeros(2 * Ng + 2)
    touched_d = np.zeros(cap * cap, np.int64)
    touched_s = np.zeros(cap * cap, np.int64)
    act_i = np.zeros(cap, np.int64)
    act_k = np.zeros(cap, np.int64)
    lx = np.zeros(cap)
    ly = np.zeros(cap)
    S = np.zeros((cap, cap))
    Bm = np.zeros((cap, cap))
    ev_d = np.zeros(cap)
    ev_e = np.zeros(cap)
    bb = np.zeros(6, np.int64)
    acc = np.zeros(_NF)
    cnt = np.zeros(_NF)
    for v in range(start, stop):
        kernel_box(centers[v, 0], centers[v, 1], centers[v, 2], R, f2d, Z, Y, X, bb)
        n = local_levels(q, msk, bb, lut, lev)
        # co-occurrence counts inside the box (both orders at once when symmetric: P + P^T)
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
                            lj = lut[q[zz, yy, xx]]
                            if P[a, li, lj] == 0.0:
                                nzi[a, nnz[a]] = li
                                nzj[a, nnz[a]] = lj
                                nnz[a] += 1
                            P[a, li, lj] += 1.0
                            if symmetric:
                                if P[a, lj, li] == 0.0:
                                    nzi[a, nnz[a]] = lj
                                    nzj[a, nnz[a]] = li
                                    nnz[a] += 1
                                P[a, lj, li] += 1.0
        if use_weights:
            for a in range(Na):
                for t in range(nnz[a]):
                    i = nzi[a, t]
                    j = nzj[a, t]
                    wv = P[a, i, j] * weights[a]
                    if wv == 0.0:
                        continue
                    if P[Na, i, j] == 0.0:
                        nzi[Na, nnz[Na]] = i
                        nzj[Na, nnz[Na]] = j
                        nnz[Na] += 1
                    P[Na, i, j] += wv
            a0 = Na
            Ne = 1
        else:
            a0 = 0
            Ne = Na
        M = P
        for f in range(_NF):
            acc[f] = 0.0
            cnt[f] = 0.0
        bits = 0
        for ae in range(Ne):
            a = a0 + ae
            tot = 0.0
            for t in range(nnz[a]):
                tot += M[a, nzi[a, t], nzj[a, t]]
            if tot == 0.0:
                continue
            bits |= 1 << ae
            for i in range(n):
                px[i] = 0.0
                py[i] = 0.0
            ux = 0.0
            uy = 0.0
            for t in range(nnz[a]):
                p = M[a, nzi[a, t], nzj[a, t]] / tot
                px[nzi[a, t]] += p
                py[nzj[a, t]] += p
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
            for t_ in range(nnz[a]):
                i = nzi[a, t_]
                j = nzj[a, t_]
                p = M[a, i, j] / tot
                li = float(lev[i])
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
            hx = 0.0
            hy = 0.0
            hxy1 = 0.0
            hxy2 = 0.0
            if do_imc:
                # log2(a b + eps) = log2 a + log2 b + eps / (a b ln 2) to ~1e-16: n logs per angle
                # instead of n^2
                sx_l = 0.0
                sy_l = 0.0
                nx = 0
                ny = 0
                for i in range(n):
                    if px[i] > 0.0:
                        lx[i] = math.log2(px[i])
                        hx -= px[i] * math.log2(px[i] + eps)
                        sx_l += px[i] * lx[i]
                        nx += 1
                    if py[i] > 0.0:
                        ly[i] = math.log2(py[i])
                        hy -= py[i] * math.log2(py[i] + eps)
                        sy_l += py[i] * ly[i]
                        ny += 1
                for t_ in range(nnz[a]):
                    i = nzi[a, t_]
                    j = nzj[a, t_]
                    pp = px[i] * py[j]
                    hxy1 -= (M[a, i, j] / tot) * (lx[i] + ly[j] + eps / (pp * _LN2))
                hxy2 = -(sx_l + sy_l) - nx * ny * eps / _LN2
                if abs(hxy2 - hxy) < 1e-8:
                    # Imc2 = sqrt(1 - exp(-2 (HXY2 - HXY))) is ill-conditioned here (exactly 0 when
                    # HXY2 == HXY): sum exactly as pyradiomics does
                    hxy2 = 0.0
                    for i in range(n):
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
                        # pyradiomics' Q_ij = sum_k p_ik p_jk / (px_i py_k + eps) is similar
                        # to the symmetric S = B B^T, B_ik = p_ik / sqrt(px_i py_k + eps). A
                        # symmetric GLCM has px = py and a symmetric B, so S = B^2: take the
                        # eigenvalues of B, squared, without forming S.
                        for r in range(na_):
                            i = act_i[r]
                            for s_ in range(nk_):
                                k = act_k[s_]
                                Bm[r, s_] = (M[a, i, k] / tot) / math.sqrt(px[i] * py[k] + eps)
                        if symmetric and na_ == nk_:
                            for r in range(na_):
                                for r2 in range(na_):
                                    S[r, r2] = Bm[r, r2]
                            e2 = _second_eigenvalue(S, na_, ev_d, ev_e, True)
                        else:
                            for r in range(na_):
                                for r2 in range(r, na_):
                                    acc_s = 0.0
                                    for s_ in range(nk_):
                                        acc_s += Bm[r, s_] * Bm[r2, s_]
                                    S[r, r2] = acc_s
                                    S[r2, r] = acc_s
                            e2 = _second_eigenvalue(S, na_, ev_d, ev_e, False)
                        acc[19] += math.sqrt(e2) if e2 > 0.0 else 0.0
                        cnt[19] += 1.0
            vals3 = (mx, sa, sent, sx)
            for f in range(4):
                acc[20 + f] += vals3[f]
                cnt[20 + f] += 1.0
        for f in range(_NF):
            out[v, f] = acc[f] / cnt[f] if cnt[f] > 0 else np.nan
        if not do_imc:
            out[v, 13] = np.nan
            out[v, 14] = np.nan
        if not do_mcc:
            out[v, 19] = np.nan
        nonempty[v] = bits
        for a in range(Na + 1):
            for t in range(nnz[a]):
                P[a, nzi[a, t], nzj[a, t]] = 0.0
            nnz[a] = 0
        for k in range(n):
            lut[lev[k]] = -1
