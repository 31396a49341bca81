"""Whole-image z-score normalisation, pyradiomics 3.0.1 ``normalizeImage``.

``f(x) = s * clip((x - mean) / sd, -n, n)`` over every voxel of the image (not only the ROI),
with ``sd`` the sample standard deviation (ITK's ``NormalizeImageFilter``), optional outlier
clipping at ``n`` SDs (``removeOutliers``) and scale ``s`` (``normalizeScale``). The result is
float64, as in pyradiomics.
"""

from __future__ import annotations

import numpy as np

from rnpc_radiomics.errors import FeatureError
from rnpc_radiomics.image import Volume

__all__ = ["normalise"]


def normalise(image: Volume, scale: float = 1.0, remove_outliers: float | None = None
              ) -> Volume:
    """Normalise ``image`` to zero mean, unit SD, then clip and scale.

    Parameters
    ----------
    image : Volume
    scale : float, default 1
        ``normalizeScale``.
    remove_outliers : float, optional
        ``removeOutliers``: clip to ``[-n, n]`` before scaling.

    Returns
    -------
    Volume
        float64 image on the same grid.

    Raises
    ------
    FeatureError
        A constant image (its SD is 0, normalisation is undefined).
    """
    import SimpleITK as sitk

    arr = image.array
    if arr.size < 2 or np.all(arr == arr.flat[0]):
        raise FeatureError("cannot normalise a constant image", image.provenance.source,
                           "its standard deviation is 0", "set normalize: false")
    # SimpleITK's filter (sample SD, its own summation order) keeps us bit-close to pyradiomics.
    out = sitk.GetArrayFromImage(sitk.Normalize(image.to_sitk())).astype(np.float64, copy=False)
    if remove_outliers is not None:
        np.clip(out, -remove_outliers, remove_outliers, out=out)
    out *= scale
    return image.with_array(out)
