"""IBSI mode is selected through the same ``extract`` API / ``rnpc extract`` by an ``ibsi:`` section."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from rnpc_radiomics import extract
from rnpc_radiomics.cli.main import main
from rnpc_radiomics.ibsi import extract_ibsi
from rnpc_radiomics.io import load_image, load_mask

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "ibsi_digital_phantom"
PARAMS = ROOT / "params" / "ibsi_digital_phantom.yaml"


@pytest.fixture(scope="module")
def phantom():
    img = load_image(DATA / "image.nii.gz")
    return img, load_mask(DATA / "mask.nii.gz", img)


def test_extract_with_ibsi_params_is_ibsi_mode(phantom):
    img, msk = phantom
    fams = ["statistics", "glcm"]
    ref = extract_ibsi(img, msk, PARAMS, families=fams)
    out = extract(img, msk, PARAMS)
    assert "stat_kurt" in out and not any(k.startswith("original_") for k in out)
    for k, v in ref.items():
        np.testing.assert_allclose(out[k], v, rtol=0, atol=0, equal_nan=True, err_msg=k)


def test_rnpc_extract_ibsi_json(tmp_path, capsys):
    out = tmp_path / "ibsi.json"
    rc = main(["extract", str(DATA / "image.nii.gz"), str(DATA / "mask.nii.gz"),
               "--params", str(PARAMS), "--out", str(out)])
    assert rc == 0
    row = json.loads(out.read_text())
    # digital phantom reference (IBSI-1): mean intensity 2.15, 74 ROI voxels
    assert round(row["stat_mean"], 2) == 2.15


def test_default_mode_stays_pyradiomics(phantom):
    img, msk = phantom
    out = extract(img, msk, {"featureClass": {"firstorder": ["Mean"]}})
    assert out["original_firstorder_Mean"] == pytest.approx(2.1486486, rel=1e-6)


def test_bad_ibsi_section_is_settings_error(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("ibsi:\n  discretisation: {method: FOO}\n")
    rc = main(["extract", str(DATA / "image.nii.gz"), str(DATA / "mask.nii.gz"),
               "--params", str(bad)])
    assert rc == 2
    assert capsys.readouterr().err.startswith("error: ")
