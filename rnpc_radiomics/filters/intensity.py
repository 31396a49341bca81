"""Point-wise intensity filters: square, square root, logarithm, exponential (pyradiomics 3.0.1).

Each maps the whole image through a function rescaled by ``M = max(|x|)`` over the *whole*
image (not just the ROI), in float64, exactly as pyradiomics' ``get<Type>Image``:

* square:      ``(x / sqrt(M))^2``
* squareroot:  ``sign(x) sqrt(|x| M)``
* logarithm:   ``sign(x) log(|x| + 1)``, rescaled so its maximum magnitude is ``M``
* exponential: ``exp(x log(M) / M)``

An all-zero image makes ``M = 0``; pyradiomics then divides by zero (non-finite images), and so
do we: the caller's non-finite check reports it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from rnpc_radiomics.image import Volume

__all__ = ["square", "squareroot", "logarithm", "exponential", "square_image",
           "squareroot_image", "logarithm_image", "exponential_image"]


def _absmax(a, amax):
    return np.max(np.abs(np.asarray(a, dtype=np.float64))) if amax is None else np.float64(amax)


def square(a: np.ndarray, amax: float | None = None) -> np.ndarray:
    """``(x / sqrt(M))^2`` in float64, ``M = max|x|`` over ``a`` unless given (pyradiomics
    ``getSquareImage``; pass the whole image's ``amax`` when ``a`` is a crop)."""
    im = np.asarray(a, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        coeff = 1 / np.sqrt(_absmax(im, amax))
        return (coeff * im) ** 2


def squareroot(a: np.ndarray, amax: float | None = None) -> np.ndarray:
    """``sign(x) sqrt(|x| M)`` in float64 (pyradiomics ``getSquareRootImage``)."""
    im = np.array(a, dtype=np.float64)
    coeff = _absmax(im, amax)
    pos = im > 0
    neg = im < 0
    im[pos] = np.sqrt(im[pos] * coeff)
    im[neg] = -np.sqrt(-im[neg] * coeff)
    return im


def logarithm(a: np.ndarray, amax: float | None = None) -> np.ndarray:
    """``sign(x) log(|x| + 1)`` rescaled to the original maximum magnitude (float64)."""
    im = np.array(a, dtype=np.float64)
    im_max = _absmax(im, amax)
    pos = im > 0
    neg = im < 0
    im[pos] = np.log(im[pos] + 1)
    im[neg] = -np.log(-(im[neg] - 1))
    # the largest |log(|x| + 1)| is log(M + 1), M = max|x| (log is increasing): the same number
    # pyradiomics takes as the maximum of its whole log image, also when ``a`` is a crop
    lmax = np.log(im_max + 1) if im_max > 0 else np.max(np.abs(im))
    with np.errstate(divide="ignore", invalid="ignore"):
        return im * (im_max / lmax)


def exponential(a: np.ndarray, amax: float | None = None) -> np.ndarray:
    """``exp(x log(M) / M)``, ``M = max|x|`` (float64; pyradiomics ``getExponentialImage``)."""
    im = np.asarray(a, dtype=np.float64)
    im_max = _absmax(im, amax)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        coeff = np.log(im_max) / im_max
        return np.exp(coeff * im)


def _apply(image: Volume, box, fn) -> Volume:
    from rnpc_radiomics.filters import crop_volume

    amax = np.max(np.abs(np.asarray(image.array, dtype=np.float64)))
    sub = crop_volume(image, box)
    return sub.with_array(fn(sub.array, amax))


def square_image(image: Volume, mask, settings: Mapping[str, Any], box=None
                 ) -> Iterator[tuple[str, Volume]]:
    """Yield ``("square", image)``."""
    yield "square", _apply(image, box, square)


def squareroot_image(image: Volume, mask, settings: Mapping[str, Any], box=None
                     ) -> Iterator[tuple[str, Volume]]:
    """Yield ``("squareroot", image)``."""
    yield "squareroot", _apply(image, box, squareroot)


def logarithm_image(image: Volume, mask, settings: Mapping[str, Any], box=None
                    ) -> Iterator[tuple[str, Volume]]:
    """Yield ``("logarithm", image)``."""
    yield "logarithm", _apply(image, box, logarithm)


def exponential_image(image: Volume, mask, settings: Mapping[str, Any], box=None
                      ) -> Iterator[tuple[str, Volume]]:
    """Yield ``("exponential", image)``."""
    yield "exponential", _apply(image, box, exponential)
