"""``rnpc signs``: the clinical imaging signs of one case (air bubbles, bone pattern, MRI, PET)."""

from __future__ import annotations

import json
import os
import sys


def register(sub) -> None:
    p = sub.add_parser(
        "signs", help="measure the imaging signs of recurrence vs necrosis",
        description="Measure air bubbles and the bone pattern on CT, enhancement on T1 "
                    "post-contrast MRI and uptake on PET for one lesion. Prints JSON (or writes "
                    "it with --json). Fields: rnpc_radiomics/signs/README.md.")
    p.add_argument("--ct", required=True, metavar="CT",
                   help="CT in HU (DICOM folder or image file)")
    p.add_argument("--mask", required=True, metavar="ROI",
                   help="lesion mask on the CT (label map, RTSTRUCT or DICOM-SEG)")
    p.add_argument("--label", type=int, metavar="N", help="label value of the lesion in --mask")
    p.add_argument("--roi", metavar="NAME", help="RTSTRUCT ROI name of the lesion")
    p.add_argument("--t1c", metavar="T1C", help="T1 post-contrast MRI")
    p.add_argument("--t2", metavar="T2", help="T2-weighted MRI of the same session")
    p.add_argument("--adc", metavar="ADC", help="ADC map of the same session")
    p.add_argument("--mr-mask", metavar="MASK", help="lesion mask on the T1c grid")
    p.add_argument("--mr-transform", metavar="FILE.json",
                   help='MR->CT transform: JSON {"matrix_4x4": [[...]x4]} mapping MR LPS mm to CT '
                        "LPS mm")
    p.add_argument("--pet", metavar="PET", help="PET (converted to SUVbw when read from DICOM)")
    p.add_argument("--pet-weight", type=float, metavar="KG",
                   help="patient weight in kg for SUVbw when the PET lacks PatientWeight")
    p.add_argument("--landmark", action="append", default=[], metavar="NAME=X,Y,Z",
                   help="named LPS point (mm) for the bone-pattern centre, e.g. "
                        "pterygoid=12.5,-20,-40 (repeatable)")
    p.add_argument("--settings", metavar="FILE",
                   help="YAML/JSON mapping of SignsSettings fields to values")
    p.add_argument("--json", metavar="OUT.json", help="write the result here (atomically)")
    p.set_defaults(func=run)


def _read_json(path: str, what: str):
    from rnpc_radiomics.errors import InputError

    if not os.path.isfile(path):
        raise InputError(f"{what} not found", path, "no such file", "check the path")
    try:
        with open(path, encoding="utf-8") as fh:
            if path.lower().endswith((".yaml", ".yml")):
                import yaml

                return yaml.safe_load(fh)
            return json.load(fh)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot parse {what}", path, str(exc).splitlines()[0],
                         "write it as JSON (or YAML for --settings)") from None
    except Exception as exc:  # yaml.YAMLError and friends: still the user's file
        if type(exc).__module__.startswith("yaml"):
            raise InputError(f"cannot parse {what}", path, str(exc).splitlines()[0],
                             "write it as YAML or JSON") from None
        raise


def _transform(path: str):
    from rnpc_radiomics.errors import InputError
    from rnpc_radiomics.signs.mri_enhancement import check_transform

    obj = _read_json(path, "MR->CT transform")
    if isinstance(obj, dict) and "mri_to_ct" in obj:  # a phantom truth.json
        obj = obj["mri_to_ct"]
    if isinstance(obj, dict):
        if "matrix_4x4" not in obj:
            raise InputError("invalid MR-to-CT transform", path, "no 'matrix_4x4' key",
                             'write it as {"matrix_4x4": [[...], [...], [...], [0, 0, 0, 1]]}')
        obj = obj["matrix_4x4"]
    return check_transform(obj, path=path)


def _landmarks(items) -> dict:
    from rnpc_radiomics.errors import InputError

    out = {}
    for it in items:
        name, _, xyz = it.partition("=")
        try:
            vals = [float(v) for v in xyz.split(",")]
        except ValueError:
            vals = []
        if not name or len(vals) != 3:
            raise InputError("invalid --landmark", None, f"got {it!r}",
                             "write NAME=X,Y,Z in LPS mm, e.g. pterygoid=12.5,-20,-40")
        out[name] = vals
    return out


def _summary(res: dict) -> str:
    air, bone = res["air_bubbles"], res["bone"]
    parts = [f"air bubbles: {air['count']} ({air['total_volume_mm3']:.1f} mm3)",
             f"bone: {bone['pattern']}"]
    if "mri" in res:
        parts.append(f"MRI: {res['mri']['enhancement_pattern']} enhancement "
                     f"(core/rim {res['mri']['core_to_rim_ratio']:.2f})")
    if "pet" in res:
        pet = res["pet"]
        parts.append(f"PET: SUVmax {pet['suv_max']:.2f}, SUVpeak {pet['suv_peak']:.2f}")
    return "; ".join(parts)


def run(args) -> int:
    from rnpc_radiomics._atomic import atomic_output
    from rnpc_radiomics.cli._common import check_output_path, jsonable
    from rnpc_radiomics.io import load_image, load_mask
    from rnpc_radiomics.signs import SignsSettings, measure_signs

    if args.json:
        check_output_path(args.json)
    settings = None
    if args.settings:
        settings = SignsSettings.from_dict(_read_json(args.settings, "signs settings"))
    landmarks = _landmarks(args.landmark)
    mr_to_ct = _transform(args.mr_transform) if args.mr_transform else None

    ct = load_image(args.ct, modality=None)
    kw = {k: v for k, v in (("label", args.label), ("roi", args.roi)) if v is not None}
    roi = load_mask(args.mask, ct, **kw)
    t1c = load_image(args.t1c) if args.t1c else None
    t2 = load_image(args.t2) if args.t2 else None
    adc = load_image(args.adc) if args.adc else None
    t1c_mask = None
    if args.mr_mask:
        if t1c is None:
            from rnpc_radiomics.errors import InputError

            raise InputError("--mr-mask needs --t1c", args.mr_mask, "no T1c image given",
                             "pass the T1 post-contrast MRI with --t1c")
        t1c_mask = load_mask(args.mr_mask, t1c)
    pet = None
    if args.pet:
        pkw = {"pet_weight_kg": args.pet_weight} if args.pet_weight is not None else {}
        pet = load_image(args.pet, **pkw)

    res = measure_signs(ct, roi, t1c=t1c, pet=pet, t1c_mask=t1c_mask, mr_to_ct=mr_to_ct, t2=t2,
                        adc=adc, landmarks=landmarks or None, settings=settings)
    text = json.dumps(jsonable(res), indent=2)
    if args.json:
        with atomic_output(args.json) as tmp:
            with open(tmp, "w", encoding="utf-8") as fh:
                fh.write(text + "\n")
        print(f"wrote {args.json}: {_summary(res)}")
    else:
        sys.stdout.write(text + "\n")
    return 0
