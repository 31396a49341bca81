"""IBSI-mode processing settings: one frozen dataclass per stage, read from YAML or a mapping.

The YAML file (``params/ibsi_config_A.yaml`` ...) has one top-level key ``ibsi`` whose sections
map one-to-one onto the dataclasses below::

    ibsi:
      texture_dims: [2D, 2.5D]          # any of 2D, 2.5D, 3D
      round_input: true                 # CT stored as float: round to integer HU first
      interpolation:
        spacing: [2.0, 2.0, null]         # mm, (x, y, z); null keeps that axis; omit = none
        image_interpolator: linear        # nearest | linear | cubic
        round_intensities: true         # CT only
        roi_interpolator: linear
        roi_partial_volume: 0.5
      resegmentation: {range: [-500, 400], outlier_sigma: null}
      discretisation: {method: FBS, bin_width: 25}
      ivh: {method: none}
      texture: {glcm_distance: 1, ngldm_alpha: 0}

Unknown keys are an error with a "did you mean" suggestion.
"""

from __future__ import annotations

import difflib
import math
import os
from dataclasses import dataclass, field, fields
from typing import Any

from rnpc_radiomics.errors import SettingsError

__all__ = [
    "IbsiSettings",
    "InterpolationSettings",
    "ResegmentationSettings",
    "DiscretisationSettings",
    "TextureSettings",
    "load_ibsi_settings",
]

_DIMS = ("2D", "2.5D", "3D")
_INTERPOLATORS = {"nearest": 0, "linear": 1, "cubic": 3}


@dataclass(frozen=True)
class InterpolationSettings:
    """Resampling with aligned grid centres.

    Attributes
    ----------
    spacing : tuple of 3 (float or None) or None
        New voxel size in mm, ``(x, y, z)``; ``None`` for an axis keeps it (in-plane only
        interpolation); ``None`` altogether means no interpolation.
    image_interpolator : {"nearest", "linear", "cubic"}
        ``linear`` = (bi/tri)linear, ``cubic`` = cubic B-spline.
    round_intensities : bool
        Round interpolated intensities to the nearest integer (IBSI does this for CT, whose
        intensities are integer HU; off by default so PET/MR values are never rounded).
    roi_interpolator : {"nearest", "linear", "cubic"}
    roi_partial_volume : float
        Interpolated mask values >= this are inside the ROI.
    """

    spacing: tuple[float | None, float | None, float | None] | None = None
    image_interpolator: str = "linear"
    round_intensities: bool = False
    roi_interpolator: str = "linear"
    roi_partial_volume: float = 0.5

    @property
    def image_order(self) -> int:
        """Spline order of the image interpolator."""
        return _INTERPOLATORS[self.image_interpolator]

    @property
    def roi_order(self) -> int:
        """Spline order of the ROI interpolator."""
        return _INTERPOLATORS[self.roi_interpolator]


@dataclass(frozen=True)
class ResegmentationSettings:
    """Range and outlier re-segmentation (combinable: the intensity mask is the intersection).

    Attributes
    ----------
    range : tuple of 2 (float or None) or None
        Keep voxels with ``range[0] <= x <= range[1]``; ``None`` bounds are open.
    outlier_sigma : float or None
        Keep voxels within mean ± ``outlier_sigma`` standard deviations of the interpolated ROI.
    """

    range: tuple[float | None, float | None] | None = None
    outlier_sigma: float | None = None


@dataclass(frozen=True)
class DiscretisationSettings:
    """Grey-level discretisation.

    Attributes
    ----------
    method : {"none", "FBS", "FBN"}
        ``FBS``: fixed bin size, ``floor((x - x_min) / w) + 1`` with ``x_min`` the lower
        re-segmentation bound (ROI minimum when there is none). ``FBN``: fixed bin number over
        the ROI minimum..maximum. ``none``: intensities are already discrete levels.
    bin_width : float or None
    bin_number : int or None
    """

    method: str = "none"
    bin_width: float | None = None
    bin_number: int | None = None


@dataclass(frozen=True)
class TextureSettings:
    """Texture matrix parameters (IBSI-1 defaults).

    Attributes
    ----------
    glcm_distance : int
        Chebyshev distance of GLCM neighbours.
    ngldm_alpha : int
        NGLDM coarseness: neighbours within ``alpha`` grey levels are dependent.
    """

    glcm_distance: int = 1
    ngldm_alpha: int = 0


@dataclass(frozen=True)
class IbsiSettings:
    """All settings of one IBSI-mode extraction.

    Attributes
    ----------
    texture_dims : tuple of str
        Texture aggregations to compute: any of ``"2D"``, ``"2.5D"``, ``"3D"``.
    round_input : bool
        Round the loaded image to integers first (IBSI advice for CT stored as float; off by
        default so PET/MR values are never rounded).
    interpolation, resegmentation, discretisation, ivh, texture
        The per-stage settings; ``ivh`` is the IVH discretisation.
    """

    texture_dims: tuple[str, ...] = ("3D",)
    round_input: bool = False
    interpolation: InterpolationSettings = field(default_factory=InterpolationSettings)
    resegmentation: ResegmentationSettings = field(default_factory=ResegmentationSettings)
    discretisation: DiscretisationSettings = field(
        default_factory=lambda: DiscretisationSettings("FBN", None, 32))
    ivh: DiscretisationSettings = field(default_factory=DiscretisationSettings)
    texture: TextureSettings = field(default_factory=TextureSettings)

    @classmethod
    def from_mapping(cls, data: dict[str, Any], source: str | None = None) -> IbsiSettings:
        """Build validated settings from a mapping (the content of the ``ibsi`` section).

        Raises
        ------
        SettingsError
            Unknown key (with a suggestion) or a bad value.
        """
        data = dict(data or {})
        _check_keys(data, cls, source, "ibsi")
        kw: dict[str, Any] = {}
        if "texture_dims" in data:
            dims = data["texture_dims"]
            dims = [dims] if isinstance(dims, str) else list(dims)
            dims = [str(d).upper() for d in dims]
            for d in dims:
                if d not in _DIMS:
                    raise SettingsError("bad IBSI texture_dims", source,
                                        f"expected any of {list(_DIMS)}, got {d!r}",
                                        "write e.g. texture_dims: [2D, 2.5D]")
            kw["texture_dims"] = tuple(d for d in _DIMS if d in dims)
        if "round_input" in data:
            kw["round_input"] = bool(data["round_input"])
        if "interpolation" in data and data["interpolation"] is not None:
            sec = dict(data["interpolation"])
            _check_keys(sec, InterpolationSettings, source, "ibsi.interpolation")
            if sec.get("spacing") is not None:
                sp = list(sec["spacing"])
                if len(sp) != 3:
                    raise SettingsError("bad IBSI interpolation spacing", source,
                                        f"expected 3 values (x, y, z), got {sp!r}",
                                        "use null for an axis to keep it")
                sp = [None if s is None else _positive(s, "interpolation.spacing", source)
                      for s in sp]
                sec["spacing"] = tuple(sp)
            for key in ("image_interpolator", "roi_interpolator"):
                if key in sec and sec[key] not in _INTERPOLATORS:
                    raise SettingsError(f"bad IBSI {key}", source,
                                        f"expected one of {sorted(_INTERPOLATORS)}, "
                                        f"got {sec[key]!r}", "")
            if "roi_partial_volume" in sec:
                v = float(sec["roi_partial_volume"])
                if not 0.0 < v <= 1.0:
                    raise SettingsError("bad IBSI roi_partial_volume", source,
                                        f"expected 0 < value <= 1, got {v}", "IBSI uses 0.5")
                sec["roi_partial_volume"] = v
            kw["interpolation"] = InterpolationSettings(**sec)
        if "resegmentation" in data and data["resegmentation"] is not None:
            sec = dict(data["resegmentation"])
            _check_keys(sec, ResegmentationSettings, source, "ibsi.resegmentation")
            if sec.get("range") is not None:
                r = list(sec["range"])
                if len(r) != 2:
                    raise SettingsError("bad IBSI resegmentation range", source,
                                        f"expected [min, max], got {r!r}",
                                        "use null for an open bound")
                r = [None if v is None else float(v) for v in r]
                if r[0] is not None and r[1] is not None and r[0] >= r[1]:
                    raise SettingsError("bad IBSI resegmentation range", source,
                                        f"min {r[0]} is not below max {r[1]}", "")
                sec["range"] = tuple(r)
            if sec.get("outlier_sigma") is not None:
                sec["outlier_sigma"] = _positive(sec["outlier_sigma"], "outlier_sigma", source)
            kw["resegmentation"] = ResegmentationSettings(**sec)
        for key in ("discretisation", "ivh"):
            if key in data and data[key] is not None:
                kw[key] = _discretisation(dict(data[key]), source, f"ibsi.{key}",
                                          allow_none=True)
        if "texture" in data and data["texture"] is not None:
            sec = dict(data["texture"])
            _check_keys(sec, TextureSettings, source, "ibsi.texture")
            kw["texture"] = TextureSettings(**{k: int(v) for k, v in sec.items()})
        return cls(**kw)


def _positive(v, name, source) -> float:
    try:
        f = float(v)
    except (TypeError, ValueError):
        f = math.nan
    if not f > 0:
        raise SettingsError(f"bad IBSI {name}", source, f"expected a positive number, got {v!r}",
                            "")
    return f


def _discretisation(sec, source, where, allow_none) -> DiscretisationSettings:
    _check_keys(sec, DiscretisationSettings, source, where)
    method = str(sec.get("method", "none"))
    canon = {"none": "none", "fbs": "FBS", "fbn": "FBN"}.get(method.lower())
    if canon is None:
        raise SettingsError(f"bad {where} method", source,
                            f"expected none, FBS or FBN, got {method!r}",
                            "FBS = fixed bin size, FBN = fixed bin number")
    bw = sec.get("bin_width")
    bn = sec.get("bin_number")
    if canon == "FBS":
        bw = _positive(bw, f"{where}.bin_width", source)
    if canon == "FBN":
        bn = int(_positive(bn, f"{where}.bin_number", source))
    return DiscretisationSettings(canon, None if bw is None else float(bw),
                                  None if bn is None else int(bn))


def _check_keys(data: dict, cls, source, where) -> None:
    allowed = [f.name for f in fields(cls)]
    for key in data:
        if key not in allowed:
            near = difflib.get_close_matches(str(key), allowed, n=1)
            hint = f"did you mean {near[0]!r}?" if near else f"allowed: {', '.join(allowed)}"
            raise SettingsError(f"unknown setting {where}.{key}", source,
                                f"{cls.__name__} has no field {key!r}", hint)


def load_ibsi_settings(path: str | os.PathLike) -> IbsiSettings:
    """Read IBSI settings from a YAML file with a top-level ``ibsi`` section.

    Raises
    ------
    SettingsError
        Missing section, unreadable YAML, unknown keys or bad values.
    """
    import yaml

    p = os.fspath(path)
    try:
        with open(p, encoding="utf-8") as fh:
            doc = yaml.safe_load(fh)
    except yaml.YAMLError as exc:
        raise SettingsError("unreadable IBSI settings file", p, str(exc).splitlines()[0],
                            "check the YAML syntax") from None
    if not isinstance(doc, dict) or "ibsi" not in doc:
        raise SettingsError("not an IBSI settings file", p, "no top-level 'ibsi' section",
                            "see params/ibsi_config_A.yaml")
    _check_keys({k: None for k in doc if k != "ibsi"}, _Top, p, "")
    return IbsiSettings.from_mapping(doc["ibsi"] or {}, source=p)


@dataclass(frozen=True)
class _Top:
    ibsi: Any = None
    description: Any = None
