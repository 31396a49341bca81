"""load_mask: label maps on a reference grid, dispatch by content, error messages."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import SimpleITK as sitk

from rnpc_radiomics.errors import GeometryError, InputError, MaskError
from rnpc_radiomics.image import Volume
from rnpc_radiomics.io import load_mask as package_load_mask
from rnpc_radiomics.io.itk import save_image
from rnpc_radiomics.io.mask import load_mask, resample_to_reference

OBLIQUE = np.array([[0.0, 0.6, 0.8], [1.0, 0.0, 0.0], [0.0, 0.8, -0.6]])


@pytest.fixture
def ref() -> Volume:
    return Volume(np.zeros((4, 6, 8), np.int16), spacing=(0.8, 0.9, 2.0),
                  origin=(-250.0, 310.5, 480.0), direction=OBLIQUE, modality="CT", units="HU")


def _labels(shape=(4, 6, 8)) -> np.ndarray:
    a = np.zeros(shape, np.uint8)
    a[1:3, 1:4, 2:5] = 1
    a[3, 4:6, 6:8] = 3
    return a


def test_label_map_on_the_reference_grid(tmp_path, ref):
    save_image(ref.with_array(_labels()), tmp_path / "m.nii.gz")
    m = load_mask(tmp_path / "m.nii.gz", ref)
    assert m.array.dtype == np.uint8 and m.units == "label" and m.modality is None
    np.testing.assert_array_equal(m.array, _labels())
    # the result carries the reference geometry exactly (not the float32 NIfTI copy)
    assert m.origin == ref.origin and m.spacing == ref.spacing
    np.testing.assert_array_equal(m.direction, ref.direction)
    assert m.provenance.source == str(tmp_path / "m.nii.gz")
    one = package_load_mask(tmp_path / "m.nii.gz", ref, label=3)  # through rnpc_radiomics.io
    assert one.array.dtype == np.uint8 and int(one.array.sum()) == 4 and one.meta["label"] == 3


def test_absent_label_and_empty_mask(tmp_path, ref):
    save_image(ref.with_array(_labels()), tmp_path / "m.nrrd")
    with pytest.raises(MaskError, match=r"label 2 not in mask .*m\.nrrd.*labels present: 1, 3"):
        load_mask(tmp_path / "m.nrrd", ref, label=2)
    with pytest.raises(MaskError, match=r"invalid label .*expected an integer"):
        load_mask(tmp_path / "m.nrrd", ref, label="tumour")
    save_image(ref.with_array(np.zeros(ref.shape, np.uint8)), tmp_path / "empty.nrrd")
    with pytest.raises(MaskError, match=r"empty mask .*empty\.nrrd"):
        load_mask(tmp_path / "empty.nrrd", ref)
    with pytest.raises(MaskError, match=r"label 1 not in mask .*none \(the mask is empty\)"):
        load_mask(tmp_path / "empty.nrrd", ref, label=1)


def test_grid_mismatch_prints_both_geometries_and_hint(tmp_path, ref):
    shifted = ref.replace(origin=(ref.origin[0] + 0.5, ref.origin[1], ref.origin[2]))
    save_image(shifted.with_array(_labels()), tmp_path / "m.mha")
    with pytest.raises(GeometryError) as info:
        load_mask(tmp_path / "m.mha", ref)
    msg = str(info.value)
    assert "mask and image grids differ" in msg and "m.mha" in msg
    assert "origin=(-249.500, 310.500, 480.000)" in msg      # the mask's geometry
    assert "origin=(-250.000, 310.500, 480.000)" in msg      # the image's geometry
    assert "resample=True" in msg and "--resample-mask" in msg
    assert "\n" not in msg
    # within tolerance: accepted, and given the reference's exact geometry
    near = ref.replace(origin=(ref.origin[0] + 5e-4, ref.origin[1], ref.origin[2]))
    save_image(near.with_array(_labels()), tmp_path / "near.mha")
    m = load_mask(tmp_path / "near.mha", ref, tolerance=1e-3)
    assert m.origin == ref.origin
    with pytest.raises(GeometryError, match="grids differ"):
        load_mask(tmp_path / "near.mha", ref, tolerance=1e-4)


def test_resample_nearest_neighbour(tmp_path):
    ref = Volume(np.zeros((4, 8, 8), np.int16), spacing=(1.0, 1.0, 1.0), origin=(0, 0, 0))
    coarse = np.zeros((2, 4, 4), np.uint8)
    coarse[1, 1, 2] = 5
    coarse[0, 3, 0] = 2
    # coarse voxel centres at 0.5, 2.5, ... in fine index space: each covers 2 x 2 x 2
    low = Volume(coarse, spacing=(2.0, 2.0, 2.0), origin=(0.5, 0.5, 0.5))
    save_image(low, tmp_path / "coarse.nii.gz")
    with pytest.raises(GeometryError, match="grids differ"):
        load_mask(tmp_path / "coarse.nii.gz", ref)
    m = load_mask(tmp_path / "coarse.nii.gz", ref, resample=True)
    assert m.shape == ref.shape and m.same_geometry(ref, tol=0)
    expected = np.repeat(np.repeat(np.repeat(coarse, 2, 0), 2, 1), 2, 2)
    np.testing.assert_array_equal(m.array, expected)
    # the function itself, with an out-of-grid part -> 0
    big = Volume(np.ones((2, 2, 2), np.uint8), spacing=(1, 1, 1), origin=(6, 6, 2))
    r = resample_to_reference(big, ref)
    assert int(r.array.sum()) == 2 * 2 * 2 and r.array[2:4, 6:8, 6:8].all()


def test_label_values_and_types(tmp_path, ref):
    prob = ref.with_array(np.full(ref.shape, 0.25, np.float32))
    save_image(prob, tmp_path / "prob.nrrd")
    with pytest.raises(MaskError, match=r"non-integer values \(a probability map\?\)"):
        load_mask(tmp_path / "prob.nrrd", ref)
    as_float = ref.with_array(_labels().astype(np.float32))
    save_image(as_float, tmp_path / "f.nrrd")
    m = load_mask(tmp_path / "f.nrrd", ref)
    assert m.array.dtype == np.uint8
    np.testing.assert_array_equal(m.array, _labels())
    big = _labels().astype(np.int32) * 1000
    save_image(ref.with_array(big), tmp_path / "big.nrrd")
    assert load_mask(tmp_path / "big.nrrd", ref).array.dtype == np.int32
    neg = _labels().astype(np.int16)
    neg[0, 0, 0] = -1
    save_image(ref.with_array(neg), tmp_path / "neg.nrrd")
    with pytest.raises(MaskError, match="negative label -1"):
        load_mask(tmp_path / "neg.nrrd", ref)


def test_dispatch_errors(tmp_path, ref, dicom_testdata):
    with pytest.raises(MaskError, match=r"mask not found .*nope\.nii"):
        load_mask(tmp_path / "nope.nii", ref)
    (tmp_path / "notes.txt").write_text("not a mask")
    with pytest.raises(MaskError, match=r"unsupported mask file .*notes\.txt"):
        load_mask(tmp_path / "notes.txt", ref)
    ct = dicom_testdata / "highdicom" / "data" / "test_files" / "ct_image.dcm"
    with pytest.raises(MaskError, match=r"not a mask .*ct_image\.dcm.*DICOM CT"):
        load_mask(ct, ref)
    empty = tmp_path / "emptydir"
    empty.mkdir()
    with pytest.raises(MaskError, match=r"no mask in folder"):
        load_mask(empty, ref)
    two = tmp_path / "two"
    two.mkdir()
    segs = dicom_testdata / "dcmqi" / "data" / "segmentations"
    shutil.copy(segs / "liver.dcm", two / "a.dcm")
    shutil.copy(segs / "partial_overlaps.dcm", two / "b")
    with pytest.raises(MaskError, match=r"several masks in folder .*a\.dcm \(SEG\), b \(SEG\)"):
        load_mask(two, ref)
    bad = tmp_path / "bad.nii.gz"
    bad.write_bytes(b"\x1f\x8b garbage")
    with pytest.raises(MaskError, match=r"cannot read mask .*bad\.nii\.gz"):
        load_mask(bad, ref)
    img4 = sitk.JoinSeries([sitk.Image([3, 3, 3], sitk.sitkUInt8)] * 2)
    sitk.WriteImage(img4, str(tmp_path / "four.nii.gz"))
    with pytest.raises(MaskError, match=r"cannot read mask .*four\.nii\.gz.*4D image not"):
        load_mask(tmp_path / "four.nii.gz", ref)
    assert issubclass(MaskError, InputError)
    with pytest.raises(TypeError, match="reference must be a Volume"):
        load_mask(bad, sitk.Image(2, 2, 2, sitk.sitkUInt8))


def test_folder_with_rtstruct_and_images(tmp_path, dicom_testdata):
    """A DICOM folder holding CT slices and one RTSTRUCT: the RTSTRUCT is found by content."""
    mock = dicom_testdata / "rt-utils" / "tests" / "mock_data"
    folder = tmp_path / "study"
    folder.mkdir()
    for name in ("ct_1.dcm", "ct_2.dcm"):
        shutil.copy(mock / name, folder / name)
    shutil.copy(mock / "rt.dcm", folder / "IM0003")  # no extension
    from test_seg import sitk_reference

    ref = sitk_reference(folder)
    m = load_mask(folder, ref)
    assert m.modality == "RTSTRUCT" and int(m.array.sum()) == 1443
