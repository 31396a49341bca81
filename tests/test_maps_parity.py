"""Voxel-based feature maps against pyradiomics 3.0.1's voxel mode.

Each case builds a small seeded image and a tiny ROI (pyradiomics' voxel mode is slow), runs
``RadiomicsFeatureExtractor.execute(..., voxelBased=True)`` and
:func:`rnpc_radiomics.maps.voxel_maps` with the same parameters, and compares every map: same
keys in the same order, same grid (shape and origin), values within rtol 1e-4 / atol 1e-9 at
every voxel (``initValue`` outside the ROI included).

One documented difference: when a batch holds a voxel whose kernel has no pair along a GLCM
angle that other kernels have, pyradiomics' ``glcm_MCC`` fails for the whole batch (NumPy refuses
the NaN matrix) and its map stays ``initValue``; ours gives each voxel its MCC. The comparison
accepts exactly that case and checks our values are valid correlations.
"""

from __future__ import annotations

import logging

import numpy as np
import pytest

radiomics = pytest.importorskip("radiomics", reason="pyradiomics (the reference) absent")
sitk = pytest.importorskip("SimpleITK")
from radiomics import featureextractor  # noqa: E402
from scipy import ndimage  # noqa: E402

from rnpc_radiomics.errors import SettingsError  # noqa: E402
from rnpc_radiomics.image import Volume  # noqa: E402
from rnpc_radiomics.maps import voxel_maps  # noqa: E402

radiomics.setVerbosity(logging.CRITICAL)
# pyradiomics' own NumPy warnings (means of empty kernels, skimage's float-image note)
pytestmark = [pytest.mark.filterwarnings("ignore::RuntimeWarning"),
              pytest.mark.filterwarnings("ignore::UserWarning:skimage")]

RTOL, ATOL = 1e-4, 1e-9
ALL = {"firstorder": [], "glcm": [], "glrlm": [], "glszm": [], "gldm": [], "ngtdm": []}


def _case(seed, shape=(9, 11, 12), dtype=np.float32, r=2.6, spacing=(0.8, 0.9, 1.5),
          isolated=True, lo=-100.0, hi=300.0):
    rng = np.random.default_rng(seed)
    a = ndimage.gaussian_filter(rng.normal(size=shape), 0.8)
    a = (a - a.min()) / (a.max() - a.min()) * (hi - lo) + lo
    if np.dtype(dtype).kind in "iu":
        a = np.round(a)
    a = a.astype(dtype)
    zz, yy, xx = np.indices(shape)
    c = np.array(shape) // 2
    m = ((zz - c[0]) ** 2 / (0.8 * r) ** 2 + (yy - c[1]) ** 2 / r ** 2
         + (xx - c[2]) ** 2 / r ** 2) <= 1
    if isolated:
        m[c[0], c[1] + 4, c[2]] = True  # a lone voxel: kernels with empty angles
    im = sitk.GetImageFromArray(a)
    im.SetSpacing(spacing)
    im.SetOrigin((3.0, -7.5, 12.25))
    mk = sitk.GetImageFromArray(m.astype(np.uint8))
    mk.CopyInformation(im)
    return im, mk


def _border_case(seed):
    im, _ = _case(seed, isolated=False)
    m = np.zeros(sitk.GetArrayFromImage(im).shape, np.uint8)
    m[:3, :4, 8:] = 1
    m[3, 1:3, 10:] = 1
    mk = sitk.GetImageFromArray(m)
    mk.CopyInformation(im)
    return im, mk


def _params(setting=None, voxel=None, classes=None, image_types=None):
    p = {"setting": {"binWidth": 25, **(setting or {})},
         "voxelSetting": {"kernelRadius": 1, **(voxel or {})},
         "featureClass": dict(classes or ALL)}
    if image_types:
        p["imageType"] = image_types
    return p


def _assert_maps(ref, ours, init):
    ref_keys = [k for k in ref if not k.startswith("diagnostics_")]
    assert list(ours) == ref_keys
    bad = []
    for k in ref_keys:
        r = sitk.GetArrayFromImage(ref[k])
        o = ours[k].array
        assert o.shape == r.shape, k
        np.testing.assert_allclose(ours[k].origin, ref[k].GetOrigin(), rtol=0, atol=1e-9)
        np.testing.assert_allclose(ours[k].spacing, ref[k].GetSpacing(), rtol=0, atol=1e-12)
        ok = np.isclose(o, r, rtol=RTOL, atol=ATOL, equal_nan=True)
        if ok.all():
            continue
        if k.endswith("glcm_MCC") and np.all((r == init) | ok):
            # pyradiomics' batch failure (see module docstring): ours must be valid MCCs, NaN
            # only where a kernel has no pair at all (where every GLCM feature is NaN)
            contrast = sitk.GetArrayFromImage(ref[k.replace("MCC", "Contrast")])[~ok]
            val = o[~ok]
            assert np.all(np.where(np.isnan(val), np.isnan(contrast),
                                   (val >= 0) & (val <= 1 + 1e-9))), k
            continue
        i = tuple(np.argwhere(~ok)[0])
        bad.append(f"{k}: {np.count_nonzero(~ok)} voxels differ, e.g. at {i}: ours {o[i]!r} "
                   f"pyradiomics {r[i]!r}")
    assert not bad, "\n".join(bad)


def _run(im, mk, prm):
    ref = featureextractor.RadiomicsFeatureExtractor(prm).execute(im, mk, voxelBased=True)
    ours = voxel_maps(im, mk, prm)
    return ref, ours


CASES = {
    # masked kernels, an isolated voxel (empty angles), float32
    "masked_float32": (lambda: _case(1), _params({"binWidth": 10})),
    # unmasked kernels: discretised over the whole crop, int16
    "unmasked_int16": (lambda: _case(2, dtype=np.int16, lo=-400, hi=600),
                       _params({}, {"maskedKernel": False, "initValue": -5})),
    # larger kernel, fixed bin count, 2D kernels in the y plane
    "radius2_bincount_force2D": (lambda: _case(3, shape=(10, 9, 12)),
                                 _params({"binCount": 8, "force2D": True,
                                          "force2Ddimension": 1}, {"kernelRadius": 2})),
    # GLCM/GLDM/NGTDM options and a first-order shift
    "distances_weighting": (lambda: _case(4, isolated=False),
                            _params({"binWidth": 15, "distances": [1, 2],
                                     "weightingNorm": "euclidean", "symmetricalGLCM": False,
                                     "gldm_a": 1, "voxelArrayShift": 100})),
    "manhattan_no_isolated": (lambda: _case(5, isolated=False, dtype=np.float64),
                              _params({"binWidth": 20, "weightingNorm": "manhattan"},
                                      {"initValue": float("nan")})),
    # small batches decide which GLCM angles pyradiomics keeps (JointAverage)
    "voxel_batch": (lambda: _case(6), _params({"binWidth": 12}, {"voxelBatch": 7},
                                              {"glcm": [], "firstorder": ["Mean"]})),
    # filtered image types in voxel mode
    "filters": (lambda: _case(7, shape=(10, 12, 12)),
                _params({"binWidth": 10}, {}, {"firstorder": [], "glcm": [], "ngtdm": []},
                        {"Original": {}, "LoG": {"sigma": [1.0]}, "Wavelet": {"binWidth": 5},
                         "Square": {"binWidth": 30}, "Gradient": {}})),
    # ROI on the image border: kernels and the crop are clipped by the image
    "roi_at_border": (lambda: _border_case(14),
                      _params({"binWidth": 20}, {"kernelRadius": 2})),
    # resampling and resegmentation before the maps
    "resample_resegment": (lambda: _case(8, spacing=(0.7, 0.7, 1.4), r=3.2),
                           _params({"resampledPixelSpacing": [1, 1, 1],
                                    "resegmentRange": [-50, 250]}, {},
                                   {"firstorder": [], "glszm": [], "glrlm": []})),
}


@pytest.mark.parametrize("name", list(CASES))
def test_maps_match_pyradiomics(name):
    build, prm = CASES[name]
    im, mk = build()
    ref, ours = _run(im, mk, prm)
    _assert_maps(ref, ours, prm["voxelSetting"].get("initValue", 0))


def test_image_grid_embeds_roi_grid():
    im, mk = _case(9)
    prm = _params({"binWidth": 10}, {}, {"glcm": ["Contrast"], "firstorder": ["Mean"]})
    roi_maps = voxel_maps(im, mk, prm)
    full = voxel_maps(Volume.from_sitk(im), Volume.from_sitk(mk), prm, grid="image")
    for k, v in roi_maps.items():
        f = full[k]
        assert f.shape == tuple(sitk.GetArrayFromImage(im).shape)
        np.testing.assert_allclose(f.origin, im.GetOrigin(), rtol=0, atol=1e-12)
        # the ROI-grid map is the window of the image-grid map starting at its origin
        start = np.rint(Volume.from_sitk(im).physical_to_index(v.origin)).astype(int)[::-1]
        win = f.array[tuple(slice(s, s + n) for s, n in zip(start, v.shape))]
        np.testing.assert_allclose(win, v.array, rtol=0, atol=0, equal_nan=True, err_msg=k)


def test_kernels_match_segment_features_on_one_kernel():
    """A voxel's map value is the segment feature of its kernel (oracle: our extract engine).

    With the ROI equal to one full 3x3x3 kernel, the centre voxel's kernel is the whole ROI, so
    its map values must equal the segment-based features of that ROI.
    """
    from rnpc_radiomics.extraction import extract

    rng = np.random.default_rng(10)
    a = np.round(rng.normal(size=(7, 7, 7)) * 40).astype(np.int16)
    m = np.zeros(a.shape, np.uint8)
    m[2:5, 2:5, 2:5] = 1
    im, mk = sitk.GetImageFromArray(a), sitk.GetImageFromArray(m)
    prm = _params({"binWidth": 20}, {}, {k: [] for k in ALL})
    maps = voxel_maps(im, mk, prm, grid="image")
    seg = extract(im, mk, prm)
    for k, v in maps.items():
        if k.endswith("glcm_MCC"):
            continue  # global vs kernel levels are the same here, but keep MCC to the parity
        assert v.array[3, 3, 3] == pytest.approx(seg[k], rel=1e-9, abs=1e-12), k


def test_bad_grid_is_a_settings_error():
    im, mk = _case(11)
    with pytest.raises(SettingsError, match="invalid grid.*'roi' or 'image'"):
        voxel_maps(im, mk, _params(), grid="full")


def test_cli_writes_one_image_per_feature(tmp_path, capsys):
    from rnpc_radiomics.cli.main import main
    from rnpc_radiomics.io import load_image

    im, mk = _case(12)
    img_p, msk_p = tmp_path / "img.nii.gz", tmp_path / "msk.nii.gz"
    sitk.WriteImage(im, str(img_p))
    sitk.WriteImage(mk, str(msk_p))
    prm = tmp_path / "p.yaml"
    prm.write_text("setting: {binWidth: 10}\nvoxelSetting: {initValue: .nan}\n"
                   "featureClass: {firstorder: [Mean], glcm: [Contrast], shape: []}\n")
    out = tmp_path / "maps"
    assert main(["maps", str(img_p), str(msk_p), "--params", str(prm), "--out", str(out)]) == 0
    assert "2 feature maps" in capsys.readouterr().out
    files = sorted(p.name for p in out.iterdir())
    assert files == ["original_firstorder_Mean.nii.gz", "original_glcm_Contrast.nii.gz"]
    ref = voxel_maps(im, mk, str(prm), grid="image")["original_firstorder_Mean"]
    got = load_image(out / "original_firstorder_Mean.nii.gz")
    assert got.shape == ref.shape
    np.testing.assert_allclose(got.origin, im.GetOrigin(), rtol=0, atol=1e-6)
    np.testing.assert_allclose(got.array, ref.array, rtol=1e-12, atol=0, equal_nan=True)
    assert np.isnan(got.array).sum() == got.array.size - int(sitk.GetArrayFromImage(mk).sum())


def test_cli_bad_input_exits_2_without_output(tmp_path, capsys):
    from rnpc_radiomics.cli.main import main

    im, mk = _case(13)
    img_p, msk_p = tmp_path / "img.nii.gz", tmp_path / "msk.nii.gz"
    sitk.WriteImage(im, str(img_p))
    sitk.WriteImage(mk, str(msk_p))
    out = tmp_path / "maps"
    assert main(["maps", str(img_p), str(msk_p), "--out", str(out), "--label", "4"]) == 2
    assert "label 4" in capsys.readouterr().err
    assert not out.exists() and not [p for p in tmp_path.iterdir() if p.name.startswith(".maps")]
    prm = tmp_path / "bad.yaml"
    prm.write_text("voxelSetting: {kernelRadius: 0}\n")
    assert main(["maps", str(img_p), str(msk_p), "--params", str(prm), "--out", str(out)]) == 2
    assert "kernelRadius" in capsys.readouterr().err
