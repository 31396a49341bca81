"""numba kernels for single passes over large arrays (ROI scan, discretisation).

Kernels take arrays and scalars only, never validate or raise; :mod:`.mask` wraps them.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange


@njit(cache=True, nogil=True, parallel=True)
def roi_scan(labels, label, out):
    """Count voxels equal to ``label`` and their inclusive bounding box, in one pass.

    ``out`` (int64, 7) receives ``count, z0, z1, y0, y1, x0, x1`` (count 0: box undefined).
    Planes are scanned in parallel; each row is first counted with a branch-free (vectorised)
    compare-and-add, and only rows holding the label are searched for their first/last voxel,
    so the full-volume pass costs about one read of the labels.
    """
    nz, ny, nx = labels.shape
    part = np.empty((nz, 6), np.int64)  # per plane: count, y0, y1, x0, x1, (unused)
    for z in prange(nz):
        count = 0
        y0, y1, x0, x1 = ny, -1, nx, -1
        for y in range(ny):
            row = 0
            for x in range(nx):
                row += labels[z, y, x] == label
            if row:
                count += row
                if y < y0:
                    y0 = y
                y1 = y
                rx0 = 0
                while labels[z, y, rx0] != label:
                    rx0 += 1
                rx1 = nx - 1
                while labels[z, y, rx1] != label:
                    rx1 -= 1
                if rx0 < x0:
                    x0 = rx0
                if rx1 > x1:
                    x1 = rx1
        part[z, 0] = count
        part[z, 1] = y0
        part[z, 2] = y1
        part[z, 3] = x0
        part[z, 4] = x1
    count = 0
    z0, z1, y0, y1, x0, x1 = nz, -1, ny, -1, nx, -1
    for z in range(nz):
        if part[z, 0]:
            count += part[z, 0]
            if z < z0:
                z0 = z
            z1 = z
            y0 = min(y0, part[z, 1])
            y1 = max(y1, part[z, 2])
            x0 = min(x0, part[z, 3])
            x1 = max(x1, part[z, 4])
    out[0] = count
    out[1] = z0
    out[2] = z1
    out[3] = y0
    out[4] = y1
    out[5] = x0
    out[6] = x1


@njit(cache=True, nogil=True, parallel=True)
def float_stats(arr, out):
    """Minimum, maximum and float64 sum of a finite float volume, planes in parallel.

    ``out`` (float64, 4) receives ``min, max, sum, bad`` where ``bad`` is NaN when some voxel
    is NaN or infinite (``v * 0`` is NaN exactly for those), 0 otherwise; the caller then
    recounts with numpy. min/max ignore NaN here, so they are only meaningful when ``bad`` is 0.
    """
    nz, ny, nx = arr.shape
    part = np.empty((nz, 4), np.float64)
    for z in prange(nz):
        mn = np.inf
        mx = -np.inf
        total = 0.0
        bad = 0.0
        for y in range(ny):
            rs = 0.0
            for x in range(nx):
                v = np.float64(arr[z, y, x])
                rs += v
                bad += v * 0.0
                mn = min(mn, v)
                mx = max(mx, v)
            total += rs
        part[z, 0] = mn
        part[z, 1] = mx
        part[z, 2] = total
        part[z, 3] = bad
    mn = np.inf
    mx = -np.inf
    total = 0.0
    bad = 0.0
    for z in range(nz):
        mn = min(mn, part[z, 0])
        mx = max(mx, part[z, 1])
        total += part[z, 2]
        bad += part[z, 3]
    out[0] = mn
    out[1] = mx
    out[2] = total
    out[3] = bad


@njit(cache=True, nogil=True)
def _root(parent, i):
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


@njit(cache=True, nogil=True)
def roi_summary(roi, out):
    """Voxel count, per-axis index sums and 26-connected component count of a boolean ROI.

    ``out`` (int64, 5) receives ``count, sum z, sum y, sum x, components`` (indices relative to
    ``roi``). Components are found by union-find over the 13 already-visited neighbours of each
    voxel (the same count as ``scipy.ndimage.label`` with a 3x3x3 structure).
    """
    nz, ny, nx = roi.shape
    parent = np.empty(nz * ny * nx, np.int64)
    count = 0
    sz = 0
    sy = 0
    sx = 0
    comps = 0
    for z in range(nz):
        for y in range(ny):
            for x in range(nx):
                if not roi[z, y, x]:
                    continue
                i = (z * ny + y) * nx + x
                parent[i] = i
                count += 1
                sz += z
                sy += y
                sx += x
                comps += 1
                r = i
                for dz in range(-1, 1):
                    zz = z + dz
                    if zz < 0:
                        continue
                    for dy in range(-1, 2):
                        yy = y + dy
                        if yy < 0 or yy >= ny or (dz == 0 and dy > 0):
                            continue
                        for dx in range(-1, 2):
                            xx = x + dx
                            if xx < 0 or xx >= nx or (dz == 0 and dy == 0 and dx >= 0):
                                continue
                            if roi[zz, yy, xx]:
                                r2 = _root(parent, (zz * ny + yy) * nx + xx)
                                if r2 != r:
                                    # join: the larger root points to the smaller
                                    if r2 < r:
                                        parent[r] = r2
                                        r = r2
                                    else:
                                        parent[r2] = r
                                    comps -= 1
    out[0] = count
    out[1] = sz
    out[2] = sy
    out[3] = sx
    out[4] = comps


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
