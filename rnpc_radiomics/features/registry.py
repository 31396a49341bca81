"""The explicit feature registry: names, families, IBSI identifiers, default flags, formulas.

No discovery by method name: each family module lists its features in ``FEATURES``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

__all__ = ["FeatureSpec", "FAMILIES", "family_features", "all_features", "default_features"]

# pyradiomics featureClass names, in pyradiomics' output order.
FAMILIES = ("shape", "shape2D", "firstorder", "glcm", "glrlm", "glszm", "gldm", "ngtdm")


@dataclass(frozen=True)
class FeatureSpec:
    """One feature.

    Attributes
    ----------
    family : str
        pyradiomics featureClass name (``"glcm"``).
    name : str
        pyradiomics feature name (``"Contrast"``); the output key is
        ``<imageType>_<family>_<name>``.
    ibsi_id : str or None
        IBSI-1 identifier (4-letter code, e.g. ``"ACUI"``) where one exists.
    default : bool
        Enabled by default in pyradiomics 3.0.1 (deprecated features are False).
    doc : str
        One-line formula / meaning.
    """

    family: str
    name: str
    ibsi_id: str | None = None
    default: bool = True
    doc: str = ""


def family_features(family: str) -> list[FeatureSpec]:
    """The registered features of one family, in output order."""
    if family not in FAMILIES:
        raise KeyError(family)
    mod = importlib.import_module(f"rnpc_radiomics.features.{family.lower()}")
    return list(mod.FEATURES)


def all_features() -> list[FeatureSpec]:
    """Every registered feature of every family."""
    out: list[FeatureSpec] = []
    for fam in FAMILIES:
        out.extend(family_features(fam))
    return out


def default_features(family: str) -> list[str]:
    """Names of the features pyradiomics enables by default for ``family``."""
    return [f.name for f in family_features(family) if f.default]


def requested_names(names, features: list[FeatureSpec], label: str) -> list[str]:
    """The feature names a family's ``compute`` was asked for: all of ``features`` when
    ``names`` is None. Names the family does not have raise ``KeyError`` naming ``label``."""
    known = [f.name for f in features]
    if names is None:
        return known
    names = list(names)
    unknown = set(names).difference(known)
    if unknown:
        raise KeyError(f"unknown {label} feature(s): {sorted(unknown)}")
    return names
