"""Neighbouring Grey Tone Difference Matrix (NGTDM) features, pyradiomics 3.0.1 compatible.

For every ROI voxel with at least one neighbour in the mask (infinity-norm distance in
``distances``), ``s_i`` accumulates ``|i - mean of the neighbours|``. ``n_i`` counts every ROI
voxel of grey level ``i``, with or without neighbours, as pyradiomics 3.0.1's C code does
(its docstring describes ``N_vp`` as voxels with a valid region only). Grey levels with
``n_i = 0`` are dropped. NGTDM has no angles.
"""

from __future__ import annotations

import numpy as np

from ._texture import neighbourhood
from .registry import FeatureSpec, requested_names

__all__ = ["FEATURES", "matrix", "compute"]

_F = "ngtdm"
FEATURES: list[FeatureSpec] = [
    FeatureSpec(_F, "Busyness", "NQ30", True,
                "sum_i p_i s_i / sum_ij |i p_i - j p_j| (p_i, p_j > 0); 0 where the divisor is 0"),
    FeatureSpec(_F, "Coarseness", "QCDE", True, "1 / sum_i p_i s_i; 1e6 where the sum is 0"),
    FeatureSpec(_F, "Complexity", "HDEZ", True,
                "sum_ij |i - j| (p_i s_i + p_j s_j) / (p_i + p_j) / Nvp (p_i, p_j > 0)"),
    FeatureSpec(_F, "Contrast", "65HE", True,
                "sum_ij p_i p_j (i - j)^2 / (Ngp (Ngp - 1)) * sum_i s_i / Nvp; 0 where Ngp = 1"),
    FeatureSpec(_F, "Strength", "1X9X", True,
                "sum_ij (p_i + p_j) (i - j)^2 / sum_i s_i (p_i, p_j > 0); 0 where sum s_i = 0"),
]


def _matrix(q, mask, settings):
    L, out = neighbourhood(q, mask, settings, "ngtdm")
    levels = L.levels
    acc = out.sum(axis=0)
    keep = acc[:, 0] != 0  # every ROI level has n_i > 0; kept for pyradiomics' rule
    P = np.empty((int(keep.sum()), 3))
    P[:, :2] = acc[keep]
    P[:, 2] = levels[keep]
    return P


def matrix(q, mask, *, settings=None) -> np.ndarray:
    """NGTDM as pyradiomics holds it in ``P_ngtdm[0]``.

    Parameters
    ----------
    q : ndarray of shape (Z, Y, X), int
        Grey levels 1..Ng inside the mask.
    mask : ndarray of shape (Z, Y, X), bool
    settings : dict, optional
        pyradiomics keys ``distances``, ``force2D``, ``force2Ddimension``.

    Returns
    -------
    ndarray of shape (Ngp, 3), float64
        Columns ``n_i``, ``s_i`` and the grey level ``i``, for grey levels with ``n_i > 0``.
    """
    return _matrix(q, mask, settings)


def compute(q, mask, *, spacing_zyx=None, settings=None, names=None) -> dict[str, float]:
    """NGTDM features, pyradiomics 3.0.1 values.

    Parameters
    ----------
    q : ndarray of shape (Z, Y, X), int
        Grey levels 1..Ng inside the mask (values outside the mask are ignored).
    mask : ndarray of shape (Z, Y, X), bool
    spacing_zyx : sequence of 3 float, optional
        Unused; accepted for a uniform family interface.
    settings : dict, optional
        pyradiomics texture settings (see :func:`matrix`).
    names : iterable of str, optional
        Features to compute; all by default.

    Returns
    -------
    dict of str to float
    """
    names = requested_names(names, FEATURES, "NGTDM")
    P = _matrix(q, mask, settings)
    n_i, s_i, i = P[:, 0], P[:, 1], P[:, 2]
    Nvp = n_i.sum()
    Ngp = n_i.size  # every kept level has n_i > 0
    r: dict[str, float] = {}
    need = set(names)
    with np.errstate(invalid="ignore", divide="ignore"):
        p_i = n_i / Nvp
        ps = p_i * s_i
        di = i[:, None] - i[None, :]
        if "Coarseness" in need:
            c = ps.sum()
            r["Coarseness"] = 1 / c if c != 0 else 1e6
        if "Contrast" in need:
            div = Ngp * (Ngp - 1)
            con = np.sum(p_i[:, None] * p_i[None, :] * di**2) * s_i.sum() / Nvp
            r["Contrast"] = con / div if div != 0 else 0.0
        if "Busyness" in need:
            ip = i * p_i
            absdiff = np.abs(ip[:, None] - ip[None, :]).sum()
            r["Busyness"] = ps.sum() / absdiff if absdiff != 0 else 0.0
        if "Complexity" in need:
            num = ps[:, None] + ps[None, :]
            den = p_i[:, None] + p_i[None, :]
            den[den == 0] = 1
            r["Complexity"] = np.sum(np.abs(di) * num / den) / Nvp
        if "Strength" in need:
            ss = s_i.sum()
            st = np.sum((p_i[:, None] + p_i[None, :]) * di**2)
            r["Strength"] = st / ss if ss != 0 else 0.0
    return {k: float(r[k]) for k in names}
