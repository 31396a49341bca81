"""NIfTI / NRRD / MetaImage reading and writing through SimpleITK.

This is the one place where the NIfTI RAS convention is turned into our LPS convention, and it is
SimpleITK (ITK's ``NiftiImageIO``) that does it: a :class:`~rnpc_radiomics.image.Volume` read here
has exactly the spacing, origin and direction that ``SimpleITK.ReadImage`` reports. ITK chooses
between the sform and the qform itself; on every nibabel test file its choice gives nibabel's
``img.affine`` (``tests/test_itk_io.py`` compares the two on nibabel's own edge cases:
big-endian, ``qform_code 0 / sform_code 2``, oblique 4D).

Geometry always follows SimpleITK. Voxel values follow SimpleITK too, with one exception: ITK's
NIfTI reader silently turns NaN voxels into 0 (nibabel's ``resampled_anat_moved.nii`` has 153 NaN
voxels that SimpleITK, and so pyradiomics, see as 0). A NaN is missing data, not a measured 0, so
for floating-point NIfTI files we put the non-finite voxels back from nibabel's reading of the same
file; the feature engine then refuses them with a clear error instead of computing on fake zeros.

NIfTI-2 files are not read by SimpleITK 2.5 (``Unable to determine ImageIO reader``); for those
(and only when SimpleITK cannot read a ``.nii``/``.nii.gz`` file at all) we fall back to nibabel
and convert its RAS affine with ``diag(-1, -1, 1)``: the same conversion ITK applies.
"""

from __future__ import annotations

import logging
import os

import numpy as np

from rnpc_radiomics._atomic import atomic_output
from rnpc_radiomics.errors import InputError
from rnpc_radiomics.image import Provenance, Volume

__all__ = ["read_itk_image", "save_image", "ITK_SUFFIXES", "WRITE_SUFFIXES"]

log = logging.getLogger(__name__)

ITK_SUFFIXES = (".nii", ".nii.gz", ".nrrd", ".nhdr", ".mha", ".mhd")
# Only single-file formats are written: a detached header (.nhdr/.mhd) would name its data file
# after the temporary file of the atomic write.
WRITE_SUFFIXES = (".nii", ".nii.gz", ".nrrd", ".mha")

_LPS_FROM_RAS = np.diag([-1.0, -1.0, 1.0])


def _check_suffix(path: str, what: str, suffixes=ITK_SUFFIXES) -> None:
    if not path.lower().endswith(suffixes):
        raise InputError(f"unsupported {what} format", path,
                         f"expected one of {', '.join(suffixes)}",
                         "convert it to NIfTI or NRRD, or give a DICOM file/folder")


def _from_nibabel(path: str) -> Volume:
    """NIfTI reader for the files SimpleITK refuses (NIfTI-2)."""
    import nibabel as nib

    try:
        img = nib.load(path)
        data = np.asanyarray(img.dataobj)
    except Exception as exc:  # nibabel raises many exception types for corrupt files
        raise InputError("cannot read image", path, f"{type(exc).__name__}: {exc}",
                         "check that the file is a valid NIfTI file") from exc
    data = _squeeze_4d(data, path)
    if data.ndim == 2:
        data = data[:, :, None]
    zooms = [float(z) for z in img.header.get_zooms()[:3]]
    while len(zooms) < 3:
        zooms.append(1.0)
    aff = _LPS_FROM_RAS @ np.asarray(img.affine, dtype=np.float64)[:3, :]
    m = aff[:, :3]
    spacing = np.linalg.norm(m, axis=0)
    spacing[spacing == 0] = 1.0
    direction = m / spacing[None, :]
    # nibabel arrays are [x, y, z]; ours are [z, y, x].
    arr = np.ascontiguousarray(np.transpose(data, (2, 1, 0)))
    return Volume(array=arr, spacing=tuple(spacing), origin=tuple(aff[:, 3]),
                  direction=direction, modality=None, units=None,
                  provenance=Provenance(source=path))


def _squeeze_4d(data: np.ndarray, path: str) -> np.ndarray:
    """Keep 3D (or 2D) ``[x, y, z, ...]`` data; a 4th+ dimension is accepted only of size 1."""
    if data.ndim <= 3:
        return data
    if any(int(s) != 1 for s in data.shape[3:]):
        raise InputError("4D image not supported", path,
                         f"size {'x'.join(str(s) for s in data.shape)}: "
                         f"{int(np.prod(data.shape[3:]))} volumes",
                         "extract one 3D volume first (e.g. fslroi or SimpleITK Extract)")
    return data.reshape(data.shape[:3])


def read_itk_image(path: str | os.PathLike) -> Volume:
    """Read a NIfTI, NRRD or MetaImage file into a :class:`Volume`.

    Parameters
    ----------
    path : str or path-like
        ``.nii``, ``.nii.gz``, ``.nrrd``, ``.nhdr``, ``.mha`` or ``.mhd`` file.

    Returns
    -------
    Volume
        Array ``[z, y, x]`` with the stored dtype (after the file's own scaling, e.g. NIfTI
        ``scl_slope``), and geometry identical to SimpleITK's. ``modality`` and ``units`` are
        ``None``: these formats do not record them. A 2D file becomes one slice (z spacing 1 mm).

    Raises
    ------
    InputError
        Missing, corrupt or unsupported file, vector/complex pixels, or a 4D file with more than
        one volume (a 4th dimension of size 1 is dropped).
    """
    import SimpleITK as sitk

    p = os.fspath(path)
    if not os.path.isfile(p):
        raise InputError("image not found", p, "no such file", "check the path")
    _check_suffix(p, "image")
    try:
        img = sitk.ReadImage(p)
    except RuntimeError as exc:
        if p.lower().endswith((".nii", ".nii.gz")):
            # ITK has no NIfTI-2 reader; nibabel has. Anything nibabel cannot read either is
            # reported with nibabel's reason.
            log.debug("SimpleITK cannot read %s (%s); trying nibabel", p, exc)
            return _from_nibabel(p)
        why = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        raise InputError("cannot read image", p, why,
                         "check that the file is complete and in a supported format") from exc
    if img.GetNumberOfComponentsPerPixel() != 1:
        raise InputError("unsupported image", p,
                         f"{img.GetNumberOfComponentsPerPixel()} components per voxel "
                         f"({img.GetPixelIDTypeAsString()}); expected a scalar image",
                         "extract one channel first")
    dim = img.GetDimension()
    if dim == 4:
        size = img.GetSize()
        if size[3] != 1:
            raise InputError("4D image not supported", p,
                             f"size {'x'.join(map(str, size))}: {size[3]} volumes",
                             "extract one 3D volume first (e.g. fslroi or SimpleITK Extract)")
        img = sitk.Extract(img, (size[0], size[1], size[2], 0), (0, 0, 0, 0),
                           sitk.ExtractImageFilter.DIRECTIONCOLLAPSETOSUBMATRIX)
    elif dim == 2:
        img = sitk.JoinSeries([img])
    elif dim != 3:
        raise InputError("unsupported image", p, f"{dim}D image", "give a 3D image")
    try:
        vol = Volume.from_sitk(img, provenance=Provenance(source=p))
    except ValueError as exc:  # e.g. a degenerate direction/spacing in the header
        raise InputError("unusable image geometry", p, str(exc),
                         "check the file's header") from exc
    if vol.array.dtype.kind == "f" and p.lower().endswith((".nii", ".nii.gz")):
        vol = _restore_non_finite(vol, p)
    return vol


def _restore_non_finite(vol: Volume, path: str) -> Volume:
    """Put back the NaN/inf voxels that ITK's NIfTI reader replaced by 0.

    ITK does not reorder NIfTI voxel data (it only converts the affine), so nibabel's
    ``[x, y, z]`` array transposed is SimpleITK's ``[z, y, x]`` array.
    """
    import nibabel as nib

    try:
        data = np.asanyarray(nib.load(path).dataobj)
    except Exception:  # noqa: BLE001 - SimpleITK read it; nothing more to recover
        return vol
    data = _squeeze_4d(data, path)
    if data.ndim == 2:
        data = data[:, :, None]
    data = np.transpose(data, (2, 1, 0))
    if data.shape != vol.shape or data.dtype.kind != "f":
        return vol
    bad = ~np.isfinite(data)
    if not bad.any():
        return vol
    arr = np.array(vol.array, copy=True)
    arr[bad] = data[bad]
    log.debug("%s: restored %d non-finite voxels hidden by ITK's NIfTI reader", path, bad.sum())
    return vol.with_array(arr)


def save_image(volume: Volume, path: str | os.PathLike) -> None:
    """Write a :class:`Volume` with SimpleITK, atomically.

    Parameters
    ----------
    volume : Volume
        The image or mask. Its array dtype is written as is (cast explicitly before if needed);
        ``bool`` arrays are written as ``uint8``.
    path : str or path-like
        Output file; the format follows the extension: ``.nii``, ``.nii.gz``, ``.nrrd`` or
        ``.mha`` (``.nrrd``/``.mha``/``.nii.gz`` compressed).
        Parent folders are created. The file appears only once it is complete.

    Raises
    ------
    InputError
        Unsupported extension.
    """
    import SimpleITK as sitk

    p = os.fspath(path)
    _check_suffix(p, "output", WRITE_SUFFIXES)
    vol = volume
    if vol.array.dtype == np.bool_:
        vol = vol.with_array(vol.array.astype(np.uint8))
    img = vol.to_sitk()
    with atomic_output(p) as tmp:
        sitk.WriteImage(img, tmp, useCompression=p.lower().endswith((".gz", ".nrrd", ".mha")))
