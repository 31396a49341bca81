"""Intensity resegmentation of the ROI, pyradiomics 3.0.1 ``resegmentMask``.

Keeps ROI voxels with ``lower <= x`` (and ``x <= upper`` for two thresholds), the thresholds
being absolute values, fractions of the ROI maximum (``relative``), or ROI mean + k * SD
(``sigma``, population SD).
"""

from __future__ import annotations

import numpy as np

from rnpc_radiomics.errors import FeatureError, SettingsError

__all__ = ["resegment", "thresholds"]


def thresholds(values: np.ndarray, resegment_range, mode: str = "absolute") -> list[float]:
    """Absolute thresholds for ``resegment_range`` given the ROI intensities ``values``."""
    rng = sorted(resegment_range)
    if not 1 <= len(rng) <= 2:
        raise SettingsError("invalid setting 'resegmentRange'", None,
                            f"expected 1 or 2 thresholds, got {list(resegment_range)}")
    if mode == "absolute":
        return rng
    if mode == "relative":
        mx = np.max(values)
        return [mx * t for t in rng]
    if mode == "sigma":
        # numpy on the image dtype, as pyradiomics (a float32 image gives float32 statistics).
        mean, sd = np.mean(values), np.std(values)
        return [mean + sd * t for t in rng]
    raise SettingsError("invalid setting 'resegmentMode'", None,
                        f"expected absolute, relative or sigma, got {mode!r}")


def resegment(image: np.ndarray, roi: np.ndarray, resegment_range, mode: str = "absolute",
              *, source: str | None = None) -> np.ndarray:
    """The ROI restricted to the intensity range.

    Parameters
    ----------
    image : ndarray of shape (Z, Y, X)
    roi : ndarray of bool, shape (Z, Y, X)
    resegment_range : sequence of 1 or 2 float
    mode : {'absolute', 'relative', 'sigma'}
    source : str, optional
        Mask path for messages.

    Returns
    -------
    ndarray of bool, shape (Z, Y, X)

    Raises
    ------
    FeatureError
        One voxel or none left (pyradiomics' rule).
    """
    vals = image[roi]
    th = thresholds(vals, resegment_range, mode)
    keep = vals >= th[0]
    if len(th) == 2:
        keep &= vals <= th[1]
    n = int(np.count_nonzero(keep))
    if n <= 1:
        raise FeatureError("resegmentation left too few voxels", source,
                           f"{n} voxel(s) of {vals.size} within {mode} range "
                           f"{list(resegment_range)}", "widen resegmentRange")
    out = np.zeros_like(roi)
    out[roi] = keep
    return out
