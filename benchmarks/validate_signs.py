"""Validate the imaging signs against the synthetic cohort's ground truth.

Generates ``--n`` phantom cases per class (``rnpc_radiomics.phantom.generate_case``), measures the
signs on each and prints:

* air bubbles: sensitivity for truth bubbles >= 1 mm³ (a truth bubble is found when a detected
  pocket's centroid lies within max(1.5 mm, its radius + 0.5 mm)), false bubbles per case
  (detections matching no truth bubble), and the number of detections lying in airway or sinus
  air (must be 0);
* the confusion matrix of the bone ``pattern`` against the generating class (expected:
  recurrence -> focal_erosion, osteoradionecrosis -> diffuse_spongy, soft_tissue_necrosis -> none);
* the MRI enhancement pattern per class and the PET SUVmax error against the phantom's target.

Usage::

    python benchmarks/validate_signs.py --n 20 --seed 1000 [--classes ...] [--json out.json]

The figures in ``rnpc_radiomics/signs/README.md`` come from this script.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np

EXPECTED = {"recurrence": "focal_erosion", "osteoradionecrosis": "diffuse_spongy",
            "soft_tissue_necrosis": "none"}
PATTERNS = ("focal_erosion", "diffuse_spongy", "none")
MIN_VOLUME = 1.0
SMALL = 5.0  # also report the sensitivity for the smallest bubbles, 1-5 mm3


def match_bubbles(truth: list[dict], found: list[dict]) -> tuple[list[bool], list[bool]]:
    """Greedy nearest matching; returns (truth found?, detection matched?)."""
    pairs = []
    for i, t in enumerate(truth):
        tol = max(1.5, float(t.get("radius_mm", 0.0)) + 0.5)
        for j, f in enumerate(found):
            d = float(np.linalg.norm(np.subtract(t["centroid_mm"], f["centroid_mm"])))
            if d <= tol:
                pairs.append((d, i, j))
    t_ok = [False] * len(truth)
    f_ok = [False] * len(found)
    for _d, i, j in sorted(pairs):
        if not t_ok[i] and not f_ok[j]:
            t_ok[i] = f_ok[j] = True
    return t_ok, f_ok


def in_air_structure(case, xyz) -> bool:
    """True when the detection's centroid voxel or a neighbour is airway or sinus air."""
    labels = case.truth["anatomy_labels"]
    bad = [labels[k] for k in ("airway", "sinus_air") if k in labels]
    ijk = np.rint(case.ct.physical_to_index(xyz)).astype(int)
    k, j, i = ijk[2], ijk[1], ijk[0]
    a = case.anatomy.array
    sub = a[max(k - 1, 0):k + 2, max(j - 1, 0):j + 2, max(i - 1, 0):i + 2]
    return bool(np.isin(sub, bad).any())


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10, help="cases per class (default 10)")
    ap.add_argument("--seed", type=int, default=1000, help="first seed (default 1000)")
    ap.add_argument("--classes", nargs="+", metavar="LABEL",
                    help="only these classes (default: all three)")
    ap.add_argument("--json", help="also write per-case results here")
    args = ap.parse_args(argv)

    from rnpc_radiomics.phantom import CLASSES, generate_case
    from rnpc_radiomics.signs import measure_signs

    classes = tuple(args.classes or CLASSES)
    unknown = [c for c in classes if c not in CLASSES]
    if unknown:
        ap.error(f"unknown class(es) {unknown}; choose from {list(CLASSES)}")

    n_truth = n_found = n_false = n_airway = n_cases = n_small = n_small_found = 0
    conf = {c: dict.fromkeys(PATTERNS, 0) for c in classes}
    mri = {c: {"rim": 0, "solid": 0} for c in classes}
    suv_err = []
    rows = []
    t_gen = t_sig = 0.0
    for label in classes:
        for seed in range(args.seed, args.seed + args.n):
            t0 = time.perf_counter()
            case = generate_case(label, seed)
            t1 = time.perf_counter()
            res = measure_signs(case.ct, case.roi, t1c=case.t1c, pet=case.pet,
                                mr_to_ct=case.truth["mri_to_ct"]["matrix_4x4"],
                                landmarks={"pterygoid": case.truth["pterygoid_landmark_mm"]})
            t2 = time.perf_counter()
            t_gen += t1 - t0
            t_sig += t2 - t1
            n_cases += 1
            truth = case.truth["air_bubbles"]
            found = res["air_bubbles"]["bubbles"]
            t_ok, f_ok = match_bubbles(truth, found)
            big = [ok for t, ok in zip(truth, t_ok) if t["volume_mm3"] >= MIN_VOLUME]
            n_truth += len(big)
            n_found += sum(big)
            small = [ok for t, ok in zip(truth, t_ok) if MIN_VOLUME <= t["volume_mm3"] < SMALL]
            n_small += len(small)
            n_small_found += sum(small)
            n_false += sum(1 for ok in f_ok if not ok)
            airway = sum(1 for f in found if in_air_structure(case, f["centroid_mm"]))
            n_airway += airway
            pat = res["bone"]["pattern"]
            conf[label][pat] += 1
            mri[label][res["mri"]["enhancement_pattern"]] += 1
            target = case.truth.get("pet", {}).get("suv_max_target")
            if target:
                suv_err.append(res["pet"]["suv_max"] / float(target) - 1.0)
            rows.append({"label": label, "seed": seed, "truth_bubbles": len(truth),
                         "found_bubbles": len(found), "missed": [t["volume_mm3"] for t, ok in
                                                                 zip(truth, t_ok) if not ok],
                         "false": [f["volume_mm3"] for f, ok in zip(found, f_ok) if not ok],
                         "airway_counted": airway, "pattern": pat,
                         "bone": {k: res["bone"][k] for k in (
                             "cortical_discontinuity", "spongy_index", "lytic_fraction",
                             "abnormal_bone_volume_mm3", "bones_involved",
                             "missing_bone_volume_mm3", "contralateral_spongy_index",
                             "midline_x_mm")},
                         "target_bone": case.truth["generator"]["lesion"].get("target_bone"),
                         "mri": res["mri"]["enhancement_pattern"],
                         "suv_max": res["pet"]["suv_max"]})

    sens = n_found / n_truth if n_truth else float("nan")
    print(f"cases: {n_cases} ({args.n} per class, seeds {args.seed}-{args.seed + args.n - 1}); "
          f"generation {t_gen:.0f} s, signs {t_sig:.0f} s ({t_sig / n_cases:.2f} s/case)")
    print(f"air bubbles >= {MIN_VOLUME:g} mm3: sensitivity {n_found}/{n_truth} = {sens:.3f}")
    print(f"  of which {MIN_VOLUME:g}-{SMALL:g} mm3: {n_small_found}/{n_small}")
    print(f"false bubbles: {n_false} in {n_cases} cases = {n_false / n_cases:.3f} per case")
    print(f"detections in airway/sinus air: {n_airway}")
    print("bone pattern confusion (rows: generating class, columns: call):")
    print(f"  {'':22s}" + "".join(f"{p:>16s}" for p in PATTERNS))
    for c in classes:
        print(f"  {c:22s}" + "".join(f"{conf[c][p]:16d}" for p in PATTERNS))
    for c in classes:
        miss = [r["bone"]["missing_bone_volume_mm3"] for r in rows if r["label"] == c]
        miss = [m for m in miss if m is not None]
        exc = [r["bone"]["spongy_index"] - r["bone"]["contralateral_spongy_index"]
               for r in rows if r["label"] == c
               and r["bone"]["contralateral_spongy_index"] is not None]
        if miss:
            print(f"  {c}: missing bone {min(miss):.0f} / {np.median(miss):.0f} / "
                  f"{max(miss):.0f} mm3 (min / median / max), spongy index minus other side "
                  f"{min(exc):+.3f} / {np.median(exc):+.3f} / {max(exc):+.3f}")
    correct = sum(conf[c][EXPECTED[c]] for c in classes)
    print(f"  pattern agrees with the class's intended sign: {correct}/{n_cases} = "
          f"{correct / n_cases:.3f}")
    print("MRI enhancement call per class: " + "; ".join(
        f"{c}: rim {mri[c]['rim']}, solid {mri[c]['solid']}" for c in classes))
    if suv_err:
        e = np.abs(np.asarray(suv_err))
        print(f"PET SUVmax vs noise-free target: median |error| {np.median(e):.1%}, "
              f"max {e.max():.1%}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump({"sensitivity": sens, "false_per_case": n_false / n_cases,
                       "airway_counted": n_airway, "confusion": conf, "cases": rows}, fh,
                      indent=1)
    ok = sens >= 0.95 and n_false / n_cases <= 0.1 and n_airway == 0
    print("air-bubble targets (sensitivity >= 0.95, <= 0.1 false/case, airway never): "
          + ("met" if ok else "NOT met"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
