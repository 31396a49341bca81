"""The synthetic skull-base cohort: files load back, truth.json matches the images, and each class
carries its intended signature.

One small cohort (one case per class, NIfTI and DICOM) is generated once per module; the checks
then read it back with our loaders and SimpleITK.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from rnpc_radiomics.errors import InputError, SettingsError
from rnpc_radiomics.phantom import CLASSES, generate_case, write_case, write_cohort
from rnpc_radiomics.phantom.anatomy import ANATOMY_LABELS, build_anatomy, make_ct_grid

COHORT_SEED = 11
LESION_LABELS = [ANATOMY_LABELS[n] for n in
                 ("lesion", "necrosis_core", "bubble", "osteolysis", "sequestrum")]


@pytest.fixture(scope="module")
def cohort(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("phantom") / "cohort"
    dirs = write_cohort(out, 3, COHORT_SEED, fmt="both")
    cases = {}
    for d in dirs:
        truth = json.loads((Path(d) / "truth.json").read_text())
        cases[truth["label"]] = Path(d)
    return {"out": out, "dirs": [Path(d) for d in dirs], "by_label": cases}


@pytest.fixture(scope="module")
def cases(cohort) -> dict:
    """The cohort's cases regenerated in memory from their truth (label, seed, id)."""
    out = {}
    for label, d in cohort["by_label"].items():
        t = _truth(d)
        out[label] = generate_case(t["label"], t["seed"], case_id=t["case_id"])
    return out


def _truth(d: Path) -> dict:
    return json.loads((d / "truth.json").read_text())


def _nifti(d: Path, name: str):
    from rnpc_radiomics.io import load_image

    return load_image(d / f"{name}.nii.gz")


def _pre_lesion_anatomy(seed: int):
    """The case's anatomy before the lesion was painted (same random stream prefix)."""
    rng = np.random.default_rng(seed)
    grid, _ = make_ct_grid(rng)
    return build_anatomy(grid, rng)


def _ct_points_to_mr_values(truth: dict, mr, ct, mask: np.ndarray) -> np.ndarray:
    """MR values at the CT voxels of ``mask``, through the recorded MR->CT transform."""
    from scipy import ndimage

    m = np.asarray(truth["mri_to_ct"]["matrix_4x4"])
    kji = np.argwhere(mask)
    p_ct = ct.index_to_physical(kji[:, ::-1])
    p_mr = (p_ct - m[:3, 3]) @ m[:3, :3]  # inverse of p_ct = R p_mr + t
    ijk = mr.physical_to_index(p_mr)
    return ndimage.map_coordinates(mr.array.astype(np.float64),
                                   [ijk[:, 2], ijk[:, 1], ijk[:, 0]], order=1, mode="nearest")


# ------------------------------------------------------------------------------ layout, API
def test_public_api_and_cohort_layout(cohort):
    assert CLASSES == ("recurrence", "osteoradionecrosis", "soft_tissue_necrosis")
    out = cohort["out"]
    rows = list(csv.DictReader((out / "labels.csv").open()))
    assert [r["case_id"] for r in rows] == ["case_000", "case_001", "case_002"]
    assert sorted(r["label"] for r in rows) == sorted(CLASSES)  # balanced
    for r in rows:
        d = out / r["case_id"]
        t = _truth(d)
        assert t["label"] == r["label"] and t["case_id"] == r["case_id"]
        for f in ("ct.nii.gz", "t1c.nii.gz", "pet.nii.gz", "roi.nii.gz", "truth.json",
                  "dicom/RTSTRUCT.dcm"):
            assert (d / f).is_file(), f
        for m in ("CT", "MR", "PT"):
            assert any((d / "dicom" / m).iterdir())
        for key in ("case_id", "label", "seed", "generator", "ct_hu_noise_sd", "air_bubbles",
                    "bones", "pterygoid_landmark_mm", "lesion", "anatomy_labels", "mri_to_ct",
                    "pet"):
            assert key in t, key
        assert set(t["bones"]) >= {"present", "involved", "eroded", "cortical_break", "spongy",
                                   "bilateral"}
        assert set(t["mri_to_ct"]) >= {"matrix_4x4", "rotation_deg", "translation_mm"}
        assert set(t["pet"]) >= {"suv_max", "injected_dose_bq", "weight_kg"}
    # No temporary folders or files left behind.
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize("label", CLASSES)
def test_deterministic_for_a_seed(cohort, cases, label):
    d = cohort["by_label"][label]
    t = _truth(d)
    case = cases[label]
    assert case.truth == t
    np.testing.assert_array_equal(case.ct.array, _nifti(d, "ct").array)
    np.testing.assert_array_equal(case.t1c.array, _nifti(d, "t1c").array)
    np.testing.assert_allclose(case.pet.array, _nifti(d, "pet").array, rtol=0, atol=0)
    np.testing.assert_array_equal(case.roi.array, _nifti(d, "roi").array)
    assert case.ct.modality == "CT" and case.ct.units == "HU"
    assert case.t1c.units == "arbitrary" and case.pet.units == "SUVbw"
    assert case.roi.array.dtype == np.uint8 and set(np.unique(case.roi.array)) == {0, 1}
    assert case.anatomy.same_geometry(case.ct) and case.roi.same_geometry(case.ct)


def test_bad_arguments_are_settings_errors(tmp_path):
    with pytest.raises(SettingsError, match="unknown phantom class"):
        generate_case("necrosis", 1)
    with pytest.raises(SettingsError, match="invalid number of phantom cases"):
        write_cohort(tmp_path, 0, 1)
    with pytest.raises(SettingsError, match="unknown phantom output format"):
        write_cohort(tmp_path, 1, 1, fmt="png")
    with pytest.raises(SettingsError, match="unknown phantom class"):
        write_cohort(tmp_path, 1, 1, classes=["recurrence", "metastasis"])
    assert not any(tmp_path.iterdir())
    (tmp_path / "file").write_text("x")
    with pytest.raises(InputError, match="is not a folder"):
        write_cohort(tmp_path / "file", 1, 1)


def test_failed_case_write_leaves_nothing(cases, tmp_path, monkeypatch):
    import rnpc_radiomics.io as rio

    case = cases["recurrence"]
    calls = []

    def boom(vol, path):
        calls.append(path)
        if len(calls) == 2:
            raise OSError("disk full")
        Path(path).write_bytes(b"partial")

    monkeypatch.setattr(rio, "save_image", boom)
    with pytest.raises(OSError, match="disk full"):
        write_case(case, tmp_path / "case_x", fmt="nifti")
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------------------ loaders agree
@pytest.mark.parametrize("modality,name", [("CT", "ct"), ("MR", "t1c"), ("PT", "pet")])
def test_dicom_nifti_and_simpleitk_agree(cohort, modality, name):
    import SimpleITK as sitk

    from rnpc_radiomics.io import load_image

    d = cohort["by_label"]["recurrence"]
    dic = load_image(d / "dicom" / modality)
    nii = _nifti(d, name)
    assert dic.shape == nii.shape
    np.testing.assert_allclose(dic.spacing, nii.spacing, rtol=0, atol=1e-5)
    np.testing.assert_allclose(dic.origin, nii.origin, rtol=0, atol=1e-3)
    np.testing.assert_allclose(dic.direction, nii.direction, rtol=0, atol=1e-6)
    if modality == "PT":
        assert dic.units == "SUVbw"
        # Per-slice uint16 storage: error below half a slope (slice max / 65535).
        np.testing.assert_allclose(dic.array, nii.array, rtol=0, atol=2e-4)
    else:
        np.testing.assert_array_equal(dic.array, nii.array)
    reader = sitk.ImageSeriesReader()
    reader.SetFileNames(reader.GetGDCMSeriesFileNames(str(d / "dicom" / modality)))
    img = reader.Execute()
    raw = load_image(d / "dicom" / modality, suv=False) if modality == "PT" else dic
    np.testing.assert_allclose(sitk.GetArrayFromImage(img), raw.array, rtol=1e-6, atol=1e-3)
    np.testing.assert_allclose(img.GetOrigin(), raw.origin, rtol=0, atol=1e-4)
    np.testing.assert_allclose(img.GetSpacing(), raw.spacing, rtol=0, atol=1e-6)


def test_rtstruct_matches_roi(cohort):
    from rnpc_radiomics.io import load_image, load_mask

    for d in cohort["dirs"]:
        ct = load_image(d / "dicom" / "CT")
        m = load_mask(d / "dicom" / "RTSTRUCT.dcm", ct, roi="lesion")
        np.testing.assert_array_equal(m.array != 0, _nifti(d, "roi").array != 0)


def test_dicom_headers_one_study_synthetic_identity_pet_tags(cohort):
    import pydicom
    from pydicom.uid import UID

    from rnpc_radiomics.io.pet import suv_factor

    d = cohort["dirs"][1]
    t = _truth(d)
    heads = {m: pydicom.dcmread(next(iter(sorted((d / "dicom" / m).iterdir()))))
             for m in ("CT", "MR", "PT")}
    heads["RTSTRUCT"] = pydicom.dcmread(d / "dicom" / "RTSTRUCT.dcm")
    assert len({h.StudyInstanceUID for h in heads.values()}) == 1
    assert heads["CT"].FrameOfReferenceUID == heads["PT"].FrameOfReferenceUID
    assert heads["MR"].FrameOfReferenceUID != heads["CT"].FrameOfReferenceUID
    assert heads["RTSTRUCT"].FrameOfReferenceUID == heads["CT"].FrameOfReferenceUID
    for h in heads.values():
        assert str(h.PatientName).startswith("SYNTHETIC^")
        for uid in (h.StudyInstanceUID, h.SeriesInstanceUID, h.SOPInstanceUID):
            assert UID(str(uid)).is_valid
    pt = heads["PT"]
    assert pt.Units == "BQML" and pt.DecayCorrection == "START"
    assert float(pt.PatientWeight) == pytest.approx(t["pet"]["weight_kg"], rel=1e-6)
    rp = pt.RadiopharmaceuticalInformationSequence[0]
    assert float(rp.RadionuclideTotalDose) == pytest.approx(t["pet"]["injected_dose_bq"],
                                                            rel=1e-6)
    # SUVbw factor from the tags = 1 / (Bq/ml per SUV) recorded in the truth.
    assert suv_factor(pt) == pytest.approx(1.0 / t["pet"]["bqml_per_suv"], rel=1e-4)


# ------------------------------------------------------------------------------ truth vs images
def test_truth_matches_images(cohort):
    from scipy import ndimage

    for label, d in cohort["by_label"].items():
        t = _truth(d)
        ct, roi, anat = _nifti(d, "ct"), _nifti(d, "roi"), _nifti(d, "anatomy")
        r = roi.array != 0
        # The ROI covers every lesion voxel of the label map, and the truth describes it.
        assert np.all(r[np.isin(anat.array, LESION_LABELS)]), label
        vol = r.sum() * ct.voxel_volume
        assert t["lesion"]["volume_mm3"] == pytest.approx(vol, rel=1e-6)
        cen = ct.index_to_physical(np.argwhere(r).mean(axis=0)[::-1])
        np.testing.assert_allclose(t["lesion"]["centroid_mm"], cen, rtol=0, atol=1e-3)
        # Noise as recorded: SD of CT in the fat (flat, away from edges).
        fat = ndimage.binary_erosion(anat.array == ANATOMY_LABELS["fat"], iterations=3)
        assert ct.array[fat].std() == pytest.approx(t["ct_hu_noise_sd"], rel=0.25)
        # Bubbles: gas at their centroids, inside the ROI, each its own gas component,
        # none connected to the airway or sinus air.
        gas_lab, _ = ndimage.label(ct.array < -400)
        air_comps = set(np.unique(gas_lab[np.isin(
            anat.array, [ANATOMY_LABELS["airway"], ANATOMY_LABELS["sinus_air"]])])) - {0}
        seen = set()
        for b in t["air_bubbles"]:
            assert 1.0 <= b["volume_mm3"] <= 200.0
            k = tuple(np.rint(ct.physical_to_index(b["centroid_mm"])[::-1]).astype(int))
            assert r[k], b
            if b["volume_mm3"] >= 8.0:
                assert ct.array[k] < -400, b
                comp = gas_lab[k]
                assert comp not in air_comps and comp not in seen, b
                seen.add(comp)
                assert b["voxel_volume_mm3"] == pytest.approx(b["volume_mm3"], rel=0.25)
        # Landmark: inside (or within a voxel of) the pterygoid of the lesion side.
        side = t["lesion"]["side"]
        k = tuple(np.rint(ct.physical_to_index(t["pterygoid_landmark_mm"])[::-1]).astype(int))
        near = ndimage.binary_dilation(np.isin(anat.array, [
            ANATOMY_LABELS[f"pterygoid_{side}"], ANATOMY_LABELS["osteolysis"],
            ANATOMY_LABELS["lesion"]]), iterations=4)
        assert near[k]
        # PET SUVmax as defined in the truth (PET voxel centres inside the ROI).
        pet = _nifti(d, "pet")
        kji = np.rint(ct.physical_to_index(pet.index_to_physical(
            np.argwhere(np.ones(pet.shape, bool))[:, ::-1]))[:, ::-1]).astype(int)
        ok = np.all((kji >= 0) & (kji < np.array(ct.shape)), axis=1)
        inside = np.zeros(len(kji), bool)
        inside[ok] = r[kji[ok, 0], kji[ok, 1], kji[ok, 2]]
        if inside.any():
            assert pet.array.ravel()[inside].max() == pytest.approx(t["pet"]["suv_max"],
                                                                    rel=1e-4)


def test_mri_transform_maps_anatomy(cohort):
    """Air on CT is dark on MR through the recorded transform (and would not be without it)."""
    from rnpc_radiomics.io import load_image

    d = cohort["by_label"]["soft_tissue_necrosis"]
    t = _truth(d)
    ct, mr, anat = _nifti(d, "ct"), load_image(d / "dicom" / "MR"), _nifti(d, "anatomy")
    from scipy import ndimage

    air = ndimage.binary_erosion(anat.array == ANATOMY_LABELS["airway"], iterations=3)
    muscle = ndimage.binary_erosion(anat.array == ANATOMY_LABELS["muscle"], iterations=3)
    mr_air = np.median(_ct_points_to_mr_values(t, mr, ct, air))
    mr_muscle = np.median(_ct_points_to_mr_values(t, mr, ct, muscle))
    assert mr_air < 0.25 * mr_muscle
    rot = np.asarray(t["mri_to_ct"]["matrix_4x4"])[:3, :3]
    np.testing.assert_allclose(rot @ rot.T, np.eye(3), rtol=0, atol=1e-6)
    assert 0 < np.max(np.abs(t["mri_to_ct"]["rotation_deg"])) <= 4.0
    assert np.max(np.abs(t["mri_to_ct"]["translation_mm"])) <= 6.0


# ------------------------------------------------------------------------------ signatures
def _changed_bones(t: dict, case) -> tuple[dict, object]:
    an0 = _pre_lesion_anatomy(t["seed"])
    lab1 = case.anatomy.array
    changed = {}
    for b in t["bones"]["present"]:
        was = an0.masks[b]
        changed[b] = int(np.count_nonzero(was & (lab1 != ANATOMY_LABELS[b])
                                          & (lab1 != ANATOMY_LABELS["sequestrum"])))
    return changed, an0


def test_recurrence_signature(cohort, cases):
    t = _truth(cohort["by_label"]["recurrence"])
    case = cases["recurrence"]
    changed, an0 = _changed_bones(t, case)
    bones = t["bones"]
    assert len(bones["involved"]) == 1 and bones["eroded"] == bones["involved"]
    assert bones["cortical_break"] and not bones["bilateral"]
    # Only the involved bone lost bone; its cortex is broken where the mass is.
    assert [b for b, n in changed.items() if n] == bones["involved"]
    target = bones["involved"][0]
    roi = case.roi.array != 0
    assert np.count_nonzero(an0.masks["cortex"] & an0.masks[target] & roi) > 0
    # Solid enhancement: lesion brighter than muscle on T1c (through the transform).
    les = case.anatomy.array == ANATOMY_LABELS["lesion"]
    mus = case.anatomy.array == ANATOMY_LABELS["muscle"]
    ratio = (np.median(_ct_points_to_mr_values(t, case.t1c, case.ct, les))
             / np.median(_ct_points_to_mr_values(t, case.t1c, case.ct, mus)))
    assert ratio > 1.5
    assert t["air_bubbles"] == []
    lo = 3.5 if "low_suv" in t["generator"]["lesion"]["overlap"] else 6.0
    assert lo * 0.8 <= t["pet"]["suv_max"] <= 15.0 * 1.2


def test_osteoradionecrosis_signature(cohort, cases):
    t = _truth(cohort["by_label"]["osteoradionecrosis"])
    case = cases["osteoradionecrosis"]
    changed, an0 = _changed_bones(t, case)
    bones = t["bones"]
    side = t["lesion"]["side"]
    assert bones["spongy"] and f"pterygoid_{side}" in bones["involved"]
    assert changed[f"pterygoid_{side}"] > 0
    # Spongy: the changed trabecular bone is a mixture of lytic holes and bone on CT.
    roi = case.roi.array != 0
    trab = an0.masks["trabecular"] & roi
    hu = case.ct.array[trab]
    assert np.mean(hu < 150) > 0.2 and np.mean(hu > 180) > 0.2
    # Little soft tissue: the ROI is mostly (former) bone.
    assert np.count_nonzero(an0.masks["bone"] & roi) > 0.6 * np.count_nonzero(roi)
    hi = 8.5 if "high_suv" in t["generator"]["lesion"]["overlap"] else 6.0
    assert 1.0 <= t["pet"]["suv_max"] <= hi * 1.3


def test_soft_tissue_necrosis_signature(cohort, cases):
    t = _truth(cohort["by_label"]["soft_tissue_necrosis"])
    case = cases["soft_tissue_necrosis"]
    assert t["bones"]["involved"] == [] and not t["bones"]["cortical_break"]
    if "few_or_no_bubbles" not in t["generator"]["lesion"]["overlap"]:
        assert len(t["air_bubbles"]) >= 2
    # Rim enhancement around a non-enhancing core (3 mm MR slices blur the thin rim: the
    # painted contrast is 3.3-7x, the imaged one at least 1.5x).
    lab = case.anatomy.array
    rim = _ct_points_to_mr_values(t, case.t1c, case.ct, lab == ANATOMY_LABELS["lesion"])
    core = _ct_points_to_mr_values(t, case.t1c, case.ct, lab == ANATOMY_LABELS["necrosis_core"])
    assert np.median(rim) > 1.5 * np.median(core)
    # Bubbles lie in soft tissue (never in bone or the airway).
    an0 = _pre_lesion_anatomy(t["seed"])
    for b in t["air_bubbles"]:
        k = tuple(np.rint(case.ct.physical_to_index(b["centroid_mm"])[::-1]).astype(int))
        assert an0.masks["soft"][k]


def test_cli_phantom(tmp_path, capsys):
    from rnpc_radiomics.cli.main import main

    rc = main(["phantom", "--out", str(tmp_path / "c"), "--n", "1", "--seed", "3",
               "--classes", "soft_tissue_necrosis"])
    assert rc == 0
    assert (tmp_path / "c" / "case_000" / "ct.nii.gz").is_file()
    assert _truth(tmp_path / "c" / "case_000")["label"] == "soft_tissue_necrosis"
    capsys.readouterr()
    rc = main(["phantom", "--out", str(tmp_path / "d"), "--n", "2", "--classes", "tumour"])
    err = capsys.readouterr().err
    assert rc == 2 and err.startswith("error: unknown phantom class") and err.count("\n") == 1
    assert not (tmp_path / "d" / "labels.csv").exists()


def test_sample_data_is_what_the_generator_makes():
    """The committed cohort matches its README and the current generator (ROI Dice >= 0.9, so a
    changed generator is caught but a different BLAS rounding is not)."""
    root = Path(__file__).resolve().parents[1] / "sample_data"
    if not (root / "labels.csv").is_file():
        pytest.skip(f"sample cohort absent: {root / 'labels.csv'} does not exist")
    assert "rnpc phantom --out sample_data --n 6 --seed 2024 --format both" in (
        root / "README.md").read_text()
    rows = list(csv.DictReader((root / "labels.csv").open()))
    assert sorted(r["label"] for r in rows) == sorted(CLASSES * 2)
    size = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
    assert size <= 25e6
    for r in rows:
        t = _truth(root / r["case_id"])
        assert t["label"] == r["label"]
        assert (root / r["case_id"] / "dicom" / "RTSTRUCT.dcm").is_file()
    t = _truth(root / rows[0]["case_id"])
    case = generate_case(t["label"], t["seed"], case_id=t["case_id"])
    a = case.roi.array != 0
    b = _nifti(root / rows[0]["case_id"], "roi").array != 0
    assert 2 * np.count_nonzero(a & b) / (a.sum() + b.sum()) >= 0.9
