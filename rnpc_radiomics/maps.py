"""Voxel-based feature maps, pyradiomics 3.0.1's voxel mode (``execute(..., voxelBased=True)``).

Every ROI voxel gets the features of the *kernel* around it: the cube of radius ``kernelRadius``
(a square under ``force2D``) clipped to the image and, with ``maskedKernel`` (default), to the
ROI. The pipeline is pyradiomics' own:

1. read image and mask, normalise, resample / pre-crop, check and resegment the ROI, exactly as
   :func:`rnpc_radiomics.extract` does;
2. per image type (filters see the whole preprocessed image, see :mod:`rnpc_radiomics.filters`),
   crop to the ROI's bounding box plus ``kernelRadius`` voxels, discretise once over the ROI
   (or, without ``maskedKernel``, over the whole crop) and compute every enabled class for every
   ROI voxel;
3. voxels outside the ROI hold ``initValue``.

Shape features are not computed in voxel mode (as in pyradiomics).

The per-voxel work is done by numba kernels (``features/_kernels/voxel_*.py``) that run over
voxel ranges on a thread pool, each with scratch sized by the kernel (not by the number of grey
levels or voxels), so memory is the output maps plus a few kernel-sized buffers per thread
(measured: 510 MB peak RSS for all six classes on a 100k-voxel ROI). pyradiomics
instead allocates one ``Ng x Ng x angles`` matrix per voxel of a batch, which is what makes its
voxel mode slow and memory hungry.

Where pyradiomics' voxel mode depends on ``voxelBatch`` we follow it: an angle is dropped only
when it is empty for every voxel of a batch, so ``glcm_JointAverage`` (a plain mean over angles
in pyradiomics) is NaN at voxels where a kept angle has no pair. One deliberate difference:
where a batch holds such a voxel, pyradiomics' ``glcm_MCC`` raises inside NumPy (NaN matrix) and
the whole batch keeps ``initValue``; we return each voxel's MCC averaged over its non-empty
angles instead, and log a warning saying so.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from rnpc_radiomics.image import Volume
from rnpc_radiomics.settings import ExtractionParams, load_params

__all__ = ["voxel_maps", "voxel_maps_volumes", "iter_voxel_maps", "family_maps", "MAP_FAMILIES"]

log = logging.getLogger(__name__)

# Feature classes that have voxel maps (shape has none, as in pyradiomics).
MAP_FAMILIES = ("firstorder", "glcm", "glrlm", "glszm", "gldm", "ngtdm")

_EPS = float(np.spacing(1))


def voxel_maps(image, mask, params: str | os.PathLike | Mapping[str, Any] | None = None, *,
               label: int | None = None, roi: str | None = None, grid: str = "roi"
               ) -> dict[str, Volume]:
    """Voxel-based feature maps of one image and mask (pyradiomics' voxel mode).

    Parameters
    ----------
    image : str, path-like, SimpleITK.Image or Volume
        As for :func:`rnpc_radiomics.extract`.
    mask : str, path-like, SimpleITK.Image or Volume
        As for :func:`rnpc_radiomics.extract`.
    params : str, path-like, dict or None
        pyradiomics-schema parameters; ``voxelSetting`` (``kernelRadius``, ``maskedKernel``,
        ``initValue``, ``voxelBatch``) controls the kernel. Shape classes are ignored.
    label : int, optional
        ROI label; overrides ``setting: label``.
    roi : str, optional
        RTSTRUCT ROI / SEG segment name when ``mask`` is such a file.
    grid : {'roi', 'image'}
        ``'roi'`` (default, pyradiomics' grid): maps cover the ROI's bounding box plus
        ``kernelRadius``; ``'image'``: maps cover the whole preprocessed image (more memory).

    Returns
    -------
    dict of str to Volume
        ``{"original_glcm_Contrast": Volume, ...}``, float64 maps in LPS geometry, keys and order
        as pyradiomics' voxel-based ``execute``.

    Raises
    ------
    SettingsError, MaskError, GeometryError, FeatureError, DicomError
        As :func:`rnpc_radiomics.extract`.
    """
    p = load_params(params)
    if label is not None:
        p = p.with_label(label)
    from rnpc_radiomics.extraction import load_inputs

    img, msk = load_inputs(image, mask, p, roi=roi)
    return voxel_maps_volumes(img, msk, p, grid=grid)


def _preprocess(image: Volume, mask: Volume, p: ExtractionParams):
    """The preprocessed image and the feature ROI (resegmented when asked) on its grid, exactly
    as :func:`rnpc_radiomics.extraction.prepare` makes them for ``extract``."""
    from rnpc_radiomics.extraction import prepare

    prep = prepare(image, mask, p)
    roi = np.zeros(prep.image.shape, dtype=bool)
    roi[prep.box] = prep.roi_reseg if prep.roi_reseg is not None else prep.roi
    return prep.image, roi


def voxel_maps_volumes(image: Volume, mask: Volume,
                       params: ExtractionParams | Mapping | None = None, *, grid: str = "roi"
                       ) -> dict[str, Volume]:
    """:func:`voxel_maps` on in-memory volumes. See :func:`voxel_maps`."""
    return dict(iter_voxel_maps(image, mask, params, grid=grid))


def iter_voxel_maps(image: Volume, mask: Volume,
                    params: ExtractionParams | Mapping | None = None, *, grid: str = "roi"
                    ) -> Iterator[tuple[str, Volume]]:
    """Yield ``(key, map)`` one feature at a time (bounded memory for writers).

    Parameters and errors as :func:`voxel_maps`; ``image`` and ``mask`` are Volumes (the mask on,
    or correctable to, the image grid). A class's maps are computed together, so at most one
    class's values (N voxels x its features) plus one map are held at a time.
    """
    from rnpc_radiomics.errors import SettingsError
    from rnpc_radiomics.extraction import _enabled_names
    from rnpc_radiomics.filters import iter_image_types
    from rnpc_radiomics.preprocess import mask as pm

    if grid not in ("roi", "image"):
        raise SettingsError("invalid grid", None, f"expected 'roi' or 'image', got {grid!r}")
    p = params if isinstance(params, ExtractionParams) else load_params(params)
    vs = p.voxel
    R = int(vs.kernelRadius)
    image, roi = _preprocess(image, mask, p)

    bbox = pm.bounding_box(roi)
    crop = tuple(slice(max(lo - R, 0), min(hi + R + 1, n))
                 for (lo, hi), n in zip(bbox, roi.shape))
    roi_c = np.ascontiguousarray(roi[crop])
    centers = np.argwhere(roi_c).astype(np.int64)   # raster order, like numpy.where
    if grid == "roi":
        origin = image.index_to_physical([s.start for s in crop][::-1])
        out_shape = roi_c.shape
        place = tuple(centers.T)
        geom = dict(origin=tuple(float(o) for o in origin))
    else:
        out_shape = roi.shape
        place = tuple((centers + np.array([s.start for s in crop], dtype=np.int64)).T)
        geom = {}

    families = [(fam, req) for fam, req in p.feature_classes.items() if fam in MAP_FAMILIES]
    skipped = [fam for fam in p.feature_classes if fam not in MAP_FAMILIES]
    if skipped:
        log.info("no voxel maps for %s (shape classes are segment-based only)",
                 ", ".join(skipped))

    for prefix, derived, it_settings in iter_image_types(image, roi, p.image_types, p.settings,
                                                         box=crop):
        fs = it_settings.feature_dict()
        img_c = np.ascontiguousarray(derived.array)
        for fam, requested in families:
            names = _enabled_names(fam, requested)
            if not names:
                continue
            values = family_maps(fam, names, img_c, roi_c, centers, fs, R=R,
                                 masked=bool(vs.maskedKernel), spacing_zyx=image.spacing_zyx,
                                 voxel_batch=int(vs.voxelBatch))
            for n in names:
                arr = np.full(out_shape, float(vs.initValue), dtype=np.float64)
                arr[place] = values[n]
                yield f"{prefix}_{fam}_{n}", image.replace(array=arr, units=None, **geom)


# --------------------------------------------------------------------------- per family

def _discretise(img_c, region, fs, dtype=None):
    from rnpc_radiomics.preprocess.discretise import discretise

    a = img_c if dtype is None else img_c.astype(dtype)
    q, _ = discretise(a, region, fs.get("binWidth", 25), fs.get("binCount"))
    return np.ascontiguousarray(q, dtype=np.int32)


def family_maps(family: str, names, img_c: np.ndarray, roi_c: np.ndarray, centers: np.ndarray,
                settings: Mapping[str, Any], *, R: int = 1, masked: bool = True,
                spacing_zyx=(1.0, 1.0, 1.0), voxel_batch: int = -1) -> dict[str, np.ndarray]:
    """Feature values of one class at every ROI voxel of a cropped image.

    Parameters
    ----------
    family : str
        One of :data:`MAP_FAMILIES`.
    names : sequence of str
        Features to return.
    img_c : ndarray of shape (Z, Y, X)
        The (filtered) image cropped to the ROI box plus ``R`` voxels, pyradiomics' voxel grid.
    roi_c : ndarray of bool, shape (Z, Y, X)
        The ROI on that grid.
    centers : ndarray of shape (N, 3), int64
        ROI voxel indices in raster order.
    settings : mapping
        pyradiomics settings of this image type (binWidth, distances, force2D, ...).
    R : int
        kernelRadius.
    masked : bool
        maskedKernel: kernels only see ROI voxels (else every voxel of the crop).
    spacing_zyx : sequence of 3 float
        Voxel spacing, for weightingNorm and TotalEnergy.
    voxel_batch : int
        pyradiomics' voxelBatch (-1: all voxels), which decides which GLCM angles are dropped.

    Returns
    -------
    dict of str to ndarray of shape (N,)
    """
    from rnpc_radiomics.features import glcm, glrlm
    from rnpc_radiomics.features._texture import generate_angles

    from .features._kernels.voxel_common import kernel_capacity, run_parallel

    region = roi_c if masked else np.ones(roi_c.shape, dtype=bool)
    region = np.ascontiguousarray(region)
    f2d = int(settings.get("force2Ddimension", 0) or 0) if settings.get("force2D") else -1
    cap = kernel_capacity(R, f2d)
    N = centers.shape[0]
    force2d = f2d >= 0
    dims = int(settings.get("force2Ddimension", 0) or 0)

    if family == "firstorder":
        from .features._kernels.voxel_firstorder import FIRSTORDER_COLUMNS as cols
        from .features._kernels.voxel_firstorder import voxel_firstorder

        # pyradiomics' voxel-mode first order bins the float64 copy of the image
        img64 = np.ascontiguousarray(img_c, dtype=np.float64)
        q = _discretise(img64, region, settings)
        out = np.empty((N, len(cols)))
        if N:
            Ng = int(q.max())
            shift = float(settings.get("voxelArrayShift", 0) or 0)
            vvol = float(np.prod(spacing_zyx))
            run_parallel(lambda s, e: voxel_firstorder(img64, q, region, centers, R, f2d, Ng,
                                                       shift, vvol, _EPS, cap, s, e, out), N)
        return _pick(family, cols, out, names)

    q = _discretise(img_c, region, settings)
    Ng = int(q.max())
    n_global = int(np.count_nonzero(np.bincount(q[region].ravel())[1:]))
    distances = list(settings.get("distances") or [1])
    norm = settings.get("weightingNorm")

    if family == "glcm":
        from .features._kernels.voxel_glcm import GLCM_COLUMNS as cols
        from .features._kernels.voxel_glcm import voxel_glcm

        ang = generate_angles(distances, force2d, dims)
        w = glcm.angle_weights(ang, spacing_zyx, norm)
        out = np.empty((N, len(cols)))
        bits = np.zeros(N, dtype=np.int64)
        if N:
            sym = bool(settings.get("symmetricalGLCM", True))
            mcc = "MCC" in names
            imc = "Imc1" in names or "Imc2" in names
            run_parallel(lambda s, e: voxel_glcm(q, region, centers, R, f2d, ang, w,
                                                 norm is not None, sym, Ng, n_global, _EPS,
                                                 imc, mcc, cap, s, e, out, bits), N)
            if norm is None and ang.shape[0] > 1:
                _mean_over_kept_angles(out[:, cols.index("JointAverage")], bits, voxel_batch,
                                       "MCC" in names)
        return _pick(family, cols, out, names)

    if family == "glrlm":
        from .features._kernels.voxel_glrlm import GLRLM_COLUMNS as cols
        from .features._kernels.voxel_glrlm import voxel_glrlm

        ang = generate_angles([1], force2d, dims)
        w = glrlm.angle_weights(ang, spacing_zyx, norm)
        out = np.empty((N, len(cols)))
        if N:
            run_parallel(lambda s, e: voxel_glrlm(q, region, centers, R, f2d, ang, w,
                                                  norm is not None, Ng, _EPS, cap, 2 * R + 1,
                                                  s, e, out), N)
        return _pick(family, cols, out, names)

    if family == "glszm":
        from .features._kernels.voxel_glszm import GLSZM_COLUMNS as cols
        from .features._kernels.voxel_glszm import voxel_glszm

        ang = generate_angles([1], force2d, dims, bidirectional=True)
        out = np.empty((N, len(cols)))
        if N:
            run_parallel(lambda s, e: voxel_glszm(q, region, centers, R, f2d, ang, Ng, _EPS,
                                                  cap, s, e, out), N)
        return _pick(family, cols, out, names)

    if family == "gldm":
        from .features._kernels.voxel_gldm import GLDM_COLUMNS as cols
        from .features._kernels.voxel_gldm import voxel_gldm

        ang = generate_angles(distances, force2d, dims, bidirectional=True)
        out = np.empty((N, len(cols)))
        if N:
            alpha = int(settings.get("gldm_a", 0) or 0)
            run_parallel(lambda s, e: voxel_gldm(q, region, centers, R, f2d, ang, alpha, Ng,
                                                 _EPS, cap, s, e, out), N)
        return _pick(family, cols, out, names)

    if family == "ngtdm":
        from .features._kernels.voxel_ngtdm import NGTDM_COLUMNS as cols
        from .features._kernels.voxel_ngtdm import voxel_ngtdm

        ang = generate_angles(distances, force2d, dims, bidirectional=True)
        out = np.empty((N, len(cols)))
        if N:
            run_parallel(lambda s, e: voxel_ngtdm(q, region, centers, R, f2d, ang, Ng, cap,
                                                  s, e, out), N)
        return _pick(family, cols, out, names)

    raise KeyError(f"no voxel maps for feature class {family!r}")


def _pick(family, cols, out, names) -> dict[str, np.ndarray]:
    missing = [n for n in names if n not in cols]
    if missing:
        raise KeyError(f"no voxel map for {family} feature(s) {missing}")
    return {n: out[:, cols.index(n)] for n in names}


def _mean_over_kept_angles(ja: np.ndarray, bits: np.ndarray, voxel_batch: int,
                           mcc: bool) -> None:
    """pyradiomics' plain mean of JointAverage over the angles kept for a batch (in place).

    An angle is kept when some voxel of the batch has a pair along it; a voxel without a pair
    along a kept angle averages a NaN, so its JointAverage is NaN.
    """
    n = bits.shape[0]
    step = n if voxel_batch is None or voxel_batch <= 0 else int(voxel_batch)
    warned = False
    for start in range(0, n, step):
        b = bits[start:start + step]
        kept = np.bitwise_or.reduce(b)
        short = (b & kept) != kept
        if short.any():
            ja[start:start + step][short] = np.nan
            if mcc and not warned:
                log.warning("glcm_MCC: some kernels lack a pair along an angle other kernels "
                            "have; pyradiomics leaves MCC at initValue for their whole batch, "
                            "we give each voxel its MCC over its non-empty angles")
                warned = True
