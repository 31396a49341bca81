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
    Each row is first counted with a branch-free (vectorised) compare-and-add, and only rows
    holding the label are searched for their first/last voxel, so the full-volume pass costs
    about one read of the labels (serial: memory-bound, and a parallel launch costs more than
    it saves on a busy 2-core machine).
    """
    nz, ny, nx = labels.shape
    part = np.empty((nz, 6), np.int64)  # per plane: count, y0, y1, x0, x1, (unused)
    for z in range(nz):
        count = 0
        y0, y1, x0, x1 = ny, -1, nx, -1
        for y in range(ny):
            row = 0
            for x in range(nx):
                row += np.int64(labels[z, y, x] == label)
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


@njit(cache=True, nogil=True, fastmath={"reassoc", "nsz"})
def float_sum(values):
    """float64 sum of a 1D array (float32 or float64), vectorised.

    ``reassoc`` lets LLVM keep several partial sums in SIMD lanes (about 4x numpy's
    ``sum(dtype=float64)`` on float32, which converts through a buffer); the result agrees
    with numpy's pairwise sum to rounding. NaN and infinities still propagate (no ``nnan``).
    """
    s = 0.0
    for i in range(values.size):
        s += np.float64(values[i])
    return s


@njit(cache=True, nogil=True)
def _root(parent, i):
    # path halving: shallow trees without recursion
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


@njit(cache=True, nogil=True)
def roi_summary(roi, out):
    """Voxel count, per-axis index sums and 26-connected component count of a boolean ROI.

    ``out`` (int64, 5) receives ``count, sum z, sum y, sum x, components`` (indices relative to
    ``roi``). The ROI is cut into x-runs; each run is joined (union-find over runs) with the
    runs it touches, diagonals included, in the 4 already-visited neighbouring rows. The count
    equals ``scipy.ndimage.label``'s with a 3x3x3 structure, at a fraction of the cost, since
    a row holds few runs.
    """
    nz, ny, nx = roi.shape
    nrows = nz * ny
    row_ptr = np.zeros(nrows + 1, np.int64)
    # pass 1: runs per row, so the run arrays are allocated once (no reallocation in the loop)
    for z in range(nz):
        for y in range(ny):
            k = 0
            prev = False
            for x in range(nx):
                v = roi[z, y, x]
                k += np.int64(v and not prev)
                prev = v
            row_ptr[z * ny + y + 1] = k
    for r in range(nrows):
        row_ptr[r + 1] += row_ptr[r]
    n = row_ptr[nrows]
    rs = np.empty(n, np.int64)
    re = np.empty(n, np.int64)
    count = 0
    sz = 0
    sy = 0
    sx = 0
    for z in range(nz):
        for y in range(ny):
            k = row_ptr[z * ny + y]
            x = 0
            while x < nx:
                if not roi[z, y, x]:
                    x += 1
                    continue
                x0 = x
                while x < nx and roi[z, y, x]:
                    x += 1
                rs[k] = x0
                re[k] = x - 1
                k += 1
                ln = x - x0
                count += ln
                sz += z * ln
                sy += y * ln
                sx += (x0 + x - 1) * ln // 2
    parent = np.arange(n)
    comps = n
    for z in range(nz):
        for y in range(ny):
            r = z * ny + y
            for k in range(row_ptr[r], row_ptr[r + 1]):
                s0 = rs[k] - 1  # touching includes the diagonal neighbours
                e0 = re[k] + 1
                for m in range(4):
                    if m == 0:
                        zz, yy = z, y - 1
                    elif m == 1:
                        zz, yy = z - 1, y - 1
                    elif m == 2:
                        zz, yy = z - 1, y
                    else:
                        zz, yy = z - 1, y + 1
                    if zz < 0 or yy < 0 or yy >= ny:
                        continue
                    rr = zz * ny + yy
                    for j in range(row_ptr[rr], row_ptr[rr + 1]):
                        if rs[j] > e0:
                            break
                        if re[j] < s0:
                            continue
                        a = _root(parent, k)
                        b = _root(parent, j)
                        if a != b:
                            if a < b:
                                parent[b] = a
                            else:
                                parent[a] = b
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
