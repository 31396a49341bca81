"""GLSZM kernel: labelling of equal-grey-level zones by union-find (numba, CPU)."""

from __future__ import annotations

from numba import njit, prange


@njit(cache=True)
def _find(parent, i):
    # Path halving keeps the trees shallow without recursion.
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


@njit(cache=True)
def _union(parent, r1, j):
    """Join the tree of root ``r1`` with that of ``j``; return the joint root (the smaller index,
    i.e. the zone's first voxel in raster order, so every link points to a smaller index)."""
    r2 = _find(parent, j)
    if r2 < r1:
        parent[r1] = r2
        return r2
    if r1 < r2:
        parent[r2] = r1
    return r1


@njit(cache=True, parallel=True)
def glszm_zones(lab, idx, steps, plane, chunk_start, parent, zone_id, zone_label, zone_size):
    """Label connected zones of equal grey level inside the ROI; return the number of zones.

    Voxels are connected when their offset is one of ``steps`` or its opposite (the 13 forward
    offsets give 26-connectivity, the 4 in-plane ones 8-connectivity). Each chunk of whole
    z-planes is labelled by its own thread, joining every ROI voxel to its already-visited
    neighbours ``i - steps[a]`` of the same label within the chunk; the seams between chunks are
    then joined serially, and a last raster pass resolves roots and counts zone sizes.

    lab : int32 (V,) padded label image (pad >= 1); idx : int64 (N,) ROI voxels, raster order;
    steps : int64 (Na,) flat forward offsets; plane : int, voxels per padded z-plane;
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
            parent[i] = i
            g = lab[i]
            r = i  # root of i's tree, tracked so that only the neighbour needs a find
            for a in range(Na):
                j = i - steps[a]
                if j >= first and lab[j] == g:
                    r = _union(parent, r, j)
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
