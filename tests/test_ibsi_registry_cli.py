"""The IBSI registry walked both ways, the public API, and ``rnpc conformance``."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import numpy as np
import pytest

DATA = Path(__file__).resolve().parent / "data" / "ibsi_digital_phantom"


def _reference_rows():
    with open(DATA / "reference_values.csv", newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def values():
    from rnpc_radiomics.ibsi import extract_ibsi
    from rnpc_radiomics.io import load_image

    return extract_ibsi(load_image(DATA / "image.nii.gz"), load_image(DATA / "mask.nii.gz"),
                        {"ibsi": {"texture_dims": ["2D", "2.5D", "3D"],
                                  "discretisation": {"method": "none"}}})


def test_registry_both_ways(values):
    from rnpc_radiomics.ibsi.registry import feature_tags, lookup

    rows = _reference_rows()
    # Every reference row maps to a registered feature with the same IBSI ids ...
    for r in rows:
        feat, agg = lookup(r["tag"])
        assert feat.ibsi_id == r["ibsi_feature_id"], r["tag"]
        assert (agg or "") == r["ibsi_aggregation_id"], r["tag"]
    # ... and every registered tag is in the reference table and is computed.
    tags = feature_tags()
    assert sorted(tags) == sorted(r["tag"] for r in rows)
    missing = [t for t in tags if t not in values]
    assert not missing
    finite = [t for t in tags if not np.isfinite(values[t])]
    assert not finite
    with pytest.raises(KeyError, match="cm_nonsense"):
        lookup("cm_nonsense")


def test_dims_select_aggregations():
    from rnpc_radiomics.ibsi import extract_ibsi
    from rnpc_radiomics.io import load_image

    out = extract_ibsi(load_image(DATA / "image.nii.gz"), load_image(DATA / "mask.nii.gz"),
                       {"texture_dims": ["3D"], "discretisation": {"method": "none"}},
                       families=["glcm", "ngtdm"])
    assert "cm_joint_max_3D_avg" in out and "ngt_coarseness_3D" in out
    assert not any(k.endswith(("_2D", "_2D_avg", "_2_5D")) for k in out)
    assert not any(k.startswith(("stat_", "morph_", "rlm_")) for k in out)


def test_bad_inputs():
    from rnpc_radiomics.errors import GeometryError, MaskError, SettingsError
    from rnpc_radiomics.ibsi import extract_ibsi
    from rnpc_radiomics.image import Volume

    img = Volume(np.ones((3, 4, 5)))
    with pytest.raises(MaskError, match="empty ROI"):
        extract_ibsi(img, Volume(np.zeros((3, 4, 5))), {})
    with pytest.raises(GeometryError, match="image and mask grids differ"):
        extract_ibsi(img, Volume(np.ones((3, 4, 6))), {})
    with pytest.raises(SettingsError, match="unknown IBSI feature family"):
        extract_ibsi(img, Volume(np.ones((3, 4, 5))), {}, families=["shape"])
    with pytest.raises(MaskError, match="empty ROI after re-segmentation"):
        extract_ibsi(img, Volume(np.ones((3, 4, 5))), {"resegmentation": {"range": [5, 9]}})


def test_nan_in_roi_is_bad_input():
    from rnpc_radiomics.errors import FeatureError
    from rnpc_radiomics.ibsi import extract_ibsi
    from rnpc_radiomics.image import Volume

    arr = np.ones((3, 4, 5))
    arr[1, 1, 1] = np.nan
    with pytest.raises(FeatureError, match="ROI holds non-finite intensities"):
        extract_ibsi(Volume(arr), Volume(np.ones((3, 4, 5))), {})


@pytest.mark.parametrize("voxels", [
    [(2, 3, 4)],
    [(2, 3, 4), (2, 3, 5)],
    [(2, y, x) for y in range(2, 5) for x in range(2, 6)],
])
def test_degenerate_rois_give_documented_nans(voxels):
    import warnings

    from rnpc_radiomics.ibsi import extract_ibsi
    from rnpc_radiomics.image import Volume

    img = np.random.default_rng(0).integers(1, 100, size=(6, 7, 8)).astype(float)
    mask = np.zeros(img.shape)
    for v in voxels:
        mask[v] = 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no stray RuntimeWarnings: undefined means NaN
        out = extract_ibsi(Volume(img), Volume(mask),
                           {"texture_dims": ["2D", "2.5D", "3D"],
                            "discretisation": {"method": "FBN", "bin_number": 8}})
    # A flat ROI has a PCA ellipsoid without volume: AEE densities are undefined.
    assert np.isnan(out["morph_vol_dens_aee"]) and np.isnan(out["morph_area_dens_aee"])
    assert out["morph_volume"] > 0 and np.isfinite(out["stat_mean"])


@pytest.fixture
def ibsi_dir(tmp_path):
    """A minimal IBSI data folder: the digital phantom and its reference rows."""
    (tmp_path / "reference_values").mkdir()
    shutil.copy(DATA / "reference_values.csv",
                tmp_path / "reference_values" / "ibsi1_reference_values.csv")
    (tmp_path / "digital_phantom").mkdir()
    for f in ("image.nii.gz", "mask.nii.gz"):
        shutil.copy(DATA / f, tmp_path / "digital_phantom" / f)
    return tmp_path


def test_cli_conformance(ibsi_dir, tmp_path, capsys):
    from rnpc_radiomics.cli.main import main

    out_csv = tmp_path / "out" / "checks.csv"
    rc = main(["conformance", "--ibsi-dir", str(ibsi_dir), "--dataset", "digital_phantom",
               "--csv", str(out_csv)])
    text = capsys.readouterr().out
    assert rc == 0, text
    assert "total                               482/482" in text
    assert "GLCM                                150/150" in text
    assert "failures: 0" in text
    with open(out_csv, newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 482 and all(r["passed"] == "1" for r in rows)


def test_cli_reports_failures(ibsi_dir, capsys):
    from rnpc_radiomics.cli.main import main

    ref = ibsi_dir / "reference_values" / "ibsi1_reference_values.csv"
    text = ref.read_text().replace("stat_mean,Q4LE,,2.15,", "stat_mean,Q4LE,,2.16,")
    ref.write_text(text)
    rc = main(["conformance", "--ibsi-dir", str(ibsi_dir), "--dataset", "digital_phantom"])
    out = capsys.readouterr().out
    assert rc == 1
    assert "statistics                            17/18" in out
    assert "digital_phantom stat_mean: 2.14865 (rounded 2.15) vs 2.16 ± 0" in out


def test_cli_missing_dir_is_bad_input(tmp_path, capsys):
    from rnpc_radiomics.cli.main import main

    rc = main(["conformance", "--ibsi-dir", str(tmp_path / "nope")])
    assert rc == 2
    assert capsys.readouterr().err.startswith("error: IBSI data folder not found")
    rc = main(["conformance", "--ibsi-dir", str(tmp_path)])
    assert rc == 2
    assert "IBSI reference table not found" in capsys.readouterr().err
