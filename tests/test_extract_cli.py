"""``rnpc extract`` and ``rnpc_radiomics.extract`` end to end: files in, one row out."""

from __future__ import annotations

import csv
import json
import logging
from pathlib import Path

import numpy as np
import pytest

from rnpc_radiomics.cli.main import main
from rnpc_radiomics.errors import FeatureError, GeometryError, MaskError, SettingsError

sitk = pytest.importorskip("SimpleITK")

SHARED = Path(__file__).resolve().parents[2] / "shared"
DCMQI = SHARED / "dicom-testdata" / "dcmqi" / "data" / "segmentations"
SMALL = {"featureClass": {"firstorder": [], "glcm": ["Contrast", "Idmn"], "shape": ["VoxelVolume"]}}


def _write(tmp_path, name, arr, spacing=(0.8, 0.8, 2.0)):
    img = sitk.GetImageFromArray(arr)
    img.SetSpacing(spacing)
    img.SetOrigin((-10.0, 5.0, 30.0))
    path = tmp_path / name
    sitk.WriteImage(img, str(path))
    return path


@pytest.fixture()
def case(tmp_path):
    rng = np.random.default_rng(0)
    img = rng.normal(40, 30, (12, 20, 20)).astype(np.float32)
    lab = np.zeros(img.shape, np.uint8)
    lab[3:9, 4:14, 5:15] = 1
    lab[4:7, 15:18, 15:18] = 2
    params = tmp_path / "p.yaml"
    params.write_text("setting:\n  binWidth: 10\nfeatureClass:\n  firstorder:\n  glcm: [Contrast]\n"
                      "  shape: [VoxelVolume, Sphericity]\n")
    return (_write(tmp_path, "img.nii.gz", img), _write(tmp_path, "mask.nii.gz", lab), params,
            img, lab)


def test_stdout_json(case, capsys):
    img, mask, params, *_ = case
    assert main(["extract", str(img), str(mask), "--params", str(params)]) == 0
    row = json.loads(capsys.readouterr().out)
    # NIfTI stores spacing as float32: 0.8 -> 0.800000011920929
    assert row["original_shape_VoxelVolume"] == pytest.approx(6 * 10 * 10 * 0.8 * 0.8 * 2.0,
                                                              rel=1e-6)
    assert "original_glcm_Contrast" in row and "original_glcm_Idmn" not in row
    assert row["diagnostics_Mask-original_VoxelNum"] == 600
    keys = list(row)
    assert keys.index("diagnostics_Mask-original_VoxelNum") < keys.index("original_shape_VoxelVolume")


@pytest.mark.parametrize("ext", [".csv", ".json", ".parquet"])
def test_out_formats_one_row_stable_columns(case, tmp_path, ext, capsys):
    img, mask, params, *_ = case
    out = tmp_path / f"features{ext}"
    assert main(["extract", str(img), str(mask), "--params", str(params), "--out", str(out)]) == 0
    assert "wrote" in capsys.readouterr().out
    assert not list(tmp_path.glob("*.part*")), "temporary file left behind"
    if ext == ".csv":
        with open(out, newline="") as fh:
            rows = list(csv.DictReader(fh))
        assert len(rows) == 1
        cols = list(rows[0])
        assert float(rows[0]["original_firstorder_Mean"]) == pytest.approx(
            float(rows[0]["diagnostics_Mask-original_VoxelNum"]) * 0 + float(
                rows[0]["original_firstorder_Mean"]))
        # structured diagnostics are JSON text in table formats
        assert json.loads(rows[0]["diagnostics_Mask-original_BoundingBox"]) == [5, 4, 3, 10, 10, 6]
    elif ext == ".json":
        cols = list(json.loads(out.read_text()))
    else:
        import pandas as pd

        df = pd.read_parquet(out)
        assert len(df) == 1
        cols = list(df.columns)
    # same columns in the same order for another case (label 2)
    out2 = tmp_path / f"features2{ext}"
    assert main(["extract", str(img), str(mask), "--params", str(params), "--label", "2",
                 "--out", str(out2)]) == 0
    if ext == ".json":
        assert list(json.loads(out2.read_text())) == cols
    elif ext == ".csv":
        with open(out2, newline="") as fh:
            assert next(csv.reader(fh)) == cols


def test_label_option_and_values(case, capsys):
    img, mask, params, img_arr, lab = case
    assert main(["extract", str(img), str(mask), "--params", str(params), "--label", "2"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert row["original_firstorder_Mean"] == pytest.approx(
        float(img_arr[lab == 2].astype(np.float64).mean()), rel=1e-6)


@pytest.mark.parametrize("argv_extra,msg", [
    (["--label", "3"], r"label 3 not present in mask.*labels present: 1, 2"),
    (["--out", "x.txt"], r"unsupported output format.*expected .csv, .json or .parquet"),
])
def test_bad_input_exit_2(case, capsys, argv_extra, msg):
    img, mask, params, *_ = case
    assert main(["extract", str(img), str(mask), "--params", str(params), *argv_extra]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1
    import re

    assert re.search(msg, err), err


def test_bad_params_file_exit_2(case, tmp_path, capsys):
    img, mask, *_ = case
    bad = tmp_path / "bad.yaml"
    bad.write_text("setting:\n  binwidth: 25\n")
    assert main(["extract", str(img), str(mask), "--params", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "unknown setting 'binwidth'" in err and "did you mean 'binWidth'" in err


def test_empty_mask_exit_2_and_no_output(tmp_path, capsys):
    arr = np.ones((5, 6, 7), np.float32)
    img = _write(tmp_path, "img.nii.gz", arr)
    mask = _write(tmp_path, "m.nii.gz", np.zeros(arr.shape, np.uint8))
    out = tmp_path / "never.csv"
    assert main(["extract", str(img), str(mask), "--out", str(out)]) == 2
    assert "empty mask" in capsys.readouterr().err
    assert not out.exists()


# ------------------------------------------------------------------------- Python API errors

def test_api_errors_are_input_errors():
    from rnpc_radiomics import Volume, extract

    img = Volume(np.random.default_rng(1).normal(size=(6, 7, 8)).astype(np.float32))
    lab = np.zeros((6, 7, 8), np.uint8)
    nan = img.array.copy()
    nan[1, 1, 1] = np.nan
    lab[1:4, 1:4, 1:4] = 1
    with pytest.raises(FeatureError, match=r"non-finite voxels.*1 NaN/infinite"):
        extract(img.with_array(nan), img.with_array(lab))
    lab[:] = 0
    with pytest.raises(MaskError, match="empty mask"):
        extract(img, img.with_array(lab))
    lab[2, 3, 4] = 1
    with pytest.raises(FeatureError, match="single voxel"):
        extract(img, img.with_array(lab))
    lab[2, 3, 5] = 1
    with pytest.raises(FeatureError, match=r"minimumROIDimensions is 2"):
        extract(img, img.with_array(lab))
    lab[2:4, 2:5, 3:6] = 1
    with pytest.raises(FeatureError, match=r"more than minimumROISize=100 needed"):
        extract(img, img.with_array(lab), {"setting": {"minimumROISize": 100}})
    moved = Volume(lab, origin=(0.5, 0, 0))
    with pytest.raises(GeometryError, match=r"geometry mismatch.*correctMask"):
        extract(img, moved)
    # correctMask resamples the mask onto the image grid instead
    out = extract(img, moved, {"setting": {"correctMask": True},
                               "featureClass": {"firstorder": ["Mean"]}})
    assert "diagnostics_Mask-corrected_VoxelNum" in out
    with pytest.raises(SettingsError, match=r"unknown image type 'Wavelett'.*'Wavelet'"):
        extract(img, img.with_array(lab), {"imageType": {"Wavelett": {}}})
    with pytest.raises(SettingsError, match="expected an integer > 0"):
        extract(img, img.with_array(lab), label=0)


def test_api_accepts_sitk_images():
    import rnpc_radiomics
    import rnpc_radiomics.extraction as mod  # importing the module does not shadow the function

    arr = np.random.default_rng(2).normal(size=(6, 8, 8)).astype(np.float32)
    lab = np.zeros(arr.shape, np.uint8)
    lab[1:5, 2:6, 2:7] = 1
    im, mk = sitk.GetImageFromArray(arr), sitk.GetImageFromArray(lab)
    a = rnpc_radiomics.extract(im, mk, SMALL)
    b = mod.extract(im, mk, SMALL)
    assert a == b and a["original_shape_VoxelVolume"] == pytest.approx(80.0, rel=1e-12)
    no_diag = rnpc_radiomics.extract(im, mk, {**SMALL, "setting": {"additionalInfo": False}})
    assert not [k for k in no_diag if k.startswith("diagnostics_")]


def test_uint8_overflow_is_flagged():
    from rnpc_radiomics import extract

    arr = np.random.default_rng(3).integers(0, 256, (6, 8, 8)).astype(np.uint8)
    lab = np.zeros(arr.shape, np.uint8)
    lab[1:5, 1:7, 1:7] = 1
    im, mk = sitk.GetImageFromArray(arr), sitk.GetImageFromArray(lab)
    out = extract(im, mk, SMALL)
    assert "bin-edge overflow reproduced" in out["diagnostics_Features_Undefined"]


# ------------------------------------------------------------------------- real DICOM

def test_dicom_ct_and_seg_match_pyradiomics_on_nrrd_ground_truth(tmp_path, capsys):
    """CLI on a real CT series + DICOM-SEG equals pyradiomics on the same CT and the SEG's NRRD
    ground truth (dcmqi liver; see shared/dicom-testdata/README.md section 6)."""
    if not (DCMQI / "liver.dcm").exists():
        pytest.skip("shared/dicom-testdata absent: dcmqi liver SEG not available")
    pytest.importorskip("radiomics", reason="pyradiomics (the reference) absent")
    import radiomics
    from radiomics import featureextractor

    from rnpc_radiomics.io import load_image

    radiomics.setVerbosity(logging.CRITICAL)
    params = tmp_path / "p.json"
    prm = {"setting": {"binWidth": 25},
           # no shape: pyradiomics' diameter search takes ~40 s on this 512x512 liver outline
           "featureClass": {"firstorder": [], "glcm": [], "glszm": []}}
    params.write_text(json.dumps(prm))
    out = tmp_path / "liver.json"
    assert main(["extract", str(DCMQI / "ct-3slice"), str(DCMQI / "liver.dcm"),
                 "--params", str(params), "--out", str(out)]) == 0
    ours = json.loads(out.read_text())
    assert ours["diagnostics_Mask-original_VoxelNum"] == 107098
    ct = load_image(DCMQI / "ct-3slice").to_sitk()
    gt = sitk.ReadImage(str(DCMQI / "liver_seg.nrrd"))
    gt.CopyInformation(ct)  # same grid (verified in the README); avoid header round-off
    ref = featureextractor.RadiomicsFeatureExtractor(prm).execute(ct, gt)
    keys = [k for k in ref if not k.startswith("diagnostics_")]
    assert [k for k in ours if not k.startswith("diagnostics_")] == keys
    for k in keys:
        assert ours[k] == pytest.approx(float(ref[k]), rel=1e-5, abs=1e-7), k


# ------------------------------------------------------------------------- files on other grids

def _pyradiomics_on_files(params, img, mask):
    pytest.importorskip("radiomics", reason="pyradiomics (the reference) absent")
    import radiomics
    from radiomics import featureextractor

    radiomics.setVerbosity(logging.CRITICAL)
    return featureextractor.RadiomicsFeatureExtractor(params).execute(str(img), str(mask))


def _assert_same(ours, ref):
    keys = [k for k in ref if not k.startswith("diagnostics_")]
    assert [k for k in ours if not k.startswith("diagnostics_")] == keys
    for k in keys:
        assert float(ours[k]) == pytest.approx(float(ref[k]), rel=1e-5, abs=1e-7), k


def test_label_map_on_its_own_grid_with_resampling_matches_pyradiomics(tmp_path):
    """With resampledPixelSpacing, pyradiomics resamples onto a grid built from the *mask*, so a
    label map on another grid (e.g. drawn on CT, applied to MR) is used as is."""
    rng = np.random.default_rng(7)
    img = rng.normal(100, 30, (10, 24, 24)).astype(np.float32)
    ip = _write(tmp_path, "mr.nii.gz", img, spacing=(0.9, 0.9, 3.0))
    lab = np.zeros((30, 40, 40), np.uint8)
    lab[10:20, 12:28, 10:26] = 1
    mk = sitk.GetImageFromArray(lab)
    mk.SetSpacing((0.5, 0.5, 1.0))
    mk.SetOrigin((-6.0, 8.0, 33.0))
    mp = tmp_path / "roi_ct_grid.nii.gz"
    sitk.WriteImage(mk, str(mp))
    prm = {"setting": {"resampledPixelSpacing": [1, 1, 1], "binWidth": 10},
           "featureClass": {"firstorder": [], "glcm": [], "shape": []}}
    from rnpc_radiomics import extract

    _assert_same(extract(str(ip), str(mp), prm), _pyradiomics_on_files(prm, ip, mp))
    # without resampling the grids must agree, and the hint says how to proceed
    with pytest.raises(GeometryError, match=r"grids differ.*set correctMask: true"):
        extract(str(ip), str(mp), {"setting": {"binWidth": 10}})


@pytest.mark.parametrize("image,params", [("t1c", "mri_t1c"), ("pet", "pet_suv")])
def test_shipped_params_on_sample_case_match_pyradiomics(image, params):
    case = Path(__file__).resolve().parents[1] / "sample_data" / "case_000"
    if not (case / f"{image}.nii.gz").exists():
        pytest.skip("sample_data/case_000 absent: generate it with rnpc phantom")
    prm = Path(__file__).resolve().parents[1] / "params" / f"{params}.yaml"
    from rnpc_radiomics import extract

    ours = extract(case / f"{image}.nii.gz", case / "roi.nii.gz", prm)
    _assert_same(ours, _pyradiomics_on_files(str(prm), case / f"{image}.nii.gz",
                                             case / "roi.nii.gz"))


def test_dicom_series_with_rtstruct_roi(tmp_path, capsys):
    """DICOM CT folder + RTSTRUCT chosen by --roi gives the same ROI as the case's NIfTI mask."""
    case = Path(__file__).resolve().parents[1] / "sample_data" / "case_000"
    if not (case / "dicom" / "RTSTRUCT.dcm").exists():
        pytest.skip("sample_data/case_000/dicom absent: generate it with rnpc phantom")
    out = tmp_path / "rt.json"
    params = tmp_path / "p.yaml"
    params.write_text("featureClass:\n  shape: [VoxelVolume]\n  firstorder: [Mean]\n")
    assert main(["extract", str(case / "dicom" / "CT"), str(case / "dicom" / "RTSTRUCT.dcm"),
                 "--roi", "lesion", "--params", str(params), "--out", str(out)]) == 0
    row = json.loads(out.read_text())
    nifti = sitk.GetArrayFromImage(sitk.ReadImage(str(case / "roi.nii.gz")))
    assert row["diagnostics_Mask-original_VoxelNum"] == int(np.count_nonzero(nifti))
    capsys.readouterr()
    assert main(["extract", str(case / "dicom" / "CT"), str(case / "dicom" / "RTSTRUCT.dcm"),
                 "--roi", "lesoin", "--params", str(params)]) == 2
    assert "lesion" in capsys.readouterr().err  # the message lists the ROIs present
