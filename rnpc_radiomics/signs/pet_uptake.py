"""PET uptake of the lesion: SUVmax, SUVpeak, SUVmean, MTV (two thresholds) and TLG.

Definitions (PERCIST / EANM conventions):

* ``suv_max``: the highest voxel SUV in the ROI.
* ``suv_peak``: the mean SUV in a sphere of ``pet_peak_volume_ml`` (1 cm³, radius 6.20 mm) whose
  centre is the ROI voxel centre that maximises that mean. Voxels are weighted by the fraction of
  their volume inside the sphere (supersampled), so the sphere volume is exact on any grid; the
  sphere may extend beyond the ROI (it is a measure of the hottest 1 cm³ of tissue).
* ``suv_mean``: mean SUV over the ROI.
* ``mtv_ml``: volume of ROI voxels with SUV >= ``pet_suv_threshold`` (2.5);
  ``mtv41_ml``: ROI voxels with SUV >= ``pet_suv_fraction`` (41 %) of SUVmax.
* ``tlg`` = ``mtv_ml`` x mean SUV in that volume; ``tlg41`` likewise (units ml·SUV = g).

The ROI is given on the CT grid: PET-CT share a frame of reference, so it is mapped to the PET grid
by physical position (identity transform) and each PET voxel is counted when at least half of it is
inside the ROI (the best-covered voxels when none is, e.g. a ROI smaller than a PET voxel).
"""

from __future__ import annotations

import math

import numpy as np

from rnpc_radiomics.errors import PetError
from rnpc_radiomics.image import Volume
from rnpc_radiomics.signs._common import (
    coverage_to_mask,
    index_to_lps,
    mask_onto,
    roi_mask,
    source,
)
from rnpc_radiomics.signs._settings import SignsSettings

__all__ = ["pet_uptake", "sphere_kernel"]

# An image in SUV rarely exceeds ~50 even in the brain or bladder; Bq/ml are in the thousands.
_MAX_PLAUSIBLE_SUV = 200.0


def check_pet_suv(pet: Volume) -> None:
    """Raise :class:`PetError` unless ``pet`` looks like a PET in SUV units."""
    src = source(pet)
    if pet.modality and pet.modality.upper() not in ("PT", "PET"):
        raise PetError("PET image is not a PET", src, f"modality is {pet.modality!r}",
                       "pass the PET series as --pet")
    units = (pet.units or "").upper()
    if units and not units.startswith("SUV"):
        raise PetError("PET is not in SUV", src, f"units are {pet.units!r}",
                       "load it with SUV conversion (give --pet-weight KG when PatientWeight "
                       "is missing)")
    arr = pet.array
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        raise PetError("PET has non-finite voxels", src, "NaN or infinite values")
    mx = float(arr.max())
    if mx > _MAX_PLAUSIBLE_SUV:
        raise PetError("PET values are not SUV", src,
                       f"maximum {mx:g} is implausible for SUV (Bq/ml?)",
                       "convert to SUVbw (give --pet-weight KG when PatientWeight is missing)")


def sphere_kernel(volume_ml: float, spacing_zyx, *, subsamples: int = 7) -> np.ndarray:
    """Weights of a sphere of ``volume_ml`` on a voxel grid: the fraction of each voxel inside.

    Parameters
    ----------
    volume_ml : float
        Sphere volume in ml (cm³).
    spacing_zyx : sequence of 3 float
        Voxel size (mm) in array order.
    subsamples : int
        Points per axis per voxel used to estimate the covered fraction.

    Returns
    -------
    ndarray of shape (2r+1, 2q+1, 2p+1), float64
        Covered fraction of each voxel, in [0, 1]; the sum times the voxel volume approximates
        the sphere volume.
    """
    radius = (3.0 * volume_ml * 1000.0 / (4.0 * math.pi)) ** (1.0 / 3.0)
    sp = np.asarray(spacing_zyx, dtype=np.float64)
    half = [int(math.ceil(radius / s + 0.5)) for s in sp]
    offs = (np.arange(subsamples) + 0.5) / subsamples - 0.5
    axes = [(np.arange(-h, h + 1)[:, None] + offs[None, :]) * s for h, s in zip(half, sp)]
    z2 = axes[0][:, None, None, :, None, None] ** 2
    y2 = axes[1][None, :, None, None, :, None] ** 2
    x2 = axes[2][None, None, :, None, None, :] ** 2
    inside = (z2 + y2 + x2) <= radius ** 2
    return inside.mean(axis=(3, 4, 5))


def pet_uptake(pet: Volume, roi, *, roi_grid: Volume | None = None,
               settings: SignsSettings | None = None) -> dict:
    """SUV statistics of the lesion on PET.

    Parameters
    ----------
    pet : Volume
        PET in SUV (e.g. SUVbw).
    roi : Volume or ndarray of shape (Z, Y, X)
        Lesion mask, on the PET grid or (usually) the CT grid; a Volume on another grid is mapped
        by physical position (PET-CT share a frame of reference).
    roi_grid : Volume, optional
        Geometry of ``roi`` when it is a bare array not on the PET grid (e.g. the CT).
    settings : SignsSettings, optional

    Returns
    -------
    dict
        ``suv_max``, ``suv_peak``, ``suv_peak_centre_mm``, ``suv_mean``, ``suv_sd``,
        ``mtv_ml``, ``suv_mean_mtv``, ``tlg``, ``mtv41_ml``, ``suv_mean_mtv41``, ``tlg41``,
        ``roi_volume_ml`` (ROI on the PET grid), ``roi_voxels``.

    Raises
    ------
    PetError
        PET not in SUV.
    MaskError
        Empty ROI, or a ROI that does not overlap the PET.
    """
    from scipy import ndimage

    s = settings or SignsSettings()
    check_pet_suv(pet)
    src = source(roi)
    if isinstance(roi, Volume) and not roi.same_geometry(pet):
        m_src = roi_mask(roi, roi)
        m = coverage_to_mask(mask_onto(m_src, roi, pet), what="PET", src=src)
    elif roi_grid is not None and not roi_grid.same_geometry(pet):
        m_src = roi_mask(roi, roi_grid)
        m = coverage_to_mask(mask_onto(m_src, roi_grid, pet), what="PET", src=src)
    else:
        m = roi_mask(roi, pet)

    sp = tuple(float(v) for v in pet.spacing_zyx)
    vv_ml = pet.voxel_volume / 1000.0
    suv = np.asarray(pet.array, dtype=np.float64)
    vals = suv[m]
    suv_max = float(vals.max())

    kernel = sphere_kernel(s.pet_peak_volume_ml, sp)
    pad = np.array(kernel.shape) // 2
    idx = np.nonzero(m)
    lo = [max(int(i.min()) - int(p), 0) for i, p in zip(idx, pad)]
    hi = [min(int(i.max()) + int(p) + 1, n) for i, p, n in zip(idx, pad, suv.shape)]
    crop = tuple(slice(a, b) for a, b in zip(lo, hi))
    sub = suv[crop]
    # Near the image edge the sphere is truncated: normalise by the weight actually inside.
    num = ndimage.correlate(sub, kernel, mode="constant", cval=0.0)
    den = ndimage.correlate(np.ones_like(sub), kernel, mode="constant", cval=0.0)
    peak_map = np.where(m[crop], num / np.maximum(den, 1e-12), -np.inf)
    at = np.unravel_index(int(np.argmax(peak_map)), peak_map.shape)
    suv_peak = float(peak_map[at])
    peak_centre = index_to_lps(pet, np.array(at, dtype=np.float64) + np.array(lo, dtype=np.float64))

    def mtv(sel):
        n = int(np.count_nonzero(sel))
        vol = n * vv_ml
        mean = float(vals[sel].mean()) if n else 0.0
        return vol, mean, vol * mean

    mtv25, mean25, tlg25 = mtv(vals >= s.pet_suv_threshold)
    mtv41, mean41, tlg41 = mtv(vals >= s.pet_suv_fraction * suv_max)
    return {
        "suv_max": suv_max,
        "suv_peak": suv_peak,
        "suv_peak_centre_mm": [round(float(v), 3) for v in peak_centre],
        "suv_mean": float(vals.mean()),
        "suv_sd": float(vals.std()),
        "mtv_ml": mtv25,
        "suv_mean_mtv": mean25,
        "tlg": tlg25,
        "mtv41_ml": mtv41,
        "suv_mean_mtv41": mean41,
        "tlg41": tlg41,
        "roi_volume_ml": float(vals.size * vv_ml),
        "roi_voxels": int(vals.size),
    }
