"""IBSI intensity histogram features (IBSI-1 section 3.4), on discretised grey levels."""

from __future__ import annotations

import numpy as np

from rnpc_radiomics.ibsi.statistics import location_dispersion

__all__ = ["histogram_features"]


def histogram_features(q: np.ndarray, ng: int) -> dict[str, float]:
    """Intensity-histogram features (keys ``ih_*``).

    Parameters
    ----------
    q : ndarray of int
        Discretised grey levels (1..Ng) of the intensity-mask voxels.
    ng : int
        Number of grey levels; the histogram spans 1..max(ng, max(q)) so that absent levels
        count as empty bins (they matter for the gradient features).
    """
    q = np.asarray(q, dtype=np.int64)
    out = location_dispersion(q, "ih")
    n_levels = max(int(ng), int(q.max()))
    h = np.bincount(q, minlength=n_levels + 1)[1:].astype(np.float64)
    levels = np.arange(1, n_levels + 1, dtype=np.float64)
    # Histogram covers the grey levels from the lowest present one to the highest present.
    lo, hi = int(q.min()), int(q.max())
    h = h[lo - 1:hi]
    levels = levels[lo - 1:hi]
    p = h / h.sum()
    mu = out["ih_mean"]
    # Mode: most frequent level; a tie goes to the level closest to the mean.
    cand = levels[h == h.max()]
    out["ih_mode"] = float(cand[np.argmin(np.abs(cand - mu))])
    nz = p[p > 0]
    out["ih_entropy"] = float(-np.sum(nz * np.log2(nz)))
    out["ih_uniformity"] = float(np.sum(p ** 2))
    if h.size == 1:
        grad = np.zeros(1)
    else:
        grad = np.empty_like(h)
        grad[0] = h[1] - h[0]
        grad[-1] = h[-1] - h[-2]
        grad[1:-1] = (h[2:] - h[:-2]) / 2.0
    imax, imin = int(np.argmax(grad)), int(np.argmin(grad))
    out["ih_max_grad"] = float(grad[imax])
    out["ih_max_grad_g"] = float(levels[imax])
    out["ih_min_grad"] = float(grad[imin])
    out["ih_min_grad_g"] = float(levels[imin])
    return out
