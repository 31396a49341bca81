"""Masks onto a reference grid: label maps (NIfTI/NRRD/MHA), DICOM RTSTRUCT and DICOM-SEG.

:func:`load_mask` sniffs what it is given, not the file extension: a NIfTI/NRRD/MetaImage label
map is read through SimpleITK, anything else is opened as DICOM and dispatched on its
SOPClassUID / Modality (``RTSTRUCT`` -> :mod:`rnpc_radiomics.io.rtstruct`, ``SEG`` ->
:mod:`rnpc_radiomics.io.seg`; a ``.seg`` file is just DICOM). A folder is searched for the one
RTSTRUCT or SEG object it holds.

The helpers at the bottom find, for a reference :class:`Volume`, its FrameOfReferenceUID and the
SOPInstanceUID of each of its slices, which RTSTRUCT/SEG need to check that they describe this
image. They use ``reference.meta["sop_instance_uids"]`` when the DICOM loader put it there, else
read the headers (``stop_before_pixels``) of the reference's source folder and place each file
by projecting its ImagePositionPatient on the reference grid.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from struct import error as struct_error

import numpy as np

from rnpc_radiomics.errors import GeometryError, InputError, MaskError
from rnpc_radiomics.image import Provenance, Volume

__all__ = ["load_mask", "resample_to_reference", "binary_from_labels"]

log = logging.getLogger(__name__)

RTSTRUCT_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.481.3"
SEG_SOP_CLASSES = ("1.2.840.10008.5.1.4.1.1.66.4",  # Segmentation Storage
                   "1.2.840.10008.5.1.4.1.1.66.7")  # Label Map Segmentation Storage

_ITK_SUFFIXES = (".nii", ".nii.gz", ".nrrd", ".nhdr", ".mha", ".mhd")
_RESAMPLE_HINT = "pass resample=True (CLI --resample-mask) to resample the mask onto the image " \
                 "grid with nearest-neighbour interpolation"


def load_mask(path: str | os.PathLike, reference: Volume, *, label: int | str | None = None,
              roi: str | None = None, segment: int | str | None = None, resample: bool = False,
              tolerance: float = 1e-3, threshold: float | None = 0.5) -> Volume:
    """Read a mask and put it on ``reference``'s voxel grid.

    Parameters
    ----------
    path : str or path-like
        A label map (``.nii``, ``.nii.gz``, ``.nrrd``, ``.nhdr``, ``.mha``, ``.mhd``), a DICOM
        RTSTRUCT file, a DICOM-SEG file (any extension, e.g. ``.seg``), or a folder holding
        exactly one RTSTRUCT or SEG object.
    reference : Volume
        The image the mask belongs to; the result has its grid.
    label : int or str, optional
        Label maps: the label value to keep (the result is then binary). SEG: the
        SegmentLabel (str) or the segment number (int). RTSTRUCT: the ROI name (str) or
        ROINumber (int), when ``roi`` is not given.
    roi : str, optional
        RTSTRUCT ROI name. May be omitted when the RTSTRUCT holds a single ROI.
    segment : int or str, optional
        SEG segment number or SegmentLabel. May be omitted when there is a single segment.
    resample : bool, default False
        Label maps and DICOM-SEG: resample a mask whose grid differs from the reference with
        nearest-neighbour interpolation instead of raising :class:`GeometryError`. (RTSTRUCT
        contours are rasterised on the reference grid whatever it is.)
    tolerance : float, default 1e-3
        Label maps: geometry tolerance (see :meth:`Volume.same_geometry`). RTSTRUCT/SEG are
        placed by position with their own rules (half a slice / a quarter voxel).
    threshold : float or None, default 0.5
        FRACTIONAL DICOM-SEG only: keep voxels with ``value >= threshold *
        MaximumFractionalValue``; ``None`` returns the fractions (float32, units "fraction").

    Returns
    -------
    Volume
        ``uint8`` (or ``int32`` for labels above 255) array of shape (Z, Y, X) on the reference
        grid, ``units="label"``, ``modality`` ``"SEG"``, ``"RTSTRUCT"`` or ``None`` (label map).
        A label map read without ``label`` keeps all its labels; RTSTRUCT/SEG masks and
        label-selected masks are binary (0/1).

    Raises
    ------
    MaskError
        Unknown label/ROI/segment (the message lists those present), empty mask, unreadable or
        unsupported file.
    GeometryError
        Label map on another grid (and ``resample`` False); RTSTRUCT/SEG of another
        FrameOfReferenceUID or grid.
    """
    p = os.fspath(path)
    if not isinstance(reference, Volume):
        raise TypeError(f"reference must be a Volume, got {type(reference).__name__}")
    if not os.path.exists(p):
        raise MaskError("mask not found", p, "no such file or folder", "check the path")
    if os.path.isfile(p) and p.lower().endswith(_ITK_SUFFIXES):
        return _load_label_map(p, reference, label=label, resample=resample,
                               tolerance=tolerance)
    kind, dpath = _find_dicom_mask(p)
    if kind == "RTSTRUCT":
        from rnpc_radiomics.io.rtstruct import read_rtstruct

        if roi is None and label is not None:
            roi = label
        return read_rtstruct(dpath, reference, roi=roi)
    from rnpc_radiomics.io.seg import read_seg

    if segment is None and label is not None:
        segment = label
    return read_seg(dpath, reference, segment=segment, threshold=threshold, resample=resample)


# ---------------------------------------------------------------------------------- label maps
def _load_label_map(p: str, reference: Volume, *, label, resample: bool,
                    tolerance: float) -> Volume:
    from rnpc_radiomics.io.itk import read_itk_image

    try:
        m = read_itk_image(p)
    except InputError as exc:
        raise MaskError("cannot read mask", p, f"{exc.what}: {exc.why}" if exc.why else exc.what,
                        exc.hint) from exc
    arr = _integer_labels(m.array, p)
    m = m.with_array(arr)
    if not reference.same_geometry(m, tol=tolerance):
        if not resample:
            raise GeometryError(
                "mask and image grids differ", p,
                f"mask {m.describe_geometry()}; image {reference.describe_geometry()}",
                _RESAMPLE_HINT)
        log.info("resampling mask %s onto the image grid (nearest neighbour)", p)
        arr = resample_to_reference(m, reference).array
    out = reference.with_array(arr, modality=None, units="label",
                               provenance=Provenance(source=p), meta={})
    if label is not None:
        return binary_from_labels(out, label, p)
    if not np.any(out.array):
        raise MaskError("empty mask", p, "no labelled voxel on the image grid",
                        "check that the mask belongs to this image")
    return out


def _integer_labels(arr: np.ndarray, p: str) -> np.ndarray:
    """Integer labels in the smallest of uint8/int32; refuse fractional or negative values."""
    if arr.dtype == np.bool_:
        return arr.astype(np.uint8)
    if np.issubdtype(arr.dtype, np.floating):
        if not np.all(np.isfinite(arr)):
            raise MaskError("unusable mask", p, "it contains NaN or infinite values",
                            "give an integer label map")
        if np.any(arr != np.round(arr)):
            raise MaskError("unusable mask", p,
                            "it holds non-integer values (a probability map?)",
                            "threshold it into an integer label map first")
    elif not np.issubdtype(arr.dtype, np.integer):
        raise MaskError("unusable mask", p, f"voxel type {arr.dtype}",
                        "give an integer label map")
    if arr.size == 0:
        raise MaskError("empty mask", p, "the mask has no voxels", "check the file")
    lo, hi = arr.min(), arr.max()
    if lo < 0:
        raise MaskError("unusable mask", p, f"negative label {int(lo)}",
                        "labels must be 0 (background) or positive")
    if hi <= 255:
        return arr.astype(np.uint8, copy=False)
    if hi <= np.iinfo(np.int32).max:
        return arr.astype(np.int32, copy=False)
    raise MaskError("unusable mask", p, f"label {hi} is too large", "relabel the mask")


def binary_from_labels(mask: Volume, label: int, path: str | None = None) -> Volume:
    """The 0/1 ``uint8`` mask of one label value.

    Raises
    ------
    MaskError
        The label is not present (the message lists the labels that are).
    """
    try:
        value = int(label)
    except (TypeError, ValueError):
        raise MaskError("invalid label", path, f"expected an integer label value, got {label!r}",
                        "give the label number, e.g. label=1") from None
    sel = mask.array == value
    if value == 0 or not np.any(sel):
        present = [int(v) for v in np.unique(mask.array) if v != 0]
        listed = ", ".join(map(str, present[:30])) + (", ..." if len(present) > 30 else "")
        raise MaskError(f"label {value} not in mask", path,
                        f"labels present: {listed or 'none (the mask is empty)'}",
                        "choose one of them")
    return mask.with_array(sel.astype(np.uint8), meta={**mask.meta, "label": value})


def resample_to_reference(mask: Volume, reference: Volume) -> Volume:
    """Nearest-neighbour resampling of a label volume onto ``reference``'s grid (outside = 0)."""
    import SimpleITK as sitk

    f = sitk.ResampleImageFilter()
    f.SetSize([int(s) for s in reference.size])
    f.SetOutputSpacing(reference.spacing)
    f.SetOutputOrigin(reference.origin)
    f.SetOutputDirection(tuple(reference.direction.ravel()))
    f.SetInterpolator(sitk.sitkNearestNeighbor)
    f.SetDefaultPixelValue(0)
    out = f.Execute(mask.to_sitk())
    return reference.with_array(sitk.GetArrayFromImage(out).astype(mask.array.dtype, copy=False),
                                modality=mask.modality, units=mask.units,
                                provenance=mask.provenance, meta=dict(mask.meta))


# ---------------------------------------------------------------------------------- DICOM sniffing
def _read_header(path: str):
    """pydicom header (no pixels) or None when ``path`` is not DICOM."""
    return dcmread_lenient(path, stop_before_pixels=True, quiet=True)


def dcmread_lenient(path: str, *, stop_before_pixels: bool = False, quiet: bool = False):
    """``pydicom.dcmread``, retried with ``force=True`` for files without preamble/File Meta.

    A forced read only counts when the result has a SOPClassUID (``force=True`` "reads"
    any file). Returns None (``quiet``) or raises :class:`InvalidDicomError` / ``OSError``.
    """
    import pydicom
    from pydicom.errors import InvalidDicomError

    errors = (InvalidDicomError, ValueError, EOFError, KeyError, TypeError, AttributeError,
              IndexError, struct_error)
    try:
        return pydicom.dcmread(path, stop_before_pixels=stop_before_pixels)
    except OSError:
        if quiet:
            return None
        raise
    except errors as exc:
        first = exc
    try:
        ds = pydicom.dcmread(path, stop_before_pixels=stop_before_pixels, force=True)
        if "SOPClassUID" in ds:
            return ds
    except (OSError, *errors):
        pass
    if quiet:
        return None
    raise InvalidDicomError(f"not a DICOM file ({first})")


def _mask_kind(ds) -> str | None:
    sop = str(ds.get("SOPClassUID", ""))
    modality = str(ds.get("Modality", "")).upper()
    if sop == RTSTRUCT_SOP_CLASS or modality == "RTSTRUCT":
        return "RTSTRUCT"
    if sop in SEG_SOP_CLASSES or modality == "SEG":
        return "SEG"
    return None


def _iter_files(folder: str):
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        for name in sorted(files):
            if name.upper() == "DICOMDIR" or name.startswith("."):
                continue
            yield os.path.join(root, name)


def _find_dicom_mask(p: str) -> tuple[str, str]:
    """``(kind, file)`` of the RTSTRUCT/SEG at ``p`` (a file, or a folder holding one)."""
    if os.path.isfile(p):
        ds = _read_header(p)
        if ds is None:
            raise MaskError("unsupported mask file", p,
                            "neither a NIfTI/NRRD/MHA label map nor a DICOM file",
                            "give a label map, a DICOM RTSTRUCT or a DICOM-SEG")
        kind = _mask_kind(ds)
        if kind is None:
            raise MaskError("not a mask", p,
                            f"DICOM {ds.get('Modality', 'object')} is neither RTSTRUCT nor SEG",
                            "give the RTSTRUCT or SEG file, not an image")
        return kind, p
    found = []
    for f in _iter_files(p):
        ds = _read_header(f)
        if ds is not None and (kind := _mask_kind(ds)) is not None:
            found.append((kind, f))
    if not found:
        raise MaskError("no mask in folder", p, "no DICOM RTSTRUCT or SEG file found",
                        "give the mask file itself")
    if len(found) > 1:
        names = ", ".join(f"{os.path.relpath(f, p)} ({k})" for k, f in found[:10])
        raise MaskError("several masks in folder", p, f"found {names}",
                        "give the mask file itself")
    return found[0]


# ---------------------------------------------------------------------------------- reference UIDs
@dataclass
class ReferenceInfo:
    """What RTSTRUCT/SEG need to know about the reference image's DICOM identity.

    Attributes
    ----------
    frame_of_reference_uid : str or None
    series_uid : str or None
    sop_instance_uids : list of (str or None), or None
        One per reference slice (index k), ``None`` where unknown; ``None`` when no header
        could be read.
    headers : list
        ``(k, pydicom.Dataset)`` of the reference slices whose headers were read (no pixels).
    """

    frame_of_reference_uid: str | None
    series_uid: str | None
    sop_instance_uids: list | None
    headers: list


def reference_info(reference: Volume, *, need_uids: bool = True) -> ReferenceInfo:
    """FrameOfReferenceUID and per-slice SOPInstanceUIDs of ``reference`` (see module doc).

    Headers of ``reference.provenance.source`` are read only when something is missing: the
    FrameOfReferenceUID, or (``need_uids``) the per-slice SOPInstanceUIDs.
    """
    prov = reference.provenance
    for_uid = prov.frame_of_reference_uid
    series = prov.series_uid
    uids = reference.meta.get("sop_instance_uids")
    nz = reference.shape[0]
    have_uids = uids is not None and len(uids) == nz
    headers: list = []
    src = prov.source
    if (not for_uid or (need_uids and not have_uids)) and src and os.path.exists(src) and not (
            os.path.isfile(src) and src.lower().endswith(_ITK_SUFFIXES)):
        headers = _place_headers(dicom_headers(src, series_uid=series), reference)
    if uids is not None and len(uids) == nz:
        uids = [str(u) if u else None for u in uids]
    elif headers:
        uids = [None] * nz
        for k, ds in headers:
            uids[k] = str(ds.SOPInstanceUID)
    else:
        uids = None
    if not for_uid:
        fors = {str(ds.FrameOfReferenceUID) for _, ds in headers if "FrameOfReferenceUID" in ds}
        for_uid = fors.pop() if len(fors) == 1 else None
    if not series:
        sers = {str(ds.SeriesInstanceUID) for _, ds in headers if "SeriesInstanceUID" in ds}
        series = sers.pop() if len(sers) == 1 else None
    return ReferenceInfo(for_uid, series, uids, headers)


def dicom_headers(src: str | os.PathLike, *, series_uid: str | None = None) -> list:
    """Headers (no pixels) of the DICOM image files at ``src`` (file or folder, recursive).

    Files that are not DICOM, DICOMDIRs, RTSTRUCT and SEG objects are skipped; with
    ``series_uid`` only that series is kept.
    """
    src = os.fspath(src)
    files = [src] if os.path.isfile(src) else list(_iter_files(src))
    out = []
    for f in files:
        ds = _read_header(f)
        if ds is None or _mask_kind(ds) is not None or (
                "ImagePositionPatient" not in ds and "PerFrameFunctionalGroupsSequence" not in ds):
            continue
        if series_uid and str(ds.get("SeriesInstanceUID", "")) != series_uid:
            continue
        out.append(ds)
    return out


def _place_headers(headers: list, reference: Volume) -> list:
    """``(k, ds)`` for each single-frame header lying on a slice of the reference grid."""
    placed = []
    nz = reference.shape[0]
    for ds in headers:
        try:
            ipp = np.asarray([float(v) for v in ds.ImagePositionPatient])
            iop = np.asarray([float(v) for v in ds.ImageOrientationPatient])
        except (AttributeError, TypeError, ValueError):
            continue  # multi-frame or incomplete: placed by position only
        if not (np.allclose(iop[:3], reference.direction[:, 0], atol=1e-3)
                and np.allclose(iop[3:], reference.direction[:, 1], atol=1e-3)):
            continue
        ijk = reference.physical_to_index(ipp)
        k = int(round(float(ijk[2])))
        # 0.1 voxel: DS rounding and a loader's averaged slice spacing stay far below it, a
        # file of another grid is off by a large fraction of a voxel.
        if abs(ijk[0]) > 0.1 or abs(ijk[1]) > 0.1 or abs(ijk[2] - k) > 0.1 or not 0 <= k < nz:
            continue
        placed.append((k, ds))
    return placed
