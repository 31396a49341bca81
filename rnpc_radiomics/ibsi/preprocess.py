"""IBSI image processing: interpolation, re-segmentation, discretisation, diagnostics.

Differences from the pyradiomics-compatible preprocessing (deliberate, IBSI-1 chapter 2):

* interpolation aligns the grid **centres** (not corners), pads by edge values, and rounds
  interpolated intensities to integers when asked;
* the mask is interpolated like an image (linear) and thresholded at the partial-volume
  fraction (0.5), not resampled by nearest neighbour;
* two masks are kept: the *morphological* mask (interpolated ROI) and the *intensity* mask
  (morphological mask after re-segmentation);
* range and outlier re-segmentation combine (intersection);
* fixed bin size is anchored at the lower re-segmentation bound.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from rnpc_radiomics.errors import FeatureError, GeometryError, MaskError
from rnpc_radiomics.ibsi.settings import DiscretisationSettings, IbsiSettings
from rnpc_radiomics.image import Volume

__all__ = ["Prepared", "prepare", "discretise", "new_grid"]

# Interpolated mask fractions are compared with this much slack so that a value that is 0.5 in
# exact arithmetic but 0.4999999 in floating point still counts as inside.
_PV_EPS = 1e-6


@dataclass
class Prepared:
    """The processed image and masks of one extraction.

    Attributes
    ----------
    image : ndarray of shape (Z, Y, X), float64
        Interpolated (and rounded) intensities on the whole grid.
    spacing_zyx : tuple of 3 float
        Voxel size in mm, array order.
    morph_mask, int_mask : ndarray of shape (Z, Y, X), bool
        Morphological mask (interpolated ROI) and intensity mask (after re-segmentation).
    reseg_range : tuple of 2 (float or None)
        Bounds actually applied (range and outlier combined); ``None`` when open.
    range_bounds : tuple of 2 (float or None)
        The configured range re-segmentation bounds only.
    diagnostics : dict
        IBSI diagnostic values keyed by the reference table's tags.
    """

    image: np.ndarray
    spacing_zyx: tuple[float, float, float]
    morph_mask: np.ndarray
    int_mask: np.ndarray
    reseg_range: tuple[float | None, float | None]
    range_bounds: tuple[float | None, float | None]
    diagnostics: dict = field(default_factory=dict)


def new_grid(n_old: int, s_old: float, s_new: float) -> tuple[int, float, float]:
    """Size, first position and step (in old index units) of a centre-aligned new grid.

    The new grid has ``ceil(n_old * s_old / s_new)`` points and its centre coincides with the
    centre of the old grid.
    """
    # Round before ceil so that 60 * 3 / 2 = 90.000000001 does not become 91.
    n_new = int(math.ceil(round(n_old * s_old / s_new, 6)))
    start = ((n_old - 1) * s_old - (n_new - 1) * s_new) / (2.0 * s_old)
    return n_new, start, s_new / s_old


def _interpolate(arr: np.ndarray, coords: list[np.ndarray], order: int) -> np.ndarray:
    from scipy import ndimage

    grids = np.meshgrid(*coords, indexing="ij")
    # mode="nearest" pads with edge values so that the outermost points extrapolate (IBSI).
    return ndimage.map_coordinates(arr, grids, order=order, mode="nearest", prefilter=order > 1)


def _bbox_dims(mask: np.ndarray) -> tuple[int, int, int]:
    if not mask.any():
        return (0, 0, 0)
    out = []
    for ax in range(3):
        other = tuple(a for a in range(3) if a != ax)
        idx = np.flatnonzero(mask.any(axis=other))
        out.append(int(idx[-1] - idx[0] + 1))
    return tuple(out)  # (z, y, x)


def _roi_diag(tag: str, img: np.ndarray, int_mask: np.ndarray, morph_mask: np.ndarray) -> dict:
    d = {}
    for name, n in zip("zyx", int_mask.shape):
        d[f"int_mask_dim_{name}_{tag}"] = float(n)
    for prefix, m in (("int_mask", int_mask), ("morph_mask", morph_mask)):
        bb = _bbox_dims(m)
        for name, n in zip("zyx", bb):
            d[f"{prefix}_bb_dim_{name}_{tag}"] = float(n)
        d[f"{prefix}_vox_count_{tag}"] = float(m.sum())
    vals = img[int_mask]
    if vals.size:
        d[f"int_mask_mean_int_{tag}"] = float(vals.mean())
        d[f"int_mask_min_int_{tag}"] = float(vals.min())
        d[f"int_mask_max_int_{tag}"] = float(vals.max())
    return d


def _img_diag(tag: str, img: np.ndarray, spacing_zyx) -> dict:
    d = {}
    for name, n, s in zip("zyx", img.shape, spacing_zyx):
        d[f"img_dim_{name}_{tag}"] = float(n)
        d[f"vox_dim_{name}_{tag}"] = float(s)
    d[f"mean_int_{tag}"] = float(img.mean())
    d[f"min_int_{tag}"] = float(img.min())
    d[f"max_int_{tag}"] = float(img.max())
    return d


def prepare(image: Volume, mask: Volume, settings: IbsiSettings) -> Prepared:
    """Interpolate, re-segment and collect diagnostics (IBSI-1 processing, before features).

    Parameters
    ----------
    image, mask : Volume
        Image and ROI on the same grid; mask voxels > 0.5 are inside.
    settings : IbsiSettings

    Returns
    -------
    Prepared

    Raises
    ------
    GeometryError
        Image and mask grids differ.
    MaskError
        Empty ROI, before or after processing.
    FeatureError
        NaN or infinite intensities inside the ROI.
    """
    if not image.same_geometry(mask):
        raise GeometryError("image and mask grids differ", mask.provenance.source,
                            f"image {image.describe_geometry()}; mask {mask.describe_geometry()}",
                            "resample the mask onto the image grid first")
    img = np.asarray(image.array, dtype=np.float64)
    if settings.round_input:
        img = np.round(img)
    roi = np.asarray(mask.array, dtype=np.float64) > 0.5
    if not roi.any():
        raise MaskError("empty ROI", mask.provenance.source, "no mask voxel is > 0.5",
                        "check the label / mask file")
    if not np.all(np.isfinite(img[roi])):
        raise FeatureError("ROI holds non-finite intensities", image.provenance.source,
                           f"{int(np.sum(~np.isfinite(img[roi])))} NaN/inf voxels inside the mask",
                           "fix or mask out those voxels")
    spacing = image.spacing_zyx
    diag = _img_diag("init_img", img, spacing)
    diag.update(_roi_diag("init_roi", img, roi, roi))

    interp = settings.interpolation
    if interp.spacing is not None:
        new_sp_zyx = tuple(reversed(interp.spacing))
        coords, out_sp = [], []
        for ax in range(3):
            s_new = new_sp_zyx[ax]
            n_old, s_old = img.shape[ax], spacing[ax]
            if s_new is None:
                coords.append(np.arange(n_old, dtype=np.float64))
                out_sp.append(s_old)
                continue
            n_new, start, step = new_grid(n_old, s_old, float(s_new))
            coords.append(start + step * np.arange(n_new, dtype=np.float64))
            out_sp.append(float(s_new))
        img = _interpolate(img, coords, interp.image_order)
        if interp.round_intensities:
            img = np.round(img)
        frac = _interpolate(roi.astype(np.float64), coords, interp.roi_order)
        roi = frac >= interp.roi_partial_volume - _PV_EPS
        spacing = tuple(out_sp)
        if not roi.any():
            raise MaskError("empty ROI after interpolation", mask.provenance.source,
                            f"no interpolated mask value reaches {interp.roi_partial_volume}",
                            "use a finer spacing or a larger ROI")
    diag.update(_img_diag("interp_img", img, spacing))
    diag.update(_roi_diag("interp_roi", img, roi, roi))

    # Re-segmentation: the range and the outlier filter combine into one interval.
    rs = settings.resegmentation
    lo = hi = None
    if rs.range is not None:
        lo, hi = rs.range
    range_bounds = (lo, hi)
    if rs.outlier_sigma is not None:
        vals = img[roi]
        mu, sd = float(vals.mean()), float(vals.std())
        olo, ohi = mu - rs.outlier_sigma * sd, mu + rs.outlier_sigma * sd
        lo = olo if lo is None else max(lo, olo)
        hi = ohi if hi is None else min(hi, ohi)
    int_mask = roi.copy()
    if lo is not None:
        int_mask &= img >= lo
    if hi is not None:
        int_mask &= img <= hi
    if not int_mask.any():
        raise MaskError("empty ROI after re-segmentation", mask.provenance.source,
                        f"no ROI voxel lies in [{lo}, {hi}]", "check the re-segmentation range")
    diag.update(_roi_diag("reseg_roi", img, int_mask, roi))
    return Prepared(image=img, spacing_zyx=tuple(float(s) for s in spacing), morph_mask=roi,
                    int_mask=int_mask, reseg_range=(lo, hi), range_bounds=range_bounds,
                    diagnostics=diag)


def discretise(values: np.ndarray, disc: DiscretisationSettings, lower: float | None
               ) -> tuple[np.ndarray, int]:
    """Discretise ROI intensities.

    Parameters
    ----------
    values : ndarray
        Intensities (any shape); only finite values are expected.
    disc : DiscretisationSettings
    lower : float or None
        FBS anchor: the lower re-segmentation (range) bound; the minimum of ``values`` when None.

    Returns
    -------
    levels : ndarray of int64, same shape
        Grey levels 1..Ng.
    ng : int
        Number of grey levels (FBN: the bin number; otherwise the highest level present).
    """
    v = np.asarray(values, dtype=np.float64)
    if disc.method == "FBS":
        x0 = float(v.min()) if lower is None else float(lower)
        q = np.floor((v - x0) / disc.bin_width).astype(np.int64) + 1
        q = np.maximum(q, 1)
        return q, int(q.max())
    if disc.method == "FBN":
        n = int(disc.bin_number)
        vmin, vmax = float(v.min()), float(v.max())
        if vmax == vmin:
            return np.ones(v.shape, dtype=np.int64), n
        q = np.floor(n * (v - vmin) / (vmax - vmin)).astype(np.int64) + 1
        q = np.clip(q, 1, n)
        return q, n
    q = np.round(v).astype(np.int64)
    if q.min() < 1:
        # Levels must start at 1 to index the matrices; shift, preserving gaps between levels.
        q = q - q.min() + 1
    return q, int(q.max())
