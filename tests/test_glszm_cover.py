"""GLSZM zone labelling: with the covering relation (skipped neighbour tests) and without, equal
to each other and to scipy.ndimage.label, with and without chunk seams, in 3D and force2D."""

import numpy as np
import pytest
from scipy import ndimage

from rnpc_radiomics.features._kernels.glszm import cover_sets, glszm_zones, glszm_zones_cover
from rnpc_radiomics.features._texture import Labels, generate_angles


def _zones(kernel, L, steps, *extra, chunked):
    N = L.idx.size
    parent = np.empty(L.lab.size, dtype=np.int64)
    zone_id = np.empty(L.lab.size, dtype=np.int64)
    zl, zs = np.empty(N, dtype=np.int64), np.empty(N, dtype=np.int64)
    plane = L.shape[1] * L.shape[2]
    z = L.idx // plane
    if chunked:  # one chunk per plane: every plane is a seam
        cs = np.searchsorted(L.idx, np.arange(z[0], z[-1] + 2) * plane).astype(np.int64)
    else:
        cs = np.array([0, N], dtype=np.int64)
    nz = kernel(L.lab, L.idx, steps, *extra, plane, cs, parent, zone_id, zl, zs)
    return sorted(zip(zl[:nz].tolist(), zs[:nz].tolist()))


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("force2D_dim", [None, 0, 1, 2])
@pytest.mark.parametrize("chunked", [False, True])
def test_cover_equals_plain_and_scipy(seed, force2D_dim, chunked):
    rng = np.random.default_rng(seed)
    shape = tuple(rng.integers(3, 14, size=3))
    # smooth labels (large zones, where the covering skips most tests) or noisy ones
    base = ndimage.gaussian_filter(rng.normal(size=shape), 1.0 if seed % 2 else 0.3)
    q = np.digitize(base, np.quantile(base, [0.3, 0.6])).astype(np.int32) + 1
    mask = rng.random(shape) < (0.95 if seed < 3 else 0.6)
    mask[0, 0, 0] = True
    offsets = generate_angles([1], force2D_dim is not None, force2D_dim or 0)
    L = Labels(q, mask, 1)
    order, cover = cover_sets(offsets)
    ours = _zones(glszm_zones_cover, L, L.flat(offsets[order]), cover, chunked=chunked)
    plain = _zones(glszm_zones, L, L.flat(offsets), chunked=chunked)
    assert ours == plain
    if force2D_dim is None:
        structure = ndimage.generate_binary_structure(3, 3)
    else:  # 8-connectivity within the planes normal to force2D_dim only
        structure = np.zeros((3, 3, 3), dtype=bool)
        np.moveaxis(structure, force2D_dim, 0)[1] = ndimage.generate_binary_structure(2, 2)
    twin = []
    for g in np.unique(q[mask]):
        labels, _ = ndimage.label(mask & (q == g), structure=structure)
        twin += [(int(L.levels.searchsorted(g)), int(s)) for s in np.bincount(labels.ravel())[1:]]
    assert ours == sorted(twin)


def test_cover_sets_26_connectivity():
    offsets = generate_angles([1])
    order, cover = cover_sets(offsets)
    assert sorted(order.tolist()) == list(range(13))
    # the x-neighbour (0, 0, 1) is adjacent to 8 of the other 12 backward neighbours
    k = int(np.flatnonzero((offsets[order] == [0, 0, 1]).all(axis=1))[0])
    assert bin(int(cover[k])).count("1") == 8
    with pytest.raises(ValueError, match="at most 63"):
        cover_sets(np.ones((64, 3), dtype=np.int64))
