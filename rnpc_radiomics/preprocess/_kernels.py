"""numba kernels for single passes over large arrays (ROI scan, discretisation).

Kernels take arrays and scalars only, never validate or raise; :mod:`.mask` wraps them.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def roi_scan(labels, label, out):
    """Count voxels equal to ``label`` and their inclusive bounding box, in one pass.

    ``out`` (int64, 7) receives ``count, z0, z1, y0, y1, x0, x1`` (count 0: box undefined).
    """
    nz, ny, nx = labels.shape
    count = 0
    z0, z1, y0, y1, x0, x1 = nz, -1, ny, -1, nx, -1
    for z in range(nz):
        for y in range(ny):
            row = 0
            rx0 = nx
            rx1 = -1
            for x in range(nx):
                if labels[z, y, x] == label:
                    row += 1
                    if x < rx0:
                        rx0 = x
                    rx1 = x
            if row:
                count += row
                if z < z0:
                    z0 = z
                z1 = z
                if y < y0:
                    y0 = y
                if y > y1:
                    y1 = y
                if rx0 < x0:
                    x0 = rx0
                if rx1 > x1:
                    x1 = rx1
    out[0] = count
    out[1] = z0
    out[2] = z1
    out[3] = y0
    out[4] = y1
    out[5] = x0
    out[6] = x1


@njit(cache=True, nogil=True)
def digitize_sorted(values, edges, out):
    """``out[i] = numpy.digitize(values[i], edges)`` for ascending, near-uniform ``edges``.

    Same as ``searchsorted(edges, v, side='right')``: the number of edges ``<= v``. A linear
    guess then exact float64 comparisons (float32/int values and edges convert exactly, so the
    comparisons are numpy's); about 10x faster than numpy's binary search on random data.
    """
    n = edges.size
    e0 = np.float64(edges[0])
    en = np.float64(edges[n - 1])
    scale = (n - 1) / (en - e0) if en > e0 else 0.0
    for i in range(values.size):
        v = np.float64(values[i])
        f = (v - e0) * scale
        if f <= 0.0:
            g = 0
        elif f >= n - 1:
            g = n - 1
        else:
            g = int(f)
        while g > 0 and np.float64(edges[g]) > v:
            g -= 1
        if np.float64(edges[g]) > v:
            out[i] = 0
            continue
        while g + 1 < n and np.float64(edges[g + 1]) <= v:
            g += 1
        out[i] = g + 1
