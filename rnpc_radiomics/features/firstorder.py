"""First-order (intensity) features, pyradiomics 3.0.1 ``firstorder``.

Let ``X`` be the ``N_p`` ROI intensities (float64), ``c`` = ``voxelArrayShift``, ``p(i)`` the
normalised histogram of the discretised ROI (``N_g`` occupied bins). Percentiles use numpy's
linear interpolation, moments are population moments, like pyradiomics.

Undefined values: for a flat ROI (all intensities equal) the second moment is 0 and Skewness and
Kurtosis are defined as 0 (pyradiomics' convention); :func:`undefined` names them so the caller
can say so in diagnostics. One deliberate difference: the mean is clamped to [min, max], so a flat
float64 ROI whose sum rounds (2700 voxels of 0.1) has a second moment of exactly 0 here, and
Skewness/Kurtosis 0, where numpy's rounded mean gives pyradiomics a tiny moment and values of
about +-1 and 1 that mean nothing.

Computed by numba kernels (:mod:`._kernels.firstorder`): one gather of the ROI values (plus the
grey-level histogram), one sort for the order statistics, and two passes for the sums and
central moments (blocked sums; within ~1e-14 relative of numpy's pairwise sums).
"""

from __future__ import annotations

import numpy as np

from rnpc_radiomics.features._kernels import firstorder as _k
from rnpc_radiomics.features.registry import FeatureSpec

__all__ = ["FEATURES", "compute", "undefined"]

_F = "firstorder"

FEATURES: list[FeatureSpec] = [
    FeatureSpec(_F, "Energy", "N8CA", True, "sum((X + c)^2)"),
    FeatureSpec(_F, "TotalEnergy", None, True, "voxel volume (mm^3) * Energy"),
    FeatureSpec(_F, "Entropy", "TLU2", True,
                "-sum p(i) log2(p(i) + eps), eps = machine epsilon, over the binned histogram"),
    FeatureSpec(_F, "Minimum", "1GSF", True, "min(X)"),
    FeatureSpec(_F, "10Percentile", "QG58", True, "10th percentile of X (linear)"),
    FeatureSpec(_F, "90Percentile", "8DWT", True, "90th percentile of X (linear)"),
    FeatureSpec(_F, "Maximum", "84IY", True, "max(X)"),
    FeatureSpec(_F, "Mean", "Q4LE", True, "mean(X)"),
    FeatureSpec(_F, "Median", "Y12H", True, "median(X)"),
    FeatureSpec(_F, "InterquartileRange", "SALO", True, "P75(X) - P25(X)"),
    FeatureSpec(_F, "Range", "2OJQ", True, "max(X) - min(X)"),
    FeatureSpec(_F, "MeanAbsoluteDeviation", "4FUA", True, "mean(|X - mean(X)|)"),
    FeatureSpec(_F, "RobustMeanAbsoluteDeviation", "1128", True,
                "mean absolute deviation of the X with P10 <= X <= P90 from their mean"),
    FeatureSpec(_F, "RootMeanSquared", "5ZWQ", True, "sqrt(mean((X + c)^2))"),
    FeatureSpec(_F, "StandardDeviation", None, False,
                "population SD of X (deprecated in pyradiomics: sqrt(Variance))"),
    FeatureSpec(_F, "Skewness", "KE2A", True, "m3 / m2^1.5 (0 for a flat ROI)"),
    FeatureSpec(_F, "Kurtosis", "IPH6", True,
                "m4 / m2^2, not excess: IBSI IPH6 = this - 3 (0 for a flat ROI)"),
    FeatureSpec(_F, "Variance", "ECT3", True, "m2 = mean((X - mean(X))^2)"),
    FeatureSpec(_F, "Uniformity", "BJ5W", True, "sum p(i)^2 over the binned histogram"),
]

_NAMES = {f.name for f in FEATURES}


def _kernel_dtype(a: np.ndarray) -> bool:
    """Whether the numba kernels take ``a``'s dtype (native bool, integers, float32/64)."""
    dt = a.dtype
    return dt.isnative and (dt.kind in "biu" or dt in (np.float32, np.float64))


def undefined(image: np.ndarray, mask: np.ndarray) -> list[str]:
    """Features that take a conventional value because their formula is undefined here."""
    image = np.asarray(image)
    mask = np.asarray(mask, dtype=bool)
    if image.shape != mask.shape or not _kernel_dtype(image):
        x = image[mask]
        flat = bool(x.size and np.all(x == x[0]))
    else:
        # stops at the first ROI value that differs from the first one: cheap unless flat
        flat = bool(_k.is_flat(image.reshape(-1), mask.reshape(-1)))
    return ["Skewness", "Kurtosis"] if flat else []


def _empty_roi(names, out):
    """An empty ROI, as the NumPy implementation behaves: sums are 0, means are NaN (with numpy's
    "Mean of empty slice" warning), order statistics raise IndexError."""
    order = {"Minimum", "Maximum", "Range", "10Percentile", "90Percentile", "Median",
             "InterquartileRange", "RobustMeanAbsoluteDeviation"}
    if order.intersection(names):
        raise IndexError("index 0 is out of bounds for axis 0 with size 0")
    nan = float(np.mean(np.empty(0))) if set(names) - {"Energy", "TotalEnergy", "Entropy",
                                                       "RootMeanSquared", "Uniformity"} else 0.0
    for name in names:
        out[name] = {"Energy": 0.0, "TotalEnergy": 0.0, "Entropy": -0.0, "RootMeanSquared": 0.0,
                     "Uniformity": 0.0}.get(name, nan)
    return out


def compute(q: np.ndarray, mask: np.ndarray, *, spacing_zyx, settings: dict, names,
            image: np.ndarray) -> dict[str, float]:
    """Compute first-order features.

    One pass over the ROI gathers the intensities and the grey-level histogram; the intensities
    are sorted once (in the image's dtype: half the bytes of float64 for a float32 image, and the
    widening is exact and monotone), and one kernel derives every statistic from the sorted
    values (see :mod:`rnpc_radiomics.features._kernels.firstorder`).

    Parameters
    ----------
    q : ndarray of int32, shape (Z, Y, X)
        Discretised grey levels (1..Ng inside the ROI).
    mask : ndarray of bool, shape (Z, Y, X)
        The ROI (cropped to its bounding box).
    spacing_zyx : sequence of 3 float
        Voxel spacing (mm) in array order.
    settings : dict
        pyradiomics settings; reads ``voxelArrayShift``.
    names : iterable of str
        Features to compute.
    image : ndarray, shape (Z, Y, X)
        The intensities (same crop as ``q``).

    Returns
    -------
    dict of str to float
    """
    names = list(names)
    unknown = [n for n in names if n not in _NAMES]
    if unknown:
        raise KeyError(f"unknown firstorder features: {unknown}")
    mask = np.asarray(mask, dtype=bool)
    image = np.asarray(image)
    q = np.asarray(q)
    if image.shape != mask.shape or q.shape != mask.shape:
        raise IndexError(f"image {image.shape}, q {q.shape} and mask {mask.shape} differ in "
                         "shape")
    if q.dtype.kind not in "iu" or not q.dtype.isnative:
        q = q.astype(np.intp, casting="safe")  # what np.bincount accepts
    if not _kernel_dtype(image):
        image = image.astype(np.float64)  # e.g. float16: exact, order-preserving widening
    shift = float(settings.get("voxelArrayShift", 0) or 0)

    raw = np.empty(int(np.count_nonzero(mask)), image.dtype)
    img1, q1, mask1 = image.reshape(-1), q.reshape(-1), mask.reshape(-1)
    counts = np.zeros(256, np.int64)
    if _k.firstorder_gather(img1, q1, mask1, raw, counts) < 0:  # a level outside 0..255
        levels = q1[mask1]
        if levels.min() < 0:
            raise ValueError("grey levels in the ROI must be non-negative")
        counts = np.zeros(int(levels.max()) + 1, np.int64)
        _k.firstorder_gather(img1, q1, mask1, raw, counts)
    n = raw.size
    out: dict[str, float] = {}
    if n == 0:
        return _empty_roi(names, out)

    st = None
    if set(names) - {"Entropy", "Uniformity"}:
        raw.sort()  # numpy's sort (SIMD); the kernel reads the sorted values
        st = np.empty(_k.N_STATS)
        _k.firstorder_stats(raw, shift, st)
    p = None
    if "Entropy" in names or "Uniformity" in names:
        c = counts[counts > 0].astype(np.float64)
        p = c / c.sum()

    for name in names:
        if name == "Energy":
            v = st[_k.STAT_ENERGY]
        elif name == "TotalEnergy":
            v = st[_k.STAT_ENERGY] * float(np.prod(spacing_zyx))
        elif name == "Entropy":
            v = float(-np.sum(p * np.log2(p + np.spacing(1))))
        elif name == "Minimum":
            v = raw[0]
        elif name == "Maximum":
            v = raw[-1]
        elif name == "10Percentile":
            v = st[_k.STAT_P10]
        elif name == "90Percentile":
            v = st[_k.STAT_P90]
        elif name == "Mean":
            v = st[_k.STAT_MEAN]
        elif name == "Median":
            v = st[_k.STAT_P50]
        elif name == "InterquartileRange":
            v = st[_k.STAT_P75] - st[_k.STAT_P25]
        elif name == "Range":
            v = float(raw[-1]) - float(raw[0])
        elif name == "MeanAbsoluteDeviation":
            v = st[_k.STAT_MAD]
        elif name == "RobustMeanAbsoluteDeviation":
            v = st[_k.STAT_RMAD]
        elif name == "RootMeanSquared":
            v = float(np.sqrt(st[_k.STAT_ENERGY] / n))
        elif name == "StandardDeviation":
            v = float(np.sqrt(st[_k.STAT_M2]))
        elif name == "Skewness":
            m2 = st[_k.STAT_M2]
            v = st[_k.STAT_M3] / (m2 ** 1.5) if m2 != 0 else 0.0
        elif name == "Kurtosis":
            m2 = st[_k.STAT_M2]
            v = st[_k.STAT_M4] / (m2 ** 2) if m2 != 0 else 0.0
        elif name == "Variance":
            v = st[_k.STAT_M2]
        elif name == "Uniformity":
            v = float(np.sum(p ** 2))
        out[name] = float(v)
    return out
