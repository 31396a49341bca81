"""``extract()``: pyradiomics-compatible features for one image and mask.

The pipeline follows pyradiomics 3.0.1's ``RadiomicsFeatureExtractor.execute`` step by step, so
that the same parameter file gives the same numbers:

1. read image and mask; select the label (clear errors for an empty mask or a missing label);
2. normalise (``normalize``), then resample (``resampledPixelSpacing``) or pre-crop (``preCrop``);
3. check the grid (``correctMask``/``geometryTolerance``) and the ROI (``minimumROIDimensions``,
   ``minimumROISize``) and take its bounding box;
4. resegment (``resegmentRange``), re-check, and take the new bounding box;
5. shape (and shape2D under ``force2D``) on the mask cropped to that box;
6. per image type: crop to the box, discretise once, and compute every enabled class from the
   one discretised array (each texture matrix is built once inside its family). With two or
   more image types these run concurrently, one image type per thread (see
   :func:`_map_image_types`); the output order is pyradiomics' either way.

Keys are ``<imageType>_<class>_<feature>`` (``original_glcm_Contrast``) plus ``diagnostics_*``
entries, in pyradiomics' order.

pyradiomics behaviours kept for parity (each has a test), and reported rather than hidden:

* after resegmentation, shape is computed on the original mask cropped to the *resegmented*
  ROI's bounding box (pyradiomics reuses that box), so part of the ROI can be cut off;
* with an integer image and an integer ``binWidth``, bin edges are computed in the image dtype
  and can wrap around (uint8 above ~205 with binWidth 25); ``diagnostics_Features_Undefined``
  then says so;
* deprecated features whose pyradiomics getter raises (glcm Dissimilarity, Homogeneity1/2,
  SumVariance; gldm GrayLevelNonUniformityNormalized, DependencePercentage) are not output even
  when requested; ``diagnostics_Features_Skipped`` lists them.

Deliberate differences: a mask whose every voxel is labelled is accepted (pyradiomics reports
"nothing is segmented"); a 3D ROI with shape2D enabled under ``force2D`` skips shape2D with a
diagnostic (pyradiomics raises); NaN/inf voxels, an empty mask, a missing label and a too-small
ROI raise :class:`~rnpc_radiomics.errors.InputError` subclasses instead of returning NaN.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np

from rnpc_radiomics.errors import FeatureError
from rnpc_radiomics.image import Volume
from rnpc_radiomics.settings import ExtractionParams, Settings, is_ibsi_params, load_params

__all__ = ["extract", "extract_volumes", "feature_order"]

log = logging.getLogger(__name__)

# Deprecated features that pyradiomics 3.0.1 refuses to output even when asked by name (their
# getters raise DeprecationWarning): we omit them too, for identical columns, and say why.
PYRADIOMICS_OMITTED = {
    ("glcm", "Dissimilarity"): "equals DifferenceAverage",
    ("glcm", "Homogeneity1"): "equals Id",
    ("glcm", "Homogeneity2"): "equals Idm",
    ("glcm", "SumVariance"): "equals ClusterTendency",
    ("gldm", "GrayLevelNonUniformityNormalized"): "equals firstorder Uniformity",
    ("gldm", "DependencePercentage"): "always 1",
}


def extract(image, mask, params: str | os.PathLike | Mapping[str, Any] | None = None, *,
            label: int | None = None, roi: str | None = None) -> dict[str, Any]:
    """Compute pyradiomics-compatible radiomics features for one image and mask.

    Parameters
    ----------
    image : str, path-like, SimpleITK.Image or Volume
        Anything :func:`rnpc_radiomics.io.load_image` reads (NIfTI/NRRD/MHA, DICOM file or
        folder), a ``SimpleITK.Image`` or a :class:`~rnpc_radiomics.image.Volume`.
    mask : str, path-like, SimpleITK.Image or Volume
        Label map, RTSTRUCT (with ``roi``), DICOM-SEG, or an in-memory mask. It must be on the
        image grid unless ``correctMask`` (nearest-neighbour resampling onto the image) or
        ``resampledPixelSpacing`` (the new grid is built from the mask's grid, as pyradiomics
        does; a label-map file then keeps its own grid) is set.
    params : str, path-like, dict or None
        A YAML/JSON parameter file or dict in pyradiomics' schema (``setting``, ``imageType``,
        ``featureClass``, ``voxelSetting``). None: pyradiomics' defaults (binWidth 25, all
        feature classes but shape2D, original image). A file or dict with a top-level ``ibsi``
        section (``params/ibsi_*.yaml``) selects **IBSI mode** instead: IBSI-1 processing and
        features, keyed by the IBSI reference-table tags (see :mod:`rnpc_radiomics.ibsi`).
    label : int, optional
        ROI label; overrides ``setting: label``.
    roi : str, optional
        RTSTRUCT ROI name (or SEG segment) when ``mask`` is such a file.

    Returns
    -------
    dict
        ``{"original_firstorder_Mean": float, ...}``; with ``additionalInfo`` (default) also
        ``diagnostics_*`` entries (strings, numbers and tuples), first, as in pyradiomics.

    Raises
    ------
    SettingsError
        Unknown or invalid parameters.
    MaskError, GeometryError, FeatureError, DicomError
        Unusable inputs: empty mask, missing label, ROI too small, misaligned grids,
        non-finite voxels, unreadable files.
    """
    if is_ibsi_params(params):
        return _extract_ibsi(image, mask, params, label=label, roi=roi)
    p = load_params(params)
    if label is not None:
        p = p.with_label(label)
    img, msk = load_inputs(image, mask, p, roi=roi)
    return extract_volumes(img, msk, p)


def _extract_ibsi(image, mask, params, *, label: int | None, roi: str | None) -> dict[str, Any]:
    """IBSI mode (a parameter file with an ``ibsi:`` section): IBSI-1 features keyed by tag."""
    from rnpc_radiomics.ibsi import extract_ibsi
    from rnpc_radiomics.io import as_volume

    img = as_volume(image)
    kw: dict[str, Any] = {}
    if isinstance(mask, (str, os.PathLike)):
        if roi is not None:
            kw.update(roi=roi, segment=roi)
        if label is not None:
            kw["label"] = label
    msk = as_volume(mask, kind="mask", reference=img, **kw)
    if label is not None and not isinstance(mask, (str, os.PathLike)):
        msk = msk.with_array((msk.array == label).astype(np.uint8))
    config = params["ibsi"] if isinstance(params, Mapping) else params
    return extract_ibsi(img, msk, config)


def load_inputs(image, mask, p: ExtractionParams, *, roi: str | None = None
                ) -> tuple[Volume, Volume]:
    """Image and mask Volumes as :func:`extract` (and voxel maps) read them.

    With resampling a label-map file keeps its own grid (pyradiomics builds the new grid from
    the mask's grid, so there is no nearest-neighbour trip onto the image grid); otherwise
    masks are read onto the image grid (``correctMask``, ``geometryTolerance``, RTSTRUCT ROI /
    SEG segment ``roi``).
    """
    from rnpc_radiomics.errors import GeometryError
    from rnpc_radiomics.io import _is_itk_file, as_volume

    img = as_volume(image)
    if not isinstance(mask, (str, os.PathLike)):
        return img, as_volume(mask, kind="mask", reference=img)
    rs = p.settings.resample
    if (rs.resampledPixelSpacing is not None and rs.interpolator is not None
            and os.path.isfile(mask) and _is_itk_file(os.fspath(mask))):
        from rnpc_radiomics.io.itk import read_itk_image

        return img, read_itk_image(os.fspath(mask))
    mkw: dict[str, Any] = {}
    if roi is not None:
        # One name for both: RTSTRUCT reads ``roi``, DICOM-SEG reads ``segment``.
        mkw["roi"] = roi
        mkw["segment"] = roi
    if p.settings.mask.correctMask:
        mkw["resample"] = True
    if p.settings.mask.geometryTolerance is not None:
        mkw["tolerance"] = p.settings.mask.geometryTolerance
    try:
        msk = as_volume(mask, kind="mask", reference=img, **mkw)
    except GeometryError as exc:
        if exc.path and _is_itk_file(exc.path) and "grids differ" in exc.what:
            raise GeometryError(exc.what, exc.path, exc.why,
                                "set correctMask: true (nearest-neighbour mask resampling) "
                                "or resampledPixelSpacing in the parameter file") from None
        raise
    return img, msk


def feature_order(family: str, names) -> list[str]:
    """pyradiomics' output order of a class's features when all are enabled (by method name)."""
    return sorted(names, key=lambda n: f"get{n}FeatureValue")


def _family_module(family: str):
    return importlib.import_module(f"rnpc_radiomics.features.{family.lower()}")


def _enabled_names(family: str, requested) -> list[str]:
    from rnpc_radiomics.features.registry import family_features

    specs = family_features(family)
    if requested is None:
        return feature_order(family, [f.name for f in specs if f.default])
    deprecated = {f.name for f in specs if not f.default}
    out = []
    for n in requested:
        if (family, n) in PYRADIOMICS_OMITTED:
            continue
        if n in deprecated:
            log.warning("feature %s_%s is deprecated in pyradiomics; computing it as asked",
                        family, n)
        out.append(n)
    return out


# --------------------------------------------------------------------------- diagnostics

def _versions() -> dict[str, Any]:
    from rnpc_radiomics import __version__

    out = {"diagnostics_Versions_rnpc_radiomics": __version__,
           "diagnostics_Versions_Numpy": np.__version__}
    sitk = sys.modules.get("SimpleITK")
    if sitk is not None:
        out["diagnostics_Versions_SimpleITK"] = sitk.Version().VersionString()
    out["diagnostics_Versions_Python"] = "{}.{}.{}".format(*sys.version_info[:3])
    return out


def _image_info(vol: Volume, prefix: str, stats: dict | None = None) -> dict[str, Any]:
    from rnpc_radiomics.preprocess.mask import image_statistics

    k = f"diagnostics_Image-{prefix}_"
    st = stats or image_statistics(vol.array)
    out: dict[str, Any] = {}
    if prefix == "original":
        out[k + "Dimensionality"] = "3D"
    out[k + "Spacing"] = tuple(vol.spacing)
    out[k + "Size"] = tuple(vol.size)
    out[k + "Mean"] = st["mean"]
    out[k + "Minimum"] = st["min"]
    out[k + "Maximum"] = st["max"]
    return out


def _mask_info(vol: Volume, sub: np.ndarray, sl: tuple[slice, ...], prefix: str,
               image: np.ndarray | None) -> dict[str, Any]:
    """pyradiomics' ``addMaskElements`` from the ROI cropped to its box (``sub = roi[sl]``)."""
    from rnpc_radiomics.preprocess.mask import roi_summary

    k = f"diagnostics_Mask-{prefix}_"
    lo = [s.start for s in sl][::-1]
    # one numba pass: voxel count, index sums (centre of mass), 26-connected components
    count, index_sums, n_components = roi_summary(sub)
    out: dict[str, Any] = {
        k + "Spacing": tuple(vol.spacing),
        k + "Size": tuple(vol.size),
        # pyradiomics/ITK order: lower index (x, y, z) then size (x, y, z)
        k + "BoundingBox": tuple(lo) + tuple(sub.shape[::-1]),
        k + "VoxelNum": count,
        k + "VolumeNum": n_components,
    }
    n = max(count, 1)
    com = tuple(float(v) / n + s.start for v, s in zip(index_sums, sl))[::-1]
    out[k + "CenterOfMassIndex"] = com
    out[k + "CenterOfMass"] = tuple(float(v) for v in vol.index_to_physical(np.array(com)))
    if image is not None:
        vals = image[sl][sub].astype(np.float64)
        out[k + "Mean"] = float(np.mean(vals))
        out[k + "Minimum"] = float(vals.min())
        out[k + "Maximum"] = float(vals.max())
    return out


# --------------------------------------------------------------------------- pipeline

class Prepared(NamedTuple):
    """The preprocessed inputs of one extraction (see :func:`prepare`)."""

    image: Volume                  #: normalised / resampled / pre-cropped image
    box: tuple[slice, ...]         #: the ROI's bounding box in ``image``
    roi: np.ndarray                #: ROI (bool) inside ``box``
    roi_reseg: np.ndarray | None   #: resegmented ROI inside ``box`` (None without resegmentation)
    sl: tuple[slice, ...]          #: final crop relative to ``box`` (the resegmented ROI's box)


def prepare(image: Volume, mask: Volume, p: ExtractionParams,
            diag: dict[str, Any] | None = None) -> Prepared:
    """Check, normalise, resample or pre-crop, and resegment, as pyradiomics does.

    Shared by :func:`extract_volumes` and the voxel maps, so the two cannot drift apart. With a
    ``diag`` dict, pyradiomics-style ``diagnostics_*`` entries are added to it on the way.
    """
    from rnpc_radiomics.preprocess import mask as pm
    from rnpc_radiomics.preprocess.normalise import normalise
    from rnpc_radiomics.preprocess.resample import pad_crop, resample
    from rnpc_radiomics.preprocess.resegment import resegment

    s: Settings = p.settings
    label = s.mask.label
    src = mask.provenance.source
    diag_on = diag is not None
    checks = dict(minimum_dimensions=s.mask.minimumROIDimensions,
                  minimum_size=s.mask.minimumROISize, source=src)

    if not image.array.dtype.isnative:  # big-endian file data: same values, native order
        image = image.with_array(image.array.astype(image.array.dtype.newbyteorder("=")))
    # A few whole-volume scans, then everything works on the ROI's bounding box.
    stats = pm.image_statistics(image.array)
    pm.check_finite(image, stats)
    labels = mask.with_array(pm.label_array(mask))
    count, bbox = pm.scan_roi(labels.array, label)
    if count == 0:
        pm.select_label(labels, label)  # raises with the labels present
    if diag_on:
        diag.update(_versions())
        # Filter settings are listed only when a filtered image type uses them.
        from dataclasses import fields as _fields

        filt = set() if set(p.image_types) - {"Original"} else {
            f.name for f in _fields(s.filters)}
        diag["diagnostics_Configuration_Settings"] = {
            k: v for k, v in s.to_dict().items() if k not in filt}
        diag["diagnostics_Configuration_EnabledImageTypes"] = {
            k: dict(v) for k, v in p.image_type_overrides.items()}
        diag.update(_image_info(image, "original", stats))
        sl = pm.crop_slices(bbox, labels.shape)
        diag.update(_mask_info(labels, labels.array[sl] == label, sl, "original", None))

    if s.normalise.normalize:
        image = normalise(image, s.normalise.normalizeScale, s.normalise.removeOutliers)

    tol = s.mask.geometryTolerance
    corrected = False
    if s.resample.resampledPixelSpacing is not None and s.resample.interpolator is not None:
        image, labels = resample(image, labels, label, s.resample.resampledPixelSpacing,
                                 interpolator=s.resample.interpolator,
                                 pad_distance=s.resample.padDistance)
        count, bbox = pm.scan_roi(labels.array, label)
        if diag_on:
            diag.update(_image_info(image, "interpolated"))
            if count:
                sl = pm.crop_slices(bbox, labels.shape)
                diag.update(_mask_info(labels, labels.array[sl] == label, sl, "interpolated",
                                       image.array))
    else:
        if not pm.check_geometry(image, labels, tol):
            if not s.mask.correctMask:
                pm.require_same_geometry(image, labels, tol)
            log.warning("image/mask geometry mismatch: resampling the mask (correctMask)")
            labels = image.with_array(pm.correct_mask(image, labels, labels.array, label),
                                      units="label")
            count, bbox = pm.scan_roi(labels.array, label)
            corrected = True
        if s.mask.preCrop:
            pm.check_bbox(bbox, count, **checks)
            image, labels = pad_crop(image, labels, labels.array == label,
                                     s.resample.padDistance)
            count, bbox = pm.scan_roi(labels.array, label)

    if count == 0:
        raise FeatureError(f"label {label} vanished during preprocessing", src,
                           "no ROI voxel is left after resampling/mask correction",
                           "use a finer resampledPixelSpacing or check the mask")
    pm.check_bbox(bbox, count, **checks)
    box = pm.crop_slices(bbox, labels.shape)      # the ROI's box in the (processed) volume
    roi = labels.array[box] == label              # ROI and image from here on: box crops
    img_box = image.array[box]
    if corrected and diag_on:
        diag.update(_mask_info(labels, roi, box, "corrected", image.array))

    roi_reseg = None
    sl = tuple(slice(0, n) for n in roi.shape)    # final crop, relative to the box
    if s.resegment.resegmentRange is not None:
        roi_reseg = resegment(img_box, roi, s.resegment.resegmentRange,
                              s.resegment.resegmentMode, source=src)
        rbbox = pm.bounding_box(roi_reseg)
        pm.check_bbox(rbbox, int(np.count_nonzero(roi_reseg)), what="resegmented ROI",
                      **checks)
        sl = pm.crop_slices(rbbox, roi.shape)
        if diag_on:
            abs_sl = tuple(slice(b.start + r.start, b.start + r.stop) for b, r in zip(box, sl))
            diag.update(_mask_info(labels, roi_reseg[sl], abs_sl, "resegmented", image.array))
    return Prepared(image, box, roi, roi_reseg, sl)


def extract_volumes(image: Volume, mask: Volume, params: ExtractionParams | Mapping | None = None
                    ) -> dict[str, Any]:
    """:func:`extract` on in-memory volumes (the mask must be on, or be correctable to, the
    image grid). See :func:`extract` for parameters and errors."""
    p = params if isinstance(params, ExtractionParams) else load_params(params)
    s: Settings = p.settings
    diag_on = s.features.additionalInfo
    diag: dict[str, Any] = {}
    image, box, roi, roi_reseg, sl = prepare(image, mask, p, diag if diag_on else None)

    out: dict[str, Any] = {}
    undefined: list[str] = []
    skipped: list[str] = []
    spacing_zyx = image.spacing_zyx

    # Shape. Like pyradiomics, the shape mask is cropped to the *current* bounding box, which
    # after resegmentation is the resegmented ROI's box (even when resegmentShape is False).
    shape_roi = roi_reseg if (roi_reseg is not None and s.resegment.resegmentShape) else roi
    shape_mask = np.ascontiguousarray(shape_roi[sl])
    fsettings = s.feature_dict()
    for fam in ("shape", "shape2D"):
        if fam not in p.feature_classes:
            continue
        if fam == "shape2D":
            d = s.features.force2Ddimension
            size_xyz = list(shape_mask.shape[::-1])
            if not s.features.force2D:
                skipped.append("original_shape2D (force2D is false)")
                continue
            if size_xyz[d] <= 1 or shape_mask.shape[d] > 1:
                # pyradiomics skips the first case and raises in the second; both mean the ROI
                # is not a single slice normal to force2Ddimension.
                skipped.append(f"original_shape2D (ROI is not one slice along axis {d})")
                continue
        names = _enabled_names(fam, p.feature_classes[fam])
        if not names:
            continue
        vals = _family_module(fam).compute(None, shape_mask, spacing_zyx=spacing_zyx,
                                           settings=fsettings, names=names)
        _store(out, "original", fam, names, vals, undefined)

    for fam, requested in p.feature_classes.items():
        for n in requested or ():
            if (fam, n) in PYRADIOMICS_OMITTED:
                skipped.append(f"{fam}_{n} (deprecated, {PYRADIOMICS_OMITTED[fam, n]}; "
                               "pyradiomics does not output it)")

    texture_roi = roi_reseg if roi_reseg is not None else roi
    m = np.ascontiguousarray(texture_roi[sl])
    from rnpc_radiomics.filters import iter_image_types

    # Filters see the whole preprocessed image, as in pyradiomics, and return the ROI's box.
    roi_full = np.zeros(image.shape, dtype=bool)
    roi_full[box] = texture_roi
    derived_types = iter_image_types(image, roi_full, p.image_types, s, box=box)
    for part_out, part_undefined in _map_image_types(
            lambda it: _image_type_features(*it, sl, m, p, spacing_zyx), derived_types,
            _several_image_types(p)):
        out.update(part_out)
        undefined += part_undefined

    for u in undefined:
        log.info("feature undefined for this input, conventional value used: %s", u)
    if diag_on:
        diag["diagnostics_Features_Undefined"] = "; ".join(undefined)
        diag["diagnostics_Features_Skipped"] = "; ".join(skipped)
        return {**diag, **out}
    return out


def _image_type_features(prefix: str, derived: Volume, it_settings, sl, m: np.ndarray,
                         p: ExtractionParams, spacing_zyx) -> tuple[dict, list[str]]:
    """Every enabled non-shape class of one derived image: ``(features, undefined notes)``."""
    from rnpc_radiomics.features._texture import share
    from rnpc_radiomics.preprocess.discretise import discretise, pyradiomics_overflow

    out: dict[str, Any] = {}
    undefined: list[str] = []
    img_c = np.ascontiguousarray(derived.array[sl])
    fs = it_settings.feature_dict()
    q = None
    n_levels = 0
    for fam, requested in p.feature_classes.items():
        if fam.startswith("shape"):
            continue
        names = _enabled_names(fam, requested)
        if not names:
            continue
        if q is None:
            # one discretisation per image type, shared by every class
            q, _edges = discretise(img_c, m, it_settings.discretise.binWidth,
                                   it_settings.discretise.binCount)
            share(q, m)  # the texture classes build their label image once for this q
            n_levels = int(np.count_nonzero(np.bincount(q[m])))
            # only integer images can overflow: skip the ROI gather for float ones
            if img_c.dtype.kind in "iu" and pyradiomics_overflow(
                    img_c[m], it_settings.discretise.binWidth, it_settings.discretise.binCount):
                msg = (f"{prefix}_* discretised features (pyradiomics' {img_c.dtype} "
                       "bin-edge overflow reproduced; cast the image to float32 or use a "
                       "float binWidth for true bins)")
                log.warning("%s", msg)
                undefined.append(msg)
        mod = _family_module(fam)
        if fam == "firstorder":
            vals = mod.compute(q, m, spacing_zyx=spacing_zyx, settings=fs, names=names,
                               image=img_c)
            undefined += [f"{prefix}_firstorder_{n} (flat ROI)"
                          for n in mod.undefined(img_c, m) if n in names]
        else:
            vals = mod.compute(q, m, spacing_zyx=spacing_zyx, settings=fs, names=names)
            if n_levels == 1:
                undefined.append(f"{prefix}_{fam}_* (single grey level after discretisation)")
        _store(out, prefix, fam, names, vals, undefined)
    return out, undefined


def _concurrent_workers() -> int:
    """How many image types to compute at once: numba's thread count when its threading layer
    may be entered from several threads at once (OpenMP or TBB; the fallback 'workqueue'
    layer aborts the process on concurrent use), else 1. ``numba.set_num_threads(1)`` (or
    ``NUMBA_NUM_THREADS=1``) makes extraction sequential and single-threaded."""
    import numba

    n = numba.get_num_threads()
    if n < 2:
        return 1
    from rnpc_radiomics.features._kernels._texture import threading_layer

    return n if threading_layer() in ("omp", "tbb") else 1


def _several_image_types(p: ExtractionParams) -> bool:
    """Whether the parameters derive two or more images (known before any filter runs)."""
    if len(p.image_types) != 1:
        return len(p.image_types) > 1
    (name, st), = p.image_types.items()
    if name == "LoG":
        return len(st.filters.sigma or ()) > 1
    return name in ("Wavelet", "LBP3D")


def _map_image_types(fn, items, several: bool = True):
    """``fn`` of every derived image, results in order.

    With ``several`` image types (two or more derived images) and a thread-safe numba
    threading layer, image types are computed concurrently, one per thread, each thread's
    kernels on one numba thread (the kernels release the GIL), while this thread goes on
    computing the next filters: a texture kernel on one image type scales worse over threads
    than whole image types do, and the NumPy formulas of one overlap the kernels of another.
    Otherwise they are computed one after another, each kernel on every numba thread. The
    values are the same either way (counts are whole numbers; floating sums may differ in the
    last bit where a kernel sums by chunk).
    """
    workers = _concurrent_workers() if several else 1
    if workers == 1:
        for it in items:
            yield fn(it)
        return
    import collections
    from concurrent.futures import ThreadPoolExecutor

    import numba

    with ThreadPoolExecutor(max_workers=workers, initializer=numba.set_num_threads,
                            initargs=(1,), thread_name_prefix="rnpc-image-type") as pool:
        pending: collections.deque = collections.deque()
        try:
            for it in items:
                pending.append(pool.submit(fn, it))
                # bounded look-ahead: a few derived images in memory, not every image type's
                while len(pending) > workers + 1:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for f in pending:
                f.cancel()


def _store(out: dict, prefix: str, family: str, names, vals: Mapping[str, float],
           undefined: list[str]) -> None:
    missing = [n for n in names if n not in vals]
    if missing:
        raise RuntimeError(f"feature family {family} did not return {missing}")
    for n in names:
        v = float(vals[n])
        key = f"{prefix}_{family}_{n}"
        if not np.isfinite(v):
            undefined.append(f"{key} (non-finite value)")
        out[key] = v
