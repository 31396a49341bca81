"""IBSI local intensity features (IBSI-1 section 3.2): local and global intensity peak."""

from __future__ import annotations

import math

import numpy as np

from rnpc_radiomics.ibsi import _kernels

__all__ = ["local_intensity_features", "sphere_offsets"]

# Radius (mm) of a 1 cm^3 sphere.
_RADIUS_MM = 10.0 * (3.0 / (4.0 * math.pi)) ** (1.0 / 3.0)


def sphere_offsets(spacing_zyx, radius_mm: float = _RADIUS_MM) -> np.ndarray:
    """Integer ``(dz, dy, dx)`` offsets of voxels whose centres lie within ``radius_mm``."""
    r = [int(math.floor(radius_mm / s)) for s in spacing_zyx]
    grids = np.meshgrid(*[np.arange(-k, k + 1) for k in r], indexing="ij")
    off = np.stack([g.ravel() for g in grids], axis=1)
    dist = np.sqrt(np.sum((off * np.asarray(spacing_zyx)) ** 2, axis=1))
    return np.ascontiguousarray(off[dist <= radius_mm + 1e-9].astype(np.int64))


def local_intensity_features(image: np.ndarray, int_mask: np.ndarray, spacing_zyx
                             ) -> dict[str, float]:
    """Local and global intensity peaks (keys ``loc_peak_loc``, ``loc_peak_glob``).

    The local mean around a voxel is the mean of *all image voxels* (inside or outside the ROI)
    whose centres lie within the 1 cm^3 sphere. Local peak: the local mean around the voxel of
    highest ROI intensity (the highest such mean if several voxels share the maximum). Global
    peak: the highest local mean over all ROI voxels.
    """
    img = np.ascontiguousarray(image, dtype=np.float64)
    off = sphere_offsets(spacing_zyx)
    centres = np.ascontiguousarray(np.argwhere(int_mask).astype(np.int64))
    means = _kernels.sphere_means(img, centres, off)
    vals = img[int_mask]
    local = float(means[vals == vals.max()].max())
    return {"loc_peak_loc": local, "loc_peak_glob": float(means.max())}
