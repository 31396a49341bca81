"""Small helpers shared by the subcommands (argument groups, output)."""

from __future__ import annotations

import argparse
import json
import math
import os
import sys

import numpy as np


def add_image_mask_args(p: argparse.ArgumentParser) -> None:
    """The IMAGE and MASK arguments of the per-case feature commands, with --label / --roi."""
    p.add_argument("image", help="image file (NIfTI/NRRD/MHA) or DICOM file/folder")
    p.add_argument("mask", help="label map, RTSTRUCT or DICOM-SEG")
    p.add_argument("--label", type=int, metavar="N", help="ROI label value (overrides params)")
    p.add_argument("--roi", metavar="NAME", help="RTSTRUCT ROI name / SEG segment")


def add_image_options(p: argparse.ArgumentParser) -> None:
    """Options that choose and convert an image series (DICOM folders, PET)."""
    p.add_argument("--series", metavar="UID", help="SeriesInstanceUID to read when a folder holds several")
    p.add_argument("--modality", metavar="MOD", help="read the only series of this modality (CT, MR, PT)")
    p.add_argument("--pet-weight", type=float, metavar="KG",
                   help="patient weight in kg for SUVbw when the PET lacks PatientWeight")
    p.add_argument("--raw-pet", action="store_true",
                   help="keep PET in its stored units (e.g. Bq/ml) instead of SUVbw")


def image_kwargs(args: argparse.Namespace) -> dict:
    kw = {"series": args.series, "modality": args.modality}
    if getattr(args, "pet_weight", None) is not None:
        kw["pet_weight_kg"] = args.pet_weight
    if getattr(args, "raw_pet", False):
        kw["suv"] = False
    return kw


def jsonable(obj):
    """Convert numpy scalars/arrays and non-finite floats to plain JSON values."""
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        return jsonable(obj.item())
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def print_json(obj) -> None:
    json.dump(jsonable(obj), sys.stdout, indent=2)
    sys.stdout.write("\n")


def check_output_path(path: str) -> None:
    """Fail early (before any work) when the output folder cannot be written."""
    from rnpc_radiomics.errors import InputError

    d = os.path.dirname(os.path.abspath(path)) or "."
    if os.path.exists(d) and not os.access(d, os.W_OK):
        raise InputError("cannot write output", path, "the folder is not writable",
                         "choose another --out location")
