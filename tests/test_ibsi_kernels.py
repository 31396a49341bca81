"""IBSI-mode matrices and kernels against slow, obvious NumPy/Python twins."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from rnpc_radiomics.ibsi import _kernels
from rnpc_radiomics.ibsi.texture import DIRECTIONS_2D, DIRECTIONS_3D, distance_map, glcm_counts


def _random_q(seed, shape=(4, 5, 6), ng=4, fill=0.75):
    rng = np.random.default_rng(seed)
    q = rng.integers(1, ng + 1, size=shape).astype(np.int32)
    q[rng.random(shape) > fill] = 0
    return q


def _inside(q, z, y, x):
    return 0 <= z < q.shape[0] and 0 <= y < q.shape[1] and 0 <= x < q.shape[2] and q[z, y, x] > 0


def _neigh(two_d):
    zs = (0,) if two_d else (-1, 0, 1)
    return [o for o in itertools.product(zs, (-1, 0, 1), (-1, 0, 1)) if o != (0, 0, 0)]


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("per_slice", [True, False])
def test_glcm_counts(seed, per_slice):
    q = _random_q(seed)
    dirs = DIRECTIONS_2D if per_slice else DIRECTIONS_3D
    got = glcm_counts(q, dirs, 4, per_slice)
    want = np.zeros_like(got)
    for z, y, x in np.argwhere(q > 0):
        for d, (dz, dy, dx) in enumerate(dirs):
            if _inside(q, z + dz, y + dy, x + dx):
                a, b = q[z, y, x] - 1, q[z + dz, y + dy, x + dx] - 1
                s = z if per_slice else 0
                want[s, d, a, b] += 1
                want[s, d, b, a] += 1
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("per_slice", [True, False])
def test_glrlm_counts(seed, per_slice):
    q = _random_q(seed, ng=2, fill=0.9)
    dirs = DIRECTIONS_2D if per_slice else DIRECTIONS_3D
    got = _kernels.glrlm_counts(q, dirs, 2, max(q.shape), per_slice)
    want = np.zeros_like(got)
    for d, (dz, dy, dx) in enumerate(dirs):
        for z, y, x in np.argwhere(q > 0):
            g = q[z, y, x]
            if _inside(q, z - dz, y - dy, x - dx) and q[z - dz, y - dy, x - dx] == g:
                continue
            n = 1
            while _inside(q, z + n * dz, y + n * dy, x + n * dx) and \
                    q[z + n * dz, y + n * dy, x + n * dx] == g:
                n += 1
            want[z if per_slice else 0, d, g - 1, n - 1] += 1
    np.testing.assert_array_equal(got, want)
    # Every voxel lies in exactly one run per direction.
    n_runs_voxels = (got * np.arange(1, got.shape[-1] + 1)).sum(axis=(2, 3))
    if per_slice:
        np.testing.assert_array_equal(n_runs_voxels,
                                      np.repeat((q > 0).sum(axis=(1, 2))[:, None], 4, axis=1))


@pytest.mark.parametrize("seed", [0, 3])
@pytest.mark.parametrize("two_d", [True, False])
def test_zones_match_scipy_label(seed, two_d):
    from scipy import ndimage

    q = _random_q(seed, ng=3)
    dist = np.ascontiguousarray(distance_map(q > 0, two_d))
    lev, size, mind, zsl = _kernels.zones(q, dist, two_d)
    want = []
    for g in range(1, 4):
        if two_d:
            for z in range(q.shape[0]):
                lab, n = ndimage.label(q[z] == g, structure=np.ones((3, 3)))
                for k in range(1, n + 1):
                    sel = lab == k
                    want.append((g, int(sel.sum()), int(dist[z][sel].min()), z))
        else:
            lab, n = ndimage.label(q == g, structure=np.ones((3, 3, 3)))
            for k in range(1, n + 1):
                sel = lab == k
                want.append((g, int(sel.sum()), int(dist[sel].min()), -1))
    got = sorted(zip(lev.tolist(), size.tolist(), mind.tolist(),
                     (zsl if two_d else np.full_like(zsl, -1)).tolist()))
    assert got == sorted(want)


@pytest.mark.parametrize("two_d", [True, False])
def test_distance_map_is_erosion_depth(two_d):
    from scipy import ndimage

    m = _random_q(5, shape=(5, 7, 8), ng=1, fill=0.9) > 0
    got = distance_map(m, two_d)
    cross = ndimage.generate_binary_structure(3, 1)
    if two_d:
        cross[0] = cross[2] = False
    want = np.zeros(m.shape, dtype=np.int64)
    cur = m.copy()
    k = 0
    while cur.any():
        k += 1
        want[cur] = k
        cur = ndimage.binary_erosion(cur, structure=cross, border_value=0)
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("two_d", [True, False])
def test_ngtdm_and_ngldm(seed, two_d):
    q = _random_q(seed, ng=3, fill=0.6)
    s, n = _kernels.ngtdm_sums(q, 3, two_d)
    m = _kernels.ngldm_counts(q, 3, two_d, 0)
    ws, wn, wm = np.zeros_like(s), np.zeros_like(n), np.zeros_like(m)
    for z, y, x in np.argwhere(q > 0):
        g = q[z, y, x]
        nb = [q[z + a, y + b, x + c] for a, b, c in _neigh(two_d) if _inside(q, z + a, y + b, x + c)]
        si = z if two_d else 0
        if nb:
            ws[si, g - 1] += abs(g - np.mean(nb))
            wn[si, g - 1] += 1
        wm[si, g - 1, sum(1 for v in nb if v == g)] += 1
    np.testing.assert_allclose(s, ws, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(n, wn)
    np.testing.assert_array_equal(m, wm)


def test_sphere_means_and_offsets():
    from rnpc_radiomics.ibsi.local_intensity import sphere_offsets

    sp = (3.0, 0.977, 0.977)
    off = sphere_offsets(sp)
    r = 10.0 * (3.0 / (4.0 * math.pi)) ** (1.0 / 3.0)
    d = np.sqrt(((off * np.array(sp)) ** 2).sum(axis=1))
    assert d.max() <= r + 1e-9
    rng = np.random.default_rng(7)
    img = rng.normal(size=(6, 9, 10))
    centres = np.array([[0, 0, 0], [3, 4, 5], [5, 8, 9]], dtype=np.int64)
    got = _kernels.sphere_means(img, centres, off)
    for k, c in enumerate(centres):
        vals = [img[tuple(c + o)] for o in off
                if all(0 <= c[i] + o[i] < img.shape[i] for i in range(3))]
        assert got[k] == pytest.approx(np.mean(vals), rel=1e-12, abs=1e-12)


def test_moran_geary_fft_equals_pairwise():
    from rnpc_radiomics.ibsi.morphology import moran_geary

    rng = np.random.default_rng(3)
    img = rng.integers(-50, 50, size=(4, 6, 7)).astype(np.float64)
    m = rng.random(img.shape) < 0.6
    sp = (2.0, 0.8, 0.9)
    got = moran_geary(img, m, sp)
    pos = np.argwhere(m) * np.array(sp)
    x = img[m]
    n = x.size
    d = np.sqrt(((pos[:, None, :] - pos[None, :, :]) ** 2).sum(-1))
    w = np.where(d > 0, 1.0 / np.where(d > 0, d, 1.0), 0.0)
    dev = x - x.mean()
    moran = n / w.sum() * (w * np.outer(dev, dev)).sum() / (dev ** 2).sum()
    geary = (n - 1) / (2 * w.sum()) * (w * (x[:, None] - x[None, :]) ** 2).sum() / (dev ** 2).sum()
    assert got[0] == pytest.approx(moran, rel=1e-9, abs=1e-12)
    assert got[1] == pytest.approx(geary, rel=1e-9, abs=1e-12)


def test_ellipsoid_area_is_the_ibsi_series():
    from numpy.polynomial import legendre

    from rnpc_radiomics.ibsi.morphology import ellipsoid_area

    assert ellipsoid_area(2.0, 2.0, 2.0) == pytest.approx(16 * math.pi, rel=1e-12)
    a, b, c = 5.0, 4.0, 3.0
    al, be = math.sqrt(1 - b * b / a / a), math.sqrt(1 - c * c / a / a)
    x = (al ** 2 + be ** 2) / (2 * al * be)
    want = 4 * math.pi * a * b * sum(
        (al * be) ** n / (1 - 4 * n * n) * legendre.legval(x, [0] * n + [1]) for n in range(21))
    assert ellipsoid_area(a, b, c) == pytest.approx(want, rel=1e-12)
    # The IBSI series is not the exact area (199.455 by elliptic integrals); see its docstring.
    assert ellipsoid_area(a, b, c) == pytest.approx(203.58, rel=1e-4)
