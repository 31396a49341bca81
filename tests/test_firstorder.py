"""First-order features in isolation against pyradiomics 3.0.1's RadiomicsFirstOrder."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from rnpc_radiomics.features import firstorder
from rnpc_radiomics.preprocess.discretise import discretise

RTOL, ATOL = 1e-6, 1e-9
ALL = [f.name for f in firstorder.FEATURES]


def _reference(img, mask, spacing_xyz, settings):
    pytest.importorskip("radiomics", reason="pyradiomics (the reference) absent")
    import radiomics
    import SimpleITK as sitk
    from radiomics.firstorder import RadiomicsFirstOrder

    radiomics.setVerbosity(logging.CRITICAL)
    im = sitk.GetImageFromArray(img)
    im.SetSpacing(spacing_xyz)
    mk = sitk.GetImageFromArray(mask.astype(np.uint8))
    mk.CopyInformation(im)
    fo = RadiomicsFirstOrder(im, mk, **settings)
    for n in ALL:
        fo.enableFeatureByName(n)
    return {k: float(v) for k, v in fo.execute().items()}


def _ours(img, mask, spacing_xyz, settings):
    q, _ = discretise(img, mask, settings.get("binWidth", 25), settings.get("binCount"))
    return firstorder.compute(q, mask, spacing_zyx=spacing_xyz[::-1], settings=settings,
                              names=ALL, image=img)


CASES = [
    ("float32", {"binWidth": 25}, (0.5, 0.7, 2.0)),
    ("int16", {"binWidth": 25, "voxelArrayShift": 1000}, (1.0, 1.0, 1.0)),
    ("float64", {"binCount": 12}, (0.3, 0.3, 3.0)),
    ("int16", {"binWidth": 5.0}, (0.8, 0.8, 0.8)),
]


@pytest.mark.parametrize("dtype,settings,spacing", CASES)
def test_firstorder_matches_pyradiomics(dtype, settings, spacing):
    rng = np.random.default_rng(len(str(settings)))
    img = rng.gamma(2.0, 60.0, (8, 12, 14)) - 100
    img = (np.round(img) if dtype == "int16" else img).astype(dtype)
    mask = rng.random(img.shape) < 0.4
    ref = _reference(img, mask, spacing, settings)
    ours = _ours(img, mask, spacing, settings)
    assert set(ours) == set(ref) == set(ALL)
    for k in ALL:
        assert ours[k] == pytest.approx(ref[k], rel=RTOL, abs=ATOL), k


def test_flat_roi_conventions_and_reported():
    img = np.full((3, 4, 5), 42.0, np.float32)
    mask = np.zeros(img.shape, bool)
    mask[1, 1:3, 1:4] = True
    ref = _reference(img, mask, (1.0, 1.0, 1.0), {})
    ours = _ours(img, mask, (1.0, 1.0, 1.0), {})
    for k in ALL:
        assert ours[k] == pytest.approx(ref[k], rel=RTOL, abs=ATOL), k
    assert ours["Skewness"] == 0.0 and ours["Kurtosis"] == 0.0
    assert firstorder.undefined(img, mask) == ["Skewness", "Kurtosis"]
    img[1, 1, 1] = 43
    assert firstorder.undefined(img, mask) == []


def test_numpy_formulas():
    """Independent textbook formulas (population moments, linear percentiles)."""
    x = np.array([1.0, 2.0, 2.0, 3.0, 10.0])
    img = x.reshape(1, 1, 5)
    mask = np.ones(img.shape, bool)
    q, _ = discretise(img, mask, 2.0)
    v = firstorder.compute(q, mask, spacing_zyx=(2.0, 1.0, 1.0), settings={"voxelArrayShift": 1},
                           names=ALL, image=img)
    mu, sd = x.mean(), x.std()
    assert v["Mean"] == pytest.approx(3.6, rel=1e-12)
    assert v["Energy"] == pytest.approx(np.sum((x + 1) ** 2), rel=1e-12)
    assert v["TotalEnergy"] == pytest.approx(2.0 * np.sum((x + 1) ** 2), rel=1e-12)
    assert v["RootMeanSquared"] == pytest.approx(np.sqrt(np.mean((x + 1) ** 2)), rel=1e-12)
    assert v["Variance"] == pytest.approx(sd ** 2, rel=1e-12)
    assert v["Skewness"] == pytest.approx(np.mean((x - mu) ** 3) / sd ** 3, rel=1e-12)
    assert v["Kurtosis"] == pytest.approx(np.mean((x - mu) ** 4) / sd ** 4, rel=1e-12)
    assert v["Median"] == 2.0 and v["Range"] == 9.0
    assert v["10Percentile"] == pytest.approx(1.4, rel=1e-12)
    # bins of width 2 from 0: {1}, {2, 2, 3}, {10} -> p = 0.2, 0.6, 0.2
    p = np.array([0.2, 0.6, 0.2])
    assert v["Uniformity"] == pytest.approx(np.sum(p ** 2), rel=1e-12)
    assert v["Entropy"] == pytest.approx(-np.sum(p * np.log2(p + np.spacing(1))), rel=1e-12)


def test_unknown_feature_name_is_an_error():
    img = np.ones((1, 2, 2))
    with pytest.raises(KeyError, match="unknown firstorder features"):
        firstorder.compute(img.astype(np.int32), img.astype(bool), spacing_zyx=(1, 1, 1),
                           settings={}, names=["Mean", "Meen"], image=img)


def test_registry_flags_match_pyradiomics():
    pytest.importorskip("radiomics", reason="pyradiomics (the reference) absent")
    from radiomics.firstorder import RadiomicsFirstOrder

    ref = RadiomicsFirstOrder.getFeatureNames()
    assert {f.name: not f.default for f in firstorder.FEATURES} == ref


def _percentile_sorted(s: np.ndarray, p: float) -> float:
    """``numpy.percentile(s, p)`` (method 'linear') of an ascending array ``s``."""
    n = s.size
    if n == 1:
        return float(s[0])
    pos = p / 100.0 * (n - 1)
    lo = int(np.floor(pos))
    hi = min(lo + 1, n - 1)
    t = pos - lo
    a, b = float(s[lo]), float(s[hi])
    d = b - a
    # numpy's _lerp: a + d*t, but b - d*(1-t) for t >= 0.5 (monotone and exact at t = 1)
    return b - d * (1.0 - t) if t >= 0.5 else a + d * t


@pytest.mark.parametrize("n", [1, 2, 5, 10, 101, 1000])
def test_percentile_twin_equals_numpy(n):
    s = np.sort(np.random.default_rng(n).normal(size=n) * 1e3)
    for p in (10, 25, 50, 75, 90):
        assert _percentile_sorted(s, p) == pytest.approx(float(np.percentile(s, p)), rel=1e-15,
                                                         abs=1e-12)


# --- the numba kernel against straightforward NumPy ------------------------------------------

def _numpy_firstorder(img, mask, q, shift, spacing_zyx):
    """Textbook NumPy formulas (what the pre-kernel implementation computed)."""
    x = img[mask].astype(np.float64)
    n = x.size
    mu = x.mean()
    d = x - mu
    m2, m3, m4 = np.mean(d ** 2), np.mean(d ** 3), np.mean(d ** 4)
    pct = {k: float(np.percentile(x, k)) for k in (10, 25, 50, 75, 90)}
    sub = x[(x >= pct[10]) & (x <= pct[90])]
    counts = np.bincount(q[mask])
    p = counts[counts > 0].astype(np.float64) / n
    energy = np.sum((x + shift) ** 2)
    return {
        "Energy": energy, "TotalEnergy": energy * np.prod(spacing_zyx),
        "Entropy": -np.sum(p * np.log2(p + np.spacing(1))), "Uniformity": np.sum(p ** 2),
        "Minimum": x.min(), "Maximum": x.max(), "Range": x.max() - x.min(), "Mean": mu,
        "10Percentile": pct[10], "90Percentile": pct[90], "Median": pct[50],
        "InterquartileRange": pct[75] - pct[25], "MeanAbsoluteDeviation": np.mean(np.abs(d)),
        "RobustMeanAbsoluteDeviation": np.mean(np.abs(sub - sub.mean())) if sub.size else np.nan,
        "RootMeanSquared": np.sqrt(energy / n), "StandardDeviation": np.sqrt(m2),
        "Skewness": m3 / m2 ** 1.5 if m2 else 0.0, "Kurtosis": m4 / m2 ** 2 if m2 else 0.0,
        "Variance": m2,
    }


def _check_against_numpy(img, mask, settings, spacing_zyx=(1.5, 0.7, 0.7), q_image=None):
    import warnings

    q, _ = discretise(img if q_image is None else q_image, mask, settings.get("binWidth", 25),
                      settings.get("binCount"))
    ours = firstorder.compute(q, mask, spacing_zyx=spacing_zyx, settings=settings, names=ALL,
                              image=img)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # N = 2: robust MAD of nothing
        ref = _numpy_firstorder(img, mask, q, settings.get("voxelArrayShift", 0) or 0,
                                spacing_zyx)
    x = img[mask].astype(np.float64)
    scale = float(np.max(np.abs(x))) + 1.0
    for k in ALL:
        if k in ("Entropy", "Uniformity", "Minimum", "Maximum", "Range"):
            assert ours[k] == ref[k], k  # exact: same histogram, same order statistics
        elif "Percentile" in k or k in ("Median", "InterquartileRange"):
            assert ours[k] == pytest.approx(ref[k], rel=1e-15, abs=1e-13 * scale), k
            # and bit for bit the lerp of _percentile_sorted, in float64
            sx = np.sort(x)
            pv = {"10Percentile": _percentile_sorted(sx, 10), "90Percentile": _percentile_sorted(sx, 90),
                  "Median": _percentile_sorted(sx, 50), "InterquartileRange": _percentile_sorted(sx, 75) - _percentile_sorted(sx, 25)}
            assert ours[k] == pv[k], k
        elif k == "Skewness":
            assert ours[k] == pytest.approx(ref[k], rel=1e-11, abs=1e-11), k
        elif k == "RobustMeanAbsoluteDeviation" and np.isnan(ref[k]):
            assert np.isnan(ours[k])
        else:
            assert ours[k] == pytest.approx(ref[k], rel=1e-12, abs=1e-13 * scale), k
    return ours


@pytest.mark.parametrize("n_vox", [1, 2, 3, 7, 64, 257, 1000, 6000])
@pytest.mark.parametrize("dtype,settings", [
    ("float32", {"binWidth": 25}),
    ("int16", {"binWidth": 25, "voxelArrayShift": 1000}),
    ("float64", {"binCount": 16, "voxelArrayShift": 300}),
    ("int16", {"binWidth": 3}),  # > 256 grey levels: the histogram is regrown
])
def test_kernel_matches_numpy(n_vox, dtype, settings):
    rng = np.random.default_rng(n_vox)
    shape = (11, 23, 29)
    img = rng.gamma(2.0, 90.0, shape) - 150
    img = (np.round(img) if dtype == "int16" else img).astype(dtype)
    mask = np.zeros(img.size, bool)
    mask[rng.choice(img.size, n_vox, replace=False)] = True
    _check_against_numpy(img, mask.reshape(shape), settings)


def test_kernel_matches_numpy_with_ties_and_views():
    rng = np.random.default_rng(7)
    img = rng.integers(-3, 4, (9, 10, 12)).astype(np.int16)  # many ties at P10 / P90
    mask = rng.random(img.shape) < 0.6
    _check_against_numpy(img, mask, {"binWidth": 1})
    # non-contiguous views of image, mask and q
    _check_against_numpy(img.transpose(2, 0, 1), mask.transpose(2, 0, 1), {"binWidth": 2})
    _check_against_numpy(img[:, ::2, 1:], mask[:, ::2, 1:], {"binWidth": 1,
                                                             "voxelArrayShift": 5})


@pytest.mark.parametrize("value,dtype", [(42, "int16"), (0.1, "float64"), (-7.3, "float32")])
def test_flat_roi_moments_are_zero(value, dtype):
    img = np.full((4, 30, 30), value, dtype)
    mask = np.ones(img.shape, bool)
    mask[0] = False
    # 2700 x 0.1 does not sum to exactly 270 in float64: the mean is kept in [min, max] anyway
    v = firstorder.compute(np.ones(img.shape, np.int32), mask, spacing_zyx=(1, 1, 1),
                           settings={"voxelArrayShift": 10}, names=ALL, image=img)
    x = float(np.asarray(value, dtype))
    assert v["Mean"] == v["Minimum"] == v["Maximum"] == v["Median"] == x
    assert v["Variance"] == v["StandardDeviation"] == v["MeanAbsoluteDeviation"] == 0.0
    assert v["Skewness"] == v["Kurtosis"] == v["Range"] == v["InterquartileRange"] == 0.0
    assert v["RobustMeanAbsoluteDeviation"] == 0.0
    assert v["Energy"] == pytest.approx(2700 * (x + 10) ** 2, rel=1e-13)
    assert firstorder.undefined(img, mask) == ["Skewness", "Kurtosis"]


def test_undefined_edge_cases():
    img = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    one = np.zeros(img.shape, bool)
    one[1, 2, 3] = True
    assert firstorder.undefined(img, one) == ["Skewness", "Kurtosis"]  # a single voxel
    assert firstorder.undefined(img, np.zeros(img.shape, bool)) == []  # empty ROI
    assert firstorder.undefined(img, np.ones(img.shape, bool)) == []
    img[1, 2, 3] = np.nan  # NaN never equals itself: not flat
    assert firstorder.undefined(img, one) == []
    assert firstorder.undefined(np.zeros((0, 2, 2)), np.zeros((0, 2, 2), bool)) == []
    # a non-contiguous view and an integer mask
    assert firstorder.undefined(np.ones((3, 4, 5)).T, np.ones((5, 4, 3), np.uint8)) == \
        ["Skewness", "Kurtosis"]


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_empty_roi_behaves_like_numpy():
    img = np.ones((2, 3, 4), np.float32)
    mask = np.zeros(img.shape, bool)
    q = np.ones(img.shape, np.int32)
    kw = dict(spacing_zyx=(1, 1, 1), settings={}, image=img)
    with pytest.raises(IndexError, match="out of bounds"):
        firstorder.compute(q, mask, names=["Energy", "Median"], **kw)
    with pytest.warns(RuntimeWarning, match="Mean of empty slice"):
        v = firstorder.compute(q, mask, names=["Energy", "Entropy", "Mean", "Skewness",
                                               "Uniformity", "RootMeanSquared"], **kw)
    assert v["Energy"] == v["Uniformity"] == v["RootMeanSquared"] == v["Entropy"] == 0.0
    assert np.isnan(v["Mean"]) and np.isnan(v["Skewness"])


def test_grey_levels_must_be_non_negative_integers():
    img = np.arange(8.0).reshape(2, 2, 2)
    mask = np.ones(img.shape, bool)
    q = np.arange(8, dtype=np.int32).reshape(2, 2, 2) - 1
    with pytest.raises(ValueError, match="non-negative"):
        firstorder.compute(q, mask, spacing_zyx=(1, 1, 1), settings={}, names=ALL, image=img)
    with pytest.raises(TypeError):
        firstorder.compute(img, mask, spacing_zyx=(1, 1, 1), settings={}, names=ALL, image=img)
    with pytest.raises(IndexError, match="differ in shape"):
        firstorder.compute(q[0], mask, spacing_zyx=(1, 1, 1), settings={}, names=ALL,
                           image=img)


@pytest.mark.parametrize("dtype", ["float16", ">f4", "uint8", ">i2"])
def test_other_image_dtypes(dtype):
    rng = np.random.default_rng(3)
    img = np.round(rng.normal(60, 30, (5, 7, 9))).clip(0, 250).astype(dtype)
    mask = rng.random(img.shape) < 0.5
    # (discretise takes no float16: q from the same values in float32)
    ours = _check_against_numpy(img, mask, {"binWidth": 10}, q_image=img.astype(np.float32))
    assert ours["Minimum"] == float(img[mask].min())
    assert firstorder.undefined(img, mask) == []
