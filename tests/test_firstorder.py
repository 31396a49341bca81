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


@pytest.mark.parametrize("n", [1, 2, 5, 10, 101, 1000])
def test_percentile_from_sorted_equals_numpy(n):
    from rnpc_radiomics.features.firstorder import _percentile_sorted

    s = np.sort(np.random.default_rng(n).normal(size=n) * 1e3)
    for p in (10, 25, 50, 75, 90):
        assert _percentile_sorted(s, p) == pytest.approx(float(np.percentile(s, p)), rel=1e-15,
                                                         abs=1e-12)
