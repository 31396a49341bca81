"""numba kernels of the image filters (CPU)."""

from __future__ import annotations

import math

import numpy as np
from numba import njit


@njit(cache=True)
def _pixel(img, r, c):
    if r < 0 or c < 0 or r >= img.shape[0] or c >= img.shape[1]:
        return 0.0
    return img[r, c]


@njit(cache=True)
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
