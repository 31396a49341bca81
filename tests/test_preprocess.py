"""Preprocessing against pyradiomics 3.0.1's imageoperations and NumPy twins of our kernels."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from rnpc_radiomics.errors import FeatureError, GeometryError, InputError, MaskError
from rnpc_radiomics.image import Volume
from rnpc_radiomics.preprocess import mask as pm
from rnpc_radiomics.preprocess.discretise import bin_edges, discretise
from rnpc_radiomics.preprocess.normalise import normalise
from rnpc_radiomics.preprocess.resample import resample
from rnpc_radiomics.preprocess.resegment import resegment

sitk = pytest.importorskip("SimpleITK")


def _imageoperations():
    pytest.importorskip("radiomics", reason="pyradiomics (the reference) absent")
    import radiomics
    from radiomics import imageoperations

    radiomics.setVerbosity(logging.CRITICAL)
    return imageoperations


def _vol(arr, spacing=(1.0, 1.0, 1.0), origin=(0.0, 0.0, 0.0), direction=None):
    return Volume(arr, spacing=spacing, origin=origin,
                  direction=np.eye(3) if direction is None else direction)


# ----------------------------------------------------------------------------- discretisation

def _random_values(rng, kind):
    if kind == "int16":
        return rng.integers(-1024, 2000, 500).astype(np.int16)
    if kind == "float32":
        return (rng.normal(40, 60, 500)).astype(np.float32)
    if kind == "float32_on_edges":  # many values exactly on multiples of the width
        return (rng.integers(-8, 8, 500) * 12.5).astype(np.float32)
    if kind == "float64_small":
        return rng.uniform(0.1, 7.3, 500)
    if kind == "uint8":
        return rng.integers(0, 256, 500).astype(np.uint8)
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["int16", "float32", "float32_on_edges", "float64_small", "uint8"])
@pytest.mark.parametrize("setting", [{"binWidth": 25}, {"binWidth": 25.0}, {"binWidth": 12.5},
                                     {"binWidth": 0.25}, {"binCount": 16}, {"binCount": 5}])
def test_bin_edges_and_levels_match_pyradiomics(kind, setting):
    io = _imageoperations()
    rng = np.random.default_rng(abs(hash((kind, str(setting)))) % 2**32)
    vals = _random_values(rng, kind)
    ref_edges = io.getBinEdges(vals, **setting)
    ours = bin_edges(vals, setting.get("binWidth", 25), setting.get("binCount"))
    np.testing.assert_allclose(ours, ref_edges, rtol=0, atol=0)
    img = vals.reshape(5, 10, 10)
    mask = np.ones(img.shape, bool)
    mask[0, 0, :3] = False
    ref_q, _ = io.binImage(img, mask, **setting)
    q, _ = discretise(img, mask, setting.get("binWidth", 25), setting.get("binCount"))
    np.testing.assert_array_equal(q, ref_q)
    assert q[mask].min() == 1


def test_flat_roi_gives_one_bin():
    io = _imageoperations()
    for v in (np.full(10, 50.0), np.full(10, 37.0), np.full(10, 50, np.int16)):
        np.testing.assert_array_equal(bin_edges(v, 25), io.getBinEdges(v, binWidth=25))
        q, _ = discretise(v.reshape(1, 2, 5), np.ones((1, 2, 5), bool), 25)
        assert set(q.ravel()) == {1}


def test_integer_overflow_is_reproduced_and_flagged():
    """pyradiomics is wrong here (its int arithmetic wraps: a uint8 ROI up to 255 with binWidth
    25 gets edges [0, 25] and almost every voxel lands in bin 2). We keep parity by default and
    flag it so that extract() reports it in diagnostics."""
    from rnpc_radiomics.preprocess.discretise import pyradiomics_overflow

    io = _imageoperations()
    v = np.array([3, 30, 120, 255], np.uint8)
    with np.errstate(over="ignore"):
        ref = io.getBinEdges(v, binWidth=25)
    np.testing.assert_array_equal(bin_edges(v, 25), ref)
    assert pyradiomics_overflow(v, 25)
    assert not pyradiomics_overflow(v, 25.0)            # float width: float64 arithmetic
    assert not pyradiomics_overflow(v.astype(np.int16), 25)
    assert not pyradiomics_overflow(v, bin_count=8)
    # a width that does not even fit the dtype falls back to exact arithmetic
    assert bin_edges(v, 300).tolist() == [0, 300, 600]


# ----------------------------------------------------------------------------- masks

def test_label_missing_lists_labels():
    lab = np.zeros((4, 5, 6), np.uint8)
    lab[1, 1:3, 1:3] = 2
    lab[2, 2, 2] = 5
    with pytest.raises(MaskError, match=r"label 1 not present in mask.*labels present: 2, 5"):
        pm.select_label(_vol(lab), 1)
    with pytest.raises(MaskError, match=r"empty mask.*all zero"):
        pm.select_label(_vol(np.zeros((3, 3, 3), np.uint8)), 1)
    assert pm.select_label(_vol(lab), 5).sum() == 1


def test_label_array_rejects_negative_and_nan():
    with pytest.raises(MaskError, match="negative labels"):
        pm.label_array(_vol(-np.ones((2, 2, 2), np.int16)))
    with pytest.raises(MaskError, match="NaN or infinite"):
        pm.label_array(_vol(np.full((2, 2, 2), np.nan)))
    assert pm.label_array(_vol(np.ones((2, 2, 2), bool))).dtype == np.uint8


def test_roi_checks():
    roi = np.zeros((5, 6, 7), bool)
    roi[2, 3, 4] = True
    with pytest.raises(FeatureError, match="single voxel"):
        pm.check_roi(roi)
    roi[2, 3, 5] = True
    with pytest.raises(FeatureError, match=r"spans 1 dimension\(s\), minimumROIDimensions is 2"):
        pm.check_roi(roi)
    assert pm.check_roi(roi, minimum_dimensions=1) == ((2, 2), (3, 3), (4, 5))
    roi[2, 4, 4] = True
    with pytest.raises(FeatureError, match=r"3 voxels, more than minimumROISize=3"):
        pm.check_roi(roi, minimum_size=3)
    with pytest.raises(MaskError, match="empty ROI"):
        pm.check_roi(np.zeros((2, 2, 2), bool))


@pytest.mark.parametrize("seed", range(4))
def test_scan_roi_matches_numpy_twin(seed):
    rng = np.random.default_rng(seed)
    lab = (rng.random((9, 11, 13)) < 0.02).astype(np.uint8) * 3
    count, bbox = pm.scan_roi(lab, 3)
    roi = lab == 3
    assert count == roi.sum()
    assert bbox == pm.bounding_box(roi)
    assert pm.scan_roi(lab, 7) == (0, None)
    assert pm.scan_roi(lab, 300) == (0, None)  # beyond uint8: absent, no overflow


def test_image_statistics_and_non_finite():
    rng = np.random.default_rng(3)
    a = rng.normal(size=(4, 5, 6)).astype(np.float32)
    st = pm.image_statistics(a)
    assert st["nonfinite"] == 0
    np.testing.assert_allclose([st["min"], st["max"], st["mean"]],
                               [a.min(), a.max(), a.astype(np.float64).mean()],
                               rtol=1e-12, atol=1e-12)
    a[1, 2, 3] = np.nan
    a[0, 0, 0] = np.inf
    with pytest.raises(FeatureError, match=r"non-finite voxels.*2 NaN/infinite voxel"):
        pm.check_finite(_vol(a))


def test_geometry_check_and_correct_mask_match_pyradiomics():
    io = _imageoperations()
    rng = np.random.default_rng(1)
    img = _vol(rng.normal(size=(10, 20, 20)).astype(np.float32), spacing=(1.0, 1.0, 2.0))
    lab = np.zeros((10, 20, 20), np.uint8)
    lab[3:7, 5:12, 6:14] = 1
    shifted = _vol(lab, spacing=(1.0, 1.0, 2.0), origin=(0.4, -0.3, 0.0))
    assert pm.check_geometry(img, _vol(lab, spacing=(1.0, 1.0, 2.0)))
    assert not pm.check_geometry(img, shifted)
    assert pm.check_geometry(img, shifted, tolerance=0.5)
    with pytest.raises(GeometryError, match=r"image/mask geometry mismatch.*origin.*correctMask"):
        pm.require_same_geometry(img, shifted)
    ours = pm.correct_mask(img, shifted, lab, 1)
    ref = io._correctMask(img.to_sitk(), shifted.to_sitk(), label=1)
    np.testing.assert_array_equal(ours, sitk.GetArrayFromImage(ref))


def test_roi_outside_image_is_refused():
    img = _vol(np.zeros((5, 5, 5), np.float32))
    lab = np.zeros((5, 5, 5), np.uint8)
    lab[1:3, 1:3, 1:3] = 1
    far = _vol(lab, origin=(100.0, 0.0, 0.0))
    with pytest.raises(GeometryError, match="ROI lies outside the image"):
        pm.roi_within_image(img, far, lab == 1)


def test_crop_keeps_physical_positions():
    v = _vol(np.arange(60, dtype=np.float32).reshape(3, 4, 5), spacing=(0.5, 0.7, 2.0),
             origin=(1.0, 2.0, 3.0))
    sl = pm.crop_slices(((1, 2), (1, 2), (2, 3)), v.shape, pad=0)
    c = pm.crop(v, sl)
    np.testing.assert_allclose(c.index_to_physical([0, 0, 0]), v.index_to_physical([2, 1, 1]),
                               rtol=0, atol=1e-12)
    assert c.array[0, 0, 0] == v.array[1, 1, 2]


# ----------------------------------------------------------------------------- normalise

def test_normalise_matches_pyradiomics():
    io = _imageoperations()
    rng = np.random.default_rng(2)
    v = _vol(rng.normal(300, 80, (6, 8, 9)).astype(np.int16).astype(np.float32))
    ours = normalise(v, 100, 2.0)
    ref = io.normalizeImage(v.to_sitk(), normalizeScale=100, removeOutliers=2.0)
    np.testing.assert_allclose(ours.array, sitk.GetArrayFromImage(ref), rtol=1e-12, atol=1e-9)
    assert ours.array.dtype == np.float64
    with pytest.raises(FeatureError, match="cannot normalise a constant image"):
        normalise(_vol(np.ones((2, 3, 4))))


# ----------------------------------------------------------------------------- resegment

@pytest.mark.parametrize("rng_, mode", [([-20, 60], "absolute"), ([10], "absolute"),
                                        ([0.4], "relative"), ([0.2, 0.8], "relative"),
                                        ([-1, 1.5], "sigma")])
def test_resegment_matches_pyradiomics(rng_, mode):
    io = _imageoperations()
    rng = np.random.default_rng(4)
    arr = rng.normal(30, 40, (6, 10, 10)).astype(np.float32)
    lab = np.zeros(arr.shape, np.uint8)
    lab[1:5, 2:9, 1:8] = 1
    ref = io.resegmentMask(_vol(arr).to_sitk(), _vol(lab).to_sitk(), resegmentRange=rng_,
                           resegmentMode=mode, label=1)
    ours = resegment(arr, lab == 1, rng_, mode)
    np.testing.assert_array_equal(ours, sitk.GetArrayFromImage(ref) == 1)


def test_resegment_too_few_voxels():
    arr = np.arange(27, dtype=np.float32).reshape(3, 3, 3)
    with pytest.raises(FeatureError, match=r"resegmentation left too few voxels.*1 voxel"):
        resegment(arr, np.ones(arr.shape, bool), [26, 100])


# ----------------------------------------------------------------------------- resample

@pytest.mark.parametrize("spacing,interp,dtype", [
    ((1.0, 1.0, 1.0), "sitkBSpline", np.float32),
    ((0.9, 0.9, 0.0), "sitkLinear", np.int16),
    ((2.0, 1.5, 3.0), "sitkNearestNeighbor", np.float64),
    ((0.6, 0.6, 1.5), "sitkBSpline", np.float32),   # equal to the image: mask + crop only
])
def test_resample_matches_pyradiomics_grid_and_values(spacing, interp, dtype):
    io = _imageoperations()
    rng = np.random.default_rng(5)
    arr = (rng.normal(100, 50, (12, 22, 20))).astype(dtype)
    lab = np.zeros(arr.shape, np.uint32)
    lab[3:9, 4:15, 5:16] = 1
    lab[4:6, 5:8, 6:9] = 2
    direction = np.array([[0, 1, 0], [1, 0, 0], [0, 0, -1.0]])  # flipped/permuted axes
    img = _vol(arr, spacing=(0.6, 0.6, 1.5), origin=(5.0, -3.0, 20.0), direction=direction)
    lv = _vol(lab, spacing=(0.6, 0.6, 1.5), origin=(5.0, -3.0, 20.0), direction=direction)
    ri, rm = io.resampleImage(img.to_sitk(), lv.to_sitk(), resampledPixelSpacing=spacing,
                              interpolator=interp, padDistance=3, label=1)
    oi, om = resample(img, lv, 1, spacing, interpolator=interp, pad_distance=3)
    np.testing.assert_allclose(oi.spacing, ri.GetSpacing(), rtol=1e-12, atol=0)
    np.testing.assert_allclose(oi.origin, ri.GetOrigin(), rtol=0, atol=1e-9)
    assert oi.size == ri.GetSize()
    assert oi.array.dtype == sitk.GetArrayFromImage(ri).dtype
    np.testing.assert_allclose(oi.array, sitk.GetArrayFromImage(ri), rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(om.array, sitk.GetArrayFromImage(rm))


def test_errors_are_input_errors():
    assert issubclass(FeatureError, InputError) and issubclass(MaskError, InputError)


def test_big_endian_labels_are_scanned():
    lab = np.zeros((3, 4, 5), ">u2")
    lab[1, 1:3, 2:4] = 7
    labels = pm.label_array(_vol(lab))
    assert labels.dtype.isnative
    assert pm.scan_roi(labels, 7) == (4, ((1, 1), (1, 2), (2, 3)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int16, np.uint8, np.int32])
@pytest.mark.parametrize("edges_kind", ["width_int", "width_float", "count"])
def test_digitize_kernel_matches_numpy_twin(dtype, edges_kind):
    """The numba digitize against numpy.digitize, with many values exactly on edges."""
    from rnpc_radiomics.preprocess._kernels import digitize_sorted

    rng = np.random.default_rng(11)
    vals = rng.normal(100, 60, 3000)
    vals[:500] = np.round(vals[:500] / 12.5) * 12.5  # on edges of width 12.5 / 25
    if np.dtype(dtype).kind in "iu":
        vals = np.clip(np.round(vals), 0 if np.dtype(dtype).kind == "u" else -500, 250)
    vals = vals.astype(dtype)
    edges = {"width_int": bin_edges(vals, 25), "width_float": bin_edges(vals, 12.5),
             "count": bin_edges(vals, bin_count=9)}[edges_kind]
    probe = np.concatenate([vals, edges.astype(dtype), [vals.min() - 1, vals.max() + 100]]
                           ).astype(dtype)
    out = np.empty(probe.size, np.int32)
    digitize_sorted(probe, np.ascontiguousarray(edges), out)
    np.testing.assert_array_equal(out, np.digitize(probe, edges))
