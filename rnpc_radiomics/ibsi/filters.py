"""IBSI-2 convolutional filters (phase 1): mean, Laplacian of Gaussian, Laws, Gabor,
undecimated separable wavelets and the Simoncelli wavelet, with IBSI-2 boundary conditions and
rotation invariance.

Conventions (checked against the IBSI-2 phase-1 reference response maps, see
``tests/test_ibsi_filters.py``):

* arrays are ``(Z, Y, X)``; filter parameters in mm are converted with the voxel spacing;
* boundary conditions use IBSI-2 names: ``zero`` (also ``constant``), ``nearest``,
  ``periodic`` (``wrap``) and ``mirror`` (``reflect``; the edge voxel is repeated,
  ``d c b a | a b c d``);
* separable kernels named like ``E5L5S5`` or wavelet sub-bands like ``LHL`` list the x, y and z
  kernels in that order; kernels are applied by convolution;
* ``by_slice`` filters each axial (xy) slice in 2D.

These are the IBSI-mode filters; the pyradiomics-compatible image types (LoG, wavelet, ...) are
in :mod:`rnpc_radiomics.filters`.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from rnpc_radiomics.errors import SettingsError

__all__ = ["mean_filter", "log_filter", "laws_filter", "gabor_filter", "wavelet_filter",
           "simoncelli_filter",
           "LAWS_KERNELS", "WAVELETS", "BOUNDARIES"]

# IBSI-2 boundary name -> scipy.ndimage mode.
BOUNDARIES = {"zero": "constant", "constant": "constant", "nearest": "nearest",
              "periodic": "wrap", "wrap": "wrap", "mirror": "reflect", "reflect": "reflect"}
# scipy.ndimage mode -> numpy.pad mode.
_PAD = {"constant": "constant", "nearest": "edge", "wrap": "wrap", "reflect": "symmetric"}

LAWS_KERNELS = {
    "L3": np.array([1.0, 2.0, 1.0]) / math.sqrt(6.0),
    "E3": np.array([-1.0, 0.0, 1.0]) / math.sqrt(2.0),
    "S3": np.array([-1.0, 2.0, -1.0]) / math.sqrt(6.0),
    "L5": np.array([1.0, 4.0, 6.0, 4.0, 1.0]) / math.sqrt(70.0),
    "E5": np.array([-1.0, -2.0, 0.0, 2.0, 1.0]) / math.sqrt(10.0),
    "S5": np.array([-1.0, 0.0, 2.0, 0.0, -1.0]) / math.sqrt(6.0),
    "W5": np.array([-1.0, 2.0, 0.0, -2.0, 1.0]) / math.sqrt(10.0),
    "R5": np.array([1.0, -4.0, 6.0, -4.0, 1.0]) / math.sqrt(70.0),
}

# Decomposition filters (low, high) of the orthogonal wavelets (PyWavelets' dec_lo / dec_hi).
WAVELETS = {
    "haar": (np.array([0.7071067811865476, 0.7071067811865476]),
             np.array([-0.7071067811865476, 0.7071067811865476])),
    "db2": (np.array([-0.12940952255092145, 0.22414386804185735, 0.836516303737469,
                      0.48296291314469025]),
            np.array([-0.48296291314469025, 0.836516303737469, -0.22414386804185735,
                      -0.12940952255092145])),
    "db3": (np.array([0.03522629188570953, -0.08544127388202666, -0.13501102001025458,
                      0.45987750211849154, 0.8068915093110925, 0.33267055295008263]),
            np.array([-0.33267055295008263, 0.8068915093110925, -0.45987750211849154,
                      -0.13501102001025458, 0.08544127388202666, 0.03522629188570953])),
    "coif1": (np.array([-0.01565572813546454, -0.0727326195128539, 0.38486484686420286,
                        0.8525720202122554, 0.3378976624578092, -0.0727326195128539]),
              np.array([0.0727326195128539, 0.3378976624578092, -0.8525720202122554,
                        0.38486484686420286, 0.0727326195128539, -0.01565572813546454])),
}


def _mode(boundary: str) -> str:
    try:
        return BOUNDARIES[boundary]
    except KeyError:
        raise SettingsError("bad IBSI-2 boundary condition", None,
                            f"expected one of {sorted(BOUNDARIES)}, got {boundary!r}",
                            "IBSI-2 uses zero, nearest, periodic or mirror") from None


def _as_float(image) -> np.ndarray:
    img = np.asarray(image, dtype=np.float64)
    if img.ndim != 3:
        raise SettingsError("IBSI-2 filters need a 3D image", None,
                            f"got an array of shape {img.shape}", "pass a (Z, Y, X) array")
    return img


def mean_filter(image, support: int, *, boundary: str = "zero",
                by_slice: bool = False) -> np.ndarray:
    """Mean over a cubic (square with ``by_slice``) neighbourhood of ``support`` voxels a side.

    Parameters
    ----------
    image : ndarray of shape (Z, Y, X)
    support : int
        Odd number of voxels per side.
    boundary : str
        IBSI-2 boundary condition.
    by_slice : bool
        2D filter per axial slice.

    Returns
    -------
    ndarray of shape (Z, Y, X), float64
    """
    from scipy import ndimage

    img = _as_float(image)
    size = (1, support, support) if by_slice else support
    return ndimage.uniform_filter(img, size=size, mode=_mode(boundary))


def log_filter(image, sigma_mm: float, spacing_zyx, *, boundary: str = "zero",
               truncate: float = 4.0, by_slice: bool = False) -> np.ndarray:
    """Laplacian of Gaussian with standard deviation ``sigma_mm``, truncated at ``truncate`` σ.

    Returns
    -------
    ndarray of shape (Z, Y, X), float64
    """
    from scipy import ndimage

    img = _as_float(image)
    sig = [sigma_mm / float(s) for s in spacing_zyx]
    mode = _mode(boundary)
    if by_slice:
        return np.stack([ndimage.gaussian_laplace(sl, sig[1:], mode=mode, truncate=truncate)
                         for sl in img])
    return ndimage.gaussian_laplace(img, sig, mode=mode, truncate=truncate)


def _signed_permutations(axes: tuple[int, ...]) -> list[np.ndarray]:
    """Proper rotations by right angles (signed permutations, det +1) acting on ``axes``."""
    out = []
    for perm in itertools.permutations(axes):
        for signs in itertools.product((1, -1), repeat=len(axes)):
            r = np.eye(3)
            for a in axes:
                r[a, a] = 0.0
            for j, i, s in zip(axes, perm, signs):
                r[j, i] = s
            if round(np.linalg.det(r)) == 1:
                out.append(r)
    return out


def laws_filter(image, kernel: str, *, boundary: str = "zero",
                rotation_invariant: bool = False, pooling: str = "max",
                energy_delta: int | None = None, by_slice: bool = False) -> np.ndarray:
    """Laws filter response (or energy map).

    Parameters
    ----------
    image : ndarray of shape (Z, Y, X)
    kernel : str
        1D kernel names for x, y (and z), e.g. ``"E5L5S5"`` or, with ``by_slice``, ``"L5S5"``.
    boundary : str
        IBSI-2 boundary condition.
    rotation_invariant : bool
        Pool over the 24 right-angle rotations (4 in-plane ones with ``by_slice``).
    pooling : {"max", "mean", "min"}
    energy_delta : int, optional
        Return the energy map: the mean absolute response over a ``2 delta + 1`` wide
        neighbourhood (computed after pooling).
    by_slice : bool
        2D filter per axial slice.
    """
    from scipy import ndimage

    img = _as_float(image)
    mode = _mode(boundary)
    if pooling not in ("max", "mean", "min"):
        raise SettingsError("bad pooling method", None,
                            f"expected max, mean or min, got {pooling!r}", "")
    names = [kernel[i:i + 2] for i in range(0, len(kernel), 2)]
    want = 2 if by_slice else 3
    if len(names) != want or any(n not in LAWS_KERNELS for n in names):
        raise SettingsError("bad Laws kernel", None,
                            f"expected {want} of {sorted(LAWS_KERNELS)} (x, y[, z]), got "
                            f"{kernel!r}", "e.g. E5L5S5, or L5S5 with by_slice")
    axes = (2, 1) if by_slice else (2, 1, 0)
    base = {ax: LAWS_KERNELS[n] for ax, n in zip(axes, names)}
    rots = _signed_permutations((1, 2) if by_slice else (0, 1, 2)) if rotation_invariant \
        else [np.eye(3)]
    pooled = None
    for r in rots:
        out = img
        for j in range(3):
            i = int(np.flatnonzero(r[j])[0])
            if i not in base:
                continue
            k = base[i] if r[j, i] > 0 else base[i][::-1]
            out = ndimage.convolve1d(out, k, axis=j, mode=mode)
        pooled = out if pooled is None else _pool(pooled, out, pooling)
    if pooling == "mean" and len(rots) > 1:
        pooled = pooled / len(rots)
    if energy_delta is not None:
        size = 2 * int(energy_delta) + 1
        pooled = ndimage.uniform_filter(np.abs(pooled), size=(1, size, size) if by_slice
                                        else size, mode=mode)
    return pooled


def _pool(acc: np.ndarray, new: np.ndarray, pooling: str) -> np.ndarray:
    if pooling == "max":
        return np.maximum(acc, new)
    if pooling == "min":
        return np.minimum(acc, new)
    return acc + new  # mean: summed here, divided by the count at the end


def gabor_filter(image, sigma_mm: float, gamma: float, lambda_mm: float, spacing_zyx, *,
                 theta_deg: float = 0.0, theta_step_deg: float | None = None,
                 boundary: str = "zero", rotation_invariant: bool = False,
                 truncate: float = 4.0) -> np.ndarray:
    """Modulus of the 2D Gabor filter response, applied slice by slice.

    The kernel is ``exp(-(x'^2 + gamma^2 y'^2) / (2 sigma^2)) exp(2 pi i x' / lambda)`` with
    ``x' = x cos(theta) + y sin(theta)``, ``y' = -x sin(theta) + y cos(theta)`` (x along
    columns, y along rows, in mm), truncated at ``truncate`` standard deviations.

    Parameters
    ----------
    theta_deg : float
        Orientation when ``theta_step_deg`` is None.
    theta_step_deg : float, optional
        Average the moduli over orientations 0, step, ..., < 360 degrees.
    rotation_invariant : bool
        Average over the axial, coronal and sagittal planes (else axial only).
    """
    from scipy import fft

    img = _as_float(image)
    pad_mode = _PAD[_mode(boundary)]
    thetas = ([math.radians(theta_deg)] if theta_step_deg is None else
              [math.radians(t) for t in np.arange(0.0, 360.0, float(theta_step_deg))])
    sp = [float(s) for s in spacing_zyx]
    # (array axes moved first, plane spacing (rows, cols), inverse move)
    planes = [((0, 1, 2), (sp[1], sp[2]))]
    if rotation_invariant:
        planes += [((1, 0, 2), (sp[0], sp[2])), ((2, 0, 1), (sp[0], sp[1]))]
    total = np.zeros_like(img)
    for order, (s_row, s_col) in planes:
        v = np.transpose(img, order)
        ext = truncate * sigma_mm * max(1.0, 1.0 / gamma)
        r_row, r_col = int(math.ceil(ext / s_row)), int(math.ceil(ext / s_col))
        padded = np.pad(v, ((0, 0), (r_row, r_row), (r_col, r_col)), mode=pad_mode)
        shape = padded.shape[1:]
        fimg = fft.fft2(padded, axes=(1, 2))
        yy, xx = np.mgrid[-r_row:r_row + 1, -r_col:r_col + 1].astype(np.float64)
        yy *= s_row
        xx *= s_col
        resp = np.zeros(v.shape)
        for th in thetas:
            xr = xx * math.cos(th) + yy * math.sin(th)
            yr = -xx * math.sin(th) + yy * math.cos(th)
            k = np.exp(-(xr ** 2 + gamma ** 2 * yr ** 2) / (2.0 * sigma_mm ** 2)) \
                * np.exp(2j * math.pi * xr / lambda_mm)
            fk = fft.fft2(k, s=shape)
            full = fft.ifft2(fimg * fk[None], axes=(1, 2))
            # Linear convolution: output (i, j) sits at (i + 2 r) in the circular result.
            resp += np.abs(full[:, 2 * r_row:2 * r_row + v.shape[1],
                                2 * r_col:2 * r_col + v.shape[2]])
        total += np.transpose(resp / len(thetas), np.argsort(order))
    return total / len(planes)


def _rotations_3d():
    """The 24 right-angle rotations of a 3D array, as (forward, inverse) callables."""
    test = np.arange(27).reshape(3, 3, 3)
    seen, out = set(), []
    for k1, k2, k3 in itertools.product(range(4), repeat=3):
        def fwd(a, k1=k1, k2=k2, k3=k3):
            return np.rot90(np.rot90(np.rot90(a, k1, (1, 2)), k2, (0, 2)), k3, (0, 1))

        def inv(a, k1=k1, k2=k2, k3=k3):
            return np.rot90(np.rot90(np.rot90(a, -k3, (0, 1)), -k2, (0, 2)), -k1, (1, 2))

        key = fwd(test).tobytes()
        if key not in seen:
            seen.add(key)
            out.append((fwd, inv))
    return out


def _wavelet_once(img, lo, hi, subband, level, mode, axes):
    from scipy import ndimage

    cur = img
    for lev in range(1, level + 1):
        bands = subband if lev == level else "L" * len(axes)
        step = 2 ** (lev - 1)
        out = cur
        for band, ax in zip(bands, axes):
            k = lo if band == "L" else hi
            if step > 1:
                # A trous: insert step - 1 zeros after every tap (keeps the filter's origin).
                up = np.zeros(len(k) * step)
                up[::step] = k
                k = up
            out = ndimage.convolve1d(out, k, axis=ax, mode=mode)
        cur = out
    return cur


def wavelet_filter(image, family: str, subband: str, *, level: int = 1,
                   boundary: str = "zero", rotation_invariant: bool = False,
                   by_slice: bool = False) -> np.ndarray:
    """Undecimated separable wavelet sub-band (à trous for levels > 1).

    Parameters
    ----------
    family : {"haar", "db2", "db3", "coif1"}
    subband : str
        Low/high pass per axis, x first: ``"LHL"`` (``"LH"`` with ``by_slice``).
    level : int
        Decomposition level; level ``n`` filters the level ``n - 1`` all-low-pass image.
    rotation_invariant : bool
        Average over the 24 right-angle rotations of the image (4 in-plane with ``by_slice``).
    """
    img = _as_float(image)
    mode = _mode(boundary)
    if family not in WAVELETS:
        raise SettingsError("bad wavelet family", None,
                            f"expected one of {sorted(WAVELETS)}, got {family!r}", "")
    axes = (2, 1) if by_slice else (2, 1, 0)
    if len(subband) != len(axes) or set(subband) - {"L", "H"}:
        raise SettingsError("bad wavelet sub-band", None,
                            f"expected {len(axes)} letters L/H (x, y[, z]), got {subband!r}", "")
    if int(level) < 1:
        raise SettingsError("bad wavelet level", None, f"expected >= 1, got {level}", "")
    lo, hi = WAVELETS[family]
    if not rotation_invariant:
        return _wavelet_once(img, lo, hi, subband, int(level), mode, axes)
    if by_slice:
        rots = [(lambda a, k=k: np.rot90(a, k, (1, 2)), lambda a, k=k: np.rot90(a, -k, (1, 2)))
                for k in range(4)]
    else:
        rots = _rotations_3d()
    acc = np.zeros_like(img)
    for fwd, inv in rots:
        acc += inv(_wavelet_once(np.ascontiguousarray(fwd(img)), lo, hi, subband, int(level),
                                 mode, axes))
    return acc / len(rots)


def simoncelli_filter(image, level: int = 1, *, boundary: str = "periodic",
                      by_slice: bool = False) -> np.ndarray:
    """Non-separable Simoncelli wavelet band-pass response at decomposition ``level``.

    Applied in the Fourier domain (hence periodic boundaries) with the transfer function
    ``cos(pi/2 log2(2 w / pi))`` for ``pi/4 < w <= pi`` and 0 elsewhere, where
    ``w = 2^(level-1) |omega|`` and each axis samples ``omega`` on ``linspace(-pi, pi, N)``
    (the grid the IBSI-2 reference maps use).
    """
    img = _as_float(image)
    if _mode(boundary) != "wrap":
        raise SettingsError("bad boundary for the Simoncelli wavelet", None,
                            f"it is applied in the Fourier domain, got {boundary!r}",
                            "use periodic")
    if int(level) < 1:
        raise SettingsError("bad wavelet level", None, f"expected >= 1, got {level}", "")
    axes = (1, 2) if by_slice else (0, 1, 2)
    grids = [np.fft.ifftshift(np.linspace(-np.pi, np.pi, img.shape[a])) for a in axes]
    w = np.sqrt(sum(g ** 2 for g in np.meshgrid(*grids, indexing="ij", sparse=True)))
    w = w * 2.0 ** (int(level) - 1)
    psi = np.zeros_like(w)
    sel = (w > np.pi / 4) & (w <= np.pi)
    psi[sel] = np.cos(np.pi / 2 * np.log2(2.0 * w[sel] / np.pi))
    if by_slice:
        psi = psi[None]
    return np.real(np.fft.ifftn(np.fft.fftn(img, axes=axes) * psi, axes=axes))
