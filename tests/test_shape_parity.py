"""Shape families (``shape``, ``shape2D``) against pyradiomics 3.0.1 and slow NumPy twins.

Tolerances: every feature rtol 1e-5 / atol 1e-7 against pyradiomics' own classes (NaN == NaN where
pyradiomics is undefined, e.g. Elongation of one voxel). The per-cube mesh check and the diameter
twin are tighter (rtol 1e-12), because they compare the same arithmetic.
"""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pytest

from rnpc_radiomics.errors import FeatureError, MaskError, SettingsError
from rnpc_radiomics.features import registry, shape, shape2d
from rnpc_radiomics.features._kernels import shape as K

radiomics = pytest.importorskip("radiomics", reason="pyradiomics (test oracle) absent")
sitk = pytest.importorskip("SimpleITK")
from radiomics import cShape  # noqa: E402
from radiomics import shape as py_shape  # noqa: E402
from radiomics import shape2D as py_shape2d  # noqa: E402

logging.getLogger("radiomics").setLevel(logging.ERROR)

RTOL, ATOL = 1e-5, 1e-7


def _sitk_pair(mask: np.ndarray, spacing_zyx):
    img = sitk.GetImageFromArray(np.zeros(mask.shape, np.float32))
    img.SetSpacing(tuple(float(s) for s in spacing_zyx[::-1]))
    msk = sitk.GetImageFromArray(mask.astype(np.uint8))
    msk.CopyInformation(img)
    return img, msk


def _enable_all(fc, features):
    for f in features:
        fc.enableFeatureByName(f.name, True)


def _py_shape(mask, spacing_zyx) -> dict[str, float]:
    fc = py_shape.RadiomicsShape(*_sitk_pair(mask, spacing_zyx))
    _enable_all(fc, shape.FEATURES)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # pyradiomics' 0/0 for one voxel
        return {k: float(v) for k, v in fc.execute().items()}


def _py_shape2d(mask, spacing_zyx, dim) -> dict[str, float]:
    fc = py_shape2d.RadiomicsShape2D(*_sitk_pair(mask, spacing_zyx), force2D=True,
                                     force2Ddimension=dim)
    _enable_all(fc, shape2d.FEATURES)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return {k: float(v) for k, v in fc.execute().items()}


def _assert_same(ours: dict, ref: dict, label: str):
    assert set(ours) == set(ref), label
    for name, want in ref.items():
        np.testing.assert_allclose(ours[name], want, rtol=RTOL, atol=ATOL, equal_nan=True,
                                   err_msg=f"{label}: {name}")


def _crop(mask):
    idx = np.argwhere(mask)
    lo, hi = idx.min(0), idx.max(0) + 1
    return mask[lo[0]:hi[0], lo[1]:hi[1], lo[2]:hi[2]]


# ---------------------------------------------------------------------------------------------
# 3D masks: each a named, reproducible case.

def _blobs(rng, shape_, n, rmin, rmax):
    zz, yy, xx = np.indices(shape_)
    m = np.zeros(shape_, bool)
    for _ in range(n):
        c = rng.uniform(0, np.array(shape_))
        r = rng.uniform(rmin, rmax, 3)
        m |= ((zz - c[0]) / r[0]) ** 2 + ((yy - c[1]) / r[1]) ** 2 + ((xx - c[2]) / r[2]) ** 2 <= 1
    return m


def _cases_3d():
    rng = np.random.default_rng(20261129)
    cases = []
    m = _blobs(rng, (12, 16, 16), 4, 1.5, 5)
    cases.append(("multi-blob", _crop(m), (1.25, 0.5, 0.5)))
    m = _blobs(rng, (10, 14, 14), 1, 4.5, 6.5)
    m &= rng.random(m.shape) > 0.15  # holes (some fully enclosed)
    cases.append(("holes", _crop(m), (1.0, 0.8, 0.8)))
    m = np.zeros((4, 5, 5), bool)
    m[1, 2, 2] = m[1, 2, 3] = m[2, 2, 2] = m[2, 3, 3] = m[3, 1, 1] = True  # corner-touching only
    cases.append(("handful", _crop(m), (2.0, 0.7, 0.9)))
    cases.append(("single-voxel", np.ones((1, 1, 1), bool), (3.0, 0.5, 0.5)))
    m = rng.random((7, 9, 8)) < 0.55
    m[0], m[-1], m[:, 0], m[:, :, -1] = True, True, True, True  # ROI fills the array border
    cases.append(("touching-border", m, (1.0, 1.0, 1.0)))
    m = rng.random((6, 8, 7)) < 0.6  # salt-and-pepper: every ambiguous cube configuration
    cases.append(("noise-anisotropic", _crop(m) if m.any() else m, (2.7, 0.31, 1.13)))
    m = np.zeros((30, 5, 6), bool)
    m[:, 2, 2:4] = True
    m[5:25, 1:4, 3] = True
    cases.append(("elongated", m, (0.6, 1.1, 0.9)))
    cases.append(("line", np.ones((1, 1, 9), bool), (1.0, 0.5, 0.5)))
    m = _blobs(rng, (1, 15, 13), 3, 2, 5)
    cases.append(("single-slice", _crop(m), (5.0, 0.4, 0.4)))
    m = _blobs(rng, (18, 18, 18), 1, 8, 8.6)
    m[4:14, 4:14, 4:14] &= ~_blobs(rng, (10, 10, 10), 1, 3, 3.5)  # cavity
    cases.append(("sphere-cavity", _crop(m), (0.9, 0.9, 0.9)))
    for k in range(4):
        m = rng.random(tuple(rng.integers(2, 9, 3))) < rng.uniform(0.2, 0.8)
        if not m.any():
            m.flat[0] = True
        cases.append((f"random-{k}", _crop(m), tuple(rng.uniform(0.3, 3.0, 3))))
    return cases


CASES_3D = _cases_3d()


@pytest.mark.parametrize("label,mask,spacing", CASES_3D, ids=[c[0] for c in CASES_3D])
def test_shape_matches_pyradiomics(label, mask, spacing):
    ours = shape.compute(None, mask, spacing_zyx=spacing, settings={}, names=None)
    _assert_same(ours, _py_shape(mask, spacing), label)


def test_every_cube_configuration_matches_pyradiomics():
    """The generated lookup table gives pyradiomics' triangles for all 256 cube configurations
    (area and signed volume per cube; anisotropic spacing separates triangulations)."""
    tri, mid2 = K.mc_tables()
    out = np.empty(2)
    for spacing in (np.array([1.0, 1.0, 1.0]), np.array([1.7, 0.45, 0.9]),
                    np.array([0.33, 2.9, 1.21])):
        for cfg in range(1, 255):
            m = np.zeros((2, 2, 2), bool)
            for k in range(8):
                m[k >> 2 & 1, k >> 1 & 1, k & 1] = bool(cfg >> k & 1)
            K.mesh_area_volume(m, spacing, tri, mid2, out)
            area, vol, _ = cShape.calculate_coefficients(m, spacing)
            np.testing.assert_allclose(out, [area, vol], rtol=1e-12, atol=1e-14,
                                       err_msg=f"cube configuration {cfg}")


# ---------------------------------------------------------------------------------------------
# Diameters: the hull-based kernel against the obvious all-pairs twin.

def _diameters_twin(mask, spacing):
    """All pairs of mesh vertices (pyradiomics' algorithm), in NumPy."""
    m = np.pad(mask, 1)
    verts = []
    for ax in range(3):
        diff = np.diff(m.astype(np.int8), axis=ax) != 0
        idx = np.argwhere(diff).astype(float)
        idx[:, ax] += 0.5
        verts.append(idx)
    v = np.concatenate(verts)
    p = v * np.asarray(spacing)
    d2 = ((p[:, None, :] - p[None, :, :]) ** 2).sum(-1)
    out = []
    for ax in range(3):
        same = v[:, None, ax] == v[None, :, ax]
        out.append(np.sqrt(np.where(same, d2, 0).max()))
    out.append(np.sqrt(d2.max()))
    return np.array(out)


@pytest.mark.parametrize("seed", range(6))
def test_mesh_diameters_match_all_pairs_twin(seed):
    rng = np.random.default_rng(seed)
    if seed == 0:
        mask = np.ones((1, 1, 5), bool)  # every plane collinear
    elif seed == 1:
        mask = np.zeros((3, 3, 3), bool)
        mask[0, 0, 0] = mask[2, 2, 2] = True
    else:
        mask = rng.random(tuple(rng.integers(1, 10, 3))) < rng.uniform(0.1, 0.9)
        mask.flat[0] = True
    spacing = rng.uniform(0.2, 3.0, 3)
    m = np.pad(mask, 1)
    verts = np.empty((K.count_edge_vertices(m), 3), dtype=np.int64)
    K.fill_edge_vertices(m, verts)
    out = np.empty(4)
    K.mesh_diameters(verts, spacing, out)
    np.testing.assert_allclose(out, _diameters_twin(mask, spacing), rtol=1e-12, atol=0)


def test_voxel_moments_match_numpy_twin():
    rng = np.random.default_rng(3)
    mask = rng.random((5, 6, 7)) < 0.4
    spacing = np.array([1.3, 0.6, 0.8])
    cov = np.empty((3, 3))
    n = K.voxel_moments(mask, spacing, cov)
    pts = np.argwhere(mask) * spacing
    assert n == mask.sum()
    np.testing.assert_allclose(cov, np.cov(pts.T, bias=True), rtol=1e-12, atol=1e-14)


# ---------------------------------------------------------------------------------------------
# 2D

def _cases_2d():
    rng = np.random.default_rng(7)
    cases = []
    for k in range(12):
        dim = k % 3
        shp = list(rng.integers(2, 16, 3))
        shp[dim] = 1
        if k < 3:
            m = rng.random(shp) < 0.5  # noisy: all ambiguous squares
        elif k < 6:
            m = _blobs(rng, tuple(shp), 3, 1.5, 6)
        elif k < 9:
            m = rng.random(shp) < 0.85  # holes
        else:
            m = np.zeros(shp, bool)
            m.flat[rng.integers(m.size)] = True
            if k == 11:
                m.flat[:] = True  # full rectangle touching the border
        if not m.any():
            m.flat[0] = True
        cases.append((f"2d-{k}-dim{dim}", _crop(m), tuple(rng.uniform(0.3, 2.5, 3)), dim))
    return cases


CASES_2D = _cases_2d()


@pytest.mark.parametrize("label,mask,spacing,dim", CASES_2D, ids=[c[0] for c in CASES_2D])
def test_shape2d_matches_pyradiomics(label, mask, spacing, dim):
    ours = shape2d.compute(None, mask, spacing_zyx=spacing, settings={"force2Ddimension": dim},
                           names=None)
    _assert_same(ours, _py_shape2d(mask, spacing, dim), label)


def test_every_square_configuration_matches_pyradiomics():
    seg, mid2 = K.ms_tables()
    for spacing in (np.array([1.0, 1.0]), np.array([0.4, 1.7])):
        for cfg in range(1, 16):
            m = np.zeros((2, 2), bool)
            for k, (y, x) in enumerate([(0, 0), (0, 1), (1, 1), (1, 0)]):
                m[y, x] = bool(cfg >> k & 1)
            m = np.pad(m, 1)
            out = np.empty(2)
            K.square_mesh(m, spacing, seg, mid2, out)
            perim, surf, _ = cShape.calculate_coefficients2D(m, spacing)
            np.testing.assert_allclose(out, [perim, surf], rtol=1e-12, atol=1e-14,
                                       err_msg=f"square configuration {cfg}")


# ---------------------------------------------------------------------------------------------
# Registry: both ways against pyradiomics' feature lists.

@pytest.mark.parametrize("family,py_cls", [("shape", py_shape.RadiomicsShape),
                                           ("shape2D", py_shape2d.RadiomicsShape2D)])
def test_registry_matches_pyradiomics_feature_list(family, py_cls):
    ours = registry.family_features(family)
    py = py_cls.getFeatureNames()  # {name: deprecated}
    assert [f.name for f in ours] == list(py)
    assert {f.name: not f.default for f in ours} == py
    assert all(f.family == family and f.doc for f in ours)


def test_ibsi_ids():
    ids = {f.name: f.ibsi_id for f in shape.FEATURES}
    assert ids["MeshVolume"] == "RNU0" and ids["VoxelVolume"] == "YEKZ"
    assert ids["SurfaceArea"] == "C0JK" and ids["Maximum3DDiameter"] == "L0JK"
    assert ids["Maximum2DDiameterSlice"] is None


# ---------------------------------------------------------------------------------------------
# Interface and bad input

def test_names_subset_and_order():
    m = np.ones((2, 3, 4), bool)
    out = shape.compute(None, m, spacing_zyx=(1, 1, 1), settings={},
                        names=["VoxelVolume", "MeshVolume"])
    assert list(out) == ["VoxelVolume", "MeshVolume"]
    np.testing.assert_allclose(out["VoxelVolume"], 24.0, rtol=1e-12, atol=0)


def test_empty_mask_is_an_error():
    with pytest.raises(MaskError, match="non-empty mask"):
        shape.compute(None, np.zeros((2, 2, 2), bool), spacing_zyx=(1, 1, 1), settings={},
                      names=None)
    with pytest.raises(MaskError, match="non-empty mask"):
        shape2d.compute(None, np.zeros((1, 2, 2), bool), spacing_zyx=(1, 1, 1), settings={},
                        names=None)


def test_unknown_feature_name_is_an_error():
    with pytest.raises(FeatureError, match="unknown shape feature 'Volume'"):
        shape.compute(None, np.ones((1, 1, 1), bool), spacing_zyx=(1, 1, 1), settings={},
                      names=["Volume"])


def test_bad_spacing_is_an_error():
    with pytest.raises(FeatureError, match="bad voxel spacing"):
        shape.compute(None, np.ones((1, 1, 1), bool), spacing_zyx=(1, 0, 1), settings={},
                      names=None)


def test_shape2d_needs_single_slice():
    with pytest.raises(MaskError, match="spans 2 slices along axis 0"):
        shape2d.compute(None, np.ones((2, 3, 3), bool), spacing_zyx=(1, 1, 1),
                        settings={"force2Ddimension": 0}, names=None)


def test_shape2d_bad_dimension():
    with pytest.raises(SettingsError, match="bad force2Ddimension"):
        shape2d.compute(None, np.ones((1, 3, 3), bool), spacing_zyx=(1, 1, 1),
                        settings={"force2Ddimension": 3}, names=None)
