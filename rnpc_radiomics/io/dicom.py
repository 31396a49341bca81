"""DICOM image series: discovery (:func:`list_series`) and loading (:func:`read_dicom_image`).

How a series becomes a :class:`~rnpc_radiomics.image.Volume`
------------------------------------------------------------
* Files are grouped by SeriesInstanceUID. DICOMDIR, hidden folders and non-DICOM files are
  skipped. Objects that are not images (RTSTRUCT, SEG, RTPLAN, SR, ...) are listed but cannot be
  loaded as images.
* Every frame (a single-frame file, or one frame of an enhanced multi-frame file) brings its own
  geometry: ImagePositionPatient (IPP), ImageOrientationPatient (IOP), PixelSpacing. For
  multi-frame files these come from PerFrameFunctionalGroupsSequence, falling back to
  SharedFunctionalGroupsSequence and then to the top-level attributes, so files without a shared
  group (some Siemens enhanced MR) and Legacy Converted Enhanced images work.
* Frames are sorted by the projection of IPP on the slice normal ``IOP_row x IOP_col``, never by
  file name or InstanceNumber. The direction is ``[IOP_row, IOP_col, normal]`` (orthonormalised
  the way ITK's GDCMImageIO does, which changes nothing for a well-formed IOP), the origin is the
  IPP of the first sorted frame and the slice spacing is the mean step along the normal. The array
  is therefore identical to ``SimpleITK.ImageSeriesReader``'s for regular series.
* Refused, with a :class:`~rnpc_radiomics.errors.DicomError` that says why: frames with different
  orientations, duplicate positions, missing slices / non-uniform spacing (relative tolerance
  1e-2 of the smallest step, at least 3e-3 mm), slice positions that do not follow the normal
  (**gantry tilt**: we do not resample tilted stacks, because a silent shear correction changes
  the voxel grid that radiomic features are computed on; reconstruct without tilt or resample
  with a dedicated tool first), Siemens mosaics, colour images, undecodable pixel data.
* Values: RescaleSlope/RescaleIntercept are applied per frame. With integral slopes and
  intercepts the result stays integer (the stored type when slope 1 / intercept 0, else int16
  when the range fits, else int32); anything else becomes float32 (7 significant digits, half
  the memory of float64 for large PET/CT volumes). CT is in ``"HU"``, MR in ``"arbitrary"`` units, PET is converted
  to SUVbw (:mod:`rnpc_radiomics.io.pet`) unless ``suv=False``.
* A one-file series without any geometry (no IPP/IOP, e.g. a secondary capture or an old
  multi-frame MR) is loaded with an identity direction and zero origin, and
  ``meta["warnings"]`` says so; a multi-file series without geometry is refused.
"""

from __future__ import annotations

import logging
import math
import os
import warnings
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from rnpc_radiomics.errors import DicomError
from rnpc_radiomics.image import Provenance, Volume

__all__ = ["SeriesInfo", "list_series", "read_dicom_image", "read_frames"]

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

# Modalities of DICOM objects that hold no image volume we can load.
NON_IMAGE_MODALITIES = frozenset({
    "RTSTRUCT", "RTPLAN", "RTRECORD", "RTDOSE", "RTIMAGE", "SEG", "SR", "KO", "PR", "REG",
    "RWV", "FID", "DOC", "PLAN", "AU", "ECG", "HD",
})
_DICOMDIR_SOP_CLASS = "1.2.840.10008.1.3.10"

_IOP_TOL = 1e-4          # direction-cosine agreement between frames of one series
_DUP_TOL_MM = 1e-3       # two frames closer than this along the normal share a position
_STEP_RTOL = 1e-2        # slice-step uniformity, relative to the smallest step ...
_STEP_ATOL_MM = 3e-3     # ... but never tighter than this (DS strings are rounded)
_TILT_REL = 0.1          # in-plane drift tolerated, as a fraction of the smallest pixel size
_TILT_ATOL_MM = 1e-2

_SERIES_HINT = "choose one with series=UID (CLI --series UID) or modality="


# ---------------------------------------------------------------------------------- discovery
@dataclass(frozen=True)
class SeriesInfo:
    """What :func:`list_series` found about one DICOM series.

    Attributes
    ----------
    series_uid : str
        SeriesInstanceUID (``""`` when absent).
    modality : str
        DICOM Modality (``"CT"``, ``"MR"``, ``"PT"``, ``"RTSTRUCT"``, ``"SEG"``, ...).
    description : str
        SeriesDescription.
    study_uid : str
        StudyInstanceUID.
    frame_of_reference_uid : str or None
        FrameOfReferenceUID of the first file.
    sop_class : str
        SOPClassUID of the first file (``sop_class_name`` gives its name).
    n_files : int
        Number of files.
    n_frames : int
        Number of image frames (slices) over all files.
    size : tuple of 3 int or None
        ``(columns, rows, frames)`` = (x, y, z) for image series, None otherwise.
    spacing : tuple of 3 float or None
        ``(column spacing, row spacing, slice step)`` in mm when known; the slice step is
        estimated from the headers (median step along the normal) and may be None.
    files : tuple of str
        The files, sorted by path.
    is_image : bool
        True when the series can be loaded with :func:`read_dicom_image`.
    """

    series_uid: str
    modality: str
    description: str
    study_uid: str
    frame_of_reference_uid: str | None
    sop_class: str
    n_files: int
    n_frames: int
    size: tuple[int, int, int] | None
    spacing: tuple[float | None, float | None, float | None] | None
    files: tuple[str, ...] = field(repr=False)
    is_image: bool = True

    @property
    def sop_class_name(self) -> str:
        """Human name of the SOP class (``"CT Image Storage"``, ...)."""
        from pydicom.uid import UID

        return UID(self.sop_class).name if self.sop_class else ""

    def summary(self) -> str:
        """One line: UID, modality, description and number of slices (or files)."""
        desc = self.description.strip() or "no description"
        count = (f"{self.n_frames} slice{'s' if self.n_frames != 1 else ''}" if self.is_image
                 else f"{self.n_files} file{'s' if self.n_files != 1 else ''}, not an image")
        return (f"{self.series_uid or '<no SeriesInstanceUID>'} "
                f"({self.modality or 'no modality'}, '{desc}', {count})")


def _looks_like_raw_dataset(path: str) -> bool:
    """A DICOM data set written without preamble/File Meta starts with a group 0x0008 tag."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
    except OSError:
        return False
    # Little endian (implicit or explicit VR) starts with group 0x0008 and a small element
    # number; big endian files without meta are too rare to guess.
    return len(head) == 8 and head[:2] == b"\x08\x00" and head[3] == 0


def _has_dicm_magic(path: str) -> bool:
    try:
        with open(path, "rb") as fh:
            fh.seek(128)
            return fh.read(4) == b"DICM"
    except OSError:
        return False


class _NotDicom(Exception):
    pass


def _dcmread(path: str, *, pixels: bool | str):
    """Read a file with pydicom; ``_NotDicom`` for non-DICOM files, DicomError for broken ones.

    ``pixels``: True reads everything, False stops before the pixel data, ``"defer"`` reads
    the header and leaves large values (pixel data) on disk until they are accessed, so that
    one read serves both series discovery and loading.
    """
    import pydicom
    from pydicom.errors import InvalidDicomError

    kw = ({"stop_before_pixels": True} if pixels is False else
          {"defer_size": 4096} if pixels == "defer" else {})
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ds = pydicom.dcmread(path, **kw)
    except InvalidDicomError:
        if not _looks_like_raw_dataset(path):
            raise _NotDicom(path) from None
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ds = pydicom.dcmread(path, force=True, **kw)
        except Exception as exc:  # noqa: BLE001 - any parse failure means "not DICOM" here
            raise _NotDicom(path) from exc
        if "SOPClassUID" not in ds and "Modality" not in ds:
            raise _NotDicom(path) from None
    except (OSError, MemoryError) as exc:
        if isinstance(exc, (IsADirectoryError, PermissionError)):
            raise DicomError("cannot read DICOM file", path, str(exc)) from None
        raise DicomError("cannot read DICOM file", path, f"{type(exc).__name__}: {exc}",
                         "the file may be truncated or corrupted") from None
    except Exception as exc:  # noqa: BLE001 - pydicom raises many types on corrupt input
        if not _has_dicm_magic(path):
            raise _NotDicom(path) from exc
        raise DicomError("cannot parse DICOM file", path, f"{type(exc).__name__}: {exc}",
                         "the file may be truncated or corrupted") from None
    if pixels is not False and "SOPClassUID" not in ds and "Modality" not in ds:
        # pydicom returns an empty data set when the pixel data runs past the end of the file
        # (no sequence delimiter); the header alone tells a truncated image from junk.
        head = _dcmread(path, pixels=False)
        if "Rows" in head:
            raise DicomError("DICOM file is truncated", path,
                             "the data set ends inside its pixel data, so no pixel data is "
                             "readable", "copy the file again from its source")
        return head
    _fix_transfer_syntax(ds)
    return ds


def _fix_transfer_syntax(ds) -> None:
    """Give files without a TransferSyntaxUID the one pydicom detected while parsing.

    Only native (uncompressed) encodings can be guessed; compressed pixel data without a
    transfer syntax fails later, when decoded, with a clear message.
    """
    from pydicom.dataset import FileMetaDataset
    from pydicom.uid import ExplicitVRBigEndian, ExplicitVRLittleEndian, ImplicitVRLittleEndian

    meta = getattr(ds, "file_meta", None)
    if meta is None:
        meta = ds.file_meta = FileMetaDataset()
    if meta.get("TransferSyntaxUID"):
        return
    enc = getattr(ds, "original_encoding", None) or (None, None)
    implicit, little = enc
    if implicit is None:
        return
    meta.TransferSyntaxUID = (ImplicitVRLittleEndian if implicit else
                              (ExplicitVRLittleEndian if little else ExplicitVRBigEndian))


def _iter_files(root: str):
    if os.path.isfile(root):
        yield root
        return
    for dirpath, dirnames, filenames in os.walk(root):
        # Hidden folders hold partial writes (.part), VCS data, ...; never image slices.
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith(".") or name.upper() == "DICOMDIR":
                continue
            yield os.path.join(dirpath, name)


def _scan(path: str, pixels: bool | str = False) -> list[tuple[str, object]]:
    """(file, header) pairs of every DICOM file under ``path`` (DICOMDIR excluded)."""
    out = []
    single = os.path.isfile(path)
    for f in _iter_files(path):
        try:
            ds = _dcmread(f, pixels=pixels)
        except _NotDicom:
            if single:
                raise DicomError("not a DICOM file", f,
                                 "no DICOM preamble/'DICM' marker or data set found",
                                 "pass a DICOM file or a folder of DICOM files") from None
            logger.debug("skipping non-DICOM file %s", f)
            continue
        except DicomError:
            if single:
                raise
            logger.warning("skipping unreadable DICOM file %s", f)
            continue
        sop = str(ds.get("SOPClassUID", "") or getattr(ds.file_meta, "MediaStorageSOPClassUID",
                                                         "") or "")
        if sop == _DICOMDIR_SOP_CLASS or "DirectoryRecordSequence" in ds:
            continue
        out.append((f, ds))
    return out


def _is_image_header(ds) -> bool:
    modality = str(ds.get("Modality", "") or "").upper()
    if modality in NON_IMAGE_MODALITIES:
        return False
    return "Rows" in ds and "Columns" in ds


def _str(ds, keyword: str) -> str:
    v = ds.get(keyword, "")
    return "" if v is None else str(v)


def _n_frames(ds) -> int:
    try:
        return max(1, int(ds.get("NumberOfFrames", 1) or 1))
    except (TypeError, ValueError):
        return 1


def _build_info(files_headers: list[tuple[str, object]], estimate_spacing: bool = True
                ) -> SeriesInfo:
    files_headers = sorted(files_headers, key=lambda fh: fh[0])
    ds0 = files_headers[0][1]
    is_image = all(_is_image_header(ds) for _, ds in files_headers)
    n_frames = sum(_n_frames(ds) for _, ds in files_headers)
    size = spacing = None
    if is_image:
        size = (int(ds0.Columns), int(ds0.Rows), n_frames)
    if is_image and estimate_spacing:
        try:
            frames = [fr for f, ds in files_headers for fr in _frame_geometry(ds, f)]
            ps = frames[0].pixel_spacing
            step = None
            if len(frames) > 1 and all(fr.ipp is not None and fr.iop is not None
                                       for fr in frames):
                n = _orthonormal(frames[0].iop)[:, 2]
                proj = np.sort([float(np.dot(fr.ipp, n)) for fr in frames])
                step = float(np.median(np.diff(proj)))
            elif frames[0].fallback_z is not None:
                step = frames[0].fallback_z
            spacing = (None if ps is None else ps[1], None if ps is None else ps[0], step)
        except Exception:  # noqa: BLE001 - listing is best effort; loading reports errors
            spacing = None
    return SeriesInfo(
        series_uid=_str(ds0, "SeriesInstanceUID"),
        modality=_str(ds0, "Modality"),
        description=_str(ds0, "SeriesDescription"),
        study_uid=_str(ds0, "StudyInstanceUID"),
        frame_of_reference_uid=_str(ds0, "FrameOfReferenceUID") or None,
        sop_class=_str(ds0, "SOPClassUID"),
        n_files=len(files_headers),
        n_frames=n_frames,
        size=size,
        spacing=spacing,
        files=tuple(f for f, _ in files_headers),
        is_image=is_image,
    )


def _group(scanned, estimate_spacing: bool = True) -> list[SeriesInfo]:
    groups: dict[str, list] = defaultdict(list)
    for f, ds in scanned:
        groups[_str(ds, "SeriesInstanceUID")].append((f, ds))
    infos = [_build_info(v, estimate_spacing) for v in groups.values()]
    infos.sort(key=lambda s: (not s.is_image, s.modality, s.series_uid))
    return infos


def list_series(path: str | os.PathLike) -> list[SeriesInfo]:
    """Describe every DICOM series in a folder (searched recursively) or in one file.

    Parameters
    ----------
    path : str or path-like
        A folder or a single DICOM file. DICOMDIR, hidden folders and non-DICOM files are
        skipped silently; unreadable DICOM files are skipped with a warning.

    Returns
    -------
    list of SeriesInfo
        Image series first, then non-image objects (RTSTRUCT, SEG, ...), each group sorted by
        modality and UID.

    Raises
    ------
    DicomError
        ``path`` does not exist, or is a single file that is not DICOM.
    """
    p = os.fspath(path)
    if not os.path.exists(p):
        raise DicomError("DICOM path not found", p, "no such file or folder", "check the path")
    return _group(_scan(p))


# ---------------------------------------------------------------------------------- geometry
@dataclass
class _Frame:
    path: str
    frame: int | None             # 0-based frame index in a multi-frame file, None otherwise
    ipp: np.ndarray | None
    iop: np.ndarray | None
    pixel_spacing: tuple[float, float] | None   # (row spacing, column spacing) = (dy, dx)
    slope: float
    intercept: float
    fallback_z: float | None      # SpacingBetweenSlices or SliceThickness
    ds: object = None
    sop_uid: str = ""


def _floats(v, n: int) -> np.ndarray | None:
    if v is None:
        return None
    try:
        a = np.asarray([float(x) for x in v], dtype=np.float64)
    except (TypeError, ValueError):
        return None
    if a.shape != (n,) or not np.all(np.isfinite(a)):
        return None
    return a


def _float_or_none(v) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _first(seq_item, seq_keyword: str):
    """``item.<seq_keyword>[0]`` or None."""
    if seq_item is None:
        return None
    seq = seq_item.get(seq_keyword)
    return seq[0] if seq else None


def _frame_geometry(ds, path: str) -> list[_Frame]:
    """One :class:`_Frame` per image frame of ``ds`` (headers only)."""
    nf = _n_frames(ds)
    per_frame = ds.get("PerFrameFunctionalGroupsSequence")
    shared_seq = ds.get("SharedFunctionalGroupsSequence")
    shared = shared_seq[0] if shared_seq else None
    enhanced = per_frame is not None or shared is not None
    top_ipp = _floats(ds.get("ImagePositionPatient"), 3)
    top_iop = _floats(ds.get("ImageOrientationPatient"), 6)
    top_ps = _floats(ds.get("PixelSpacing"), 2)
    top_slope = _float_or_none(ds.get("RescaleSlope"))
    top_icpt = _float_or_none(ds.get("RescaleIntercept"))
    top_z = (_float_or_none(ds.get("SpacingBetweenSlices"))
             or _float_or_none(ds.get("SliceThickness")))
    sop = _str(ds, "SOPInstanceUID")
    frames = []
    for k in range(nf):
        ipp, iop, ps = top_ipp, top_iop, top_ps
        slope, icpt, zfb = top_slope, top_icpt, top_z
        if enhanced:
            items = []
            if per_frame is not None and k < len(per_frame):
                items.append(per_frame[k])
            if shared is not None:
                items.append(shared)

            def look(seq_kw, attr, n=None, _items=items):
                for it in _items:
                    sub = _first(it, seq_kw)
                    if sub is not None and attr in sub:
                        v = sub.get(attr)
                        return _floats(v, n) if n else _float_or_none(v)
                return None

            ipp = _first_not_none(look("PlanePositionSequence", "ImagePositionPatient", 3), ipp)
            iop = _first_not_none(look("PlaneOrientationSequence", "ImageOrientationPatient", 6),
                                  iop)
            ps = _first_not_none(look("PixelMeasuresSequence", "PixelSpacing", 2), ps)
            zfb = (look("PixelMeasuresSequence", "SpacingBetweenSlices")
                   or look("PixelMeasuresSequence", "SliceThickness") or zfb)
            slope = _first_not_none(look("PixelValueTransformationSequence", "RescaleSlope"),
                                    slope)
            icpt = _first_not_none(look("PixelValueTransformationSequence", "RescaleIntercept"),
                                   icpt)
        frames.append(_Frame(
            path=path, frame=k if (enhanced or nf > 1) else None, ipp=ipp, iop=iop,
            pixel_spacing=None if ps is None else (float(ps[0]), float(ps[1])),
            slope=1.0 if slope is None or slope == 0 else float(slope),
            intercept=0.0 if icpt is None else float(icpt),
            fallback_z=zfb if (zfb is not None and zfb > 0) else None,
            ds=ds, sop_uid=sop))
    return frames


def _first_not_none(a, b):
    return a if a is not None else b


def _orthonormal(iop: np.ndarray) -> np.ndarray:
    """Direction matrix (columns row, col, normal) from an IOP, orthonormalised like ITK."""
    row = np.asarray(iop[:3], dtype=np.float64)
    col = np.asarray(iop[3:], dtype=np.float64)
    normal = np.cross(row, col)
    nn = np.linalg.norm(normal)
    if nn < 1e-6:
        raise ValueError("degenerate IOP")
    normal /= nn
    # ITK's GDCMImageIO re-derives row from col x normal; same result for a clean IOP.
    row = np.cross(col, normal)
    row /= np.linalg.norm(row)
    col = np.cross(normal, row)
    return np.column_stack([row, col, normal])


def _fmt_mm(x: float) -> str:
    return f"{x:.4g}"


def _assemble_geometry(frames: list[_Frame], source: str, *, single_file: bool):
    """Sort frames; return (order, spacing, origin, direction, warnings)."""
    warn: list[str] = []
    n = len(frames)
    if any(fr.ipp is None or fr.iop is None for fr in frames):
        if single_file and all(fr.ipp is None and fr.iop is None for fr in frames):
            ps = frames[0].pixel_spacing or (1.0, 1.0)
            z = frames[0].fallback_z or 1.0
            warn.append("no ImagePositionPatient/ImageOrientationPatient: identity direction "
                        "and zero origin assumed")
            return (list(range(n)), (ps[1], ps[0], z), (0.0, 0.0, 0.0), np.eye(3), warn)
        bad = next(fr for fr in frames if fr.ipp is None or fr.iop is None)
        raise DicomError("DICOM slice has no geometry", bad.path,
                         "ImagePositionPatient or ImageOrientationPatient is missing or "
                         "malformed", "the series cannot be stacked into a volume")
    iops = np.stack([fr.iop for fr in frames])
    dev = np.abs(iops - iops[0]).max(axis=1)
    if np.any(dev > _IOP_TOL):
        distinct = []
        for v in iops:
            if not any(np.abs(v - d).max() <= _IOP_TOL for d in distinct):
                distinct.append(v)
        raise DicomError(
            "DICOM series mixes slice orientations", source,
            f"{len(distinct)} different ImageOrientationPatient values in {n} slices "
            "(localisers, several stacks or a not-a-volume series)",
            "split the files into one folder per orientation, or pick another series")
    try:
        direction = _orthonormal(iops[0])
    except ValueError:
        raise DicomError("invalid ImageOrientationPatient", frames[0].path,
                         f"row and column cosines are parallel or zero: {iops[0].tolist()}") \
            from None
    pss = [fr.pixel_spacing for fr in frames]
    if any(p is None for p in pss):
        ps = (1.0, 1.0)
        warn.append("no PixelSpacing: 1 mm assumed")
    else:
        ps = pss[0]
        if any(not np.allclose(p, ps, rtol=1e-4, atol=0) for p in pss):
            raise DicomError("DICOM series mixes pixel spacings", source,
                             f"PixelSpacing varies between slices (first {ps})",
                             "pick a series with one in-plane resolution")
    normal = direction[:, 2]
    ipps = np.stack([fr.ipp for fr in frames])
    proj = ipps @ normal
    order = list(np.argsort(proj, kind="stable"))
    proj_s = proj[order]
    ipps_s = ipps[order]
    if n == 1:
        z = frames[0].fallback_z or 1.0
        return order, (ps[1], ps[0], z), tuple(ipps_s[0]), direction, warn
    steps = np.diff(proj_s)
    dup = np.flatnonzero(steps < _DUP_TOL_MM)
    if dup.size:
        k = int(dup[0])
        n_at = int(np.sum(np.abs(proj_s - proj_s[k]) < _DUP_TOL_MM))
        raise DicomError(
            "DICOM series has duplicate slice positions", source,
            f"{n_at} slices at {_fmt_mm(proj_s[k])} mm along the normal "
            f"({frames[order[k]].path}, {frames[order[k + 1]].path}); "
            f"{dup.size} duplicate position(s) in {n} slices",
            "the series holds several images per position (echoes, phases, repeats or a "
            "copied file): separate them first")
    # Gantry tilt: positions drift in-plane while IOP stays put.
    rel = ipps_s - ipps_s[0]
    inplane = rel - np.outer(proj_s - proj_s[0], normal)
    drift = np.linalg.norm(inplane, axis=1)
    tilt_tol = max(_TILT_REL * min(ps), _TILT_ATOL_MM)
    if drift.max() > tilt_tol:
        angle = math.degrees(math.atan2(drift[-1], proj_s[-1] - proj_s[0]))
        raise DicomError(
            "DICOM series has a tilted slice stack", source,
            f"gantry tilt of {angle:.1f} degrees detected (slice positions drift "
            f"{_fmt_mm(drift.max())} mm in-plane across the stack); tilted stacks are not "
            "resampled", "reconstruct the series without tilt or resample it to an orthogonal "
            "grid (e.g. dcm2niix) and load the result")
    expected = float(steps.min())
    tol = max(_STEP_RTOL * expected, _STEP_ATOL_MM)
    bad = np.flatnonzero(np.abs(steps - expected) > tol)
    if bad.size:
        k = int(bad[np.argmax(steps[bad])])
        ratio = steps[k] / expected
        if abs(ratio - round(ratio)) <= max(_STEP_RTOL * round(ratio), tol / expected):
            why = (f"gap of {_fmt_mm(steps[k])} mm between slices at {_fmt_mm(proj_s[k])} and "
                   f"{_fmt_mm(proj_s[k + 1])} mm along the normal, expected "
                   f"{_fmt_mm(expected)} mm: {int(round(ratio)) - 1} slice(s) missing")
            what = "DICOM series has a missing slice"
        else:
            why = (f"slice steps range from {_fmt_mm(expected)} to {_fmt_mm(steps.max())} mm "
                   f"(largest between {_fmt_mm(proj_s[k])} and {_fmt_mm(proj_s[k + 1])} mm "
                   "along the normal)")
            what = "DICOM series has non-uniform slice spacing"
        raise DicomError(what, source, why,
                         "check that every slice file is present and belongs to this series")
    dz = float((proj_s[-1] - proj_s[0]) / (n - 1))
    return order, (ps[1], ps[0], dz), tuple(ipps_s[0]), direction, warn


# ---------------------------------------------------------------------------------- pixels
def _ts_name(ds) -> str:
    ts = getattr(ds, "file_meta", None)
    ts = ts.get("TransferSyntaxUID") if ts is not None else None
    return f"{ts.name} ({ts})" if ts else "unknown transfer syntax"


def _decode(ds, path: str) -> np.ndarray:
    """Stored pixel values of every frame, shape (frames, rows, columns)."""
    if not any(k in ds for k in ("PixelData", "FloatPixelData", "DoubleFloatPixelData")):
        raise DicomError("DICOM file has no pixel data", path,
                         "the PixelData element is missing or was cut off",
                         "the file may be truncated; copy it again")
    if not ds.file_meta.get("TransferSyntaxUID"):
        raise DicomError("cannot decode DICOM pixel data", path,
                         "the File Meta has no TransferSyntaxUID and the encoding cannot be "
                         "guessed", "rewrite the file with a complete File Meta header")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            arr = ds.pixel_array
    except Exception as exc:  # noqa: BLE001 - decoders raise anything on corrupt data
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DicomError("cannot decode DICOM pixel data", path,
                         f"{_ts_name(ds)}: {msg}",
                         "the file may be truncated, or its compression needs a decoder that "
                         "is not installed (pylibjpeg, pylibjpeg-libjpeg, -openjpeg, -rle)") \
            from None
    nf = _n_frames(ds)
    rows, cols = int(ds.Rows), int(ds.Columns)
    if int(ds.get("SamplesPerPixel", 1) or 1) != 1:
        raise DicomError("colour DICOM images are not supported", path,
                         f"SamplesPerPixel is {ds.SamplesPerPixel} "
                         f"({ds.get('PhotometricInterpretation', '')})",
                         "use a greyscale (MONOCHROME) series")
    arr = np.asarray(arr)
    if arr.ndim == 2:
        arr = arr[None]
    if arr.shape != (nf, rows, cols):
        raise DicomError("DICOM pixel data has an unexpected shape", path,
                         f"decoded {arr.shape}, header says {nf} frame(s) of {rows}x{cols}",
                         "the file is inconsistent")
    return arr


def read_frames(path: str | os.PathLike) -> np.ndarray:
    """Decode the stored pixel values of one DICOM file (no rescale, no geometry).

    Parameters
    ----------
    path : str or path-like
        A single DICOM file, compressed or not.

    Returns
    -------
    ndarray of shape (F, R, C)
        Frames x rows x columns, in file frame order, dtype as stored.

    Raises
    ------
    DicomError
        Not DICOM, truncated, undecodable, colour, or no pixel data.
    """
    p = os.fspath(path)
    try:
        ds = _dcmread(p, pixels=True)
    except _NotDicom:
        raise DicomError("not a DICOM file", p, "no DICOM preamble/'DICM' marker or data set "
                         "found", "pass a DICOM file") from None
    if "Rows" not in ds or "Columns" not in ds:
        raise DicomError("DICOM file has no readable pixel data", p,
                         "Rows/Columns or the pixel data are missing or the file is truncated")
    return _decode(ds, p)


def _apply_rescale(stored: np.ndarray, slopes: np.ndarray, icpts: np.ndarray) -> np.ndarray:
    """``stored * slope + intercept`` per frame, in the smallest exact dtype (see module doc)."""
    if np.all(slopes == 1.0) and np.all(icpts == 0.0):
        return stored
    n = stored.shape[0]
    if (np.issubdtype(stored.dtype, np.integer) and np.all(slopes == np.round(slopes))
            and np.all(icpts == np.round(icpts)) and np.all(np.abs(slopes) < 2**15)
            and np.all(np.abs(icpts) < 2**31)):
        # Integral slope and intercept (slope 1 / intercept -1024 for most CT): exact integers.
        # The output range follows from each frame's stored min/max, so no int64 copy of
        # the whole volume is needed to pick the dtype.
        flat = stored.reshape(n, -1)
        smin = flat.min(axis=1).astype(np.int64)
        smax = flat.max(axis=1).astype(np.int64)
        sl = slopes.astype(np.int64)
        ic = icpts.astype(np.int64)
        ends = np.concatenate([smin * sl + ic, smax * sl + ic])
        lo, hi = int(ends.min()), int(ends.max())
        for dt in (np.int16, np.int32):
            info = np.iinfo(dt)
            if lo >= info.min and hi <= info.max:
                out = np.empty(stored.shape, dtype=dt)
                wide = np.int32 if dt == np.int16 else np.int64
                for k in range(n):
                    # Per frame in a wider type: stored * slope may overflow before + icpt.
                    out[k] = stored[k].astype(wide) * sl[k] + ic[k]
                return out
    out = np.empty(stored.shape, dtype=np.float32)
    for k in range(n):
        out[k] = stored[k].astype(np.float64) * slopes[k] + icpts[k]
    return out


# ---------------------------------------------------------------------------------- loading
_MODALITY_ALIASES = {"PET": "PT", "MRI": "MR", "PT": "PT", "MR": "MR", "CT": "CT"}


def _select(infos: list[SeriesInfo], source: str, series: str | None,
            modality: str | None) -> SeriesInfo:
    images = [s for s in infos if s.is_image]
    if not infos:
        raise DicomError("no DICOM files found", source, "the folder holds no readable DICOM file",
                         "check the path")
    if series is not None:
        hit = [s for s in infos if s.series_uid == str(series).strip()]
        if not hit:
            listing = "; ".join(s.summary() for s in infos)
            raise DicomError("DICOM series not found", source,
                             f"no series {series}; found {listing}",
                             "copy a SeriesInstanceUID from the list")
        if not hit[0].is_image:
            raise DicomError("DICOM series is not an image", source,
                             f"{hit[0].summary()}", "choose an image series (CT, MR, PT)")
        images = hit
    if modality is not None:
        m = _MODALITY_ALIASES.get(str(modality).upper(), str(modality).upper())
        chosen = [s for s in images if s.modality.upper() == m]
        if not chosen:
            listing = "; ".join(s.summary() for s in images) or "no image series"
            raise DicomError(f"no {m} image series", source, f"found {listing}",
                             "check the modality or the folder")
        images = chosen
    if not images:
        listing = "; ".join(s.summary() for s in infos)
        raise DicomError("no DICOM image series", source, f"found only {listing}",
                         "pass the folder of the image series")
    if len(images) > 1:
        listing = "; ".join(s.summary() for s in images)
        raise DicomError("several DICOM image series", source,
                         f"found {len(images)}: {listing}", _SERIES_HINT)
    return images[0]


def read_dicom_image(path: str | os.PathLike, *, series: str | None = None,
                     modality: str | None = None, suv: bool = True,
                     pet_weight_kg: float | None = None, keep_phi: bool = False) -> Volume:
    """Load one DICOM image series as a :class:`Volume` (see the module docstring).

    Parameters
    ----------
    path : str or path-like
        A folder (searched recursively) or a single DICOM file. A single file is loaded on its
        own: one slice, or every frame of a multi-frame file.
    series : str, optional
        SeriesInstanceUID to load when the folder holds several image series.
    modality : str, optional
        Load the only image series of this modality (``"CT"``, ``"MR"``, ``"PT"``).
    suv : bool
        PET only: convert Bq/ml to SUVbw (units ``"SUVbw"``). False keeps the rescaled stored
        values in their DICOM Units.
    pet_weight_kg : float, optional
        PET only: patient weight in kg, overriding (or replacing a missing) PatientWeight.
    keep_phi : bool
        Put PatientName, PatientID and PatientBirthDate into ``meta``. Off by default so that
        nothing patient-identifying reaches outputs.

    Returns
    -------
    Volume
        ``array[z, y, x]`` in slice order along the normal; ``provenance`` holds the source,
        SeriesInstanceUID, FrameOfReferenceUID and SeriesDescription; ``meta`` holds
        ``sop_instance_uids`` (one per slice, slice order), ``frame_numbers`` (1-based frame
        of each slice in its file, None for single-frame files), ``sop_class_uid``,
        ``study_uid``, ``transfer_syntax_uids``, PET ``suv`` parameters and ``warnings``.

    Raises
    ------
    DicomError
        Nothing loadable, several series and no choice, mixed orientations, duplicate or
        missing slices, gantry tilt, undecodable pixel data, ...
    PetError
        PET SUV conversion impossible (units, weight, dose, times).
    """
    source = os.fspath(path)
    if not os.path.exists(source):
        raise DicomError("DICOM path not found", source, "no such file or folder",
                         "check the path")
    scanned = _scan(source, pixels="defer")
    info = _select(_group(scanned, estimate_spacing=False), source, series, modality)
    return _load_series(info, source, suv=suv, pet_weight_kg=pet_weight_kg, keep_phi=keep_phi,
                        single_file=len(info.files) == 1, datasets=dict(scanned))


def _check_supported(ds, path: str) -> None:
    image_type = [str(t).upper() for t in (ds.get("ImageType") or [])]
    if "MOSAIC" in image_type:
        raise DicomError("Siemens mosaic images are not supported", path,
                         "the slices of a volume are tiled into one 2D frame",
                         "convert the series with dcm2niix first and load the NIfTI")


def _load_series(info: SeriesInfo, source: str, *, suv: bool, pet_weight_kg, keep_phi: bool,
                 single_file: bool, datasets: dict | None = None) -> Volume:
    # Headers first: geometry and SUV problems are reported before any pixel is decoded.
    frames: list[_Frame] = []
    cache = datasets or {}
    by_file = {}
    for f in info.files:
        ds = cache.get(f)
        if ds is None:
            try:
                ds = _dcmread(f, pixels="defer")
            except _NotDicom:  # pragma: no cover - it was DICOM a moment ago
                raise DicomError("not a DICOM file", f, "it could not be parsed") from None
        if not _is_image_header(ds) or not any(
                k in ds for k in ("PixelData", "FloatPixelData", "DoubleFloatPixelData")):
            raise DicomError("DICOM file has no readable pixel data", f,
                             "the pixel data is missing or the file is truncated",
                             "copy the file again from its source")
        _check_supported(ds, f)
        by_file[f] = ds
        frames.extend(_frame_geometry(ds, f))
    shapes = {(int(ds.Rows), int(ds.Columns)) for ds in by_file.values()}
    if len(shapes) != 1:
        raise DicomError("DICOM series mixes image sizes", source,
                         f"rows x columns differ between files: {sorted(shapes)}",
                         "pick a series with one matrix size")
    order, spacing, origin, direction, warns = _assemble_geometry(
        frames, source, single_file=single_file)
    sorted_frames = [frames[i] for i in order]

    ds0 = sorted_frames[0].ds
    modality = _str(ds0, "Modality").upper() or None
    factors = None
    meta: dict = {
        "sop_instance_uids": [fr.sop_uid for fr in sorted_frames],
        "frame_numbers": [None if fr.frame is None else fr.frame + 1 for fr in sorted_frames],
        "sop_class_uid": _str(ds0, "SOPClassUID"),
        "study_uid": _str(ds0, "StudyInstanceUID"),
        "series_number": _str(ds0, "SeriesNumber"),
        "transfer_syntax_uids": sorted({str(d.file_meta.get("TransferSyntaxUID", ""))
                                        for d in by_file.values()}),
        "n_files": len(info.files),
        "warnings": warns,
    }
    if modality == "CT":
        units = "HU"
    elif modality == "PT":
        units = _str(ds0, "Units").strip().upper() or None
        if suv:
            from rnpc_radiomics.io.pet import series_suv_factors

            factors, params = series_suv_factors([fr.ds for fr in sorted_frames],
                                                 weight_kg=pet_weight_kg,
                                                 path=sorted_frames[0].path)
            factors = np.asarray(factors, dtype=np.float64)
            units = "SUVbw"
            meta["suv"] = dict(params)
            meta["suv"]["factor"] = (float(factors[0]) if np.all(factors == factors[0])
                                     else factors.tolist())
    else:
        units = "arbitrary"
    thickness = _float_or_none(ds0.get("SliceThickness"))
    if thickness:
        meta["slice_thickness"] = thickness
    if keep_phi:
        meta["patient_name"] = _str(ds0, "PatientName")
        meta["patient_id"] = _str(ds0, "PatientID")
        meta["patient_birth_date"] = _str(ds0, "PatientBirthDate")

    # Pixels, file by file; each file's pixel data is dropped once decoded.
    decoded: dict[str, np.ndarray] = {}
    for f, ds in by_file.items():
        decoded[f] = _decode(ds, f)
        for kw in ("PixelData", "FloatPixelData", "DoubleFloatPixelData"):
            if kw in ds:
                del ds[kw]
    stored = np.stack([decoded[fr.path][fr.frame or 0] for fr in sorted_frames])
    decoded.clear()
    slopes = np.array([fr.slope for fr in sorted_frames], dtype=np.float64)
    icpts = np.array([fr.intercept for fr in sorted_frames], dtype=np.float64)
    if factors is not None:
        # SUV = (stored * slope + intercept) * factor, per slice, straight into float32.
        array = np.empty(stored.shape, dtype=np.float32)
        for k in range(stored.shape[0]):
            array[k] = (stored[k].astype(np.float64) * slopes[k] + icpts[k]) * factors[k]
    else:
        array = _apply_rescale(stored, slopes, icpts)
    del stored
    for w in warns:
        logger.warning("%s: %s", source, w)
    return Volume(
        array=np.ascontiguousarray(array), spacing=spacing, origin=origin, direction=direction,
        modality=modality, units=units,
        provenance=Provenance(source=source, series_uid=info.series_uid or None,
                              frame_of_reference_uid=info.frame_of_reference_uid,
                              description=info.description or None),
        meta=meta)
