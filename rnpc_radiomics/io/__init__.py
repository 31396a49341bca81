"""Readers and writers. One module per format; :func:`load_image` sniffs and dispatches.

* ``dicom``    DICOM image series (single- and multi-frame, compressed), series discovery
* ``pet``      PET Bq/ml -> SUVbw conversion
* ``itk``      NIfTI / NRRD / MHA through SimpleITK (the one place NIfTI RAS->LPS is handled),
               and :func:`save_image`
* ``rtstruct`` RTSTRUCT contour rasterisation
* ``seg``      DICOM-SEG (binary, fractional, labelmap)
* ``mask``     :func:`load_mask` (label maps, RTSTRUCT, SEG onto a reference grid)
"""

from __future__ import annotations

import os

from rnpc_radiomics.errors import InputError
from rnpc_radiomics.image import Volume
from rnpc_radiomics.io.itk import ITK_SUFFIXES

__all__ = ["load_image", "load_mask", "list_series", "save_image", "as_volume"]

def _is_itk_file(path: str) -> bool:
    return path.lower().endswith(ITK_SUFFIXES)


def load_image(path: str | os.PathLike, *, series: str | None = None,
               modality: str | None = None, **kwargs) -> Volume:
    """Read a 3D image from a file or a folder.

    Parameters
    ----------
    path : str or path-like
        A NIfTI/NRRD/MHA file, a DICOM file, or a folder holding DICOM files (searched
        recursively, DICOMDIR skipped).
    series : str, optional
        SeriesInstanceUID to pick when the folder holds several series.
    modality : str, optional
        Pick the only series of this DICOM modality (``"CT"``, ``"MR"``, ``"PT"``).
    **kwargs
        Passed to the DICOM reader, e.g. ``pet_weight_kg=`` (PET without PatientWeight),
        ``suv=False`` (keep PET in its stored units), ``keep_phi=True``.

    Returns
    -------
    Volume

    Raises
    ------
    InputError
        Missing/unreadable file, several series and no choice, missing slice, ...
    """
    p = os.fspath(path)
    if not os.path.exists(p):
        raise InputError("image not found", p, "no such file or folder", "check the path")
    if os.path.isfile(p) and _is_itk_file(p):
        from rnpc_radiomics.io.itk import read_itk_image

        return read_itk_image(p)
    from rnpc_radiomics.io.dicom import read_dicom_image

    return read_dicom_image(p, series=series, modality=modality, **kwargs)


def list_series(path: str | os.PathLike):
    """Describe every DICOM series under ``path`` (see :func:`rnpc_radiomics.io.dicom.list_series`)."""
    from rnpc_radiomics.io.dicom import list_series as _list

    return _list(path)


def load_mask(path, reference, **kwargs) -> Volume:
    """Read a mask onto ``reference``'s grid (see :func:`rnpc_radiomics.io.mask.load_mask`)."""
    from rnpc_radiomics.io.mask import load_mask as _load

    return _load(path, reference, **kwargs)


def save_image(volume: Volume, path: str | os.PathLike) -> None:
    """Write a Volume to NIfTI/NRRD/MHA atomically (see :func:`rnpc_radiomics.io.itk.save_image`)."""
    from rnpc_radiomics.io.itk import save_image as _save

    _save(volume, path)


def as_volume(obj, *, kind: str = "image", reference: Volume | None = None, **kwargs) -> Volume:
    """Coerce a path, ``SimpleITK.Image`` or :class:`Volume` to a Volume.

    With ``kind="mask"`` a path is read with :func:`load_mask` onto ``reference``.
    """
    if isinstance(obj, Volume):
        return obj
    if isinstance(obj, (str, os.PathLike)):
        if kind == "mask":
            if reference is None:
                raise ValueError("a mask path needs a reference image")
            return load_mask(obj, reference, **kwargs)
        return load_image(obj, **kwargs)
    try:
        import SimpleITK as sitk
    except ImportError:  # pragma: no cover
        sitk = None
    if sitk is not None and isinstance(obj, sitk.Image):
        return Volume.from_sitk(obj)
    raise TypeError(f"expected a path, SimpleITK.Image or Volume, got {type(obj).__name__}")
