"""DICOM RTSTRUCT: rasterise a contoured ROI onto a reference grid, and write masks as RTSTRUCT.

Reading
-------
Each CLOSED_PLANAR contour is moved into the reference's continuous index space with
:meth:`Volume.physical_to_index` (so oblique grids need nothing special), assigned to the slice
nearest to it along the slice normal (it must lie within half a slice of a slice centre, and be
parallel to the slices), and filled with the **even-odd rule** together with every other
contour of the ROI on that slice: a voxel is inside when its centre is inside an odd number of
the slice's contours. So a contour nested in another is a hole, one nested in a hole is an
island, as most treatment planning systems draw them.

**Voxel inclusion rule**: a voxel belongs to the ROI when its *centre* is inside the polygon
(the crossing-number test, half-open on the boundary: a centre lying exactly on a left or top
edge is inside, on a right or bottom edge outside). Partial-volume voxels whose centre is
outside are not included. POINT and OPEN_* contours are ignored.

The RTSTRUCT must belong to the reference's FrameOfReferenceUID: a mismatch is a GeometryError,
unless the RTSTRUCT references the reference's SeriesInstanceUID or some of its SOPInstanceUIDs
(some writers, e.g. old rt-utils, mint a new FrameOfReferenceUID by mistake; the image references
identify the images, so we accept it with a warning). When either side does not record a
FrameOfReferenceUID, the contoured images' SOPInstanceUIDs are compared with the reference's
instead (disjoint -> GeometryError).

Writing
-------
:func:`write_rtstruct` traces, on each slice, the boundary of the mask along voxel *edges*
(outer boundaries and holes as separate closed contours; diagonal neighbours are kept as separate
contours). Rasterised back with the rule above this gives exactly the original mask.
"""

from __future__ import annotations

import datetime
import logging
import os

import numpy as np
from numba import njit

from rnpc_radiomics._atomic import atomic_output
from rnpc_radiomics.errors import GeometryError, MaskError
from rnpc_radiomics.image import Provenance, Volume

__all__ = ["read_rtstruct", "list_rois", "write_rtstruct", "rasterise_polygons",
           "trace_boundaries"]

log = logging.getLogger(__name__)

RTSTRUCT_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.481.3"
_STUDY_SOP_CLASS = "1.2.840.10008.3.1.2.3.1"  # Detached Study Management, used in RTReferencedStudy

# A contour whose points spread over more than this (in slices) along the normal is not drawn
# in a slice plane of the reference.
_PLANARITY_TOL = 0.5


# ------------------------------------------------------------------------------------ reading
def _open(path: str):
    from rnpc_radiomics.io.mask import dcmread_lenient

    try:
        ds = dcmread_lenient(path)
    except Exception as exc:  # pydicom raises many types on corrupt files
        raise MaskError("cannot read RTSTRUCT", path, f"{type(exc).__name__}: {exc}",
                        "check that the file is a complete DICOM RTSTRUCT") from exc
    if str(ds.get("SOPClassUID", "")) != RTSTRUCT_SOP_CLASS and \
            str(ds.get("Modality", "")).upper() != "RTSTRUCT":
        raise MaskError("not an RTSTRUCT", path, f"Modality is {ds.get('Modality', 'missing')}",
                        "give a DICOM RT Structure Set file")
    return ds


def _rois(ds) -> list[tuple[int, str, str | None]]:
    """``(ROINumber, ROIName, ReferencedFrameOfReferenceUID)`` for each ROI."""
    out = []
    for item in ds.get("StructureSetROISequence", []):
        num = int(item.get("ROINumber", -1))
        name = str(item.get("ROIName", "") or f"ROI {num}")
        ref = item.get("ReferencedFrameOfReferenceUID")
        out.append((num, name, str(ref) if ref else None))
    return out


def list_rois(path: str | os.PathLike) -> list[str]:
    """Names of the ROIs of an RTSTRUCT file, in file order.

    Raises
    ------
    MaskError
        Unreadable file or not an RTSTRUCT.
    """
    return [name for _, name, _ in _rois(_open(os.fspath(path)))]


def _choose_roi(rois, roi, path: str):
    names = ", ".join(repr(n) for _, n, _ in rois)
    if not rois:
        raise MaskError("RTSTRUCT has no ROI", path, "StructureSetROISequence is empty",
                        "check the file")
    if roi is None:
        if len(rois) == 1:
            return rois[0]
        raise MaskError("several ROIs in RTSTRUCT", path, f"ROIs present: {names}",
                        "choose one with roi= (CLI --roi)")
    if isinstance(roi, (int, np.integer)) and not isinstance(roi, bool):
        hits = [r for r in rois if r[0] == int(roi)]
    else:
        hits = [r for r in rois if r[1] == str(roi)]
        if not hits:  # forgive case and surrounding blanks, when unambiguous
            key = str(roi).strip().casefold()
            hits = [r for r in rois if r[1].strip().casefold() == key]
    if len(hits) != 1:
        why = f"ROIs present: {names}" if not hits else f"{len(hits)} ROIs match: {names}"
        raise MaskError(f"ROI {roi!r} not found in RTSTRUCT" if not hits else
                        f"ROI {roi!r} is ambiguous", path, why, "choose one of them")
    return hits[0]


def _referenced(ds) -> tuple[set[str], set[str], set[str]]:
    """FrameOfReferenceUIDs, SeriesInstanceUIDs and contour-image SOPInstanceUIDs referenced."""
    fors, series, sops = set(), set(), set()
    for fr in ds.get("ReferencedFrameOfReferenceSequence", []):
        if fr.get("FrameOfReferenceUID"):
            fors.add(str(fr.FrameOfReferenceUID))
        for st in fr.get("RTReferencedStudySequence", []):
            for se in st.get("RTReferencedSeriesSequence", []):
                if se.get("SeriesInstanceUID"):
                    series.add(str(se.SeriesInstanceUID))
                for im in se.get("ContourImageSequence", []):
                    if im.get("ReferencedSOPInstanceUID"):
                        sops.add(str(im.ReferencedSOPInstanceUID))
    return fors, series, sops


def _roi_contours(ds, number: int) -> list:
    for rc in ds.get("ROIContourSequence", []):
        if int(rc.get("ReferencedROINumber", -2)) == number:
            return list(rc.get("ContourSequence", []))
    return []


def _check_frame_of_reference(ds, roi_for, contours, reference: Volume, path: str) -> None:
    from rnpc_radiomics.io.mask import reference_info

    fors, series, sops = _referenced(ds)
    for c in contours:
        for im in c.get("ContourImageSequence", []):
            if im.get("ReferencedSOPInstanceUID"):
                sops.add(str(im.ReferencedSOPInstanceUID))
    rs_for = roi_for or (next(iter(fors)) if len(fors) == 1 else None)
    ref = reference_info(reference, need_uids=False)
    if rs_for and ref.frame_of_reference_uid and rs_for == ref.frame_of_reference_uid:
        if ref.series_uid and series and ref.series_uid not in series:
            # Same patient frame, other series (e.g. PET of a PET/CT): contours are physical
            # coordinates, so they still apply.
            log.info("RTSTRUCT %s was drawn on another series of the same frame of reference",
                     path)
        return
    ref = reference_info(reference, need_uids=True)
    ref_sops = {u for u in (ref.sop_instance_uids or []) if u}
    refers_here = bool((ref.series_uid and ref.series_uid in series) or (sops & ref_sops))
    if rs_for and ref.frame_of_reference_uid:
        if not refers_here:
            raise GeometryError(
                "RTSTRUCT belongs to another image", path,
                f"its FrameOfReferenceUID {rs_for} differs from the image's "
                f"{ref.frame_of_reference_uid}",
                "give the image series the structures were drawn on")
        # Some writers (old rt-utils) mint a fresh FrameOfReferenceUID but reference the
        # image series and instances correctly; those references identify the images.
        log.warning("RTSTRUCT %s names FrameOfReferenceUID %s, not the image's %s, but it "
                    "references this image series; using it", path, rs_for,
                    ref.frame_of_reference_uid)
        return
    if sops and ref_sops and not refers_here:
        raise GeometryError("RTSTRUCT belongs to another image", path,
                            "none of the images it references is a slice of the image",
                            "give the image series the structures were drawn on")
    if not refers_here:
        log.warning("cannot verify that RTSTRUCT %s belongs to the image: FrameOfReferenceUID "
                    "missing; placing contours by position", path)


def _contour_points(contour) -> np.ndarray:
    """ContourData as float64, parsed from the raw bytes when pydicom has not converted them
    (pydicom's per-value DS objects cost ~30 us each; clinical contours have 10^5 values)."""
    elem = contour.get_item(0x30060050)
    if elem is None:
        raise KeyError("ContourData")
    if elem.is_raw and isinstance(elem.value, bytes):
        text = elem.value.decode("ascii", errors="strict").replace("\\", " ")
        return np.asarray(text.split(), dtype=np.float64)
    return np.asarray([float(v) for v in contour.ContourData], dtype=np.float64)


def read_rtstruct(path: str | os.PathLike, reference: Volume, *,
                  roi: str | int | None = None) -> Volume:
    """Rasterise one ROI of an RTSTRUCT onto ``reference``'s grid.

    Parameters
    ----------
    path : str or path-like
        RTSTRUCT file.
    reference : Volume
        The image the structures were drawn on (or one sharing its FrameOfReferenceUID).
    roi : str or int, optional
        ROI name (exact, else case-insensitive) or ROINumber. May be omitted when the file
        holds a single ROI.

    Returns
    -------
    Volume
        ``uint8`` 0/1 array of shape (Z, Y, X) on the reference grid, ``modality="RTSTRUCT"``,
        ``units="label"``, ``meta={"roi": name}``. See the module docstring for the rules.

    Raises
    ------
    MaskError
        Unknown ROI (the message lists them), several ROIs and none chosen, no closed contour,
        contours not parallel to the slices, or an empty mask on the reference grid.
    GeometryError
        The RTSTRUCT belongs to another FrameOfReferenceUID (or other images).
    """
    p = os.fspath(path)
    ds = _open(p)
    number, name, roi_for = _choose_roi(_rois(ds), roi, p)
    contours = _roi_contours(ds, number)
    closed_contours = [c for c in contours
                       if str(c.get("ContourGeometricType", "CLOSED_PLANAR")).upper()
                       == "CLOSED_PLANAR"]
    if not closed_contours:
        # POINT / OPEN_* contours enclose no volume
        raise MaskError(f"ROI {name!r} has no closed contour", p,
                        "only POINT/OPEN contours or none at all", "choose another ROI")
    _check_frame_of_reference(ds, roi_for, contours, reference, p)
    nz, ny, nx = reference.shape
    per_slice: dict[int, list[np.ndarray]] = {}
    outside = oblique = closed = 0
    for c in closed_contours:
        try:
            pts = _contour_points(c)
        except (AttributeError, TypeError, ValueError, KeyError):
            raise MaskError("unusable RTSTRUCT contour", p,
                            f"ROI {name!r} has a contour without valid ContourData",
                            "check the file") from None
        if pts.size < 9 or pts.size % 3:
            continue  # fewer than 3 points enclose nothing
        if not np.all(np.isfinite(pts)):
            raise MaskError("unusable RTSTRUCT contour", p,
                            f"ROI {name!r} has a contour with NaN or infinite coordinates",
                            "check the file")
        closed += 1
        ijk = reference.physical_to_index(pts.reshape(-1, 3))
        kc = ijk[:, 2]
        if float(np.ptp(kc)) > _PLANARITY_TOL:
            oblique += 1
            continue
        k = int(np.floor(float(kc.mean()) + 0.5))
        if not 0 <= k < nz:
            outside += 1
            continue
        per_slice.setdefault(k, []).append(ijk[:, :2])
    if closed == 0:
        raise MaskError(f"ROI {name!r} has no usable contour", p,
                        "every closed contour has fewer than 3 points", "choose another ROI")
    if oblique:
        if oblique == closed:
            raise MaskError(f"ROI {name!r} is not drawn on the image's slices", p,
                            f"{oblique} contours are not parallel to the image slices",
                            "give the image series the structures were drawn on")
        log.warning("ROI %r: %d of %d contours are not parallel to the image slices and were "
                    "ignored", name, oblique, closed)
    if outside:
        log.warning("ROI %r: %d of %d contours lie outside the image's slices and were ignored",
                    name, outside, closed)
    arr = np.zeros((nz, ny, nx), dtype=np.uint8)
    for k, polys in per_slice.items():
        rasterise_polygons(polys, arr[k])
    if not arr.any():
        raise MaskError(f"ROI {name!r} is empty on the image grid", p,
                        "no voxel centre lies inside its contours",
                        "check that the RTSTRUCT belongs to this image")
    fors, _, _ = _referenced(ds)
    return reference.with_array(
        arr, modality="RTSTRUCT", units="label",
        provenance=Provenance(source=p, series_uid=str(ds.get("SeriesInstanceUID", "")) or None,
                              frame_of_reference_uid=roi_for or (next(iter(fors)) if fors
                                                                 else None),
                              description=name),
        meta={"roi": name, "roi_number": number})


def rasterise_polygons(polygons, out: np.ndarray) -> np.ndarray:
    """Fill closed polygons into a 2D ``uint8`` slice with the even-odd rule.

    Parameters
    ----------
    polygons : list of ndarray of shape (N, 2)
        Vertices in continuous index coordinates ``(i, j)`` = (column, row); each polygon is
        closed implicitly (the last vertex joins the first).
    out : ndarray of shape (Y, X), uint8
        Set to 1 where the voxel centre is inside an odd number of polygons (others untouched).

    Returns
    -------
    ndarray
        ``out``.
    """
    polys = [np.asarray(p, dtype=np.float64).reshape(-1, 2) for p in polygons]
    polys = [p for p in polys if len(p) >= 3]
    if not polys:
        return out
    xy = np.ascontiguousarray(np.concatenate(polys))
    starts = np.zeros(len(polys) + 1, dtype=np.int64)
    starts[1:] = np.cumsum([len(p) for p in polys])
    if out.dtype != np.uint8 or not out.flags.c_contiguous:
        raise ValueError("out must be a C-contiguous uint8 array")
    _fill_even_odd(np.ascontiguousarray(xy[:, 0]), np.ascontiguousarray(xy[:, 1]), starts, out)
    return out


@njit(cache=True)
def _fill_even_odd(xs, ys, starts, out):  # pragma: no cover - compiled
    ny, nx = out.shape
    npoly = starts.shape[0] - 1
    # clamp in float before converting: far-away vertices must not overflow int64
    j0 = int(max(0.0, np.ceil(ys.min())))
    j1 = int(min(ny - 1.0, np.floor(ys.max())))
    buf = np.empty(xs.shape[0], dtype=np.float64)
    for j in range(j0, j1 + 1):
        yc = float(j)
        n = 0
        for p in range(npoly):
            a = starts[p]
            b = starts[p + 1]
            for e in range(a, b):
                f = e + 1 if e + 1 < b else a
                y0 = ys[e]
                y1 = ys[f]
                # half-open in y: a vertex on the scan line is counted once
                if (y0 > yc) != (y1 > yc):
                    buf[n] = xs[e] + (yc - y0) * (xs[f] - xs[e]) / (y1 - y0)
                    n += 1
        if n < 2:
            continue
        c = np.sort(buf[:n])
        for m in range(0, n - 1, 2):
            # centres i with c[m] <= i < c[m+1] have an odd number of crossings to their right
            i0 = int(max(0.0, np.ceil(c[m])))
            i1 = int(min(nx - 1.0, np.ceil(c[m + 1]) - 1.0))
            for i in range(i0, i1 + 1):
                out[j, i] = 1


# ------------------------------------------------------------------------------------ writing
def trace_boundaries(mask2d: np.ndarray) -> list[np.ndarray]:
    """Closed boundary loops of a 2D binary mask along voxel edges.

    Parameters
    ----------
    mask2d : ndarray of shape (Y, X)
        Nonzero = inside.

    Returns
    -------
    list of ndarray of shape (N, 2)
        Corner points ``(i, j)`` in continuous index coordinates (half-integers), one array per
        loop, collinear points removed. Outer boundaries and holes are separate loops; filling
        all of them with the even-odd rule at voxel centres gives back ``mask2d`` exactly.
        Voxels touching only diagonally get separate loops.
    """
    m = np.pad(np.asarray(mask2d) != 0, 1)
    inner = m[1:-1, 1:-1]
    jj, ii = np.nonzero(inner & ~m[:-2, 1:-1])     # top edges, walked +x
    edges = [(ii, jj, ii + 1, jj)]
    jj, ii = np.nonzero(inner & ~m[1:-1, 2:])      # right edges, walked +y
    edges.append((ii + 1, jj, ii + 1, jj + 1))
    jj, ii = np.nonzero(inner & ~m[2:, 1:-1])      # bottom edges, walked -x
    edges.append((ii + 1, jj + 1, ii, jj + 1))
    jj, ii = np.nonzero(inner & ~m[1:-1, :-2])     # left edges, walked -y
    edges.append((ii, jj + 1, ii, jj))
    x0 = np.concatenate([e[0] for e in edges]).tolist()
    y0 = np.concatenate([e[1] for e in edges]).tolist()
    x1 = np.concatenate([e[2] for e in edges]).tolist()
    y1 = np.concatenate([e[3] for e in edges]).tolist()
    out_edges: dict[tuple[int, int], list[int]] = {}
    for n, key in enumerate(zip(x0, y0)):
        out_edges.setdefault(key, []).append(n)
    used = [False] * len(x0)
    loops = []
    for start in range(len(x0)):
        if used[start]:
            continue
        pts = []
        e = start
        while True:
            used[e] = True
            pts.append((x0[e], y0[e]))
            dx, dy = x1[e] - x0[e], y1[e] - y0[e]
            if (x1[e], y1[e]) == (x0[start], y0[start]):
                break  # closed
            cands = [c for c in out_edges[(x1[e], y1[e])] if not used[c]]
            if not cands:  # pragma: no cover - boundary edges always form closed loops
                break
            if len(cands) > 1:
                # saddle: turn clockwise (screen coordinates) to keep diagonal voxels apart
                want = (-dy, dx)
                cands.sort(key=lambda c: (x1[c] - x0[c], y1[c] - y0[c]) != want)
            e = cands[0]
        loop = np.asarray(pts, dtype=np.float64)
        # drop collinear points: keep a corner only where the direction changes
        prev = np.roll(loop, 1, axis=0)
        nxt = np.roll(loop, -1, axis=0)
        cross = (loop[:, 0] - prev[:, 0]) * (nxt[:, 1] - loop[:, 1]) - \
            (loop[:, 1] - prev[:, 1]) * (nxt[:, 0] - loop[:, 0])
        loops.append(loop[cross != 0] - 0.5)
    return loops


def _series_headers(ref, mask: Volume) -> list:
    """Headers of the reference series placed on the mask grid: ``[(k, ds), ...]``."""
    from rnpc_radiomics.io.mask import _place_headers, _read_header, dicom_headers

    if isinstance(ref, Volume):
        src = ref.provenance.source
        if not src or not os.path.exists(src):
            raise GeometryError("reference image has no DICOM source", src,
                                "its provenance does not name the folder it was read from",
                                "pass the series folder or its file list instead")
        placed = _place_headers(dicom_headers(src, series_uid=ref.provenance.series_uid), mask)
    elif hasattr(ref, "files"):
        headers = [h for h in (_read_header(os.fspath(f)) for f in ref.files) if h is not None]
        placed = _place_headers(headers, mask)
        src = os.path.commonpath([os.fspath(f) for f in ref.files]) if ref.files else None
    elif isinstance(ref, (list, tuple)):
        headers = [h for h in (_read_header(os.fspath(f)) for f in ref) if h is not None]
        placed = _place_headers(headers, mask)
        src = None
    else:
        src = os.fspath(ref)
        placed = _place_headers(dicom_headers(src), mask)
    if not placed:
        raise GeometryError("mask grid does not match the reference series", src,
                            "no image of the series lies on a slice of the mask",
                            "write masks on the grid of the image they were made from")
    series = {str(ds.get("SeriesInstanceUID", "")) for _, ds in placed}
    if len(series) > 1:
        want = mask.provenance.series_uid
        placed = [(k, ds) for k, ds in placed if want and str(ds.SeriesInstanceUID) == want]
        if not placed:
            raise GeometryError("several series match the mask grid", src,
                                f"series {', '.join(sorted(series))}",
                                "give the folder or file list of one series")
    by_k: dict[int, object] = {}
    for k, ds in placed:
        by_k.setdefault(k, ds)
    return sorted(by_k.items(), key=lambda t: t[0])


def _ds_number(v: float) -> str:
    s = f"{v:.4f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def write_rtstruct(mask: Volume, reference_series, out_path: str | os.PathLike,
                   roi_name: str | dict = "ROI", *, color=(255, 0, 0),
                   interpreted_type: str = "", series_description: str = "rnpc-radiomics ROI",
                   keep_phi: bool = False) -> None:
    """Write a mask as a DICOM RT Structure Set referencing its image series.

    Parameters
    ----------
    mask : Volume
        Mask on the grid of the reference series: nonzero voxels form the ROI (or, with a
        ``roi_name`` dict, each listed label value forms one ROI).
    reference_series : str, path-like, list of paths, SeriesInfo or Volume
        The image series the mask was made on: a folder (searched recursively), a list of its
        files, an object with ``.files`` (``rnpc_radiomics.io.dicom.SeriesInfo``), or a DICOM
        Volume whose ``provenance.source`` is that folder. Its FrameOfReferenceUID, StudyUID and
        per-slice SOPInstanceUIDs are referenced.
    out_path : str or path-like
        Output ``.dcm`` file, written atomically.
    roi_name : str or dict of {int: str}, default "ROI"
        Name of the single ROI, or ``{label value: name}`` for several ROIs.
    color : tuple of 3 int, default (255, 0, 0)
        ROIDisplayColor (RGB), for all ROIs.
    interpreted_type : str, default ""
        RTROIInterpretedType (e.g. ``"GTV"``, ``"ORGAN"``); empty means unspecified.
    series_description : str
        SeriesDescription of the new RTSTRUCT series.
    keep_phi : bool, default False
        Copy PatientName/PatientID/PatientBirthDate/PatientSex and study date/time from the
        reference. Off by default: these are left empty (DICOM type 2).

    Raises
    ------
    GeometryError
        The mask is not on the grid of the reference series.
    MaskError
        Empty mask, or a listed label absent.
    """
    import pydicom
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.sequence import Sequence
    from pydicom.uid import PYDICOM_IMPLEMENTATION_UID, ImplicitVRLittleEndian, generate_uid

    out = os.fspath(out_path)
    arr = np.asarray(mask.array)
    rois = {None: str(roi_name)} if not isinstance(roi_name, dict) else {
        int(k): str(v) for k, v in roi_name.items()}
    masks = {}
    for lab, name in rois.items():
        sel = arr != 0 if lab is None else arr == lab
        if not sel.any():
            raise MaskError(f"nothing to write for ROI {name!r}", mask.provenance.source,
                            "the mask is empty" if lab is None else f"label {lab} is absent",
                            "check the mask")
        masks[name] = sel
    placed = _series_headers(reference_series, mask)
    by_k = dict(placed)
    ref0 = placed[0][1]
    need = sorted({int(k) for sel in masks.values() for k in np.nonzero(sel.any(axis=(1, 2)))[0]})
    missing = [k for k in need if k not in by_k]
    if missing:
        raise GeometryError("mask grid does not match the reference series",
                            mask.provenance.source,
                            f"no image of the series at mask slices {missing[:10]}",
                            "write masks on the grid of the image they were made from")
    for_uid = str(ref0.get("FrameOfReferenceUID", "")) or mask.provenance.frame_of_reference_uid
    if not for_uid:
        raise GeometryError("reference series has no FrameOfReferenceUID", None,
                            "an RTSTRUCT must name the frame of reference of its contours",
                            "use a series with FrameOfReferenceUID")

    def image_ref(ds):
        item = Dataset()
        item.ReferencedSOPClassUID = ds.SOPClassUID
        item.ReferencedSOPInstanceUID = ds.SOPInstanceUID
        return item

    now = datetime.datetime.now()
    sop_uid = generate_uid()
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = RTSTRUCT_SOP_CLASS
    meta.MediaStorageSOPInstanceUID = sop_uid
    # Implicit VR: its 4-byte lengths allow ContourData beyond the 64 kB that an explicit-VR
    # DS element can hold (about 2,000 points), as treatment planning systems write them.
    meta.TransferSyntaxUID = ImplicitVRLittleEndian
    meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
    ds = Dataset()
    ds.file_meta = meta
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.SOPClassUID = RTSTRUCT_SOP_CLASS
    ds.SOPInstanceUID = sop_uid
    ds.Modality = "RTSTRUCT"
    for kw in ("PatientName", "PatientID", "PatientBirthDate", "PatientSex", "StudyDate",
               "StudyTime", "AccessionNumber", "ReferringPhysicianName", "StudyID"):
        setattr(ds, kw, ref0.get(kw, "") if keep_phi else "")
    ds.StudyInstanceUID = ref0.StudyInstanceUID
    ds.SeriesInstanceUID = generate_uid()
    ds.SeriesNumber = 901
    ds.InstanceNumber = 1
    ds.SeriesDescription = series_description
    ds.Manufacturer = "rnpc-radiomics"
    ds.FrameOfReferenceUID = for_uid
    ds.StructureSetLabel = "rnpc"
    ds.StructureSetDate = now.strftime("%Y%m%d")
    ds.StructureSetTime = now.strftime("%H%M%S")

    rse = Dataset()
    rse.SeriesInstanceUID = ref0.SeriesInstanceUID
    rse.ContourImageSequence = Sequence([image_ref(d) for _, d in placed])
    rst = Dataset()
    rst.ReferencedSOPClassUID = _STUDY_SOP_CLASS
    rst.ReferencedSOPInstanceUID = ref0.StudyInstanceUID
    rst.RTReferencedSeriesSequence = Sequence([rse])
    rfr = Dataset()
    rfr.FrameOfReferenceUID = for_uid
    rfr.RTReferencedStudySequence = Sequence([rst])
    ds.ReferencedFrameOfReferenceSequence = Sequence([rfr])

    ss_rois, roi_contours, observations = [], [], []
    for number, (name, sel) in enumerate(masks.items(), start=1):
        item = Dataset()
        item.ROINumber = number
        item.ReferencedFrameOfReferenceUID = for_uid
        item.ROIName = name
        item.ROIGenerationAlgorithm = "AUTOMATIC"
        ss_rois.append(item)
        contours = []
        for k in np.nonzero(sel.any(axis=(1, 2)))[0]:
            for loop in trace_boundaries(sel[k]):
                ijk = np.column_stack([loop, np.full(len(loop), float(k))])
                xyz = mask.index_to_physical(ijk)
                c = Dataset()
                c.ContourImageSequence = Sequence([image_ref(by_k[int(k)])])
                c.ContourGeometricType = "CLOSED_PLANAR"
                c.NumberOfContourPoints = len(loop)
                c.ContourData = [_ds_number(v) for v in xyz.ravel()]
                contours.append(c)
        rc = Dataset()
        rc.ROIDisplayColor = [int(v) for v in color]
        rc.ReferencedROINumber = number
        rc.ContourSequence = Sequence(contours)
        roi_contours.append(rc)
        ob = Dataset()
        ob.ObservationNumber = number
        ob.ReferencedROINumber = number
        ob.RTROIInterpretedType = interpreted_type
        ob.ROIInterpreter = ""
        observations.append(ob)
    ds.StructureSetROISequence = Sequence(ss_rois)
    ds.ROIContourSequence = Sequence(roi_contours)
    ds.RTROIObservationsSequence = Sequence(observations)
    with atomic_output(out) as tmp:
        pydicom.dcmwrite(tmp, ds, enforce_file_format=True)
