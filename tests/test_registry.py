"""The feature registry, walked both ways against pyradiomics 3.0.1.

* every pyradiomics feature (default or deprecated) is registered, with ``default`` equal to
  "not deprecated", and every registered feature exists in pyradiomics;
* every registered feature is computed and compared with pyradiomics in
  ``tests/test_extract_parity.py::test_every_registered_feature_by_name`` (which builds its
  request from this same registry), except those pyradiomics refuses to output, which are
  checked to be absent from both there.
"""

from __future__ import annotations

import importlib
import re

import pytest

from rnpc_radiomics.extraction import PYRADIOMICS_OMITTED
from rnpc_radiomics.features.registry import (
    FAMILIES,
    FeatureSpec,
    all_features,
    default_features,
    family_features,
)
from rnpc_radiomics.settings import CLASS_ORDER


def _pyradiomics_classes():
    pytest.importorskip("radiomics", reason="pyradiomics (the reference) absent")
    import radiomics

    return radiomics.getFeatureClasses()


def test_families_are_pyradiomics_classes():
    ref = _pyradiomics_classes()
    assert set(FAMILIES) == set(ref) == set(CLASS_ORDER)
    assert list(CLASS_ORDER) == list(ref)  # pyradiomics' (output) order


@pytest.mark.parametrize("family", FAMILIES)
def test_family_registered_both_ways(family):
    ref = _pyradiomics_classes()[family].getFeatureNames()  # {name: deprecated}
    ours = {f.name: f for f in family_features(family)}
    assert set(ours) == set(ref), (
        f"missing: {sorted(set(ref) - set(ours))}; unknown: {sorted(set(ours) - set(ref))}")
    for name, deprecated in ref.items():
        assert ours[name].default is (not deprecated), name
    assert default_features(family) == [f.name for f in family_features(family) if f.default]


@pytest.mark.parametrize("family", FAMILIES)
def test_family_module_contract(family):
    mod = importlib.import_module(f"rnpc_radiomics.features.{family.lower()}")
    assert callable(mod.compute)
    names = [f.name for f in mod.FEATURES]
    assert len(names) == len(set(names)), "duplicate feature names"
    for f in mod.FEATURES:
        assert isinstance(f, FeatureSpec) and f.family == family
        assert f.doc, f"{family}.{f.name} has no formula/doc"
        assert f.ibsi_id is None or re.fullmatch(r"[0-9A-Z]{4}", f.ibsi_id), f.ibsi_id


def test_omitted_features_are_registered_deprecated_and_refused_by_pyradiomics():
    classes = _pyradiomics_classes()
    registered = {(f.family, f.name): f for f in all_features()}
    for fam, name in PYRADIOMICS_OMITTED:
        assert (fam, name) in registered and not registered[fam, name].default
        getter = getattr(classes[fam], f"get{name}FeatureValue")
        assert getattr(getter, "_is_deprecated", False)


def test_output_keys_are_unique():
    keys = [f"{f.family}_{f.name}" for f in all_features()]
    assert len(keys) == len(set(keys))
