"""measure_signs / flatten_signs and the ``rnpc signs`` command on a small constructed case."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from rnpc_radiomics.errors import InputError, SettingsError
from rnpc_radiomics.image import Volume
from rnpc_radiomics.signs import SignsSettings, flatten_signs, measure_signs

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_signs_air import BUBBLES, build_case  # noqa: E402


@pytest.fixture(scope="module")
def case():
    ct, roi, _ = build_case(bubbles=BUBBLES[:2], neck=False)
    # PET on a 4 mm grid over the same box, hot lesion; T1c on the CT grid (same frame).
    pet = Volume(np.ones((10, 12, 12), np.float32), spacing=(4.0, 4.0, 4.0),
                 origin=(-22.0, -22.0, -18.0), modality="PT", units="SUVbw")
    c = pet.index_to_physical(np.stack(np.meshgrid(*[np.arange(n) for n in (12, 12, 10)],
                                                   indexing="ij"), -1).reshape(-1, 3))
    hot = (np.linalg.norm(c, axis=1) <= 8.0).reshape(12, 12, 10).transpose(2, 1, 0)
    pet = pet.with_array(np.where(hot, 6.0, 1.0).astype(np.float32))
    t1c = Volume(np.where(roi.array > 0, 500.0, 200.0).astype(np.float32), spacing=ct.spacing,
                 origin=ct.origin, modality="MR")
    return ct, roi, t1c, pet


def test_sections_present_only_for_given_images(case):
    ct, roi, t1c, pet = case
    ct_only = measure_signs(ct, roi)
    assert set(ct_only) == {"air_bubbles", "bone"}
    full = measure_signs(ct, roi, t1c=t1c, pet=pet)
    assert set(full) == {"air_bubbles", "bone", "mri", "pet"}
    assert full["air_bubbles"]["count"] == 2
    assert full["bone"]["pattern"] in ("none", "focal_erosion", "diffuse_spongy")
    assert full["mri"]["enhancement_pattern"] == "solid"
    assert full["mri"]["mask_source"] == "same_grid"
    np.testing.assert_allclose(full["pet"]["suv_max"], 6.0, rtol=1e-6)


def test_flatten_signs_columns(case):
    ct, roi, t1c, pet = case
    flat_ct = flatten_signs(measure_signs(ct, roi))
    assert all(k.startswith("sign_") for k in flat_ct)
    assert all(isinstance(v, float) for v in flat_ct.values())
    assert not any(k.startswith(("sign_mri_", "sign_pet_")) for k in flat_ct)  # absent, not 0
    assert flat_ct["sign_air_bubble_count"] == 2.0
    flat = flatten_signs(measure_signs(ct, roi, t1c=t1c, pet=pet))
    for k in ("sign_bone_focal_erosion", "sign_bone_diffuse_spongy", "sign_bone_spongy_index",
              "sign_mri_core_to_rim_ratio", "sign_mri_rim_enhancement", "sign_pet_suv_peak",
              "sign_pet_tlg", "sign_pet_mtv41_ml"):
        assert k in flat
    assert flat["sign_pet_suv_max"] == pytest.approx(6.0, rel=1e-6)
    # The JSON round trip gives the same columns.
    again = flatten_signs(json.loads(json.dumps(measure_signs(ct, roi, t1c=t1c, pet=pet))))
    assert again.keys() == flat.keys()


def test_settings_from_mapping_and_typos(case):
    ct, roi, _t1c, _pet = case
    res = measure_signs(ct, roi, settings={"bubble_min_volume_mm3": 30.0})
    assert res["air_bubbles"]["count"] == 1
    with pytest.raises(SettingsError, match="did you mean 'bubble_margin_mm'"):
        measure_signs(ct, roi, settings={"bubble_margin": 2.0})
    with pytest.raises(SettingsError, match="expected a value > 0"):
        SignsSettings(bubble_margin_mm=0.0)


def test_cli_writes_json_and_rejects_bad_input(case, tmp_path, capsys):
    from rnpc_radiomics.cli.main import main
    from rnpc_radiomics.io import save_image

    ct, roi, t1c, pet = case
    paths = {}
    for name, vol in (("ct", ct), ("roi", roi), ("t1c", t1c), ("pet", pet)):
        paths[name] = str(tmp_path / f"{name}.nii.gz")
        save_image(vol, paths[name])
    tr = tmp_path / "tr.json"
    tr.write_text(json.dumps({"matrix_4x4": np.eye(4).tolist()}))
    out = tmp_path / "out" / "signs.json"
    rc = main(["signs", "--ct", paths["ct"], "--mask", paths["roi"], "--t1c", paths["t1c"],
               "--mr-transform", str(tr), "--pet", paths["pet"], "--landmark", "pterygoid=1,2,3",
               "--json", str(out)])
    assert rc == 0
    data = json.loads(out.read_text())
    assert set(data) == {"air_bubbles", "bone", "mri", "pet"}
    assert data["air_bubbles"]["count"] == 2
    assert "wrote" in capsys.readouterr().out
    # An MR passed as --ct: exit 2, one line, no output file.
    bad_out = tmp_path / "bad.json"
    rc = main(["signs", "--ct", paths["t1c"], "--mask", paths["roi"], "--json", str(bad_out)])
    err = capsys.readouterr().err
    assert rc == 2
    assert err.startswith("error: ") and "CT" in err and err.count("\n") == 1
    assert not bad_out.exists()
    rc = main(["signs", "--ct", paths["ct"], "--mask", paths["roi"], "--landmark", "x=1,2"])
    assert rc == 2
    assert "invalid --landmark" in capsys.readouterr().err
    bad_settings = tmp_path / "s.yaml"
    bad_settings.write_text("gas_treshold_hu: -500\n")
    rc = main(["signs", "--ct", paths["ct"], "--mask", paths["roi"], "--settings",
               str(bad_settings)])
    assert rc == 2
    assert "did you mean 'gas_threshold_hu'" in capsys.readouterr().err
    good_settings = tmp_path / "g.json"
    good_settings.write_text(json.dumps({"bubble_min_volume_mm3": 30.0}))
    rc = main(["signs", "--ct", paths["ct"], "--mask", paths["roi"], "--settings",
               str(good_settings)])
    assert rc == 0
    assert json.loads(capsys.readouterr().out)["air_bubbles"]["count"] == 1


def test_api_rejects_non_ct(case):
    _ct, roi, t1c, _pet = case
    with pytest.raises(InputError, match="is not a CT"):
        measure_signs(t1c, roi)
