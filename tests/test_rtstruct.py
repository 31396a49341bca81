"""RTSTRUCT rasterisation and writing (rnpc_radiomics.io.rtstruct).

Voxel inclusion rule under test: a voxel is in the ROI when its centre is inside an odd number
of the slice's contours (even-odd rule, crossing-number test). Expected counts are worked out
by hand in each test, or computed with the slow NumPy point-in-polygon twin below.
"""

from __future__ import annotations

import logging
import os

import numpy as np
import pydicom
import pytest
from dicom_factory import random_direction, write_series
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from rnpc_radiomics.errors import GeometryError, MaskError
from rnpc_radiomics.image import Provenance, Volume
from rnpc_radiomics.io.mask import load_mask
from rnpc_radiomics.io.rtstruct import (
    list_rois,
    rasterise_polygons,
    read_rtstruct,
    trace_boundaries,
    write_rtstruct,
)

RTSTRUCT_UID = "1.2.840.10008.5.1.4.1.1.481.3"


# ----------------------------------------------------------------------------- helpers
def pnpoly_even_odd(polys, shape) -> np.ndarray:
    """Slow oracle: crossing-number test of every voxel centre against every polygon."""
    ny, nx = shape
    jj, ii = np.mgrid[0:ny, 0:nx]
    inside = np.zeros(shape, bool)
    for poly in polys:
        poly = np.asarray(poly, float)
        x, y = poly[:, 0], poly[:, 1]
        xn, yn = np.roll(x, -1), np.roll(y, -1)
        for a, b, c, d in zip(x, y, xn, yn):
            crosses = (b > jj) != (d > jj)
            with np.errstate(divide="ignore", invalid="ignore"):
                xc = a + (jj - b) * (c - a) / (d - b)
            inside ^= crosses & (ii < xc)
    return inside


def ct_series(folder, shape=(4, 20, 24), spacing=(1.0, 1.0, 2.0), origin=(-10.0, -12.0, 30.0),
              direction=None, **kwargs) -> tuple[Volume, list[str]]:
    """Write a synthetic CT series; return its reference Volume (source = folder) and files."""
    files = write_series(folder, np.zeros(shape, np.int16), spacing, origin, direction,
                         **kwargs)
    hdr = pydicom.dcmread(files[0], stop_before_pixels=True)
    vol = Volume(np.zeros(shape, np.int16), spacing=spacing, origin=origin,
                 direction=np.eye(3) if direction is None else direction, modality="CT",
                 provenance=Provenance(source=str(folder), series_uid=str(hdr.SeriesInstanceUID),
                                       frame_of_reference_uid=str(hdr.FrameOfReferenceUID)))
    return vol, files


def make_rtstruct(path, ref: Volume, files, rois, *, for_uid=None):
    """Hand-made RTSTRUCT. ``rois``: {name: [(k, ijk_points (N,2) or None, type), ...]};
    points are in continuous (i, j) index coordinates of slice k of ``ref``."""
    headers = [pydicom.dcmread(f, stop_before_pixels=True) for f in files]
    for_uid = for_uid or str(headers[0].FrameOfReferenceUID)
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = RTSTRUCT_UID
    ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID = RTSTRUCT_UID
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
    ds.Modality = "RTSTRUCT"
    ds.StudyInstanceUID = headers[0].StudyInstanceUID
    ds.SeriesInstanceUID = generate_uid()
    fr = Dataset()
    fr.FrameOfReferenceUID = for_uid
    ds.ReferencedFrameOfReferenceSequence = Sequence([fr])
    ss, rc_items = [], []
    for n, (name, contours) in enumerate(rois.items(), start=1):
        item = Dataset()
        item.ROINumber = n
        item.ROIName = name
        item.ReferencedFrameOfReferenceUID = for_uid
        ss.append(item)
        seq = []
        for k, pts, kind in contours:
            c = Dataset()
            pts = np.asarray(pts, float)
            ijk = np.column_stack([pts, np.full(len(pts), float(k))])
            c.ContourGeometricType = kind
            c.NumberOfContourPoints = len(pts)
            c.ContourData = [f"{v:.6f}" for v in ref.index_to_physical(ijk).ravel()]
            im = Dataset()
            im.ReferencedSOPClassUID = headers[k].SOPClassUID
            im.ReferencedSOPInstanceUID = headers[k].SOPInstanceUID
            c.ContourImageSequence = Sequence([im])
            seq.append(c)
        rc = Dataset()
        rc.ReferencedROINumber = n
        rc.ContourSequence = Sequence(seq)
        rc_items.append(rc)
    ds.StructureSetROISequence = Sequence(ss)
    ds.ROIContourSequence = Sequence(rc_items)
    pydicom.dcmwrite(path, ds, enforce_file_format=True)
    return path


def square(i0, j0, i1, j1):
    return np.array([[i0, j0], [i1, j0], [i1, j1], [i0, j1]], float)


# ----------------------------------------------------------------------------- reading
def test_polygon_with_hole_and_island_by_hand(tmp_path):
    ref, files = ct_series(tmp_path / "ct")
    rois = {"ring": [
        (1, square(2.5, 2.5, 12.5, 12.5), "CLOSED_PLANAR"),   # 10 x 10 = 100 centres
        (1, square(5.5, 5.5, 8.5, 8.5), "CLOSED_PLANAR"),     # hole: 3 x 3 = 9
        (1, square(6.5, 6.5, 7.5, 7.5), "CLOSED_PLANAR"),     # island in the hole: 1
        (1, np.array([[20.0, 15.0]]), "POINT"),               # ignored
        # triangle i + j < 4.2 from (-0.5, -0.5): centres with i, j >= 0, i + j <= 4: 15
        (2, np.array([[-0.5, -0.5], [4.7, -0.5], [-0.5, 4.7]]), "CLOSED_PLANAR"),
    ], "other": [(0, square(0.5, 0.5, 2.5, 2.5), "CLOSED_PLANAR")]}
    rs = make_rtstruct(tmp_path / "rs.dcm", ref, files, rois)
    assert list_rois(rs) == ["ring", "other"]
    m = read_rtstruct(rs, ref, roi="ring")
    assert m.array.dtype == np.uint8 and m.modality == "RTSTRUCT" and m.units == "label"
    assert m.meta["roi"] == "ring"
    assert m.array.sum(axis=(1, 2)).tolist() == [0, 100 - 9 + 1, 15, 0]
    assert m.array[1, 7, 7] == 1 and m.array[1, 6, 6] == 0 and m.array[1, 3, 3] == 1
    tri = m.array[2]
    jj, ii = np.nonzero(tri)
    assert ((ii + jj) <= 4).all()
    assert int(load_mask(rs, ref, roi="other").array.sum()) == 4  # 2 x 2 centres


def test_rt_utils_ring_even_odd(dicom_testdata):
    mock = dicom_testdata / "rt-utils" / "tests" / "mock_data"
    from test_seg import sitk_reference

    ref = sitk_reference(mock)
    m = load_mask(mock / "rt.dcm", ref)  # one ROI: taken without naming it
    ds = pydicom.dcmread(mock / "rt.dcm")
    polys = [ref.physical_to_index(np.asarray(c.ContourData, float).reshape(-1, 3))[:, :2]
             for c in ds.ROIContourSequence[0].ContourSequence]
    expected = pnpoly_even_odd(polys, ref.shape[1:])
    np.testing.assert_array_equal(m.array[0], expected)
    # Outer square [-51, -27] mm: centres i, j in 152..200 -> 49 x 49 = 2401. The octagon's
    # 31 x 31 = 961 bounding centres minus 3 cut corners are the hole: 958. Ring = 1443.
    assert int(m.array[0].sum()) == 1443 and int(m.array[1].sum()) == 0
    assert m.array[0, 176, 176] == 0 and m.array[0, 152, 152] == 1  # hole centre, ring corner


def test_roi_choice_errors(tmp_path, dicom_testdata):
    ref, files = ct_series(tmp_path / "ct")
    rois = {"GTV": [(1, square(2.5, 2.5, 5.5, 5.5), "CLOSED_PLANAR")],
            "Brainstem": [(2, square(2.5, 2.5, 5.5, 5.5), "CLOSED_PLANAR")]}
    rs = make_rtstruct(tmp_path / "rs.dcm", ref, files, rois)
    with pytest.raises(MaskError, match=r"several ROIs .*'GTV', 'Brainstem'.*roi="):
        load_mask(rs, ref)
    with pytest.raises(MaskError, match=r"ROI 'CTV' not found .*ROIs present: 'GTV', 'Brainstem'"):
        load_mask(rs, ref, roi="CTV")
    assert int(load_mask(rs, ref, roi=" gtv ").array[1].sum()) == 9  # case/blank forgiving
    assert int(load_mask(rs, ref, label=2).array[2].sum()) == 9      # ROINumber
    pyd = dicom_testdata / "pydicom" / "test_files" / "rtstruct.dcm"  # no preamble
    assert list_rois(pyd) == ["patient", "Isocenter 1", "Isocenter 2"]
    with pytest.raises(MaskError, match=r"ROI 'Isocenter 1' has no closed contour"):
        load_mask(pyd, ref, roi="Isocenter 1")


def test_frame_of_reference_mismatch(tmp_path):
    ref, files = ct_series(tmp_path / "ct")
    rois = {"GTV": [(1, square(2.5, 2.5, 5.5, 5.5), "CLOSED_PLANAR")]}
    other, other_files = ct_series(tmp_path / "other")  # another FoR, other SOP UIDs
    rs = make_rtstruct(tmp_path / "rs.dcm", other, other_files, rois)
    with pytest.raises(GeometryError, match=r"RTSTRUCT belongs to another image .*rs\.dcm"):
        load_mask(rs, ref)
    # a wrong FoR but references to this very series (old rt-utils): accepted with a warning
    rs2 = make_rtstruct(tmp_path / "rs2.dcm", ref, files, rois, for_uid="1.2.3.4.5")
    assert int(load_mask(rs2, ref).array.sum()) == 9


def test_outside_and_non_parallel_contours(tmp_path, caplog):
    ref, files = ct_series(tmp_path / "ct")
    rs = make_rtstruct(tmp_path / "rs.dcm", ref, files, {"GTV": [
        (1, square(2.5, 2.5, 5.5, 5.5), "CLOSED_PLANAR")]})
    ds = pydicom.dcmread(rs)
    # add a contour 10 slices above the image and one tilted across slices
    seq = ds.ROIContourSequence[0].ContourSequence
    far = pydicom.dataset.Dataset()
    far.ContourGeometricType = "CLOSED_PLANAR"
    pts = ref.index_to_physical(np.column_stack([square(2.5, 2.5, 5.5, 5.5), np.full(4, 14.0)]))
    far.ContourData = [f"{v:.4f}" for v in pts.ravel()]
    tilt = pydicom.dataset.Dataset()
    tilt.ContourGeometricType = "CLOSED_PLANAR"
    pts = ref.index_to_physical(np.array([[1, 1, 0], [8, 1, 0], [8, 8, 3], [1, 8, 3.0]]))
    tilt.ContourData = [f"{v:.4f}" for v in pts.ravel()]
    seq.extend([far, tilt])
    ds.save_as(rs, enforce_file_format=True)
    with caplog.at_level(logging.WARNING, logger="rnpc_radiomics.io.rtstruct"):
        m = load_mask(rs, ref)
    assert int(m.array.sum()) == 9
    assert "outside the image's slices" in caplog.text and "not parallel" in caplog.text


def test_oblique_reference_contours_in_index_space(tmp_path):
    d = random_direction(np.random.default_rng(3))
    ref, files = ct_series(tmp_path / "ct", shape=(3, 16, 18), spacing=(0.8, 1.1, 2.5),
                           origin=(30.0, -40.0, 12.0), direction=d)
    rs = make_rtstruct(tmp_path / "rs.dcm", ref, files, {"GTV": [
        (2, square(3.5, 4.5, 9.5, 7.5), "CLOSED_PLANAR")]})
    m = load_mask(rs, ref)
    assert m.array.sum(axis=(1, 2)).tolist() == [0, 0, 6 * 3]
    assert m.array[2, 5:8, 4:10].all()


# ----------------------------------------------------------------------------- writing
def test_trace_boundaries_exact_on_random_masks():
    rng = np.random.default_rng(0)
    for _ in range(40):
        m = (rng.random((9, 11)) < 0.5).astype(np.uint8)
        out = np.zeros_like(m)
        rasterise_polygons(trace_boundaries(m), out)
        np.testing.assert_array_equal(out, m)
    # diagonal neighbours stay separate contours; a hole is its own contour
    diag = np.zeros((4, 4), np.uint8)
    diag[1, 1] = diag[2, 2] = 1
    assert [len(lp) for lp in trace_boundaries(diag)] == [4, 4]
    ring = np.ones((5, 5), np.uint8)
    ring[2, 2] = 0
    loops = trace_boundaries(ring)
    assert len(loops) == 2 and sorted(len(lp) for lp in loops) == [4, 4]
    np.testing.assert_array_equal(np.sort(np.unique(np.concatenate(loops))),
                                  [-0.5, 1.5, 2.5, 4.5])


def _blob(shape, centre, radii) -> np.ndarray:
    zz, yy, xx = np.indices(shape)
    r = sum(((g - c) / s) ** 2 for g, c, s in zip((zz, yy, xx), centre, radii))
    return (r <= 1.0).astype(np.uint8)


@pytest.mark.parametrize("oblique", [False, True])
def test_write_read_round_trip(tmp_path, oblique):
    d = random_direction(np.random.default_rng(7)) if oblique else None
    ref, files = ct_series(tmp_path / "ct", shape=(6, 24, 26), spacing=(0.9, 0.7, 2.0),
                           origin=(-100.0, 20.0, -50.0), direction=d)
    blob = _blob(ref.shape, (2.5, 11.0, 12.0), (2.2, 8.0, 9.5))
    blob[2, 10:13, 11:14] = 0          # a hole
    blob[4, 1, 1] = blob[4, 2, 2] = 1  # diagonal-only neighbours
    mask = ref.with_array(blob)
    out = tmp_path / "out" / "rs.dcm"
    if oblique:
        # reference read by our DICOM loader (UIDs in meta/provenance) given as the series
        from rnpc_radiomics.io.dicom import read_dicom_image

        ref = read_dicom_image(tmp_path / "ct")
        assert ref.same_geometry(mask, tol=1e-5)
        mask = ref.with_array(blob)
        write_rtstruct(mask, ref, out, roi_name="Tumour", color=(0, 255, 0))
    else:
        write_rtstruct(mask, tmp_path / "ct", out, roi_name="Tumour", color=(0, 255, 0))
    assert os.listdir(out.parent) == ["rs.dcm"]
    back = load_mask(out, ref)
    inter = np.logical_and(back.array, blob).sum()
    iou = inter / np.logical_or(back.array, blob).sum()
    assert iou >= 0.95  # the brief's bar; voxel-edge contours in fact give it exactly:
    np.testing.assert_array_equal(back.array, blob)
    ds = pydicom.dcmread(out)
    assert ds.Modality == "RTSTRUCT" and ds.StructureSetROISequence[0].ROIName == "Tumour"
    assert str(ds.PatientName) == "" and ds.PatientID == ""  # no identity copied by default
    hdr = pydicom.dcmread(files[0], stop_before_pixels=True)
    assert ds.FrameOfReferenceUID == hdr.FrameOfReferenceUID
    rse = ds.ReferencedFrameOfReferenceSequence[0].RTReferencedStudySequence[0] \
        .RTReferencedSeriesSequence[0]
    assert rse.SeriesInstanceUID == hdr.SeriesInstanceUID
    sops = {pydicom.dcmread(f, stop_before_pixels=True).SOPInstanceUID for f in files}
    assert {im.ReferencedSOPInstanceUID for im in rse.ContourImageSequence} == sops


def test_write_axis_aligned_boxes_exact_and_several_rois(tmp_path):
    ref, files = ct_series(tmp_path / "ct", shape=(5, 12, 14))
    lab = np.zeros(ref.shape, np.uint8)
    lab[1:4, 2:7, 3:9] = 1
    lab[2:5, 8:11, 10:13] = 2
    class Info:  # a SeriesInfo-like object: anything with .files
        pass
    info = Info()
    info.files = files
    write_rtstruct(ref.with_array(lab), info, tmp_path / "rs.dcm",
                   roi_name={1: "box one", 2: "box two"}, keep_phi=True)
    assert list_rois(tmp_path / "rs.dcm") == ["box one", "box two"]
    for v, name in ((1, "box one"), (2, "box two")):
        m = load_mask(tmp_path / "rs.dcm", ref, roi=name)
        np.testing.assert_array_equal(m.array, (lab == v).astype(np.uint8))
    ds = pydicom.dcmread(tmp_path / "rs.dcm")
    assert ds.PatientID == pydicom.dcmread(files[0]).PatientID  # keep_phi=True copies it
    # a box contour is 4 corner points
    assert ds.ROIContourSequence[0].ContourSequence[0].NumberOfContourPoints == 4


def test_write_errors(tmp_path):
    ref, files = ct_series(tmp_path / "ct", shape=(3, 8, 8))
    with pytest.raises(MaskError, match="nothing to write for ROI 'ROI'"):
        write_rtstruct(ref.with_array(np.zeros(ref.shape, np.uint8)), tmp_path / "ct",
                       tmp_path / "rs.dcm")
    moved = ref.replace(origin=(ref.origin[0] + 0.4, ref.origin[1], ref.origin[2]))
    blob = np.zeros(ref.shape, np.uint8)
    blob[1, 2:4, 2:4] = 1
    with pytest.raises(GeometryError, match="mask grid does not match the reference series"):
        write_rtstruct(moved.with_array(blob), tmp_path / "ct", tmp_path / "rs.dcm")
    assert not (tmp_path / "rs.dcm").exists()


def test_write_long_contour_beyond_64kb(tmp_path):
    # a staircase edge: every voxel corner is a contour point (> 2,000 points, > 64 kB of DS)
    n = 1100
    ref, files = ct_series(tmp_path / "ct", shape=(1, n, n), spacing=(0.3, 0.3, 1.0),
                           origin=(-150.0, -150.0, 0.0))
    tri = np.tril(np.ones((n, n), np.uint8))[None]
    write_rtstruct(ref.with_array(tri), tmp_path / "ct", tmp_path / "rs.dcm")
    ds = pydicom.dcmread(tmp_path / "rs.dcm")
    assert ds.ROIContourSequence[0].ContourSequence[0].NumberOfContourPoints > 2000
    back = load_mask(tmp_path / "rs.dcm", ref)
    np.testing.assert_array_equal(back.array, tri)
