"""Image types (filters) against pyradiomics 3.0.1.

Two levels:

* the filtered images themselves, against pyradiomics' ``imageoperations.get<Type>Image``
  generators: same prefixes in the same order, same dtype, values equal (rtol 1e-12, atol 0;
  the filters call the same ITK code or re-implement ITK's recursive Gaussian, PyWavelets'
  periodization convolution and scikit-image's LBP; the LoG and SWT kernels are also checked
  bit for bit against SimpleITK / PyWavelets directly, whole image and ROI boxes);
* every feature of every image type through :func:`rnpc_radiomics.extract`, against
  ``RadiomicsFeatureExtractor.execute`` on small seeded random cases: same keys in the same
  order, values within rtol 1e-4 / atol 1e-9 (the issue's tolerance for floating-point filters).

LBP2D needs scikit-image in pyradiomics and LBP3D needs trimesh plus ``scipy.special.sph_harm``
(removed in scipy 1.15); those tests skip when the oracle cannot run. For LBP3D the removed
``sph_harm`` is supplied to pyradiomics as the documented identity
``sph_harm(m, n, azimuth, polar) == sph_harm_y(n, m, polar, azimuth)``.
"""

from __future__ import annotations

import logging
import platform

import numpy as np
import pytest

radiomics = pytest.importorskip("radiomics", reason="pyradiomics (the reference) absent")
sitk = pytest.importorskip("SimpleITK")
from radiomics import featureextractor  # noqa: E402
from radiomics import imageoperations as pio  # noqa: E402
from scipy import ndimage  # noqa: E402

from rnpc_radiomics.errors import SettingsError  # noqa: E402
from rnpc_radiomics.extraction import extract  # noqa: E402
from rnpc_radiomics.filters import iter_image_types  # noqa: E402
from rnpc_radiomics.image import Volume  # noqa: E402

radiomics.setVerbosity(logging.CRITICAL)
# pyradiomics' own NumPy warnings (means of empty kernels, skimage's float-image note)
pytestmark = [pytest.mark.filterwarnings("ignore::RuntimeWarning"),
              pytest.mark.filterwarnings("ignore::UserWarning:skimage")]

RTOL, ATOL = 1e-4, 1e-9          # features of filtered images
IMG_RTOL = 1e-12                 # filtered images themselves

CLASSES = {"firstorder": [], "glcm": [], "gldm": [], "glrlm": [], "glszm": [], "ngtdm": []}
POINTWISE = ("Original", "Square", "SquareRoot", "Logarithm", "Exponential", "Gradient")


def _case(seed, shape=(14, 18, 20), dtype=np.float32, spacing=(0.8, 0.7, 1.6), lo=-300.0,
          hi=500.0):
    rng = np.random.default_rng(seed)
    a = ndimage.gaussian_filter(rng.normal(size=shape), 1.0)
    a = (a - a.min()) / (a.max() - a.min()) * (hi - lo) + lo
    if np.dtype(dtype).kind in "iu":
        a = np.round(a)
    a = a.astype(dtype)
    zz, yy, xx = np.indices(shape)
    c = np.array(shape) / 2 + rng.uniform(-1, 1, 3)
    r = np.array(shape) / 3.2
    m = (((zz - c[0]) / r[0]) ** 2 + ((yy - c[1]) / r[1]) ** 2 + ((xx - c[2]) / r[2]) ** 2) <= 1
    im = sitk.GetImageFromArray(a)
    im.SetSpacing(spacing)
    mk = sitk.GetImageFromArray(m.astype(np.uint8))
    mk.CopyInformation(im)
    return im, mk


def _border_case(seed):
    im, mk = _case(seed, shape=(12, 15, 17), dtype=np.int16)
    m = np.zeros((12, 15, 17), np.uint8)
    m[:5, :7, 11:] = 1
    m[5:7, 2:5, 14:] = 1
    mk2 = sitk.GetImageFromArray(m)
    mk2.CopyInformation(im)
    return im, mk2


def _pyradiomics_images(im, mk, types, kw):
    out = {}
    for t in types:
        for img, name, _ in getattr(pio, f"get{t}Image")(im, mk, **kw):
            out[name] = sitk.GetArrayFromImage(img)
    return out


def _our_images(im, mk, types, kw):
    mask = sitk.GetArrayFromImage(mk) == 1
    return {p: v.array for p, v, _ in
            iter_image_types(Volume.from_sitk(im), mask, {t: dict(kw) for t in types}, {})}


def _assert_same_images(ref, ours, roi=None):
    assert list(ours) == list(ref)
    for k in ref:
        assert ours[k].dtype == ref[k].dtype, k
        r, o = ref[k], ours[k]
        if roi is not None:
            r, o = r[roi], o[roi]
        np.testing.assert_allclose(o, r, rtol=IMG_RTOL, atol=0, equal_nan=True, err_msg=k)


# ------------------------------------------------------------------------- filtered images

@pytest.mark.parametrize("dtype", [np.float32, np.int16, np.float64])
def test_images_match_pyradiomics(dtype):
    im, mk = _case(1, dtype=dtype)
    kw = {"sigma": [1.0, 2, 0.5], "wavelet": "coif1", "gradientUseSpacing": True, "label": 1}
    types = ("Original", "LoG", "Wavelet", "Square", "SquareRoot", "Logarithm", "Exponential",
             "Gradient")
    ref = _pyradiomics_images(im, mk, types, kw)
    ours = _our_images(im, mk, types, kw)
    assert "log-sigma-1-0-mm-3D" in ours and "log-sigma-2-mm-3D" in ours
    assert "wavelet-LLH" in ours and "wavelet-LLL" in ours
    _assert_same_images(ref, ours)


@pytest.mark.parametrize("kw", [
    {"wavelet": "haar", "level": 2, "start_level": 1},
    {"wavelet": "db2", "force2D": True, "force2Ddimension": 0},
    {"wavelet": "sym3", "force2D": True, "force2Ddimension": 1, "level": 2},
    {"wavelet": "bior1.3", "start_level": 2},
])
def test_wavelet_options_match_pyradiomics(kw):
    # odd sizes exercise the wrap padding
    im, mk = _case(2, shape=(11, 15, 16))
    _assert_same_images(_pyradiomics_images(im, mk, ("Wavelet",), kw),
                        _our_images(im, mk, ("Wavelet",), kw))


def test_gradient_without_spacing_and_log_skips():
    im, mk = _case(3, spacing=(0.5, 0.5, 3.0))
    kw = {"gradientUseSpacing": False, "sigma": [0.5, 12.0, 1.5]}  # 12 mm is too wide: skipped
    ref = _pyradiomics_images(im, mk, ("Gradient", "LoG"), kw)
    ours = _our_images(im, mk, ("Gradient", "LoG"), kw)
    assert "log-sigma-12-0-mm-3D" not in ours
    _assert_same_images(ref, ours)
    small = sitk.GetImageFromArray(np.ones((3, 8, 8), np.float32))
    assert _our_images(small, small, ("LoG",), {"sigma": [1.0]}) == {}


def test_lbp2d_matches_pyradiomics():
    pytest.importorskip("skimage", reason="scikit-image (pyradiomics' LBP2D) absent")
    for dtype in (np.float64, np.int16):
        im, mk = _case(4, dtype=dtype)
        for kw in ({"lbp2DMethod": "uniform", "lbp2DSamples": 8, "lbp2DRadius": 1},
                   {"lbp2DMethod": "default", "lbp2DSamples": 9, "lbp2DRadius": 1.5,
                    "force2D": True, "force2Ddimension": 1},
                   {"lbp2DMethod": "ror", "lbp2DSamples": 6, "lbp2DRadius": 2},
                   {"lbp2DMethod": "var", "lbp2DSamples": 8, "lbp2DRadius": 1,
                    "force2Ddimension": 2}):
            _assert_same_images(_pyradiomics_images(im, mk, ("LBP2D",), kw),
                                _our_images(im, mk, ("LBP2D",), kw))


def test_lbp2d_kernel_matches_numpy_twin():
    """The numba kernel against a slow, obvious NumPy version of scikit-image's algorithm."""
    from rnpc_radiomics.filters.lbp import local_binary_pattern

    rng = np.random.default_rng(5)
    img = rng.normal(size=(9, 11))
    img[2:5, 3:7] = 0.25  # flat patch: ties decide the sign
    P, R = 8, 1.5
    ang = 2 * np.pi * np.arange(P) / P
    rp, cp = np.round(-R * np.sin(ang), 5), np.round(R * np.cos(ang), 5)
    pad = np.pad(img, 4)

    def sample(r, c):
        r0, c0, r1, c1 = int(np.floor(r)), int(np.floor(c)), int(np.ceil(r)), int(np.ceil(c))
        dr, dc = r - r0, c - c0
        g = pad[4:-4, 4:-4]
        v = [pad[a + 4, b + 4] if 0 <= a < g.shape[0] and 0 <= b < g.shape[1] else 0.0
             for a, b in ((r0, c0), (r0, c1), (r1, c0), (r1, c1))]
        return (1 - dr) * ((1 - dc) * v[0] + dc * v[1]) + dr * ((1 - dc) * v[2] + dc * v[3])

    want = {m: np.zeros_like(img) for m in ("default", "uniform")}
    for r in range(img.shape[0]):
        for c in range(img.shape[1]):
            s = np.array([sample(r + rp[i], c + cp[i]) - img[r, c] >= 0 for i in range(P)], int)
            want["default"][r, c] = np.sum(s * 2 ** np.arange(P))
            ch = np.count_nonzero(s[:-1] != s[1:])
            want["uniform"][r, c] = s.sum() if ch <= 2 else P + 1
    for m, w in want.items():
        np.testing.assert_allclose(local_binary_pattern(img, P, R, m), w, rtol=0, atol=1e-12,
                                   err_msg=m)


def _old_sph_harm(m, n, theta, phi):
    from scipy import special

    return special.sph_harm_y(n, m, phi, theta)


def test_lbp3d_matches_pyradiomics(monkeypatch):
    pytest.importorskip("trimesh", reason="trimesh (pyradiomics' LBP3D icosphere) absent")
    from scipy import special

    if not hasattr(special, "sph_harm"):
        monkeypatch.setattr(special, "sph_harm", _old_sph_harm, raising=False)
    for dtype in (np.float32, np.int16):
        im, mk = _case(6, shape=(10, 12, 12), dtype=dtype)
        roi = sitk.GetArrayFromImage(mk) == 1
        for kw in ({}, {"lbp3DLevels": 3, "lbp3DIcosphereRadius": 1.5,
                        "lbp3DIcosphereSubdivision": 2}):
            ref = _pyradiomics_images(im, mk, ("LBP3D",), kw)
            assert list(ref)[-1] == "lbp-3D-k"
            # pyradiomics leaves voxels outside the ROI uninitialised: compare the ROI only
            ours = _our_images(im, mk, ("LBP3D",), kw)
            for k in ref:
                ours[k] = ours[k].astype(ref[k].dtype)
            _assert_same_images(ref, ours, roi)


def test_icosphere_matches_trimesh():
    trimesh = pytest.importorskip("trimesh", reason="trimesh absent")
    from rnpc_radiomics.filters.lbp import icosphere_vertices

    for sub in (0, 1, 2):
        # same vertices in the same order (float32 kurtosis sums depend on the order)
        np.testing.assert_array_equal(icosphere_vertices(sub, 1.5),
                                      np.asarray(trimesh.creation.icosphere(sub, 1.5).vertices))


@pytest.mark.parametrize("box", [
    (slice(3, 9), slice(4, 12), slice(5, 14)),    # interior
    (slice(0, 4), slice(9, 15), slice(13, 17)),   # touching borders: wavelet wrap-around
])
def test_box_mode_equals_cropped_whole_image(box):
    """``box=`` returns bitwise the values of filtering the whole image, then cropping."""
    im, mk = _case(8, shape=(11, 15, 17), dtype=np.int16)
    vol = Volume.from_sitk(im)
    mask = sitk.GetArrayFromImage(mk) == 1
    types = {"Original": {}, "LoG": {"sigma": [1.0]}, "Square": {}, "SquareRoot": {},
             "Logarithm": {}, "Exponential": {}, "Gradient": {}, "LBP2D": {"lbp2DRadius": 2},
             "Wavelet": {"wavelet": "db3", "level": 2, "start_level": 1}}
    full = {p: v for p, v, _ in iter_image_types(vol, mask, types, {})}
    part = {p: v for p, v, _ in iter_image_types(vol, mask, types, {}, box=box)}
    assert list(part) == list(full)
    for k, v in part.items():
        np.testing.assert_array_equal(v.array, full[k].array[box], err_msg=k)
        np.testing.assert_allclose(
            v.origin, vol.index_to_physical([b.start for b in box][::-1]), rtol=0, atol=1e-12)


# ITK's recursive Gaussian re-implemented in numba (filters/_deriche.py) must equal SimpleITK's
# LaplacianRecursiveGaussian bit for bit where neither side contracts a*b + c into a fused
# multiply-add (x86-64 builds: SimpleITK's wheels target baseline x86-64, numba never contracts
# without fastmath). Elsewhere (e.g. aarch64, where GCC fuses by default) allow a few float32 ulps.
_EXACT_LOG = platform.machine().lower() in ("x86_64", "amd64")


def _assert_log_equal(ours, ref, msg=""):
    if _EXACT_LOG:
        np.testing.assert_array_equal(ours, ref, err_msg=msg)          # rtol 0, atol 0
    else:
        np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-6 * float(np.abs(ref).max()),
                                   err_msg=msg)


@pytest.mark.parametrize("dtype,shape,spacing", [
    (np.float32, (9, 13, 17), (0.7, 0.9, 1.3)),     # odd sizes, anisotropic (x, y, z) spacing
    (np.int16, (4, 11, 8), (1.0, 1.0, 2.5)),        # 4 voxels: ITK's shortest line
    (np.float64, (12, 6, 7), (0.5, 0.5, 1.25)),
    (np.uint8, (5, 5, 5), (2.0, 0.3, 1.0)),
])
@pytest.mark.parametrize("sigma", [0.4, 1.0, 3.0, 25.0])
def test_log_equals_simpleitk(dtype, shape, spacing, sigma):
    """Whole image and boxes (interior, touching each border) equal SimpleITK's LoG."""
    from rnpc_radiomics.filters._deriche import laplacian_recursive_gaussian

    rng = np.random.default_rng(int(sigma * 10) + shape[0])
    a = rng.normal(60, 100, shape)
    if np.dtype(dtype).kind in "iu":
        a = np.clip(np.round(a), np.iinfo(dtype).min, np.iinfo(dtype).max)
    a = a.astype(dtype)
    im = sitk.GetImageFromArray(a)
    im.SetSpacing(spacing)
    f = sitk.LaplacianRecursiveGaussianImageFilter()
    f.SetNormalizeAcrossScale(True)
    f.SetSigma(sigma)
    ref = sitk.GetArrayFromImage(f.Execute(im))
    ours = laplacian_recursive_gaussian(a, spacing[::-1], sigma)
    assert ours.dtype == ref.dtype == np.float32
    _assert_log_equal(ours, ref, "whole image")
    z, y, x = shape
    for box in [(slice(1, z - 1), slice(2, y - 1), slice(1, x - 2)),
                (slice(0, 2), slice(y - 3, y), slice(0, x)),
                (slice(z - 1, z), slice(0, 1), slice(x - 1, x))]:
        _assert_log_equal(laplacian_recursive_gaussian(a, spacing[::-1], sigma, box), ref[box],
                          str(box))


def test_log_kernel_rejects_short_axes():
    from rnpc_radiomics.filters._deriche import laplacian_recursive_gaussian

    with pytest.raises(ValueError, match="every axis >= 4 voxels"):
        laplacian_recursive_gaussian(np.zeros((3, 8, 8), np.float32), (1.0, 1.0, 1.0), 1.0)


def test_log_box_mode_on_roi_box_of_larger_image():
    """The extraction path (``iter_image_types(..., box=)``) on an ROI box well inside a larger
    image: values equal SimpleITK's whole-image LoG cropped to the box."""
    im, mk = _case(21, shape=(24, 40, 36), spacing=(0.5, 0.5, 1.25))
    vol = Volume.from_sitk(im)
    box = (slice(7, 15), slice(12, 25), slice(10, 21))
    got = {p: v for p, v, _ in iter_image_types(vol, None, {"LoG": {"sigma": [1.0, 3.0]}}, {},
                                                box=box)}
    for sigma in (1.0, 3.0):
        f = sitk.LaplacianRecursiveGaussianImageFilter()
        f.SetNormalizeAcrossScale(True)
        f.SetSigma(sigma)
        ref = sitk.GetArrayFromImage(f.Execute(im))[box]
        _assert_log_equal(got[f"log-sigma-{str(sigma).replace('.', '-')}-mm-3D"].array, ref,
                          str(sigma))


@pytest.mark.parametrize("shape", [(30, 41, 44), (31, 40, 45)])
@pytest.mark.parametrize("kw", [{"wavelet": "coif1"},
                                {"wavelet": "db3", "level": 2, "start_level": 1}])
def test_wavelet_box_mode_bitwise_near_borders(shape, kw):
    """Boxes of an image larger than their reach: interior (gathered box + reach) and near each
    border (whole axis there), equal to the whole-image decomposition bit for bit (rtol 0)."""
    from rnpc_radiomics.filters.wavelet import swt_decompose

    a = np.random.default_rng(sum(shape)).normal(0, 100, shape).astype(np.float32)
    approx, details = swt_decompose(a, **kw)
    z, y, x = shape
    for box in [(slice(12, 18), slice(15, 26), slice(17, 27)),
                (slice(0, 6), slice(0, 9), slice(x - 7, x)),
                (slice(z - 5, z), slice(y - 3, y), slice(0, 2))]:
        ba, bd = swt_decompose(a, box=box, **kw)
        np.testing.assert_array_equal(ba, approx[box], err_msg=str(box))
        for lev, dec in enumerate(details):
            for k, v in dec.items():
                np.testing.assert_array_equal(bd[lev][k], v[box], err_msg=f"{box} {lev} {k}")


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int16])
@pytest.mark.parametrize("wname", ["coif1", "db3", "haar", "sym7", "bior3.5", "dmey"])
def test_swt_kernel_equals_pywavelets(dtype, wname):
    """The numba SWT level equals ``pywt.swtn`` bit for bit (rtol 0): keys, order, dtype,
    values; lines shorter than the filter (dmey, 62 taps) and 2D axes included."""
    import pywt

    from rnpc_radiomics.filters.wavelet import _swtn1, _wavelet

    w = _wavelet(wname)
    rng = np.random.default_rng(len(wname))
    for shape in [(6, 8, 10), (4, 12, 2), (20, 16, 18)]:
        x = rng.normal(0, 100, shape).astype(dtype)
        for axes in [(2, 1, 0), (2, 1)]:
            ref = pywt.swtn(x, w, level=1, start_level=0, axes=axes)[0]
            got = _swtn1(x, w, axes)
            assert list(got) == list(ref)
            for k in ref:
                assert got[k].dtype == ref[k].dtype, k
                np.testing.assert_array_equal(got[k], ref[k], err_msg=f"{shape} {axes} {k}")


def test_unknown_image_type_is_a_settings_error():
    im, mk = _case(7)
    with pytest.raises(SettingsError, match="unknown image type 'Wavelets'.*did you mean 'Wavelet'"):
        list(iter_image_types(Volume.from_sitk(im), None, {"Wavelets": {}}, {}))
    with pytest.raises(SettingsError, match="invalid setting 'wavelet'.*PyWavelets"):
        list(iter_image_types(Volume.from_sitk(im), None, {"Wavelet": {"wavelet": "nope"}}, {}))


# ------------------------------------------------------------------------- features

def _params(image_types, setting=None):
    return {"setting": {"binWidth": 25, **(setting or {})}, "imageType": image_types,
            "featureClass": dict(CLASSES)}


def _assert_features(ref, ours):
    ref_keys = [k for k in ref if not k.startswith("diagnostics_")]
    our_keys = [k for k in ours if not k.startswith("diagnostics_")]
    assert our_keys == ref_keys
    bad = [f"{k}: ours {float(ours[k])!r} pyradiomics {float(ref[k])!r}" for k in ref_keys
           if not np.isclose(float(ours[k]), float(ref[k]), rtol=RTOL, atol=ATOL,
                             equal_nan=True)]
    assert not bad, "\n".join(bad)


FEATURE_CASES = {
    # every image type but LBP, per-type binWidth, int16 CT-like values
    "all_int16": (lambda: _case(10, dtype=np.int16, lo=-400, hi=900),
                  _params({"Original": {}, "LoG": {"sigma": [1.0, 2], "binWidth": 5},
                           "Wavelet": {"binWidth": 10}, "Square": {}, "SquareRoot": {},
                           "Logarithm": {"binWidth": 30}, "Exponential": {"binCount": 16},
                           "Gradient": {"binWidth": 4}})),
    # float32 MR-like, wavelet levels, LoG first (order follows the parameter file)
    "levels_float32": (lambda: _case(11, lo=0, hi=800, spacing=(0.6, 0.6, 2.0)),
                       _params({"LoG": {"sigma": [0.8]}, "Wavelet": {"level": 2,
                                                                     "wavelet": "haar"},
                                "Original": {}}, {"binWidth": 20})),
    # resampling and resegmentation happen before the filters
    "resample_reseg": (lambda: _case(12, spacing=(0.7, 0.7, 1.8)),
                       _params({"Original": {}, "LoG": {"sigma": [1.5]}, "Wavelet": {},
                                "Gradient": {"binWidth": 10}},
                               {"resampledPixelSpacing": [1, 1, 1], "resegmentRange": [-250, 450]
                                })),
    # ROI touching three faces: wavelet wrap-around and border gradients inside the box
    "roi_at_border": (lambda: _border_case(15),
                      _params({"Wavelet": {"wavelet": "sym2", "binWidth": 10},
                               "Gradient": {"binWidth": 5}, "Logarithm": {},
                               "LoG": {"sigma": [1.5]}})),
    "force2D": (lambda: _case(13, dtype=np.int16),
                _params({"Wavelet": {"binWidth": 10}, "SquareRoot": {}},
                        {"force2D": True, "force2Ddimension": 0})),
}


@pytest.mark.parametrize("name", list(FEATURE_CASES))
def test_features_match_pyradiomics(name):
    build, prm = FEATURE_CASES[name]
    im, mk = build()
    ref = featureextractor.RadiomicsFeatureExtractor(prm).execute(im, mk)
    ours = extract(im, mk, prm)
    _assert_features(ref, ours)


def test_lbp_features_match_pyradiomics(monkeypatch):
    pytest.importorskip("skimage", reason="scikit-image (pyradiomics' LBP2D) absent")
    pytest.importorskip("trimesh", reason="trimesh (pyradiomics' LBP3D) absent")
    from scipy import special

    if not hasattr(special, "sph_harm"):
        monkeypatch.setattr(special, "sph_harm", _old_sph_harm, raising=False)
    im, mk = _case(14, shape=(10, 14, 14))
    prm = _params({"LBP2D": {"binWidth": 1}, "LBP3D": {"binWidth": 0.5}})
    ref = featureextractor.RadiomicsFeatureExtractor(prm).execute(im, mk)
    ours = extract(im, mk, prm)
    _assert_features(ref, ours)
    assert any(k.startswith("lbp-3D-k_") for k in ours)


def test_log_box_mode_every_range_bitwise():
    """Every box range along each axis (ends inside the recursions' 4-sample start-up, single
    samples, whole axis) gives bitwise the whole-image LoG cropped: the causal recursion runs
    only up to the box's end and the anti-causal one only down to its start (_deriche)."""
    from rnpc_radiomics.filters._deriche import laplacian_recursive_gaussian

    rng = np.random.default_rng(7)
    a = rng.normal(0, 50, (6, 7, 9)).astype(np.float32)
    spacing = (1.25, 0.5, 0.7)
    for sigma in (0.6, 2.0):
        full = laplacian_recursive_gaussian(a, spacing, sigma)
        for axis, n in enumerate(a.shape):
            for w0 in range(n):
                for w1 in range(w0 + 1, n + 1):
                    box = [slice(None)] * 3
                    box[axis] = slice(w0, w1)
                    box = tuple(box)
                    np.testing.assert_array_equal(                        # rtol 0, atol 0
                        laplacian_recursive_gaussian(a, spacing, sigma, box), full[box],
                        err_msg=f"sigma {sigma} box {box}")
