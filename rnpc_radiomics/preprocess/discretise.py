"""Grey-level discretisation with pyradiomics 3.0.1's bin edges.

Fixed bin width ``W``: edges are multiples of ``W`` starting at the largest multiple ``<= min``
and running past ``max + W``, so every bin is half open ``[lo, hi)`` and the ROI minimum always
lands in bin 1::

    X_b = floor(X / W) - floor(min(X) / W) + 1

Fixed bin count ``N``: ``numpy.histogram``'s ``N`` equal bins between the ROI minimum and
maximum, with the last edge raised by 1 so ``numpy.digitize`` puts the maximum in bin ``N``.

The arithmetic is done in the dtype pyradiomics uses (the image's own dtype, with a Python
``int`` or ``float`` bin width), because bin membership at exact edges depends on it: a float32
image is binned with float32 edges, exactly as pyradiomics does.
"""

from __future__ import annotations

import numpy as np

__all__ = ["bin_edges", "discretise", "discretise_roi", "pyradiomics_overflow"]


def pyradiomics_overflow(values: np.ndarray, bin_width: float = 25,
                         bin_count: int | None = None) -> bool:
    """True when pyradiomics' fixed-width edge arithmetic overflows the image's integer dtype.

    pyradiomics computes ``max + 2 * binWidth`` and ``min - min % binWidth`` in the image dtype
    when ``binWidth`` is an ``int``; for a uint8 image with values above 205 and binWidth 25 the
    upper bound wraps around and nearly every voxel lands in bin 2. :func:`bin_edges` reproduces
    this (parity), and the caller reports it, so the distortion is never silent.
    """
    values = np.asarray(values)
    if bin_count is not None or values.dtype.kind not in "iu" or not isinstance(bin_width, int) \
            or values.size == 0:
        return False
    info = np.iinfo(values.dtype)
    mn, mx = int(values.min()), int(values.max())
    return mx + 2 * bin_width > info.max or mn - (mn % bin_width) < info.min


def bin_edges(values: np.ndarray, bin_width: float = 25, bin_count: int | None = None
              ) -> np.ndarray:
    """Bin edges for the ROI intensities ``values``.

    Parameters
    ----------
    values : ndarray of shape (N,)
        Intensities of the ROI voxels, in the image's dtype (N >= 1).
    bin_width : int or float, default 25
        Fixed bin width (used when ``bin_count`` is None). An ``int`` keeps integer arithmetic
        for integer images, as in pyradiomics (see :func:`pyradiomics_overflow`).
    bin_count : int, optional
        Fixed number of bins.

    Returns
    -------
    ndarray of shape (n_bins + 1,)
        Edges for :func:`numpy.digitize` (every bin half open).
    """
    values = np.asarray(values).ravel()
    if values.dtype == np.bool_:
        values = values.astype(np.uint8)
    if bin_count is not None:
        edges = np.histogram_bin_edges(values, int(bin_count))
        edges[-1] += 1
        return edges
    minimum = values.min()
    maximum = values.max()
    try:
        with np.errstate(over="ignore"):
            low = minimum - (minimum % bin_width)
            high = maximum + 2 * bin_width
    except OverflowError:
        # the width itself does not fit the dtype (pyradiomics would crash): exact arithmetic
        minimum, maximum = int(minimum), int(maximum)
        low = minimum - (minimum % bin_width)
        high = maximum + 2 * bin_width
    edges = np.arange(low, high, bin_width)
    if len(edges) == 1:
        # A flat ROI whose value is a multiple of the width: one bin, as numpy.histogram(bins=1).
        edges = np.array([edges[0] - 0.5, edges[0] + 0.5])
    return edges


def discretise_roi(values: np.ndarray, bin_width: float = 25, bin_count: int | None = None
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Bin the ROI intensities.

    Parameters
    ----------
    values : ndarray of shape (N,)
        ROI intensities in the image dtype.
    bin_width, bin_count
        See :func:`bin_edges`.

    Returns
    -------
    levels : ndarray of shape (N,), int32
        Bin index of each value, starting at 1 for the ROI minimum.
    edges : ndarray
        The bin edges.
    """
    from rnpc_radiomics.preprocess._kernels import digitize_sorted

    values = np.asarray(values).ravel()
    if values.dtype == np.bool_:
        values = values.astype(np.uint8)
    edges = np.asarray(bin_edges(values, bin_width, bin_count))
    levels = np.empty(values.size, np.int32)
    if values.size:
        # numpy.digitize's result (its comparisons, exactly) from a numba kernel
        digitize_sorted(np.ascontiguousarray(values), np.ascontiguousarray(edges), levels)
    return levels, edges


def discretise(image: np.ndarray, mask: np.ndarray, bin_width: float = 25,
               bin_count: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Discretise the voxels of ``image`` inside ``mask``; voxels outside become 0.

    Parameters
    ----------
    image : ndarray of shape (Z, Y, X)
        Intensities (any real dtype).
    mask : ndarray of bool, shape (Z, Y, X)
        The ROI (at least one voxel).
    bin_width, bin_count
        See :func:`bin_edges`.

    Returns
    -------
    q : ndarray of int32, shape (Z, Y, X)
        Grey levels ``1..Ng`` inside the ROI, 0 outside.
    edges : ndarray
        The bin edges.
    """
    mask = np.asarray(mask, dtype=bool)
    q = np.zeros(mask.shape, dtype=np.int32)
    levels, edges = discretise_roi(np.asarray(image)[mask], bin_width, bin_count)
    q[mask] = levels
    return q, edges
