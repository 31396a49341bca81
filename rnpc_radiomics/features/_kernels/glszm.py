"""GLSZM kernel: labelling of equal-grey-level zones by union-find (numba, CPU)."""

from __future__ import annotations

import numpy as np
from numba import njit, prange


@njit(cache=True, nogil=True)
def _find(parent, i):
    # Path halving keeps the trees shallow without recursion. Indices are unsigned (all >= 0):
    # no negative-index test on these dependent loads.
    i = np.uint64(i)
    while parent[i] != i:
        parent[i] = parent[np.uint64(parent[i])]
        i = np.uint64(parent[i])
    return np.int64(i)


@njit(cache=True, nogil=True)
def _union(parent, r1, j):
    """Join the tree of root ``r1`` with that of ``j``; return the joint root (the smaller index,
    i.e. the zone's first voxel in raster order, so every link points to a smaller index)."""
    r2 = _find(parent, j)
    if r2 < r1:
        parent[np.uint64(r1)] = r2
        return r2
    if r1 < r2:
        parent[np.uint64(r2)] = r1
    return r1


@njit(cache=True, nogil=True)
def glszm_zones(lab, idx, steps, plane, chunk_start, parent, zone_id, zone_label, zone_size):
    """:func:`glszm_zones_cover` testing every neighbour (no covering relation)."""
    cover = np.zeros(steps.shape[0], np.int64)
    return glszm_zones_cover(lab, idx, steps, cover, plane, chunk_start, parent, zone_id,
                             zone_label, zone_size)


@njit(cache=True, nogil=True, parallel=True)
def glszm_zones_cover(lab, idx, steps, cover, plane, chunk_start, parent, zone_id, zone_label,
                      zone_size):
    """Label connected zones of equal grey level inside the ROI; return the number of zones.

    Voxels are connected when their offset is one of ``steps`` or its opposite (the 13 forward
    offsets give 26-connectivity, the 4 in-plane ones 8-connectivity). Each chunk of whole
    z-planes is labelled by its own thread, joining every ROI voxel to its already-visited
    neighbours ``i - steps[a]`` of the same label within the chunk; the seams between chunks are
    then joined serially, and a last raster pass resolves roots and counts zone sizes.

    ``cover[a]`` is a bit set of neighbours that need no test once neighbour ``a`` has been
    joined: those adjacent to neighbour ``a`` itself (see :func:`cover_sets`). They were visited
    before ``i``, so when of ``i``'s grey level they are already in ``a``'s zone. In smooth
    images this skips most of the 13 finds per voxel; the zones are the same.

    lab : int32 (V,) padded label image (pad >= 1); idx : int64 (N,) ROI voxels, raster order;
    steps : int64 (Na,) flat forward offsets; cover : int64 (Na,) bit sets (Na <= 63);
    plane : int, voxels per padded z-plane;
    chunk_start : int64 (C + 1,) positions in ``idx`` where chunks start, on plane boundaries;
    parent, zone_id : int64 (V,) scratch; zone_label, zone_size : int64 (N,), filled for the
    first ``n_zones`` entries with each zone's label and voxel count, zones in raster order of
    their first voxel.
    """
    Na = steps.shape[0]
    C = chunk_start.shape[0] - 1
    for c in prange(C):
        t0 = chunk_start[c]
        t1 = chunk_start[c + 1]
        if t0 == t1:
            continue
        first = (idx[t0] // plane) * plane  # flat start of the chunk's first plane
        for t in range(t0, t1):
            i = idx[t]
            parent[np.uint64(i)] = i
            g = lab[np.uint64(i)]
            r = i  # root of i's tree, tracked so that only the neighbour needs a find
            done = np.int64(0)
            for a in range(Na):
                if (done >> a) & 1:
                    continue
                j = i - steps[a]
                # both ends of a covering join lie in this chunk: j >= first
                if j >= first and lab[np.uint64(j)] == g:
                    r = _union(parent, r, j)
                    done |= cover[a]
    for c in range(1, C):  # seams: the first plane of each chunk against the plane before
        t0 = chunk_start[c]
        t1 = chunk_start[c + 1]
        if t0 == t1:
            continue
        first = (idx[t0] // plane) * plane
        for t in range(t0, t1):
            i = idx[t]
            if i >= first + plane:
                break
            g = lab[i]
            for a in range(Na):
                j = i - steps[a]
                if j < first and lab[j] == g:
                    _union(parent, _find(parent, i), j)
    # Every link points to a smaller index, so one raster pass resolves each voxel to its root
    # from its already resolved parent.
    n_zones = 0
    for t in range(idx.shape[0]):
        i = idx[t]
        p = parent[i]
        if p == i:
            zone_id[i] = n_zones
            zone_label[n_zones] = lab[i]
            zone_size[n_zones] = 1
            n_zones += 1
        else:
            r = parent[p]
            parent[i] = r
            zone_size[zone_id[r]] += 1
    return n_zones


def cover_sets(offsets):
    """Bit sets for :func:`glszm_zones_cover`: ``cover[a]`` holds every ``c`` whose neighbour
    ``-offsets[c]`` is itself a neighbour of ``-offsets[a]`` (their difference is one of the
    connectivity's offsets, either sign).

    offsets : int (Na, 3) forward offsets, Na <= 63.

    Returns
    -------
    order : int64 (Na,)
        A visiting order, neighbours that cover the most first.
    cover : int64 (Na,)
        Bit sets in that order's positions.
    """
    offs = np.asarray(offsets, dtype=np.int64).reshape(-1, 3)
    Na = offs.shape[0]
    if Na > 63:
        raise ValueError("at most 63 offsets")
    conn = {tuple(o) for o in offs} | {tuple(-o) for o in offs}
    adj = np.array([[a != c and tuple(offs[a] - offs[c]) in conn for c in range(Na)]
                    for a in range(Na)], dtype=bool).reshape(Na, Na)
    order = np.argsort(-adj.sum(axis=1), kind="stable").astype(np.int64)
    adj = adj[np.ix_(order, order)]
    cover = np.array([sum(1 << int(c) for c in np.flatnonzero(adj[a])) for a in range(Na)],
                     dtype=np.int64)
    return order, cover
