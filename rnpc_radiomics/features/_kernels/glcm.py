"""GLCM kernels: co-occurrence counting and per-angle reductions (numba, CPU)."""

from __future__ import annotations

import numpy as np
from numba import njit, prange


@njit(cache=True, nogil=True, parallel=True)
def glcm_counts(lab, idx, steps, out):
    """Count co-occurrences per offset; one thread per offset (no write races).

    ``out[a, lab[i], lab[i + steps[a]]] += 1`` for every ROI voxel ``i`` whose neighbour is in the
    ROI too. Asymmetric, like pyradiomics' C matrix.

    Counted branch-free as int32 into a table with a spare first column that takes the
    neighbours outside the ROI (label -1), with unsigned indices (no negative-index test), then
    copied out: whole numbers, so the same values as float additions.

    lab : int32 (V,) padded label image (-1 outside the ROI); idx : int64 (N,) ROI voxels;
    steps : int64 (Na,) flat offsets; out : float64 (Na, n, n), zero on entry.
    """
    Na = steps.shape[0]
    N = idx.shape[0]
    n = out.shape[1]
    for a in prange(Na):
        o = steps[a]
        h = np.zeros((n, n + 1), np.int32)
        for t in range(N):
            i = idx[np.uint64(t)]
            h[np.uint64(lab[np.uint64(i)]), np.uint64(lab[np.uint64(i + o)] + 1)] += 1
        for r in range(n):
            for c in range(n):
                out[a, r, c] += h[r, c + 1]


# Serial: well under a millisecond of work; a parallel launch can wait milliseconds for a
# worker thread when the machine is busy.
@njit(cache=True, nogil=True)
def glcm_angle_stats(p, levels, eps, px, py, psum, pdiff, stats):
    """Per-angle marginals and full-matrix sums of normalised GLCMs, as pyradiomics forms them.

    p : float64 (Na, n, n), each angle summing to 1; levels : float64 (n,) grey level of each row;
    eps : float. Filled (all zero on entry):
    px, py : (Na, n) row / column marginals; psum : (Na, 2 Ng + 1) p_{x+y}(k) at index k;
    pdiff : (Na, Ng) p_{x-y}(k) at index k; stats : (Na, 15) with columns
    0 ux, 1 uy, 2 autocorrelation, 3 joint energy, 4 HXY, 5 HXY1, 6 HXY2, 7 max p,
    8 contrast, 9 sum p (i-ux)^2, 10 sum p (j-uy)^2, 11 sum p (i-ux)(j-uy),
    12..14 sum p (i+j-ux-uy)^k for k = 2, 3, 4.
    """
    Na, n, _ = p.shape
    for a in range(Na):
        ux = 0.0
        uy = 0.0
        for i in range(n):
            for j in range(n):
                v = p[a, i, j]
                px[a, i] += v
                py[a, j] += v
                ux += v * levels[i]
                uy += v * levels[j]
        ac = 0.0
        en = 0.0
        hxy = 0.0
        hxy1 = 0.0
        hxy2 = 0.0
        mx = p[a, 0, 0]
        con = 0.0
        sx = 0.0
        sy = 0.0
        cm = 0.0
        c2 = 0.0
        c3 = 0.0
        c4 = 0.0
        for i in range(n):
            li = levels[i]
            pxi = px[a, i]
            for j in range(n):
                lj = levels[j]
                v = p[a, i, j]
                pp = pxi * py[a, j]
                lpp = np.log2(pp + eps)
                hxy1 += v * lpp
                hxy2 += pp * lpp
                if v > mx:
                    mx = v
                if v != 0.0:
                    hxy += v * np.log2(v + eps)
                    ac += v * li * lj
                    en += v * v
                    d = li - lj
                    con += v * d * d
                    di = li - ux
                    dj = lj - uy
                    sx += v * di * di
                    sy += v * dj * dj
                    cm += v * di * dj
                    t = li + lj - ux - uy
                    t2 = t * t
                    c2 += v * t2
                    c3 += v * t2 * t
                    c4 += v * t2 * t2
                    psum[a, int(li + lj)] += v
                    pdiff[a, int(abs(d))] += v
        stats[a, 0] = ux
        stats[a, 1] = uy
        stats[a, 2] = ac
        stats[a, 3] = en
        stats[a, 4] = -hxy
        stats[a, 5] = -hxy1
        stats[a, 6] = -hxy2
        stats[a, 7] = mx
        stats[a, 8] = con
        stats[a, 9] = sx
        stats[a, 10] = sy
        stats[a, 11] = cm
        stats[a, 12] = c2
        stats[a, 13] = c3
        stats[a, 14] = c4


# Serial: well under a millisecond of work; a parallel launch can wait milliseconds for a
# worker thread when the machine is busy.
@njit(cache=True, nogil=True)
def glcm_mcc_second_eigenvalue(p, px, py, eps, out):
    """Second largest eigenvalue of pyradiomics' MCC matrix Q, per angle.

    ``Q(i,j) = sum_k p(i,k) p(j,k) / (px(i) py(k) + eps)`` has, up to the eps, the eigenvalues of
    the symmetric ``S = B B^T`` with ``B(i,k) = p(i,k) / sqrt(px(i) py(k) + eps)`` (S is
    ``D^(1/2) Q D^(-1/2)``, ``D = diag(px)``). S is built from B's non-zero entries, reduced to
    tridiagonal form by Householder reflections, and its second largest eigenvalue found by
    Sturm-sequence bisection. All in numba, one thread per angle: no BLAS/LAPACK threads that
    would compete with the other kernels' threads.

    p : float64 (Na, n, n) normalised GLCMs, n >= 2; px, py : (Na, n) marginals; eps : float;
    out : float64 (Na,) filled.
    """
    Na, n, _ = p.shape
    for ang in range(Na):
        b = np.zeros((n, n))
        for i in range(n):
            for k in range(n):
                v = p[ang, i, k]
                if v != 0.0:
                    b[i, k] = v / np.sqrt(px[ang, i] * py[ang, k] + eps)
        a = _gram_sparse(b)
        d = np.empty(n)
        e = np.empty(n)
        _tridiagonalise(a, d, e)
        out[ang] = _tridiagonal_eigenvalue(d, e, n - 2)


@njit(cache=True, nogil=True)
def _gram_sparse(b):
    """``B B^T`` summing only products of non-zero entries (GLCMs are mostly zero)."""
    n = b.shape[0]
    a = np.zeros((n, n))
    rows = np.empty(n, dtype=np.int64)
    for k in range(n):
        m = 0
        for i in range(n):
            if b[i, k] != 0.0:
                rows[m] = i
                m += 1
        for x in range(m):
            i = rows[x]
            bik = b[i, k]
            for y in range(x + 1):
                j = rows[y]
                a[i, j] += bik * b[j, k]
    for i in range(n):
        for j in range(i):
            a[j, i] = a[i, j]
    return a


@njit(cache=True, nogil=True)
def _tridiagonalise(a, d, e):
    """Householder reduction of the symmetric ``a`` (destroyed) to tridiagonal form.

    Fills the diagonal ``d`` and the sub-diagonal ``e[1:]`` (``e[i]`` couples rows i-1 and i).
    Row i is annihilated left of its sub-diagonal with ``u`` (as in Numerical Recipes' tred2);
    the trailing block is updated in full, ``A -= u q^T + q u^T``, which keeps every inner loop
    on contiguous rows.
    """
    n = a.shape[0]
    u = np.empty(n)
    q = np.empty(n)
    for i in range(n - 1, 0, -1):
        lo = i - 1
        scale = 0.0
        for k in range(i):
            scale += abs(a[i, k])
        if lo == 0 or scale == 0.0:
            e[i] = a[i, lo]
            continue
        h = 0.0
        for k in range(i):
            u[k] = a[i, k] / scale
            h += u[k] * u[k]
        f = u[lo]
        g = -np.sqrt(h) if f >= 0.0 else np.sqrt(h)
        e[i] = scale * g
        h -= f * g
        u[lo] = f - g
        kk = 0.0
        for j in range(i):
            s = 0.0
            for k in range(i):
                s += a[j, k] * u[k]
            q[j] = s / h
            kk += q[j] * u[j]
        kk /= h + h
        for j in range(i):
            q[j] -= kk * u[j]
        for j in range(i):
            uj = u[j]
            qj = q[j]
            for k in range(i):
                a[j, k] -= uj * q[k] + qj * u[k]
    e[0] = 0.0
    for i in range(n):
        d[i] = a[i, i]


@njit(cache=True, nogil=True)
def _tridiagonal_eigenvalue(d, e, k):
    """The k-th smallest (0-based) eigenvalue of the symmetric tridiagonal (d, e[1:]) by
    bisection on Sturm counts, to round-off accuracy (Kahan's method, as LAPACK's dstebz)."""
    n = d.shape[0]
    lo = np.inf
    hi = -np.inf
    emax = 0.0
    for i in range(n):  # Gershgorin interval
        r = 0.0
        if i > 0:
            r += abs(e[i])
        if i < n - 1:
            r += abs(e[i + 1])
        lo = min(lo, d[i] - r)
        hi = max(hi, d[i] + r)
        if i > 0:
            emax = max(emax, e[i] * e[i])
    pivmin = 2.2250738585072014e-308 * max(1.0, emax)
    ulp = 2.220446049250313e-16
    for _ in range(200):
        if hi - lo <= 2.0 * ulp * max(abs(lo), abs(hi)) + pivmin:
            break
        mid = 0.5 * (lo + hi)
        count = 0  # eigenvalues below mid
        t = d[0] - mid
        if abs(t) < pivmin:
            t = -pivmin
        if t < 0.0:
            count += 1
        for i in range(1, n):
            t = d[i] - mid - e[i] * e[i] / t
            if abs(t) < pivmin:
                t = -pivmin
            if t < 0.0:
                count += 1
        if count > k:
            hi = mid
        else:
            lo = mid
    return 0.5 * (lo + hi)
