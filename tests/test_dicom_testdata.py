"""Our DICOM reader on public files written by other projects (../shared/dicom-testdata).

What each file proves is in ``dicom-testdata/README.md``. Ground truth comes from dicom2nifti
(NIfTI), from other decoders of the same pixels (transfer-syntax twins) and from
``SimpleITK.ImageSeriesReader`` (our array/geometry convention).
"""

from __future__ import annotations

import glob
import os

import numpy as np
import pydicom
import pytest
import SimpleITK as sitk

from rnpc_radiomics.errors import DicomError, InputError
from rnpc_radiomics.io import list_series
from rnpc_radiomics.io.dicom import read_dicom_image, read_frames

D2N = "dicom2nifti/tests/data"
PYD = "pydicom/test_files"
PYDD = "pydicom/pydicom-data"

REGULAR_SETS = [
    "generic/anatomical/001",
    "generic/anatomical/002_non_isotropic",
    "generic/compressed_j2k/001",
    "generic/compressed_jpeg/001",
    "generic/compressed_jpegls/001",
    "generic/compressed_rle/001",
    "ge/anatomical/001_single_slice",
    "hitachi/anatomical/001",
    "philips/anatomical/001",
    "siemens/anatomical/001",
    "siemens_multiframe/anatomical/001",
    "failing/slicecount/001",
]


def _canonical(data, affine):
    import nibabel as nib

    img = nib.as_closest_canonical(nib.Nifti1Image(np.asarray(data), affine))
    return np.asarray(img.dataobj), img.affine


def _sitk_series(folder):
    reader = sitk.ImageSeriesReader()
    reader.SetFileNames(reader.GetGDCMSeriesFileNames(str(folder)))
    return reader.Execute()


# ------------------------------------------------------------------------ dicom2nifti
@pytest.mark.parametrize("name", REGULAR_SETS)
def test_dicom2nifti_sets_match_ground_truth(dicom_testdata, name):
    nib = pytest.importorskip("nibabel")
    folder = dicom_testdata / D2N / name
    vol = read_dicom_image(folder)
    gt = nib.load(str(folder) + "_ground_truth.nii.gz")
    # README convention: NIfTI affine = diag(-1,-1,1,1) @ our LPS affine, array (i,j,k) = ours.T.
    ours_data, ours_aff = _canonical(vol.array.T, np.diag([-1.0, -1.0, 1.0, 1.0]) @ vol.affine)
    # dicom2nifti stacks some sets against the normal (file order); comparing both in the
    # closest canonical (RAS) orientation makes the check independent of stacking order,
    # as dicom2nifti's own tests do.
    gt_data, gt_aff = _canonical(np.asarray(gt.dataobj), gt.affine)
    assert ours_data.shape == gt_data.shape
    # Ground-truth affines are stored in float32 (sform): 1e-4 mm / unitless.
    if vol.shape[0] == 1:
        # One slice: the length and sign of the slice axis are conventions; compare the rest.
        np.testing.assert_allclose(ours_aff[:3, :2], gt_aff[:3, :2], rtol=0, atol=1e-4)
        np.testing.assert_allclose(ours_aff[:3, 3], gt_aff[:3, 3], rtol=0, atol=1e-4)
    else:
        np.testing.assert_allclose(ours_aff, gt_aff, rtol=0, atol=1e-4)
    # Integer sets match exactly; 002 has a fractional RescaleSlope (we keep float32, the GT
    # is float64), hence rtol 1e-6.
    np.testing.assert_allclose(ours_data, gt_data, rtol=1e-6, atol=0)


@pytest.mark.parametrize("name", [n for n in REGULAR_SETS if "multiframe" not in n])
def test_dicom2nifti_sets_match_simpleitk(dicom_testdata, name):
    folder = dicom_testdata / D2N / name
    vol = read_dicom_image(folder)
    img = _sitk_series(folder)
    np.testing.assert_allclose(vol.array, sitk.GetArrayFromImage(img), rtol=1e-6, atol=0)
    np.testing.assert_allclose(vol.spacing, img.GetSpacing(), rtol=1e-9, atol=0)
    np.testing.assert_allclose(vol.origin, img.GetOrigin(), rtol=0, atol=1e-9)
    np.testing.assert_allclose(vol.direction, np.reshape(img.GetDirection(), (3, 3)), rtol=0,
                               atol=1e-9)


def test_compressed_sets_decode_identically(dicom_testdata):
    # The four codecs hold the same image (their ground truths are byte-identical).
    ref = read_dicom_image(dicom_testdata / D2N / "generic/compressed_rle/001")
    for codec in ("j2k", "jpeg", "jpegls"):
        vol = read_dicom_image(dicom_testdata / D2N / f"generic/compressed_{codec}/001")
        np.testing.assert_array_equal(vol.array, ref.array)
        assert vol.same_geometry(ref, tol=1e-9)
        assert vol.meta["transfer_syntax_uids"] != ref.meta["transfer_syntax_uids"]


def test_oblique_direction_kept_exact(dicom_testdata):
    folder = dicom_testdata / D2N / "hitachi/anatomical/001"
    vol = read_dicom_image(folder)
    (info,) = list_series(folder)
    # list_series gives the median step, the loader the mean step: rounded IPPs differ ~1e-6.
    np.testing.assert_allclose(info.spacing, vol.spacing, rtol=1e-5)
    ds = pydicom.dcmread(sorted(glob.glob(str(folder / "*")))[0], stop_before_pixels=True)
    iop = np.array([float(x) for x in ds.ImageOrientationPatient])
    np.testing.assert_allclose(vol.direction[:, 0], iop[:3], rtol=0, atol=1e-6)
    np.testing.assert_allclose(vol.direction[:, 1], iop[3:], rtol=0, atol=1e-6)
    np.testing.assert_allclose(vol.direction[:, 2], np.cross(iop[:3], iop[3:]), rtol=0,
                               atol=1e-6)


@pytest.mark.parametrize("name, match", [
    ("failing/gantrytilting/001", r"gantry tilt of 14.0 degrees detected.*not resampled"),
    ("failing/sliceincrement/002", r"gantry tilt of 15.5 degrees detected"),
    ("failing/notavolume/001", r"duplicate slice positions.*4 slices at"),
    ("failing/sliceincrement/001", r"missing slice.*gap of 10 mm.*expected 5 mm"),
    ("failing/sliceorientation/001", r"mixes slice orientations.*2 different"),
])
def test_dicom2nifti_failing_sets_raise(dicom_testdata, name, match):
    with pytest.raises(DicomError, match=match):
        read_dicom_image(dicom_testdata / D2N / name)


def test_enhanced_multiframe_without_shared_groups(dicom_testdata):
    vol = read_dicom_image(dicom_testdata / D2N / "siemens_multiframe/anatomical/001")
    assert vol.shape == (8, 256, 256)
    # Per-frame positions are rounded upstream: the mean step is 0.89998 mm.
    np.testing.assert_allclose(vol.spacing, (0.9375, 0.9375, 0.9), rtol=1e-4)
    assert sorted(vol.meta["frame_numbers"]) == list(range(1, 9))
    assert len(set(vol.meta["sop_instance_uids"])) == 1


# ------------------------------------------------------------------------ transfer syntaxes
def test_dcm_qa_ts_all_transfer_syntaxes_decode_identically(dicom_testdata):
    files = [dicom_testdata / "dcm_qa_ts/In" / f"{i}.dcm" for i in range(1, 10)]
    ref = read_frames(files[0])
    assert ref.shape == (1, 384, 384) and ref.dtype == np.uint16
    for f in files[1:]:
        np.testing.assert_array_equal(read_frames(f), ref)
    # A mosaic is not a slice: loading it as a volume is refused, with the way out.
    with pytest.raises(DicomError, match="mosaic images are not supported.*dcm2niix"):
        read_dicom_image(files[0])


def test_mr_small_in_every_transfer_syntax(dicom_testdata):
    ref = read_dicom_image(dicom_testdata / PYD / "MR_small.dcm")
    assert ref.shape == (1, 64, 64)
    for suffix in ("implicit", "bigendian", "expb", "RLE", "jp2klossless", "jpeg_ls_lossless",
                   "padded"):
        vol = read_dicom_image(dicom_testdata / PYD / f"MR_small_{suffix}.dcm")
        np.testing.assert_array_equal(vol.array, ref.array)
        assert vol.same_geometry(ref, tol=1e-9)


def test_emri_small_multiframe_variants(dicom_testdata):
    ref = read_dicom_image(dicom_testdata / PYDD / "emri_small.dcm")
    assert ref.shape == (10, 64, 64) and ref.array.dtype == np.uint16
    # No geometry in this file at all: loaded with defaults, and said so.
    assert ref.meta["warnings"] and "identity direction" in ref.meta["warnings"][0]
    assert ref.meta["frame_numbers"] == list(range(1, 11))
    for suffix in ("RLE", "big_endian", "jpeg_2k_lossless", "jpeg_ls_lossless"):
        vol = read_dicom_image(dicom_testdata / PYDD / f"emri_small_{suffix}.dcm")
        np.testing.assert_array_equal(vol.array, ref.array)


@pytest.mark.parametrize("a, b", [
    (f"{PYDD}/693_UNCR.dcm", f"{PYDD}/693_J2KR.dcm"),
    (f"{PYDD}/MR2_UNCR.dcm", f"{PYDD}/MR2_J2KR.dcm"),
    (f"{PYDD}/JPEG2000_UNC.dcm", f"{PYD}/JPEG2000.dcm"),
])
def test_lossless_twins_identical(dicom_testdata, a, b):
    va, vb = read_dicom_image(dicom_testdata / a), read_dicom_image(dicom_testdata / b)
    np.testing.assert_array_equal(va.array, vb.array)
    assert va.same_geometry(vb, tol=1e-9)


def test_deflate_and_lossy_jpeg(dicom_testdata):
    vol = read_dicom_image(dicom_testdata / PYD / "image_dfl.dcm")
    ds = pydicom.dcmread(dicom_testdata / PYD / "image_dfl.dcm")
    np.testing.assert_array_equal(vol.array[0], ds.pixel_array)
    assert vol.shape == (1, 512, 512) and vol.array.dtype == np.uint8
    vol = read_dicom_image(dicom_testdata / PYD / "JPGExtended.dcm")
    assert vol.shape == (1, 1024, 256)


@pytest.mark.parametrize("name, match", [
    (f"{PYD}/MR_truncated.dcm", r"cannot decode DICOM pixel data.*8130 vs 8192 bytes"),
    (f"{PYDD}/emri_small_jpeg_2k_lossless_too_short.dcm", r"DICOM file is truncated"),
    (f"{PYD}/no_meta.dcm", r"not a DICOM file"),
    (f"{PYD}/meta_missing_tsyntax.dcm", r"no DICOM image series"),
    (f"{PYD}/rtstruct.dcm", r"no DICOM image series.*RTSTRUCT"),
    (f"{PYD}/liver_1frame.dcm", r"no DICOM image series.*SEG"),
])
def test_broken_or_non_image_files_raise_cleanly(dicom_testdata, name, match):
    path = dicom_testdata / name
    with pytest.raises(DicomError, match=match) as info:
        read_dicom_image(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_no_crash_on_any_single_file(dicom_testdata):
    """Every small public file either loads or raises an InputError, never anything else."""
    files = sorted(glob.glob(str(dicom_testdata / PYD / "*.dcm")))
    files += sorted(glob.glob(str(dicom_testdata / "nibabel/**/*.dcm"), recursive=True))
    files += [str(dicom_testdata / PYDD / "eCT_Supplemental.dcm")]
    loaded = 0
    for f in files:
        try:
            vol = read_dicom_image(f)
        except InputError:
            continue
        assert vol.array.ndim == 3 and np.all(np.isfinite(vol.array))
        loaded += 1
    assert loaded >= 10


# ------------------------------------------------------------------------ values and geometry
def test_ct_small_in_hu(dicom_testdata):
    path = dicom_testdata / PYD / "CT_small.dcm"
    vol = read_dicom_image(path)
    ds = pydicom.dcmread(path)
    assert float(ds.RescaleIntercept) == -1024 and float(ds.RescaleSlope) == 1
    np.testing.assert_array_equal(vol.array[0], ds.pixel_array.astype(np.int32) - 1024)
    assert vol.units == "HU" and vol.array.dtype == np.int16
    np.testing.assert_allclose(vol.origin, [float(x) for x in ds.ImagePositionPatient],
                               rtol=0, atol=1e-9)
    np.testing.assert_allclose(vol.spacing[:2], (0.661468, 0.661468), rtol=1e-6)
    assert vol.meta["sop_instance_uids"] == [ds.SOPInstanceUID]


def test_decimal_rescale(dicom_testdata):
    path = glob.glob(str(dicom_testdata / "nibabel/**/decimal_rescale.dcm"), recursive=True)
    if not path:
        pytest.skip("nibabel decimal_rescale.dcm absent")
    vol = read_dicom_image(path[0])
    ds = pydicom.dcmread(path[0])
    np.testing.assert_array_equal(vol.array[0], ds.pixel_array.astype(np.int64) * 2 - 4096)
    assert np.issubdtype(vol.array.dtype, np.integer)


def test_enhanced_ct_and_legacy_converted(dicom_testdata):
    vol = read_dicom_image(dicom_testdata / PYDD / "eCT_Supplemental.dcm")
    assert vol.shape == (2, 512, 512) and vol.units == "HU"
    for phantom in ("23x38x3", "24x38x3"):
        base = dicom_testdata / "dcmqi/data/segmentations" / phantom
        single = read_dicom_image(base / "image")
        multi = read_dicom_image(base / "multiframe" / "mf.dcm")
        np.testing.assert_array_equal(multi.array, single.array)
        assert multi.same_geometry(single, tol=1e-6)
        assert multi.meta["frame_numbers"] == [1, 2, 3]
        img = _sitk_series(base / "image")
        np.testing.assert_array_equal(single.array, sitk.GetArrayFromImage(img))


def test_slice_spacing_from_positions_not_thickness(dicom_testdata):
    vol = read_dicom_image(dicom_testdata / "dcmqi/data/segmentations/ct-3slice")
    assert vol.spacing[2] == pytest.approx(1.0, rel=1e-9)
    assert vol.meta["slice_thickness"] == 1.25


def test_rt_utils_oblique_anisotropic(dicom_testdata):
    folder = dicom_testdata / "rt-utils/tests/oriented_data"
    vol = read_dicom_image(folder)
    img = _sitk_series(folder)
    assert vol.shape == (3, 50, 100)
    np.testing.assert_allclose(vol.spacing, img.GetSpacing(), rtol=1e-9)
    np.testing.assert_allclose(vol.spacing[:2], (2.5, 3.5), rtol=1e-9)
    np.testing.assert_allclose(vol.origin, img.GetOrigin(), rtol=0, atol=1e-9)
    np.testing.assert_allclose(vol.direction, np.reshape(img.GetDirection(), (3, 3)), rtol=0,
                               atol=1e-9)
    np.testing.assert_allclose(vol.array, sitk.GetArrayFromImage(img), rtol=1e-6, atol=0)
    assert vol.provenance.frame_of_reference_uid is None     # missing upstream


# ------------------------------------------------------------------------ series discovery
def test_dicomdir_folder_several_series(dicom_testdata):
    root = dicom_testdata / PYD / "dicomdirtests"
    infos = list_series(root)
    assert not any(os.path.basename(f) == "DICOMDIR" for i in infos for f in i.files)
    ct5n = [i for i in infos if any("CT5N" in f for f in i.files)]
    assert len(ct5n) == 1 and ct5n[0].n_frames == 5 and ct5n[0].size == (16, 16, 5)
    with pytest.raises(DicomError, match=r"several DICOM image series.*"
                                         rf"{ct5n[0].series_uid} \(CT, .*5 slices\).*series="):
        read_dicom_image(root)
    vol = read_dicom_image(root, series=ct5n[0].series_uid)
    assert vol.shape == (5, 16, 16)
    np.testing.assert_allclose(vol.spacing[2], 2.5, rtol=1e-6)
    assert vol.provenance.series_uid == ct5n[0].series_uid


@pytest.mark.parametrize("name, match", [
    ("98892003/MR700", r"mixes slice orientations.*7 different"),
    ("98892001/CT2N", r"mixes slice orientations"),
    ("77654033/CT2", r"missing slice|non-uniform"),
    ("98892003/MR1", r"several DICOM image series"),
])
def test_dicomdir_bad_series(dicom_testdata, name, match):
    with pytest.raises(DicomError, match=match):
        read_dicom_image(dicom_testdata / PYD / "dicomdirtests" / name)
