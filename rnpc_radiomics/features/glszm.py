"""Grey Level Size Zone Matrix (GLSZM) features, pyradiomics 3.0.1 compatible.

Zones are connected sets of voxels of equal grey level inside the mask, 26-connected in 3D and
8-connected in the plane with ``force2D`` (labelled by a numba union-find). The matrix counts
zones by grey level and size; grey levels absent from the ROI are dropped. GLSZM has no angles.
"""

from __future__ import annotations

import functools

import numpy as np

from ._texture import EPS, generate_angles, setting, shared_labels
from .registry import FeatureSpec, requested_names

__all__ = ["FEATURES", "matrix", "compute"]

_F = "glszm"
FEATURES: list[FeatureSpec] = [
    FeatureSpec(_F, "GrayLevelNonUniformity", "JNSA", True, "sum_i (sum_j P(i,j))^2 / Nz"),
    FeatureSpec(_F, "GrayLevelNonUniformityNormalized", "Y1RO", True,
                "sum_i (sum_j P(i,j))^2 / Nz^2"),
    FeatureSpec(_F, "GrayLevelVariance", "BYLV", True, "sum_ij p(i,j) (i - mu)^2, mu = sum p(i,j) i"),
    FeatureSpec(_F, "HighGrayLevelZoneEmphasis", "5GN9", True, "sum_ij P(i,j) i^2 / Nz"),
    FeatureSpec(_F, "LargeAreaEmphasis", "48P8", True, "sum_ij P(i,j) j^2 / Nz"),
    FeatureSpec(_F, "LargeAreaHighGrayLevelEmphasis", "J17V", True, "sum_ij P(i,j) i^2 j^2 / Nz"),
    FeatureSpec(_F, "LargeAreaLowGrayLevelEmphasis", "YH51", True, "sum_ij P(i,j) j^2 / i^2 / Nz"),
    FeatureSpec(_F, "LowGrayLevelZoneEmphasis", "XMSY", True, "sum_ij P(i,j) / i^2 / Nz"),
    FeatureSpec(_F, "SizeZoneNonUniformity", "4JP3", True, "sum_j (sum_i P(i,j))^2 / Nz"),
    FeatureSpec(_F, "SizeZoneNonUniformityNormalized", "VB3A", True,
                "sum_j (sum_i P(i,j))^2 / Nz^2"),
    FeatureSpec(_F, "SmallAreaEmphasis", "5QRC", True, "sum_ij P(i,j) / j^2 / Nz"),
    FeatureSpec(_F, "SmallAreaHighGrayLevelEmphasis", "HW1V", True, "sum_ij P(i,j) i^2 / j^2 / Nz"),
    FeatureSpec(_F, "SmallAreaLowGrayLevelEmphasis", "5RAI", True, "sum_ij P(i,j) / (i^2 j^2) / Nz"),
    FeatureSpec(_F, "ZoneEntropy", "GU8N", True, "-sum_ij p(i,j) log2(p(i,j) + eps)"),
    FeatureSpec(_F, "ZonePercentage", "P30P", True, "Nz / Np"),
    FeatureSpec(_F, "ZoneVariance", "3NSA", True, "sum_ij p(i,j) (j - mu)^2, mu = sum p(i,j) j"),
]


def _matrix(q, mask, settings):
    """Zone counts (n, distinct zone sizes), the sizes (ascending) and the ROI grey levels.

    Only sizes that occur get a column: pyradiomics allocates one per possible size (up to the
    ROI's voxel count) and deletes the empty ones afterwards, which is the same matrix.
    """
    from ._kernels.glszm import glszm_zones_cover

    offsets = generate_angles(
        (1,), bool(setting(settings, "force2D")), int(setting(settings, "force2Ddimension"))
    )
    L = shared_labels(q, mask, 1)
    n, N = L.levels.size, L.idx.size
    parent = np.empty(L.lab.size, dtype=np.int64)
    zone_id = np.empty(L.lab.size, dtype=np.int64)
    zl = np.empty(N, dtype=np.int64)
    zs = np.empty(N, dtype=np.int64)
    plane = L.shape[1] * L.shape[2]
    chunk_start = _plane_chunks(L.idx, plane)
    order, cover = _cover_sets(offsets.tobytes())
    nz = glszm_zones_cover(L.lab, L.idx, L.flat(offsets[order]), cover, plane, chunk_start,
                           parent, zone_id, zl, zs)
    zl, zs = zl[:nz], zs[:nz]
    present = np.bincount(zs) > 0  # a table, not a sort: zones can number 1e5
    sizes = np.flatnonzero(present)
    col = (np.cumsum(present) - 1)[zs]
    P = np.bincount(zl * sizes.size + col, minlength=n * sizes.size).astype(np.float64)
    return P.reshape(n, sizes.size), sizes.astype(np.float64), L.levels


@functools.lru_cache(maxsize=16)
def _cover_sets(offsets_bytes):
    from ._kernels.glszm import cover_sets

    return cover_sets(np.frombuffer(offsets_bytes, dtype=np.int64).reshape(-1, 3))


def _plane_chunks(idx, plane):
    """Split the ROI voxels into up to one chunk per numba thread, on z-plane boundaries."""
    import numba

    if idx.size == 0:
        return np.zeros(1, dtype=np.int64)
    z0, z1 = int(idx[0] // plane), int(idx[-1] // plane) + 1
    chunks = max(1, min(z1 - z0, idx.size // 16384 + 1, numba.get_num_threads()))
    planes = np.linspace(z0, z1, chunks + 1).astype(np.int64)
    return np.searchsorted(idx, planes * plane).astype(np.int64)


def matrix(q, mask, *, settings=None) -> np.ndarray:
    """Size-zone matrix as pyradiomics holds it in ``P_glszm[0]``.

    Parameters
    ----------
    q : ndarray of shape (Z, Y, X), int
        Grey levels 1..Ng inside the mask.
    mask : ndarray of shape (Z, Y, X), bool
    settings : dict, optional
        pyradiomics keys ``force2D``, ``force2Ddimension``.

    Returns
    -------
    ndarray of shape (Ng_present, Ns_present), float64
        Zone counts by grey level (row) and zone size (column); sizes never seen are dropped.
    """
    return _matrix(q, mask, settings)[0]


def compute(q, mask, *, spacing_zyx=None, settings=None, names=None) -> dict[str, float]:
    """GLSZM features, pyradiomics 3.0.1 values.

    Parameters
    ----------
    q : ndarray of shape (Z, Y, X), int
        Grey levels 1..Ng inside the mask (values outside the mask are ignored).
    mask : ndarray of shape (Z, Y, X), bool
    spacing_zyx : sequence of 3 float, optional
        Unused (GLSZM is not weighted); accepted for a uniform family interface.
    settings : dict, optional
        pyradiomics texture settings (see :func:`matrix`).
    names : iterable of str, optional
        Features to compute; all by default.

    Returns
    -------
    dict of str to float
    """
    names = requested_names(names, FEATURES, "GLSZM")
    P, sizes, levels = _matrix(q, mask, settings)
    return _size_features(P, levels.astype(np.float64), sizes, names, "zone")


def _size_features(P, iv, jv, names, kind):
    """Features shared in form by GLSZM and GLDM on a (grey level, size) count matrix.

    ``iv`` are the rows' grey levels, ``jv`` the columns' sizes. pyradiomics sets a zero zone
    count and a zero voxel count to 1 to avoid dividing by zero.
    """
    ps = P.sum(axis=0)
    pg = P.sum(axis=1)
    Nz = P.sum()
    Nz = Nz if Nz != 0 else 1.0
    Np = ps @ jv
    Np = Np if Np != 0 else 1.0
    i2, j2 = iv**2, jv**2
    v: dict[str, float] = {}
    with np.errstate(invalid="ignore", divide="ignore"):
        v["small"] = ps @ (1 / j2) / Nz
        v["large"] = ps @ j2 / Nz
        v["gln"] = np.sum(pg**2) / Nz
        v["glnn"] = np.sum(pg**2) / Nz**2
        v["sn"] = np.sum(ps**2) / Nz
        v["snn"] = np.sum(ps**2) / Nz**2
        # GLDM: every voxel is a dependence zone, so N_p = N_z and the percentage is 1.
        v["pct"] = Nz / Np if kind == "zone" else 1.0
        p = pg / Nz
        v["glv"] = np.sum(p * (iv - p @ iv) ** 2)
        p = ps / Nz
        v["sv"] = np.sum(p * (jv - p @ jv) ** 2)
        p = P / Nz
        v["ent"] = -np.sum(p * np.log2(p + EPS))
        v["lgl"] = pg @ (1 / i2) / Nz
        v["hgl"] = pg @ i2 / Nz
        v["slgl"] = (1 / i2) @ P @ (1 / j2) / Nz
        v["shgl"] = i2 @ P @ (1 / j2) / Nz
        v["llgl"] = (1 / i2) @ P @ j2 / Nz
        v["lhgl"] = i2 @ P @ j2 / Nz
    keys = _ZONE_KEYS if kind == "zone" else _DEP_KEYS
    return {k: float(v[keys[k]]) for k in names}


_ZONE_KEYS = {
    "SmallAreaEmphasis": "small",
    "LargeAreaEmphasis": "large",
    "GrayLevelNonUniformity": "gln",
    "GrayLevelNonUniformityNormalized": "glnn",
    "SizeZoneNonUniformity": "sn",
    "SizeZoneNonUniformityNormalized": "snn",
    "ZonePercentage": "pct",
    "GrayLevelVariance": "glv",
    "ZoneVariance": "sv",
    "ZoneEntropy": "ent",
    "LowGrayLevelZoneEmphasis": "lgl",
    "HighGrayLevelZoneEmphasis": "hgl",
    "SmallAreaLowGrayLevelEmphasis": "slgl",
    "SmallAreaHighGrayLevelEmphasis": "shgl",
    "LargeAreaLowGrayLevelEmphasis": "llgl",
    "LargeAreaHighGrayLevelEmphasis": "lhgl",
}
_DEP_KEYS = {
    "SmallDependenceEmphasis": "small",
    "LargeDependenceEmphasis": "large",
    "GrayLevelNonUniformity": "gln",
    "GrayLevelNonUniformityNormalized": "glnn",
    "DependenceNonUniformity": "sn",
    "DependenceNonUniformityNormalized": "snn",
    "DependencePercentage": "pct",
    "GrayLevelVariance": "glv",
    "DependenceVariance": "sv",
    "DependenceEntropy": "ent",
    "LowGrayLevelEmphasis": "lgl",
    "HighGrayLevelEmphasis": "hgl",
    "SmallDependenceLowGrayLevelEmphasis": "slgl",
    "SmallDependenceHighGrayLevelEmphasis": "shgl",
    "LargeDependenceLowGrayLevelEmphasis": "llgl",
    "LargeDependenceHighGrayLevelEmphasis": "lhgl",
}
