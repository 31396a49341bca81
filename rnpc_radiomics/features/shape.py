"""3D shape features (pyradiomics family ``shape``), bit-for-bit the pyradiomics 3.0.1 definitions.

The mesh is pyradiomics' marching-cubes mesh of the zero-padded mask: vertices on the midpoints of
edges between an ROI voxel and a background voxel, triangles from the lookup table built in
:mod:`rnpc_radiomics.features._kernels.shape` (checked against pyradiomics for all 256 cube
configurations). Axis lengths come from the covariance of the physical voxel-centre coordinates.

Diameters are the largest distances between mesh vertices (in 3D, and between vertices sharing a
z, y or x coordinate for the slice/column/row variants). pyradiomics compares all pairs of vertices;
we compare only convex-hull vertices, which gives the same maxima in a fraction of the time.

Undefined values (documented, as in pyradiomics): ``Elongation`` and ``Flatness`` are NaN when the
largest eigenvalue is 0 (a single voxel); axis lengths are NaN if an eigenvalue is below
``-1e-10`` (numerically impossible for a covariance, kept for parity).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping

import numpy as np

from ..errors import FeatureError, MaskError
from .registry import FeatureSpec

__all__ = ["FEATURES", "compute"]

_LOG = logging.getLogger(__name__)

_F = "shape"

# pyradiomics output order (alphabetical by method name), deprecated ones off by default.
FEATURES: list[FeatureSpec] = [
    FeatureSpec(_F, "Compactness1", "SKGS", False, "V / (sqrt(pi) * A^(3/2)) (deprecated)"),
    FeatureSpec(_F, "Compactness2", "BQWJ", False, "36 pi V^2 / A^3 (deprecated)"),
    FeatureSpec(_F, "Elongation", "Q3CK", True,
                "sqrt(lambda_minor / lambda_major) of the voxel-centre covariance; NaN for one voxel"),
    FeatureSpec(_F, "Flatness", "N17B", True,
                "sqrt(lambda_least / lambda_major) of the voxel-centre covariance; NaN for one voxel"),
    FeatureSpec(_F, "LeastAxisLength", "7J51", True, "4 sqrt(lambda_least)"),
    FeatureSpec(_F, "MajorAxisLength", "TDIC", True, "4 sqrt(lambda_major)"),
    FeatureSpec(_F, "Maximum2DDiameterColumn", None, True,
                "largest distance between mesh vertices with equal y (row-slice / coronal plane)"),
    FeatureSpec(_F, "Maximum2DDiameterRow", None, True,
                "largest distance between mesh vertices with equal x (column-slice / sagittal plane)"),
    FeatureSpec(_F, "Maximum2DDiameterSlice", None, True,
                "largest distance between mesh vertices with equal z (row-column / axial plane)"),
    FeatureSpec(_F, "Maximum3DDiameter", "L0JK", True,
                "largest distance between two mesh vertices (Feret diameter)"),
    FeatureSpec(_F, "MeshVolume", "RNU0", True,
                "V = sum over mesh triangles of signed tetrahedron volumes Oa.(Ob x Oc)/6"),
    FeatureSpec(_F, "MinorAxisLength", "P9VJ", True, "4 sqrt(lambda_minor)"),
    FeatureSpec(_F, "SphericalDisproportion", "KRCK", False,
                "A / (36 pi V^2)^(1/3) (deprecated)"),
    FeatureSpec(_F, "Sphericity", "QCFX", True, "(36 pi V^2)^(1/3) / A"),
    FeatureSpec(_F, "SurfaceArea", "C0JK", True, "A = sum of mesh triangle areas"),
    FeatureSpec(_F, "SurfaceVolumeRatio", "2PR5", True, "A / V"),
    FeatureSpec(_F, "VoxelVolume", "YEKZ", True, "number of ROI voxels x voxel volume"),
]

_DIAMETERS = {"Maximum2DDiameterSlice": 0, "Maximum2DDiameterColumn": 1,
              "Maximum2DDiameterRow": 2, "Maximum3DDiameter": 3}
_MESH = {"MeshVolume", "SurfaceArea", "SurfaceVolumeRatio", "Sphericity", "Compactness1",
         "Compactness2", "SphericalDisproportion"}
_EIGEN = {"Elongation", "Flatness", "LeastAxisLength", "MajorAxisLength", "MinorAxisLength"}


def _check_names(names: Iterable[str] | None, features: list[FeatureSpec],
                 family: str) -> list[str]:
    """The requested names (all of ``features`` when None); unknown names are an error."""
    known = {f.name for f in features}
    if names is None:
        return [f.name for f in features]
    names = list(names)
    unknown = [n for n in names if n not in known]
    if unknown:
        raise FeatureError(f"unknown {family} feature {unknown[0]!r}",
                           why=f"{family} has {', '.join(sorted(known))}",
                           hint="check the feature name's spelling and case")
    return names


def _eigenvalues(cov: np.ndarray) -> np.ndarray:
    """Sorted eigenvalues, with pyradiomics' rounding of tiny negatives to 0."""
    ev = np.linalg.eigvals(cov).real
    tiny = (ev < 0) & (ev > -1e-10)
    if tiny.any():
        _LOG.debug("rounding %d eigenvalue(s) in (-1e-10, 0) to 0", int(tiny.sum()))
        ev[tiny] = 0.0
    ev.sort()
    return ev


def _axis_length(ev: float) -> float:
    return float(np.sqrt(ev) * 4) if ev >= 0 else float("nan")


def _ratio(num: float, den: float) -> float:
    if num < 0 or den < 0:
        return float("nan")
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.sqrt(np.float64(num) / np.float64(den)))


def compute(q, mask: np.ndarray, *, spacing_zyx, settings: Mapping | None = None,
            names: Iterable[str] | None = None) -> dict[str, float]:
    """Compute 3D shape features of a mask.

    Parameters
    ----------
    q : None
        Ignored (shape features do not use intensities); part of the family interface.
    mask : ndarray of bool, shape (Z, Y, X)
        The ROI, typically cropped to its bounding box (padding is added here, as in pyradiomics).
    spacing_zyx : sequence of 3 float
        Voxel spacing in mm, array order (z, y, x).
    settings : mapping, optional
        Unused by this family; accepted for the common interface.
    names : iterable of str, optional
        Features to compute (pyradiomics names); all of :data:`FEATURES` when None.

    Returns
    -------
    dict of str to float
        ``{name: value}`` for the requested names.

    Raises
    ------
    MaskError
        If the mask is not 3D or holds no voxel.
    FeatureError
        If a requested name is not a shape feature, or the spacing is not 3 positive numbers.
    """
    from ._kernels import shape as K  # lazy: keeps numba out of `import rnpc_radiomics`

    wanted = _check_names(names, FEATURES, "shape")
    mask = np.asarray(mask)
    if mask.ndim != 3:
        raise MaskError("shape features need a 3D mask", why=f"got {mask.ndim} dimensions",
                        hint="pass the mask as a (Z, Y, X) array")
    spacing = np.asarray(spacing_zyx, dtype=np.float64).reshape(-1)
    if spacing.shape != (3,) or not np.all(np.isfinite(spacing)) or np.any(spacing <= 0):
        raise FeatureError("bad voxel spacing for shape features",
                           why=f"expected 3 positive numbers (z, y, x), got {spacing_zyx!r}")
    m = np.pad(mask.astype(bool, copy=False), 1)
    if not m.any():
        raise MaskError("shape features need a non-empty mask", why="the ROI holds no voxel",
                        hint="check the label value and the mask/image overlap")

    if not wanted:
        return {}

    cov = np.empty((3, 3))
    n_vox = K.voxel_moments(m, spacing, cov)
    area = vol = float("nan")
    if any(n in _MESH for n in wanted):
        tri_table, edge_mid2 = K.mc_tables()
        av = np.empty(2)
        K.mesh_area_volume(m, spacing, tri_table, edge_mid2, av)
        area, vol = float(av[0]), float(av[1])

    diam = np.zeros(4)
    if any(n in _DIAMETERS for n in wanted):
        verts = np.empty((K.count_edge_vertices(m), 3), dtype=np.int64)
        K.fill_edge_vertices(m, verts)
        K.mesh_diameters(verts, spacing, diam)

    ev = _eigenvalues(cov) if any(n in _EIGEN for n in wanted) else np.zeros(3)

    with np.errstate(divide="ignore", invalid="ignore"):
        values = {
            "MeshVolume": lambda: vol,
            "VoxelVolume": lambda: n_vox * float(spacing[0] * spacing[2] * spacing[1]),
            "SurfaceArea": lambda: area,
            "SurfaceVolumeRatio": lambda: area / vol,
            "Sphericity": lambda: (36 * np.pi * vol ** 2) ** (1.0 / 3.0) / area,
            "Compactness1": lambda: vol / (area ** (3.0 / 2.0) * np.sqrt(np.pi)),
            "Compactness2": lambda: (36.0 * np.pi) * (vol ** 2.0) / (area ** 3.0),
            "SphericalDisproportion": lambda: area / (36 * np.pi * vol ** 2) ** (1.0 / 3.0),
            "Maximum3DDiameter": lambda: diam[3],
            "Maximum2DDiameterSlice": lambda: diam[0],
            "Maximum2DDiameterColumn": lambda: diam[1],
            "Maximum2DDiameterRow": lambda: diam[2],
            "MajorAxisLength": lambda: _axis_length(ev[2]),
            "MinorAxisLength": lambda: _axis_length(ev[1]),
            "LeastAxisLength": lambda: _axis_length(ev[0]),
            "Elongation": lambda: _ratio(ev[1], ev[2]),
            "Flatness": lambda: _ratio(ev[0], ev[2]),
        }
        return {n: float(values[n]()) for n in wanted}
