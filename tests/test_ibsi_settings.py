"""IBSI settings: the YAML files, the built-in conformance configs and validation errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rnpc_radiomics.errors import SettingsError
from rnpc_radiomics.ibsi.settings import IbsiSettings, load_ibsi_settings

PARAMS = Path(__file__).resolve().parents[1] / "params"
YAMLS = {"digital_phantom": "ibsi_digital_phantom.yaml", "config_A": "ibsi_config_A.yaml",
         "config_B": "ibsi_config_B.yaml", "config_C": "ibsi_config_C.yaml",
         "config_D": "ibsi_config_D.yaml", "config_E": "ibsi_config_E.yaml"}


@pytest.mark.parametrize("dataset", sorted(YAMLS))
def test_yaml_equals_builtin_config(dataset):
    from rnpc_radiomics.ibsi.conformance import settings_for

    assert load_ibsi_settings(PARAMS / YAMLS[dataset]) == settings_for(dataset)


def test_config_values():
    e = load_ibsi_settings(PARAMS / "ibsi_config_E.yaml")
    assert e.texture_dims == ("3D",)
    assert e.interpolation.spacing == (2.0, 2.0, 2.0)
    assert e.interpolation.image_order == 3 and e.interpolation.roi_order == 1
    assert e.resegmentation.range == (-1000.0, 400.0) and e.resegmentation.outlier_sigma == 3.0
    assert (e.discretisation.method, e.discretisation.bin_number) == ("FBN", 32)
    assert (e.ivh.method, e.ivh.bin_number) == ("FBN", 1000)
    b = load_ibsi_settings(PARAMS / "ibsi_config_B.yaml")
    assert b.interpolation.spacing == (2.0, 2.0, None)
    assert b.texture_dims == ("2D", "2.5D")


def test_unknown_key_suggests():
    with pytest.raises(SettingsError, match=r"unknown setting ibsi\.resegmentation\.outlier_sigm"
                                            r".*did you mean 'outlier_sigma'"):
        IbsiSettings.from_mapping({"resegmentation": {"outlier_sigm": 3}})
    with pytest.raises(SettingsError, match="did you mean 'texture_dims'"):
        IbsiSettings.from_mapping({"texture_dim": ["3D"]})


@pytest.mark.parametrize("data, match", [
    ({"texture_dims": ["4D"]}, "bad IBSI texture_dims"),
    ({"discretisation": {"method": "FBS"}}, r"bin_width: expected a positive number"),
    ({"discretisation": {"method": "equal"}}, "expected none, FBS or FBN"),
    ({"resegmentation": {"range": [400, -500]}}, "min 400.0 is not below max -500.0"),
    ({"interpolation": {"spacing": [2, 2]}}, "expected 3 values"),
    ({"interpolation": {"image_interpolator": "sinc"}}, "bad IBSI image_interpolator"),
    ({"interpolation": {"roi_partial_volume": 0}}, "expected 0 < value <= 1"),
])
def test_bad_values(data, match):
    with pytest.raises(SettingsError, match=match):
        IbsiSettings.from_mapping(data)


def test_yaml_errors(tmp_path):
    p = tmp_path / "x.yaml"
    p.write_text("setting: {binWidth: 25}\n")
    with pytest.raises(SettingsError, match="no top-level 'ibsi' section"):
        load_ibsi_settings(p)
    p.write_text("ibsi: {texture_dims: [3D]\n")
    with pytest.raises(SettingsError, match="unreadable IBSI settings file"):
        load_ibsi_settings(p)


def test_new_grid_centre_aligned():
    from rnpc_radiomics.ibsi.preprocess import new_grid

    # 204 x 0.977 mm -> 2 mm: ceil(99.65) = 100 points, centred on the old grid.
    n, start, step = new_grid(204, 0.977, 2.0)
    assert n == 100
    old_centre = (204 - 1) / 2.0
    assert start + step * (n - 1) / 2.0 == pytest.approx(old_centre, rel=0, abs=1e-12)
    assert new_grid(60, 3.0, 2.0)[0] == 90  # not 91 from 90.000000001


def test_discretise():
    from rnpc_radiomics.ibsi.preprocess import discretise
    from rnpc_radiomics.ibsi.settings import DiscretisationSettings

    x = np.array([-500.0, -476.0, -475.0, 0.0, 399.0, 400.0])
    q, ng = discretise(x, DiscretisationSettings("FBS", 25.0, None), -500.0)
    # Anchored at the lower re-segmentation bound, not at 0 (pyradiomics) or the ROI minimum.
    np.testing.assert_array_equal(q, [1, 1, 2, 21, 36, 37])
    q, ng = discretise(x, DiscretisationSettings("FBN", None, 4), None)
    assert ng == 4 and q[-1] == 4 and q[0] == 1

