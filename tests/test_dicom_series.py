"""DICOM series written in the tests (known geometry) read back by our reader and by SimpleITK."""

from __future__ import annotations

import os
import shutil

import numpy as np
import pydicom
import pytest
import SimpleITK as sitk
from dicom_factory import (
    CORNER_VALUES,
    edit_file,
    orientation_phantom,
    random_direction,
    write_series,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rnpc_radiomics.errors import DicomError, InputError
from rnpc_radiomics.image import Volume
from rnpc_radiomics.io import list_series, load_image
from rnpc_radiomics.io.dicom import read_dicom_image
from rnpc_radiomics.io.dicom_write import write_dicom_series

# Geometry tolerances: DS strings hold 16 characters, so positions and cosines written by
# the writer round-trip to ~1e-12 relative; 1e-6 leaves room and still catches any real error.
GEOM_ATOL = 1e-6

OBLIQUE = np.array([[0.8660254037844387, -0.5, 0.0],
                    [0.4330127018922193, 0.75, -0.5],
                    [0.25, 0.4330127018922193, 0.8660254037844387]])


def _sitk_read(folder, series_uid=None):
    reader = sitk.ImageSeriesReader()
    files = (reader.GetGDCMSeriesFileNames(str(folder), series_uid) if series_uid
             else reader.GetGDCMSeriesFileNames(str(folder)))
    reader.SetFileNames(files)
    return reader.Execute()


def _assert_same_as_sitk(vol: Volume, img) -> None:
    ref = sitk.GetArrayFromImage(img)
    assert vol.array.shape == ref.shape
    np.testing.assert_allclose(vol.array, ref, rtol=1e-6, atol=0)
    np.testing.assert_allclose(vol.spacing, img.GetSpacing(), rtol=1e-9, atol=GEOM_ATOL)
    np.testing.assert_allclose(vol.origin, img.GetOrigin(), rtol=0, atol=GEOM_ATOL)
    np.testing.assert_allclose(vol.direction, np.reshape(img.GetDirection(), (3, 3)), rtol=0,
                               atol=GEOM_ATOL)


def _assert_geometry(vol: Volume, spacing, origin, direction) -> None:
    np.testing.assert_allclose(vol.spacing, spacing, rtol=1e-9, atol=GEOM_ATOL)
    np.testing.assert_allclose(vol.origin, origin, rtol=0, atol=GEOM_ATOL)
    np.testing.assert_allclose(vol.direction, direction, rtol=0, atol=GEOM_ATOL)


# ------------------------------------------------------------------------ geometry and values
def test_known_geometry_shuffled_names_and_instance_numbers(tmp_path):
    a = orientation_phantom((6, 5, 4)) * 3 - 700      # HU, some negative
    paths = write_series(tmp_path / "ct", a, (0.7, 0.9, 2.5), (-12.5, 30.25, -101.0),
                         shuffle=True, seed=3)
    # Reverse the InstanceNumbers and make file-name order differ from slice order: the reader
    # must sort by position along the normal only.
    for k, p in enumerate(paths):
        edit_file(p, InstanceNumber=len(paths) - k)
    assert sorted(paths) != paths
    vol = read_dicom_image(tmp_path / "ct")
    np.testing.assert_array_equal(vol.array, a)
    assert vol.array.dtype == np.int16
    _assert_geometry(vol, (0.7, 0.9, 2.5), (-12.5, 30.25, -101.0), np.eye(3))
    assert vol.modality == "CT" and vol.units == "HU"
    uids = [pydicom.dcmread(p, stop_before_pixels=True).SOPInstanceUID for p in paths]
    assert vol.meta["sop_instance_uids"] == uids
    assert vol.meta["frame_numbers"] == [None] * len(paths)


def test_written_series_matches_simpleitk_orientation_phantom(tmp_path):
    a = orientation_phantom((5, 7, 9), background=-1000)
    write_series(tmp_path / "ph", a, (0.8, 1.1, 3.0), (10.0, -20.0, 35.5), OBLIQUE, "CT")
    vol = read_dicom_image(tmp_path / "ph")
    for (k, j, i), v in CORNER_VALUES.items():
        assert vol.array[k, j, i] == v
    np.testing.assert_array_equal(vol.array, a)
    _assert_geometry(vol, (0.8, 1.1, 3.0), (10.0, -20.0, 35.5), OBLIQUE)
    _assert_same_as_sitk(vol, _sitk_read(tmp_path / "ph"))
    # The physical position of a corner voxel agrees with SimpleITK's own mapping.
    img = _sitk_read(tmp_path / "ph")
    np.testing.assert_allclose(vol.index_to_physical((8, 6, 4)),
                               img.TransformIndexToPhysicalPoint((8, 6, 4)), rtol=0,
                               atol=GEOM_ATOL)


@pytest.mark.parametrize("modality", ["CT", "MR"])
def test_float_values_use_rescale(tmp_path, modality):
    rng = np.random.default_rng(1)
    a = rng.normal(200.0, 50.0, size=(3, 6, 5))
    write_series(tmp_path / "f", a, (1.0, 1.0, 2.0), modality=modality)
    vol = read_dicom_image(tmp_path / "f")
    assert vol.array.dtype == np.float32
    # One series-wide linear map onto 16 bits: error <= half a quantisation step.
    step = (a.max() - a.min()) / 65535
    np.testing.assert_allclose(vol.array, a, rtol=0, atol=0.51 * step + 1e-4)
    _assert_same_as_sitk(vol, _sitk_read(tmp_path / "f"))


def test_mr_units_and_uint16(tmp_path):
    a = (orientation_phantom((3, 4, 5)) + 10).astype(np.uint16)
    write_series(tmp_path / "mr", a, modality="MR")
    vol = load_image(tmp_path / "mr")
    assert vol.modality == "MR" and vol.units == "arbitrary"
    assert vol.array.dtype == np.uint16
    np.testing.assert_array_equal(vol.array, a)


def test_dicom_and_nifti_of_the_same_volume_are_identical(tmp_path):
    a = orientation_phantom((4, 6, 5), background=-50)
    src = Volume(a, spacing=(0.6, 0.75, 2.0), origin=(-3.0, 4.5, 60.0), direction=OBLIQUE)
    write_dicom_series(src, tmp_path / "dcm", modality="CT")
    sitk.WriteImage(src.to_sitk(), str(tmp_path / "v.nii.gz"))
    from_dcm = load_image(tmp_path / "dcm")
    from_nii = Volume.from_sitk(sitk.ReadImage(str(tmp_path / "v.nii.gz")))
    np.testing.assert_array_equal(from_dcm.array, from_nii.array)
    # NIfTI stores the affine in float32 (sform), hence the looser 1e-4 mm.
    assert from_dcm.same_geometry(from_nii, tol=1e-4)


def test_dicom_and_nifti_through_load_image(tmp_path):
    pytest.importorskip("rnpc_radiomics.io.itk")
    a = orientation_phantom((3, 5, 4))
    src = Volume(a, spacing=(1.0, 1.5, 2.0), origin=(1.0, 2.0, 3.0), direction=np.eye(3))
    write_dicom_series(src, tmp_path / "dcm", modality="CT")
    sitk.WriteImage(src.to_sitk(), str(tmp_path / "v.nii.gz"))
    d, n = load_image(tmp_path / "dcm"), load_image(tmp_path / "v.nii.gz")
    np.testing.assert_array_equal(d.array, n.array)
    assert d.same_geometry(n, tol=1e-4)


def test_single_slice_series(tmp_path):
    a = orientation_phantom((1, 4, 6))
    write_series(tmp_path / "one", a, (0.5, 0.5, 3.0), (1.0, 2.0, 3.0))
    vol = read_dicom_image(tmp_path / "one")
    assert vol.shape == (1, 4, 6)
    assert vol.spacing[2] == pytest.approx(3.0, rel=1e-12)   # SpacingBetweenSlices
    edit_file(next((tmp_path / "one").iterdir()), SpacingBetweenSlices=None)
    assert read_dicom_image(tmp_path / "one").spacing[2] == pytest.approx(3.0, rel=1e-12)
    edit_file(next((tmp_path / "one").iterdir()), SliceThickness=None)
    assert read_dicom_image(tmp_path / "one").spacing[2] == 1.0


def test_rescale_dtype_rules(tmp_path):
    a = orientation_phantom((2, 3, 4))
    paths = write_series(tmp_path / "r", a, modality="CT")
    # Non-integral intercept on one slice: float32, exact to float32 precision.
    edit_file(paths[1], RescaleIntercept="-1023.5")
    vol = read_dicom_image(tmp_path / "r")
    assert vol.array.dtype == np.float32
    expected = a.astype(np.float64)
    expected[1] += 0.5
    np.testing.assert_allclose(vol.array, expected, rtol=0, atol=1e-3)


# ------------------------------------------------------------------------ several series
def test_two_series_in_one_folder(tmp_path):
    a = orientation_phantom((3, 4, 5))
    p1 = write_series(tmp_path, a, modality="CT", series_description="bone", seed=1)
    p2 = write_series(tmp_path, (a + 5).astype(np.uint16), modality="MR",
                      series_description="t1 post", seed=2)
    uid_ct = pydicom.dcmread(p1[0], stop_before_pixels=True).SeriesInstanceUID
    uid_mr = pydicom.dcmread(p2[0], stop_before_pixels=True).SeriesInstanceUID
    infos = list_series(tmp_path)
    assert {i.series_uid for i in infos} == {uid_ct, uid_mr}
    ct = next(i for i in infos if i.modality == "CT")
    assert ct.size == (5, 4, 3) and ct.n_files == 3 and ct.n_frames == 3 and ct.is_image
    assert ct.description == "bone"
    np.testing.assert_allclose(ct.spacing, (1.0, 1.0, 1.0), rtol=1e-9)
    with pytest.raises(DicomError, match=r"several DICOM image series.*found 2.*"
                                         rf"{uid_ct}.*'bone', 3 slices.*series="):
        read_dicom_image(tmp_path)
    np.testing.assert_array_equal(read_dicom_image(tmp_path, series=uid_mr).array, a + 5)
    np.testing.assert_array_equal(read_dicom_image(tmp_path, modality="CT").array, a)
    with pytest.raises(DicomError, match="DICOM series not found.*1.2.3.4"):
        read_dicom_image(tmp_path, series="1.2.3.4")
    with pytest.raises(DicomError, match="no PT image series"):
        read_dicom_image(tmp_path, modality="PET")


def test_non_image_objects_listed_not_loaded(tmp_path):
    a = orientation_phantom((2, 3, 4))
    paths = write_series(tmp_path / "s", a)
    # A minimal RTSTRUCT-like object and junk files beside the image series.
    ds = pydicom.dcmread(paths[0], stop_before_pixels=True)
    ds.Modality = "RTSTRUCT"
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.481.3"
    ds.SeriesInstanceUID = pydicom.uid.generate_uid()
    for kw in ("Rows", "Columns", "BitsAllocated"):
        delattr(ds, kw)
    ds.save_as(tmp_path / "s" / "rt.dcm", enforce_file_format=True)
    (tmp_path / "s" / "notes.txt").write_text("not dicom")
    (tmp_path / "s" / "DICOMDIR").write_bytes(b"\0" * 200)
    infos = list_series(tmp_path / "s")
    assert [i.modality for i in infos] == ["CT", "RTSTRUCT"]
    assert not infos[1].is_image and "not an image" in infos[1].summary()
    np.testing.assert_array_equal(read_dicom_image(tmp_path / "s").array, a)
    with pytest.raises(DicomError, match="is not an image.*RTSTRUCT"):
        read_dicom_image(tmp_path / "s", series=infos[1].series_uid)
    with pytest.raises(DicomError, match="no DICOM image series.*RTSTRUCT"):
        read_dicom_image(tmp_path / "s" / "rt.dcm")


# ------------------------------------------------------------------------ bad series
def test_missing_slice_is_an_error_naming_the_gap(tmp_path):
    a = orientation_phantom((6, 3, 4))
    paths = write_series(tmp_path / "m", a, (1.0, 1.0, 2.5), (0.0, 0.0, -10.0))
    os.remove(paths[3])
    with pytest.raises(DicomError, match=r"missing slice.*gap of 5 mm between slices at -5 "
                                         r"and 0 mm.*expected 2.5 mm: 1 slice"):
        read_dicom_image(tmp_path / "m")


def test_non_uniform_spacing_is_an_error(tmp_path):
    paths = write_series(tmp_path / "n", orientation_phantom((4, 3, 4)), (1.0, 1.0, 2.0))
    edit_file(paths[3], ImagePositionPatient=[0, 0, 6.7])
    with pytest.raises(DicomError, match="non-uniform slice spacing.*from 2 to 2.7 mm"):
        read_dicom_image(tmp_path / "n")


def test_duplicate_slice_is_an_error(tmp_path):
    paths = write_series(tmp_path / "d", orientation_phantom((4, 3, 4)))
    dup = tmp_path / "d" / "copy.dcm"
    shutil.copy(paths[2], dup)
    edit_file(dup, SOPInstanceUID=pydicom.uid.generate_uid())
    with pytest.raises(DicomError, match="duplicate slice positions.*2 slices at 2 mm"):
        read_dicom_image(tmp_path / "d")


def test_mixed_orientation_is_an_error(tmp_path):
    paths = write_series(tmp_path / "o", orientation_phantom((3, 3, 4)))
    edit_file(paths[1], ImageOrientationPatient=[1, 0, 0, 0, 0, -1])
    with pytest.raises(DicomError, match="mixes slice orientations.*2 different"):
        read_dicom_image(tmp_path / "o")


def test_gantry_tilt_is_an_error_with_the_angle(tmp_path):
    # Shift each slice along y by tan(20 deg) * dz, as a tilted CT gantry does.
    paths = write_series(tmp_path / "t", orientation_phantom((4, 3, 4)), (0.5, 0.5, 2.0))
    for k, p in enumerate(paths):
        edit_file(p, ImagePositionPatient=[0.0, round(2.0 * k * np.tan(np.radians(20)), 6),
                                          2.0 * k])
    with pytest.raises(DicomError, match=r"gantry tilt of 20.0 degrees detected"):
        read_dicom_image(tmp_path / "t")


def test_truncated_and_junk_files(tmp_path):
    paths = write_series(tmp_path / "x", orientation_phantom((3, 3, 4)))
    data = open(paths[1], "rb").read()
    with open(paths[1], "wb") as fh:
        fh.write(data[:-10])
    with pytest.raises(DicomError, match=rf"cannot decode DICOM pixel data \({paths[1]}\)"):
        read_dicom_image(tmp_path / "x")
    junk = tmp_path / "junk.dcm"
    junk.write_bytes(b"hello, not dicom" * 20)
    with pytest.raises(DicomError, match="not a DICOM file"):
        read_dicom_image(junk)
    (tmp_path / "empty").mkdir()
    with pytest.raises(DicomError, match="no DICOM files found"):
        read_dicom_image(tmp_path / "empty")
    with pytest.raises(InputError, match="not found"):
        read_dicom_image(tmp_path / "nope")


def test_phi_only_on_request(tmp_path):
    write_series(tmp_path / "p", orientation_phantom((2, 3, 4)), patient_name="DOE^JANE",
                 patient_id="MRN123")
    vol = read_dicom_image(tmp_path / "p")
    assert "DOE" not in repr(vol.meta) and "MRN123" not in repr(vol.meta)
    assert "DOE" not in repr(vol.provenance)
    vol = read_dicom_image(tmp_path / "p", keep_phi=True)
    assert vol.meta["patient_name"] == "DOE^JANE" and vol.meta["patient_id"] == "MRN123"
    assert vol.provenance.series_uid and vol.provenance.frame_of_reference_uid
    assert vol.provenance.source == str(tmp_path / "p")


# ------------------------------------------------------------------------ the writer
def test_writer_output_is_valid_dicom(tmp_path):
    a = orientation_phantom((2, 3, 4))
    paths = write_series(tmp_path / "w", a, shuffle=False, series_uid="1.2.3.4.5",
                         frame_of_reference_uid="1.2.3.4.6")
    assert [os.path.basename(p) for p in paths] == ["IM00001.dcm", "IM00002.dcm"]
    ds = pydicom.dcmread(paths[0])
    assert ds.file_meta.TransferSyntaxUID == pydicom.uid.ExplicitVRLittleEndian
    assert ds.SOPClassUID == "1.2.840.10008.5.1.4.1.1.2"
    assert ds.SeriesInstanceUID == "1.2.3.4.5" and ds.FrameOfReferenceUID == "1.2.3.4.6"
    assert ds.RescaleIntercept == -1024 and ds.PixelRepresentation == 1
    # No temporary staging folder is left behind.
    assert sorted(os.listdir(tmp_path)) == ["w"]


def test_writer_never_overwrites_another_series(tmp_path):
    a = orientation_phantom((2, 3, 4))
    write_series(tmp_path / "c", a, shuffle=False, series_uid="1.2.3.1")
    # Same series again: replaced in place.
    write_series(tmp_path / "c", a + 1, shuffle=False, series_uid="1.2.3.1")
    np.testing.assert_array_equal(read_dicom_image(tmp_path / "c").array, a + 1)
    with pytest.raises(FileExistsError, match="belongs to another series"):
        write_series(tmp_path / "c", a, shuffle=False, series_uid="1.2.3.2")
    np.testing.assert_array_equal(read_dicom_image(tmp_path / "c").array, a + 1)


def test_writer_rejects_bad_input(tmp_path):
    v = Volume(np.zeros((2, 2, 2)), direction=np.diag([1.0, 1.0, -1.0]))
    with pytest.raises(ValueError, match="right-handed"):
        write_dicom_series(v, tmp_path, modality="CT")
    with pytest.raises(ValueError, match="modality must be one of"):
        write_dicom_series(Volume(np.zeros((2, 2, 2))), tmp_path, modality="US")
    with pytest.raises(ValueError, match="PT series need pet="):
        write_dicom_series(Volume(np.zeros((2, 2, 2))), tmp_path, modality="PT")


# ------------------------------------------------------------------------ property test
@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(seed=st.integers(0, 2**31 - 1),
       spacing=st.tuples(*[st.floats(0.2, 6.0, allow_nan=False)] * 3),
       origin=st.tuples(*[st.floats(-400.0, 400.0, allow_nan=False)] * 3),
       nz=st.integers(1, 4))
def test_random_geometry_round_trips_exactly(tmp_path_factory, seed, spacing, origin, nz):
    rng = np.random.default_rng(seed)
    d = random_direction(rng)
    a = rng.integers(-1000, 3000, size=(nz, 3, 4)).astype(np.int16)
    folder = tmp_path_factory.mktemp("h")
    write_series(folder, a, spacing, origin, d, "CT", seed=seed)
    vol = read_dicom_image(folder)
    np.testing.assert_array_equal(vol.array, a)
    # DS strings carry ~15 significant digits, so 1e-6 mm / 1e-9 relative is "exact".
    np.testing.assert_allclose(vol.spacing, spacing, rtol=1e-9, atol=0)
    np.testing.assert_allclose(vol.origin, origin, rtol=0, atol=GEOM_ATOL)
    np.testing.assert_allclose(vol.direction, d, rtol=0, atol=1e-9)
