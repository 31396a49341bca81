"""ITK's recursive (Deriche) Gaussian, re-implemented operation for operation.

``itk::RecursiveGaussianImageFilter`` (ITK 5.4, as in SimpleITK 2.5 and so in pyradiomics'
``getLoGImage``) filters one image line at a time with a 4th-order causal + anti-causal IIR pair
in double precision, assuming the line's end values continue to infinity, and stores each pass in
a ``float`` image. ``itk::LaplacianRecursiveGaussianImageFilter`` sums, per axis ``d``, the second
derivative along ``d`` smoothed along the other two axes (in increasing axis order), each term
scaled by ``1 / spacing[d]**2`` and accumulated in ``float``.

The coefficients below follow ``RecursiveGaussianImageFilter::SetUp`` /
``ComputeNCoefficients`` / ``ComputeDCoefficients`` / ``ComputeRemainingCoefficients`` expression
by expression (same operand order, same libm ``sin``/``cos``/``exp`` through :mod:`math`), and the
line kernel follows ``RecursiveSeparableImageFilter::FilterDataArray`` (``MathEMAMAMAM`` =
``a1*b1 + a2*b2 + a3*b3 + a4*b4`` left to right), so results equal ITK's bit for bit on IEEE
double hardware without fused multiply-add contraction (checked against SimpleITK in
``tests/test_filters_parity.py``).

Why bother: ITK filters the whole image on every pass. Here each pass computes only the lines
the next pass reads: for the last pass only the lines through the requested box, for the middle
pass only the box's range along the first-pass axis. Along each line the causal recursion runs
from the line's start to the end of the kept range and the anti-causal one from the line's end
down to its start, which is all the kept samples depend on, so values in the box are exactly
ITK's.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numba import njit, prange

__all__ = ["gaussian_coefficients", "laplacian_recursive_gaussian"]

# Deriche's fitted constants (ITK RecursiveGaussianImageFilter::SetUp).
_A1 = (1.3530, -0.6724, -1.3563)
_B1 = (1.8151, -3.4327, 5.2318)
_A2 = (-0.3531, 0.6724, 0.3446)
_B2 = (0.0902, 0.6100, -2.2355)
_W1, _L1, _W2, _L2 = 0.6681, -1.3932, 2.0787, -1.3732


def _n_coefficients(sigmad, A1, B1, W1, L1, A2, B2, W2, L2):
    Sin1 = math.sin(W1 / sigmad)
    Sin2 = math.sin(W2 / sigmad)
    Cos1 = math.cos(W1 / sigmad)
    Cos2 = math.cos(W2 / sigmad)
    Exp1 = math.exp(L1 / sigmad)
    Exp2 = math.exp(L2 / sigmad)
    N0 = A1 + A2
    N1 = Exp2 * (B2 * Sin2 - (A2 + 2 * A1) * Cos2)
    N1 += Exp1 * (B1 * Sin1 - (A1 + 2 * A2) * Cos1)
    N2 = (A1 + A2) * Cos2 * Cos1
    N2 -= B1 * Cos2 * Sin1 + B2 * Cos1 * Sin2
    N2 *= 2 * Exp1 * Exp2
    N2 += A2 * Exp1 * Exp1 + A1 * Exp2 * Exp2
    N3 = Exp2 * Exp1 * Exp1 * (B2 * Sin2 - A2 * Cos2)
    N3 += Exp1 * Exp2 * Exp2 * (B1 * Sin1 - A1 * Cos1)
    SN = N0 + N1 + N2 + N3
    DN = N1 + 2 * N2 + 3 * N3
    EN = N1 + 4 * N2 + 9 * N3
    return N0, N1, N2, N3, SN, DN, EN


def _d_coefficients(sigmad, W1, L1, W2, L2):
    Cos1 = math.cos(W1 / sigmad)
    Cos2 = math.cos(W2 / sigmad)
    Exp1 = math.exp(L1 / sigmad)
    Exp2 = math.exp(L2 / sigmad)
    D4 = Exp1 * Exp1 * Exp2 * Exp2
    D3 = -2 * Cos1 * Exp1 * Exp2 * Exp2
    D3 += -2 * Cos2 * Exp2 * Exp1 * Exp1
    D2 = 4 * Cos2 * Cos1 * Exp1 * Exp2
    D2 += Exp1 * Exp1 + Exp2 * Exp2
    D1 = -2 * (Exp2 * Cos2 + Exp1 * Cos1)
    SD = 1.0 + D1 + D2 + D3 + D4
    DD = D1 + 2 * D2 + 3 * D3 + 4 * D4
    ED = D1 + 4 * D2 + 9 * D3 + 16 * D4
    return D1, D2, D3, D4, SD, DD, ED


def gaussian_coefficients(sigma: float, spacing: float, order: int,
                          normalize_across_scale: bool = True) -> np.ndarray:
    """ITK's recursive Gaussian coefficients for one axis.

    Parameters
    ----------
    sigma : float
        Gaussian sigma in mm.
    spacing : float
        Voxel spacing along the filtered axis, mm.
    order : {0, 2}
        Smoothing (0) or second derivative (2).
    normalize_across_scale : bool
        ITK's ``NormalizeAcrossScale`` (second derivative scaled by ``sigma**2``).

    Returns
    -------
    ndarray of shape (20,), float64
        ``N0..N3, D1..D4, M1..M4, BN1..BN4, BM1..BM4``.
    """
    spacing = abs(float(spacing))
    sigma = float(sigma)
    sigmad = sigma / spacing
    D1, D2, D3, D4, SD, DD, ED = _d_coefficients(sigmad, _W1, _L1, _W2, _L2)
    if order == 0:
        N0, N1, N2, N3, SN, DN, EN = _n_coefficients(sigmad, _A1[0], _B1[0], _W1, _L1,
                                                     _A2[0], _B2[0], _W2, _L2)
        alpha0 = 2 * SN / SD - N0
        scale = 1.0 / alpha0
    elif order == 2:
        across = sigma * sigma if normalize_across_scale else 1.0
        N0_0, N1_0, N2_0, N3_0, SN0, DN0, EN0 = _n_coefficients(
            sigmad, _A1[0], _B1[0], _W1, _L1, _A2[0], _B2[0], _W2, _L2)
        N0_2, N1_2, N2_2, N3_2, SN2, DN2, EN2 = _n_coefficients(
            sigmad, _A1[2], _B1[2], _W1, _L1, _A2[2], _B2[2], _W2, _L2)
        beta = -(2 * SN2 - SD * N0_2) / (2 * SN0 - SD * N0_0)
        N0 = N0_2 + beta * N0_0
        N1 = N1_2 + beta * N1_0
        N2 = N2_2 + beta * N2_0
        N3 = N3_2 + beta * N3_0
        SN = SN2 + beta * SN0
        DN = DN2 + beta * DN0
        EN = EN2 + beta * EN0
        alpha2 = EN * SD * SD - ED * SN * SD - 2 * DN * DD * SD + 2 * DD * DD * SN
        alpha2 /= SD * SD * SD
        scale = across / alpha2
    else:
        raise ValueError(f"order must be 0 or 2, got {order}")
    N0 *= scale
    N1 *= scale
    N2 *= scale
    N3 *= scale
    # ComputeRemainingCoefficients(symmetric=True)
    M1 = N1 - D1 * N0
    M2 = N2 - D2 * N0
    M3 = N3 - D3 * N0
    M4 = -D4 * N0
    SN = N0 + N1 + N2 + N3
    SM = M1 + M2 + M3 + M4
    SD = 1.0 + D1 + D2 + D3 + D4
    return np.array([N0, N1, N2, N3, D1, D2, D3, D4, M1, M2, M3, M4,
                     D1 * SN / SD, D2 * SN / SD, D3 * SN / SD, D4 * SN / SD,
                     D1 * SM / SD, D2 * SM / SD, D3 * SM / SD, D4 * SM / SD], dtype=np.float64)


@njit(cache=True, nogil=True)
def _filter_lines(data, out, s, c, w0, w1, M):
    """``FilterDataArray`` on the first ``M`` columns of ``data`` (L, >= M) at once, into ``out``.

    Lines run down the first axis; the inner loop over columns is independent work, so it
    vectorises instead of waiting on the recursion's latency. ``s`` is (L, M) scratch.

    Only samples ``[w0, w1)`` of ``out`` are made final (the others hold garbage): the causal
    recursion at sample ``i`` reads only samples ``<= i`` and the anti-causal one only samples
    ``>= i``, so the first runs up to ``w1`` and the second down to ``w0``, each operation
    unchanged, and the values kept are ITK's bit for bit. Needs ``0 <= w0 < w1 <= L``.
    """
    n0, n1, n2, n3 = c[0], c[1], c[2], c[3]
    d1, d2, d3, d4 = c[4], c[5], c[6], c[7]
    m1, m2, m3, m4 = c[8], c[9], c[10], c[11]
    bn1, bn2, bn3, bn4 = c[12], c[13], c[14], c[15]
    bm1, bm2, bm3, bm4 = c[16], c[17], c[18], c[19]
    L = data.shape[0]
    for k in range(M):
        v = data[0, k]
        t = v * n0 + v * n1 + v * n2 + v * n3
        t -= v * bn1 + v * bn2 + v * bn3 + v * bn4
        out[0, k] = t
        t = data[1, k] * n0 + v * n1 + v * n2 + v * n3
        t -= out[0, k] * d1 + v * bn2 + v * bn3 + v * bn4
        out[1, k] = t
        t = data[2, k] * n0 + data[1, k] * n1 + v * n2 + v * n3
        t -= out[1, k] * d1 + out[0, k] * d2 + v * bn3 + v * bn4
        out[2, k] = t
        t = data[3, k] * n0 + data[2, k] * n1 + data[1, k] * n2 + v * n3
        t -= out[2, k] * d1 + out[1, k] * d2 + out[0, k] * d3 + v * bn4
        out[3, k] = t
    for i in range(4, w1):
        for k in range(M):
            t = data[i, k] * n0 + data[i - 1, k] * n1 + data[i - 2, k] * n2 + data[i - 3, k] * n3
            t -= out[i - 1, k] * d1 + out[i - 2, k] * d2 + out[i - 3, k] * d3 + out[i - 4, k] * d4
            out[i, k] = t
    e = L - 1
    for k in range(M):
        w = data[e, k]
        t = w * m1 + w * m2 + w * m3 + w * m4
        t -= w * bm1 + w * bm2 + w * bm3 + w * bm4
        s[e, k] = t
        t = data[e, k] * m1 + w * m2 + w * m3 + w * m4
        t -= s[e, k] * d1 + w * bm2 + w * bm3 + w * bm4
        s[e - 1, k] = t
        t = data[e - 1, k] * m1 + data[e, k] * m2 + w * m3 + w * m4
        t -= s[e - 1, k] * d1 + s[e, k] * d2 + w * bm3 + w * bm4
        s[e - 2, k] = t
        t = data[e - 2, k] * m1 + data[e - 1, k] * m2 + data[e, k] * m3 + w * m4
        t -= s[e - 2, k] * d1 + s[e - 1, k] * d2 + s[e, k] * d3 + w * bm4
        s[e - 3, k] = t
    for i in range(L - 4, w0, -1):
        for k in range(M):
            t = data[i, k] * m1 + data[i + 1, k] * m2 + data[i + 2, k] * m3 + data[i + 3, k] * m4
            t -= s[i, k] * d1 + s[i + 1, k] * d2 + s[i + 2, k] * d3 + s[i + 3, k] * d4
            s[i - 1, k] = t
    for i in range(w0, w1):
        for k in range(M):
            out[i, k] += s[i, k]


# Lines filtered together: the recursion runs down a (length, <= _CHUNK) buffer and its inner
# loop (over lines) vectorises.
_CHUNK = 256

# Pass signature: ``src`` holds whole lines along the filtered axis (its other two axes start at
# ``s?`` in image coordinates); the lines at image coordinates ``[lo, hi)`` of the other two axes
# are filtered and the samples ``[w0, w1)`` of each are stored, as float32 (ITK's intermediate
# image type), in ``dst`` whose origin is image voxel ``(dz, dy, dx)``.


@njit(cache=True, nogil=True, parallel=True)
def _pass_zy(src, dst, c, axis, p0, p1, x0, x1, w0, w1, sp, sx, dz, dy, dx, threads):
    """Filter along ``axis`` (0: z, 1: y) the lines at x in [x0, x1) and, on the other of z
    and y, at p in [p0, p1) (whose ``src`` origin is ``sp``)."""
    L = src.shape[axis]
    nx = x1 - x0
    nch = (nx + _CHUNK - 1) // _CHUNK
    jobs = (p1 - p0) * nch
    nt = max(1, min(jobs, threads))
    for th in prange(nt):
        # scratch once per thread, not per job; unsigned indices (all >= 0) let the copies
        # vectorise (no negative-index test)
        data = np.empty((L, _CHUNK), np.float64)
        out = np.empty((L, _CHUNK), np.float64)
        s = np.empty((L, _CHUNK), np.float64)
        for job in range(th * jobs // nt, (th + 1) * jobs // nt):
            p = p0 + job // nch
            a = x0 + (job % nch) * _CHUNK
            m = min(_CHUNK, x1 - a)
            for i in range(L):
                row = src[i, p - sp] if axis == 0 else src[p - sp, i]
                for k in range(m):
                    data[i, np.uint64(k)] = row[np.uint64(a + k - sx)]
            _filter_lines(data, out, s, c, w0, w1, m)
            for i in range(w0, w1):
                drow = dst[i - dz, p - dy] if axis == 0 else dst[p - dz, i - dy]
                for k in range(m):
                    drow[np.uint64(a + k - dx)] = np.float32(out[i, np.uint64(k)])


@njit(cache=True, nogil=True, parallel=True)
def _pass_x(src, dst, c, z0, z1, y0, y1, w0, w1, sz, sy, dz, dy, dx, threads):
    """Filter along x (axis 2) the lines at z in [z0, z1), y in [y0, y1) (transposed in a
    buffer so that lines are columns)."""
    X = src.shape[2]
    ny = y1 - y0
    nch = (ny + _CHUNK - 1) // _CHUNK
    jobs = (z1 - z0) * nch
    nt = max(1, min(jobs, threads))
    for th in prange(nt):
        data = np.empty((X, _CHUNK), np.float64)
        out = np.empty((X, _CHUNK), np.float64)
        s = np.empty((X, _CHUNK), np.float64)
        for job in range(th * jobs // nt, (th + 1) * jobs // nt):
            z = z0 + job // nch
            a = y0 + (job % nch) * _CHUNK
            m = min(_CHUNK, y1 - a)
            # transpose in blocks of 8 rows: 8 read (write) streams, 8 contiguous doubles per x
            for kb in range(0, m, 8):
                ke = min(kb + 8, m)
                for x in range(X):
                    for k in range(kb, ke):
                        data[x, np.uint64(k)] = src[z - sz, a + k - sy, np.uint64(x)]
            _filter_lines(data, out, s, c, w0, w1, m)
            for kb in range(0, m, 8):
                ke = min(kb + 8, m)
                for x in range(w0, w1):
                    for k in range(kb, ke):
                        dst[z - dz, a + k - dy, np.uint64(x - dx)] = np.float32(
                            out[x, np.uint64(k)])


@njit(cache=True, nogil=True, parallel=True)
def _accumulate(acc, term, scale):
    """ITK's add functor ``float(a + b * (1.0 / spacing**2))`` (``scale`` given), in place."""
    Z, Y, X = acc.shape
    for z in prange(Z):
        for y in range(Y):
            for x in range(X):
                acc[z, y, x] = np.float32(np.float64(acc[z, y, x])
                                          + np.float64(term[z, y, x]) * scale)


def _run_pass(axis, src, src_origin, c, lo, hi):
    """Filter ``src`` (image voxel ``src_origin`` at its index 0; whole along ``axis``) along
    ``axis``: the lines with other coordinates in ``[lo, hi)``, keeping samples ``[lo, hi)`` of
    ``axis``. Returns the float32 result, whose index 0 is image voxel ``lo``."""
    dst = np.empty(tuple(h - a for a, h in zip(lo, hi)), np.float32)
    w0, w1 = lo[axis], hi[axis]
    nt = numba.get_num_threads()  # this thread's setting: one scratch set per thread
    if axis in (0, 1):
        other = 1 - axis
        _pass_zy(src, dst, c, axis, lo[other], hi[other], lo[2], hi[2], w0, w1,
                 src_origin[other], src_origin[2], lo[0], lo[1], lo[2], nt)
    else:
        _pass_x(src, dst, c, lo[0], hi[0], lo[1], hi[1], w0, w1, src_origin[0], src_origin[1],
                lo[0], lo[1], lo[2], nt)
    return dst


def laplacian_recursive_gaussian(array: np.ndarray, spacing_zyx, sigma: float,
                                 box: tuple[slice, ...] | None = None) -> np.ndarray:
    """SimpleITK's ``LaplacianRecursiveGaussian`` (``NormalizeAcrossScale`` on), float32.

    Parameters
    ----------
    array : ndarray of shape (Z, Y, X)
        The image, any real dtype (read as double, as ITK does); every axis >= 4 voxels.
    spacing_zyx : sequence of 3 float
        Voxel spacing per array axis, mm.
    sigma : float
        Gaussian sigma, mm.
    box : tuple of 3 slice, optional
        Return only this part (the values are those of the whole-image filter).

    Returns
    -------
    ndarray, float32
        The LoG on ``box`` (or the whole grid).

    Raises
    ------
    ValueError
        ``array`` is not 3D or has an axis shorter than 4 voxels (ITK refuses those too).
    """
    src = np.ascontiguousarray(array)
    if src.ndim != 3 or min(src.shape) < 4:
        # ITK refuses lines shorter than 4 (the recursion's initial conditions need 4 samples)
        raise ValueError(f"need a 3D array with every axis >= 4 voxels, got shape {src.shape}")
    # ITK reads every input sample as a double. Small integers are exact in float32 and wider
    # ones convert to double as in ITK, so two kernel signatures (float32, float64) serve every
    # dtype (numba compiles one per input dtype).
    if src.dtype.kind in "iub" and src.dtype.itemsize <= 2:
        src = src.astype(np.float32)
    elif src.dtype not in (np.float32, np.float64):
        src = src.astype(np.float64)
    shape = src.shape
    if box is None:
        box = tuple(slice(0, n) for n in shape)
    box = tuple(slice(*b.indices(n)[:2]) for b, n in zip(box, shape))
    blo = [b.start for b in box]
    bhi = [b.stop for b in box]
    acc = np.zeros(tuple(h - a for a, h in zip(blo, bhi)), np.float32)
    # ITK axis d (x, y, z) is array axis 2 - d; ITK visits d = 0, 1, 2.
    for dim in range(3):
        a0 = 2 - dim                                        # second derivative along a0, then
        a1, a2 = [2 - j for j in range(3) if j != dim]      # smoothing in ITK's axis order
        cd = gaussian_coefficients(sigma, spacing_zyx[a0], 2)
        c1 = gaussian_coefficients(sigma, spacing_zyx[a1], 0)
        c2 = gaussian_coefficients(sigma, spacing_zyx[a2], 0)
        # Pass 3 (along a2) filters the lines through the box and keeps the box. Those lines
        # read pass 2's output on the box's range of a0 and a1, all of a2: pass 2 (along a1)
        # filters the lines in the box's range of a0 (all a2) and keeps the box's range of a1.
        # Pass 1 (along a0) must filter every line, keeping the box's range of a0.
        lo, hi = [0, 0, 0], list(shape)
        lo[a0], hi[a0] = blo[a0], bhi[a0]
        t1 = _run_pass(a0, src, (0, 0, 0), cd, lo, hi)
        org1 = list(lo)
        lo[a1], hi[a1] = blo[a1], bhi[a1]
        t2 = _run_pass(a1, t1, org1, c1, lo, hi)
        org2 = list(lo)
        del t1
        t3 = _run_pass(a2, t2, org2, c2, blo, bhi)
        del t2
        sp = float(spacing_zyx[a0])
        _accumulate(acc, t3, 1.0 / (sp * sp))
    return acc
