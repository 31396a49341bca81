"""Input checks and geometry helpers shared by the signs (Volumes and arrays only)."""

from __future__ import annotations

import math

import numpy as np

from rnpc_radiomics.errors import GeometryError, InputError, MaskError
from rnpc_radiomics.image import Volume

# Values of a head CT in HU always include air (≈ -1000) around the head or in the airway;
# an image with nothing below this is not a CT in HU (e.g. an MR or unrescaled stored values).
_CT_MIN_AIR_HU = -500.0
_CT_HU_LIMITS = (-3100.0, 35000.0)


def source(vol) -> str | None:
    """The file a Volume came from, for error messages (None for arrays)."""
    prov = getattr(vol, "provenance", None)
    return getattr(prov, "source", None)


def check_ct_hu(ct: Volume, *, what: str = "CT") -> None:
    """Raise :class:`InputError` unless ``ct`` looks like a CT in Hounsfield units.

    Checked by metadata (modality, units) when present and always by intensity distribution:
    a head CT holds air at about -1000 HU, so an image without any value below -500 is not in HU.
    """
    if not isinstance(ct, Volume):
        raise TypeError(f"expected a Volume for the CT, got {type(ct).__name__}")
    src = source(ct)
    if ct.modality and ct.modality.upper() not in ("CT",):
        raise InputError(f"{what} is not a CT", src, f"modality is {ct.modality!r}",
                         "pass the CT series (in HU) as --ct")
    if ct.units and ct.units.upper() not in ("HU", "HOUNSFIELD"):
        raise InputError(f"{what} is not in Hounsfield units", src, f"units are {ct.units!r}",
                         "pass the CT with rescale slope/intercept applied (HU)")
    arr = ct.array
    if arr.dtype.kind not in "iuf":
        raise InputError(f"{what} has non-numeric voxels", src, f"dtype {arr.dtype}")
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        raise InputError(f"{what} has non-finite voxels", src, "NaN or infinite values",
                         "fill them before measuring signs")
    lo, hi = float(arr.min()), float(arr.max())
    if lo > _CT_MIN_AIR_HU:
        raise InputError(f"{what} does not look like a CT in HU", src,
                         f"no voxel below {_CT_MIN_AIR_HU:g} (no air at about -1000 HU); "
                         f"values span [{lo:g}, {hi:g}]",
                         "pass a CT in Hounsfield units that includes some air (an MR, raw "
                         "stored values or an air-free crop was given?)")
    if lo < _CT_HU_LIMITS[0] or hi > _CT_HU_LIMITS[1]:
        raise InputError(f"{what} does not look like a CT in HU", src,
                         f"values span [{lo:g}, {hi:g}], outside [{_CT_HU_LIMITS[0]:g}, "
                         f"{_CT_HU_LIMITS[1]:g}]", "pass a CT in Hounsfield units")


def roi_mask(roi, ref: Volume, *, what: str = "ROI") -> np.ndarray:
    """Boolean ROI array on ``ref``'s grid; raises for a wrong grid or an empty ROI."""
    if isinstance(roi, Volume):
        if not roi.same_geometry(ref):
            raise GeometryError(f"{what} and image grids differ", source(roi),
                                f"{what} {roi.describe_geometry()}; image "
                                f"{ref.describe_geometry()}",
                                "resample the mask onto the image grid (load_mask with the image "
                                "as reference)")
        arr = roi.array
    else:
        arr = np.asarray(roi)
        if arr.shape != ref.shape:
            raise GeometryError(f"{what} and image shapes differ", None,
                                f"{what} {arr.shape} vs image {ref.shape} (z, y, x)")
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        raise MaskError(f"{what} has non-finite values", source(roi), "NaN or infinite voxels")
    m = arr != 0
    if not m.any():
        raise MaskError(f"{what} is empty", source(roi), "no non-zero voxel",
                        "check the label value or the mask file")
    return m


def check_roi_in_body(ct: Volume, m: np.ndarray, src: str | None = None) -> None:
    """Raise when most of the ROI lies in air (outside the body or in the airway)."""
    air = float(np.count_nonzero(ct.array[m] < _CT_MIN_AIR_HU)) / float(np.count_nonzero(m))
    if air > 0.5:
        raise MaskError("ROI is outside the body", src,
                        f"{air:.0%} of its voxels are air (< {_CT_MIN_AIR_HU:g} HU)",
                        "check that the mask belongs to this CT (same patient, same frame)")


def ct_roi(ct: Volume, roi) -> np.ndarray:
    """The checks every CT sign starts with: ``ct`` in HU, ``roi`` a non-empty mask on its grid
    and inside the body. Returns the ROI as a boolean array on the CT grid."""
    check_ct_hu(ct)
    m = roi_mask(roi, ct)
    check_roi_in_body(ct, m, source(roi))
    return m


def pad_voxels(mm: float, spacing_zyx) -> np.ndarray:
    """Whole voxels covering ``mm`` along each axis (z, y, x), plus one."""
    return np.array([int(math.ceil(mm / s)) + 1 for s in spacing_zyx], dtype=int)


def crop_around(mask: np.ndarray, pad) -> tuple[slice, ...]:
    """Slices of the bounding box of ``mask`` grown by ``pad`` voxels per axis, clipped."""
    idx = np.nonzero(mask)
    pad = np.broadcast_to(np.asarray(pad, dtype=int), (3,))
    out = []
    for a in range(3):
        lo = max(int(idx[a].min()) - int(pad[a]), 0)
        hi = min(int(idx[a].max()) + int(pad[a]) + 1, mask.shape[a])
        out.append(slice(lo, hi))
    return tuple(out)


def ball(radius_mm: float, spacing_zyx) -> np.ndarray:
    """Boolean ellipsoidal structuring element of physical radius ``radius_mm``.

    Voxel centres within ``radius_mm`` of the centre; always at least the centre voxel.
    """
    r = [int(math.floor(radius_mm / s)) for s in spacing_zyx]
    zz, yy, xx = np.ogrid[-r[0]:r[0] + 1, -r[1]:r[1] + 1, -r[2]:r[2] + 1]
    d2 = ((zz * spacing_zyx[0]) ** 2 + (yy * spacing_zyx[1]) ** 2 + (xx * spacing_zyx[2]) ** 2)
    return d2 <= radius_mm ** 2 + 1e-9


def distance_outside(mask: np.ndarray, spacing_zyx) -> np.ndarray:
    """Euclidean distance (mm) from each voxel centre to the nearest ``mask`` voxel centre."""
    from scipy import ndimage

    return ndimage.distance_transform_edt(~mask, sampling=spacing_zyx)


def signed_distance(mask: np.ndarray, spacing_zyx) -> np.ndarray:
    """Approximate signed distance (mm) to the mask surface: negative inside, positive outside.

    The surface is taken half a voxel (the smallest spacing) beyond the boundary voxel centres,
    so the value is accurate to about half a voxel.
    """
    from scipy import ndimage

    h = 0.5 * float(min(spacing_zyx))
    out = ndimage.distance_transform_edt(~mask, sampling=spacing_zyx)
    inn = ndimage.distance_transform_edt(mask, sampling=spacing_zyx)
    return np.where(mask, -(inn - h), out - h)


def index_to_lps(vol: Volume, kji) -> np.ndarray:
    """LPS mm of continuous array indices given in ``(k, j, i)`` = (z, y, x) order."""
    kji = np.asarray(kji, dtype=np.float64)
    return vol.index_to_physical(kji[..., ::-1])


def mask_onto(mask: np.ndarray, mask_vol: Volume, target: Volume,
              target_to_mask: np.ndarray | None = None, *, what: str = "ROI") -> np.ndarray:
    """Resample a boolean mask onto another grid; return the covered fraction of each voxel.

    Each target voxel is supersampled (up to 5 points per axis, enough to resolve the finer
    grid) and every point mapped: target LPS -> (``target_to_mask`` 4x4, identity if None)
    -> mask grid, where the mask is read with nearest-neighbour lookup.

    Parameters
    ----------
    mask : ndarray of bool, shape (Z, Y, X)
        The mask on ``mask_vol``'s grid.
    mask_vol : Volume
        Geometry of ``mask``.
    target : Volume
        The grid to resample onto.
    target_to_mask : ndarray of shape (4, 4), optional
        Maps target-frame LPS mm to mask-frame LPS mm.

    Returns
    -------
    ndarray of float32, shape of ``target``
        Fraction of each target voxel inside the mask, in [0, 1].
    """
    m = np.eye(4) if target_to_mask is None else np.asarray(target_to_mask, dtype=np.float64)
    inv = np.linalg.inv(m)
    # Bounding box of the mask, in target index space, to evaluate only where it can land.
    idx = np.nonzero(mask)
    lo = np.array([i.min() for i in idx]) - 1
    hi = np.array([i.max() for i in idx]) + 1
    corners_kji = np.array([[a, b, c] for a in (lo[0], hi[0]) for b in (lo[1], hi[1])
                            for c in (lo[2], hi[2])], dtype=np.float64)
    pts = index_to_lps(mask_vol, corners_kji)
    pts_t = pts @ inv[:3, :3].T + inv[:3, 3]
    ijk_t = target.physical_to_index(pts_t)
    kji_t = ijk_t[:, ::-1]
    t_lo = np.maximum(np.floor(kji_t.min(axis=0)).astype(int) - 1, 0)
    t_hi = np.minimum(np.ceil(kji_t.max(axis=0)).astype(int) + 2, np.array(target.shape))
    out = np.zeros(target.shape, dtype=np.float32)
    if np.any(t_hi <= t_lo):
        return out
    tz = np.asarray(target.spacing_zyx)
    mz = np.asarray(mask_vol.spacing_zyx)
    nsub = np.clip(np.ceil(tz / mz.min()).astype(int), 1, 5)
    offs = [(np.arange(n) + 0.5) / n - 0.5 for n in nsub]
    sub = np.stack(np.meshgrid(*offs, indexing="ij"), axis=-1).reshape(-1, 3)
    kk, jj, ii = np.meshgrid(*[np.arange(t_lo[a], t_hi[a]) for a in range(3)], indexing="ij")
    base = np.stack([kk, jj, ii], axis=-1).reshape(-1, 3).astype(np.float64)
    frac = np.zeros(base.shape[0], dtype=np.float64)
    a_t = target.direction * np.asarray(target.spacing)[None, :]
    a_m_inv = np.linalg.inv(mask_vol.direction * np.asarray(mask_vol.spacing)[None, :])
    for o in sub:
        kji = base + o
        lps = kji[:, ::-1] @ a_t.T + np.asarray(target.origin)
        lps_m = lps @ m[:3, :3].T + m[:3, 3]
        ijk_m = (lps_m - np.asarray(mask_vol.origin)) @ a_m_inv.T
        kji_m = np.rint(ijk_m[:, ::-1]).astype(np.int64)
        ok = np.all((kji_m >= 0) & (kji_m < np.array(mask.shape)), axis=1)
        hit = np.zeros(base.shape[0], dtype=bool)
        hit[ok] = mask[kji_m[ok, 0], kji_m[ok, 1], kji_m[ok, 2]]
        frac += hit
    frac /= len(sub)
    out[t_lo[0]:t_hi[0], t_lo[1]:t_hi[1], t_lo[2]:t_hi[2]] = frac.reshape(kk.shape)
    return out


def coverage_to_mask(frac: np.ndarray, *, what: str, src: str | None) -> np.ndarray:
    """Voxels at least half covered; the best-covered voxels when none is; raise when none."""
    m = frac >= 0.5
    if m.any():
        return m
    mx = float(frac.max())
    if mx <= 0:
        raise MaskError(f"ROI does not overlap the {what}", src,
                        "no voxel of the image lies inside the mapped ROI",
                        "check the transform / frame of reference of the images")
    return frac >= mx - 1e-9
