"""Local binary pattern images (pyradiomics 3.0.1 ``getLBP2DImage`` / ``getLBP3DImage``).

LBP2D is computed slice by slice in the plane normal to ``force2Ddimension`` with
scikit-image's algorithm (``local_binary_pattern``), re-implemented here as a numba kernel so
that scikit-image is not needed: ``P = lbp2DSamples`` neighbours on a circle of radius
``R = lbp2DRadius`` (positions rounded to 5 decimals), bilinear interpolation with zero outside
the slice, sign ``neighbour - centre >= 0``; methods ``default`` (binary code), ``ror``
(rotation-invariant minimum), ``uniform`` (number of ones when at most two 0/1 transitions,
else ``P + 1``) and ``var`` (biased variance of the neighbours, NaN when 0). As in pyradiomics,
the result is stored back into an array of the *input's* dtype (an integer image truncates).

LBP3D follows Banerjee et al. (2013) as pyradiomics codes it: at every ROI voxel the image is
sampled (cubic spline, ``scipy.ndimage.map_coordinates``) on the vertices of an icosphere of
radius ``lbp3DIcosphereRadius`` subdivided ``lbp3DIcosphereSubdivision`` times; the binary
pattern is expanded in spherical harmonics up to degree ``lbp3DLevels - 1`` and the L2 norm of
each degree gives ``lbp-3D-m1``, ``lbp-3D-m2``, ...; the kurtosis of the samples gives
``lbp-3D-k``. pyradiomics passes the polar angle where scipy's old ``sph_harm`` expected the
azimuth and vice versa; we keep that, for identical numbers. Voxels outside the ROI are 0.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from rnpc_radiomics.image import Volume

__all__ = ["local_binary_pattern", "icosphere_vertices", "lbp2d_image", "lbp3d_images"]

log = logging.getLogger(__name__)

_METHODS = {"default": 0, "ror": 1, "uniform": 2, "var": 3}


def local_binary_pattern(image2d: np.ndarray, P: int, R: float, method: str = "uniform"
                         ) -> np.ndarray:
    """scikit-image's ``local_binary_pattern`` (float64 result) for one 2D array.

    Parameters
    ----------
    image2d : ndarray of shape (rows, cols)
    P : int
        Number of circularly symmetric neighbours.
    R : float
        Radius of the circle (pixels).
    method : {'default', 'ror', 'uniform', 'var'}

    Returns
    -------
    ndarray of shape (rows, cols), float64
    """
    from ._kernels import lbp2d_kernel

    img = np.ascontiguousarray(image2d, dtype=np.float64)
    ang = 2 * np.pi * np.arange(P, dtype=np.float64) / P
    rp = np.round(-R * np.sin(ang), 5)
    cp = np.round(R * np.cos(ang), 5)
    out = np.zeros(img.shape, dtype=np.float64)
    lbp2d_kernel(img, rp, cp, _METHODS[method], out)
    return out


def lbp2d_image(image: Volume, mask, settings: Mapping[str, Any], box=None
                ) -> Iterator[tuple[str, Volume]]:
    """Yield ``("lbp-2D", image)``; reads lbp2DRadius, lbp2DSamples, lbp2DMethod,
    force2D, force2Ddimension."""
    radius = settings.get("lbp2DRadius", 1) or 1
    samples = int(settings.get("lbp2DSamples", 8) or 8)
    method = settings.get("lbp2DMethod", "uniform") or "uniform"
    if not settings.get("force2D", False):
        log.warning("LBP2D is computed per slice but features are extracted in 3D "
                    "(force2D is false): use with caution")
    axis = int(settings.get("force2Ddimension", 0) or 0)
    src = image
    inner = None
    if box is not None:
        from rnpc_radiomics.filters import _grow, crop_volume

        # samples reach R pixels in-plane (bilinear: one more); slices are independent
        m = int(np.ceil(radius)) + 2
        grown, inner = _grow(box, image.shape, tuple(0 if d == axis else m for d in range(3)))
        src = crop_volume(image, grown)
    arr = np.array(src.array).swapaxes(0, axis)
    for k in range(arr.shape[0]):
        # assignment casts to the input dtype, as pyradiomics' in-place write does
        arr[k, ...] = local_binary_pattern(arr[k, ...], samples, radius, method)
    arr = np.ascontiguousarray(arr.swapaxes(0, axis))
    if inner is not None:
        yield "lbp-2D", crop_volume(image, box).with_array(np.ascontiguousarray(arr[inner]))
    else:
        yield "lbp-2D", image.with_array(arr)


def icosphere_vertices(subdivisions: int = 1, radius: float = 1.0) -> np.ndarray:
    """Vertices (V, 3) of an icosahedron subdivided ``subdivisions`` times, on a sphere.

    ``trimesh.creation.icosphere``'s vertices, in its order: each subdivision appends the
    midpoint of every edge, then all vertices are projected onto the sphere.
    """
    t = (1.0 + 5.0 ** 0.5) / 2.0
    v = np.array([[-1, t, 0], [1, t, 0], [-1, -t, 0], [1, -t, 0], [0, -1, t], [0, 1, t],
                  [0, -1, -t], [0, 1, -t], [t, 0, -1], [t, 0, 1], [-t, 0, -1], [-t, 0, 1]],
                 dtype=np.float64) / np.sqrt(2.0 + t)
    f = np.array([0, 11, 5, 0, 5, 1, 0, 1, 7, 0, 7, 10, 0, 10, 11, 1, 5, 9, 5, 11, 4, 11, 10, 2,
                  10, 7, 6, 7, 1, 8, 3, 9, 4, 3, 4, 2, 3, 2, 6, 3, 6, 8, 3, 8, 9, 4, 9, 5, 2, 4,
                  11, 6, 2, 10, 8, 6, 7, 9, 8, 1]).reshape(-1, 3)

    def to_radius(vv):
        s = np.sqrt(np.dot(vv ** 2, [1, 1, 1]))
        return vv + (vv / s[:, None]) * (radius - s)[:, None]

    for _ in range(int(subdivisions)):
        # trimesh's remesh.subdivide, in its vertex order: the order does not change LBP3D in
        # exact arithmetic, but float32 kurtosis sums depend on it.
        edges = np.sort(f[:, [0, 1, 1, 2, 2, 0]].reshape(-1, 2), axis=1)
        key = edges[:, 1] * (len(v) + 1) + edges[:, 0]  # trimesh hashes rows column 1 first
        _, first, inv = np.unique(key, return_index=True, return_inverse=True)
        mid = v[edges[first]].mean(axis=1)
        mi = inv.reshape(-1, 3) + len(v)
        f = np.column_stack([f[:, 0], mi[:, 0], mi[:, 2], mi[:, 0], f[:, 1], mi[:, 1],
                             mi[:, 2], mi[:, 1], f[:, 2], mi[:, 0], mi[:, 1], mi[:, 2]]
                            ).reshape(-1, 3)
        v = to_radius(np.concatenate([v, mid]))
    if subdivisions <= 0:
        v = to_radius(v)
    return v


def _sph_harm(m: int, n: int, theta: np.ndarray, phi: np.ndarray) -> np.ndarray:
    """scipy's removed ``sph_harm(m, n, theta=azimuth, phi=polar)``."""
    from scipy import special

    if hasattr(special, "sph_harm_y"):
        return special.sph_harm_y(n, m, phi, theta)
    return special.sph_harm(m, n, theta, phi)  # pragma: no cover - scipy < 1.15


def lbp3d_images(image: Volume, mask, settings: Mapping[str, Any], box=None
                 ) -> Iterator[tuple[str, Volume]]:
    """Yield ``lbp-3D-m1`` ... ``lbp-3D-m<levels>`` and ``lbp-3D-k`` (ROI voxels only)."""
    from scipy.ndimage import map_coordinates
    from scipy.stats import kurtosis

    if settings.get("force2D", False):
        log.warning("LBP3D is computed in 3D but features are extracted in 2D (force2D): "
                    "use with caution")
    levels = int(settings.get("lbp3DLevels", 2) or 2)
    radius = float(settings.get("lbp3DIcosphereRadius", 1) or 1)
    subdiv = int(settings.get("lbp3DIcosphereSubdivision", 1) or 0)
    im_arr = np.asarray(image.array)
    m = _roi(mask, settings)
    verts = icosphere_vertices(subdiv, radius)
    theta = np.arccos(np.true_divide(verts[:, 2], radius))
    phi = np.arctan2(verts[:, 1], verts[:, 0])
    Y = [_sph_harm(0, 0, theta, phi)]
    n_ix = [0]
    for n in range(1, levels):
        for mm in range(-n, n + 1):
            n_ix.append(n)
            Y.append(_sph_harm(mm, n, theta, phi))
    Y = np.column_stack(Y)
    n_ix = np.asarray(n_ix)
    roi = np.nonzero(m)
    coords = np.array(roi).T[None, :, :] + verts[:, None, :]
    f = map_coordinates(im_arr, coords.T, order=3)          # (Np, Nv)
    k = kurtosis(f, axis=1)
    f = np.greater_equal(f, im_arr[roi][:, None]).astype(int)
    c = (f[:, :, None] * Y[None, :, :]).sum(axis=1)          # (Np, x)
    per_level = []
    for n in range(levels):
        sel = n_ix == n
        g = np.sum(c[:, None, sel] * Y[None, :, sel], axis=2)  # (Np, Nv)
        per_level.append(np.real(np.sqrt(np.sum(g ** 2, axis=1))))
    from rnpc_radiomics.filters import crop_volume

    # the cubic spline prefilter is global, so sampling uses the whole image; only ROI voxels
    # get values, so only ``box`` is kept
    result = np.zeros(im_arr.shape, dtype=np.float64)
    for li in range(levels):
        result[roi] = per_level[li]
        yield f"lbp-3D-m{li + 1}", crop_volume(image.with_array(result.copy()), box)
    result[roi] = np.real(k)
    yield "lbp-3D-k", crop_volume(image.with_array(result), box)


def _roi(mask, settings) -> np.ndarray:
    arr = mask.array if isinstance(mask, Volume) else np.asarray(mask)
    if arr.dtype == np.bool_:
        return arr
    return arr == int(settings.get("label", 1) or 1)
