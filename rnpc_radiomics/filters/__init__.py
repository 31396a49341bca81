"""Image types (filters) with pyradiomics 3.0.1's names, options and output prefixes.

:func:`iter_image_types` is the counterpart of pyradiomics' chain of ``get<Type>Image``
generators: for every enabled image type it yields the derived image(s) with their feature-name
prefix (``original``, ``log-sigma-1-0-mm-3D``, ``wavelet-LLH``, ``square``, ``squareroot``,
``logarithm``, ``exponential``, ``gradient``, ``lbp-2D``, ``lbp-3D-m1``, ``lbp-3D-k``) and the
settings of that image type (global settings plus its ``imageType`` overrides, e.g. a per-type
``binWidth``).

Like pyradiomics, every filter sees the whole (already resampled / pre-cropped) image, so the
values inside the ROI are those pyradiomics computes. When the caller only needs a box around the
ROI (``box=``), filters whose value at a voxel depends on a bounded neighbourhood compute just
that box plus the neighbourhood, with values identical to filtering the whole image:
point-wise filters (with the whole image's maximum), gradient (1 voxel), LBP2D (its radius) and
wavelets (the filter length per decomposition, with pyradiomics' wrap-around gathered by index).
LoG (recursive, infinite support along each line) filters only the whole lines that reach the
box, bit for bit ITK's values. LBP3D (cubic spline prefilter) still runs on the whole image and
is then cropped.

======================  ==========================  =========================================
imageType               module                      prefix(es)
======================  ==========================  =========================================
``Original``            (no filter)                 ``original``
``LoG``                 :mod:`.log`                 ``log-sigma-<s>-mm-3D`` per ``sigma``
``Wavelet``             :mod:`.wavelet`             ``wavelet[<level>]-<LLH...>``
``Square`` ...          :mod:`.intensity`           ``square``, ``squareroot``, ``logarithm``,
                                                    ``exponential``
``Gradient``            :mod:`.gradient`            ``gradient``
``LBP2D``, ``LBP3D``    :mod:`.lbp`                 ``lbp-2D``; ``lbp-3D-m<n>``, ``lbp-3D-k``
======================  ==========================  =========================================
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Iterator, Mapping
from typing import Any

from rnpc_radiomics.image import Volume

__all__ = ["IMAGE_TYPE_FILTERS", "iter_image_types", "flat_settings", "crop_volume"]

logger = logging.getLogger(__name__)

# imageType name -> (module, function). Each function takes (image, mask, settings_dict, box=None)
# and yields (prefix, Volume), the Volume cropped to ``box`` when one is given. Modules are imported only when their image type is enabled.
IMAGE_TYPE_FILTERS: dict[str, tuple[str, str]] = {
    "Original": ("rnpc_radiomics.filters", "original_image"),
    "LoG": ("rnpc_radiomics.filters.log", "log_images"),
    "Wavelet": ("rnpc_radiomics.filters.wavelet", "wavelet_images"),
    "Square": ("rnpc_radiomics.filters.intensity", "square_image"),
    "SquareRoot": ("rnpc_radiomics.filters.intensity", "squareroot_image"),
    "Logarithm": ("rnpc_radiomics.filters.intensity", "logarithm_image"),
    "Exponential": ("rnpc_radiomics.filters.intensity", "exponential_image"),
    "Gradient": ("rnpc_radiomics.filters.gradient", "gradient_image"),
    "LBP2D": ("rnpc_radiomics.filters.lbp", "lbp2d_image"),
    "LBP3D": ("rnpc_radiomics.filters.lbp", "lbp3d_images"),
}


def flat_settings(settings: Any) -> dict[str, Any]:
    """The flat pyradiomics settings dict of a :class:`~rnpc_radiomics.settings.Settings`, or a
    copy of a plain mapping (pyradiomics names: ``sigma``, ``wavelet``, ``force2D`` ...)."""
    if settings is None:
        return {}
    if hasattr(settings, "to_dict"):
        return settings.to_dict()
    if isinstance(settings, Mapping):
        return dict(settings)
    raise TypeError(f"settings must be a Settings or a mapping, got {type(settings).__name__}")


def crop_volume(vol: Volume, box: tuple[slice, ...] | None) -> Volume:
    """``vol`` restricted to ``box`` (array slices), origin moved to the box's first voxel."""
    if box is None:
        return vol
    start = [s.start or 0 for s in box]
    origin = vol.index_to_physical(start[::-1])
    return vol.replace(array=vol.array[box], origin=tuple(float(o) for o in origin))


def original_image(image: Volume, mask, settings: Mapping[str, Any], box=None
                   ) -> Iterator[tuple[str, Volume]]:
    """The unfiltered image, prefix ``original``."""
    yield "original", crop_volume(image, box)


def iter_image_types(image: Volume, mask: Volume | Any, image_types: Mapping[str, Any],
                     settings: Any = None, *, box: tuple[slice, ...] | None = None
                     ) -> Iterator[tuple[str, Volume, Any]]:
    """Yield every derived image of every enabled image type, in pyradiomics' order.

    Parameters
    ----------
    image : Volume
        The preprocessed image (after normalisation and resampling), whole grid.
    mask : Volume or ndarray of shape (Z, Y, X)
        The ROI on the image grid (boolean, or a label map read with ``settings['label']``).
        Only LBP3D reads it (pyradiomics computes LBP3D at ROI voxels only).
    image_types : mapping
        ``{imageType: settings}`` in the order to compute, where ``settings`` is that image
        type's :class:`~rnpc_radiomics.settings.Settings` (global settings plus its overrides,
        as in ``ExtractionParams.image_types``) or a mapping of overrides to apply on top of
        ``settings``.
    settings : Settings or mapping, optional
        Global settings, used under mapping overrides.
    box : tuple of 3 slice, optional
        Only this part of each derived image is needed (the ROI's bounding box): derived images
        are returned cropped to it (origin moved accordingly), with the values filtering the
        whole image gives.

    Yields
    ------
    prefix : str
        pyradiomics' image type name for feature keys (``"wavelet-LLH"``).
    image : Volume
        The derived image, same grid as ``image`` (or its ``box``), dtype as pyradiomics
        produces it (the dtype matters for discretisation at bin edges).
    settings : Settings or dict
        The settings to compute features of this image with.

    Raises
    ------
    SettingsError
        Unknown image type.
    """
    from rnpc_radiomics.errors import SettingsError

    for name, it_settings in image_types.items():
        if name not in IMAGE_TYPE_FILTERS:
            import difflib

            close = difflib.get_close_matches(name, list(IMAGE_TYPE_FILTERS), n=1)
            raise SettingsError(f"unknown image type '{name}'", None,
                                f"expected one of {', '.join(IMAGE_TYPE_FILTERS)}",
                                f"did you mean '{close[0]}'" if close else "")
        if it_settings is None or (isinstance(it_settings, Mapping)
                                   and not hasattr(it_settings, "to_dict")):
            eff = {**flat_settings(settings), **dict(it_settings or {})}
        else:
            eff = it_settings
        modname, fname = IMAGE_TYPE_FILTERS[name]
        fn = getattr(importlib.import_module(modname), fname)
        logger.debug("image type %s", name)
        if box is not None:
            box = tuple(slice(*sl.indices(n)[:2]) for sl, n in zip(box, image.shape))
        for prefix, derived in fn(image, mask, flat_settings(eff), box=box):
            yield prefix, derived, eff


def _grow(box, shape, margins):
    """``box`` grown by ``margins`` voxels per axis, clipped to ``shape``, and ``box`` relative to
    the grown box."""
    grown = tuple(slice(max(b.start - m, 0), min(b.stop + m, n))
                  for b, m, n in zip(box, margins, shape))
    inner = tuple(slice(b.start - g.start, b.stop - g.start) for b, g in zip(box, grown))
    return grown, inner
