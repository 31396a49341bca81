"""Full-pipeline parity of :func:`rnpc_radiomics.extract` with pyradiomics 3.0.1.

Each case builds a small random image and mask in the test (seeded), runs pyradiomics'
``RadiomicsFeatureExtractor`` and our ``extract`` with the same parameter dict, and compares
every feature pyradiomics outputs: same keys, same order, values within rtol 1e-5 / atol 1e-7.
A few diagnostics (voxel counts, bounding boxes, centre of mass) are compared too.
"""

from __future__ import annotations

import logging

import numpy as np
import pytest

radiomics = pytest.importorskip("radiomics", reason="pyradiomics (the reference) absent")
sitk = pytest.importorskip("SimpleITK")
from radiomics import featureextractor  # noqa: E402
from scipy import ndimage  # noqa: E402

from rnpc_radiomics.extraction import PYRADIOMICS_OMITTED, extract  # noqa: E402
from rnpc_radiomics.features.registry import FAMILIES, family_features  # noqa: E402

radiomics.setVerbosity(logging.CRITICAL)

RTOL, ATOL = 1e-5, 1e-7
DIAG_KEYS = ("BoundingBox", "VoxelNum", "VolumeNum", "CenterOfMassIndex")


# ----------------------------------------------------------------------------- case builders

def texture(rng, shape, dtype, *, lo=-200.0, hi=300.0, smooth=1.0):
    """Smoothed noise plus a few bright/dark blobs, scaled to [lo, hi] and cast to dtype."""
    a = ndimage.gaussian_filter(rng.normal(size=shape), smooth)
    zz, yy, xx = np.indices(shape)
    for _ in range(3):
        c = rng.uniform(0, shape)
        r = rng.uniform(2, 6)
        a += rng.choice([-1, 1]) * 2 * np.exp(-((zz - c[0]) ** 2 + (yy - c[1]) ** 2
                                                 + (xx - c[2]) ** 2) / (2 * r * r))
    a = (a - a.min()) / (a.max() - a.min()) * (hi - lo) + lo
    if np.dtype(dtype).kind in "iu":
        a = np.round(a)
    return a.astype(dtype)


def blobs(rng, shape, n=1, rmin=3.0, rmax=7.0, margin=2):
    """Union of ``n`` random ellipsoids (irregular when n > 1)."""
    zz, yy, xx = np.indices(shape)
    m = np.zeros(shape, bool)
    for _ in range(n):
        c = [rng.uniform(margin + rmin, s - margin - rmin) for s in shape]
        r = rng.uniform(rmin, rmax, 3)
        m |= ((zz - c[0]) / r[0]) ** 2 + ((yy - c[1]) / r[1]) ** 2 + ((xx - c[2]) / r[2]) ** 2 <= 1
    return m


def to_sitk(arr, spacing=(1.0, 1.0, 1.0), origin=(0.0, 0.0, 0.0), direction=None):
    img = sitk.GetImageFromArray(arr)
    img.SetSpacing(tuple(float(s) for s in spacing))
    img.SetOrigin(tuple(float(o) for o in origin))
    if direction is not None:
        img.SetDirection(tuple(float(d) for d in np.asarray(direction).ravel()))
    return img


def make_case(seed, *, shape=(20, 28, 28), dtype=np.float32, n_blobs=1, spacing=(0.8, 0.8, 1.5),
              label=1, other_labels=(), rmin=3.0, rmax=7.0, margin=2, mask=None, image=None,
              direction=None, origin=(0.0, 0.0, 0.0), **tex):
    rng = np.random.default_rng(seed)
    img = texture(rng, shape, dtype, **tex) if image is None else image
    m = blobs(rng, shape, n_blobs, rmin, rmax, margin) if mask is None else mask
    lab = np.zeros(shape, np.uint8)
    for other in other_labels:
        lab[blobs(rng, shape, 1, 2, 4)] = other
    lab[m] = label
    return (to_sitk(img, spacing, origin, direction), to_sitk(lab, spacing, origin, direction))


ALL_CLASSES = {"firstorder": [], "glcm": [], "gldm": [], "glrlm": [], "glszm": [], "ngtdm": [],
               "shape": []}


def params(setting=None, classes=None):
    return {"setting": dict(setting or {}), "featureClass": dict(classes or ALL_CLASSES)}


def _tiny_mask(shape):
    m = np.zeros(shape, bool)
    m[5, 6:8, 6:9] = True   # 6 voxels in one slice ...
    m[6, 6, 6:8] = True     # ... plus 2 in the next
    return m


def _border_mask(shape):
    m = np.zeros(shape, bool)
    m[0:6, 0:9, 14:] = True   # touches three faces of the volume
    m[0:3, 9:12, 20:] = True
    return m


def _slice_mask(shape, axis, index=7):
    rng = np.random.default_rng(5)
    m = blobs(rng, shape, 2, 3, 6)
    keep = np.zeros(shape, bool)
    sl = [slice(None)] * 3
    sl[axis] = index
    keep[tuple(sl)] = True
    out = m & keep
    if out.sum() < 4:
        sub = [slice(8, 14)] * 3
        sub[axis] = index
        out[tuple(sub)] = True
    return out


def _line_mask(shape):
    m = np.zeros(shape, bool)
    m[8, 10, 5:17] = True
    return m


def _rotation():
    a = np.deg2rad(20)
    return np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1]])


CASES = {
    "int16_ct_bw25": (lambda: make_case(1, dtype=np.int16, lo=-900, hi=1500), params()),
    "float32_mr_bw10": (lambda: make_case(2, lo=0, hi=400), params({"binWidth": 10})),
    "float64_fractional_bw": (lambda: make_case(3, dtype=np.float64, lo=0, hi=12),
                              params({"binWidth": 0.25})),
    "multi_blob_irregular": (lambda: make_case(4, dtype=np.int16, n_blobs=5, rmin=2, rmax=5),
                             params()),
    "tiny_roi_8_voxels": (lambda: make_case(5, mask=_tiny_mask((20, 28, 28))),
                          params({"binWidth": 20})),
    "roi_touching_border": (lambda: make_case(6, dtype=np.int16, mask=_border_mask((20, 28, 28))),
                            params()),
    "anisotropic_spacing": (lambda: make_case(7, spacing=(0.4, 0.55, 3.0)), params()),
    "label_3_among_others": (lambda: make_case(8, dtype=np.int16, label=3, other_labels=(1, 2)),
                             params({"label": 3})),
    "bincount_16_float": (lambda: make_case(9), params({"binCount": 16})),
    "bincount_7_int16": (lambda: make_case(10, dtype=np.int16), params({"binCount": 7})),
    "resample_iso_bspline": (lambda: make_case(11, spacing=(0.7, 0.7, 2.0)),
                             params({"resampledPixelSpacing": [1, 1, 1]})),
    "resample_inplane_linear_int16": (
        lambda: make_case(12, dtype=np.int16, spacing=(0.6, 0.6, 1.8)),
        params({"resampledPixelSpacing": [0.9, 0.9, 0], "interpolator": "sitkLinear",
                "padDistance": 2})),
    "resample_same_spacing_crop": (lambda: make_case(13, spacing=(1, 1, 1)),
                                   params({"resampledPixelSpacing": [1, 1, 1]})),
    "reseg_absolute": (lambda: make_case(14, dtype=np.int16), params({"resegmentRange": [-50, 200]})),
    "reseg_relative_shape": (lambda: make_case(15, lo=1, hi=500),
                             params({"resegmentRange": [0.3], "resegmentMode": "relative",
                                     "resegmentShape": True})),
    "reseg_sigma": (lambda: make_case(16), params({"resegmentRange": [-1.5, 1.5],
                                                   "resegmentMode": "sigma"})),
    "force2D_axis0": (lambda: make_case(17), params({"force2D": True, "force2Ddimension": 0})),
    "force2D_axis1_int16": (lambda: make_case(18, dtype=np.int16),
                            params({"force2D": True, "force2Ddimension": 1})),
    "distances_weighting": (lambda: make_case(19), params({"distances": [1, 2],
                                                          "weightingNorm": "euclidean"})),
    "asymmetric_glcm_gldm_a": (lambda: make_case(20, dtype=np.int16),
                               params({"symmetricalGLCM": False, "gldm_a": 2,
                                       "weightingNorm": "manhattan"})),
    "normalize_outliers": (lambda: make_case(21, lo=50, hi=900),
                           params({"normalize": True, "normalizeScale": 100,
                                   "removeOutliers": 2.5})),
    "voxel_shift_negative": (lambda: make_case(22, dtype=np.int16, lo=-1000, hi=-100),
                             params({"voxelArrayShift": 1000})),
    "rotated_direction_origin": (lambda: make_case(23, direction=_rotation(),
                                                   origin=(-12.5, 40.0, 7.25)),
                                 params({"binWidth": 15})),
    "precrop": (lambda: make_case(24, dtype=np.int16), params({"preCrop": True, "padDistance": 1})),
    "uint8_image": (lambda: make_case(25, dtype=np.uint8, lo=0, hi=255), params({"binWidth": 8})),
    "single_grey_level": (lambda: make_case(26, lo=100, hi=104), params({"binWidth": 1000})),
    "image_type_override_bw": (lambda: make_case(27, dtype=np.int16),
                               {**params({"binWidth": 25}),
                                "imageType": {"Original": {"binWidth": 7}}}),
    "min_dims_1_line_roi": (lambda: make_case(28, mask=_line_mask((20, 28, 28))),
                            params({"minimumROIDimensions": 1},
                                   {"firstorder": [], "glcm": [], "glrlm": [], "glszm": [],
                                    "gldm": [], "ngtdm": []})),
}


def run_both(images, prm, label=None):
    img, msk = images
    ref = featureextractor.RadiomicsFeatureExtractor(prm).execute(img, msk, label=label)
    ours = extract(img, msk, prm, label=label)
    return ref, ours


def assert_parity(ref, ours):
    ref_keys = [k for k in ref if not k.startswith("diagnostics_")]
    our_keys = [k for k in ours if not k.startswith("diagnostics_")]
    assert our_keys == ref_keys
    bad = []
    for k in ref_keys:
        r, o = float(ref[k]), float(ours[k])
        if not np.isclose(o, r, rtol=RTOL, atol=ATOL, equal_nan=True):
            bad.append(f"{k}: ours {o!r} pyradiomics {r!r}")
    assert not bad, "\n".join(bad)
    for k in ref:
        if k.startswith("diagnostics_Mask-") and k.rsplit("_", 1)[1] in DIAG_KEYS:
            np.testing.assert_allclose(np.asarray(ours[k], float), np.asarray(ref[k], float),
                                       rtol=1e-9, atol=1e-9, err_msg=k)


@pytest.mark.parametrize("name", list(CASES))
def test_parity(name):
    build, prm = CASES[name]
    ref, ours = run_both(build(), prm)
    assert_parity(ref, ours)


def test_parity_default_params_none():
    """params=None is pyradiomics' no-argument extractor (shape2D off)."""
    img, msk = make_case(30, dtype=np.int16)
    ref = featureextractor.RadiomicsFeatureExtractor().execute(img, msk)
    ours = extract(img, msk)
    assert_parity(ref, ours)


def test_parity_label_argument_overrides_params():
    img, msk = make_case(31, label=2, other_labels=(1,))
    ref = featureextractor.RadiomicsFeatureExtractor(params()).execute(img, msk, label=2)
    ours = extract(img, msk, params(), label=2)
    assert_parity(ref, ours)


def test_parity_correct_mask_on_shifted_grid():
    img, msk = make_case(35, dtype=np.int16)
    moved = sitk.Image(msk)
    moved.SetOrigin((0.3, -0.35, 0.5))  # sub-voxel shift: mask on another grid
    prm = params({"correctMask": True})
    ref = featureextractor.RadiomicsFeatureExtractor(prm).execute(img, moved)
    ours = extract(img, moved, prm)
    assert_parity(ref, ours)
    assert ours["diagnostics_Mask-corrected_VoxelNum"] == ref["diagnostics_Mask-corrected_VoxelNum"]


def test_parity_shape2d_single_slice():
    shape = (16, 24, 24)
    img, msk = make_case(32, shape=shape, mask=_slice_mask(shape, 0))
    prm = params({"force2D": True, "force2Ddimension": 0},
                 {**ALL_CLASSES, "shape2D": []})
    ref, ours = run_both((img, msk), prm)
    assert any(k.startswith("original_shape2D_") for k in ours)
    assert_parity(ref, ours)


def test_every_registered_feature_by_name():
    """Walk the registry: request every feature (deprecated ones too) from pyradiomics and us.

    Features pyradiomics refuses to output (deprecated getters that raise) must be absent from
    both; every other registered feature is compared.
    """
    shape = (16, 24, 24)
    img, msk = make_case(33, shape=shape, dtype=np.int16, n_blobs=2)
    classes = {fam: [f.name for f in family_features(fam)] for fam in FAMILIES
               if fam != "shape2D"}
    ref, ours = run_both((img, msk), params({}, classes))
    assert_parity(ref, ours)
    compared = {k for k in ref if not k.startswith("diagnostics_")}
    for fam, names in classes.items():
        for n in names:
            key = f"original_{fam}_{n}"
            if (fam, n) in PYRADIOMICS_OMITTED:
                assert key not in ref and key not in ours
                assert f"{fam}_{n}" in ours["diagnostics_Features_Skipped"]
            else:
                assert key in compared, key

    # shape2D, by name, on a single-slice ROI
    img2, msk2 = make_case(34, shape=shape, mask=_slice_mask(shape, 0))
    names2d = [f.name for f in family_features("shape2D")]
    ref2, ours2 = run_both((img2, msk2), params({"force2D": True}, {"shape2D": names2d}))
    assert_parity(ref2, ours2)
    assert [k for k in ours2 if k.startswith("original_shape2D_")] == [
        f"original_shape2D_{n}" for n in names2d]


def test_shape_uses_resegmented_bounding_box_like_pyradiomics():
    """pyradiomics quirk kept for parity: after resegmentation (resegmentShape false), shape is
    computed on the *original* mask cropped to the *resegmented* ROI's bounding box, so a shape
    can lose the part of the ROI outside that box. Documented in extract.py."""
    shape = (16, 24, 24)
    img = np.full(shape, 10.0, np.float32)
    img[:, :, 12:] = 100.0          # right half bright
    m = np.zeros(shape, bool)
    m[4:12, 6:18, 4:20] = True      # ROI spans both halves
    sim, smk = to_sitk(img), to_sitk(m.astype(np.uint8))
    prm = params({"resegmentRange": [50]}, {"shape": ["VoxelVolume"], "firstorder": ["Mean"]})
    ref, ours = run_both((sim, smk), prm)
    assert_parity(ref, ours)
    # the full ROI has 8*12*16 voxels; only the part inside the resegmented box (x >= 12) counts
    assert ours["original_shape_VoxelVolume"] == pytest.approx(8 * 12 * 8, rel=1e-12)


def test_single_grey_level_is_reported_in_diagnostics():
    img, msk = CASES["single_grey_level"][0]()
    ours = extract(img, msk, CASES["single_grey_level"][1])
    assert "original_glcm_* (single grey level" in ours["diagnostics_Features_Undefined"]
