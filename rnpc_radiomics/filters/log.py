"""Laplacian of Gaussian images (pyradiomics 3.0.1 ``getLoGImage``).

ITK's ``LaplacianRecursiveGaussianImageFilter`` (Deriche recursive Gaussian, normalised across
scale), re-implemented bit for bit in numba (:mod:`._deriche`) so that only the lines through the
ROI's box are filtered; sigma in mm, one image per ``sigma`` named ``log-sigma-<sigma>-mm-3D``
with the dot of ``str(sigma)`` replaced by a dash (``1.0`` -> ``1-0``, an integer ``2`` ->
``2``). As in pyradiomics, an image smaller than 4 voxels in some axis gives no LoG image, and a
sigma for which ``size < ceil(sigma / spacing) + 1`` in some axis is skipped, both with a
warning.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from rnpc_radiomics.image import Volume

__all__ = ["log_prefix", "laplacian_of_gaussian", "log_images"]

log = logging.getLogger(__name__)


def log_prefix(sigma: float) -> str:
    """pyradiomics' image type name for a sigma: ``log-sigma-1-0-mm-3D`` for ``1.0``."""
    return f"log-sigma-{str(sigma).replace('.', '-')}-mm-3D"


def laplacian_of_gaussian(image: Volume, sigma: float, box: tuple[slice, ...] | None = None
                          ) -> np.ndarray:
    """Scale-normalised LoG of ``image`` at ``sigma`` mm, float32 of shape (Z, Y, X).

    Bit for bit SimpleITK's ``LaplacianRecursiveGaussianImageFilter`` with
    ``NormalizeAcrossScale`` on (see :mod:`._deriche`), computed for ``box`` only when given
    (every line through the box is still read over its whole length, the causal and
    anti-causal recursions each running as far as the box's samples depend on them, so the
    values are those of the whole-image filter).

    Parameters
    ----------
    image : Volume
        Every axis at least 4 voxels long.
    sigma : float
        Gaussian sigma in mm (> 0).
    box : tuple of 3 slice, optional
        The part of the image to return.

    Returns
    -------
    ndarray, float32
        The LoG on ``box`` (the whole grid without one).
    """
    from rnpc_radiomics.filters._deriche import laplacian_recursive_gaussian

    return laplacian_recursive_gaussian(image.array, image.spacing_zyx, sigma, box)


def log_images(image: Volume, mask, settings: Mapping[str, Any], box=None
               ) -> Iterator[tuple[str, Volume]]:
    """Yield ``(log-sigma-<s>-mm-3D, image)`` for each ``settings['sigma']``.

    No ``sigma`` (pyradiomics' default) yields nothing, as in pyradiomics.
    """
    size = np.asarray(image.size)
    spacing = np.asarray(image.spacing)
    if size.min() < 4:
        log.warning("image too small for the LoG filter (size %s, needs >= 4 voxels per axis)",
                    tuple(size))
        return
    sigmas = settings.get("sigma") or ()
    if not sigmas:
        log.warning("LoG image type enabled without 'sigma': no LoG image computed")
    for sigma in sigmas:
        if not sigma > 0:
            log.warning("LoG sigma must be > 0, got %g: skipped", sigma)
            continue
        if not np.all(size >= np.ceil(sigma / spacing) + 1):
            log.warning("LoG sigma %g mm skipped: the image (size %s, spacing %s) must be at "
                        "least ceil(sigma / spacing) + 1 voxels per axis", sigma, tuple(size),
                        tuple(spacing))
            continue
        # Recursive (IIR) filter: values inside the box depend on whole lines through it, which
        # laplacian_of_gaussian reads in full (only those lines), so box mode stays exact.
        arr = laplacian_of_gaussian(image, sigma, box)
        if box is not None:
            from rnpc_radiomics.filters import crop_volume

            yield log_prefix(sigma), crop_volume(image, box).with_array(arr)
        else:
            yield log_prefix(sigma), image.with_array(arr)
