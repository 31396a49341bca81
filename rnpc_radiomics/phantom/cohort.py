"""One synthetic case (:func:`generate_case`) and a cohort on disk (:func:`write_cohort`)."""

from __future__ import annotations

import csv
import io as _io
import json
import os
import sys
import time
from dataclasses import dataclass

import numpy as np

from rnpc_radiomics.errors import InputError, SettingsError
from rnpc_radiomics.image import Provenance, Volume
from rnpc_radiomics.phantom.anatomy import ANATOMY_LABELS, BONES, build_anatomy, make_ct_grid
from rnpc_radiomics.phantom.lesions import PAINTERS
from rnpc_radiomics.phantom.modalities import render_ct, render_mr, render_pet

__all__ = ["CLASSES", "FORMATS", "GENERATOR_VERSION", "PhantomCase", "generate_case",
           "write_case", "write_cohort", "case_seeds"]

CLASSES = ("recurrence", "osteoradionecrosis", "soft_tissue_necrosis")
FORMATS = ("nifti", "dicom", "both")
GENERATOR_VERSION = 1
# pydicom's UID root for generated UIDs; deterministic UIDs come from hashing the case identity.
_UID_PREFIX = "1.2.826.0.1.3680043.8.498."


@dataclass(frozen=True, eq=False)
class PhantomCase:
    """One synthetic case: images, masks and ground truth.

    Attributes
    ----------
    case_id : str
    label : str
        One of :data:`CLASSES`.
    ct : Volume
        CT in HU (int16), modality ``"CT"``.
    t1c : Volume
        T1-post-contrast MRI (int16, arbitrary units) in its own frame of reference.
    pet : Volume
        PET in SUVbw (float32), CT frame of reference.
    roi : Volume
        Lesion mask (uint8 0/1) on the CT grid.
    anatomy : Volume
        Label map (uint8, ``truth["anatomy_labels"]``) on the CT grid.
    truth : dict
        Exactly what ``truth.json`` holds.
    """

    case_id: str
    label: str
    ct: Volume
    t1c: Volume
    pet: Volume
    roi: Volume
    anatomy: Volume
    truth: dict


def _jsonable(obj):
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        return obj.item()
    return obj


def _rounded(obj, digits: int = 5):
    """Round the floats of the sampled parameters (readability; they are not re-used)."""
    if isinstance(obj, dict):
        return {k: _rounded(v, digits) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_rounded(v, digits) for v in obj]
    if isinstance(obj, (float, np.floating)):
        return round(float(obj), digits)
    return obj


def _check_label(label) -> str:
    if label not in CLASSES:
        raise SettingsError("unknown phantom class", None, f"got {label!r}",
                            f"use one of {', '.join(CLASSES)}")
    return str(label)


def _uid(*parts) -> str:
    from pydicom.uid import generate_uid

    return str(generate_uid(prefix=_UID_PREFIX, entropy_srcs=[str(p) for p in parts]))


def _grid_info(v: Volume) -> dict:
    return {"size_xyz": list(v.size), "spacing_mm": [round(s, 6) for s in v.spacing],
            "origin_mm": [round(o, 6) for o in v.origin],
            "direction": np.round(v.direction, 9).ravel().tolist()}


def generate_case(label: str, seed: int, *, case_id: str | None = None) -> PhantomCase:
    """Generate one synthetic skull-base case with known ground truth.

    Parameters
    ----------
    label : {"recurrence", "osteoradionecrosis", "soft_tissue_necrosis"}
        The class to generate.
    seed : int
        Seed of everything random: the same (label, seed) gives identical images and truth.
    case_id : str, optional
        Neutral identifier (default ``"case_<seed>"``); it also names the synthetic patient
        (``SYNTHETIC^CASE000``) and seeds the DICOM UIDs.

    Returns
    -------
    PhantomCase

    Raises
    ------
    SettingsError
        Unknown ``label`` or a negative ``seed``.
    """
    label = _check_label(label)
    if int(seed) < 0:
        raise SettingsError("invalid phantom seed", None, f"got {seed}", "use an integer >= 0")
    seed = int(seed)
    case_id = case_id or f"case_{seed:03d}"
    rng = np.random.default_rng(seed)
    grid, grid_params = make_ct_grid(rng)
    an = build_anatomy(grid, rng)
    ptery_masks = {b: an.masks[b].copy() for b in ("pterygoid_left", "pterygoid_right")}
    lesion = PAINTERS[label](an, rng)
    ct, ct_params = render_ct(an, rng)
    t1c, mr = render_mr(an, rng)
    pet, pet_info = render_pet(an, lesion, rng)

    side = lesion.params["side"]
    uids = {"study": _uid(case_id, seed, "study"),
            "frame_of_reference_ct": _uid(case_id, seed, "for-ct"),
            "frame_of_reference_mr": _uid(case_id, seed, "for-mr"),
            "series_ct": _uid(case_id, seed, "ct"), "series_mr": _uid(case_id, seed, "mr"),
            "series_pt": _uid(case_id, seed, "pt")}
    ct = ct.replace(provenance=Provenance(series_uid=uids["series_ct"],
                                          frame_of_reference_uid=uids["frame_of_reference_ct"],
                                          description="synthetic CT"))
    t1c = t1c.replace(provenance=Provenance(series_uid=uids["series_mr"],
                                            frame_of_reference_uid=uids["frame_of_reference_mr"],
                                            description="synthetic T1 post-contrast"))
    pet = pet.replace(provenance=Provenance(series_uid=uids["series_pt"],
                                            frame_of_reference_uid=uids["frame_of_reference_ct"],
                                            description="synthetic FDG PET"))
    geo = dict(spacing=ct.spacing, origin=ct.origin, direction=ct.direction)
    roi = Volume(lesion.roi.astype(np.uint8), modality="SEG", units="label",
                 provenance=Provenance(frame_of_reference_uid=uids["frame_of_reference_ct"],
                                       description="lesion"), **geo)
    anatomy = Volume(an.label.copy(), modality="SEG", units="label",
                     provenance=Provenance(frame_of_reference_uid=uids["frame_of_reference_ct"],
                                           description="anatomy labels"), **geo)

    bubbles = [{"centroid_mm": np.round(grid.center + b["center_rel"], 4).tolist(),
                "volume_mm3": round(float(b["volume_mm3"]), 4),
                "radius_mm": round(float(b["radius_mm"]), 4),
                "voxel_volume_mm3": round(float(b["voxel_volume_mm3"]), 4)}
               for b in lesion.bubbles]
    bones = {"present": list(BONES)}
    bones.update(lesion.bones)
    anatomy_params = {k: v for k, v in an.params.items()}
    truth = {
        "case_id": case_id, "label": label, "seed": seed,
        "generator_version": GENERATOR_VERSION,
        "generator": {"grid": grid_params, "anatomy": anatomy_params, "lesion": lesion.params,
                      "ct": ct_params, "mri": mr["params"],
                      "pet": {k: pet_info[k] for k in ("psf_fwhm_mm", "voxel_mm", "noise_k",
                                                        "lesion_scale", "suv_max_target")}},
        "ct_hu_noise_sd": ct_params["noise_sd_hu"],
        "air_bubbles": bubbles,
        "bones": bones,
        "pterygoid_landmark_mm": np.round(
            grid.centroid_lps(ptery_masks[f"pterygoid_{side}"]), 4).tolist(),
        "lesion": {"centroid_mm": np.round(grid.centroid_lps(lesion.roi), 4).tolist(),
                   "volume_mm3": round(float(lesion.roi.sum()) * grid.voxel_volume, 3),
                   "side": side, "enhancement": lesion.params.get("enhancement")},
        "anatomy_labels": dict(ANATOMY_LABELS),
        "mri_to_ct": mr["mri_to_ct"],
        "pet": pet_info,
        "grids": {"ct": _grid_info(ct), "mr": _grid_info(t1c), "pet": _grid_info(pet)},
        "dicom_uids": uids,
    }
    truth["generator"] = _rounded(truth["generator"])
    truth = json.loads(json.dumps(_jsonable(truth)))  # exactly what truth.json will hold
    return PhantomCase(case_id=case_id, label=label, ct=ct, t1c=t1c, pet=pet, roi=roi,
                       anatomy=anatomy, truth=truth)


def _patient_name(case_id: str) -> str:
    return "SYNTHETIC^" + "".join(ch for ch in case_id.upper() if ch.isalnum())


def _patient_id(case_id: str) -> str:
    return "SYNTH-" + "".join(ch for ch in case_id.upper() if ch.isalnum())


def write_case(case: PhantomCase, case_dir: str | os.PathLike, *, fmt: str = "nifti") -> str:
    """Write one case folder atomically (complete or absent, never half written).

    NIfTI: ``ct.nii.gz``, ``t1c.nii.gz``, ``pet.nii.gz`` (SUVbw), ``roi.nii.gz``,
    ``anatomy.nii.gz``. DICOM: ``dicom/CT/``, ``dicom/MR/``, ``dicom/PT/`` (Bq/ml with the SUV
    tags) and ``dicom/RTSTRUCT.dcm`` (ROI ``lesion``, referencing the CT series). Always
    ``truth.json``.

    Returns
    -------
    str
        The case folder.
    """
    from rnpc_radiomics._atomic import atomic_dir

    if fmt not in FORMATS:
        raise SettingsError("unknown phantom output format", None, f"got {fmt!r}",
                            f"use one of {', '.join(FORMATS)}")
    final = os.path.abspath(os.fspath(case_dir))
    with atomic_dir(final) as tmp:
        if fmt in ("nifti", "both"):
            from rnpc_radiomics.io import save_image

            for name, vol in (("ct", case.ct), ("t1c", case.t1c), ("pet", case.pet),
                              ("roi", case.roi), ("anatomy", case.anatomy)):
                save_image(vol, os.path.join(tmp, f"{name}.nii.gz"))
        if fmt in ("dicom", "both"):
            _write_dicom(case, os.path.join(tmp, "dicom"))
        with open(os.path.join(tmp, "truth.json"), "w", encoding="utf-8") as fh:
            json.dump(case.truth, fh, indent=1)
            fh.write("\n")
    return final


def _write_dicom(case: PhantomCase, folder: str) -> None:
    import datetime as _dt

    from rnpc_radiomics.io.dicom_write import write_dicom_series
    from rnpc_radiomics.io.rtstruct import write_rtstruct

    t = case.truth
    u = t["dicom_uids"]
    # Synthetic identity derived from the neutral case id (SYNTHETIC^CASE000, SYNTH-CASE000).
    who = {"patient_name": _patient_name(case.case_id), "patient_id": _patient_id(case.case_id),
           "study_uid": u["study"]}
    ct_dir = os.path.join(folder, "CT")
    write_dicom_series(case.ct, ct_dir, modality="CT", series_uid=u["series_ct"],
                       frame_of_reference_uid=u["frame_of_reference_ct"],
                       series_description="synthetic skull base CT", series_number=1,
                       seed=t["seed"], **who)
    write_dicom_series(case.t1c, os.path.join(folder, "MR"), modality="MR",
                       series_uid=u["series_mr"],
                       frame_of_reference_uid=u["frame_of_reference_mr"],
                       series_description="synthetic T1 post-contrast", series_number=2,
                       seed=t["seed"], **who)
    p = t["pet"]
    bqml = case.pet.with_array(case.pet.array.astype(np.float64) * p["bqml_per_suv"])
    write_dicom_series(bqml, os.path.join(folder, "PT"), modality="PT",
                       series_uid=u["series_pt"],
                       frame_of_reference_uid=u["frame_of_reference_ct"],
                       series_description="synthetic FDG PET", series_number=3,
                       seed=t["seed"],
                       pet={"weight_kg": p["weight_kg"], "injected_dose_bq": p["injected_dose_bq"],
                            "half_life_s": p["half_life_s"],
                            "injection_datetime": _dt.datetime.fromisoformat(
                                p["injection_datetime"]),
                            "series_datetime": _dt.datetime.fromisoformat(p["series_datetime"]),
                            "decay_correction": "START"}, **who)
    # Patient name/ID are synthetic, so the RTSTRUCT keeps them (one patient, one study).
    write_rtstruct(case.roi, ct_dir, os.path.join(folder, "RTSTRUCT.dcm"), roi_name="lesion",
                   interpreted_type="GTV", series_description="synthetic lesion ROI",
                   keep_phi=True)


def case_seeds(n: int, seed: int) -> list[int]:
    """Independent per-case seeds derived from the cohort seed (``SeedSequence.spawn``)."""
    return [int(s.generate_state(1, dtype=np.uint32)[0])
            for s in np.random.SeedSequence(int(seed)).spawn(int(n))]


def _cohort_plan(n: int, seed: int, classes) -> list[tuple[str, str, int]]:
    classes = CLASSES if classes is None else tuple(classes)
    if not classes:
        raise SettingsError("no phantom classes chosen", None, "the class list is empty",
                            f"use some of {', '.join(CLASSES)}")
    for c in classes:
        _check_label(c)
    labels = [classes[i % len(classes)] for i in range(n)]
    order = np.random.default_rng(np.random.SeedSequence([int(seed), 1])).permutation(n)
    labels = [labels[i] for i in order]
    width = max(3, len(str(max(n - 1, 0))))
    return [(f"case_{i:0{width}d}", labels[i], s) for i, s in enumerate(case_seeds(n, seed))]


def _make_one(args) -> tuple[str, str]:
    case_id, label, seed, out_dir, fmt = args
    case = generate_case(label, seed, case_id=case_id)
    write_case(case, os.path.join(out_dir, case_id), fmt=fmt)
    return case_id, label


def write_cohort(out_dir: str | os.PathLike, n: int, seed: int, *, fmt: str = "nifti",
                 classes=None, progress=False, jobs: int = 1) -> list[str]:
    """Generate ``n`` cases into ``out_dir/<case_id>/`` plus ``out_dir/labels.csv``.

    Classes are balanced (round robin over ``classes``, then shuffled by the seed); each case
    has its own seed derived from ``seed``, so a cohort is reproducible and case ``k`` does not
    depend on ``n``'s other cases.

    Parameters
    ----------
    out_dir : str or path-like
        Output folder (created). Existing case folders of the same ids are replaced.
    n : int
        Number of cases (>= 1).
    seed : int
        Cohort seed (>= 0).
    fmt : {"nifti", "dicom", "both"}
        What to write per case (``truth.json`` always).
    classes : sequence of str, optional
        Subset of :data:`CLASSES` (default all three).
    progress : bool or callable, default False
        True prints a progress line with ETA on stderr; a callable is called as
        ``progress(done, total)`` after each case.
    jobs : int, default 1
        Worker processes.

    Returns
    -------
    list of str
        The case folders, in case-id order.

    Raises
    ------
    SettingsError
        Bad ``n``, ``seed``, ``fmt``, ``classes`` or ``jobs``.
    InputError
        ``out_dir`` exists and is not a folder.
    """
    from rnpc_radiomics._atomic import atomic_output

    if int(n) < 1:
        raise SettingsError("invalid number of phantom cases", None, f"got {n}",
                            "use --n 1 or more")
    if int(seed) < 0:
        raise SettingsError("invalid phantom seed", None, f"got {seed}", "use an integer >= 0")
    if fmt not in FORMATS:
        raise SettingsError("unknown phantom output format", None, f"got {fmt!r}",
                            f"use one of {', '.join(FORMATS)}")
    if int(jobs) < 1:
        raise SettingsError("invalid number of jobs", None, f"got {jobs}", "use 1 or more")
    out = os.path.abspath(os.fspath(out_dir))
    plan = _cohort_plan(int(n), int(seed), classes)
    if os.path.exists(out) and not os.path.isdir(out):
        raise InputError("cannot write the cohort", out, "it exists and is not a folder",
                         "choose another --out")
    os.makedirs(out, exist_ok=True)
    report = _progress_printer(len(plan)) if progress is True else (progress or None)
    tasks = [(cid, lab, s, out, fmt) for cid, lab, s in plan]
    if int(jobs) == 1:
        for k, t in enumerate(tasks, 1):
            _make_one(t)
            if report:
                report(k, len(tasks))
    else:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=int(jobs), mp_context=mp.get_context("spawn")) as ex:
            for k, _ in enumerate(ex.map(_make_one, tasks), 1):
                if report:
                    report(k, len(tasks))
    buf = _io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["case_id", "label"])
    for cid, lab, _ in plan:
        w.writerow([cid, lab])
    with atomic_output(os.path.join(out, "labels.csv")) as tmp:
        with open(tmp, "w", encoding="utf-8", newline="") as fh:
            fh.write(buf.getvalue())
    return [os.path.join(out, cid) for cid, _, _ in plan]


def _progress_printer(total: int):
    t0 = time.monotonic()

    def report(done: int, tot: int) -> None:
        el = time.monotonic() - t0
        eta = el / done * (tot - done) if done else 0.0
        width = 30
        fill = int(width * done / tot)
        sys.stderr.write(f"\rphantom [{'#' * fill}{'.' * (width - fill)}] {done}/{tot} "
                         f"{el:5.0f}s elapsed, ETA {eta:4.0f}s")
        if done == tot:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return report
