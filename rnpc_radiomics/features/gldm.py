"""Grey Level Dependence Matrix (GLDM) features, pyradiomics 3.0.1 compatible.

A neighbour (infinity-norm distance in ``distances``, inside the mask) of a voxel with grey level
``i`` is dependent when its grey level ``j`` satisfies ``|i - j| <= gldm_a``; the matrix counts
voxels by grey level and dependence size (dependent neighbours + 1). Grey levels absent from the
ROI are dropped. GLDM has no angles.
"""

from __future__ import annotations

import numpy as np

from ._texture import neighbourhood
from .glszm import _size_features
from .registry import FeatureSpec, requested_names

__all__ = ["FEATURES", "matrix", "compute"]

_F = "gldm"
FEATURES: list[FeatureSpec] = [
    FeatureSpec(_F, "DependenceEntropy", "FCBV", True, "-sum_ij p(i,j) log2(p(i,j) + eps)"),
    FeatureSpec(_F, "DependenceNonUniformity", "Z87G", True, "sum_j (sum_i P(i,j))^2 / Nz"),
    FeatureSpec(_F, "DependenceNonUniformityNormalized", "OKJI", True,
                "sum_j (sum_i P(i,j))^2 / Nz^2"),
    FeatureSpec(_F, "DependencePercentage", "6XV8", False,
                "deprecated: Nz / Np, always 1 as every voxel has a dependence zone"),
    FeatureSpec(_F, "DependenceVariance", "DNX2", True, "sum_ij p(i,j) (j - mu)^2, mu = sum p(i,j) j"),
    FeatureSpec(_F, "GrayLevelNonUniformity", "FP8K", True, "sum_i (sum_j P(i,j))^2 / Nz"),
    FeatureSpec(_F, "GrayLevelNonUniformityNormalized", "5SPA", False,
                "deprecated: sum_i (sum_j P(i,j))^2 / Nz^2, equal to firstorder Uniformity"),
    FeatureSpec(_F, "GrayLevelVariance", "1PFV", True, "sum_ij p(i,j) (i - mu)^2, mu = sum p(i,j) i"),
    FeatureSpec(_F, "HighGrayLevelEmphasis", "OAE7", True, "sum_ij P(i,j) i^2 / Nz"),
    FeatureSpec(_F, "LargeDependenceEmphasis", "IMOQ", True, "sum_ij P(i,j) j^2 / Nz"),
    FeatureSpec(_F, "LargeDependenceHighGrayLevelEmphasis", "9QMG", True,
                "sum_ij P(i,j) i^2 j^2 / Nz"),
    FeatureSpec(_F, "LargeDependenceLowGrayLevelEmphasis", "NBZI", True,
                "sum_ij P(i,j) j^2 / i^2 / Nz"),
    FeatureSpec(_F, "LowGrayLevelEmphasis", "TL9H", True, "sum_ij P(i,j) / i^2 / Nz"),
    FeatureSpec(_F, "SmallDependenceEmphasis", "SODN", True, "sum_ij P(i,j) / j^2 / Nz"),
    FeatureSpec(_F, "SmallDependenceHighGrayLevelEmphasis", "JA6D", True,
                "sum_ij P(i,j) i^2 / j^2 / Nz"),
    FeatureSpec(_F, "SmallDependenceLowGrayLevelEmphasis", "EQ3F", True,
                "sum_ij P(i,j) / (i^2 j^2) / Nz"),
]


def _matrix(q, mask, settings):
    """Dependence counts (n, Na + 1), trimmed after the largest dependence seen."""
    L, out = neighbourhood(q, mask, settings, "gldm")
    levels = L.levels
    P = out.sum(axis=0)
    used = np.flatnonzero(P.sum(axis=0))
    return P[:, : (used[-1] + 1 if used.size else 0)], levels


def matrix(q, mask, *, settings=None) -> np.ndarray:
    """Dependence matrix as pyradiomics holds it in ``P_gldm[0]``.

    Parameters
    ----------
    q : ndarray of shape (Z, Y, X), int
        Grey levels 1..Ng inside the mask.
    mask : ndarray of shape (Z, Y, X), bool
    settings : dict, optional
        pyradiomics keys ``distances``, ``gldm_a``, ``force2D``, ``force2Ddimension``.

    Returns
    -------
    ndarray of shape (Ng_present, Nd_present), float64
        Voxel counts by grey level (row) and dependence size (column); sizes never seen are
        dropped.
    """
    P, _ = _matrix(q, mask, settings)
    return P[:, P.sum(axis=0) != 0]


def compute(q, mask, *, spacing_zyx=None, settings=None, names=None) -> dict[str, float]:
    """GLDM features, pyradiomics 3.0.1 values.

    Parameters
    ----------
    q : ndarray of shape (Z, Y, X), int
        Grey levels 1..Ng inside the mask (values outside the mask are ignored).
    mask : ndarray of shape (Z, Y, X), bool
    spacing_zyx : sequence of 3 float, optional
        Unused (GLDM is not weighted); accepted for a uniform family interface.
    settings : dict, optional
        pyradiomics texture settings (see :func:`matrix`).
    names : iterable of str, optional
        Features to compute; all by default. The deprecated ``DependencePercentage`` returns 1
        and ``GrayLevelNonUniformityNormalized`` its formula (pyradiomics computes neither).

    Returns
    -------
    dict of str to float
    """
    names = requested_names(names, FEATURES, "GLDM")
    P, levels = _matrix(q, mask, settings)
    jv = np.arange(1, P.shape[1] + 1, dtype=np.float64)
    return _size_features(P, levels.astype(np.float64), jv, names, "dependence")
