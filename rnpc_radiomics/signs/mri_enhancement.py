"""MRI signs: solid vs rim enhancement on T1 post-contrast, non-enhancing fraction, ADC.

MR signal is in arbitrary units, so every measure is a ratio within the lesion:

* ``core_to_rim_ratio``: mean T1c signal of the core (ROI voxels deeper than ``mri_rim_mm``
  from the ROI surface) over the mean of the rim (the outer ``mri_rim_mm``). About 1 for solid
  enhancement (recurrence); well below 1 for rim enhancement around a necrotic core.
* ``enhancement_pattern``: ``"rim"`` when the ratio is below ``mri_rim_pattern_ratio``, else
  ``"solid"``.
* ``nonenhancing_fraction``: fraction of ROI voxels below ``mri_nonenhancing_ratio`` times the
  ROI's 90th percentile (the enhancing level of the lesion itself).
* ``heterogeneity_cv``: standard deviation over mean of the ROI signal;
  ``heterogeneity_qcd``: quartile coefficient of dispersion (p75 - p25) / (p75 + p25).
* ``adc_mean`` (and ``adc_p10``), ``t2_mean``/``t2_cv`` when those maps are given.

The MRI usually lies in another frame than the CT. The ROI on the MRI grid is, in order of
preference: ``t1c_mask`` (a mask already on the T1c grid); the CT ROI mapped through
``mr_to_ct`` (4x4 matrix, MR LPS mm -> CT LPS mm); the CT ROI itself when the grids are equal; the
CT ROI by physical position when both images carry the same FrameOfReferenceUID. Otherwise an
:class:`~rnpc_radiomics.errors.InputError` asks for a mask or a transform.
"""

from __future__ import annotations

import numpy as np

from rnpc_radiomics.errors import InputError
from rnpc_radiomics.image import Volume
from rnpc_radiomics.signs._common import coverage_to_mask, mask_onto, roi_mask, source
from rnpc_radiomics.signs._settings import SignsSettings

__all__ = ["mri_enhancement", "check_transform"]

_MATRIX_HINT = 'write it as {"matrix_4x4": [[...], [...], [...], [0, 0, 0, 1]]}'


def check_transform(matrix, *, path: str | None = None) -> np.ndarray:
    """Validate a 4x4 rigid/affine MR->CT matrix; return it as float64.

    Raises
    ------
    InputError
        Not 4x4, not finite, last row not (0, 0, 0, 1), or singular.
    """
    try:
        m = np.asarray(matrix, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError("invalid MR-to-CT transform", path, "expected a 4x4 matrix of numbers",
                         _MATRIX_HINT) from None
    if m.shape != (4, 4) or not np.isfinite(m).all():
        raise InputError("invalid MR-to-CT transform", path,
                         f"expected a finite 4x4 matrix, got shape {m.shape}", _MATRIX_HINT)
    if not np.allclose(m[3], [0, 0, 0, 1], atol=1e-9):
        raise InputError("invalid MR-to-CT transform", path,
                         f"last row must be [0, 0, 0, 1], got {m[3].tolist()}")
    if abs(np.linalg.det(m[:3, :3])) < 1e-6:
        raise InputError("invalid MR-to-CT transform", path, "the matrix is singular")
    return m


def _check_mr(vol: Volume, what: str) -> None:
    src = source(vol)
    if vol.modality and vol.modality.upper() not in ("MR",):
        raise InputError(f"{what} is not an MR image", src, f"modality is {vol.modality!r}",
                         f"pass the {what} MR series")
    if vol.array.dtype.kind == "f" and not np.isfinite(vol.array).all():
        raise InputError(f"{what} has non-finite voxels", src, "NaN or infinite values")


def _mr_roi(t1c: Volume, roi, roi_grid: Volume | None, t1c_mask, mr_to_ct):
    if t1c_mask is not None:
        return roi_mask(t1c_mask, t1c, what="MR mask"), "t1c_mask"
    if roi is None:
        raise InputError("no ROI for the MRI", source(t1c), "neither a CT ROI nor an MR mask",
                         "pass --mr-mask or a CT ROI")
    grid = roi if isinstance(roi, Volume) else roi_grid
    if grid is None:
        return roi_mask(roi, t1c), "same_grid"
    m_ct = roi_mask(roi, grid)
    if mr_to_ct is not None:
        frac = mask_onto(m_ct, grid, t1c, check_transform(mr_to_ct))
        return coverage_to_mask(frac, what="MRI", src=source(t1c)), "mr_to_ct"
    if grid.same_geometry(t1c):
        return m_ct, "same_grid"
    f_ct = grid.provenance.frame_of_reference_uid
    f_mr = t1c.provenance.frame_of_reference_uid
    if f_ct and f_mr and f_ct == f_mr:
        frac = mask_onto(m_ct, grid, t1c)
        return coverage_to_mask(frac, what="MRI", src=source(t1c)), "same_frame"
    raise InputError("MRI is in another frame than the CT", source(t1c),
                     "grids differ and no shared frame of reference is known",
                     "pass --mr-mask (ROI on the MRI grid) or --mr-transform (4x4 MR->CT matrix)")


def _on_grid(mask: np.ndarray, grid: Volume, other: Volume) -> np.ndarray:
    """The T1c mask on another MR map of the same session (same scanner frame)."""
    if other.same_geometry(grid):
        return mask
    return coverage_to_mask(mask_onto(mask, grid, other), what="MR map", src=source(other))


def mri_enhancement(t1c: Volume, roi=None, *, roi_grid: Volume | None = None, t1c_mask=None,
                    mr_to_ct=None, t2: Volume | None = None, adc: Volume | None = None,
                    settings: SignsSettings | None = None) -> dict:
    """Enhancement pattern of the lesion on T1 post-contrast MRI (and ADC/T2 when given).

    Parameters
    ----------
    t1c : Volume
        T1-weighted post-contrast MRI (any units).
    roi : Volume or ndarray, optional
        Lesion mask on the CT grid (or on the T1c grid).
    roi_grid : Volume, optional
        Geometry of ``roi`` when it is a bare array (e.g. the CT).
    t1c_mask : Volume or ndarray, optional
        Lesion mask already on the T1c grid; used in preference to ``roi``.
    mr_to_ct : array-like of shape (4, 4), optional
        Maps MR LPS mm to CT LPS mm.
    t2, adc : Volume, optional
        T2-weighted image and ADC map of the same MR session (same scanner frame as ``t1c``).
    settings : SignsSettings, optional

    Returns
    -------
    dict
        See the module docstring and ``signs/README.md``.

    Raises
    ------
    InputError
        Not an MR image, no way to place the ROI on the MRI, empty/non-overlapping ROI.
    """
    from scipy import ndimage

    s = settings or SignsSettings()
    _check_mr(t1c, "T1c")
    m, how = _mr_roi(t1c, roi, roi_grid, t1c_mask, mr_to_ct)
    sp = tuple(float(v) for v in t1c.spacing_zyx)
    img = np.asarray(t1c.array, dtype=np.float64)
    vals = img[m]

    # Depth below the ROI surface (half a voxel beyond the outer voxel centres).
    depth = ndimage.distance_transform_edt(np.pad(m, 1), sampling=sp)[1:-1, 1:-1, 1:-1]
    depth = depth[m] - 0.5 * min(sp)
    rim_mm = s.mri_rim_mm
    if not np.any(depth > rim_mm):
        # A lesion thinner than two rims: split at half its maximum depth instead.
        rim_mm = 0.5 * float(depth.max())
    core = depth > rim_mm
    rim = ~core
    rim_mean = float(vals[rim].mean())
    # Documented values when undefined: a lesion with no core (one voxel thick) or a rim with
    # no signal has ratio 1 (no evidence of rim enhancement); "core_defined" says so.
    core_defined = bool(core.any()) and rim_mean > 0
    core_mean = float(vals[core].mean()) if core.any() else rim_mean
    ratio = core_mean / rim_mean if core_defined else 1.0

    p90 = float(np.percentile(vals, 90))
    p25, p75 = (float(v) for v in np.percentile(vals, [25, 75]))
    mean = float(vals.mean())
    out = {
        "enhancement_pattern": "rim" if ratio < s.mri_rim_pattern_ratio else "solid",
        "core_to_rim_ratio": ratio,
        "core_defined": core_defined,
        "core_mean": core_mean,
        "rim_mean": rim_mean,
        "rim_thickness_mm": rim_mm,
        "nonenhancing_fraction": float(np.mean(vals < s.mri_nonenhancing_ratio * p90)),
        # Documented value 0 when the mean (or quartile sum) is not positive: no signal.
        "heterogeneity_cv": float(vals.std() / mean) if mean > 0 else 0.0,
        "heterogeneity_qcd": (p75 - p25) / (p75 + p25) if (p75 + p25) > 0 else 0.0,
        "t1c_mean": mean,
        "roi_voxels": int(vals.size),
        "roi_volume_ml": float(vals.size * t1c.voxel_volume / 1000.0),
        "mask_source": how,
    }
    if adc is not None:
        _check_mr(adc, "ADC")
        a = np.asarray(adc.array, dtype=np.float64)[_on_grid(m, t1c, adc)]
        out["adc_mean"] = float(a.mean())
        out["adc_p10"] = float(np.percentile(a, 10))
    if t2 is not None:
        _check_mr(t2, "T2")
        t = np.asarray(t2.array, dtype=np.float64)[_on_grid(m, t1c, t2)]
        out["t2_mean"] = float(t.mean())
        out["t2_cv"] = float(t.std() / t.mean()) if t.mean() > 0 else 0.0
    return out
