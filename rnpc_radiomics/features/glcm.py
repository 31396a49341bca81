"""Grey Level Co-occurrence Matrix (GLCM) features, pyradiomics 3.0.1 compatible.

The matrix is counted per angle (13 offsets in 3D for distance 1, 4 with ``force2D``) by a numba
kernel; grey levels absent from the ROI are dropped, the matrix is optionally symmetrised and
distance-weighted, each angle is normalised, and every feature is computed per angle and averaged
over angles ignoring NaN -- all as pyradiomics does. ``eps`` is ``numpy.spacing(1)``.
"""

from __future__ import annotations

import numpy as np

from ._texture import EPS, generate_angles, nanmean, setting, shared_labels
from .registry import FeatureSpec, requested_names

__all__ = ["FEATURES", "matrix", "compute"]

_F = "glcm"
FEATURES: list[FeatureSpec] = [
    FeatureSpec(_F, "Autocorrelation", "QWB0", True, "sum_ij p(i,j) i j"),
    FeatureSpec(_F, "ClusterProminence", "AE86", True, "sum_ij (i + j - ux - uy)^4 p(i,j)"),
    FeatureSpec(_F, "ClusterShade", "7NFM", True, "sum_ij (i + j - ux - uy)^3 p(i,j)"),
    FeatureSpec(_F, "ClusterTendency", "DG8W", True, "sum_ij (i + j - ux - uy)^2 p(i,j)"),
    FeatureSpec(_F, "Contrast", "ACUI", True, "sum_ij (i - j)^2 p(i,j)"),
    FeatureSpec(_F, "Correlation", "NI2N", True,
                "(sum_ij p(i,j) i j - ux uy) / (sigma_x sigma_y); 1 where sigma_x sigma_y = 0"),
    FeatureSpec(_F, "DifferenceAverage", "TF7R", True, "sum_k k p_{x-y}(k)"),
    FeatureSpec(_F, "DifferenceEntropy", "NTRS", True, "-sum_k p_{x-y}(k) log2(p_{x-y}(k) + eps)"),
    FeatureSpec(_F, "DifferenceVariance", "D3YU", True, "sum_k (k - DA)^2 p_{x-y}(k)"),
    FeatureSpec(_F, "Dissimilarity", "8S9J", False,
                "deprecated: sum_ij |i - j| p(i,j), equal to DifferenceAverage"),
    FeatureSpec(_F, "Homogeneity1", None, False,
                "deprecated: sum_ij p(i,j) / (1 + |i - j|), equal to Id"),
    FeatureSpec(_F, "Homogeneity2", None, False,
                "deprecated: sum_ij p(i,j) / (1 + |i - j|^2), equal to Idm"),
    FeatureSpec(_F, "Id", "IB1Z", True, "sum_k p_{x-y}(k) / (1 + k)"),
    FeatureSpec(_F, "Idm", "WF0Z", True, "sum_k p_{x-y}(k) / (1 + k^2)"),
    FeatureSpec(_F, "Idmn", "1QCO", True, "sum_k p_{x-y}(k) / (1 + k^2 / Ng^2)"),
    FeatureSpec(_F, "Idn", "NDRX", True, "sum_k p_{x-y}(k) / (1 + k / Ng)"),
    FeatureSpec(_F, "Imc1", "R8DG", True, "(HXY - HXY1) / max(HX, HY); 0 where HX = HY = 0"),
    FeatureSpec(_F, "Imc2", "JN9H", True, "sqrt(1 - exp(-2 (HXY2 - HXY))); 0 where HXY2 = HXY"),
    FeatureSpec(_F, "InverseVariance", "E8JP", True, "sum_{k>=1} p_{x-y}(k) / k^2"),
    FeatureSpec(_F, "JointAverage", "60VM", True, "ux = sum_ij p(i,j) i"),
    FeatureSpec(_F, "JointEnergy", "8ZQL", True, "sum_ij p(i,j)^2"),
    FeatureSpec(_F, "JointEntropy", "TU9B", True, "-sum_ij p(i,j) log2(p(i,j) + eps)"),
    FeatureSpec(_F, "MCC", None, True,
                "sqrt(second largest eigenvalue of Q), Q(i,j) = sum_k p(i,k) p(j,k) / (px(i) py(k));"
                " 1 for a single grey level"),
    FeatureSpec(_F, "MaximumProbability", "GYBY", True, "max_ij p(i,j)"),
    FeatureSpec(_F, "SumAverage", "ZGXS", True, "sum_k k p_{x+y}(k)"),
    FeatureSpec(_F, "SumEntropy", "P6QZ", True, "-sum_k p_{x+y}(k) log2(p_{x+y}(k) + eps)"),
    FeatureSpec(_F, "SumSquares", "UR99", True, "sum_ij (i - ux)^2 p(i,j)"),
    FeatureSpec(_F, "SumVariance", "OEEB", False,
                "deprecated: sum_k (k - SA)^2 p_{x+y}(k), equal to ClusterTendency"),
]


def angle_weights(offsets: np.ndarray, spacing_zyx, norm) -> np.ndarray:
    """pyradiomics' GLCM angle weights ``exp(-||d||^2)``; unknown norms weigh 1."""
    d = np.abs(offsets).astype(np.float64) * np.asarray(spacing_zyx, dtype=np.float64)[None, :]
    if norm == "infinity":
        return np.exp(-(d.max(axis=1) ** 2))
    if norm == "euclidean":
        return np.exp(-np.sum(d**2, axis=1))
    if norm == "manhattan":
        return np.exp(-(d.sum(axis=1) ** 2))
    return np.ones(offsets.shape[0])


def _normalised(q, mask, settings, spacing_zyx):
    """Normalised GLCM per angle, shape (Na, n, n), plus the ROI grey levels.

    An angle whose matrix is empty holds NaN (pyradiomics keeps one only when it is the sole
    angle, e.g. when weighted); Na is 0 when every one of several angles was empty.
    """
    from ._kernels.glcm import glcm_counts

    offsets = generate_angles(
        setting(settings, "distances"),
        bool(setting(settings, "force2D")),
        int(setting(settings, "force2Ddimension")),
        shape=np.shape(q),
    )
    pad = int(np.abs(offsets).max()) if offsets.size else 1
    L = shared_labels(q, mask, pad)
    levels = L.levels
    n = levels.size
    P = np.zeros((offsets.shape[0], n, n))
    if n and offsets.size:
        glcm_counts(L.lab, L.idx, L.flat(offsets), P)
    if setting(settings, "symmetricalGLCM"):
        P += P.transpose(0, 2, 1)
    norm = setting(settings, "weightingNorm")
    if norm is not None and offsets.size:
        w = angle_weights(offsets, spacing_zyx if spacing_zyx is not None else (1, 1, 1), norm)
        # Summed over a contiguous last axis, as pyradiomics does, so that the weighted matrix
        # is bit-identical to pyradiomics' (MCC's degenerate cases are sensitive to round-off).
        Pt = np.ascontiguousarray(P.transpose(1, 2, 0))
        P = np.sum(Pt * w[None, None, :], axis=2)[None]
    sums = P.sum(axis=(1, 2))
    if P.shape[0] > 1:
        keep = sums != 0  # pyradiomics deletes empty angles when they are not weighted
        P, sums = P[keep], sums[keep]
    with np.errstate(invalid="ignore", divide="ignore"):
        P /= np.where(sums == 0, np.nan, sums)[:, None, None]
    return P, levels


def matrix(q, mask, *, settings=None, spacing_zyx=None) -> np.ndarray:
    """Normalised GLCMs as pyradiomics holds them in ``P_glcm[0]``.

    Parameters
    ----------
    q : ndarray of shape (Z, Y, X), int
        Grey levels 1..Ng inside the mask.
    mask : ndarray of shape (Z, Y, X), bool
    settings : dict, optional
        pyradiomics keys ``distances``, ``symmetricalGLCM``, ``weightingNorm``, ``force2D``,
        ``force2Ddimension``.
    spacing_zyx : sequence of 3 float, optional
        Voxel spacing, needed only with ``weightingNorm``.

    Returns
    -------
    ndarray of shape (Ng_present, Ng_present, Na), float64
        One normalised matrix per non-empty angle (one in total when weighted).
    """
    P, _ = _normalised(q, mask, settings, spacing_zyx)
    return np.ascontiguousarray(P.transpose(1, 2, 0))


def compute(q, mask, *, spacing_zyx=None, settings=None, names=None) -> dict[str, float]:
    """GLCM features, pyradiomics 3.0.1 values.

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
        Features to compute; all registered features by default. Deprecated features return
        the value of the feature they equal (pyradiomics computes nothing for them).

    Returns
    -------
    dict of str to float
        When the ROI has no neighbouring voxel pair every feature is NaN, as in pyradiomics,
        except InverseVariance (0 for one grey level with a weighted or single angle) and MCC
        (1 for one grey level). NaN as well where pyradiomics raises because no angle fits in
        the image (a distance longer than the bounding box in every direction).
    """
    from ._kernels.glcm import glcm_angle_stats

    names = requested_names(names, FEATURES, "GLCM")
    P, levels = _normalised(q, mask, settings, spacing_zyx)
    Na, n = P.shape[0], P.shape[1]
    Ng = int(levels[-1]) if levels.size else 0
    nan = float("nan")
    valid = ~np.isnan(P[:, 0, 0]) if n else np.zeros(Na, dtype=bool)
    if not valid.any():
        # No neighbour pair at all. pyradiomics then averages over no angle (Na = 0) or over one
        # all-NaN angle: every feature is NaN except two sums over empty sets.
        out = {k: nan for k in names}
        if "InverseVariance" in out and Na >= 1 and Ng == 1:
            out["InverseVariance"] = 0.0  # sum over k = 1..Ng-1 is empty
        if "MCC" in out and Na == 0 and n < 2:
            out["MCC"] = 1.0  # returned for one grey level before looking at the angles
        return out

    lv = levels.astype(np.float64)
    px = np.zeros((Na, n))
    py = np.zeros((Na, n))
    psum = np.zeros((Na, 2 * Ng + 1))
    pdiff = np.zeros((Na, Ng))
    st = np.zeros((Na, 15))
    glcm_angle_stats(P, lv, EPS, px, py, psum, pdiff, st)
    ux = st[:, 0]
    k_diff = np.arange(Ng, dtype=np.float64)
    k_sum = np.arange(2 * Ng + 1, dtype=np.float64)

    r: dict[str, float] = {}
    need = set(names)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        if "Autocorrelation" in need:
            r["Autocorrelation"] = nanmean(st[:, 2])
        if "JointAverage" in need:
            r["JointAverage"] = float(ux.mean())  # pyradiomics: plain mean, not nanmean
        if "ClusterProminence" in need:
            r["ClusterProminence"] = nanmean(st[:, 14])
        if "ClusterShade" in need:
            r["ClusterShade"] = nanmean(st[:, 13])
        if need & {"ClusterTendency", "SumVariance"}:
            r["ClusterTendency"] = nanmean(st[:, 12])
            r["SumVariance"] = r["ClusterTendency"]
        if "Contrast" in need:
            r["Contrast"] = nanmean(st[:, 8])
        if "Correlation" in need:
            sig = st[:, 9] ** 0.5 * st[:, 10] ** 0.5
            corr = st[:, 11] / (sig + EPS)
            corr[sig == 0] = 1.0
            r["Correlation"] = nanmean(corr)
        if need & {"DifferenceAverage", "DifferenceVariance", "Dissimilarity"}:
            da = pdiff @ k_diff
            r["DifferenceAverage"] = r["Dissimilarity"] = nanmean(da)
            r["DifferenceVariance"] = nanmean(np.sum(pdiff * (k_diff[None, :] - da[:, None]) ** 2, 1))
        if "DifferenceEntropy" in need:
            r["DifferenceEntropy"] = nanmean(-np.sum(pdiff * np.log2(pdiff + EPS), 1))
        if "JointEnergy" in need:
            r["JointEnergy"] = nanmean(st[:, 3])
        if "JointEntropy" in need:
            r["JointEntropy"] = nanmean(st[:, 4])
        if need & {"Imc1", "Imc2"}:
            hxy, hxy1, hxy2 = st[:, 4], st[:, 5], st[:, 6]
            hx = -np.sum(px * np.log2(px + EPS), 1)
            hy = -np.sum(py * np.log2(py + EPS), 1)
            div = np.fmax(hx, hy)
            imc1 = hxy - hxy1
            imc1 = np.where(div != 0, imc1 / np.where(div != 0, div, 1.0), 0.0)
            r["Imc1"] = nanmean(imc1)
            # A negative radicand (HXY > HXY2 by round-off) gives NaN in pyradiomics, which
            # nanmean then skips; exact equality gives 0.
            rad = 1 - np.e ** (-2 * (hxy2 - hxy))
            imc2 = np.where(rad >= 0, np.sqrt(np.abs(rad)), np.nan)
            imc2[hxy2 == hxy] = 0.0
            r["Imc2"] = nanmean(imc2)
        if need & {"Idm", "Homogeneity2"}:
            r["Idm"] = r["Homogeneity2"] = nanmean(pdiff @ (1 / (1 + k_diff**2)))
        if need & {"Id", "Homogeneity1"}:
            r["Id"] = r["Homogeneity1"] = nanmean(pdiff @ (1 / (1 + k_diff)))
        if "Idmn" in need:
            r["Idmn"] = nanmean(pdiff @ (1 / (1 + k_diff**2 / Ng**2)))
        if "Idn" in need:
            r["Idn"] = nanmean(pdiff @ (1 / (1 + k_diff / Ng)))
        if "InverseVariance" in need:
            r["InverseVariance"] = nanmean(pdiff[:, 1:] @ (1 / k_diff[1:] ** 2))
        if "MaximumProbability" in need:
            r["MaximumProbability"] = nanmean(st[:, 7])
        if "SumAverage" in need:
            r["SumAverage"] = nanmean(psum[:, 2:] @ k_sum[2:])
        if "SumEntropy" in need:
            r["SumEntropy"] = nanmean(-np.sum(psum * np.log2(psum + EPS), 1))
        if "SumSquares" in need:
            r["SumSquares"] = nanmean(st[:, 9])
        if "MCC" in need:
            r["MCC"] = _mcc(P, px, py, valid)
    return {k: float(r[k]) for k in names}


def _mcc(P, px, py, valid) -> float:
    """Maximal correlation coefficient averaged over angles (1 when one grey level).

    The second eigenvalue of pyradiomics' Q comes from a numba kernel working on a symmetric
    matrix with the same eigenvalues (see ``glcm_mcc_second_eigenvalue``). Where it is zero,
    pyradiomics' result hinges on the round-off sign of its own general eigensolver (a negative
    value gives NaN, which ``nanmean`` skips), so those cases are recomputed exactly its way.
    """
    from ._kernels.glcm import glcm_mcc_second_eigenvalue

    n = P.shape[1]
    if n < 2:
        return 1.0
    P = np.ascontiguousarray(P[valid])
    ev = np.empty(P.shape[0])
    glcm_mcc_second_eigenvalue(P, np.ascontiguousarray(px[valid]),
                               np.ascontiguousarray(py[valid]), EPS, ev)
    if np.all(ev > 1e-10):
        return nanmean(np.sqrt(ev))
    return _mcc_as_pyradiomics(P)


def _mcc_as_pyradiomics(P) -> float:
    """MCC with pyradiomics' own sequence of array operations (bit-compatible round-off)."""
    Pp = np.ascontiguousarray(P.transpose(1, 2, 0))[None]  # (1, i, j, angle) as pyradiomics
    px = Pp.sum(2, keepdims=True)
    py = Pp.sum(1, keepdims=True)
    n = Pp.shape[1]
    Q = (Pp[:, :, None, 0, :] * Pp[:, None, :, 0, :]) / (
        px[:, :, None, 0, :] * py[:, None, :, 0, :] + EPS
    )
    for k in range(1, n):
        Q += (Pp[:, :, None, k, :] * Pp[:, None, :, k, :]) / (
            px[:, :, None, 0, :] * py[:, None, :, k, :] + EPS
        )
    ev = np.linalg.eigvals(Q.transpose((0, 3, 1, 2)))
    ev.sort()
    with np.errstate(invalid="ignore"):
        mcc = np.sqrt(ev[:, :, -2])
    values = mcc[0]
    ok = ~np.isnan(values)
    return float(values[ok].mean().real) if ok.any() else float("nan")
