"""Undecimated (stationary) wavelet images (pyradiomics 3.0.1 ``getWaveletImage``).

PyWavelets' ``swtn`` with one level at a time, as pyradiomics does: the array is wrap-padded to
even size per axis, ``start_level`` approximations are skipped, then ``level`` levels are
decomposed, each yielding its ``2^d - 1`` detail images (``a``/``d`` per axis renamed ``L``/``H``,
x first, so ``wavelet-LLH`` is low-pass in x and y and high-pass in z) and finally the last
approximation (``wavelet-LLL``). Levels after the first are named ``wavelet<k>-...``. With
``force2D`` the ``force2Ddimension`` axis is not filtered (names have two letters).

Each level is computed by a numba transcription of PyWavelets' periodization convolution
(:func:`._kernels.swt_mid`: same filters, same summation order per output, so the same bits as
``pywt.swtn``), vectorised over lines and parallel, on the ROI's box plus the filters' reach.
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


def _pywt_filters(w, dtype):
    """PyWavelets' decomposition filters as its C code holds them for ``dtype``.

    Its float32 tables are separate literals, not the float64 ones rounded (coif1 differs in
    one coefficient by one ulp), so they are read off the response to a unit impulse: with
    ``x = e_0`` every output is a single product ``f[j] * 1`` plus exact zeros."""
    import pywt

    F = w.dec_len
    n = 2 * F
    x = np.zeros(n, dtype)
    x[0] = 1
    a, d = pywt.swt(x, w, level=1)[0]
    idx = [(j - F // 2) % n for j in range(F)]
    return np.ascontiguousarray(a[idx]), np.ascontiguousarray(d[idx])


def _swtn1(data, w, axes):
    """``pywt.swtn(data, w, level=1, start_level=0, axes=axes)[0]`` (same keys, order, dtype and
    bits), one level along each axis by the numba kernel (parallel over lines)."""
    from rnpc_radiomics.filters._kernels import swt_mid

    if data.dtype.kind in "iub":
        data = data.astype(np.float64)          # PyWavelets computes integer input in float64
    if data.dtype not in (np.float32, np.float64):
        # float16, complex: PyWavelets itself
        import pywt

        return pywt.swtn(data, w, level=1, start_level=0, axes=axes)[0]
    lo, hi = _pywt_filters(w, data.dtype)
    coeffs = [("", data)]
    for axis in axes:
        new = []
        for sub, x in coeffs:
            # a (B, N, M) view with the filtered axis in the middle and a contiguous last axis
            x = np.ascontiguousarray(x)
            n = x.shape[axis]
            if axis == x.ndim - 1:
                view = np.ascontiguousarray(x.reshape(-1, n).T)[None]
            else:
                view = x.reshape(int(np.prod(x.shape[:axis], dtype=np.int64)), n, -1)
            ca = np.empty_like(view)
            cd = np.empty_like(view)
            swt_mid(view, lo, hi, ca, cd)
            if axis == x.ndim - 1:
                ca, cd = ca[0].T.reshape(x.shape), cd[0].T.reshape(x.shape)
            else:
                ca, cd = ca.reshape(x.shape), cd.reshape(x.shape)
            new.append((sub + "a", ca))
            new.append((sub + "d", cd))
        coeffs = new
    return dict(coeffs)


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
        grown by ``dec_len`` per decomposition holds everything the box needs; along an axis
        where that grown range leaves the image, the whole axis is filtered (PyWavelets'
        periodic boundary sums differ from its interior ones in the last bits).

    Returns
    -------
    approx : ndarray of shape (Z, Y, X)
    details : list of dict of str to ndarray
        Per level, ``{"LLH": array, ...}`` in PyWavelets' key order (approximation excluded).
    """
    w = _wavelet(wavelet)
    matrix = np.asarray(array)
    shape = matrix.shape
    if box is None:
        padding = tuple((0, 1 if n % 2 else 0) for n in shape)
        data = np.pad(matrix.copy(), padding, "wrap")
        crop = tuple(slice(None, -1 if n % 2 else None) for n in shape)
    else:
        reach = w.dec_len * (start_level + level)
        index = []
        crop = []
        for ax, (b, n) in enumerate(zip(box, shape)):
            if ax not in axes:
                index.append(np.arange(b.start, b.stop))
                crop.append(slice(0, b.stop - b.start))
                continue
            npad = n + n % 2  # pyradiomics wrap-pads odd axes by one voxel: padded[n] = a[0]
            lo, hi = b.start - reach, b.stop + reach
            if (hi - lo) % 2:
                hi += 1  # SWT needs an even length
            if lo < 0 or hi > npad:
                # The reach crosses the (padded) image border: PyWavelets computes outputs near
                # its array ends with differently ordered sums (last-bit differences), so filter
                # the whole axis as pyradiomics does.
                index.append(np.arange(npad) % n)
                crop.append(b)
            else:
                # only the box and its reach, mapped padded -> original (i % n): no padded copy
                # of the whole image
                index.append(np.arange(lo, hi) % n)
                crop.append(slice(reach, reach + b.stop - b.start))
        data = matrix[np.ix_(*index)]
        crop = tuple(crop)
    aname = "a" * len(axes)
    for _ in range(start_level):
        data = _swtn1(data, w, axes)[aname].copy()
    details = []
    for _ in range(start_level, start_level + level):
        dec = _swtn1(data, w, axes)
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
