"""IBSI-1 conformance check: compute every data set of the reference table and compare.

IBSI's pass rule (also MIRP's test): round the value to 3 significant digits, then pass when
``|rounded - reference| <= tolerance``. A few diagnostic references carry more than three
significant digits (e.g. the image maximum 3065 with tolerance 0); those pass when the unrounded
value is within tolerance as well.
"""

from __future__ import annotations

import csv
import math
import os
from dataclasses import dataclass, field

from rnpc_radiomics.errors import InputError
from rnpc_radiomics.ibsi.settings import IbsiSettings

__all__ = ["DATASETS", "CONFIGS", "ReferenceRow", "Check", "read_reference", "round_sig",
           "passes", "within", "check_dataset", "run_conformance", "format_report",
           "run_ibsi2_phase1", "format_ibsi2_report", "ibsi2_phase1_cases", "MapCheck",
           "ibsi2_phase2_filters", "run_ibsi2_phase2", "format_ibsi2_phase2_report"]

REFERENCE_CSV = os.path.join("reference_values", "ibsi1_reference_values.csv")
DATASETS = ("digital_phantom", "config_A", "config_B", "config_C", "config_D", "config_E")

# The processing of each data set (IBSI-1 chapter 5 / reference_values/ibsi1_configurations.csv);
# params/ibsi_digital_phantom.yaml and params/ibsi_config_[A-E].yaml hold the same settings.
_INTERP_2D = {"spacing": (2.0, 2.0, None), "image_interpolator": "linear",
              "round_intensities": True, "roi_interpolator": "linear", "roi_partial_volume": 0.5}
_INTERP_3D = dict(_INTERP_2D, spacing=(2.0, 2.0, 2.0))
CONFIGS: dict[str, dict] = {
    "digital_phantom": {"round_input": True, "texture_dims": ["2D", "2.5D", "3D"],
                        "discretisation": {"method": "none"}, "ivh": {"method": "none"}},
    "config_A": {"round_input": True, "texture_dims": ["2D", "2.5D"],
                 "resegmentation": {"range": (-500, 400)},
                 "discretisation": {"method": "FBS", "bin_width": 25},
                 "ivh": {"method": "none"}},
    "config_B": {"round_input": True, "texture_dims": ["2D", "2.5D"],
                 "interpolation": _INTERP_2D, "resegmentation": {"range": (-500, 400)},
                 "discretisation": {"method": "FBN", "bin_number": 32},
                 "ivh": {"method": "none"}},
    "config_C": {"round_input": True, "texture_dims": ["3D"], "interpolation": _INTERP_3D,
                 "resegmentation": {"range": (-1000, 400)},
                 "discretisation": {"method": "FBS", "bin_width": 25},
                 "ivh": {"method": "FBS", "bin_width": 2.5}},
    "config_D": {"round_input": True, "texture_dims": ["3D"], "interpolation": _INTERP_3D,
                 "resegmentation": {"outlier_sigma": 3.0},
                 "discretisation": {"method": "FBN", "bin_number": 32},
                 "ivh": {"method": "none"}},
    "config_E": {"round_input": True, "texture_dims": ["3D"],
                 "interpolation": dict(_INTERP_3D, image_interpolator="cubic"),
                 "resegmentation": {"range": (-1000, 400), "outlier_sigma": 3.0},
                 "discretisation": {"method": "FBN", "bin_number": 32},
                 "ivh": {"method": "FBN", "bin_number": 1000}},
}
_FILES = {"digital_phantom": ("digital_phantom/image.nii.gz", "digital_phantom/mask.nii.gz")}
_CT = ("ct_phantom/image.nii.gz", "ct_phantom/mask.nii.gz")


def settings_for(dataset: str) -> IbsiSettings:
    """The built-in IBSI settings of a reference data set."""
    return IbsiSettings.from_mapping(CONFIGS[dataset])


@dataclass(frozen=True)
class ReferenceRow:
    """One row of the IBSI-1 reference table that has a reference value."""

    dataset: str
    family: str
    aggregation: str
    feature: str
    tag: str
    reference: float
    tolerance: float


@dataclass(frozen=True)
class Check:
    """One compared value."""

    row: ReferenceRow
    value: float | None
    passed: bool


@dataclass
class DatasetResult:
    """All checks of one data set, or why it was skipped."""

    dataset: str
    checks: list[Check] = field(default_factory=list)
    skipped: str | None = None


def read_reference(ibsi_dir: str | os.PathLike) -> list[ReferenceRow]:
    """Rows with a reference value from ``<ibsi_dir>/reference_values/...csv``.

    Raises
    ------
    InputError
        The table is missing or lacks the expected columns.
    """
    path = os.path.join(os.fspath(ibsi_dir), REFERENCE_CSV)
    if not os.path.isfile(path):
        raise InputError("IBSI reference table not found", path, "no such file",
                         "pass the folder holding reference_values/ and the phantoms")
    rows = []
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        need = {"dataset", "family", "aggregation", "feature", "tag", "reference_value",
                "tolerance"}
        if not need <= set(reader.fieldnames or ()):
            raise InputError("not an IBSI-1 reference table", path,
                             f"missing columns {sorted(need - set(reader.fieldnames or ()))}",
                             "use ibsi1_reference_values.csv")
        for r in reader:
            if r["reference_value"] == "":
                continue  # not standardised (OMBB, MVEE, IVH AUC)
            rows.append(ReferenceRow(r["dataset"], r["family"], r["aggregation"], r["feature"],
                                     r["tag"], float(r["reference_value"]),
                                     float(r["tolerance"] or 0.0)))
    return rows


def round_sig(x: float, digits: int = 3) -> float:
    """Round to ``digits`` significant digits (0 and non-finite values unchanged)."""
    if x == 0 or not math.isfinite(x):
        return x
    return round(x, digits - int(math.floor(math.log10(abs(x)))) - 1)


def passes(value: float | None, reference: float, tolerance: float) -> bool:
    """IBSI pass rule (3 significant digits, then absolute tolerance)."""
    if value is None or not math.isfinite(value):
        return False
    eps = 1e-9 * max(1.0, abs(reference))
    return (abs(round_sig(value) - reference) <= tolerance + eps
            or abs(value - reference) <= tolerance + eps)


def within(value: float | None, reference: float, tolerance: float) -> bool:
    """IBSI-2 rule: the unrounded value lies within ``tolerance`` of the reference."""
    if value is None or not math.isfinite(value):
        return False
    return abs(value - reference) <= tolerance + 1e-9 * max(1.0, abs(reference))


def _load(ibsi_dir: str, dataset: str):
    from rnpc_radiomics.io import load_image

    img_rel, msk_rel = _FILES.get(dataset, _CT)
    return (load_image(os.path.join(ibsi_dir, img_rel)),
            load_image(os.path.join(ibsi_dir, msk_rel)))


def check_dataset(ibsi_dir, dataset: str, rows: list[ReferenceRow] | None = None,
                  families=None) -> DatasetResult:
    """Compute one data set and compare it with its reference rows."""
    from rnpc_radiomics.ibsi import extract_ibsi

    ibsi_dir = os.fspath(ibsi_dir)
    rows = [r for r in (rows if rows is not None else read_reference(ibsi_dir))
            if r.dataset == dataset]
    img_rel, msk_rel = _FILES.get(dataset, _CT)
    missing = [p for p in (img_rel, msk_rel) if not os.path.isfile(os.path.join(ibsi_dir, p))]
    if missing:
        return DatasetResult(dataset, skipped=f"{missing[0]} absent")
    image, mask = _load(ibsi_dir, dataset)
    values = extract_ibsi(image, mask, settings_for(dataset), families=families)
    res = DatasetResult(dataset)
    for r in rows:
        v = values.get(r.tag)
        if v is None and families is not None:
            continue
        res.checks.append(Check(r, v, passes(v, r.reference, r.tolerance)))
    return res


def run_conformance(ibsi_dir, datasets=DATASETS, progress=None) -> list[DatasetResult]:
    """Check every requested data set; ``progress(dataset)`` is called before each."""
    rows = read_reference(ibsi_dir)
    out = []
    for ds in datasets:
        if progress is not None:
            progress(ds)
        out.append(check_dataset(ibsi_dir, ds, rows))
    return out


_FAMILY_SHORT = {
    "Morphology": "morphology", "Local intensity": "local intensity",
    "Statistics": "statistics", "Intensity histogram": "intensity histogram",
    "Intensity volume histogram": "intensity-volume histogram",
    "Co-occurrence matrix": "GLCM", "Run length matrix": "GLRLM", "Size zone matrix": "GLSZM",
    "Distance zone matrix": "GLDZM", "Neighbourhood grey tone difference matrix": "NGTDM",
    "Neighbouring grey level dependence matrix": "NGLDM",
}
_FAMILY_ORDER = ["diagnostics"] + list(_FAMILY_SHORT.values())


def _short(family: str) -> str:
    return "diagnostics" if family.startswith("Diagnostics") else _FAMILY_SHORT.get(family, family)


def format_report(results: list[DatasetResult], failures: bool = True) -> str:
    """Pass counts per family (rows) and data set (columns), then the failures."""
    names = [r.dataset for r in results]
    counts: dict[tuple[str, str], list[int]] = {}
    for res in results:
        for c in res.checks:
            k = (_short(c.row.family), res.dataset)
            counts.setdefault(k, [0, 0])
            counts[k][0] += c.passed
            counts[k][1] += 1
    w0 = max(len("family"), *(len(f) for f in _FAMILY_ORDER))
    cols = [max(len(n), 11) for n in names]
    lines = ["IBSI-1 conformance: passed / reference values (rule: 3 significant digits, "
             "|value - reference| <= tolerance)", ""]
    lines.append("  ".join(["family".ljust(w0)] + [n.rjust(w) for n, w in zip(names, cols)]))
    total = {n: [0, 0] for n in names}
    for fam in _FAMILY_ORDER:
        cells = []
        any_row = False
        for n, w in zip(names, cols):
            pc = counts.get((fam, n))
            if pc:
                any_row = True
                total[n][0] += pc[0]
                total[n][1] += pc[1]
                cells.append(f"{pc[0]}/{pc[1]}".rjust(w))
            else:
                cells.append("-".rjust(w))
        if any_row:
            lines.append("  ".join([fam.ljust(w0)] + cells))
    cells = []
    for res, w in zip(results, cols):
        cells.append(("skipped" if res.skipped else
                      f"{total[res.dataset][0]}/{total[res.dataset][1]}").rjust(w))
    lines.append("  ".join(["total".ljust(w0)] + cells))
    for res in results:
        if res.skipped:
            lines.append(f"{res.dataset}: skipped ({res.skipped})")
    if failures:
        bad = [(res.dataset, c) for res in results for c in res.checks if not c.passed]
        lines.append("")
        lines.append(f"failures: {len(bad)}")
        for ds, c in bad:
            if c.value is None:
                v = "missing"
            else:
                v = f"{c.value:.6g} (rounded {round_sig(c.value):g})"
            lines.append(f"  {ds} {c.row.tag}: {v} vs {c.row.reference:g} ± {c.row.tolerance:g}")
    return "\n".join(lines)


# --------------------------------------------------------------------------- IBSI-2 phase 1
_SP2 = (2.0, 2.0, 2.0)


def ibsi2_phase1_cases() -> dict:
    """IBSI-2 phase-1 tests: id -> (phantom, description, ``filter(array) -> array``).

    Parameters as in the IBSI-2 manual (and MIRP's tests); lengths in mm on the 2 mm phantoms.
    Maps 9_a, 9_b_1 and 10_b_1 of the reference set are not covered.
    """
    from rnpc_radiomics.ibsi import filters as F

    sp = _SP2
    return {
        "1_a_1": ("checkerboard", "mean 15, zero", lambda a: F.mean_filter(a, 15, boundary="zero")),
        "1_a_2": ("checkerboard", "mean 15, nearest",
                  lambda a: F.mean_filter(a, 15, boundary="nearest")),
        "1_a_3": ("checkerboard", "mean 15, periodic",
                  lambda a: F.mean_filter(a, 15, boundary="periodic")),
        "1_a_4": ("checkerboard", "mean 15, mirror",
                  lambda a: F.mean_filter(a, 15, boundary="mirror")),
        "1_b_1": ("impulse", "mean 15 2D, zero",
                  lambda a: F.mean_filter(a, 15, boundary="zero", by_slice=True)),
        "2_a": ("impulse", "LoG 3 mm, zero", lambda a: F.log_filter(a, 3.0, sp, boundary="zero")),
        "2_b": ("checkerboard", "LoG 5 mm, mirror",
                lambda a: F.log_filter(a, 5.0, sp, boundary="mirror")),
        "2_c": ("checkerboard", "LoG 5 mm 2D, mirror",
                lambda a: F.log_filter(a, 5.0, sp, boundary="mirror", by_slice=True)),
        "3_a_1": ("impulse", "Laws E5L5S5, zero",
                  lambda a: F.laws_filter(a, "E5L5S5", boundary="zero")),
        "3_a_2": ("impulse", "Laws E5L5S5 rot-inv max, zero",
                  lambda a: F.laws_filter(a, "E5L5S5", boundary="zero", rotation_invariant=True)),
        "3_a_3": ("impulse", "Laws E5L5S5 rot-inv energy 7, zero",
                  lambda a: F.laws_filter(a, "E5L5S5", boundary="zero", rotation_invariant=True,
                                          energy_delta=7)),
        "3_b_1": ("checkerboard", "Laws E3W5R5, mirror",
                  lambda a: F.laws_filter(a, "E3W5R5", boundary="mirror")),
        "3_b_2": ("checkerboard", "Laws E3W5R5 rot-inv max, mirror",
                  lambda a: F.laws_filter(a, "E3W5R5", boundary="mirror",
                                          rotation_invariant=True)),
        "3_b_3": ("checkerboard", "Laws E3W5R5 rot-inv energy 7, mirror",
                  lambda a: F.laws_filter(a, "E3W5R5", boundary="mirror",
                                          rotation_invariant=True, energy_delta=7)),
        "3_c_1": ("checkerboard", "Laws L5S5 2D, mirror",
                  lambda a: F.laws_filter(a, "L5S5", boundary="mirror", by_slice=True)),
        "3_c_2": ("checkerboard", "Laws L5S5 2D rot-inv max, mirror",
                  lambda a: F.laws_filter(a, "L5S5", boundary="mirror", by_slice=True,
                                          rotation_invariant=True)),
        "3_c_3": ("checkerboard", "Laws L5S5 2D rot-inv energy 7, mirror",
                  lambda a: F.laws_filter(a, "L5S5", boundary="mirror", by_slice=True,
                                          rotation_invariant=True, energy_delta=7)),
        "4_a_1": ("impulse", "Gabor 10/0.5/4 mm, 60 deg, zero",
                  lambda a: F.gabor_filter(a, 10.0, 0.5, 4.0, sp, theta_deg=60.0,
                                           boundary="zero")),
        "4_a_2": ("impulse", "Gabor 10/0.5/4 mm, 45 deg steps, 3 planes, zero",
                  lambda a: F.gabor_filter(a, 10.0, 0.5, 4.0, sp, theta_step_deg=45.0,
                                           boundary="zero", rotation_invariant=True)),
        "4_b_1": ("sphere", "Gabor 20/2.5/8 mm, 225 deg, mirror",
                  lambda a: F.gabor_filter(a, 20.0, 2.5, 8.0, sp, theta_deg=225.0,
                                           boundary="mirror")),
        "4_b_2": ("sphere", "Gabor 20/2.5/8 mm, 22.5 deg steps, 3 planes, mirror",
                  lambda a: F.gabor_filter(a, 20.0, 2.5, 8.0, sp, theta_step_deg=22.5,
                                           boundary="mirror", rotation_invariant=True)),
        "5_a_1": ("impulse", "db2 LHL, zero",
                  lambda a: F.wavelet_filter(a, "db2", "LHL", boundary="zero")),
        "5_a_2": ("impulse", "db2 LHL rot-inv, zero",
                  lambda a: F.wavelet_filter(a, "db2", "LHL", boundary="zero",
                                             rotation_invariant=True)),
        "6_a_1": ("sphere", "coif1 HHL, periodic",
                  lambda a: F.wavelet_filter(a, "coif1", "HHL", boundary="periodic")),
        "6_a_2": ("sphere", "coif1 HHL rot-inv, periodic",
                  lambda a: F.wavelet_filter(a, "coif1", "HHL", boundary="periodic",
                                             rotation_invariant=True)),
        "7_a_1": ("checkerboard", "haar LLL level 2 rot-inv, mirror",
                  lambda a: F.wavelet_filter(a, "haar", "LLL", level=2, boundary="mirror",
                                             rotation_invariant=True)),
        "7_a_2": ("checkerboard", "haar HHH level 2 rot-inv, mirror",
                  lambda a: F.wavelet_filter(a, "haar", "HHH", level=2, boundary="mirror",
                                             rotation_invariant=True)),
        "8_a_1": ("checkerboard", "Simoncelli level 1, periodic",
                  lambda a: F.simoncelli_filter(a, 1)),
        "8_a_2": ("checkerboard", "Simoncelli level 2, periodic",
                  lambda a: F.simoncelli_filter(a, 2)),
        "8_a_3": ("checkerboard", "Simoncelli level 3, periodic",
                  lambda a: F.simoncelli_filter(a, 3)),
    }


@dataclass(frozen=True)
class MapCheck:
    """One IBSI-2 response map: largest voxel deviation as a fraction of the reference range."""

    test_id: str
    description: str
    deviation: float | None
    passed: bool
    skipped: str | None = None


def run_ibsi2_phase1(ibsi_dir, test_ids=None) -> list[MapCheck]:
    """Compute IBSI-2 phase-1 response maps and compare them with the reference maps.

    A map passes when every voxel is within 1 % of the reference map's intensity range.
    """
    import numpy as np

    from rnpc_radiomics.io import load_image

    root = os.path.join(os.fspath(ibsi_dir), "ibsi2")
    cases = ibsi2_phase1_cases()
    out = []
    for tid in (test_ids or sorted(cases)):
        phantom, desc, fn = cases[tid]
        img_p = os.path.join(root, "digital_phantoms", phantom, "image.nii.gz")
        ref_p = os.path.join(root, "reference_response_maps", f"{tid}-ValidCRM.nii.gz")
        if not (os.path.isfile(img_p) and os.path.isfile(ref_p)):
            out.append(MapCheck(tid, desc, None, False, "phantom or reference map absent"))
            continue
        img = np.asarray(load_image(img_p).array, dtype=np.float64)
        ref = np.asarray(load_image(ref_p).array, dtype=np.float64)
        got = fn(img)
        span = float(ref.max() - ref.min())
        dev = float(np.max(np.abs(got - ref))) / span if span > 0 else float(
            np.max(np.abs(got - ref)))
        out.append(MapCheck(tid, desc, dev, dev <= 0.01))
    return out


def format_ibsi2_report(checks: list[MapCheck]) -> str:
    """One line per response map, then the pass count."""
    lines = ["IBSI-2 phase 1 response maps (pass: every voxel within 1 % of the reference range)",
             ""]
    for c in checks:
        if c.skipped:
            lines.append(f"  {c.test_id:7s} skipped ({c.skipped})  {c.description}")
        else:
            lines.append(f"  {c.test_id:7s} {'pass' if c.passed else 'FAIL'}  max deviation "
                         f"{100 * c.deviation:.3g} %  {c.description}")
    done = [c for c in checks if not c.skipped]
    lines.append(f"passed: {sum(c.passed for c in done)}/{len(done)}")
    return "\n".join(lines)


# --------------------------------------------------------------------------- IBSI-2 phase 2
PHASE2_CSV = os.path.join("ibsi2", "reference_values", "ibsi2_reference_values.csv")
# Voxels kept around the ROI before filtering with a local filter: more than the widest
# support used below (Gabor: 4 sigma / gamma... = 20 mm), so ROI responses are unaffected.
_PHASE2_MARGIN = 30


def ibsi2_phase2_filters() -> dict:
    """IBSI-2 phase-2 filters: n -> (description, ``filter(array, spacing_zyx, by_slice)``, local).

    ``.A`` is the 2D version (slice by slice, no interpolation), ``.B`` the 3D version (cubic
    spline interpolation to 1 mm, intensities rounded). Boundary condition mirror. Non-local
    filters (Simoncelli, Fourier domain, periodic) see the whole image.
    """
    from rnpc_radiomics.ibsi import filters as F

    return {
        "1": ("no filter", lambda a, sp, bs: a, True),
        "2": ("mean, support 5", lambda a, sp, bs: F.mean_filter(a, 5, boundary="mirror",
                                                                 by_slice=bs), True),
        "3": ("LoG, sigma 1.5 mm", lambda a, sp, bs: F.log_filter(a, 1.5, sp, boundary="mirror",
                                                                  by_slice=bs), True),
        "4": ("Laws L5E5 / L5E5E5 energy, delta 7, rot-inv max",
              lambda a, sp, bs: F.laws_filter(a, "L5E5" if bs else "L5E5E5", boundary="mirror",
                                              rotation_invariant=True, energy_delta=7,
                                              by_slice=bs), True),
        "5": ("Gabor sigma 5 mm, gamma 1.5, lambda 2 mm, 22.5 deg steps",
              lambda a, sp, bs: F.gabor_filter(a, 5.0, 1.5, 2.0, sp, theta_step_deg=22.5,
                                               boundary="mirror", rotation_invariant=not bs),
              True),
        "6": ("db3 LH / LLH level 1, rot-inv",
              lambda a, sp, bs: F.wavelet_filter(a, "db3", "LH" if bs else "LLH",
                                                 boundary="mirror", rotation_invariant=True,
                                                 by_slice=bs), True),
        "7": ("db3 HH / HHH level 2, rot-inv",
              lambda a, sp, bs: F.wavelet_filter(a, "db3", "HH" if bs else "HHH", level=2,
                                                 boundary="mirror", rotation_invariant=True,
                                                 by_slice=bs), True),
        "8": ("Simoncelli level 1", lambda a, sp, bs: F.simoncelli_filter(a, 1, by_slice=bs),
              False),
        "9": ("Simoncelli level 2", lambda a, sp, bs: F.simoncelli_filter(a, 2, by_slice=bs),
              False),
    }


def _phase2_settings(version: str) -> IbsiSettings:
    cfg = {"round_input": True, "resegmentation": {"range": (-1000, 400)}}
    if version == "B":
        cfg["interpolation"] = {"spacing": (1.0, 1.0, 1.0), "image_interpolator": "cubic",
                                "round_intensities": True, "roi_interpolator": "linear",
                                "roi_partial_volume": 0.5}
    return IbsiSettings.from_mapping(cfg)


def run_ibsi2_phase2(ibsi_dir, filter_ids=None, versions=("A", "B")) -> list[DatasetResult]:
    """IBSI-2 phase 2: intensity statistics of filtered CT-phantom images vs the references.

    One :class:`DatasetResult` per configuration (``"2.A"`` ...); a value passes when its
    unrounded value lies within the tolerance of the reference (:func:`within`).
    """
    import numpy as np

    from rnpc_radiomics.ibsi.preprocess import prepare
    from rnpc_radiomics.ibsi.statistics import statistics_features

    ibsi_dir = os.fspath(ibsi_dir)
    csv_path = os.path.join(ibsi_dir, PHASE2_CSV)
    filters = ibsi2_phase2_filters()
    ids = [str(i) for i in (filter_ids or filters)]
    if not os.path.isfile(csv_path) or not os.path.isfile(os.path.join(ibsi_dir, _CT[0])):
        return [DatasetResult(f"{i}.{v}", skipped="IBSI-2 reference table or CT phantom absent")
                for i in ids for v in versions]
    refs: dict[str, list[ReferenceRow]] = {}
    with open(csv_path, newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh, delimiter=";"):
            if r["consensus_value"] == "":
                continue  # 8.B qcod: no reference
            refs.setdefault(r["filter_id"], []).append(ReferenceRow(
                r["filter_id"], "Statistics", "", r["feature"], r["feature_tag"],
                float(r["consensus_value"]), float(r["tolerance"])))
    image, mask = _load(ibsi_dir, "config_A")
    out = []
    for v in versions:
        p = prepare(image, mask, _phase2_settings(v))
        idx = np.nonzero(p.morph_mask)
        sl = tuple(slice(max(int(a.min()) - _PHASE2_MARGIN, 0), int(a.max()) + _PHASE2_MARGIN + 1)
                   for a in idx)
        for i in ids:
            _desc, fn, local = filters[i]
            img, m = (p.image[sl], p.int_mask[sl]) if local else (p.image, p.int_mask)
            vals = statistics_features(fn(img, p.spacing_zyx, v == "A")[m])
            res = DatasetResult(f"{i}.{v}")
            for row in refs.get(f"{i}.{v}", []):
                x = vals.get(row.tag)
                res.checks.append(Check(row, x, within(x, row.reference, row.tolerance)))
            out.append(res)
    return out


def format_ibsi2_phase2_report(results: list[DatasetResult]) -> str:
    """Pass counts per IBSI-2 phase-2 configuration, then the failures."""
    lines = ["IBSI-2 phase 2 (filtered CT phantom, intensity statistics; pass: within tolerance)",
             ""]
    filters = ibsi2_phase2_filters()
    for res in results:
        n = res.dataset.split(".")[0]
        desc = filters[n][0] if n in filters else ""
        if res.skipped:
            lines.append(f"  {res.dataset:4s} skipped ({res.skipped})")
            continue
        ok = sum(c.passed for c in res.checks)
        lines.append(f"  {res.dataset:4s} {ok:2d}/{len(res.checks):2d}  {desc}")
    bad = [(r.dataset, c) for r in results for c in r.checks if not c.passed]
    tot = sum(len(r.checks) for r in results)
    lines.append(f"passed: {tot - len(bad)}/{tot}")
    for ds, c in bad:
        v = "missing" if c.value is None else f"{c.value:.6g}"
        lines.append(f"  {ds} {c.row.tag}: {v} vs {c.row.reference:g} ± {c.row.tolerance:g}")
    return "\n".join(lines)
