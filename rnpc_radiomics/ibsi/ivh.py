"""IBSI intensity-volume histogram features (IBSI-1 section 3.5)."""

from __future__ import annotations

import math

import numpy as np

from rnpc_radiomics.ibsi.settings import DiscretisationSettings

__all__ = ["ivh_features"]


def ivh_features(x: np.ndarray, disc: DiscretisationSettings,
                 bounds: tuple[float | None, float | None]) -> dict[str, float]:
    """Intensity-volume histogram features (keys ``ivh_*``).

    Parameters
    ----------
    x : ndarray
        Intensities of the intensity-mask voxels.
    disc : DiscretisationSettings
        IVH discretisation: ``none`` (intensities are discrete units, w = 1, the range is the
        re-segmentation range, else the ROI min..max), ``FBS`` (bin centres
        ``x_min + (x_d - 0.5) w``) or ``FBN`` (bin numbers 1..N).
    bounds : tuple of 2 (float or None)
        Range re-segmentation bounds.

    Notes
    -----
    ``V_x`` is the volume fraction at the smallest intensity whose intensity fraction is >= x;
    ``I_x`` the smallest intensity whose volume fraction is <= x. ``ivh_auc`` (no IBSI
    reference value) is the trapezoidal area under the volume fraction vs intensity fraction.
    """
    x = np.asarray(x, dtype=np.float64)
    lo, hi = bounds
    if disc.method == "FBS":
        lo = float(x.min()) if lo is None else float(lo)
        hi = float(x.max()) if hi is None else float(hi)
        w = float(disc.bin_width)
        n_bins = int(math.ceil((hi - lo) / w)) + 1
        d = np.clip(np.floor((x - lo) / w).astype(np.int64) + 1, 1, n_bins)
        counts = np.bincount(d, minlength=n_bins + 1)[1:n_bins + 1]
        grid = lo + (np.arange(1, n_bins + 1) - 0.5) * w
    elif disc.method == "FBN":
        n_bins = int(disc.bin_number)
        xmin, xmax = float(x.min()), float(x.max())
        if xmax > xmin:
            d = np.floor(n_bins * (x - xmin) / (xmax - xmin)).astype(np.int64) + 1
        else:
            d = np.ones(x.shape, dtype=np.int64)
        d = np.clip(d, 1, n_bins)
        counts = np.bincount(d, minlength=n_bins + 1)[1:n_bins + 1]
        grid = np.arange(1, n_bins + 1, dtype=np.float64)
    else:
        lo = float(np.round(x.min())) if lo is None else float(lo)
        hi = float(np.round(x.max())) if hi is None else float(hi)
        grid = np.arange(lo, hi + 1.0, 1.0)
        d = np.clip(np.round(x - lo).astype(np.int64), 0, grid.size - 1)
        counts = np.bincount(d, minlength=grid.size)[:grid.size]
    counts = counts.astype(np.float64)
    # nu(i): fraction of voxels with intensity >= grid[i].
    nu = 1.0 - np.concatenate([[0.0], np.cumsum(counts)[:-1]]) / counts.sum()
    span = grid[-1] - grid[0]
    gamma = (grid - grid[0]) / span if span > 0 else np.zeros_like(grid)

    def v_at(frac):
        sel = gamma >= frac
        return float(nu[sel].max()) if sel.any() else 0.0

    def i_at(frac):
        sel = nu <= frac
        # No level with so little volume: one step beyond the range (as MIRP).
        return float(grid[sel].min()) if sel.any() else float(grid[-1] + (grid[1] - grid[0]
                                                                          if grid.size > 1 else 1))

    v10, v90 = v_at(0.10), v_at(0.90)
    i10, i90 = i_at(0.10), i_at(0.90)
    auc = float(np.trapezoid(nu, gamma)) if grid.size > 1 else 0.0
    return {"ivh_v10": v10, "ivh_v90": v90, "ivh_i10": i10, "ivh_i90": i90,
            "ivh_diff_v10_v90": v10 - v90, "ivh_diff_i10_i90": i10 - i90, "ivh_auc": auc}
