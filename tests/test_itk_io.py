"""NIfTI / NRRD / MHA reading and writing (rnpc_radiomics.io.itk).

Geometry oracle: nibabel's affine converted to LPS with diag(-1, -1, 1). On every nibabel test
file that SimpleITK reads, the two agree (max |difference| 0 to 1e-7 mm); the one file SimpleITK
cannot read at all is NIfTI-2 (``example_nifti2.nii.gz``), which we read through nibabel.
Geometry follows SimpleITK. ITK's NIfTI reader turns NaN voxels into 0
(``resampled_anat_moved.nii``: 153 NaN voxels in nibabel, 0 in SimpleITK); we put them back, so
NaN stays missing data and the feature engine refuses it instead of computing on fake zeros.
"""

from __future__ import annotations

import gzip
import os

import nibabel as nib
import numpy as np
import pytest
import SimpleITK as sitk

from rnpc_radiomics.errors import InputError
from rnpc_radiomics.image import Volume
from rnpc_radiomics.io import load_image, save_image
from rnpc_radiomics.io.itk import read_itk_image

LPS = np.diag([-1.0, -1.0, 1.0, 1.0])


@pytest.fixture(scope="module")
def nib_dir(dicom_testdata):
    return dicom_testdata / "nibabel" / "nibabel" / "tests" / "data"


def _rotation(a, b, c):
    ca, sa, cb, sb, cc, sc = np.cos(a), np.sin(a), np.cos(b), np.sin(b), np.cos(c), np.sin(c)
    return (np.array([[ca, -sa, 0], [sa, ca, 0], [0, 0, 1]])
            @ np.array([[cb, 0, sb], [0, 1, 0], [-sb, 0, cb]])
            @ np.array([[1, 0, 0], [0, cc, -sc], [0, sc, cc]]))


def _phantom(shape=(4, 5, 6)) -> np.ndarray:
    a = np.arange(np.prod(shape), dtype=np.int16).reshape(shape)
    a[0, 0, 0], a[-1, -1, -1], a[0, -1, 0], a[-1, 0, -1] = 1000, 2000, 3000, 4000
    return a


def _check_against_nibabel(vol: Volume, path) -> None:
    img = nib.load(str(path))
    np.testing.assert_allclose(vol.affine, LPS @ img.affine, rtol=0, atol=1e-4)
    data = np.transpose(np.asanyarray(img.dataobj), (2, 1, 0))
    # NaN voxels (resampled_anat_moved.nii has 153) stay NaN although ITK's reader zeroes them.
    np.testing.assert_array_equal(vol.array, data)


@pytest.mark.parametrize("name", ["anatomical.nii", "reoriented_anat_moved.nii",
                                  "resampled_anat_moved.nii", "standard.nii.gz"])
def test_nibabel_edge_cases_match_nibabel_affine_in_lps(nib_dir, name):
    vol = read_itk_image(nib_dir / name)
    _check_against_nibabel(vol, nib_dir / name)
    assert vol.modality is None and vol.units is None
    assert vol.provenance.source == str(nib_dir / name)


def test_big_endian_and_sform_only(nib_dir):
    big = read_itk_image(nib_dir / "anatomical.nii")  # >i2, qform/sform code 2
    assert big.array.dtype == np.int16 and big.shape == (25, 41, 33)
    std = read_itk_image(nib_dir / "standard.nii.gz")  # qform_code 0, sform_code 2
    assert std.spacing == pytest.approx((1.0, 3.0, 2.0), rel=0, abs=1e-9)
    assert int((std.array == 255).sum()) == 30 and int(std.array.sum()) == 7650


@pytest.mark.parametrize("name", ["example4d.nii.gz", "functional.nii", "example_nifti2.nii.gz"])
def test_4d_files_are_refused(nib_dir, name):
    with pytest.raises(InputError, match=r"4D image not supported .*" + name.replace(".", r"\.")):
        read_itk_image(nib_dir / name)


def test_4d_with_one_volume_is_read_as_3d(tmp_path):
    data = _phantom((6, 5, 4)).transpose(2, 1, 0)[..., None]  # (x, y, z, 1)
    aff = np.diag([2.0, 3.0, 4.0, 1.0])
    aff[:3, 3] = (10, -20, 30)
    nib.save(nib.Nifti1Image(data, aff), str(tmp_path / "one.nii.gz"))
    vol = read_itk_image(tmp_path / "one.nii.gz")
    assert vol.shape == (6, 5, 4)
    np.testing.assert_array_equal(vol.array, data[..., 0].transpose(2, 1, 0))
    np.testing.assert_allclose(vol.affine, LPS @ aff, rtol=0, atol=1e-6)


def test_nifti2_falls_back_to_nibabel(tmp_path):
    data = _phantom((3, 4, 5)).transpose(2, 1, 0)
    aff = np.eye(4)
    aff[:3, :3] = _rotation(0.2, 0.4, -0.3) * np.array([0.8, 1.2, 2.5])[None, :]
    aff[:3, 3] = (-30.5, 12.25, 7.0)
    nib.save(nib.Nifti2Image(data, aff), str(tmp_path / "v2.nii"))
    with pytest.raises(RuntimeError, match="Unable to determine ImageIO"):
        sitk.ReadImage(str(tmp_path / "v2.nii"))  # why the fallback exists
    vol = read_itk_image(tmp_path / "v2.nii")
    _check_against_nibabel(vol, tmp_path / "v2.nii")
    np.testing.assert_allclose(vol.spacing, (0.8, 1.2, 2.5), rtol=0, atol=1e-6)


@pytest.mark.parametrize("suffix", [".nii", ".nii.gz", ".nrrd", ".mha"])
def test_save_and_read_round_trip_oblique(tmp_path, suffix):
    src = Volume(_phantom(), spacing=(0.7, 1.1, 2.5), origin=(-120.5, 33.25, 80.0),
                 direction=_rotation(0.3, -0.2, 0.9))
    out = tmp_path / "sub" / f"img{suffix}"
    save_image(src, out)
    vol = read_itk_image(out)
    np.testing.assert_array_equal(vol.array, src.array)
    assert vol.array.dtype == np.int16
    # NIfTI stores the geometry as float32: 1e-5 mm / 1e-6 in direction cosines
    atol = 1e-4 if suffix.startswith(".nii") else 1e-9
    np.testing.assert_allclose(vol.spacing, src.spacing, rtol=0, atol=atol)
    np.testing.assert_allclose(vol.origin, src.origin, rtol=0, atol=atol)
    np.testing.assert_allclose(vol.direction, src.direction, rtol=0, atol=atol)
    assert vol.same_geometry(src, tol=1e-4)
    assert sorted(os.listdir(out.parent)) == [out.name]  # no temporary file left behind
    # same geometry as SimpleITK reports for the written file, exactly
    img = sitk.ReadImage(str(out))
    assert vol.origin == img.GetOrigin() and vol.spacing == img.GetSpacing()


def test_save_bool_as_uint8_and_load_image_dispatch(tmp_path):
    src = Volume(np.zeros((2, 3, 4), bool), spacing=(1, 2, 3))
    src.array[1, 2, 3] = True
    save_image(src, tmp_path / "m.nrrd")
    vol = load_image(tmp_path / "m.nrrd")  # the package-level dispatcher
    assert vol.array.dtype == np.uint8 and int(vol.array.sum()) == 1 and vol.array[1, 2, 3] == 1


def test_save_refuses_unknown_or_detached_formats(tmp_path):
    vol = Volume(np.zeros((2, 2, 2), np.uint8))
    for name in ("x.png", "x.nhdr", "x.mhd"):
        with pytest.raises(InputError, match=r"unsupported output format .*x\."):
            save_image(vol, tmp_path / name)
    assert os.listdir(tmp_path) == []


def test_failed_write_leaves_nothing(tmp_path, monkeypatch):
    def boom(*args, **kwargs):
        with open(args[1], "wb") as fh:
            fh.write(b"partial")
        raise RuntimeError("disk full")

    monkeypatch.setattr(sitk, "WriteImage", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        save_image(Volume(np.zeros((2, 2, 2), np.uint8)), tmp_path / "out.nii.gz")
    assert os.listdir(tmp_path) == []


def test_corrupt_missing_and_unsupported_files(tmp_path):
    good = tmp_path / "good.nii.gz"
    save_image(Volume(_phantom()), good)
    raw = gzip.decompress(good.read_bytes())
    bad = tmp_path / "truncated.nii"
    bad.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(InputError, match=r"cannot read image .*truncated\.nii"):
        read_itk_image(bad)
    junk = tmp_path / "junk.nrrd"
    junk.write_bytes(b"this is not an image")
    with pytest.raises(InputError, match=r"cannot read image .*junk\.nrrd"):
        read_itk_image(junk)
    with pytest.raises(InputError, match=r"image not found .*nothere\.nii"):
        read_itk_image(tmp_path / "nothere.nii")
    other = tmp_path / "pic.png"
    other.write_bytes(b"\x89PNG")
    with pytest.raises(InputError, match=r"unsupported image format .*pic\.png"):
        read_itk_image(other)


def test_vector_image_refused_and_2d_becomes_one_slice(tmp_path):
    sitk.WriteImage(sitk.Image([3, 4, 5], sitk.sitkVectorFloat32, 3), str(tmp_path / "v.mha"))
    with pytest.raises(InputError, match=r"unsupported image .*3 components"):
        read_itk_image(tmp_path / "v.mha")
    img2 = sitk.GetImageFromArray(np.arange(12, dtype=np.int16).reshape(3, 4))
    img2.SetSpacing((0.5, 0.25))
    sitk.WriteImage(img2, str(tmp_path / "flat.nrrd"))
    vol = read_itk_image(tmp_path / "flat.nrrd")
    assert vol.shape == (1, 3, 4) and vol.spacing[:2] == (0.5, 0.25)
    np.testing.assert_array_equal(vol.array[0], np.arange(12).reshape(3, 4))


def test_nrrd_ground_truth_geometry_is_lps(dicom_testdata):
    # dcmqi's NRRD is written in LPS ("space: left-posterior-superior"); ITK keeps it as is.
    p = dicom_testdata / "dcmqi" / "data" / "segmentations" / "liver_seg.nrrd"
    vol = read_itk_image(p)
    assert vol.shape == (3, 512, 512)
    np.testing.assert_allclose(vol.origin, (-235.2, -226.8, -128.69), rtol=0, atol=1e-3)
    assert int((vol.array != 0).sum()) == 107098


def test_nan_voxels_survive_itk_nifti_reader(tmp_path):
    a = np.ones((4, 5, 6), np.float32)
    a[1, 2, 3] = np.nan
    a[0, 0, 1] = np.inf
    path = tmp_path / "nan.nii.gz"
    nib.save(nib.Nifti1Image(np.transpose(a, (2, 1, 0)), np.eye(4)), str(path))
    vol = read_itk_image(path)
    assert np.isnan(vol.array[1, 2, 3]) and np.isposinf(vol.array[0, 0, 1])
    assert np.isfinite(vol.array).sum() == a.size - 2
