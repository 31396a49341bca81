"""Numba kernels of IBSI mode.

Only what the pyradiomics-compatible kernels in ``features/_kernels`` cannot give: run lengths
without pyradiomics' rule that drops a direction holding no line of two voxels, zones kept per
slice and carrying their distance to the ROI border (GLSZM/GLDZM, 2D and 3D), NGTDM and NGLDM
sums kept per slice, and the sphere means of the local intensity peaks. GLCM counting reuses
``features/_kernels/glcm.py`` (see :mod:`rnpc_radiomics.ibsi.texture`) and the morphology mesh
reuses ``features/_kernels/shape.py``.

Every kernel takes arrays and scalars only, fills or returns plain arrays and never validates;
the callers in this package prepare contiguous inputs. Grey-level arrays ``q`` are int32
``(Z, Y, X)`` with 0 outside the intensity mask and levels 1..Ng inside.
Compiled lazily (no eager signatures) and cached on disk.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def glrlm_counts(q, offsets, ng, max_run, per_slice):
    """Run-length counts per (slice, direction): ``(S, D, ng, max_run)``.

    A run starts at a voxel whose predecessor along the direction is outside the mask or has
    another grey level, and continues while the grey level stays the same. Unlike the
    pyradiomics-compatible kernel, a direction along which every run has length 1 still counts
    its runs (IBSI), which matters for per-slice matrices of small slices.
    """
    nz, ny, nx = q.shape
    nd = offsets.shape[0]
    ns = nz if per_slice else 1
    out = np.zeros((ns, nd, ng, max_run), dtype=np.float64)
    for d in range(nd):
        dz = offsets[d, 0]
        dy = offsets[d, 1]
        dx = offsets[d, 2]
        for z in range(nz):
            s = z if per_slice else 0
            for y in range(ny):
                for x in range(nx):
                    a = q[z, y, x]
                    if a <= 0:
                        continue
                    zp = z - dz
                    yp = y - dy
                    xp = x - dx
                    if 0 <= zp < nz and 0 <= yp < ny and 0 <= xp < nx and q[zp, yp, xp] == a:
                        continue
                    n = 1
                    z2 = z + dz
                    y2 = y + dy
                    x2 = x + dx
                    while 0 <= z2 < nz and 0 <= y2 < ny and 0 <= x2 < nx and q[z2, y2, x2] == a:
                        n += 1
                        z2 += dz
                        y2 += dy
                        x2 += dx
                    out[s, d, a - 1, n - 1] += 1.0
    return out


@njit(cache=True)
def zones(q, dist, two_d):
    """Connected zones of equal grey level (8-connected per slice, or 26-connected in 3D).

    Returns
    -------
    level, size, min_dist, slice_index : 1D int64 arrays, one entry per zone
        ``min_dist`` is the smallest border distance (``dist``) over the zone's voxels.
    """
    nz, ny, nx = q.shape
    n = nz * ny * nx
    seen = np.zeros((nz, ny, nx), dtype=np.uint8)
    stack = np.empty((n, 3), dtype=np.int64)
    level = np.empty(n, dtype=np.int64)
    size = np.empty(n, dtype=np.int64)
    mind = np.empty(n, dtype=np.int64)
    zsl = np.empty(n, dtype=np.int64)
    nzones = 0
    zlo = 0 if two_d else -1
    zhi = 0 if two_d else 1
    for z in range(nz):
        for y in range(ny):
            for x in range(nx):
                a = q[z, y, x]
                if a <= 0 or seen[z, y, x]:
                    continue
                seen[z, y, x] = 1
                top = 0
                stack[0, 0] = z
                stack[0, 1] = y
                stack[0, 2] = x
                top = 1
                cnt = 0
                dmin = dist[z, y, x]
                while top > 0:
                    top -= 1
                    cz = stack[top, 0]
                    cy = stack[top, 1]
                    cx = stack[top, 2]
                    cnt += 1
                    if dist[cz, cy, cx] < dmin:
                        dmin = dist[cz, cy, cx]
                    for oz in range(zlo, zhi + 1):
                        z2 = cz + oz
                        if z2 < 0 or z2 >= nz:
                            continue
                        for oy in range(-1, 2):
                            y2 = cy + oy
                            if y2 < 0 or y2 >= ny:
                                continue
                            for ox in range(-1, 2):
                                x2 = cx + ox
                                if x2 < 0 or x2 >= nx:
                                    continue
                                if seen[z2, y2, x2] or q[z2, y2, x2] != a:
                                    continue
                                seen[z2, y2, x2] = 1
                                stack[top, 0] = z2
                                stack[top, 1] = y2
                                stack[top, 2] = x2
                                top += 1
                level[nzones] = a
                size[nzones] = cnt
                mind[nzones] = dmin
                zsl[nzones] = z
                nzones += 1
    return level[:nzones].copy(), size[:nzones].copy(), mind[:nzones].copy(), zsl[:nzones].copy()


@njit(cache=True)
def neighbourhood_stats(q, ng, two_d, alpha):
    """NGTDM sums and NGLDM counts from one walk over every voxel's neighbourhood, per slice
    (2D) or for the volume (3D).

    The neighbourhood is Chebyshev distance 1 (8 in-slice or 26 neighbours); only neighbours
    inside the mask (``q > 0``) count. Returns ``s`` and ``n`` of shape ``(S, ng)`` (NGTDM: a
    voxel without any valid neighbour is left out, IBSI) and the NGLDM counts ``(S, ng,
    n_dep)``, dependence k = 1 + number of neighbours whose grey level differs by at most
    ``alpha``.
    """
    nz, ny, nx = q.shape
    ns = nz if two_d else 1
    ndep = 9 if two_d else 27
    s = np.zeros((ns, ng), dtype=np.float64)
    cnt = np.zeros((ns, ng), dtype=np.float64)
    dep = np.zeros((ns, ng, ndep), dtype=np.float64)
    zlo = 0 if two_d else -1
    zhi = 0 if two_d else 1
    for z in range(nz):
        si = z if two_d else 0
        for y in range(ny):
            for x in range(nx):
                a = q[z, y, x]
                if a <= 0:
                    continue
                tot = 0.0
                k = 0
                kd = 0
                for oz in range(zlo, zhi + 1):
                    z2 = z + oz
                    if z2 < 0 or z2 >= nz:
                        continue
                    for oy in range(-1, 2):
                        y2 = y + oy
                        if y2 < 0 or y2 >= ny:
                            continue
                        for ox in range(-1, 2):
                            x2 = x + ox
                            if x2 < 0 or x2 >= nx:
                                continue
                            if oz == 0 and oy == 0 and ox == 0:
                                continue
                            b = q[z2, y2, x2]
                            if b > 0:
                                tot += b
                                k += 1
                                if abs(b - a) <= alpha:
                                    kd += 1
                dep[si, a - 1, kd] += 1.0
                if k == 0:
                    continue
                s[si, a - 1] += abs(a - tot / k)
                cnt[si, a - 1] += 1.0
    return s, cnt, dep


def ngtdm_sums(q, ng, two_d):
    """NGTDM ``s`` and ``n`` of :func:`neighbourhood_stats`."""
    s, cnt, _ = neighbourhood_stats(q, ng, two_d, 0)
    return s, cnt


def ngldm_counts(q, ng, two_d, alpha):
    """NGLDM counts of :func:`neighbourhood_stats`: ``(S, ng, n_dep)``."""
    return neighbourhood_stats(q, ng, two_d, alpha)[2]


@njit(cache=True)
def sphere_means(img, centres, offsets):
    """Mean of ``img`` over a spherical neighbourhood (``offsets``, int (K, 3)) of each centre.

    Neighbours outside the image are left out of the mean.
    """
    nz, ny, nx = img.shape
    n = centres.shape[0]
    out = np.empty(n, dtype=np.float64)
    for i in range(n):
        tot = 0.0
        k = 0
        for j in range(offsets.shape[0]):
            z = centres[i, 0] + offsets[j, 0]
            y = centres[i, 1] + offsets[j, 1]
            x = centres[i, 2] + offsets[j, 2]
            if 0 <= z < nz and 0 <= y < ny and 0 <= x < nx:
                tot += img[z, y, x]
                k += 1
        out[i] = tot / k
    return out
