"""Gradient magnitude image (pyradiomics 3.0.1 ``getGradientImage``).

ITK's ``GradientMagnitudeImageFilter`` (central differences, one-sided at the border), in mm
units unless ``gradientUseSpacing`` is false. We call the same ITK filter through SimpleITK, so
the values are pyradiomics' to the last bit.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from rnpc_radiomics.image import Volume

__all__ = ["gradient_magnitude", "gradient_image"]


def gradient_magnitude(image: Volume, use_spacing: bool = True) -> np.ndarray:
    """Gradient magnitude of ``image`` (ndarray of shape (Z, Y, X), ITK's real pixel type)."""
    import SimpleITK as sitk

    f = sitk.GradientMagnitudeImageFilter()
    f.SetUseImageSpacing(bool(use_spacing))
    return sitk.GetArrayFromImage(f.Execute(image.to_sitk()))


def gradient_image(image: Volume, mask, settings: Mapping[str, Any], box=None
                   ) -> Iterator[tuple[str, Volume]]:
    """Yield ``("gradient", image)``; reads ``gradientUseSpacing`` (default True)."""
    from rnpc_radiomics.filters import _grow, crop_volume

    use = settings.get("gradientUseSpacing", True)
    use = True if use is None else use
    if box is None:
        yield "gradient", image.with_array(gradient_magnitude(image, use))
        return
    # central differences read one voxel each side; ITK's border rule applies only at the
    # image border, which a grown box keeps as its own border
    grown, inner = _grow(box, image.shape, (2, 2, 2))
    sub = crop_volume(image, grown)
    g = gradient_magnitude(sub, use)[inner]
    yield "gradient", crop_volume(image, box).with_array(g)
