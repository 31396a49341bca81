"""Grey Level Run Length Matrix (GLRLM) features, pyradiomics 3.0.1 compatible.

Runs are counted per angle (13 in 3D, 4 with ``force2D``) by a numba kernel. As pyradiomics'
C code does, an angle along which no line holds two ROI voxels counts no runs at all (e.g. an
angle leaving the plane of a one-slice ROI). Grey levels absent from the ROI are dropped,
angles are optionally distance-weighted and summed, empty angles are dropped, and features are
computed per angle and averaged ignoring NaN.
"""

from __future__ import annotations

import numpy as np

from ._texture import (
    EPS,
    generate_angles,
    is_shared,
    nanmean,
    setting,
    shared_labels,
    shared_mask_value,
)
from .registry import FeatureSpec, requested_names

__all__ = ["FEATURES", "matrix", "compute"]

_F = "glrlm"
FEATURES: list[FeatureSpec] = [
    FeatureSpec(_F, "GrayLevelNonUniformity", "R5YN", True, "sum_i (sum_j P(i,j))^2 / Nr"),
    FeatureSpec(_F, "GrayLevelNonUniformityNormalized", "OVBL", True,
                "sum_i (sum_j P(i,j))^2 / Nr^2"),
    FeatureSpec(_F, "GrayLevelVariance", "8CE5", True, "sum_ij p(i,j) (i - mu)^2, mu = sum p(i,j) i"),
    FeatureSpec(_F, "HighGrayLevelRunEmphasis", "G3QZ", True, "sum_ij P(i,j) i^2 / Nr"),
    FeatureSpec(_F, "LongRunEmphasis", "W4KF", True, "sum_ij P(i,j) j^2 / Nr"),
    FeatureSpec(_F, "LongRunHighGrayLevelEmphasis", "3KUM", True, "sum_ij P(i,j) i^2 j^2 / Nr"),
    FeatureSpec(_F, "LongRunLowGrayLevelEmphasis", "IVPO", True, "sum_ij P(i,j) j^2 / i^2 / Nr"),
    FeatureSpec(_F, "LowGrayLevelRunEmphasis", "V3SW", True, "sum_ij P(i,j) / i^2 / Nr"),
    FeatureSpec(_F, "RunEntropy", "HJ9O", True, "-sum_ij p(i,j) log2(p(i,j) + eps)"),
    FeatureSpec(_F, "RunLengthNonUniformity", "W92Y", True, "sum_j (sum_i P(i,j))^2 / Nr"),
    FeatureSpec(_F, "RunLengthNonUniformityNormalized", "IC23", True,
                "sum_j (sum_i P(i,j))^2 / Nr^2"),
    FeatureSpec(_F, "RunPercentage", "9ZK5", True, "Nr / Np, Np = sum_ij P(i,j) j"),
    FeatureSpec(_F, "RunVariance", "SXLW", True, "sum_ij p(i,j) (j - mu)^2, mu = sum p(i,j) j"),
    FeatureSpec(_F, "ShortRunEmphasis", "22OV", True, "sum_ij P(i,j) / j^2 / Nr"),
    FeatureSpec(_F, "ShortRunHighGrayLevelEmphasis", "GD3A", True, "sum_ij P(i,j) i^2 / j^2 / Nr"),
    FeatureSpec(_F, "ShortRunLowGrayLevelEmphasis", "HTZT", True, "sum_ij P(i,j) / (i^2 j^2) / Nr"),
]


def angle_weights(offsets: np.ndarray, spacing_zyx, norm) -> np.ndarray:
    """pyradiomics' GLRLM angle weights: the offset's length in mm (not exp(-d^2) as GLCM)."""
    d = np.abs(offsets).astype(np.float64) * np.asarray(spacing_zyx, dtype=np.float64)[None, :]
    if norm == "infinity":
        return d.max(axis=1)
    if norm == "euclidean":
        return np.sqrt(np.sum(d**2, axis=1))
    if norm == "manhattan":
        return d.sum(axis=1)
    return np.ones(offsets.shape[0])


def _counts(q, mask, settings, spacing_zyx):
    """Run-length counts per angle (Na, n, Nr) after weighting and empty-angle removal."""
    from ._kernels.glrlm import glrlm_counts

    offsets = generate_angles(
        (1,),
        bool(setting(settings, "force2D")),
        int(setting(settings, "force2Ddimension")),
        shape=np.shape(q),
    )
    L = shared_labels(q, mask, 1)
    levels = L.levels
    n = levels.size
    P = np.zeros((offsets.shape[0], n, max(L.mask.shape)))
    if n and offsets.size:
        steps = L.flat(offsets)
        if is_shared(q, mask):
            # The ROI's lines along each angle depend on the mask only: found once per
            # extraction, then each image type reads every line once (same counts).
            from ._kernels.glrlm import empty_angles, glrlm_counts_lines, mask_lines

            def lines():
                starts, lens, ptr = mask_lines(L.lab, L.idx, steps)
                return starts, lens, ptr, empty_angles(lens, ptr, L.mask, offsets)

            key = ("glrlm-lines", L.shape, steps.tobytes())
            starts, lens, ptr, empty = shared_mask_value(q, mask, key, lines)
            glrlm_counts_lines(L.lab, starts, lens, ptr, steps, P)
            P[empty] = 0.0
        else:
            glrlm_counts(L.lab, L.idx, steps, L.mask, offsets, P)
    # Trim never-used run lengths: zero columns add nothing to any feature.
    used = np.flatnonzero(P.sum(axis=(0, 1)))
    P = P[:, :, : (used[-1] + 1 if used.size else 0)]
    norm = setting(settings, "weightingNorm")
    if norm is not None and offsets.size:
        w = angle_weights(offsets, spacing_zyx if spacing_zyx is not None else (1, 1, 1), norm)
        # Summed over a contiguous last axis, in pyradiomics' order of additions.
        Pt = np.ascontiguousarray(P.transpose(1, 2, 0))
        P = np.sum(Pt * w[None, None, :], axis=2)[None]
    if P.shape[0] > 1:
        P = P[P.sum(axis=(1, 2)) != 0]
    return P, levels


def matrix(q, mask, *, settings=None, spacing_zyx=None) -> np.ndarray:
    """Run-length matrices as pyradiomics holds them in ``P_glrlm[0]``.

    Parameters
    ----------
    q : ndarray of shape (Z, Y, X), int
        Grey levels 1..Ng inside the mask.
    mask : ndarray of shape (Z, Y, X), bool
    settings : dict, optional
        pyradiomics keys ``weightingNorm``, ``force2D``, ``force2Ddimension``.
    spacing_zyx : sequence of 3 float, optional
        Voxel spacing, needed only with ``weightingNorm``.

    Returns
    -------
    ndarray of shape (Ng_present, Nr_present, Na), float64
        Run counts (weighted sums when weighted); run lengths never seen are dropped.
    """
    P, _ = _counts(q, mask, settings, spacing_zyx)
    P = P[:, :, P.sum(axis=(0, 1)) != 0]
    return np.ascontiguousarray(P.transpose(1, 2, 0))


def compute(q, mask, *, spacing_zyx=None, settings=None, names=None) -> dict[str, float]:
    """GLRLM features, pyradiomics 3.0.1 values.

    Parameters
    ----------
    q : ndarray of shape (Z, Y, X), int
        Grey levels 1..Ng inside the mask (values outside the mask are ignored); the ROI's
        bounding box, as pyradiomics sees it: its size limits the angles.
    mask : ndarray of shape (Z, Y, X), bool
    spacing_zyx : sequence of 3 float, optional
        Voxel spacing in array order; used by ``weightingNorm``.
    settings : dict, optional
        pyradiomics texture settings (see :func:`matrix`).
    names : iterable of str, optional
        Features to compute; all by default.

    Returns
    -------
    dict of str to float
        NaN for every feature when no angle has a run (e.g. a single-voxel ROI), except
        RunEntropy and RunVariance which pyradiomics sums over an empty set (0) when a single
        empty angle is kept.
    """
    names = requested_names(names, FEATURES, "GLRLM")
    P, levels = _counts(q, mask, settings, spacing_zyx)
    if P.shape[0] == 0:
        return {k: float("nan") for k in names}
    iv = levels.astype(np.float64)
    jv = np.arange(1, P.shape[2] + 1, dtype=np.float64)
    Nr = P.sum(axis=(1, 2))
    Nr[Nr == 0] = np.nan
    pr = P.sum(axis=1)
    pg = P.sum(axis=2)
    i2, j2 = iv**2, jv**2
    r: dict[str, float] = {}
    need = set(names)
    with np.errstate(invalid="ignore", divide="ignore"):
        if "ShortRunEmphasis" in need:
            r["ShortRunEmphasis"] = nanmean(pr @ (1 / j2) / Nr)
        if "LongRunEmphasis" in need:
            r["LongRunEmphasis"] = nanmean(pr @ j2 / Nr)
        if "GrayLevelNonUniformity" in need:
            r["GrayLevelNonUniformity"] = nanmean(np.sum(pg**2, 1) / Nr)
        if "GrayLevelNonUniformityNormalized" in need:
            r["GrayLevelNonUniformityNormalized"] = nanmean(np.sum(pg**2, 1) / Nr**2)
        if "RunLengthNonUniformity" in need:
            r["RunLengthNonUniformity"] = nanmean(np.sum(pr**2, 1) / Nr)
        if "RunLengthNonUniformityNormalized" in need:
            r["RunLengthNonUniformityNormalized"] = nanmean(np.sum(pr**2, 1) / Nr**2)
        if "RunPercentage" in need:
            r["RunPercentage"] = nanmean(Nr / (pr @ jv))
        if "GrayLevelVariance" in need:
            p = pg / Nr[:, None]
            u = p @ iv
            r["GrayLevelVariance"] = nanmean(np.sum(p * (iv[None, :] - u[:, None]) ** 2, 1))
        if "RunVariance" in need:
            p = pr / Nr[:, None]
            u = p @ jv
            r["RunVariance"] = nanmean(np.sum(p * (jv[None, :] - u[:, None]) ** 2, 1))
        if "RunEntropy" in need:
            p = P / Nr[:, None, None]
            r["RunEntropy"] = nanmean(-np.sum(p * np.log2(p + EPS), axis=(1, 2)))
        if "LowGrayLevelRunEmphasis" in need:
            r["LowGrayLevelRunEmphasis"] = nanmean(pg @ (1 / i2) / Nr)
        if "HighGrayLevelRunEmphasis" in need:
            r["HighGrayLevelRunEmphasis"] = nanmean(pg @ i2 / Nr)
        # sum_ij P(i,j) f(i) g(j) per angle, as a pair of matrix-vector products.
        if "ShortRunLowGrayLevelEmphasis" in need:
            r["ShortRunLowGrayLevelEmphasis"] = nanmean((1 / i2) @ P @ (1 / j2) / Nr)
        if "ShortRunHighGrayLevelEmphasis" in need:
            r["ShortRunHighGrayLevelEmphasis"] = nanmean(i2 @ P @ (1 / j2) / Nr)
        if "LongRunLowGrayLevelEmphasis" in need:
            r["LongRunLowGrayLevelEmphasis"] = nanmean((1 / i2) @ P @ j2 / Nr)
        if "LongRunHighGrayLevelEmphasis" in need:
            r["LongRunHighGrayLevelEmphasis"] = nanmean(i2 @ P @ j2 / Nr)
    return {k: float(r[k]) for k in names}
