"""Extraction settings in pyradiomics' parameter-file schema, validated once, typed per stage.

A parameter file (YAML or JSON) or dict has the four top-level sections pyradiomics 3.0.1 reads::

    setting:      {binWidth: 25, label: 1, resampledPixelSpacing: [1, 1, 1], ...}
    imageType:    {Original: {}}            # per-image-type setting overrides
    featureClass: {firstorder: [], glcm: [Contrast, Correlation]}
    voxelSetting: {kernelRadius: 1, ...}

Every setting name is pyradiomics' own (``binWidth``, ``resegmentRange``, ``force2D``...), and each
belongs to exactly one processing stage, a frozen dataclass whose defaults are written once here:

=====================  ===============================================================
:class:`MaskSettings`        label, label_channel, minimumROIDimensions, minimumROISize,
                             geometryTolerance, correctMask, preCrop
:class:`NormaliseSettings`   normalize, normalizeScale, removeOutliers
:class:`ResampleSettings`    resampledPixelSpacing, interpolator, padDistance
:class:`ResegmentSettings`   resegmentRange, resegmentMode, resegmentShape
:class:`DiscretiseSettings`  binWidth, binCount
:class:`FeatureSettings`     voxelArrayShift, distances, symmetricalGLCM, weightingNorm, gldm_a,
                             force2D, force2Ddimension, additionalInfo
:class:`FilterSettings`      sigma, wavelet, level, ... (read by :mod:`rnpc_radiomics.filters`)
:class:`VoxelSettings`       kernelRadius, maskedKernel, initValue, voxelBatch (voxel maps, later)
=====================  ===============================================================

Unknown keys and bad values raise :class:`~rnpc_radiomics.errors.SettingsError` saying what was
expected, what was received and, for misspelt names, which name was probably meant.
"""

from __future__ import annotations

import difflib
import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any

from rnpc_radiomics.errors import SettingsError

__all__ = [
    "MaskSettings",
    "NormaliseSettings",
    "ResampleSettings",
    "ResegmentSettings",
    "DiscretiseSettings",
    "FeatureSettings",
    "FilterSettings",
    "VoxelSettings",
    "Settings",
    "ExtractionParams",
    "load_params",
    "parse_params",
    "IMAGE_TYPES",
    "SUPPORTED_IMAGE_TYPES",
    "INTERPOLATORS",
    "WEIGHTING_NORMS",
    "RESEGMENT_MODES",
]

# pyradiomics' image types. SUPPORTED_IMAGE_TYPES are those computed (rnpc_radiomics.filters);
# a recognised but unsupported type gets a "not yet supported" error rather than "unknown".
IMAGE_TYPES = ("Original", "Wavelet", "LoG", "Square", "SquareRoot", "Logarithm", "Exponential",
               "Gradient", "LBP2D", "LBP3D")
SUPPORTED_IMAGE_TYPES = IMAGE_TYPES
INTERPOLATORS = ("sitkNearestNeighbor", "sitkLinear", "sitkBSpline", "sitkGaussian",
                 "sitkLabelGaussian", "sitkHammingWindowedSinc", "sitkCosineWindowedSinc",
                 "sitkWelchWindowedSinc", "sitkLanczosWindowedSinc", "sitkBlackmanWindowedSinc")
WEIGHTING_NORMS = ("euclidean", "manhattan", "infinity", "no_weighting")
RESEGMENT_MODES = ("absolute", "relative", "sigma")
_WAVELETS_HINT = "a PyWavelets name such as 'coif1', 'haar', 'db2'"
_LBP2D_METHODS = ("default", "ror", "uniform", "var")
_SECTIONS = ("setting", "imageType", "featureClass", "voxelSetting")


# --------------------------------------------------------------------------- value checkers
# Each checker takes (name, value) and returns the normalised value or raises SettingsError.
# The rules follow pyradiomics' paramSchema.yaml (types and ranges) so that a file pyradiomics
# accepts is accepted here and means the same.

def _bad(name: str, expected: str, value: Any, hint: str = "") -> SettingsError:
    return SettingsError(f"invalid setting '{name}'", None,
                         f"expected {expected}, got {value!r}", hint)


def _is_int(v) -> bool:
    import numbers

    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def _is_real(v) -> bool:
    import numbers

    return isinstance(v, numbers.Real) and not isinstance(v, bool)


def _int(lo=None, hi=None, lo_ex=False, optional=False):
    def check(name, v):
        if v is None and optional:
            return None
        if _is_real(v) and not _is_int(v) and float(v).is_integer():
            v = int(v)
        if not _is_int(v):
            return _raise(_bad(name, "an integer" + _range_txt(lo, hi, lo_ex), v))
        v = int(v)
        if (lo is not None and (v <= lo if lo_ex else v < lo)) or (hi is not None and v > hi):
            return _raise(_bad(name, "an integer" + _range_txt(lo, hi, lo_ex), v))
        return v
    return check


def _real(lo=None, lo_ex=False, optional=False, keep_int=False):
    def check(name, v):
        if v is None and optional:
            return None
        if not _is_real(v) or not math.isfinite(float(v)):
            return _raise(_bad(name, "a finite number" + _range_txt(lo, None, lo_ex), v))
        if lo is not None and (v <= lo if lo_ex else v < lo):
            return _raise(_bad(name, "a number" + _range_txt(lo, None, lo_ex), v))
        # binWidth keeps an int as int: pyradiomics' bin-edge arithmetic follows the Python
        # type (int16 % 25 stays int16, int16 % 25.0 becomes float64), and parity needs that.
        if keep_int and _is_int(v):
            return int(v)
        return float(v)
    return check


def _bool(name, v):
    import numpy as np

    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    return _raise(_bad(name, "true or false", v))


def _enum(options, optional=False):
    def check(name, v):
        if v is None and optional:
            return None
        if isinstance(v, str) and v in options:
            return v
        hint = _did_you_mean(v, options) if isinstance(v, str) else ""
        return _raise(_bad(name, "one of " + ", ".join(options), v, hint))
    return check


def _seq(item, min_len=1, max_len=None, optional=False):
    def check(name, v):
        if v is None and optional:
            return None
        if isinstance(v, (str, bytes)) or not isinstance(v, Sequence) and not _is_array(v):
            return _raise(_bad(name, "a list", v, f"write it as a list, e.g. {name}: [{v}]"
                               if _is_real(v) else ""))
        v = list(v)
        if len(v) < min_len or (max_len is not None and len(v) > max_len):
            n = f"{min_len}" if max_len == min_len else (
                f"{min_len} to {max_len}" if max_len else f"at least {min_len}")
            return _raise(_bad(name, f"a list of {n} values", v))
        return tuple(item(f"{name}[{i}]", x) for i, x in enumerate(v))
    return check


def _is_array(v) -> bool:
    import numpy as np

    return isinstance(v, np.ndarray)


def _interpolator(name, v):
    if v is None:
        return None  # pyradiomics: no interpolator means no resampling
    if _is_int(v):
        if 1 <= v <= 10:
            return int(v)
        return _raise(_bad(name, "a SimpleITK interpolator name or an integer 1-10", v))
    return _enum(INTERPOLATORS)(name, v)


def _wavelet(name, v):
    if isinstance(v, str) and v:
        return v
    return _raise(_bad(name, _WAVELETS_HINT, v))


def _raise(exc):
    raise exc


def _range_txt(lo, hi, lo_ex) -> str:
    if lo is None and hi is None:
        return ""
    if hi is None:
        return f" {'>' if lo_ex else '>='} {lo}"
    if lo is None:
        return f" <= {hi}"
    return f" in [{lo}, {hi}]"


def _did_you_mean(word: str, options) -> str:
    close = difflib.get_close_matches(str(word), list(options), n=1, cutoff=0.6)
    if not close:
        # Case slips (bincount, Binwidth) are the commonest typo in parameter files.
        low = {o.lower(): o for o in options}
        if str(word).lower() in low:
            close = [low[str(word).lower()]]
    return f"did you mean '{close[0]}'" if close else ""


def _check(checker):
    """Dataclass field metadata: the checker that validates a raw value for this field."""
    return {"check": checker}


# --------------------------------------------------------------------------- stage dataclasses

@dataclass(frozen=True)
class MaskSettings:
    """Which ROI, and when it is too small or misaligned to use (pyradiomics ``checkMask``).

    Attributes
    ----------
    label : int
        Mask value of the ROI.
    label_channel : int
        Channel of a multi-component mask (kept for schema compatibility).
    minimumROIDimensions : int
        1-3: the ROI must span more than one voxel in at least this many axes.
    minimumROISize : int or None
        The ROI needs more than this many voxels (pyradiomics tests ``size <= minimumROISize``).
    geometryTolerance : float or None
        Tolerance for image/mask grid agreement (ITK's: relative to the first spacing for
        origin/spacing, absolute for direction cosines). None keeps ITK's default, 1e-6.
    correctMask : bool
        Resample a mask on another grid onto the image grid (nearest neighbour) when its ROI
        lies within the image.
    preCrop : bool
        Crop image and mask to the ROI (plus padDistance) before processing, to save memory.
    """

    label: int = field(default=1, metadata=_check(_int(lo=0, lo_ex=True)))
    label_channel: int = field(default=0, metadata=_check(_int(lo=0)))
    minimumROIDimensions: int = field(default=2, metadata=_check(_int(lo=1, hi=3)))
    minimumROISize: int | None = field(default=None,
                                       metadata=_check(_int(lo=0, lo_ex=True, optional=True)))
    geometryTolerance: float | None = field(default=None,
                                            metadata=_check(_real(lo=0, lo_ex=True,
                                                                  optional=True)))
    correctMask: bool = field(default=False, metadata=_check(_bool))
    preCrop: bool = field(default=False, metadata=_check(_bool))


@dataclass(frozen=True)
class NormaliseSettings:
    """Whole-image z-score normalisation (pyradiomics ``normalizeImage``).

    Attributes
    ----------
    normalize : bool
        ``(x - mean) / sd`` over every voxel of the image (not just the ROI).
    normalizeScale : float
        Multiplier applied after normalisation (e.g. 100 to keep binWidth-sized numbers).
    removeOutliers : float or None
        Clip normalised values to ``[-n, n]`` standard deviations before scaling.
    """

    normalize: bool = field(default=False, metadata=_check(_bool))
    normalizeScale: float = field(default=1.0, metadata=_check(_real(lo=0, lo_ex=True)))
    removeOutliers: float | None = field(default=None,
                                         metadata=_check(_real(lo=0, lo_ex=True, optional=True)))


@dataclass(frozen=True)
class ResampleSettings:
    """Resampling to a new voxel spacing (pyradiomics ``resampleImage``).

    Attributes
    ----------
    resampledPixelSpacing : tuple of 3 float or None
        New spacing ``(x, y, z)`` in mm; 0 keeps that axis' spacing. None: no resampling.
    interpolator : str or int
        SimpleITK interpolator for the image (the mask always uses nearest neighbour).
    padDistance : int
        Voxels of margin kept around the ROI when resampling / pre-cropping.
    """

    resampledPixelSpacing: tuple[float, ...] | None = field(
        default=None, metadata=_check(_seq(_real(lo=0), 3, 3, optional=True)))
    interpolator: str | int | None = field(default="sitkBSpline",
                                           metadata=_check(_interpolator))
    padDistance: int = field(default=5, metadata=_check(_int(lo=0)))


@dataclass(frozen=True)
class ResegmentSettings:
    """Intensity resegmentation of the ROI (pyradiomics ``resegmentMask``).

    Attributes
    ----------
    resegmentRange : tuple of 1 or 2 float or None
        Keep voxels ``>= lower`` (and ``<= upper``). None: no resegmentation.
    resegmentMode : {'absolute', 'relative', 'sigma'}
        Thresholds are values, fractions of the ROI maximum, or SDs from the ROI mean.
    resegmentShape : bool
        Use the resegmented mask for shape features too (pyradiomics' default: False).
    """

    resegmentRange: tuple[float, ...] | None = field(
        default=None, metadata=_check(_seq(_real(), 1, 2, optional=True)))
    resegmentMode: str = field(default="absolute", metadata=_check(_enum(RESEGMENT_MODES)))
    resegmentShape: bool = field(default=False, metadata=_check(_bool))


@dataclass(frozen=True)
class DiscretiseSettings:
    """Grey-level discretisation (pyradiomics ``getBinEdges``/``binImage``).

    Attributes
    ----------
    binWidth : float
        Fixed bin width, bins aligned on multiples of the width. Ignored when binCount is set.
    binCount : int or None
        Fixed number of bins between the ROI minimum and maximum.
    """

    binWidth: float = field(default=25, metadata=_check(_real(lo=0, lo_ex=True, keep_int=True)))
    binCount: int | None = field(default=None,
                                 metadata=_check(_int(lo=0, lo_ex=True, optional=True)))


@dataclass(frozen=True)
class FeatureSettings:
    """Settings read by the feature classes.

    Attributes
    ----------
    voxelArrayShift : int
        Added to intensities in first-order Energy, TotalEnergy and RootMeanSquared.
    distances : tuple of int
        Neighbour distances (infinity norm) for GLCM/GLRLM-type matrices.
    symmetricalGLCM : bool
        Count each GLCM pair in both directions.
    weightingNorm : str or None
        Weight GLCM/GLRLM angles by distance (``euclidean``, ``manhattan``, ``infinity``,
        ``no_weighting``) or average them (None).
    gldm_a : int
        GLDM dependence cut-off alpha.
    force2D : bool
        Texture by slice (2D angles only) and enables shape2D.
    force2Ddimension : int
        Axis (0=z, 1=y, 2=x in array order) that is the slice normal under force2D.
    additionalInfo : bool
        Add ``diagnostics_*`` entries to the result.
    """

    voxelArrayShift: int = field(default=0, metadata=_check(_int()))
    distances: tuple[int, ...] = field(default=(1,), metadata=_check(_seq(_int(lo=0, lo_ex=True))))
    symmetricalGLCM: bool = field(default=True, metadata=_check(_bool))
    weightingNorm: str | None = field(default=None,
                                      metadata=_check(_enum(WEIGHTING_NORMS, optional=True)))
    gldm_a: int = field(default=0, metadata=_check(_int(lo=0)))
    force2D: bool = field(default=False, metadata=_check(_bool))
    force2Ddimension: int = field(default=0, metadata=_check(_int(lo=0, hi=2)))
    additionalInfo: bool = field(default=True, metadata=_check(_bool))


@dataclass(frozen=True)
class FilterSettings:
    """Settings of image filters (LoG, wavelet, LBP, gradient), read by
    :mod:`rnpc_radiomics.filters` for the enabled image types."""

    sigma: tuple[float, ...] | None = field(
        # keep_int: pyradiomics names the image type from str(sigma) ("log-sigma-2-mm-3D")
        default=None, metadata=_check(_seq(_real(lo=0, lo_ex=True, keep_int=True),
                                           optional=True)))
    start_level: int = field(default=0, metadata=_check(_int(lo=0)))
    level: int = field(default=1, metadata=_check(_int(lo=0, lo_ex=True)))
    wavelet: str = field(default="coif1", metadata=_check(_wavelet))
    gradientUseSpacing: bool = field(default=True, metadata=_check(_bool))
    lbp2DRadius: float = field(default=1.0, metadata=_check(_real(lo=0, lo_ex=True)))
    # 8, not the 9 of pyradiomics' docstring: getLBP2DImage's code default is what it computes
    lbp2DSamples: int = field(default=8, metadata=_check(_int(lo=1)))
    lbp2DMethod: str = field(default="uniform", metadata=_check(_enum(_LBP2D_METHODS)))
    lbp3DLevels: int = field(default=2, metadata=_check(_int(lo=1)))
    lbp3DIcosphereRadius: float = field(default=1.0, metadata=_check(_real(lo=0, lo_ex=True)))
    lbp3DIcosphereSubdivision: int = field(default=1, metadata=_check(_int(lo=0)))


@dataclass(frozen=True)
class VoxelSettings:
    """Voxel-based (feature map) settings, read by :mod:`rnpc_radiomics.maps`.

    Attributes
    ----------
    kernelRadius : int
        Kernel half-size in voxels (a cube of side 2r + 1, a square under force2D).
    maskedKernel : bool
        Kernels see ROI voxels only (else every voxel of the ROI's box plus the radius).
    initValue : float
        Value of map voxels outside the ROI (NaN allowed).
    voxelBatch : int
        pyradiomics' batch size (-1: all voxels at once); it decides which GLCM angles are kept.
    """

    kernelRadius: int = field(default=1, metadata=_check(_int(lo=0, lo_ex=True)))
    maskedKernel: bool = field(default=True, metadata=_check(_bool))
    # NaN is allowed (as in pyradiomics): maps that are NaN outside the ROI overlay cleanly.
    initValue: float = field(default=0.0, metadata=_check(
        lambda name, v: float("nan") if _is_real(v) and math.isnan(float(v)) else _real()(name, v)))
    voxelBatch: int = field(default=-1, metadata=_check(_int()))


_STAGES = {
    "mask": MaskSettings,
    "normalise": NormaliseSettings,
    "resample": ResampleSettings,
    "resegment": ResegmentSettings,
    "discretise": DiscretiseSettings,
    "features": FeatureSettings,
    "filters": FilterSettings,
}

# setting name -> stage attribute; built from the dataclasses so names are written once.
_SETTING_STAGE = {f.name: stage for stage, cls in _STAGES.items() for f in fields(cls)}
_VOXEL_KEYS = {f.name for f in fields(VoxelSettings)}
# Resampling and padding happen before image types branch, so pyradiomics ignores them per
# image type; we reject them there rather than silently ignoring them.
_NOT_PER_IMAGE_TYPE = ("resampledPixelSpacing", "interpolator", "padDistance", "normalize",
                       "normalizeScale", "removeOutliers", "label", "label_channel",
                       "correctMask", "geometryTolerance", "preCrop", "resegmentRange",
                       "resegmentMode", "resegmentShape", "minimumROIDimensions",
                       "minimumROISize")


def _fields_of(cls):
    return {f.name: f for f in fields(cls)}


@dataclass(frozen=True)
class Settings:
    """All processing settings, one frozen dataclass per stage.

    Build with :meth:`from_dict` (pyradiomics ``setting:`` names) and read back the flat
    pyradiomics dictionary with :meth:`to_dict`.
    """

    mask: MaskSettings = field(default_factory=MaskSettings)
    normalise: NormaliseSettings = field(default_factory=NormaliseSettings)
    resample: ResampleSettings = field(default_factory=ResampleSettings)
    resegment: ResegmentSettings = field(default_factory=ResegmentSettings)
    discretise: DiscretiseSettings = field(default_factory=DiscretiseSettings)
    features: FeatureSettings = field(default_factory=FeatureSettings)
    filters: FilterSettings = field(default_factory=FilterSettings)

    @classmethod
    def from_dict(cls, values: Mapping[str, Any] | None, *, section: str = "setting",
                  base: Settings | None = None) -> Settings:
        """Validate pyradiomics setting names/values and return new Settings.

        Parameters
        ----------
        values : mapping
            ``{pyradiomics_setting_name: value}``.
        section : str
            Where the values came from, for error messages.
        base : Settings, optional
            Settings to update (defaults when None).

        Raises
        ------
        SettingsError
            Unknown name (with a suggestion) or invalid value.
        """
        base = base or cls()
        if values is None:
            return base
        if not isinstance(values, Mapping):
            raise SettingsError(f"invalid '{section}' section", None,
                                f"expected a mapping of setting names to values, got {values!r}")
        per_stage: dict[str, dict[str, Any]] = {}
        for key, raw in values.items():
            stage = _SETTING_STAGE.get(key)
            if stage is None:
                if key in _VOXEL_KEYS:
                    raise SettingsError(f"setting '{key}' is in the wrong section", None,
                                        f"'{key}' belongs under 'voxelSetting', found in "
                                        f"'{section}'", "move it to voxelSetting")
                hint = _did_you_mean(key, list(_SETTING_STAGE) + list(_VOXEL_KEYS))
                raise SettingsError(f"unknown setting '{key}'", None,
                                    f"'{section}' accepts pyradiomics setting names",
                                    hint or "see params/pyradiomics_default.yaml for the names")
            f = _fields_of(_STAGES[stage])[key]
            per_stage.setdefault(stage, {})[key] = f.metadata["check"](key, raw)
        changes = {stage: replace(getattr(base, stage), **vals)
                   for stage, vals in per_stage.items()}
        return replace(base, **changes)

    def to_dict(self) -> dict[str, Any]:
        """The flat pyradiomics settings dictionary (every setting, sequences as lists)."""
        out: dict[str, Any] = {}
        for stage in _STAGES:
            obj = getattr(self, stage)
            for f in fields(obj):
                v = getattr(obj, f.name)
                out[f.name] = list(v) if isinstance(v, tuple) else v
        return out

    def feature_dict(self) -> dict[str, Any]:
        """The plain settings dict handed to feature-family ``compute`` functions."""
        d = self.to_dict()
        d["distances"] = list(self.features.distances)
        return d


@dataclass(frozen=True)
class ExtractionParams:
    """A parsed, validated parameter file.

    Attributes
    ----------
    settings : Settings
        The ``setting:`` section over the defaults.
    image_types : dict of str to Settings
        Enabled image types, each with its settings (global settings plus its overrides).
    image_type_overrides : dict of str to dict
        The raw per-image-type overrides, as given (for diagnostics).
    feature_classes : dict of str to tuple of str or None
        Enabled feature classes; None means "the class' default features".
    voxel : VoxelSettings
        The ``voxelSetting:`` section.
    source : str or None
        Where the parameters came from.
    """

    settings: Settings = field(default_factory=Settings)
    image_types: dict[str, Settings] = field(default_factory=lambda: {"Original": Settings()})
    image_type_overrides: dict[str, dict[str, Any]] = field(
        default_factory=lambda: {"Original": {}})
    feature_classes: dict[str, tuple[str, ...] | None] = field(default_factory=dict)
    voxel: VoxelSettings = field(default_factory=VoxelSettings)
    source: str | None = None

    def with_label(self, label: int) -> ExtractionParams:
        """A copy whose ROI label is ``label`` (in every image type)."""
        upd = {"label": label}
        s = Settings.from_dict(upd, section="label", base=self.settings)
        its = {k: Settings.from_dict(upd, section="label", base=v)
               for k, v in self.image_types.items()}
        return replace(self, settings=s, image_types=its)


# pyradiomics' class order (its module order), which is also its output order by default.
CLASS_ORDER = ("firstorder", "glcm", "gldm", "glrlm", "glszm", "ngtdm", "shape", "shape2D")


def _default_feature_classes(include_shape2d: bool) -> dict[str, tuple[str, ...] | None]:
    # pyradiomics enables shape2D only when a params file/dict is given (its no-argument
    # constructor skips it); shape2D is then still computed only under force2D.
    return {fam: None for fam in CLASS_ORDER if include_shape2d or fam != "shape2D"}


def _parse_feature_classes(raw) -> dict[str, tuple[str, ...] | None]:
    from rnpc_radiomics.features.registry import FAMILIES, family_features

    if not raw:
        return _default_feature_classes(include_shape2d=True)
    if not isinstance(raw, Mapping):
        raise SettingsError("invalid 'featureClass' section", None,
                            f"expected a mapping of feature class to feature list, got {raw!r}")
    out: dict[str, tuple[str, ...] | None] = {}
    for cls_name, names in raw.items():
        if cls_name not in FAMILIES:
            raise SettingsError(f"unknown feature class '{cls_name}'", None,
                                f"expected one of {', '.join(FAMILIES)}",
                                _did_you_mean(cls_name, FAMILIES))
        if names is None or (isinstance(names, (list, tuple)) and len(names) == 0):
            # pyradiomics: None or [] both mean "all (non-deprecated) features of the class".
            out[cls_name] = None
            continue
        if isinstance(names, str) or not isinstance(names, (list, tuple)):
            raise SettingsError(f"invalid feature list for class '{cls_name}'", None,
                                f"expected a list of feature names (or nothing for all), "
                                f"got {names!r}", f"write e.g. {cls_name}: [{names}]")
        known = [f.name for f in family_features(cls_name)]
        for n in names:
            if n not in known:
                raise SettingsError(f"unknown feature '{n}' in class '{cls_name}'", None,
                                    f"{cls_name} has {', '.join(known)}",
                                    _did_you_mean(n, known))
        out[cls_name] = tuple(dict.fromkeys(names))
    return out


def parse_params(params: Mapping[str, Any] | None, *, source: str | None = None
                 ) -> ExtractionParams:
    """Validate a pyradiomics-schema parameter dict.

    Parameters
    ----------
    params : mapping or None
        ``{"setting": ..., "imageType": ..., "featureClass": ..., "voxelSetting": ...}``;
        None gives pyradiomics' defaults (all classes except shape2D, Original image only).
    source : str, optional
        File the dict was read from, for messages.

    Returns
    -------
    ExtractionParams

    Raises
    ------
    SettingsError
        Unknown section/setting/class/feature/image type, or an invalid value.
    """
    try:
        return _parse_params(params, source)
    except SettingsError as exc:
        if source and not exc.path:
            raise type(exc)(exc.what, source, exc.why, exc.hint) from None
        raise


def _parse_params(params, source) -> ExtractionParams:
    if params is None:
        return ExtractionParams(feature_classes=_default_feature_classes(include_shape2d=False),
                                source=source)
    if not isinstance(params, Mapping):
        raise SettingsError("invalid parameters", None,
                            f"expected a mapping with sections {', '.join(_SECTIONS)}, "
                            f"got {type(params).__name__}")
    for key in params:
        if key not in _SECTIONS:
            hint = _did_you_mean(key, _SECTIONS)
            if not hint and key in _SETTING_STAGE:
                hint = f"put '{key}' under 'setting:'"
            raise SettingsError(f"unknown parameter section '{key}'", None,
                                f"expected {', '.join(_SECTIONS)}", hint)
    settings = Settings.from_dict(params.get("setting") or {}, section="setting")

    voxel_raw = params.get("voxelSetting") or {}
    if not isinstance(voxel_raw, Mapping):
        raise SettingsError("invalid 'voxelSetting' section", None,
                            f"expected a mapping, got {voxel_raw!r}")
    vchanges = {}
    vfields = _fields_of(VoxelSettings)
    for key, raw in voxel_raw.items():
        if key not in vfields:
            raise SettingsError(f"unknown voxel setting '{key}'", None,
                                f"voxelSetting accepts {', '.join(vfields)}",
                                _did_you_mean(key, vfields))
        vchanges[key] = vfields[key].metadata["check"](key, raw)
    voxel = VoxelSettings(**vchanges)

    it_raw = params.get("imageType") or {}
    if not isinstance(it_raw, Mapping):
        raise SettingsError("invalid 'imageType' section", None,
                            f"expected a mapping of image type to settings, got {it_raw!r}")
    image_types: dict[str, Settings] = {}
    overrides: dict[str, dict[str, Any]] = {}
    for name, custom in (it_raw.items() if it_raw else [("Original", {})]):
        if name not in IMAGE_TYPES:
            raise SettingsError(f"unknown image type '{name}'", None,
                                f"expected one of {', '.join(IMAGE_TYPES)}",
                                _did_you_mean(name, IMAGE_TYPES))
        if name not in SUPPORTED_IMAGE_TYPES:
            raise SettingsError(f"image type '{name}' is not yet supported", None,
                                f"this version computes {', '.join(SUPPORTED_IMAGE_TYPES)} only",
                                "remove it from imageType (image filters come in a later "
                                "release)")
        custom = custom or {}
        if isinstance(custom, Mapping):
            for key in custom:
                if key in _NOT_PER_IMAGE_TYPE:
                    raise SettingsError(f"setting '{key}' cannot be set per image type", None,
                                        f"found under imageType: {name}; it applies before "
                                        "image types are derived", "move it to 'setting:'")
        image_types[name] = Settings.from_dict(custom, section=f"imageType: {name}",
                                               base=settings)
        overrides[name] = dict(custom)

    feature_classes = _parse_feature_classes(params.get("featureClass"))
    return ExtractionParams(settings=settings, image_types=image_types,
                            image_type_overrides=overrides, feature_classes=feature_classes,
                            voxel=voxel, source=source)


def load_params(params: str | os.PathLike | Mapping[str, Any] | ExtractionParams | None
                ) -> ExtractionParams:
    """Read and validate parameters from a YAML/JSON file, a dict, or None (defaults).

    Parameters
    ----------
    params : path, mapping, ExtractionParams or None

    Returns
    -------
    ExtractionParams

    Raises
    ------
    SettingsError
        Missing/unreadable/unparsable file, or invalid content.
    """
    if isinstance(params, ExtractionParams):
        return params
    if params is None or isinstance(params, Mapping):
        return parse_params(params)
    data, path = read_params_file(params)
    return parse_params(data, source=path)


def read_params_file(params: str | os.PathLike) -> tuple[dict, str]:
    """The raw mapping of a YAML/JSON parameter file, and its path (errors as :func:`load_params`)."""
    if not isinstance(params, (str, os.PathLike)):
        raise SettingsError("invalid parameters", None,
                            f"expected a file path, a dict or None, got {type(params).__name__}")
    path = os.fspath(params)
    if not os.path.isfile(path):
        raise SettingsError("parameter file not found", path, "no such file",
                            "check the path (see params/ for examples)")
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError("cannot read parameter file", path, str(exc)) from None
    try:
        if path.lower().endswith(".json"):
            data = json.loads(text)
        else:
            import yaml

            data = yaml.safe_load(text)
    except Exception as exc:  # yaml.YAMLError / json.JSONDecodeError: both user errors
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SettingsError("cannot parse parameter file", path, first,
                            "check the YAML/JSON syntax") from None
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise SettingsError("invalid parameter file", path,
                            f"expected a mapping at the top level, got {type(data).__name__}",
                            "see params/pyradiomics_default.yaml for the layout")
    return dict(data), path


def is_ibsi_params(params) -> bool:
    """True when ``params`` (path or mapping) selects IBSI mode: a top-level ``ibsi`` section.

    pyradiomics-compatible extraction stays the default; the IBSI parameter files in
    ``params/ibsi_*.yaml`` carry an ``ibsi:`` section instead of pyradiomics' ``setting:``.
    """
    if isinstance(params, Mapping):
        return "ibsi" in params
    if isinstance(params, (str, os.PathLike)):
        return "ibsi" in read_params_file(params)[0]
    return False

