"""Texture families (GLCM, GLRLM, GLSZM, GLDM, NGTDM) against pyradiomics 3.0.1's own classes.

Images are integer-valued and pyradiomics runs with ``binWidth=1``, so its binned image equals
``q = x - min(x[mask]) + 1`` (checked in every case) and both sides see the same grey levels.
Every feature must agree within rtol 1e-5 / atol 1e-7 (NaN equals NaN); every matrix within
rtol 1e-12 (counts are exact, normalised matrices differ only by summation order).
"""

from __future__ import annotations

import importlib
import logging

import numpy as np
import pytest

radiomics = pytest.importorskip("radiomics", reason="pyradiomics 3.0.1 is the reference oracle")
sitk = pytest.importorskip("SimpleITK")
from radiomics import cMatrices  # noqa: E402

from rnpc_radiomics.features import registry  # noqa: E402
from rnpc_radiomics.features._texture import generate_angles  # noqa: E402

radiomics.setVerbosity(logging.CRITICAL)
# pyradiomics warns about empty means on purpose-built degenerate ROIs.
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

FAMILIES = ("glcm", "glrlm", "glszm", "gldm", "ngtdm")
RTOL, ATOL = 1e-5, 1e-7  # feature tolerance
MATRIX_RTOL = 1e-12
# pyradiomics attribute holding the processed matrix, and whether our matrix() takes spacing.
P_ATTR = {"glcm": "P_glcm", "glrlm": "P_glrlm", "glszm": "P_glszm", "gldm": "P_gldm",
          "ngtdm": "P_ngtdm"}
WEIGHTED = {"glcm", "glrlm"}


def _ours(family):
    return importlib.import_module(f"rnpc_radiomics.features.{family}")


def _pyrad_class(family):
    return getattr(importlib.import_module(f"radiomics.{family}"), "Radiomics" + family.upper())


def _blobs(rng, shape, n=4, radius=(1.5, 5.0)):
    """Union of random balls: an irregular, usually multi-component mask."""
    zz, yy, xx = np.indices(shape)
    m = np.zeros(shape, dtype=bool)
    for _ in range(n):
        c = [rng.integers(0, s) for s in shape]
        r = rng.uniform(*radius)
        m |= (zz - c[0]) ** 2 + (yy - c[1]) ** 2 + (xx - c[2]) ** 2 <= r**2
    return m


def _cases():
    """(id, image, mask, spacing_zyx, settings): >= 10 randomised small cases."""
    rng = np.random.default_rng(20261129)
    out = []
    sh = (14, 18, 16)
    out.append(("default_few_levels", rng.integers(100, 108, sh), _blobs(rng, sh), (1, 1, 1), {}))
    out.append(("many_levels_euclidean_aniso", rng.integers(-50, 10, (12, 20, 22)),
                _blobs(rng, (12, 20, 22), 5), (2.5, 0.7, 0.9), {"weightingNorm": "euclidean"}))
    for norm in ("manhattan", "infinity", "no_weighting"):
        out.append((f"weighting_{norm}_aniso", rng.integers(0, 12, sh), _blobs(rng, sh),
                    (3.0, 0.8, 0.6), {"weightingNorm": norm}))
    out.append(("asymmetric_distances_1_2", rng.integers(0, 6, sh), _blobs(rng, sh), (1, 1, 1),
                {"symmetricalGLCM": False, "distances": [1, 2]}))
    out.append(("distance_2_only", rng.integers(0, 5, sh), _blobs(rng, sh), (1, 1, 1),
                {"distances": [2]}))
    out.append(("gldm_a_1", rng.integers(0, 9, sh), _blobs(rng, sh), (1, 1, 1), {"gldm_a": 1}))
    for dim in (0, 1, 2):
        st = {"force2D": True, "force2Ddimension": dim}
        if dim == 1:
            st["weightingNorm"] = "euclidean"  # in-plane weights with anisotropic spacing
        out.append((f"force2D_dim{dim}", rng.integers(0, 7, sh), _blobs(rng, sh), (1.0, 0.5, 2.0),
                    st))
    m = np.zeros(sh, dtype=bool)
    m[tuple(rng.integers(0, 14, (3, 6)))] = True
    m[3, 4, 5] = m[3, 4, 6] = True
    out.append(("handful_of_voxels", rng.integers(0, 4, sh), m, (1, 1, 1), {}))
    out.append(("single_grey_level", np.full(sh, 7), _blobs(rng, sh), (1, 1, 1), {}))
    m = _blobs(rng, sh)
    m[0] = True
    m[:, :, -1] |= rng.random(sh[:2]) < 0.5
    out.append(("touching_border", rng.integers(0, 5, sh), m, (1, 1, 1), {}))
    m = np.zeros(sh, dtype=bool)
    m[5, 2:10, 3:12] = True
    m[5, 4, 4] = False
    out.append(("one_slice_roi", rng.integers(0, 5, sh), m, (1, 1, 1), {}))
    m = np.zeros(sh, dtype=bool)
    m[5, 2, 3] = True
    out.append(("single_voxel", rng.integers(0, 5, sh), m, (1, 1, 1), {}))
    out.append(("grey_level_gaps", rng.choice([1, 3, 7, 8, 20], sh), _blobs(rng, sh), (1, 1, 1),
                {"weightingNorm": "infinity"}))
    out.append(("sparse_random_mask", rng.integers(0, 3, sh), rng.random(sh) < 0.15, (1, 1, 1),
                {}))
    # A smooth, CT-like texture in an ellipsoid: many grey levels with banded GLCMs, large zones.
    from scipy import ndimage

    sh = (20, 36, 36)
    smooth = ndimage.gaussian_filter(rng.normal(size=sh), 1.5)
    img = np.floor(smooth / smooth.std() * 12).astype(np.int64)
    zz, yy, xx = np.indices(sh)
    m = ((zz - 10) / 9) ** 2 + ((yy - 18) / 16) ** 2 + ((xx - 17) / 15) ** 2 <= 1
    out.append(("smooth_ellipsoid_many_levels", img, m, (2.0, 0.8, 0.8), {}))
    # An asymmetric GLCM angle whose second MCC eigenvalue is exactly 0: pyradiomics' value
    # hinges on the round-off sign (found by a randomised search against pyradiomics).
    img = np.array([[[1, 1, 1, 3, 1], [2, 2, 2, 2, 3], [3, 1, 1, 3, 3]],
                    [[1, 1, 1, 1, 2], [2, 3, 1, 3, 1], [3, 2, 3, 1, 2]],
                    [[2, 2, 1, 2, 3], [3, 2, 3, 1, 2], [3, 3, 3, 2, 1]]])
    m = np.array([[[0, 1, 0, 0, 0], [0, 1, 1, 0, 0], [1, 0, 0, 1, 0]],
                  [[0, 0, 0, 0, 1], [0, 0, 0, 0, 1], [0, 1, 0, 0, 1]],
                  [[0, 0, 1, 0, 1], [1, 1, 0, 1, 1], [0, 0, 1, 0, 1]]], dtype=bool)
    out.append(("mcc_zero_eigenvalue", img, m, (1, 1, 1), {"symmetricalGLCM": False}))
    # Images so small that pyradiomics generates a single angle, which is then kept though empty.
    out.append(("tiny_image_one_angle", np.array([[[4, 9]]]), np.array([[[True, False]]]),
                (1, 1, 1), {"symmetricalGLCM": False}))
    m = np.zeros((3, 1, 2), dtype=bool)
    m[1, 0, 1] = True
    out.append(("single_voxel_weighted", rng.integers(0, 5, (3, 1, 2)), m, (2.0, 1.0, 0.5),
                {"weightingNorm": "no_weighting"}))
    return out


CASES = _cases()


@pytest.fixture(scope="module", params=CASES, ids=[c[0] for c in CASES])
def case(request):
    """One case with pyradiomics' results for every family (computed once per module)."""
    _, img, mask, spacing, settings = request.param
    im = sitk.GetImageFromArray(img.astype(np.int32))
    im.SetSpacing(tuple(float(s) for s in spacing[::-1]))
    mk = sitk.GetImageFromArray(mask.astype(np.uint8))
    mk.CopyInformation(im)
    q = np.where(mask, img - img[mask].min() + 1, 0).astype(np.int32)
    ref = {}
    for fam in FAMILIES:
        obj = _pyrad_class(fam)(im, mk, binWidth=1, **settings)
        # The premise of the comparison: pyradiomics' binned ROI is exactly q.
        assert np.array_equal(obj.imageArray[mask], q[mask])
        obj.enableAllFeatures()
        values = {k: float(v) for k, v in obj.execute().items()}
        ref[fam] = (values, getattr(obj, P_ATTR[fam])[0])
    return q, mask, spacing, settings, ref


@pytest.mark.parametrize("family", FAMILIES)
def test_features_match_pyradiomics(case, family):
    q, mask, spacing, settings, ref = case
    values, _ = ref[family]
    ours = _ours(family).compute(q, mask, spacing_zyx=spacing, settings=settings,
                                 names=list(values))
    bad = {k: (ours[k], v) for k, v in values.items()
           if not np.isclose(ours[k], v, rtol=RTOL, atol=ATOL, equal_nan=True)}
    assert not bad, f"{family} (ours, pyradiomics): {bad}"
    assert all(type(v) is float for v in ours.values())


@pytest.mark.parametrize("family", FAMILIES)
def test_matrix_matches_pyradiomics(case, family):
    q, mask, spacing, settings, ref = case
    _, P_ref = ref[family]
    kw = {"spacing_zyx": spacing} if family in WEIGHTED else {}
    P = _ours(family).matrix(q, mask, settings=settings, **kw)
    assert P.shape == P_ref.shape
    np.testing.assert_allclose(P, P_ref, rtol=MATRIX_RTOL, atol=0)


@pytest.mark.parametrize("family", FAMILIES)
def test_registry_matches_pyradiomics_both_ways(family):
    ours = {f.name: f for f in registry.family_features(family)}
    theirs = _pyrad_class(family).getFeatureNames()  # name -> deprecated
    assert set(ours) == set(theirs)
    for name, deprecated in theirs.items():
        assert ours[name].default is (not deprecated), name
        assert ours[name].family == family and ours[name].doc
    ids = [f.ibsi_id for f in ours.values() if f.ibsi_id]
    assert len(ids) == len(set(ids)), "an IBSI id used twice"


@pytest.mark.parametrize(
    "distances,force2D,dim",
    [([1], False, 0), ([1, 2], False, 0), ([2], False, 0), ([1, 3], False, 0),
     ([1], True, 0), ([1], True, 1), ([1, 2], True, 2)],
)
@pytest.mark.parametrize("bidirectional", [False, True])
def test_angles_match_pyradiomics(distances, force2D, dim, bidirectional):
    size = np.array([9, 9, 9])  # large enough that pyradiomics drops no offset
    theirs = cMatrices.generate_angles(size, np.array(distances), bidirectional, force2D, dim)
    ours = generate_angles(distances, force2D, dim, bidirectional=bidirectional)
    np.testing.assert_array_equal(ours, theirs)


def test_deprecated_features_equal_their_replacements():
    rng = np.random.default_rng(3)
    q = rng.integers(1, 6, (8, 9, 10)).astype(np.int32)
    mask = _blobs(rng, q.shape, 3, (2, 4))
    g = _ours("glcm").compute(q, mask)
    assert g["Dissimilarity"] == g["DifferenceAverage"]
    assert g["Homogeneity1"] == g["Id"]
    assert g["Homogeneity2"] == g["Idm"]
    assert g["SumVariance"] == g["ClusterTendency"]
    d = _ours("gldm").compute(q, mask)
    assert d["DependencePercentage"] == 1.0
    counts = np.bincount(q[mask])[1:]
    uniformity = float(np.sum((counts / counts.sum()) ** 2))
    np.testing.assert_allclose(d["GrayLevelNonUniformityNormalized"], uniformity, rtol=1e-12)


@pytest.mark.parametrize("family", FAMILIES)
def test_unknown_feature_name_is_rejected(family):
    q = np.ones((3, 3, 3), dtype=np.int32)
    with pytest.raises(KeyError, match="unknown"):
        _ours(family).compute(q, q > 0, names=["NoSuchFeature"])


@pytest.mark.parametrize("family", FAMILIES)
def test_compute_accepts_other_dtypes_and_subsets(family):
    """int64 q, uint8 mask and Fortran order give the same values; ``names`` selects, in order."""
    _, img, mask, spacing, settings = next(c for c in CASES if c[0] == "touching_border")
    q = np.where(mask, img - img[mask].min() + 1, 0).astype(np.int32)
    mod = _ours(family)
    names = [f.name for f in mod.FEATURES if f.default][:3][::-1]
    base = mod.compute(q, mask, spacing_zyx=spacing, settings=settings, names=names)
    assert list(base) == names
    other = mod.compute(np.asfortranarray(q.astype(np.int64)), mask.astype(np.uint8),
                        spacing_zyx=spacing, settings=dict(settings), names=names)
    for k in names:
        np.testing.assert_allclose(other[k], base[k], rtol=1e-12, atol=0)
