"""Write a :class:`~rnpc_radiomics.image.Volume` as a DICOM image series (CT, MR or PET).

The files are ordinary single-frame Image Storage instances (CT Image Storage, MR Image Storage,
PET Image Storage) in Explicit VR Little Endian with a File Meta header, one study, one series
and one frame of reference. Geometry is written the DICOM way: ImageOrientationPatient = the first
two direction columns, ImagePositionPatient = the LPS centre of each slice's first voxel,
PixelSpacing = (row spacing, column spacing) = ``(spacing[1], spacing[0])``. Any DICOM reader that
stacks slices along IOP_row x IOP_col (ours, ``SimpleITK.ImageSeriesReader``, dcm2niix) gets the
input array back, in the same ``[z, y, x]`` order.

Stored values
-------------
* CT: int16 with RescaleIntercept -1024 / RescaleSlope 1 (stored = HU + 1024) when the volume is
  integer valued and fits; otherwise a single series-wide linear map onto int16 (lossy at about
  ``range / 65535``).
* MR: uint16, RescaleSlope 1 / Intercept 0 when integer valued in ``[0, 65535]``; otherwise one
  series-wide linear map (the intercept is the volume minimum).
* PT: input values are activity concentrations in Bq/ml. Each slice is stored as uint16 (int16 if
  it has negative values) with its own RescaleSlope = slice max / 65535 (32767), as PET scanners
  do, so the quantisation error is below ``0.5 * slope`` per slice.

A single series-wide map is used for CT/MR (not one per slice) so that readers that take the pixel
type from the first file (ITK) read every slice the same way.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import os
import secrets
import shutil
import tempfile
from collections.abc import Mapping
from typing import Any

import numpy as np

from rnpc_radiomics.image import Volume

__all__ = ["write_dicom_series", "SOP_CLASS_UIDS"]

SOP_CLASS_UIDS = {
    "CT": "1.2.840.10008.5.1.4.1.1.2",
    "MR": "1.2.840.10008.5.1.4.1.1.4",
    "PT": "1.2.840.10008.5.1.4.1.1.128",
}

_F18_HALF_LIFE_S = 6586.2


def _ds(x: float) -> str:
    """A float as a DICOM DS string (16 characters at most), as precise as fits."""
    from pydicom.valuerep import format_number_as_ds

    x = float(x)
    if x == 0.0:
        return "0"
    return format_number_as_ds(x)


def _is_integral(a: np.ndarray) -> bool:
    if np.issubdtype(a.dtype, np.integer) or a.dtype == bool:
        return True
    return bool(np.all(np.isfinite(a)) and np.all(a == np.round(a)))


def _linear_map(arr: np.ndarray, lo_s: int, hi_s: int) -> tuple[np.ndarray, float, float]:
    """Map ``arr`` onto integers in ``[lo_s, hi_s]``; returns (stored, slope, intercept)."""
    a = arr.astype(np.float64)
    vmin, vmax = float(a.min()), float(a.max())
    if vmax == vmin:
        slope = 1.0
    else:
        slope = (vmax - vmin) / float(hi_s - lo_s)
    # Round the slope to what the DS string can hold, so that reader and writer agree.
    slope = float(_ds(slope))
    intercept = float(_ds(vmin - lo_s * slope))
    stored = np.clip(np.round((a - intercept) / slope), lo_s, hi_s)
    return stored, slope, intercept


def _encode_ct(arr: np.ndarray):
    if _is_integral(arr):
        a = arr.astype(np.int64)
        if a.min() + 1024 >= -32768 and a.max() + 1024 <= 32767:
            return (a + 1024).astype(np.int16), 1.0, -1024.0
        if a.min() >= -32768 and a.max() <= 32767:
            return a.astype(np.int16), 1.0, 0.0
    stored, slope, intercept = _linear_map(arr, -32768, 32767)
    return stored.astype(np.int16), slope, intercept


def _encode_mr(arr: np.ndarray):
    if _is_integral(arr):
        a = arr.astype(np.int64)
        if a.min() >= 0 and a.max() <= 65535:
            return a.astype(np.uint16), 1.0, 0.0
        if a.max() - a.min() <= 65535:
            return (a - a.min()).astype(np.uint16), 1.0, float(a.min())
    stored, slope, intercept = _linear_map(arr, 0, 65535)
    return stored.astype(np.uint16), slope, intercept


def _encode_pet_slice(sl: np.ndarray, fallback_slope: float):
    s = sl.astype(np.float64)
    signed = bool(s.min() < 0)
    top = 32767 if signed else 65535
    amax = float(np.abs(s).max())
    slope = float(_ds(amax / top)) if amax > 0 else fallback_slope
    # The DS-rounded slope may be a hair smaller than amax/top: clip keeps it in range.
    stored = np.clip(np.round(s / slope), -32768 if signed else 0, top)
    return stored.astype(np.int16 if signed else np.uint16), slope


def _da(d: _dt.datetime) -> str:
    return d.strftime("%Y%m%d")


def _tm(d: _dt.datetime) -> str:
    return d.strftime("%H%M%S.%f")


def _dt_str(d: _dt.datetime) -> str:
    return d.strftime("%Y%m%d%H%M%S.%f")


def _check_geometry(volume: Volume) -> np.ndarray:
    d = np.asarray(volume.direction, dtype=np.float64)
    if not np.allclose(d.T @ d, np.eye(3), atol=1e-6):
        raise ValueError("write_dicom_series needs an orthonormal direction matrix, got "
                         f"{d.tolist()}")
    normal = np.cross(d[:, 0], d[:, 1])
    if not np.allclose(normal, d[:, 2], atol=1e-6):
        # A left-handed grid cannot be stored as a slice stack that readers sort along
        # IOP_row x IOP_col: it would come back with z reversed.
        raise ValueError("write_dicom_series needs a right-handed direction matrix "
                         "(column 2 = column 0 x column 1); flip the z axis first")
    return d


def write_dicom_series(volume: Volume, folder: str | os.PathLike, *, modality: str,
                       series_uid: str | None = None, study_uid: str | None = None,
                       frame_of_reference_uid: str | None = None,
                       series_description: str = "", series_number: int = 1,
                       patient_name: str = "SYNTHETIC^PHANTOM", patient_id: str = "SYNTH-0000",
                       pet: Mapping[str, Any] | None = None, filenames: str = "instance",
                       seed: int | None = None) -> list[str]:
    """Write ``volume`` as a single-frame DICOM image series into ``folder``.

    Parameters
    ----------
    volume : Volume
        The image, array ``[z, y, x]``; CT values in HU, MR in arbitrary units, PT in Bq/ml.
        Its direction must be orthonormal and right-handed.
    folder : str or path-like
        Output folder (created if needed). Other files in it are left alone, so several
        series can share a folder (use ``filenames="random"`` for that). A file of the same
        series at a target name is replaced; one of another series is never overwritten.
    modality : {"CT", "MR", "PT"}
        Decides the SOP class and how values are stored (see the module docstring).
    series_uid, study_uid, frame_of_reference_uid : str, optional
        UIDs to use; new ones (``pydicom.uid.generate_uid``) when omitted.
    series_description : str
        SeriesDescription.
    series_number : int
        SeriesNumber.
    patient_name, patient_id : str
        Synthetic patient identity written into the files.
    pet : mapping, optional
        PT only. Keys: ``weight_kg`` (None omits PatientWeight), ``injected_dose_bq``,
        ``half_life_s`` (default 6586.2 s, F-18), ``injection_datetime`` and
        ``series_datetime`` (:class:`datetime.datetime`; defaults 2020-01-01 09:00 and one hour
        later), ``acquisition_datetime`` (default = series time), ``decay_correction``
        (default ``"START"``), ``units`` (default ``"BQML"``), ``radionuclide`` (default
        ``"^18^Fluorine"``).
    filenames : {"instance", "random"}
        ``"instance"``: ``IM00001.dcm``, ... in slice order. ``"random"``: random hexadecimal
        names, so that name order says nothing about slice order (for tests).
    seed : int, optional
        Seed for the random file names (reproducible tests).

    Returns
    -------
    list of str
        The written paths, in slice order (index ``k`` = ``volume.array[k]``).

    Raises
    ------
    ValueError
        Unknown modality or ``filenames``, non-orthonormal or left-handed direction,
        non-finite voxels, missing PET parameters.
    FileExistsError
        A target file name holds a file of another series.
    """
    import pydicom
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.sequence import Sequence
    from pydicom.uid import PYDICOM_IMPLEMENTATION_UID, ExplicitVRLittleEndian, generate_uid

    modality = str(modality).upper()
    if modality not in SOP_CLASS_UIDS:
        raise ValueError(f"modality must be one of {sorted(SOP_CLASS_UIDS)}, got {modality!r}")
    if filenames not in ("instance", "random"):
        raise ValueError(f"filenames must be 'instance' or 'random', got {filenames!r}")
    if modality == "PT":
        if pet is None or "injected_dose_bq" not in pet:
            raise ValueError("PT series need pet={'weight_kg': ..., 'injected_dose_bq': ...}")
    elif pet is not None:
        raise ValueError("pet= is only valid with modality='PT'")

    d = _check_geometry(volume)
    arr = np.asarray(volume.array)
    if not np.all(np.isfinite(arr)):
        raise ValueError("volume has NaN or infinite voxels; DICOM cannot store them")
    nz, ny, nx = arr.shape
    sx, sy, sz = volume.spacing
    origin = np.asarray(volume.origin, dtype=np.float64)

    series_uid = series_uid or generate_uid()
    study_uid = study_uid or generate_uid()
    for_uid = frame_of_reference_uid or generate_uid()
    sop_class = SOP_CLASS_UIDS[modality]

    pet = dict(pet or {})
    now = _dt.datetime(2020, 1, 1, 10, 0, 0)
    if modality == "PT":
        inj = pet.get("injection_datetime") or _dt.datetime(2020, 1, 1, 9, 0, 0)
        series_dt = pet.get("series_datetime") or inj + _dt.timedelta(hours=1)
        acq_dt = pet.get("acquisition_datetime") or series_dt
        now = series_dt
    else:
        series_dt = acq_dt = now

    if modality == "CT":
        stored_all, slope_all, icpt_all = _encode_ct(arr)
    elif modality == "MR":
        stored_all, slope_all, icpt_all = _encode_mr(arr)
    else:
        stored_all, slope_all, icpt_all = None, None, 0.0
        amax = float(np.abs(arr).max())
        pet_fallback_slope = float(_ds(amax / 65535)) if amax > 0 else 1.0

    rng = np.random.default_rng(seed)
    if filenames == "random":
        names = [f"{rng.integers(0, 2**63):016x}.dcm" for _ in range(nz)]
        if len(set(names)) != nz:  # astronomically unlikely; never overwrite our own file
            names = [f"{secrets.token_hex(8)}.dcm" for _ in range(nz)]
    else:
        names = [f"IM{k + 1:05d}.dcm" for k in range(nz)]

    iop = [_ds(v) for v in (*d[:, 0], *d[:, 1])]
    normal = d[:, 2]

    folder = os.path.abspath(os.fspath(folder))
    os.makedirs(folder, exist_ok=True)
    _check_no_clobber(folder, names, series_uid)
    # Stage the whole series in a hidden temporary folder beside the target (same file system,
    # so the moves are renames), then move the files in: a crash never leaves a partial series
    # that looks complete.
    stage = tempfile.mkdtemp(prefix=f".{os.path.basename(folder)}.", suffix=".part",
                             dir=os.path.dirname(folder))
    written: list[str] = []
    try:
        for k in range(nz):
            sop_uid = generate_uid()
            meta = FileMetaDataset()
            meta.MediaStorageSOPClassUID = sop_class
            meta.MediaStorageSOPInstanceUID = sop_uid
            meta.TransferSyntaxUID = ExplicitVRLittleEndian
            meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
            meta.ImplementationVersionName = "RNPC_RADIOMICS"

            ds = Dataset()
            ds.file_meta = meta
            ds.SpecificCharacterSet = "ISO_IR 100"
            ds.SOPClassUID = sop_class
            ds.SOPInstanceUID = sop_uid
            ds.StudyDate = _da(now)
            ds.StudyTime = _tm(now)
            ds.SeriesDate = _da(series_dt)
            ds.SeriesTime = _tm(series_dt)
            ds.AcquisitionDate = _da(acq_dt)
            ds.AcquisitionTime = _tm(acq_dt)
            ds.ContentDate = _da(now)
            ds.ContentTime = _tm(now)
            ds.AccessionNumber = ""
            ds.Modality = modality
            ds.Manufacturer = "rnpc-radiomics"
            ds.ReferringPhysicianName = ""
            ds.StudyDescription = "synthetic"
            ds.SeriesDescription = series_description
            ds.PatientName = patient_name
            ds.PatientID = patient_id
            ds.PatientBirthDate = ""
            ds.PatientSex = "O"
            ds.StudyInstanceUID = study_uid
            ds.SeriesInstanceUID = series_uid
            ds.StudyID = "1"
            ds.SeriesNumber = int(series_number)
            ds.AcquisitionNumber = 1
            ds.InstanceNumber = k + 1
            ds.FrameOfReferenceUID = for_uid
            ds.PositionReferenceIndicator = ""
            ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
            ipp = origin + normal * (sz * k)
            ds.ImagePositionPatient = [_ds(v) for v in ipp]
            ds.ImageOrientationPatient = iop
            ds.PixelSpacing = [_ds(sy), _ds(sx)]
            ds.SliceThickness = _ds(sz)
            ds.SpacingBetweenSlices = _ds(sz)
            ds.SliceLocation = _ds(float(ipp @ normal))
            ds.SamplesPerPixel = 1
            ds.PhotometricInterpretation = "MONOCHROME2"
            ds.Rows = ny
            ds.Columns = nx

            if modality == "PT":
                stored, slope = _encode_pet_slice(arr[k], pet_fallback_slope)
                icpt = 0.0
            else:
                stored, slope, icpt = stored_all[k], slope_all, icpt_all
            ds.BitsAllocated = 16
            ds.BitsStored = 16
            ds.HighBit = 15
            ds.PixelRepresentation = 1 if stored.dtype == np.int16 else 0
            ds.RescaleIntercept = _ds(icpt)
            ds.RescaleSlope = _ds(slope)

            if modality == "CT":
                ds.RescaleType = "HU"
                ds.KVP = "120"
                ds.ConvolutionKernel = "STANDARD"
            elif modality == "MR":
                ds.ScanningSequence = "SE"
                ds.SequenceVariant = "NONE"
                ds.ScanOptions = ""
                ds.MRAcquisitionType = "3D"
                ds.EchoTime = "10"
                ds.RepetitionTime = "500"
                ds.MagneticFieldStrength = "3"
            else:
                _fill_pet(ds, pet, k, nz, series_dt, acq_dt, Dataset, Sequence)

            ds.PixelData = np.ascontiguousarray(stored).astype(stored.dtype.newbyteorder("<"),
                                                              copy=False).tobytes()
            path = os.path.join(stage, names[k])
            pydicom.dcmwrite(path, ds, enforce_file_format=True)
            written.append(names[k])
        final = []
        for name in written:
            dst = os.path.join(folder, name)
            os.replace(os.path.join(stage, name), dst)
            final.append(dst)
        return final
    finally:
        with contextlib.suppress(OSError):
            shutil.rmtree(stage)


def _check_no_clobber(folder: str, names: list[str], series_uid: str) -> None:
    """Refuse to overwrite a file of *another* series (same-series files are replaced)."""
    import pydicom

    for name in names:
        dst = os.path.join(folder, name)
        if not os.path.exists(dst):
            continue
        try:
            other = str(pydicom.dcmread(dst, stop_before_pixels=True,
                                        specific_tags=["SeriesInstanceUID"]).get(
                                            "SeriesInstanceUID", ""))
        except Exception:  # noqa: BLE001 - unreadable means "not ours": do not overwrite
            other = None
        if other != series_uid:
            raise FileExistsError(
                f"{dst} exists and belongs to another series; write each series to its own "
                "folder, or use filenames='random' to share one")


def _fill_pet(ds, pet: Mapping[str, Any], k: int, nz: int, series_dt, acq_dt, Dataset,
              Sequence) -> None:
    """PET Image / PET Isotope / PET Series module attributes needed for SUV."""
    inj = pet.get("injection_datetime") or _dt.datetime(2020, 1, 1, 9, 0, 0)
    weight = pet.get("weight_kg", None)
    if weight is not None:
        ds.PatientWeight = _ds(weight)
    ds.Units = pet.get("units", "BQML")
    ds.DecayCorrection = pet.get("decay_correction", "START")
    ds.CorrectedImage = ["ATTN", "DECY", "SCAT", "RAN", "NORM"]
    ds.SeriesType = ["STATIC", "IMAGE"]
    ds.CountsSource = "EMISSION"
    ds.NumberOfSlices = nz
    ds.ImageIndex = k + 1
    ds.FrameReferenceTime = "0"
    ds.ActualFrameDuration = 300000
    ds.DecayFactor = "1"
    ds.ImageType = ["ORIGINAL", "PRIMARY"]
    item = Dataset()
    item.Radiopharmaceutical = pet.get("radiopharmaceutical", "Fluorodeoxyglucose")
    item.RadiopharmaceuticalStartTime = _tm(inj)
    item.RadiopharmaceuticalStartDateTime = _dt_str(inj)
    item.RadionuclideTotalDose = _ds(pet["injected_dose_bq"])
    item.RadionuclideHalfLife = _ds(pet.get("half_life_s", _F18_HALF_LIFE_S))
    item.RadionuclidePositronFraction = "0.97"
    code = Dataset()
    code.CodeValue = "C-111A1"
    code.CodingSchemeDesignator = "SRT"
    code.CodeMeaning = pet.get("radionuclide", "^18^Fluorine")
    item.RadionuclideCodeSequence = Sequence([code])
    ds.RadiopharmaceuticalInformationSequence = Sequence([item])
