"""numba kernels of the image filters (CPU)."""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange


@njit(cache=True, nogil=True)
def _pixel(img, r, c):
    if r < 0 or c < 0 or r >= img.shape[0] or c >= img.shape[1]:
        return 0.0
    return img[r, c]


@njit(cache=True, nogil=True)
def lbp2d_kernel(img, rp, cp, method, out):
    """scikit-image's ``_local_binary_pattern`` for one float64 2D image.

    img : float64 (rows, cols); rp, cp : float64 (P,) neighbour offsets (rounded to 5
    decimals); method : 0 default, 1 ror, 2 uniform, 3 var; out : float64 (rows, cols) filled.
    Neighbours are interpolated bilinearly, zero outside the image.
    """
    rows, cols = img.shape
    P = rp.shape[0]
    tex = np.empty(P, np.float64)
    sgn = np.empty(P, np.int64)
    for r in range(rows):
        for c in range(cols):
            for i in range(P):
                rr = r + rp[i]
                cc = c + cp[i]
                minr = int(math.floor(rr))
                minc = int(math.floor(cc))
                maxr = int(math.ceil(rr))
                maxc = int(math.ceil(cc))
                dr = rr - minr
                dc = cc - minc
                top = (1 - dc) * _pixel(img, minr, minc) + dc * _pixel(img, minr, maxc)
                bot = (1 - dc) * _pixel(img, maxr, minc) + dc * _pixel(img, maxr, maxc)
                tex[i] = (1 - dr) * top + dr * bot
            centre = img[r, c]
            for i in range(P):
                sgn[i] = 1 if tex[i] - centre >= 0 else 0
            lbp = 0.0
            if method == 3:
                s = 0.0
                v = 0.0
                for i in range(P):
                    s += tex[i]
                    v += tex[i] * tex[i]
                v = (v - (s * s) / P) / P
                lbp = v if v != 0 else np.nan
            elif method == 2:
                changes = 0
                for i in range(P - 1):
                    if sgn[i] != sgn[i + 1]:
                        changes += 1
                if changes <= 2:
                    for i in range(P):
                        lbp += sgn[i]
                else:
                    lbp = P + 1
            else:
                code = 0
                for i in range(P):
                    code += sgn[i] << i
                if method == 1:
                    best = code
                    cur = code
                    for _ in range(1, P):
                        cur = (cur >> 1) | ((cur & 1) << (P - 1))
                        if cur < best:
                            best = cur
                    code = best
                lbp = float(code)
            out[r, c] = lbp


@njit(cache=True, nogil=True)
def _swt_line(x, f, out, interior):
    """PyWavelets' ``downsampling_convolution_periodization`` with step 1 (one SWT level):
    ``out[o] = sum_j f[j] * x[(o + F//2 - j) mod N]``, summed in the dtype of ``x`` in exactly
    the C code's order (the wrap-around segments sum their terms in a different order than the
    interior, so they are transcribed segment by segment). ``interior=False`` leaves the
    interior outputs (``F//2 <= o < N - F//2``) unwritten, for a vectorised caller."""
    N = x.shape[0]
    F = f.shape[0]
    h = F // 2
    i = h
    o = 0
    while i < F and i < N:
        s = x.dtype.type(0)
        j = 0
        while j <= i:
            s += f[j] * x[i - j]
            j += 1
        while j < F:
            k = 0
            while k < N and j < F:
                s += f[j] * x[N - 1 - k]
                k += 1
                j += 1
        out[o] = s
        i += 1
        o += 1
    if interior:
        while i < N:
            s = x.dtype.type(0)
            for j in range(F):
                s += x[i - j] * f[j]
            out[o] = s
            i += 1
            o += 1
    elif i < N:
        o += N - i
        i = N
    while i < F and i < N + h:
        s = x.dtype.type(0)
        j = 0
        while i - j >= N:
            k = 0
            while k < N and i - j >= N:
                s += f[i - N - j] * x[k]
                k += 1
                j += 1
        while j <= i:
            s += f[j] * x[i - j]
            j += 1
        while j < F:
            k = 0
            while k < N and j < F:
                s += f[j] * x[N - 1 - k]
                k += 1
                j += 1
        out[o] = s
        i += 1
        o += 1
    while i < N + h:
        s = x.dtype.type(0)
        j = 0
        while i - j >= N:
            k = 0
            while k < N and i - j >= N:
                s += f[i - N - j] * x[k]
                k += 1
                j += 1
        while j < F:
            s += f[j] * x[i - j]
            j += 1
        out[o] = s
        i += 1
        o += 1


_SWT_CHUNK = 256


@njit(cache=True, nogil=True)
def _swt_order(N, F):
    """For ``N >= F``: the (filter tap, input sample) pairs of every output in the order
    PyWavelets sums them (taps ascending, except the right wrap-around outputs, which take their
    wrapped taps first, descending)."""
    h = F // 2
    jt = np.empty((N, F), np.int64)
    it = np.empty((N, F), np.int64)
    for o in range(N):
        i = o + h
        t = 0
        if i >= N:
            for j in range(i - N, -1, -1):
                jt[o, t] = j
                t += 1
            for j in range(i - N + 1, F):
                jt[o, t] = j
                t += 1
        else:
            for j in range(F):
                jt[o, t] = j
                t += 1
        for t in range(F):
            it[o, t] = (i - jt[o, t]) % N
    return jt, it


@njit(cache=True, nogil=True, parallel=True)
def swt_mid(x, lo, hi, out_a, out_d):
    """One SWT level along axis 1 of ``x`` (B, N, M): approximation (filter ``lo``) into
    ``out_a``, detail (``hi``) into ``out_d``, same shape and dtype.

    The ``B * M`` lines are independent: each output is summed for a run of columns at once
    (inner loop over columns, so it vectorises) in PyWavelets' order for that output. Lines
    shorter than the filter go through :func:`_swt_line` one by one.
    """
    B, N, M = x.shape
    F = lo.shape[0]
    nch = (M + _SWT_CHUNK - 1) // _SWT_CHUNK
    if N < F:
        for job in prange(B * M):
            b = job // M
            m = job % M
            _swt_line(x[b, :, m], lo, out_a[b, :, m], True)
            _swt_line(x[b, :, m], hi, out_d[b, :, m], True)
        return
    jt, it = _swt_order(N, F)
    for job in prange(B * nch):
        b = job // nch
        c0 = (job % nch) * _SWT_CHUNK
        c1 = min(c0 + _SWT_CHUNK, M)
        w = c1 - c0
        acc_a = np.empty(w, x.dtype)
        acc_d = np.empty(w, x.dtype)
        for o in range(N):
            acc_a[:] = 0
            acc_d[:] = 0
            for t in range(F):
                fa = lo[jt[o, t]]
                fd = hi[jt[o, t]]
                row = x[b, it[o, t], c0:c1]
                for k in range(w):
                    acc_a[k] += row[k] * fa
                    acc_d[k] += row[k] * fd
            oa = out_a[b, o, c0:c1]
            od = out_d[b, o, c0:c1]
            for k in range(w):
                oa[k] = acc_a[k]
                od[k] = acc_d[k]
