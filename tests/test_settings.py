"""Parameter parsing and validation (pyradiomics schema, typed stage dataclasses)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from rnpc_radiomics.errors import InputError, SettingsError
from rnpc_radiomics.settings import (
    CLASS_ORDER,
    DiscretiseSettings,
    ExtractionParams,
    Settings,
    load_params,
    parse_params,
)

PARAMS_DIR = Path(__file__).resolve().parents[1] / "params"


def test_defaults_are_pyradiomics_defaults():
    p = parse_params(None)
    d = p.settings.to_dict()
    expected = {"minimumROIDimensions": 2, "minimumROISize": None, "normalize": False,
                "normalizeScale": 1.0, "removeOutliers": None, "resampledPixelSpacing": None,
                "interpolator": "sitkBSpline", "preCrop": False, "padDistance": 5,
                "distances": [1], "force2D": False, "force2Ddimension": 0,
                "resegmentRange": None, "label": 1, "additionalInfo": True, "binWidth": 25,
                "binCount": None, "voxelArrayShift": 0, "symmetricalGLCM": True,
                "weightingNorm": None, "gldm_a": 0, "resegmentMode": "absolute",
                "resegmentShape": False, "correctMask": False, "geometryTolerance": None}
    for k, v in expected.items():
        assert d[k] == v, k
    # no params: every class but shape2D, in pyradiomics' order; only the original image
    assert list(p.feature_classes) == [c for c in CLASS_ORDER if c != "shape2D"]
    assert list(p.image_types) == ["Original"]


def test_stage_dataclasses_are_frozen():
    s = Settings()
    with pytest.raises(dataclasses.FrozenInstanceError, match="cannot assign"):
        s.discretise.binWidth = 3  # type: ignore[misc]


def test_dict_with_empty_feature_class_enables_shape2d_like_pyradiomics():
    p = parse_params({"setting": {"binWidth": 10}})
    assert "shape2D" in p.feature_classes
    assert p.settings.discretise.binWidth == 10


def test_bin_width_keeps_int_or_float_type():
    # pyradiomics' edge arithmetic follows the Python type of binWidth (int16 % 25 vs % 25.0)
    assert isinstance(parse_params({"setting": {"binWidth": 25}}).settings.discretise.binWidth,
                      int)
    assert isinstance(parse_params({"setting": {"binWidth": 2.5}}).settings.discretise.binWidth,
                      float)


def test_unknown_setting_suggests_name():
    with pytest.raises(SettingsError, match=r"unknown setting 'binwidth'.*did you mean 'binWidth'"):
        parse_params({"setting": {"binwidth": 25}})
    with pytest.raises(SettingsError, match=r"did you mean 'resegmentRange'"):
        parse_params({"setting": {"resegmentRang": [0, 1]}})


def test_unknown_section_suggests_name():
    with pytest.raises(SettingsError, match=r"unknown parameter section 'settings'.*'setting'"):
        parse_params({"settings": {"binWidth": 25}})
    with pytest.raises(SettingsError, match=r"put 'binWidth' under 'setting:'"):
        parse_params({"binWidth": 25})


@pytest.mark.parametrize("key,value,msg", [
    ("binWidth", 0, r"expected a number > 0, got 0"),
    ("binWidth", "25", r"expected a finite number > 0"),
    ("binCount", 2.5, r"expected an integer > 0, got 2.5"),
    ("label", 0, r"expected an integer > 0"),
    ("minimumROIDimensions", 4, r"expected an integer in \[1, 3\]"),
    ("normalize", "yes", r"expected true or false, got 'yes'"),
    ("resampledPixelSpacing", [1, 1], r"expected a list of 3 values"),
    ("resampledPixelSpacing", 1.0, r"expected a list.*resampledPixelSpacing: \[1.0\]"),
    ("resegmentRange", [1, 2, 3], r"expected a list of 1 to 2 values"),
    ("resegmentMode", "relativ", r"expected one of absolute, relative, sigma.*did you mean 'relative'"),
    ("interpolator", "sitkBspline", r"did you mean 'sitkBSpline'"),
    ("weightingNorm", "euclidian", r"did you mean 'euclidean'"),
    ("distances", [0], r"invalid setting 'distances\[0\]'"),
    ("force2Ddimension", 3, r"expected an integer in \[0, 2\]"),
    ("padDistance", -1, r"expected an integer >= 0"),
])
def test_bad_values_say_expected_and_received(key, value, msg):
    with pytest.raises(SettingsError, match=msg):
        parse_params({"setting": {key: value}})


def test_settings_error_is_input_error_one_line():
    with pytest.raises(InputError, match=r"^invalid setting 'binWidth': expected") as ei:
        parse_params({"setting": {"binWidth": -1}})
    assert "\n" not in str(ei.value)


def test_feature_class_validation():
    p = parse_params({"featureClass": {"glcm": ["Contrast", "Idmn"], "shape": None}})
    assert p.feature_classes == {"glcm": ("Contrast", "Idmn"), "shape": None}
    with pytest.raises(SettingsError, match=r"unknown feature class 'glcmm'.*did you mean 'glcm'"):
        parse_params({"featureClass": {"glcmm": []}})
    with pytest.raises(SettingsError, match=r"unknown feature 'Contrst' in class 'glcm'.*'Contrast'"):
        parse_params({"featureClass": {"glcm": ["Contrst"]}})
    with pytest.raises(SettingsError, match=r"expected a list of feature names"):
        parse_params({"featureClass": {"glcm": "Contrast"}})


def test_image_types():
    # filtered image types carry their own settings over the global ones
    p = parse_params({"setting": {"binWidth": 25},
                      "imageType": {"Original": {}, "LoG": {"sigma": [1.0], "binWidth": 5}}})
    assert list(p.image_types) == ["Original", "LoG"]
    assert p.image_types["LoG"].filters.sigma == (1.0,)
    assert p.image_types["LoG"].discretise.binWidth == 5
    assert p.image_types["Original"].discretise.binWidth == 25
    with pytest.raises(SettingsError, match=r"unknown image type 'Orignal'.*did you mean 'Original'"):
        parse_params({"imageType": {"Orignal": {}}})
    with pytest.raises(SettingsError, match=r"'resampledPixelSpacing' cannot be set per image type"):
        parse_params({"imageType": {"Original": {"resampledPixelSpacing": [1, 1, 1]}}})
    # per-image-type overrides sit on top of the global settings
    p = parse_params({"setting": {"binWidth": 25, "gldm_a": 1},
                      "imageType": {"Original": {"binWidth": 5}}})
    assert p.image_types["Original"].discretise.binWidth == 5
    assert p.image_types["Original"].features.gldm_a == 1
    assert p.settings.discretise.binWidth == 25


def test_voxel_settings_section():
    p = parse_params({"voxelSetting": {"kernelRadius": 2}})
    assert p.voxel.kernelRadius == 2
    with pytest.raises(SettingsError, match=r"'kernelRadius' belongs under 'voxelSetting'"):
        parse_params({"setting": {"kernelRadius": 2}})
    with pytest.raises(SettingsError, match=r"unknown voxel setting 'kernelRadus'.*'kernelRadius'"):
        parse_params({"voxelSetting": {"kernelRadus": 2}})


def test_filter_settings_accepted_for_later_image_types():
    p = parse_params({"setting": {"sigma": [1.0, 2.0], "wavelet": "haar"}})
    assert p.settings.filters.sigma == (1.0, 2.0)


def test_with_label():
    p = parse_params({"setting": {"label": 2}}).with_label(4)
    assert p.settings.mask.label == 4
    assert p.image_types["Original"].mask.label == 4
    with pytest.raises(SettingsError, match="expected an integer > 0"):
        parse_params(None).with_label(0)


def test_load_yaml_and_json(tmp_path):
    y = tmp_path / "p.yaml"
    y.write_text("setting:\n  binWidth: 12\nfeatureClass:\n  firstorder:\n")
    assert load_params(y).settings.discretise == DiscretiseSettings(binWidth=12)
    j = tmp_path / "p.json"
    j.write_text(json.dumps({"setting": {"binCount": 8}}))
    p = load_params(str(j))
    assert p.settings.discretise.binCount == 8 and p.source == str(j)
    assert isinstance(load_params(p), ExtractionParams)


def test_load_errors_name_the_file(tmp_path):
    with pytest.raises(SettingsError, match=r"parameter file not found \(.*nope.yaml\)"):
        load_params(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("setting: [binWidth: 25\n")
    with pytest.raises(SettingsError, match=r"cannot parse parameter file \(.*bad.yaml\)"):
        load_params(bad)
    typo = tmp_path / "typo.yaml"
    typo.write_text("setting:\n  binwidht: 25\n")
    with pytest.raises(SettingsError, match=r"unknown setting 'binwidht' \(.*typo.yaml\).*'binWidth'"):
        load_params(typo)
    with pytest.raises(SettingsError, match=r"expected a file path, a dict or None"):
        load_params(25)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["pyradiomics_default.yaml", "ct_bone.yaml", "mri_t1c.yaml",
                                  "pet_suv.yaml"])
def test_shipped_params_load(name):
    p = load_params(PARAMS_DIR / name)
    assert p.image_types.keys() == {"Original"}
    assert "firstorder" in p.feature_classes


def test_shipped_params_valid_for_pyradiomics():
    pytest.importorskip("radiomics", reason="pyradiomics (the reference) absent")
    import logging

    import radiomics
    from radiomics import featureextractor

    radiomics.setVerbosity(logging.CRITICAL)
    for name in ("pyradiomics_default.yaml", "ct_bone.yaml", "mri_t1c.yaml", "pet_suv.yaml"):
        featureextractor.RadiomicsFeatureExtractor(str(PARAMS_DIR / name))


def test_default_yaml_equals_no_params():
    a = load_params(PARAMS_DIR / "pyradiomics_default.yaml")
    b = load_params(None)
    assert a.settings == b.settings
    assert list(a.feature_classes) == list(b.feature_classes)
