"""ROI selection and checks, with pyradiomics 3.0.1's ``getMask``/``checkMask``/``cropToTumorMask``.

Bounding boxes here are in array order: ``bbox = ((z0, z1), (y0, y1), (x0, x1))`` with inclusive
upper bounds, the ROI's lowest and highest index along each axis.
"""

from __future__ import annotations

import numpy as np

from rnpc_radiomics.errors import FeatureError, GeometryError, MaskError
from rnpc_radiomics.image import Volume

__all__ = [
    "label_array",
    "present_labels",
    "select_label",
    "bounding_box",
    "check_roi",
    "check_geometry",
    "correct_mask",
    "roi_within_image",
    "crop",
    "crop_slices",
    "check_finite",
    "scan_roi",
    "image_statistics",
    "check_bbox",
    "roi_summary",
]

# ITK's default coordinate/direction tolerance (pyradiomics keeps it unless geometryTolerance).
ITK_DEFAULT_TOLERANCE = 1e-6


def label_array(mask: Volume) -> np.ndarray:
    """The mask as unsigned integer labels (pyradiomics casts masks to UInt32).

    Parameters
    ----------
    mask : Volume
        Label map or binary mask.

    Returns
    -------
    ndarray of shape (Z, Y, X)
        ``uint8``/``uint16``/``uint32`` labels (bool becomes uint8).
    """
    arr = np.asarray(mask.array)
    if arr.dtype == np.bool_:
        return arr.view(np.uint8)
    if not arr.dtype.isnative:  # e.g. big-endian NIfTI/NRRD data; the kernels need native order
        arr = arr.astype(arr.dtype.newbyteorder("="))
    if arr.dtype.kind == "u":
        return arr
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)):
            raise MaskError("invalid mask", mask.provenance.source,
                            "the mask holds NaN or infinite values",
                            "use an integer label map")
    if arr.min() < 0:
        raise MaskError("invalid mask", mask.provenance.source,
                        f"the mask holds negative labels (minimum {arr.min():g})",
                        "use a label map with labels >= 0")
    # Truncation like SimpleITK's Cast to UInt32 (fractional masks should come through io).
    return arr.astype(np.uint32)


def present_labels(labels: np.ndarray) -> list[int]:
    """Sorted non-zero labels present in an unsigned label array."""
    mx = int(labels.max()) if labels.size else 0
    if mx == 0:
        return []
    if mx <= 1 << 16:
        # bincount is ~20x faster than unique on large volumes with small label values.
        counts = np.bincount(labels.ravel(), minlength=mx + 1)
        return [int(v) for v in np.flatnonzero(counts) if v != 0]
    return [int(v) for v in np.unique(labels) if v != 0]


def select_label(mask: Volume, label: int) -> np.ndarray:
    """Boolean ROI of ``label`` in ``mask``; a clear error when it is absent.

    Parameters
    ----------
    mask : Volume
    label : int

    Returns
    -------
    ndarray of bool, shape (Z, Y, X)

    Raises
    ------
    MaskError
        Empty mask, or ``label`` absent (the message lists the labels present).
    """
    labels = label_array(mask)
    roi = labels == label
    if roi.any():
        return roi
    present = present_labels(labels)
    src = mask.provenance.source
    if not present:
        raise MaskError("empty mask", src, "no voxel is labelled (all zero)",
                        "check that the mask belongs to this image")
    raise MaskError(f"label {label} not present in mask", src,
                    f"labels present: {', '.join(map(str, present))}",
                    "choose one with --label / setting 'label'")


def bounding_box(roi: np.ndarray) -> tuple[tuple[int, int], ...] | None:
    """Inclusive bounding box ``((z0, z1), (y0, y1), (x0, x1))`` of a boolean ROI, or None."""
    out = []
    for ax in range(roi.ndim):
        other = tuple(a for a in range(roi.ndim) if a != ax)
        idx = np.flatnonzero(np.any(roi, axis=other))
        if idx.size == 0:
            return None
        out.append((int(idx[0]), int(idx[-1])))
    return tuple(out)


def check_roi(roi: np.ndarray, *, minimum_dimensions: int = 2, minimum_size: int | None = None,
              what: str = "ROI", source: str | None = None) -> tuple[tuple[int, int], ...]:
    """pyradiomics' ROI checks; returns the bounding box.

    Parameters
    ----------
    roi : ndarray of bool, shape (Z, Y, X)
    minimum_dimensions : int
        The ROI must span more than one voxel along at least this many axes.
    minimum_size : int, optional
        The ROI must have more than this many voxels (pyradiomics rejects ``size <= minimum``).
    what : str
        Name of the ROI for messages.
    source : str, optional
        Mask path for messages.

    Raises
    ------
    MaskError
        Empty ROI.
    FeatureError
        Single voxel, too few dimensions, or too few voxels.
    """
    bbox = bounding_box(roi)
    check_bbox(bbox, int(np.count_nonzero(roi)) if bbox is not None else 0,
               minimum_dimensions=minimum_dimensions, minimum_size=minimum_size, what=what,
               source=source)
    return bbox


def scan_roi(labels: np.ndarray, label: int):
    """Voxel count and inclusive bounding box of ``labels == label`` in one pass.

    Returns
    -------
    count : int
    bbox : tuple of 3 (lo, hi) pairs in array order, or None when count is 0
    """
    from rnpc_radiomics.preprocess._kernels import roi_scan

    out = np.zeros(7, np.int64)
    if labels.dtype.kind in "iu" and not (np.iinfo(labels.dtype).min <= label
                                          <= np.iinfo(labels.dtype).max):
        return 0, None
    roi_scan(np.ascontiguousarray(labels), labels.dtype.type(label), out)
    if out[0] == 0:
        return 0, None
    return int(out[0]), ((int(out[1]), int(out[2])), (int(out[3]), int(out[4])),
                         (int(out[5]), int(out[6])))


def image_statistics(arr: np.ndarray) -> dict[str, float]:
    """``min``, ``max``, ``mean`` of the finite voxels and ``nonfinite`` count.

    numpy's SIMD min/max propagate NaN and show infinities, so a finite min and max prove the
    volume finite without an ``isfinite`` pass (the common case costs three vectorised scans).
    """
    arr = np.asarray(arr)
    if arr.dtype == np.bool_:
        arr = arr.view(np.uint8)
    if arr.size == 0:
        return {"min": float("nan"), "max": float("nan"), "mean": float("nan"), "nonfinite": 0}
    if arr.dtype.kind in "iu":
        return {"min": float(arr.min()), "max": float(arr.max()),
                "mean": float(arr.sum(dtype=np.int64)) / arr.size, "nonfinite": 0}
    mn, mx = arr.min(), arr.max()
    if np.isfinite(mn) and np.isfinite(mx):
        if arr.dtype in (np.float32, np.float64) and arr.flags.c_contiguous:
            from rnpc_radiomics.preprocess._kernels import float_sum

            total = float_sum(arr.reshape(-1))
        else:
            total = arr.sum(dtype=np.float64)
        return {"min": float(mn), "max": float(mx), "mean": float(total) / arr.size,
                "nonfinite": 0}
    fin = np.isfinite(arr)
    vals = arr[fin]
    bad = int(arr.size - vals.size)
    if vals.size == 0:
        return {"min": float("nan"), "max": float("nan"), "mean": float("nan"), "nonfinite": bad}
    return {"min": float(vals.min()), "max": float(vals.max()),
            "mean": float(vals.sum(dtype=np.float64)) / vals.size, "nonfinite": bad}


def check_bbox(bbox, count: int, *, minimum_dimensions: int = 2,
               minimum_size: int | None = None, what: str = "ROI",
               source: str | None = None) -> None:
    """pyradiomics' ROI checks on a known bounding box and voxel count (see :func:`check_roi`)."""
    if bbox is None or count == 0:
        raise MaskError(f"empty {what}", source, "no voxel left in the ROI",
                        "check the label and any resegmentRange")
    ndims = sum((hi - lo + 1) > 1 for lo, hi in bbox)
    if ndims == 0:
        raise FeatureError(f"{what} too small", source,
                           "it is a single voxel; features need at least 2 voxels",
                           "check the mask or the resampling spacing")
    if ndims < minimum_dimensions:
        raise FeatureError(f"{what} too small", source,
                           f"it spans {ndims} dimension(s), minimumROIDimensions is "
                           f"{minimum_dimensions}",
                           "lower minimumROIDimensions or check the mask")
    if minimum_size is not None and count <= minimum_size:
        raise FeatureError(f"{what} too small", source,
                           f"{count} voxels, more than minimumROISize={minimum_size} needed",
                           "lower minimumROISize or check the mask")


def check_finite(image: Volume, stats: dict | None = None) -> None:
    """Refuse images with NaN or infinite voxels (every feature would silently be NaN)."""
    arr = image.array
    if arr.dtype.kind not in "fc":
        return
    bad = (stats or image_statistics(arr))["nonfinite"]
    if bad:
        raise FeatureError("image has non-finite voxels", image.provenance.source,
                           f"{bad} NaN/infinite voxel(s) of {arr.size}",
                           "replace them (e.g. numpy.nan_to_num) or fix the conversion")


def _geometry_mismatch(image: Volume, mask: Volume, tol: float) -> str:
    """Why two grids differ (ITK's rule: spacing/origin within tol * spacing[0]), or ''."""
    if image.shape != mask.shape:
        return f"size (x,y,z) {mask.size} vs image {image.size}"
    ctol = tol * image.spacing[0]
    if np.any(np.abs(np.subtract(image.spacing, mask.spacing)) > ctol):
        return f"spacing {mask.spacing} vs image {image.spacing}"
    if np.any(np.abs(np.subtract(image.origin, mask.origin)) > ctol):
        return f"origin {mask.origin} vs image {image.origin}"
    if np.any(np.abs(image.direction - mask.direction) > tol):
        return "direction cosines differ"
    return ""


def check_geometry(image: Volume, mask: Volume, tolerance: float | None = None) -> bool:
    """True when ``mask`` is on ``image``'s grid within ITK's tolerance rule.

    Parameters
    ----------
    image, mask : Volume
    tolerance : float, optional
        pyradiomics ``geometryTolerance``; None is ITK's default 1e-6.
    """
    tol = ITK_DEFAULT_TOLERANCE if tolerance is None else tolerance
    return not _geometry_mismatch(image, mask, tol)


def require_same_geometry(image: Volume, mask: Volume, tolerance: float | None = None) -> None:
    """Raise :class:`GeometryError` when the grids differ (see :func:`check_geometry`)."""
    tol = ITK_DEFAULT_TOLERANCE if tolerance is None else tolerance
    why = _geometry_mismatch(image, mask, tol)
    if why:
        raise GeometryError("image/mask geometry mismatch", mask.provenance.source,
                            f"mask {why} (tolerance {tol:g})",
                            "set correctMask: true to resample the mask onto the image, or "
                            "raise geometryTolerance")


def roi_within_image(image: Volume, mask: Volume, roi: np.ndarray) -> None:
    """pyradiomics ``_checkROI``: the ROI bounding box must lie inside the image (1e-3 voxel).

    Raises
    ------
    GeometryError
        The ROI extends outside the image's physical extent.
    """
    bbox = bounding_box(roi)
    if bbox is None:
        raise MaskError("empty ROI", mask.provenance.source, "no voxel in the ROI")
    lo = np.array([b[0] for b in bbox][::-1], dtype=float)  # (x, y, z)
    hi = np.array([b[1] for b in bbox][::-1], dtype=float)
    corners = mask.index_to_physical(np.stack([lo - 0.5, hi + 0.5]))
    idx = image.physical_to_index(corners)
    tol = 1e-3
    if np.any(idx.min(axis=0) < -0.5 - tol) or np.any(
            idx.max(axis=0) > np.array(image.size) - 0.5 + tol):
        raise GeometryError("ROI lies outside the image", mask.provenance.source,
                            "the mask's ROI bounding box extends beyond the image volume",
                            "check that the mask belongs to this image")


def correct_mask(image: Volume, mask: Volume, labels: np.ndarray, label: int) -> np.ndarray:
    """Resample a label array onto ``image``'s grid (nearest neighbour), pyradiomics correctMask.

    Returns
    -------
    ndarray of shape image.shape
        Labels on the image grid.
    """
    import SimpleITK as sitk

    roi_within_image(image, mask, labels == label)
    rif = sitk.ResampleImageFilter()
    rif.SetReferenceImage(image.to_sitk())
    rif.SetInterpolator(sitk.sitkNearestNeighbor)
    out = rif.Execute(mask.with_array(np.ascontiguousarray(labels)).to_sitk())
    return sitk.GetArrayFromImage(out)


def crop_slices(bbox, shape, pad: int = 0) -> tuple[slice, ...]:
    """Slices of ``bbox`` grown by ``pad`` voxels and clipped to ``shape``."""
    return tuple(slice(max(lo - pad, 0), min(hi + pad + 1, n))
                 for (lo, hi), n in zip(bbox, shape))


def crop(vol: Volume, slices: tuple[slice, ...]) -> Volume:
    """A sub-volume with the origin moved to its first voxel (geometry stays exact)."""
    start = [s.start for s in slices][::-1]  # (x, y, z)
    origin = tuple(float(v) for v in vol.index_to_physical(np.asarray(start, dtype=float)))
    return vol.replace(array=vol.array[slices], origin=origin)


def roi_summary(roi: np.ndarray) -> tuple[int, tuple[int, int, int], int]:
    """Voxel count, per-axis index sums and 26-connected component count of a boolean ROI.

    One numba pass (pyradiomics' diagnostics ``VoxelNum``, ``CenterOfMassIndex`` and
    ``VolumeNum``; the same component count as ``scipy.ndimage.label`` with a 3x3x3 structure).

    Parameters
    ----------
    roi : ndarray of bool, shape (Z, Y, X)

    Returns
    -------
    count : int
    index_sums : tuple of 3 int
        Sums of the z, y and x indices (relative to ``roi``) of the ROI voxels.
    components : int
    """
    from rnpc_radiomics.preprocess._kernels import roi_summary as kernel

    out = np.zeros(5, np.int64)
    kernel(np.ascontiguousarray(roi, dtype=np.bool_), out)
    return int(out[0]), (int(out[1]), int(out[2]), int(out[3])), int(out[4])
