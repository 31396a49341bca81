"""Numba kernels for the shape families: marching cubes / squares meshes, voxel moments, diameters.

Two layers, as everywhere in ``_kernels``: pure-Python table builders (run once, cached) and
``@njit(cache=True)`` kernels that take only arrays and scalars, fill the buffers they are given and
never raise.

Mesh convention (pyradiomics 3.0.1, ``cShape``)
-----------------------------------------------
* A 2x2x2 cube moves over the zero-padded mask; mesh vertices sit on the midpoints of cube edges
  whose two corners differ (mask value 0/1), so every vertex has half-integer index coordinates.
  Kernels store vertices as *doubled* integer index coordinates, which keeps every geometric
  predicate (convex hulls, "same plane") exact.
* Cube configurations are classified as in pyradiomics: when corner ``(z, y, x) = (1, 1, 0)`` is
  inside the mask, the complementary configuration is meshed instead and its triangles count with
  the opposite orientation. On an ambiguous face (two diagonal corners in, two out) the reduced
  configuration keeps its *inside* corners apart.
* A polygon with more than three vertices can be triangulated in several ways, which give different
  areas and volumes when it is not planar. pyradiomics' lookup table amounts to: the triangulation
  of largest area; among equal-area ones (non-planar hexagons), the one whose diagonals form an
  inner triangle; heptagons are fanned from the vertex on their mirror axis. The builder below
  applies exactly these rules, and ``tests/test_shape_parity.py`` checks all 256 cube
  configurations against pyradiomics under anisotropic spacing.
* Triangles are oriented with outward normals, so the signed tetrahedra (face, origin) sum to the
  enclosed volume (divergence theorem).
"""

from __future__ import annotations

import functools
import math

import numpy as np
from numba import njit

__all__ = [
    "mc_tables",
    "ms_tables",
    "mesh_area_volume",
    "count_edge_vertices",
    "fill_edge_vertices",
    "mesh_diameters",
    "square_mesh",
    "count_edge_vertices_2d",
    "fill_edge_vertices_2d",
    "diameter_2d",
    "voxel_moments",
]

# Corner k of the unit cube is (z, y, x) = (k >> 2 & 1, k >> 1 & 1, k & 1); bit k of a
# configuration index says whether that corner is inside the mask.
_CORNERS = [((k >> 2) & 1, (k >> 1) & 1, k & 1) for k in range(8)]
# pyradiomics meshes the complement when this corner is inside (halves its lookup table).
_FLIP_CORNER = _CORNERS.index((1, 1, 0))


def _cube_edges() -> list[tuple[int, int]]:
    return [(i, j) for i in range(8) for j in range(i + 1, 8)
            if sum(abs(a - b) for a, b in zip(_CORNERS[i], _CORNERS[j])) == 1]


def _cube_faces() -> list[list[int]]:
    """Corner indices of each of the 6 faces, in cyclic order around the face."""
    faces = []
    for d in range(3):
        others = [k for k in range(3) if k != d]
        for v in (0, 1):
            cyc = []
            for a, b in ((0, 0), (0, 1), (1, 1), (1, 0)):
                c = [0, 0, 0]
                c[d], c[others[0]], c[others[1]] = v, a, b
                cyc.append(_CORNERS.index(tuple(c)))
            faces.append(cyc)
    return faces


def _polygons(inside: set[int], edges, faces) -> list[list[int]]:
    """Closed cycles of crossed edges (edge indices) for one cube configuration, unoriented.

    Each face contributes segments between its crossed edges; on an ambiguous face each inside
    corner is cut off on its own.
    """
    eidx = {e: k for k, e in enumerate(edges)}

    def edge(i, j):
        return eidx[(min(i, j), max(i, j))]

    adj: dict[int, list[int]] = {}

    def link(a, b):
        adj.setdefault(a, []).append(b)
        adj.setdefault(b, []).append(a)

    for cyc in faces:
        s = [c in inside for c in cyc]
        fe = [edge(cyc[k], cyc[(k + 1) % 4]) for k in range(4)]
        crossed = [fe[k] for k in range(4) if s[k] != s[(k + 1) % 4]]
        if len(crossed) == 2:
            link(*crossed)
        elif len(crossed) == 4:
            for k in range(4):
                if s[k]:
                    link(fe[(k - 1) % 4], fe[k])
    cycles, seen = [], set()
    for start in sorted(adj):
        if start in seen:
            continue
        cyc, prev, cur = [start], None, start
        seen.add(start)
        while True:
            nxt = adj[cur][0] if prev is None else next(n for n in adj[cur] if n != prev)
            if nxt == start:
                break
            cyc.append(nxt)
            seen.add(nxt)
            prev, cur = cur, nxt
        cycles.append(cyc)
    return cycles


@functools.cache
def _triangulation_patterns(n: int) -> tuple[tuple[tuple[int, int, int], ...], ...]:
    """All triangulations of a convex n-gon with vertices 0..n-1 (orientation preserved)."""
    def rec(idx):
        if len(idx) < 3:
            return [[]]
        if len(idx) == 3:
            return [[tuple(idx)]]
        out = []
        for k in range(1, len(idx) - 1):
            for left in rec(idx[: k + 1]):
                for right in rec(idx[k:]):
                    out.append(left + right + [(idx[0], idx[k], idx[-1])])
        return out

    return tuple(tuple(t) for t in rec(list(range(n))))


def _triangulations(poly: list[int]) -> list[list[tuple[int, int, int]]]:
    """All triangulations of a polygon given as a vertex cycle."""
    return [[(poly[a], poly[b], poly[c]) for a, b, c in pattern]
            for pattern in _triangulation_patterns(len(poly))]


def _cross(a, b) -> tuple[float, float, float]:
    return (a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0])


def _area_fn(mid):
    """Total area of a list of triangles over the points ``mid``, memoised per triangle."""
    cache: dict[tuple[int, int, int], float] = {}

    def area(tris) -> float:
        total = 0.0
        for t in tris:
            key = tuple(sorted(t))
            if key not in cache:
                a, b, c = (mid[i] for i in key)
                w = _cross([b[d] - a[d] for d in range(3)], [c[d] - a[d] for d in range(3)])
                cache[key] = 0.5 * math.sqrt(w[0] ** 2 + w[1] ** 2 + w[2] ** 2)
            total += cache[key]
        return total

    return area


def _has_inner_triangle(poly, tris) -> bool:
    pos = {v: i for i, v in enumerate(poly)}
    n = len(poly)
    for t in tris:
        if all((pos[t[(x + 1) % 3]] - pos[t[x]]) % n not in (1, n - 1) for x in range(3)):
            return True
    return False


def _choose_triangulation(poly: list[int], area):
    if len(poly) == 7:
        # Fan from the vertex on the heptagon's mirror axis: the only vertex whose fan area
        # is not shared with another vertex.
        fans = [[(poly[k], poly[(k + i) % 7], poly[(k + i + 1) % 7]) for i in range(1, 6)]
                for k in range(7)]
        areas = [round(area(f), 9) for f in fans]
        unique = [k for k in range(7) if areas.count(areas[k]) == 1]
        return fans[unique[0]]
    best, best_key = None, None
    for tris in _triangulations(poly):
        key = (round(area(tris), 9), _has_inner_triangle(poly, tris))
        if best_key is None or key > best_key:
            best, best_key = tris, key
    return best


@functools.lru_cache(maxsize=1)
def mc_tables() -> tuple[np.ndarray, np.ndarray]:
    """Marching-cubes lookup tables reproducing pyradiomics' mesh.

    Returns
    -------
    tri_table : ndarray of int8, shape (256, 16)
        Per configuration, up to 5 triangles as edge indices, ``-1`` terminated; triangles of
        configurations with the flip corner inside are stored reversed (outward normals).
    edge_mid2 : ndarray of int64, shape (12, 3)
        Doubled (z, y, x) offset of each edge midpoint from the cube origin.
    """
    edges = _cube_edges()
    faces = _cube_faces()
    corners = _CORNERS
    mid = [tuple((corners[i][d] + corners[j][d]) / 2 for d in range(3)) for i, j in edges]
    area = _area_fn(mid)
    tri_table = np.full((256, 16), -1, dtype=np.int8)
    for cfg in range(1, 255):
        inside = {k for k in range(8) if cfg >> k & 1}
        flipped = _FLIP_CORNER in inside
        reduced = set(range(8)) - inside if flipped else inside
        tris = []
        for cyc in _polygons(reduced, edges, faces):
            # Orient so the normal points from inside to outside corners (Newell normal).
            normal = [0.0, 0.0, 0.0]
            for k in range(len(cyc)):
                w = _cross(mid[cyc[k]], mid[cyc[(k + 1) % len(cyc)]])
                normal = [normal[d] + w[d] for d in range(3)]
            score = 0.0
            for e in cyc:
                i, j = edges[e]
                cin, cout = (i, j) if i in reduced else (j, i)
                score += sum(normal[d] * (corners[cout][d] - corners[cin][d]) for d in range(3))
            if score < 0:
                cyc = cyc[::-1]
            tris.extend(_choose_triangulation(cyc, area))
        if flipped:
            # The complement's outward normals point into the actual ROI: reverse them.
            tris = [(a, c, b) for a, b, c in tris]
        flat = [v for t in tris for v in t]
        tri_table[cfg, : len(flat)] = flat
    edge_mid2 = np.array([[corners[i][d] + corners[j][d] for d in range(3)] for i, j in edges],
                         dtype=np.int64)
    tri_table.flags.writeable = False  # shared by every caller (cached)
    edge_mid2.flags.writeable = False
    return tri_table, edge_mid2


# Square corners (y, x) in cyclic order; bit k of a configuration = corner k inside.
_SQ_CORNERS = [(0, 0), (0, 1), (1, 1), (1, 0)]


@functools.lru_cache(maxsize=1)
def ms_tables() -> tuple[np.ndarray, np.ndarray]:
    """Marching-squares lookup tables reproducing pyradiomics' 2D mesh.

    Returns
    -------
    seg_table : ndarray of int8, shape (16, 5)
        Per configuration, up to 2 segments as (start, end) edge indices, ``-1`` terminated,
        oriented with the ROI on their left (so the shoelace sum is the enclosed area).
        Ambiguous (diagonal) configurations keep the inside pixels apart, as pyradiomics does.
    edge_mid2 : ndarray of int64, shape (4, 2)
        Doubled (y, x) offset of each edge midpoint; edge k joins corners k and k+1.
    """
    corners = np.array(_SQ_CORNERS, dtype=np.int64)
    edge_mid2 = np.array([corners[k] + corners[(k + 1) % 4] for k in range(4)], dtype=np.int64)
    seg_table = np.full((16, 5), -1, dtype=np.int8)
    for cfg in range(1, 15):
        s = [bool(cfg >> k & 1) for k in range(4)]
        crossed = [k for k in range(4) if s[k] != s[(k + 1) % 4]]
        if len(crossed) == 2:
            pairs = [tuple(crossed)]
        else:
            pairs = [((k - 1) % 4, k) for k in range(4) if s[k]]
        segs = []
        for a, b in pairs:
            # Inside corner on edge a, relative to the vertex on edge a.
            cin = corners[a] if s[a] else corners[(a + 1) % 4]
            va, vb = edge_mid2[a], edge_mid2[b]
            u, w = vb - va, 2 * cin - va
            if u[0] * w[1] - u[1] * w[0] < 0:
                a, b = b, a
            segs.extend((a, b))
        seg_table[cfg, : len(segs)] = segs
    seg_table.flags.writeable = False  # shared by every caller (cached)
    edge_mid2.flags.writeable = False
    return seg_table, edge_mid2


@njit(cache=True)
def mesh_area_volume(mask, spacing, tri_table, edge_mid2, out):
    """Surface area and volume of the marching-cubes mesh of a zero-padded 3D mask.

    ``out[0]`` = area (sum of triangle areas), ``out[1]`` = volume (sum of signed tetrahedra to
    the origin). ``spacing`` is (z, y, x).
    """
    nz, ny, nx = mask.shape
    area = 0.0
    vol = 0.0
    a = np.empty(3)
    b = np.empty(3)
    c = np.empty(3)
    for iz in range(nz - 1):
        for iy in range(ny - 1):
            for ix in range(nx - 1):
                cfg = 0
                if mask[iz, iy, ix]:
                    cfg |= 1
                if mask[iz, iy, ix + 1]:
                    cfg |= 2
                if mask[iz, iy + 1, ix]:
                    cfg |= 4
                if mask[iz, iy + 1, ix + 1]:
                    cfg |= 8
                if mask[iz + 1, iy, ix]:
                    cfg |= 16
                if mask[iz + 1, iy, ix + 1]:
                    cfg |= 32
                if mask[iz + 1, iy + 1, ix]:
                    cfg |= 64
                if mask[iz + 1, iy + 1, ix + 1]:
                    cfg |= 128
                if cfg == 0 or cfg == 255:
                    continue
                t = 0
                while t < 15 and tri_table[cfg, t] >= 0:
                    ea = tri_table[cfg, t]
                    eb = tri_table[cfg, t + 1]
                    ec = tri_table[cfg, t + 2]
                    a[0] = (2 * iz + edge_mid2[ea, 0]) * 0.5 * spacing[0]
                    a[1] = (2 * iy + edge_mid2[ea, 1]) * 0.5 * spacing[1]
                    a[2] = (2 * ix + edge_mid2[ea, 2]) * 0.5 * spacing[2]
                    b[0] = (2 * iz + edge_mid2[eb, 0]) * 0.5 * spacing[0]
                    b[1] = (2 * iy + edge_mid2[eb, 1]) * 0.5 * spacing[1]
                    b[2] = (2 * ix + edge_mid2[eb, 2]) * 0.5 * spacing[2]
                    c[0] = (2 * iz + edge_mid2[ec, 0]) * 0.5 * spacing[0]
                    c[1] = (2 * iy + edge_mid2[ec, 1]) * 0.5 * spacing[1]
                    c[2] = (2 * ix + edge_mid2[ec, 2]) * 0.5 * spacing[2]
                    # Signed volume of tetrahedron (O, a, b, c), times 6.
                    vol += ((a[1] * b[2] - b[1] * a[2]) * c[0]
                            + (a[2] * b[0] - b[2] * a[0]) * c[1]
                            + (a[0] * b[1] - b[0] * a[1]) * c[2])
                    u0 = a[0] - c[0]
                    u1 = a[1] - c[1]
                    u2 = a[2] - c[2]
                    v0 = b[0] - c[0]
                    v1 = b[1] - c[1]
                    v2 = b[2] - c[2]
                    w0 = u1 * v2 - v1 * u2
                    w1 = u2 * v0 - v2 * u0
                    w2 = u0 * v1 - v0 * u1
                    area += 0.5 * np.sqrt(w0 * w0 + w1 * w1 + w2 * w2)
                    t += 3
    out[0] = area
    out[1] = vol / 6.0


@njit(cache=True)
def count_edge_vertices(mask):
    """Number of mesh vertices: grid edges (6-neighbour pairs) whose two voxels differ."""
    nz, ny, nx = mask.shape
    n = 0
    for iz in range(nz):
        for iy in range(ny):
            for ix in range(nx):
                m = mask[iz, iy, ix]
                if iz + 1 < nz and mask[iz + 1, iy, ix] != m:
                    n += 1
                if iy + 1 < ny and mask[iz, iy + 1, ix] != m:
                    n += 1
                if ix + 1 < nx and mask[iz, iy, ix + 1] != m:
                    n += 1
    return n


@njit(cache=True)
def fill_edge_vertices(mask, verts):
    """Fill ``verts`` (n, 3) with the doubled (z, y, x) index coordinates of the mesh vertices."""
    nz, ny, nx = mask.shape
    n = 0
    for iz in range(nz):
        for iy in range(ny):
            for ix in range(nx):
                m = mask[iz, iy, ix]
                if iz + 1 < nz and mask[iz + 1, iy, ix] != m:
                    verts[n, 0] = 2 * iz + 1
                    verts[n, 1] = 2 * iy
                    verts[n, 2] = 2 * ix
                    n += 1
                if iy + 1 < ny and mask[iz, iy + 1, ix] != m:
                    verts[n, 0] = 2 * iz
                    verts[n, 1] = 2 * iy + 1
                    verts[n, 2] = 2 * ix
                    n += 1
                if ix + 1 < nx and mask[iz, iy, ix + 1] != m:
                    verts[n, 0] = 2 * iz
                    verts[n, 1] = 2 * iy
                    verts[n, 2] = 2 * ix + 1
                    n += 1


@njit(cache=True)
def _hull_2d(pu, pv, order, start, stop, buf):
    """Andrew's monotone chain on points ``order[start:stop]``, pre-sorted by (u, v).

    Writes the indices of the strict hull vertices (collinear points dropped) into ``buf``
    (size >= 2 * (stop - start) + 1) and returns their count. Integer coordinates: exact.
    """
    n = stop - start
    if n <= 2:
        for i in range(n):
            buf[i] = order[start + i]
        return n
    k = 0
    for i in range(start, stop):
        p = order[i]
        while k >= 2:
            o = buf[k - 2]
            a = buf[k - 1]
            cr = (pu[a] - pu[o]) * (pv[p] - pv[o]) - (pv[a] - pv[o]) * (pu[p] - pu[o])
            if cr > 0:
                break
            k -= 1
        buf[k] = p
        k += 1
    lower = k + 1
    for i in range(stop - 2, start - 1, -1):
        p = order[i]
        while k >= lower:
            o = buf[k - 2]
            a = buf[k - 1]
            cr = (pu[a] - pu[o]) * (pv[p] - pv[o]) - (pv[a] - pv[o]) * (pu[p] - pu[o])
            if cr > 0:
                break
            k -= 1
        buf[k] = p
        k += 1
    return k - 1  # the last point repeats the first


@njit(cache=True)
def _max_sq_dist_2d(pu, pv, su, sv, idx, n):
    """Largest squared physical distance between the points ``idx[:n]`` (doubled coords)."""
    best = 0.0
    for i in range(n):
        a = idx[i]
        for j in range(i + 1, n):
            b = idx[j]
            du = (pu[a] - pu[b]) * 0.5 * su
            dv = (pv[a] - pv[b]) * 0.5 * sv
            d = du * du + dv * dv
            if d > best:
                best = d
    return best


@njit(cache=True)
def _stable_counting_pass(key, src, dst):
    """``dst`` = ``src`` stably reordered by ``key[src]`` (small non-negative integer keys)."""
    n = src.shape[0]
    kmax = 0
    for i in range(n):
        if key[src[i]] > kmax:
            kmax = key[src[i]]
    counts = np.zeros(kmax + 2, dtype=np.int64)
    for i in range(n):
        counts[key[src[i]] + 1] += 1
    for k in range(1, kmax + 2):
        counts[k] += counts[k - 1]
    for i in range(n):
        k = key[src[i]]
        dst[counts[k]] = src[i]
        counts[k] += 1


@njit(cache=True)
def _lex_order(a, b, c):
    """Indices sorting points by (a, b, c) (LSD radix sort; coordinates are small integers)."""
    n = a.shape[0]
    o1 = np.arange(n)
    o2 = np.empty(n, dtype=np.int64)
    _stable_counting_pass(c, o1, o2)
    _stable_counting_pass(b, o2, o1)
    _stable_counting_pass(a, o1, o2)
    return o2


@njit(cache=True)
def mesh_diameters(verts, spacing, out):
    """Maximum vertex-to-vertex distances of the mesh: per plane and in 3D.

    ``out[0]``: largest distance between vertices with equal z (Maximum2DDiameterSlice),
    ``out[1]``: equal y (Column), ``out[2]``: equal x (Row), ``out[3]``: any two (3D).

    The maximum over a point set is attained at two vertices of its convex hull, so each plane
    is reduced to its 2D hull first. A 3D hull vertex is also a hull vertex of each of its three
    planes, so the 3D search runs only on points that are 2D hull vertices in all three
    families, with a centroid-distance bound to cut the pair loop short.
    """
    n = verts.shape[0]
    for d in range(4):
        out[d] = 0.0
    if n == 0:
        return
    flags = np.zeros(n, dtype=np.int64)
    buf = np.empty(2 * n + 1, dtype=np.int64)
    pw = np.empty(n, dtype=np.int64)
    pu = np.empty(n, dtype=np.int64)
    pv = np.empty(n, dtype=np.int64)
    for axis in range(3):
        u_ax = 1 if axis == 0 else 0
        v_ax = 1 if axis == 2 else 2
        for i in range(n):
            pw[i] = verts[i, axis]
            pu[i] = verts[i, u_ax]
            pv[i] = verts[i, v_ax]
        order = _lex_order(pw, pu, pv)
        best = 0.0
        start = 0
        while start < n:
            plane = verts[order[start], axis]
            stop = start + 1
            while stop < n and verts[order[stop], axis] == plane:
                stop += 1
            h = _hull_2d(pu, pv, order, start, stop, buf)
            for i in range(h):
                flags[buf[i]] |= 1 << axis
            d2 = _max_sq_dist_2d(pu, pv, spacing[u_ax], spacing[v_ax], buf, h)
            if d2 > best:
                best = d2
            start = stop
        out[axis] = np.sqrt(best)

    # 3D: candidates are hull vertices in all three plane families.
    m = 0
    for i in range(n):
        if flags[i] == 7:
            m += 1
    pts = np.empty((m, 3))
    k = 0
    for i in range(n):
        if flags[i] == 7:
            for d in range(3):
                pts[k, d] = verts[i, d] * 0.5 * spacing[d]
            k += 1
    cen = np.zeros(3)
    for i in range(m):
        for d in range(3):
            cen[d] += pts[i, d]
    for d in range(3):
        cen[d] /= max(m, 1)
    rad = np.empty(m)
    for i in range(m):
        r = 0.0
        for d in range(3):
            r += (pts[i, d] - cen[d]) ** 2
        rad[i] = np.sqrt(r)
    rank = np.argsort(-rad)
    best = 0.0
    # |p - q| <= r_p + r_q; the slack absorbs rounding in the bound (never in the result).
    slack = 1.0 + 1e-9
    for ii in range(m):
        i = rank[ii]
        if (2.0 * rad[i] * slack) ** 2 < best:
            break
        for jj in range(ii + 1, m):
            j = rank[jj]
            if ((rad[i] + rad[j]) * slack) ** 2 < best:
                break
            d0 = pts[i, 0] - pts[j, 0]
            d1 = pts[i, 1] - pts[j, 1]
            d2 = pts[i, 2] - pts[j, 2]
            dist = d0 * d0 + d1 * d1 + d2 * d2
            if dist > best:
                best = dist
    out[3] = np.sqrt(best)


@njit(cache=True)
def square_mesh(mask, spacing, seg_table, edge_mid2, out):
    """Perimeter and enclosed area of the marching-squares contour of a zero-padded 2D mask.

    ``out[0]`` = perimeter, ``out[1]`` = area (shoelace sum of signed triangles to the origin).
    ``spacing`` is (y, x).
    """
    ny, nx = mask.shape
    perim = 0.0
    surf = 0.0
    for iy in range(ny - 1):
        for ix in range(nx - 1):
            cfg = 0
            if mask[iy, ix]:
                cfg |= 1
            if mask[iy, ix + 1]:
                cfg |= 2
            if mask[iy + 1, ix + 1]:
                cfg |= 4
            if mask[iy + 1, ix]:
                cfg |= 8
            if cfg == 0 or cfg == 15:
                continue
            t = 0
            while t < 4 and seg_table[cfg, t] >= 0:
                ea = seg_table[cfg, t]
                eb = seg_table[cfg, t + 1]
                ay = (2 * iy + edge_mid2[ea, 0]) * 0.5 * spacing[0]
                ax = (2 * ix + edge_mid2[ea, 1]) * 0.5 * spacing[1]
                by = (2 * iy + edge_mid2[eb, 0]) * 0.5 * spacing[0]
                bx = (2 * ix + edge_mid2[eb, 1]) * 0.5 * spacing[1]
                surf += ay * bx - ax * by
                perim += np.sqrt((ay - by) ** 2 + (ax - bx) ** 2)
                t += 2
    out[0] = perim
    out[1] = surf / 2.0


@njit(cache=True)
def count_edge_vertices_2d(mask):
    """Number of 2D contour vertices: 4-neighbour pixel pairs that differ."""
    ny, nx = mask.shape
    n = 0
    for iy in range(ny):
        for ix in range(nx):
            m = mask[iy, ix]
            if iy + 1 < ny and mask[iy + 1, ix] != m:
                n += 1
            if ix + 1 < nx and mask[iy, ix + 1] != m:
                n += 1
    return n


@njit(cache=True)
def fill_edge_vertices_2d(mask, pu, pv):
    """Fill ``pu``/``pv`` with doubled (y, x) index coordinates of the 2D contour vertices."""
    ny, nx = mask.shape
    n = 0
    for iy in range(ny):
        for ix in range(nx):
            m = mask[iy, ix]
            if iy + 1 < ny and mask[iy + 1, ix] != m:
                pu[n] = 2 * iy + 1
                pv[n] = 2 * ix
                n += 1
            if ix + 1 < nx and mask[iy, ix + 1] != m:
                pu[n] = 2 * iy
                pv[n] = 2 * ix + 1
                n += 1


@njit(cache=True)
def diameter_2d(pu, pv, spacing):
    """Largest distance between 2D contour vertices (doubled coords), via their convex hull."""
    n = pu.shape[0]
    if n == 0:
        return 0.0
    order = _lex_order(np.zeros(n, dtype=np.int64), pu, pv)
    buf = np.empty(2 * n + 1, dtype=np.int64)
    h = _hull_2d(pu, pv, order, 0, n, buf)
    return np.sqrt(_max_sq_dist_2d(pu, pv, spacing[0], spacing[1], buf, h))


@njit(cache=True)
def voxel_moments(mask, spacing, cov):
    """Covariance of the physical voxel-centre coordinates of a 3D mask (population, /N).

    Fills ``cov`` (3, 3) and returns the voxel count. Two passes (mean, then centred products)
    so that an axis with a single coordinate gives an exact zero row.
    """
    nz, ny, nx = mask.shape
    cnt = 0
    sz = 0
    sy = 0
    sx = 0
    for iz in range(nz):
        for iy in range(ny):
            for ix in range(nx):
                if mask[iz, iy, ix]:
                    cnt += 1
                    sz += iz
                    sy += iy
                    sx += ix
    for i in range(3):
        for j in range(3):
            cov[i, j] = 0.0
    if cnt == 0:
        return 0
    # Mean in index space: exact when an axis holds a single index.
    mz = sz / cnt
    my = sy / cnt
    mx = sx / cnt
    czz = 0.0
    cyy = 0.0
    cxx = 0.0
    czy = 0.0
    czx = 0.0
    cyx = 0.0
    for iz in range(nz):
        dz = (iz - mz) * spacing[0]
        for iy in range(ny):
            dy = (iy - my) * spacing[1]
            for ix in range(nx):
                if mask[iz, iy, ix]:
                    dx = (ix - mx) * spacing[2]
                    czz += dz * dz
                    cyy += dy * dy
                    cxx += dx * dx
                    czy += dz * dy
                    czx += dz * dx
                    cyx += dy * dx
    cov[0, 0] = czz / cnt
    cov[1, 1] = cyy / cnt
    cov[2, 2] = cxx / cnt
    cov[0, 1] = cov[1, 0] = czy / cnt
    cov[0, 2] = cov[2, 0] = czx / cnt
    cov[1, 2] = cov[2, 1] = cyx / cnt
    return cnt
