"""Settings of the imaging signs: one frozen dataclass, defaults written once.

The Python API (``settings=``), the CLI and a YAML/JSON file all use these field names.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

from rnpc_radiomics.errors import SettingsError

__all__ = ["SignsSettings"]


@dataclass(frozen=True)
class SignsSettings:
    """Parameters of the air-bubble, bone-pattern, MRI and PET signs.

    Every field is documented in ``rnpc_radiomics/signs/README.md``; HU values are Hounsfield
    units, lengths millimetres, volumes mm³ unless the name says otherwise.
    """

    # ---- air bubbles
    bubble_margin_mm: float = 3.0
    gas_threshold_hu: float = -400.0
    bubble_min_volume_mm3: float = 0.5
    bubble_max_volume_mm3: float = 1000.0
    # Gas reaching this far past the search region is a channel (airway, sinus, outside), not a
    # bubble: the analysis crop is the search region padded by this much.
    bubble_context_mm: float = 20.0
    # Looser threshold used only to decide whether a pocket is joined to airway/outside air
    # through partial-volume voxels. Above fat (-100 HU) so fat never bridges.
    airway_bridge_hu: float = -200.0
    # A pocket this close (mm, voxel centres) to airway/sinus/outside gas belongs to it: a channel
    # remnant separated by a partial-volume septum, not a bubble. 0 disables the rule.
    airway_gap_mm: float = 1.5
    # A pocket whose wall is mostly bone is a sinus / air cell, not soft-tissue gas.
    bubble_max_bone_wall_fraction: float = 0.5
    air_hu: float = -1000.0
    # ---- bone pattern
    bone_hu: float = 150.0
    cortical_hu: float = 700.0
    lytic_hu: float = 100.0
    bone_search_mm: float = 5.0
    bone_contact_mm: float = 3.0
    bone_closing_mm: float = 2.0
    bone_surface_closing_mm: float = 1.0
    bone_split_mm: float = 3.0
    spongy_window_mm: float = 1.5
    bone_max_hole_mm3: float = 500.0
    min_bone_volume_mm3: float = 20.0
    involved_min_mm3: float = 20.0
    pattern_min_discontinuity: float = 0.13
    pattern_min_spongy_index: float = 0.12
    pattern_diffuse_volume_mm3: float = 350.0
    # Left-right comparison: normal left-right differences of bone position/shape are tolerated
    # up to this distance; a missing-bone voxel must hold soft tissue (>= missing_soft_hu).
    missing_bone_tolerance_mm: float = 1.5
    missing_soft_hu: float = 20.0
    pattern_min_missing_mm3: float = 35.0
    pattern_mass_fraction: float = 0.12
    pattern_min_spongy_excess: float = 0.05
    pattern_bilateral_volume_mm3: float = 600.0
    # ---- MRI
    mri_rim_mm: float = 3.0
    mri_nonenhancing_ratio: float = 0.5
    mri_rim_pattern_ratio: float = 0.7
    # ---- PET
    pet_suv_threshold: float = 2.5
    pet_suv_fraction: float = 0.41
    pet_peak_volume_ml: float = 1.0

    def __post_init__(self):
        for f in fields(self):
            v = getattr(self, f.name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise SettingsError(f"invalid signs setting {f.name}", None,
                                    f"expected a finite number, got {v!r}")
            object.__setattr__(self, f.name, float(v))
        positive = ("bubble_margin_mm", "bubble_max_volume_mm3", "bubble_context_mm",
                    "bone_search_mm", "bone_contact_mm", "mri_rim_mm", "pet_peak_volume_ml",
                    "bone_split_mm", "spongy_window_mm", "missing_bone_tolerance_mm")
        for name in positive:
            if getattr(self, name) <= 0:
                raise SettingsError(f"invalid signs setting {name}", None,
                                    f"expected a value > 0, got {getattr(self, name)!r}")
        for name in ("bubble_min_volume_mm3", "airway_gap_mm", "bone_closing_mm",
                     "bone_surface_closing_mm",
                     "bone_max_hole_mm3",
                     "min_bone_volume_mm3", "involved_min_mm3",
                     "pattern_diffuse_volume_mm3", "pattern_min_missing_mm3",
                     "pattern_mass_fraction", "pattern_bilateral_volume_mm3"):
            if getattr(self, name) < 0:
                raise SettingsError(f"invalid signs setting {name}", None,
                                    f"expected a value >= 0, got {getattr(self, name)!r}")
        for name in ("bubble_max_bone_wall_fraction", "pattern_min_discontinuity",
                     "pattern_min_spongy_index", "pattern_min_spongy_excess",
                     "mri_nonenhancing_ratio", "pet_suv_fraction"):
            if not 0 <= getattr(self, name) <= 1:
                raise SettingsError(f"invalid signs setting {name}", None,
                                    f"expected a value in [0, 1], got {getattr(self, name)!r}")
        if self.bubble_min_volume_mm3 >= self.bubble_max_volume_mm3:
            raise SettingsError("invalid signs settings", None,
                                "bubble_min_volume_mm3 must be below bubble_max_volume_mm3")
        if not self.air_hu < self.gas_threshold_hu < self.airway_bridge_hu:
            raise SettingsError("invalid signs settings", None,
                                "expected air_hu < gas_threshold_hu < airway_bridge_hu, got "
                                f"{self.air_hu}, {self.gas_threshold_hu}, {self.airway_bridge_hu}")
        if not self.lytic_hu <= self.bone_hu < self.cortical_hu:
            raise SettingsError("invalid signs settings", None,
                                "expected lytic_hu <= bone_hu < cortical_hu, got "
                                f"{self.lytic_hu}, {self.bone_hu}, {self.cortical_hu}")

    @classmethod
    def from_dict(cls, values: Mapping[str, Any] | None) -> SignsSettings:
        """Build settings from a mapping, rejecting unknown keys with a suggestion.

        Parameters
        ----------
        values : mapping or None
            Field names and values; missing fields keep their defaults.

        Returns
        -------
        SignsSettings

        Raises
        ------
        SettingsError
            An unknown key or a bad value.
        """
        if values is None:
            return cls()
        if not isinstance(values, Mapping):
            raise SettingsError("invalid signs settings", None,
                                "expected a mapping of names to numbers, got "
                                f"{type(values).__name__}")
        names = [f.name for f in fields(cls)]
        for key in values:
            if key not in names:
                close = difflib.get_close_matches(str(key), names, n=1)
                hint = (f"did you mean {close[0]!r}?" if close
                        else "see rnpc_radiomics/signs/README.md")
                raise SettingsError(f"unknown signs setting {key!r}", None,
                                    "not a field of SignsSettings", hint)
        return cls(**dict(values))

    def to_dict(self) -> dict[str, float]:
        """The settings as a plain dict (for provenance in the JSON output)."""
        return asdict(self)
