"""DICOM-SEG reading (rnpc_radiomics.io.seg) against dcmqi and highdicom ground truth.

Counts come from ``../shared/dicom-testdata/README.md`` sections 6 and 7 (verified there with
pydicom and the NRRD ground truth); comparisons are exact (integers).
"""

from __future__ import annotations

import logging
import shutil

import numpy as np
import pydicom
import pytest
import SimpleITK as sitk

from rnpc_radiomics.errors import GeometryError, MaskError
from rnpc_radiomics.image import Provenance, Volume
from rnpc_radiomics.io.mask import load_mask
from rnpc_radiomics.io.seg import list_segments, read_seg, read_seg_labelmap


def sitk_reference(files_or_folder, *, source=True) -> Volume:
    """Reference image read with SimpleITK's series reader (independent of our DICOM reader)."""
    r = sitk.ImageSeriesReader()
    if isinstance(files_or_folder, (list, tuple)):
        files = sorted(map(str, files_or_folder),
                       key=lambda f: float(pydicom.dcmread(f, stop_before_pixels=True)
                                           .ImagePositionPatient[2]))
        src = str(files[0]).rsplit("/", 1)[0]
    else:
        files = r.GetGDCMSeriesFileNames(str(files_or_folder))
        src = str(files_or_folder)
    r.SetFileNames(list(files))
    return Volume.from_sitk(r.Execute(), provenance=Provenance(source=src if source else None))


@pytest.fixture(scope="module")
def segs(dicom_testdata):
    return dicom_testdata / "dcmqi" / "data" / "segmentations"


@pytest.fixture(scope="module")
def hd(dicom_testdata):
    return dicom_testdata / "highdicom" / "data" / "test_files"


@pytest.fixture(scope="module")
def ct3(segs):
    return sitk_reference(segs / "ct-3slice")


@pytest.fixture(scope="module")
def ct2(dicom_testdata):
    """The 3 regular slices of pydicom's CT2 (the 4th, at z=-99.48, is an outlier)."""
    folder = dicom_testdata / "pydicom" / "test_files" / "dicomdirtests" / "77654033" / "CT2"
    files = [f for f in folder.iterdir()
             if float(pydicom.dcmread(f, stop_before_pixels=True).ImagePositionPatient[2]) > 0]
    assert len(files) == 3
    return sitk_reference(files)


def test_liver_binary_matches_nrrd(segs, ct3):
    m = load_mask(segs / "liver.dcm", ct3)
    gt = sitk.GetArrayFromImage(sitk.ReadImage(str(segs / "liver_seg.nrrd")))
    assert m.array.dtype == np.uint8 and m.modality == "SEG" and m.units == "label"
    np.testing.assert_array_equal(m.array, (gt != 0).astype(np.uint8))
    assert int(m.array.sum()) == 107098
    assert m.array.sum(axis=(1, 2)).tolist() == [36233, 35645, 35220]
    assert m.same_geometry(ct3, tol=0)
    assert m.meta == {"segment_number": 1, "segment_label": "Liver",
                      "segmentation_type": "BINARY"}
    assert m.provenance.frame_of_reference_uid == \
        "1.2.392.200103.20080913.113635.3.2009.6.22.21.44.34.23882.1"


def test_partial_overlaps_per_segment(segs, ct3):
    expected = {1: 9602, 2: 11888, 3: 10743, 4: 6693, 5: 4713}
    gts = [sitk.GetArrayFromImage(sitk.ReadImage(str(segs / f"partial_overlaps-{i}.nrrd")))
           for i in (1, 2, 3)]
    for number, count in expected.items():
        m = read_seg(segs / "partial_overlaps.dcm", ct3, segment=number)
        assert int(m.array.sum()) == count
        in_gt = np.zeros(ct3.shape, bool)
        for g in gts:
            in_gt |= g == number
        np.testing.assert_array_equal(m.array.astype(bool), in_gt)
    by_label = read_seg(segs / "partial_overlaps.dcm", ct3, segment="light_blue")
    assert int(by_label.array.sum()) == 6693 and by_label.meta["segment_number"] == 4
    assert list_segments(segs / "partial_overlaps.dcm") == [
        (1, "GREEN"), (2, "ORANGE"), (3, "PURPLE"), (4, "LIGHT_BLUE"), (5, "DARK_BLUE")]


def test_several_segments_need_a_choice(segs, ct3):
    with pytest.raises(MaskError, match=r"several segments .*1 'GREEN', 2 'ORANGE'.*DARK_BLUE"):
        load_mask(segs / "partial_overlaps.dcm", ct3)
    with pytest.raises(MaskError, match=r"segment 'RED' not found .*segments: 1 'GREEN'"):
        load_mask(segs / "partial_overlaps.dcm", ct3, segment="RED")
    with pytest.raises(MaskError, match=r"segment 9 not found"):
        load_mask(segs / "partial_overlaps.dcm", ct3, label=9)


@pytest.mark.parametrize("size,count", [("23x38x3", 322), ("24x38x3", 315)])
def test_bit_packing_and_seg_extension(segs, size, count):
    ref = sitk_reference(segs / size / "image")
    m = load_mask(segs / size / "seg" / "label.seg", ref)  # sniffed, not by extension
    gt = sitk.GetArrayFromImage(sitk.ReadImage(str(segs / size / "nrrd" / "label.nrrd")))
    # 23x38 = 874 px per frame: frames 2 and 3 do not start on a byte boundary (24x38 do)
    assert ((38 * int(size[:2])) % 8 != 0) == (size == "23x38x3")
    np.testing.assert_array_equal(m.array, (gt != 0).astype(np.uint8))
    assert int(m.array.sum()) == count
    # a folder holding the one SEG works too
    m2 = load_mask(segs / size / "seg", ref)
    np.testing.assert_array_equal(m2.array, m.array)


@pytest.mark.parametrize("name,gt_name,fill", [
    ("sparse-labelmap-noppv.dcm", "sparse_labelmap_noppv_seg.nrrd", 0),
    ("sparse-labelmap-ppv5.dcm", "sparse_labelmap_ppv5_seg.nrrd", 5)])
def test_sparse_labelmap(segs, name, gt_name, fill):
    ref = sitk_reference(segs / "24x38x3" / "image")
    lm = read_seg_labelmap(segs / name, ref)
    gt = sitk.GetArrayFromImage(sitk.ReadImage(str(segs / gt_name)))
    np.testing.assert_array_equal(lm.array, gt)
    assert (lm.array[1] == fill).all()  # the slice without a frame
    assert int((lm.array != 0).sum()) == (630 if fill == 0 else 630 + 912)
    m = load_mask(segs / name, ref)  # segment 0 is the background: Liver is the only choice
    assert int(m.array.sum()) == 630 and m.meta["segmentation_type"] == "LABELMAP"
    assert m.array[1].sum() == 0
    with pytest.raises(MaskError, match="not a LABELMAP"):
        read_seg_labelmap(segs / "24x38x3" / "seg" / "label.seg", ref)


def test_highdicom_binary_and_fractional(hd, ct2, caplog):
    for name in ("seg_image_ct_binary.dcm", "seg_image_ct_binary_fractional.dcm",
                 "seg_image_ct_true_fractional.dcm"):
        m = load_mask(hd / name, ct2)
        # true_fractional: values up to 128/255 = 0.502 >= 0.5, so the thresholded masks agree
        assert m.array.sum(axis=(1, 2)).tolist() == [127, 256, 255], name
    frac = read_seg(hd / "seg_image_ct_true_fractional.dcm", ct2, threshold=None)
    assert frac.array.dtype == np.float32 and frac.units == "fraction"
    assert (frac.array > 0).sum(axis=(1, 2)).tolist() == [149, 256, 256]
    assert float(frac.array.max()) == pytest.approx(128 / 255, rel=0, abs=1e-6)
    with pytest.raises(MaskError, match="is empty on the image grid"):
        read_seg(hd / "seg_image_ct_true_fractional.dcm", ct2, threshold=0.6)  # all <= 0.502
    with caplog.at_level(logging.WARNING, logger="rnpc_radiomics.io.seg"):
        for number, per in ((1, 16), (2, 4)):
            m = load_mask(hd / "seg_image_ct_binary_overlap.dcm", ct2, segment=number)
            assert m.array.sum(axis=(1, 2)).tolist() == [per] * 3
    # the 4th frame of each segment is on the outlier slice z=-99.48, outside this reference
    assert "outside the image" in caplog.text


def test_single_frame_on_ct_image(hd):
    ref = Volume.from_sitk(sitk.ReadImage(str(hd / "ct_image.dcm")),
                           provenance=Provenance(source=str(hd / "ct_image.dcm")))
    m = load_mask(hd / "seg_image_ct_binary_single_frame.dcm", ref)
    assert int(m.array.sum()) == 1832


def test_placement_by_uid_list_and_by_position(segs, ct3):
    ds = pydicom.dcmread(segs / "liver.dcm", stop_before_pixels=True)
    # positions only: no source folder, no UID list
    bare = sitk_reference(segs / "ct-3slice", source=False)
    by_pos = load_mask(segs / "liver.dcm", bare)
    assert by_pos.array.sum(axis=(1, 2)).tolist() == [36233, 35645, 35220]
    # a UID list in meta (what the DICOM loader provides) takes precedence over positions:
    # give it reversed, and the frames follow the UIDs
    uids = [str(f.DerivationImageSequence[0].SourceImageSequence[0].ReferencedSOPInstanceUID)
            for f in ds.PerFrameFunctionalGroupsSequence]
    rev = bare.replace(meta={"sop_instance_uids": uids[::-1]})
    by_uid = load_mask(segs / "liver.dcm", rev)
    assert by_uid.array.sum(axis=(1, 2)).tolist() == [35220, 35645, 36233]


def test_with_our_dicom_reader(segs):
    dicom = pytest.importorskip("rnpc_radiomics.io.dicom")
    ref = dicom.read_dicom_image(segs / "ct-3slice")
    m = load_mask(segs / "liver.dcm", ref)
    assert m.array.sum(axis=(1, 2)).tolist() == [36233, 35645, 35220]


def test_geometry_mismatches(segs, ct3):
    other_for = ct3.replace(provenance=Provenance(frame_of_reference_uid="1.2.3.4"))
    with pytest.raises(GeometryError, match=r"DICOM-SEG belongs to another image .*1\.2\.3\.4"):
        load_mask(segs / "liver.dcm", other_for)
    small = sitk_reference(segs / "24x38x3" / "image", source=False)
    with pytest.raises(GeometryError, match=r"not on the image grid .*frame size differs"):
        load_mask(segs / "liver.dcm", small.replace(provenance=Provenance()))
    shifted = ct3.replace(origin=(ct3.origin[0] + 5.0, ct3.origin[1], ct3.origin[2]),
                          provenance=Provenance())
    with pytest.raises(GeometryError, match=r"shifted in-plane"):
        load_mask(segs / "liver.dcm", shifted)
    half = ct3.replace(origin=(ct3.origin[0], ct3.origin[1], ct3.origin[2] + 0.5),
                       provenance=Provenance())
    with pytest.raises(GeometryError, match=r"between image slices"):
        load_mask(segs / "liver.dcm", half)


def test_inconsistent_liver_1frame_is_a_mask_error(dicom_testdata, ct3):
    p = dicom_testdata / "pydicom" / "test_files" / "liver_1frame.dcm"
    with pytest.raises(MaskError, match=r"inconsistent DICOM-SEG .*liver_1frame\.dcm"):
        load_mask(p, ct3)


def test_truncated_seg_is_a_mask_error(segs, ct3, tmp_path):
    data = (segs / "liver.dcm").read_bytes()
    bad = tmp_path / "cut.dcm"
    bad.write_bytes(data[: len(data) - 20000])
    with pytest.raises(MaskError, match=r"cut\.dcm"):
        load_mask(bad, ct3)
    shutil.copy(segs / "liver.dcm", tmp_path / "liver.seg")
    assert int(load_mask(tmp_path / "liver.seg", ct3).array.sum()) == 107098


def test_resample_onto_another_grid(segs, ct3):
    gt = (sitk.GetArrayFromImage(sitk.ReadImage(str(segs / "liver_seg.nrrd"))) != 0)
    sx = ct3.spacing[0]
    # the image grid starts 2 columns further right: the mask moves 2 columns left
    shifted = ct3.replace(origin=(ct3.origin[0] + 2 * sx, ct3.origin[1], ct3.origin[2]),
                          provenance=Provenance())
    with pytest.raises(GeometryError, match=r"shifted in-plane.*resample=True"):
        load_mask(segs / "liver.dcm", shifted)
    m = load_mask(segs / "liver.dcm", shifted, resample=True)
    np.testing.assert_array_equal(m.array[:, :, :-2], gt[:, :, 2:].astype(np.uint8))
    assert not m.array[:, :, -2:].any()
    # a coarser grid (every other column/row, centres on the SEG's own centres)
    coarse = Volume(np.zeros((3, 256, 256), np.int16), spacing=(2 * sx, 2 * sx, 1.0),
                    origin=ct3.origin)
    c = load_mask(segs / "liver.dcm", coarse, resample=True)
    np.testing.assert_array_equal(c.array, gt[:, ::2, ::2].astype(np.uint8))
    assert c.same_geometry(coarse, tol=0)
