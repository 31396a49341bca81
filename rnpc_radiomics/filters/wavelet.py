"""Undecimated (stationary) wavelet images (pyradiomics 3.0.1 ``getWaveletImage``).

PyWavelets' ``swtn`` with one level at a time, as pyradiomics does: the array is wrap-padded to
even size per axis, ``start_level`` approximations are skipped, then ``level`` levels are
decomposed, each yielding its ``2^d - 1`` detail images (``a``/``d`` per axis renamed ``L``/``H``,
x first, so ``wavelet-LLH`` is low-pass in x and y and high-pass in z) and finally the last
approximation (``wavelet-LLL``). Levels after the first are named ``wavelet<k>-...``. With
``force2D`` the ``force2Ddimension`` axis is not filtered (names have two letters).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from rnpc_radiomics.image import Volume

__all__ = ["swt_decompose", "wavelet_images"]


def _wavelet(name):
    import pywt

    from rnpc_radiomics.errors import SettingsError

    if isinstance(name, pywt.Wavelet):
        return name
    try:
        return pywt.Wavelet(name)
    except (ValueError, TypeError):
        raise SettingsError("invalid setting 'wavelet'", None,
                            f"expected a discrete PyWavelets name, got {name!r}",
                            "use e.g. 'coif1', 'haar', 'db2', 'sym4', 'bior1.1'") from None


def swt_decompose(array: np.ndarray, *, wavelet="coif1", level: int = 1, start_level: int = 0,
                  axes=(2, 1, 0), box: tuple[slice, ...] | None = None):
    """pyradiomics' ``_swt3``: detail images per level and the final approximation.

    Parameters
    ----------
    array : ndarray of shape (Z, Y, X)
    wavelet : str or pywt.Wavelet
    level, start_level : int
    axes : tuple of int
        Array axes to filter, in naming order (pyradiomics: x, y, z = 2, 1, 0).
    box : tuple of 3 slice, optional
        Return only this part of every image (bitwise the same values). Each one-level SWT
        output sample reads ``dec_len`` consecutive samples of the wrap-padded input, so the box
        grown by ``dec_len`` per decomposition, its indices taken modulo the padded size
        (pyradiomics' periodic extension), holds everything the box needs.

    Returns
    -------
    approx : ndarray of shape (Z, Y, X)
    details : list of dict of str to ndarray
        Per level, ``{"LLH": array, ...}`` in PyWavelets' key order (approximation excluded).
    """
    import pywt

    w = _wavelet(wavelet)
    matrix = np.asarray(array)
    shape = matrix.shape
    padding = tuple((0, 1 if n % 2 else 0) for n in shape)
    data = np.pad(matrix.copy(), padding, "wrap")
    crop = tuple(slice(None, -1 if n % 2 else None) for n in shape)
    if box is not None:
        reach = w.dec_len * (start_level + level)
        index = []
        crop = []
        for ax, (b, n) in enumerate(zip(box, data.shape)):
            if ax not in axes:
                index.append(np.arange(b.start, b.stop))
                crop.append(slice(0, b.stop - b.start))
                continue
            lo, hi = b.start - reach, b.stop + reach
            if (hi - lo) % 2:
                hi += 1  # SWT needs an even length
            if hi - lo >= n:
                index.append(np.arange(n))
                crop.append(b)
            else:
                index.append(np.arange(lo, hi) % n)
                crop.append(slice(reach, reach + b.stop - b.start))
        data = data[np.ix_(*index)]
        crop = tuple(crop)
    aname = "a" * len(axes)
    for _ in range(start_level):
        data = pywt.swtn(data, w, level=1, start_level=0, axes=axes)[0][aname].copy()
    details = []
    for _ in range(start_level, start_level + level):
        dec = pywt.swtn(data, w, level=1, start_level=0, axes=axes)[0]
        data = dec[aname].copy()
        details.append({k.replace("a", "L").replace("d", "H"): v[crop].copy()
                        for k, v in dec.items() if k != aname})
    return data[crop], details


def wavelet_images(image: Volume, mask, settings: Mapping[str, Any], box=None
                   ) -> Iterator[tuple[str, Volume]]:
    """Yield ``(wavelet-<name>, image)`` for every decomposition, approximation last."""
    axes = [2, 1, 0]
    if settings.get("force2D", False):
        # force2Ddimension is an array axis (0 = z): that axis is left unfiltered.
        axes.remove(int(settings.get("force2Ddimension", 0) or 0))
    level = int(settings.get("level", 1) or 1)
    start = int(settings.get("start_level", 0) or 0)
    approx, details = swt_decompose(image.array, wavelet=settings.get("wavelet") or "coif1",
                                    level=level, start_level=start, axes=tuple(axes), box=box)
    from rnpc_radiomics.filters import crop_volume

    image = crop_volume(image, box)
    for idx, dec in enumerate(details, start=1):
        for name, arr in dec.items():
            prefix = f"wavelet-{name}" if idx == 1 else f"wavelet{idx}-{name}"
            yield prefix, image.with_array(arr)
    lname = "L" * len(axes)
    prefix = f"wavelet-{lname}" if len(details) == 1 else f"wavelet{len(details)}-{lname}"
    yield prefix, image.with_array(approx)
