"""IBSI intensity statistics (IBSI-1 section 3.3), on the intensity-mask voxels."""

from __future__ import annotations

import numpy as np

__all__ = ["statistics_features", "location_dispersion"]


def location_dispersion(x: np.ndarray, prefix: str) -> dict[str, float]:
    """Features shared by intensity statistics and the intensity histogram.

    Mean, variance, skewness, excess kurtosis, median, minimum, P10, P90, maximum, IQR, range,
    mean / robust mean / median absolute deviation, coefficient of variation and quartile
    coefficient of dispersion. Percentiles interpolate linearly (numpy's default), as MIRP.

    Parameters
    ----------
    x : ndarray of shape (N,)
        Values (intensities or grey levels).
    prefix : str
        ``"stat"`` or ``"ih"``.
    """
    x = np.asarray(x, dtype=np.float64)
    mu = x.mean()
    dev = x - mu
    m2 = np.mean(dev ** 2)
    p10, p25, p50, p75, p90 = np.percentile(x, [10, 25, 50, 75, 90])
    # Undefined for a constant ROI (zero variance): IBSI sets skewness and kurtosis to 0.
    skew = np.mean(dev ** 3) / m2 ** 1.5 if m2 > 0 else 0.0
    kurt = np.mean(dev ** 4) / m2 ** 2 - 3.0 if m2 > 0 else 0.0
    sel = x[(x >= p10) & (x <= p90)]
    return {
        f"{prefix}_mean": float(mu),
        f"{prefix}_var": float(m2),
        f"{prefix}_skew": float(skew),
        f"{prefix}_kurt": float(kurt),
        f"{prefix}_median": float(p50),
        f"{prefix}_min": float(x.min()),
        f"{prefix}_p10": float(p10),
        f"{prefix}_p90": float(p90),
        f"{prefix}_max": float(x.max()),
        f"{prefix}_iqr": float(p75 - p25),
        f"{prefix}_range": float(x.max() - x.min()),
        f"{prefix}_mad": float(np.mean(np.abs(dev))),
        # NaN when no value lies between P10 and P90 (possible for two distinct values).
        f"{prefix}_rmad": float(np.mean(np.abs(sel - sel.mean()))) if sel.size else float("nan"),
        f"{prefix}_medad": float(np.mean(np.abs(x - p50))),
        f"{prefix}_cov": float(np.sqrt(m2) / mu) if mu != 0 else float("nan"),
        f"{prefix}_qcod": float((p75 - p25) / (p75 + p25)) if (p75 + p25) != 0 else float("nan"),
    }


def statistics_features(x: np.ndarray) -> dict[str, float]:
    """IBSI intensity statistics of the ROI intensities ``x`` (keys ``stat_*``).

    Kurtosis is the *excess* kurtosis (pyradiomics reports it + 3); energy and RMS use the raw
    intensities (no ``voxelArrayShift``).
    """
    x = np.asarray(x, dtype=np.float64)
    out = location_dispersion(x, "stat")
    out["stat_energy"] = float(np.sum(x ** 2))
    out["stat_rms"] = float(np.sqrt(np.mean(x ** 2)))
    return out
