"""DICOM-SEG onto a reference grid: BINARY, FRACTIONAL and LABELMAP segmentations.

* **BINARY** (BitsAllocated 1): frames are bit-packed back to back, so a frame need not start on
  a byte boundary (frames of ``rows * cols`` not a multiple of 8); pydicom unpacks them.
* **FRACTIONAL** (PROBABILITY / OCCUPANCY): values ``0..MaximumFractionalValue``; a voxel is in
  the mask when ``value >= threshold * MaximumFractionalValue`` (``threshold=0.5`` by default),
  or the fractions themselves are returned (``threshold=None``).
* **LABELMAP** (Label Map Segmentation Storage, or SegmentationType LABELMAP): each pixel holds
  a segment number. Reference slices without a frame are background (0), or
  PixelPaddingValue when the object defines one (:func:`read_seg_labelmap`; this is what dcmqi
  does).

Each frame is placed on the reference slice whose SOPInstanceUID its
``DerivationImageSequence/SourceImageSequence`` names, when the reference's per-slice UIDs are
known (``reference.meta["sop_instance_uids"]`` or the reference folder's headers); otherwise by
projecting its ``PlanePositionSequence`` position on the reference grid. The SEG must share the
reference's FrameOfReferenceUID, in-plane grid (rows, columns, pixel spacing, orientation) and
slice positions; otherwise :class:`GeometryError`.
"""

from __future__ import annotations

import logging
import os

import numpy as np

from rnpc_radiomics.errors import GeometryError, MaskError
from rnpc_radiomics.image import Provenance, Volume

__all__ = ["read_seg", "read_seg_labelmap", "list_segments"]

log = logging.getLogger(__name__)

SEG_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.66.4"
LABELMAP_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.66.7"

# Frame positions must fall this close (in voxels) to a reference slice / the reference origin.
_SLICE_TOL = 0.25


def _open(path: str, pixels: bool = True):
    from rnpc_radiomics.io.mask import dcmread_lenient

    try:
        ds = dcmread_lenient(path, stop_before_pixels=not pixels)
    except Exception as exc:  # pydicom raises many types on corrupt files
        raise MaskError("cannot read DICOM-SEG", path, f"{type(exc).__name__}: {exc}",
                        "check that the file is a complete DICOM-SEG") from exc
    sop = str(ds.get("SOPClassUID", ""))
    if sop not in (SEG_SOP_CLASS, LABELMAP_SOP_CLASS) and \
            str(ds.get("Modality", "")).upper() != "SEG":
        raise MaskError("not a DICOM-SEG", path, f"Modality is {ds.get('Modality', 'missing')}",
                        "give a DICOM Segmentation file")
    return ds


def _seg_type(ds) -> str:
    if str(ds.get("SOPClassUID", "")) == LABELMAP_SOP_CLASS:
        return "LABELMAP"
    return str(ds.get("SegmentationType", "BINARY")).upper()


def _segments(ds) -> list[tuple[int, str]]:
    return [(int(s.SegmentNumber), str(s.get("SegmentLabel", "") or f"segment {s.SegmentNumber}"))
            for s in ds.get("SegmentSequence", [])]


def list_segments(path: str | os.PathLike) -> list[tuple[int, str]]:
    """``(SegmentNumber, SegmentLabel)`` of each segment of a DICOM-SEG file.

    Raises
    ------
    MaskError
        Unreadable file or not a DICOM-SEG.
    """
    return _segments(_open(os.fspath(path), pixels=False))


def _choose_segment(segs, segment, seg_type: str, path: str) -> tuple[int, str]:
    listed = ", ".join(f"{n} {lab!r}" for n, lab in segs)
    candidates = [s for s in segs if not (seg_type == "LABELMAP" and s[0] == 0)]
    if not candidates:
        raise MaskError("DICOM-SEG has no segment", path, "SegmentSequence is empty",
                        "check the file")
    if segment is None:
        if len(candidates) == 1:
            return candidates[0]
        raise MaskError("several segments in DICOM-SEG", path, f"segments: {listed}",
                        "choose one with segment= (number or label; CLI --segment)")
    hits = []
    if isinstance(segment, (int, np.integer)) and not isinstance(segment, bool):
        hits = [s for s in segs if s[0] == int(segment)]
    else:
        key = str(segment)
        hits = [s for s in segs if s[1] == key]
        if not hits:
            hits = [s for s in segs if s[1].strip().casefold() == key.strip().casefold()]
        if not hits and key.strip().isdigit():
            hits = [s for s in segs if s[0] == int(key)]
    if len(hits) != 1:
        raise MaskError(f"segment {segment!r} " + ("not found" if not hits else "is ambiguous"),
                        path, f"segments: {listed}", "choose one of them")
    return hits[0]


def _item(fg, shared, name):
    """First item of functional group ``name`` from the per-frame group, else the shared one."""
    for g in (fg, shared):
        if g is not None and name in g and len(g[name].value):
            return g[name].value[0]
    return None


class _Frames:
    """Per-frame geometry and identity of a SEG, checked against the reference grid."""

    def __init__(self, ds, path: str):
        self.path = path
        shared = ds.SharedFunctionalGroupsSequence[0] if \
            "SharedFunctionalGroupsSequence" in ds and len(ds.SharedFunctionalGroupsSequence) \
            else None
        per = list(ds.get("PerFrameFunctionalGroupsSequence", []))
        nf = int(ds.get("NumberOfFrames", 1) or 1)
        if len(per) != nf:
            raise MaskError("inconsistent DICOM-SEG", path,
                            f"NumberOfFrames is {ds.get('NumberOfFrames', 'missing (1)')} but "
                            f"PerFrameFunctionalGroupsSequence has {len(per)} items",
                            "re-export the segmentation")
        self.n = nf
        self.segment = []
        self.ipp = []
        self.iop = []
        self.spacing = []
        self.source_uid = []
        for fg in per:
            sid = _item(fg, shared, "SegmentIdentificationSequence")
            self.segment.append(int(sid.ReferencedSegmentNumber) if sid is not None and
                                "ReferencedSegmentNumber" in sid else None)
            pos = _item(fg, shared, "PlanePositionSequence")
            ori = _item(fg, shared, "PlaneOrientationSequence")
            pm = _item(fg, shared, "PixelMeasuresSequence")
            try:
                self.ipp.append(np.asarray([float(v) for v in pos.ImagePositionPatient]))
                self.iop.append(np.asarray([float(v) for v in ori.ImageOrientationPatient]))
                self.spacing.append(np.asarray([float(v) for v in pm.PixelSpacing]))
            except (AttributeError, TypeError, ValueError):
                raise MaskError("DICOM-SEG without frame geometry", path,
                                "a frame lacks ImagePositionPatient, ImageOrientationPatient "
                                "or PixelSpacing", "re-export the segmentation") from None
            uid = None
            der = _item(fg, None, "DerivationImageSequence")
            if der is not None and "SourceImageSequence" in der and len(der.SourceImageSequence):
                src = der.SourceImageSequence[0]
                uid = str(src.get("ReferencedSOPInstanceUID", "")) or None
            self.source_uid.append(uid)

    def place(self, ds, reference: Volume) -> list[int | None]:
        """Reference slice index of each frame (None: outside the reference)."""
        from rnpc_radiomics.io.mask import reference_info

        nz, ny, nx = reference.shape
        rows, cols = int(ds.Rows), int(ds.Columns)
        d = reference.direction
        sp = np.asarray(reference.spacing)

        def mismatch(why):
            seg_geo = (f"SEG frames {cols}x{rows} px, pixel spacing "
                       f"{self.spacing[0][1]:g}x{self.spacing[0][0]:g} mm, orientation "
                       f"{', '.join(f'{v:.4f}' for v in self.iop[0])}")
            return GeometryError("DICOM-SEG is not on the image grid", self.path,
                                 f"{why}; {seg_geo}; image {reference.describe_geometry()}",
                                 "give the image series the segmentation was made on, or pass "
                                 "resample=True (CLI --resample-mask) to resample it onto "
                                 "the image grid with nearest-neighbour interpolation")

        if (rows, cols) != (ny, nx):
            raise mismatch("frame size differs")
        for iop, ps in zip(self.iop, self.spacing):
            # PixelSpacing is (row spacing, column spacing) = (y, x)
            if not (np.allclose(iop[:3], d[:, 0], atol=1e-3)
                    and np.allclose(iop[3:], d[:, 1], atol=1e-3)):
                raise mismatch("orientation differs")
            if not np.allclose(ps[::-1], sp[:2], rtol=1e-3, atol=1e-4):
                raise mismatch("pixel spacing differs")
        ks: list[int | None] = [None] * self.n
        by_uid: dict[str, int] = {}
        if any(self.source_uid):
            info = reference_info(reference, need_uids=True)
            uids = info.sop_instance_uids or []
            # a multi-frame reference repeats one SOPInstanceUID on every slice: only unique
            # UIDs identify a slice, the others are placed by position
            counts: dict[str, int] = {}
            for u in uids:
                counts[u] = counts.get(u, 0) + 1
            by_uid = {u: k for k, u in enumerate(uids) if u and counts[u] == 1}
        ijk = reference.physical_to_index(np.asarray(self.ipp))
        for f in range(self.n):
            if abs(ijk[f, 0]) > _SLICE_TOL or abs(ijk[f, 1]) > _SLICE_TOL:
                raise mismatch(f"frame {f + 1} is shifted in-plane by "
                               f"({ijk[f, 0]:.2f}, {ijk[f, 1]:.2f}) voxels")
            uid = self.source_uid[f]
            if uid in by_uid:
                ks[f] = by_uid[uid]
                continue
            k = int(np.floor(ijk[f, 2] + 0.5))
            if abs(ijk[f, 2] - k) > _SLICE_TOL:
                raise mismatch(f"frame {f + 1} lies between image slices "
                               f"(slice index {ijk[f, 2]:.2f})")
            ks[f] = k if 0 <= k < nz else None
        return ks


def _pixels(ds, path: str, nframes: int) -> np.ndarray:
    try:
        arr = ds.pixel_array
    except Exception as exc:  # decoders raise many types on truncated/inconsistent data
        raise MaskError("cannot decode DICOM-SEG pixels", path, f"{type(exc).__name__}: {exc}",
                        "re-export the segmentation") from exc
    if arr.ndim == 2:
        arr = arr[None]
    if arr.shape[0] != nframes:
        raise MaskError("inconsistent DICOM-SEG", path,
                        f"{arr.shape[0]} frames of pixel data for {nframes} frame descriptions",
                        "re-export the segmentation")
    return arr


def _check_frame_of_reference(ds, reference: Volume, path: str) -> None:
    from rnpc_radiomics.io.mask import reference_info

    seg_for = str(ds.get("FrameOfReferenceUID", "")) or None
    ref_for = reference_info(reference, need_uids=False).frame_of_reference_uid
    if seg_for and ref_for and seg_for != ref_for:
        raise GeometryError("DICOM-SEG belongs to another image", path,
                            f"its FrameOfReferenceUID {seg_for} differs from the image's "
                            f"{ref_for}", "give the image series the segmentation was made on")
    if not (seg_for and ref_for):
        log.warning("cannot verify that DICOM-SEG %s belongs to the image: FrameOfReferenceUID "
                    "missing; placing frames by position", path)


def _load(path, reference: Volume):
    p = os.fspath(path)
    if not isinstance(reference, Volume):
        raise TypeError(f"reference must be a Volume, got {type(reference).__name__}")
    ds = _open(p)
    _check_frame_of_reference(ds, reference, p)
    frames = _Frames(ds, p)
    pix = _pixels(ds, p, frames.n)
    return p, ds, frames, pix


def _on_reference(p: str, ds, frames: _Frames, values: dict, reference: Volume,
                  dtype, fill, resample: bool) -> np.ndarray:
    """Array on the reference grid from per-frame 2D ``values`` ({frame: array})."""
    try:
        ks = frames.place(ds, reference)
    except GeometryError:
        if not resample:
            raise
        log.info("resampling DICOM-SEG %s onto the image grid (nearest neighbour)", p)
        return _resampled(p, ds, frames, values, reference, dtype)
    arr = np.full(reference.shape, fill, dtype=dtype)
    covered: set[int] = set()
    dropped = 0
    for f, v in values.items():
        k = ks[f]
        if k is None:
            dropped += bool(v.any())
            continue
        if k in covered:
            np.maximum(arr[k], v, out=arr[k])  # overlapping frames: OR / max fraction
        else:
            arr[k] = v
            covered.add(k)
    if dropped:
        log.warning("DICOM-SEG %s: %d non-empty frames lie outside the image and were ignored",
                    p, dropped)
    return arr


def _resampled(p: str, ds, frames: _Frames, values: dict, reference: Volume,
               dtype) -> np.ndarray:
    """Stack the frames on the SEG's own grid, then nearest-neighbour onto the reference."""
    from rnpc_radiomics.io.mask import resample_to_reference

    def irregular(why):
        return GeometryError("cannot resample DICOM-SEG", p, why,
                             "give the image series the segmentation was made on")

    iop, ps = frames.iop[0], frames.spacing[0]
    for o, s in zip(frames.iop, frames.spacing):
        if not (np.allclose(o, iop, atol=1e-4) and np.allclose(s, ps, rtol=1e-4)):
            raise irregular("its frames differ in orientation or pixel spacing")
    row, col = iop[:3], iop[3:]
    normal = np.cross(row, col)
    nrm = np.linalg.norm(normal)
    if nrm < 1e-6:
        raise irregular("degenerate ImageOrientationPatient")
    normal = normal / nrm
    fs = sorted(values)
    pos = np.array([float(np.dot(frames.ipp[f], normal)) for f in fs])
    uniq = np.unique(np.round(pos, 3))
    if len(uniq) > 1:
        dz = float(np.min(np.diff(uniq)))
    else:
        pm = _item(None, ds.SharedFunctionalGroupsSequence[0]
                   if "SharedFunctionalGroupsSequence" in ds else None, "PixelMeasuresSequence")
        dz = float((pm.get("SpacingBetweenSlices") or pm.get("SliceThickness") or 1.0)
                   if pm is not None else 1.0)
    idx_f = (pos - uniq[0]) / dz
    idx = np.round(idx_f).astype(int)
    if np.any(np.abs(idx_f - idx) > 0.1) or idx.max() >= 10000:
        raise irregular("its frames are not on a regular slice grid")
    origins = np.array([frames.ipp[f] - i * dz * normal for f, i in zip(fs, idx)])
    if np.ptp(origins, axis=0).max() > 0.05 * min(ps):
        raise irregular("its frames are shifted against each other in-plane")
    rows, cols = int(ds.Rows), int(ds.Columns)
    arr = np.zeros((int(idx.max()) + 1, rows, cols), dtype=dtype)
    for f, i in zip(fs, idx):
        np.maximum(arr[i], values[f], out=arr[i])
    native = Volume(arr, spacing=(float(ps[1]), float(ps[0]), dz), origin=tuple(origins[0]),
                    direction=np.column_stack([row, col, normal]))
    return resample_to_reference(native, reference).array


def _provenance(ds, p: str, description: str | None) -> Provenance:
    return Provenance(source=p, series_uid=str(ds.get("SeriesInstanceUID", "")) or None,
                      frame_of_reference_uid=str(ds.get("FrameOfReferenceUID", "")) or None,
                      description=description)


def read_seg(path: str | os.PathLike, reference: Volume, *, segment: int | str | None = None,
             threshold: float | None = 0.5, resample: bool = False) -> Volume:
    """Read one segment of a DICOM-SEG onto ``reference``'s grid.

    Parameters
    ----------
    path : str or path-like
        DICOM-SEG file (any extension; ``.seg`` and ``.dcm`` alike).
    reference : Volume
        The image the segmentation was made on.
    segment : int or str, optional
        SegmentNumber (int, or a string of digits matching no label) or SegmentLabel (str,
        exact, else case-insensitive). May be omitted when there is a single segment (for
        LABELMAP: a single segment besides number 0, the background).
    threshold : float or None, default 0.5
        FRACTIONAL only: keep voxels with ``value >= threshold * MaximumFractionalValue``. With
        ``None`` the fractions (``float32`` in [0, 1], ``units="fraction"``) are returned.
    resample : bool, default False
        When the frames are not on the reference grid (other pixel spacing, frame size,
        in-plane shift, slice positions), stack them on the SEG's own regular grid and resample
        that onto the reference with nearest-neighbour interpolation instead of raising
        :class:`GeometryError`. The FrameOfReferenceUID must still match.

    Returns
    -------
    Volume
        ``uint8`` 0/1 array of shape (Z, Y, X) on the reference grid, ``modality="SEG"``,
        ``units="label"``, ``meta`` with ``segment_number``, ``segment_label`` and
        ``segmentation_type``.

    Raises
    ------
    MaskError
        Unknown segment (the message lists them), several segments and none chosen,
        inconsistent file (e.g. fewer frames of pixel data than frame descriptions), empty
        segment on the reference grid.
    GeometryError
        Another FrameOfReferenceUID; or another frame size, pixel spacing, orientation or
        slice positions (without ``resample``, or frames on no regular grid).
    """
    p, ds, frames, pix = _load(path, reference)
    seg_type = _seg_type(ds)
    number, label = _choose_segment(_segments(ds), segment, seg_type, p)
    fractions = seg_type == "FRACTIONAL" and threshold is None
    values: dict[int, np.ndarray] = {}
    if seg_type == "LABELMAP":
        for f in range(frames.n):
            values[f] = (pix[f] == number).astype(np.uint8)
    elif seg_type in ("BINARY", "FRACTIONAL"):
        mine = [f for f in range(frames.n) if frames.segment[f] == number
                or (frames.segment[f] is None and len(_segments(ds)) == 1)]
        vmax = float(ds.get("MaximumFractionalValue", 0) or 0)
        if seg_type == "FRACTIONAL" and vmax <= 0:
            raise MaskError("unusable DICOM-SEG", p, "FRACTIONAL without a positive "
                            "MaximumFractionalValue", "re-export the segmentation")
        for f in mine:
            if seg_type == "BINARY":
                values[f] = (pix[f] != 0).astype(np.uint8)
            else:
                frac = pix[f].astype(np.float32) / np.float32(vmax)
                values[f] = frac if fractions else (frac >= threshold).astype(np.uint8)
    else:
        raise MaskError("unsupported DICOM-SEG", p, f"SegmentationType {seg_type}",
                        "expected BINARY, FRACTIONAL or LABELMAP")
    dtype = np.float32 if fractions else np.uint8
    arr = _on_reference(p, ds, frames, values, reference, dtype, 0, resample) if values else \
        np.zeros(reference.shape, dtype)
    if not arr.any():
        raise MaskError(f"segment {number} {label!r} is empty on the image grid", p,
                        "no frame of this segment lies on the image's slices",
                        "check that the segmentation belongs to this image")
    return reference.with_array(
        arr, modality="SEG", units="fraction" if fractions else "label",
        provenance=_provenance(ds, p, label),
        meta={"segment_number": number, "segment_label": label, "segmentation_type": seg_type})


def read_seg_labelmap(path: str | os.PathLike, reference: Volume) -> Volume:
    """A LABELMAP DICOM-SEG as a label map on ``reference``'s grid (all segments at once).

    Slices that have no frame get PixelPaddingValue when the object defines one, else 0
    (as dcmqi does).

    Returns
    -------
    Volume
        Integer array of shape (Z, Y, X) (the SEG's pixel type), ``units="label"``,
        ``meta["segments"] = [(number, label), ...]``.

    Raises
    ------
    MaskError
        Not a LABELMAP segmentation (use :func:`read_seg` per segment), or inconsistent file.
    GeometryError
        As for :func:`read_seg` (no resampling here).
    """
    p, ds, frames, pix = _load(path, reference)
    if _seg_type(ds) != "LABELMAP":
        raise MaskError("not a LABELMAP DICOM-SEG", p,
                        f"SegmentationType {_seg_type(ds)}", "read one segment with read_seg")
    fill = ds.get("PixelPaddingValue")
    ks = frames.place(ds, reference)
    arr = np.full(reference.shape, int(fill) if fill is not None else 0, dtype=pix.dtype)
    covered: set[int] = set()
    for f, k in enumerate(ks):
        if k is None:
            continue
        if k in covered:
            np.copyto(arr[k], pix[f], where=pix[f] != 0)
        else:
            arr[k] = pix[f]
            covered.add(k)
    return reference.with_array(arr, modality="SEG", units="label",
                                provenance=_provenance(ds, p, None),
                                meta={"segments": _segments(ds), "segmentation_type": "LABELMAP"})
