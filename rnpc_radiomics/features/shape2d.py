"""2D shape features (pyradiomics family ``shape2D``), the pyradiomics 3.0.1 definitions.

Only for a mask that is one slice thick along ``force2Ddimension`` (0 = z, 1 = y, 2 = x). The
contour is pyradiomics' marching-squares contour of the zero-padded slice: vertices on midpoints of
edges between an ROI pixel and a background pixel, diagonal pixel pairs kept apart. The mesh surface
is the shoelace sum of signed triangles (origin, a, b). The maximum diameter is the largest distance
between contour vertices, found on their convex hull rather than over all pairs.

Undefined values (documented, as in pyradiomics): ``Elongation`` is NaN for a single pixel (both
eigenvalues 0).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

from ..errors import FeatureError, MaskError, SettingsError
from .registry import FeatureSpec
from .shape import _axis_length, _check_names, _eigenvalues, _ratio

__all__ = ["FEATURES", "compute"]

_F = "shape2D"

# pyradiomics output order (alphabetical by method name); IBSI defines no 2D shape features.
FEATURES: list[FeatureSpec] = [
    FeatureSpec(_F, "Elongation", None, True,
                "sqrt(lambda_minor / lambda_major) of the pixel-centre covariance; NaN for one pixel"),
    FeatureSpec(_F, "MajorAxisLength", None, True, "4 sqrt(lambda_major)"),
    FeatureSpec(_F, "MaximumDiameter", None, True,
                "largest distance between two contour vertices"),
    FeatureSpec(_F, "MeshSurface", None, True,
                "A = sum over contour segments of signed triangle areas (Oa x Ob)/2"),
    FeatureSpec(_F, "MinorAxisLength", None, True, "4 sqrt(lambda_minor)"),
    FeatureSpec(_F, "Perimeter", None, True, "P = sum of contour segment lengths"),
    FeatureSpec(_F, "PerimeterSurfaceRatio", None, True, "P / A"),
    FeatureSpec(_F, "PixelSurface", None, True, "number of ROI pixels x pixel area"),
    FeatureSpec(_F, "SphericalDisproportion", None, False, "P / (2 sqrt(pi A)) (deprecated)"),
    FeatureSpec(_F, "Sphericity", None, True, "2 sqrt(pi A) / P"),
]


def compute(q, mask: np.ndarray, *, spacing_zyx, settings: Mapping | None = None,
            names: Iterable[str] | None = None) -> dict[str, float]:
    """Compute 2D shape features of a single-slice mask.

    Parameters
    ----------
    q : None
        Ignored (shape features do not use intensities); part of the family interface.
    mask : ndarray of bool, shape (Z, Y, X)
        The ROI, cropped to its bounding box; size 1 along ``force2Ddimension``.
    spacing_zyx : sequence of 3 float
        Voxel spacing in mm, array order (z, y, x).
    settings : mapping, optional
        ``force2Ddimension`` (int 0, 1 or 2; default 0 = z): the out-of-plane axis.
    names : iterable of str, optional
        Features to compute (pyradiomics names); all of :data:`FEATURES` when None.

    Returns
    -------
    dict of str to float
        ``{name: value}`` for the requested names.

    Raises
    ------
    MaskError
        If the mask is not 3D, is empty, or is thicker than one slice along the chosen axis.
    SettingsError
        If ``force2Ddimension`` is not 0, 1 or 2.
    FeatureError
        If a requested name is not a shape2D feature, or the spacing is not 3 positive numbers.
    """
    from ._kernels import shape as K  # lazy: keeps numba out of `import rnpc_radiomics`

    wanted = _check_names(names, FEATURES, "shape2D")
    dim = (settings or {}).get("force2Ddimension", 0)
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)) or dim not in (0, 1, 2):
        raise SettingsError("bad force2Ddimension", why=f"expected 0, 1 or 2, got {dim!r}",
                            hint="use 0 for axial (z), 1 for coronal (y), 2 for sagittal (x)")
    dim = int(dim)
    mask = np.asarray(mask)
    if mask.ndim != 3:
        raise MaskError("shape2D features need a 3D (Z, Y, X) mask",
                        why=f"got {mask.ndim} dimensions")
    if mask.shape[dim] != 1:
        raise MaskError("shape2D features need a single-slice mask",
                        why=f"the ROI spans {mask.shape[dim]} slices along axis {dim} "
                            "(force2Ddimension)",
                        hint="disable shape2D or use a mask drawn on one slice")
    spacing = np.asarray(spacing_zyx, dtype=np.float64).reshape(-1)
    if spacing.shape != (3,) or not np.all(np.isfinite(spacing)) or np.any(spacing <= 0):
        raise FeatureError("bad voxel spacing for shape2D features",
                           why=f"expected 3 positive numbers (z, y, x), got {spacing_zyx!r}")
    axes = [a for a in (0, 1, 2) if a != dim]
    sp2 = np.ascontiguousarray(spacing[axes])
    m = np.pad(np.squeeze(mask.astype(bool, copy=False), axis=dim), 1)
    if not m.any():
        raise MaskError("shape2D features need a non-empty mask", why="the ROI holds no pixel",
                        hint="check the label value and the mask/image overlap")

    cov3 = np.empty((3, 3))
    n_pix = K.voxel_moments(m[None], np.array([1.0, sp2[0], sp2[1]]), cov3)
    seg_table, edge_mid2 = K.ms_tables()
    ps = np.empty(2)
    K.square_mesh(m, sp2, seg_table, edge_mid2, ps)
    perim, surf = float(ps[0]), float(ps[1])

    diam = 0.0
    if "MaximumDiameter" in wanted:
        n = K.count_edge_vertices_2d(m)
        pu = np.empty(n, dtype=np.int64)
        pv = np.empty(n, dtype=np.int64)
        K.fill_edge_vertices_2d(m, pu, pv)
        diam = float(K.diameter_2d(pu, pv, sp2))

    ev = _eigenvalues(cov3[1:, 1:].copy())

    with np.errstate(divide="ignore", invalid="ignore"):
        sphericity = (2 * np.sqrt(np.pi * surf)) / perim
        values = {
            "MeshSurface": lambda: surf,
            "PixelSurface": lambda: n_pix * float(sp2[1] * sp2[0]),
            "Perimeter": lambda: perim,
            "PerimeterSurfaceRatio": lambda: perim / surf,
            "Sphericity": lambda: sphericity,
            "SphericalDisproportion": lambda: 1.0 / sphericity,
            "MaximumDiameter": lambda: diam,
            "MajorAxisLength": lambda: _axis_length(ev[1]),
            "MinorAxisLength": lambda: _axis_length(ev[0]),
            "Elongation": lambda: _ratio(ev[0], ev[1]),
        }
        return {n: float(values[n]()) for n in wanted}
