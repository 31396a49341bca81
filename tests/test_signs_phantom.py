"""The signs on a few synthetic phantom cases with known truth (the full figures come from
``benchmarks/validate_signs.py``)."""

from __future__ import annotations

import numpy as np
import pytest

phantom = pytest.importorskip("rnpc_radiomics.phantom", reason="phantom generator absent")

from rnpc_radiomics.signs import flatten_signs, measure_signs  # noqa: E402

SEED = 500


@pytest.fixture(scope="module")
def results():
    out = {}
    for label in phantom.CLASSES:
        case = phantom.generate_case(label, SEED)
        res = measure_signs(case.ct, case.roi, t1c=case.t1c, pet=case.pet,
                            mr_to_ct=case.truth["mri_to_ct"]["matrix_4x4"],
                            landmarks={"pterygoid": case.truth["pterygoid_landmark_mm"]})
        out[label] = (case, res)
    return out


def test_necrosis_bubbles_found_and_airway_never_counted(results):
    case, res = results["soft_tissue_necrosis"]
    truth = [b for b in case.truth["air_bubbles"] if b["volume_mm3"] >= 1.0]
    assert truth, "the STN phantom case should hold bubbles"
    found = res["air_bubbles"]["bubbles"]
    for t in truth:
        d = min(np.linalg.norm(np.subtract(t["centroid_mm"], f["centroid_mm"])) for f in found)
        assert d <= max(1.5, t["radius_mm"] + 0.5)  # mm
    assert len(found) == len(case.truth["air_bubbles"])  # no false bubble
    labels = case.truth["anatomy_labels"]
    air = np.isin(case.anatomy.array, [labels["airway"], labels["sinus_air"]])
    for f in found:
        i, j, k = np.rint(case.ct.physical_to_index(f["centroid_mm"])).astype(int)
        assert not air[k, j, i]
    lo = case.ct.index_to_physical([0, 0, 0])
    hi = case.ct.index_to_physical(np.array(case.ct.size) - 1)
    for t in truth:
        c = np.asarray(t["centroid_mm"])
        if np.any(c - t["radius_mm"] - 1.0 < lo) or np.any(c + t["radius_mm"] + 1.0 > hi):
            continue  # cut by the field of view: only part of it is imaged
        f = min(found, key=lambda b: np.linalg.norm(np.subtract(b["centroid_mm"], c)))
        # rtol 0.3 / atol 1 mm3: partial-volume estimate after scanner blur and noise.
        np.testing.assert_allclose(f["volume_mm3"], t["volume_mm3"], rtol=0.3, atol=1.0)


def test_recurrence_and_orn_have_no_bubbles_in_airway(results):
    for label in ("recurrence", "osteoradionecrosis"):
        case, res = results[label]
        assert res["air_bubbles"]["count"] == len(case.truth["air_bubbles"])


def test_bone_measures_order_the_classes(results):
    rec = results["recurrence"][1]["bone"]
    orn = results["osteoradionecrosis"][1]["bone"]
    stn = results["soft_tissue_necrosis"][1]["bone"]
    assert orn["spongy_index"] > stn["spongy_index"]
    assert orn["spongy_index"] > rec["spongy_index"]
    assert rec["cortical_discontinuity"] > stn["cortical_discontinuity"]
    assert orn["abnormal_bone_volume_mm3"] > stn["abnormal_bone_volume_mm3"]


def test_bone_left_right_comparison(results):
    for _label, (case, res) in results.items():
        # The phantom's anatomy is symmetric about x = its centre (per-structure jitter aside).
        mid = case.truth["generator"]["grid"]["anatomy_center_mm"][0]
        np.testing.assert_allclose(res["bone"]["midline_x_mm"], mid, atol=0.5)  # mm
    rec = results["recurrence"][1]["bone"]
    stn = results["soft_tissue_necrosis"][1]["bone"]
    orn = results["osteoradionecrosis"][1]["bone"]
    assert rec["pattern"] == "focal_erosion", rec["reason"]
    assert orn["pattern"] == "diffuse_spongy", orn["reason"]
    assert stn["pattern"] == "none", stn["reason"]
    assert rec["missing_bone_volume_mm3"] >= 35.0
    assert stn["missing_bone_volume_mm3"] < 5.0
    assert orn["spongy_index"] > orn["contralateral_spongy_index"]


def test_mri_and_pet_against_truth(results):
    assert results["soft_tissue_necrosis"][1]["mri"]["enhancement_pattern"] == "rim"
    assert results["recurrence"][1]["mri"]["enhancement_pattern"] == "solid"
    for _label, (case, res) in results.items():
        assert res["mri"]["mask_source"] == "mr_to_ct"
        target = case.truth["pet"]["suv_max_target"]
        # rtol 0.15: PET noise on the voxel maximum.
        np.testing.assert_allclose(res["pet"]["suv_max"], target, rtol=0.15)
        assert res["pet"]["suv_peak"] <= res["pet"]["suv_max"]
        flat = flatten_signs(res)
        assert all(np.isfinite(v) for v in flat.values())
