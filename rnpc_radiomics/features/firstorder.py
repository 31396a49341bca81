"""First-order (intensity) features, pyradiomics 3.0.1 ``firstorder``.

Let ``X`` be the ``N_p`` ROI intensities (float64), ``c`` = ``voxelArrayShift``, ``p(i)`` the
normalised histogram of the discretised ROI (``N_g`` occupied bins). Percentiles use numpy's
linear interpolation, moments are population moments, like pyradiomics.

Undefined values: for a flat ROI (all intensities equal) the second moment is 0 and Skewness and
Kurtosis are defined as 0 (pyradiomics' convention); :func:`undefined` names them so the caller
can say so in diagnostics.
"""

from __future__ import annotations

import numpy as np

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


def undefined(image: np.ndarray, mask: np.ndarray) -> list[str]:
    """Features that take a conventional value because their formula is undefined here."""
    x = np.asarray(image)[np.asarray(mask, dtype=bool)]
    if x.size and np.all(x == x[0]):
        return ["Skewness", "Kurtosis"]
    return []


def _percentile_sorted(s: np.ndarray, p: float) -> float:
    """``numpy.percentile(s, p)`` (method 'linear') of an ascending array ``s``."""
    n = s.size
    if n == 1:
        return float(s[0])
    pos = p / 100.0 * (n - 1)
    lo = int(np.floor(pos))
    hi = min(lo + 1, n - 1)
    t = pos - lo
    a, b = float(s[lo]), float(s[hi])
    d = b - a
    # numpy's _lerp: a + d*t, but b - d*(1-t) for t >= 0.5 (monotone and exact at t = 1)
    return b - d * (1.0 - t) if t >= 0.5 else a + d * t


def compute(q: np.ndarray, mask: np.ndarray, *, spacing_zyx, settings: dict, names,
            image: np.ndarray) -> dict[str, float]:
    """Compute first-order features.

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
    raw = np.asarray(image)[mask]
    x = raw.astype(np.float64)
    shift = settings.get("voxelArrayShift", 0) or 0
    n = x.size

    cache: dict[str, object] = {}

    def get(key, fn):
        if key not in cache:
            cache[key] = fn()
        return cache[key]

    def sorted_x():
        # Sorting in the image dtype (float32: half the bytes) then widening gives the same
        # float64 values: the conversion is exact and monotone.
        return np.sort(raw).astype(np.float64)

    def pct(p):
        # numpy's default (linear) percentile read straight off the sorted values, with numpy's
        # own lerp, so each percentile costs O(1) after one sort instead of a partition.
        return get(f"p{p}", lambda: _percentile_sorted(get("sorted", sorted_x), p))

    def mean():
        return get("mean", lambda: float(np.mean(x)))

    def dev():
        return get("dev", lambda: x - mean())

    def d2():
        return get("d2", lambda: dev() * dev())

    def moment(k):
        # Products instead of ** 3 / ** 4: numpy's float pow is ~10x slower than multiplication.
        if k == 2:
            return get("m2", lambda: float(np.mean(d2())))
        if k == 3:
            return get("m3", lambda: float(np.mean(d2() * dev())))
        return get("m4", lambda: float(np.mean(d2() * d2())))

    def hist():
        def h():
            counts = np.bincount(np.asarray(q)[mask].ravel())
            counts = counts[counts > 0].astype(np.float64)
            return counts / counts.sum()
        return get("hist", h)

    def energy():
        def e():
            xs = x + shift if shift else x
            return float(np.sum(xs * xs))  # not np.dot: BLAS thread start-up costs more
        return get("energy", e)

    out: dict[str, float] = {}
    for name in names:
        if name == "Energy":
            v = energy()
        elif name == "TotalEnergy":
            v = energy() * float(np.prod(spacing_zyx))
        elif name == "Entropy":
            p = hist()
            v = float(-np.sum(p * np.log2(p + np.spacing(1))))
        elif name == "Minimum":
            v = float(get("sorted", sorted_x)[0])
        elif name == "Maximum":
            v = float(get("sorted", sorted_x)[-1])
        elif name == "10Percentile":
            v = pct(10)
        elif name == "90Percentile":
            v = pct(90)
        elif name == "Mean":
            v = mean()
        elif name == "Median":
            v = pct(50)
        elif name == "InterquartileRange":
            v = pct(75) - pct(25)
        elif name == "Range":
            s = get("sorted", sorted_x)
            v = float(s[-1] - s[0])
        elif name == "MeanAbsoluteDeviation":
            v = float(np.mean(np.abs(dev())))
        elif name == "RobustMeanAbsoluteDeviation":
            lo, hi = pct(10), pct(90)
            sub = x[(x >= lo) & (x <= hi)]
            v = float(np.mean(np.abs(sub - np.mean(sub))))
        elif name == "RootMeanSquared":
            v = float(np.sqrt(energy() / n)) if n else 0.0
        elif name == "StandardDeviation":
            v = float(np.sqrt(moment(2)))
        elif name == "Skewness":
            m2 = moment(2)
            v = moment(3) / (m2 ** 1.5) if m2 != 0 else 0.0
        elif name == "Kurtosis":
            m2 = moment(2)
            v = moment(4) / (m2 ** 2) if m2 != 0 else 0.0
        elif name == "Variance":
            v = moment(2)
        elif name == "Uniformity":
            p = hist()
            v = float(np.sum(p ** 2))
        out[name] = float(v)
    return out
