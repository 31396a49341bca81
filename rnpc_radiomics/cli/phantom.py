"""``rnpc phantom``: write a synthetic skull-base cohort with ground truth."""

from __future__ import annotations

import argparse
import sys


def register(sub) -> None:
    p = sub.add_parser(
        "phantom", help="generate a synthetic cohort (recurrence / necrosis) with ground truth",
        description="Generate synthetic skull-base cases (CT, T1-post-contrast MRI, FDG PET, "
                    "lesion ROI) of recurrent NPC, osteoradionecrosis and soft-tissue necrosis, "
                    "each with a truth.json, into DIR/<case_id>/, plus DIR/labels.csv. "
                    "Deterministic for a seed.")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    p.add_argument("--n", type=int, default=6, metavar="N", help="number of cases (default 6)")
    p.add_argument("--seed", type=int, default=0, metavar="S", help="cohort seed (default 0)")
    p.add_argument("--format", dest="fmt", choices=("nifti", "dicom", "both"), default="nifti",
                   help="image files to write (default nifti; truth.json always)")
    p.add_argument("--classes", nargs="+", metavar="CLASS",
                   help="classes to generate, balanced (default: recurrence "
                        "osteoradionecrosis soft_tissue_necrosis)")
    p.add_argument("--jobs", type=int, default=1, metavar="J",
                   help="worker processes (default 1)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from rnpc_radiomics.cli._common import check_output_path
    from rnpc_radiomics.phantom import write_cohort

    check_output_path(args.out)
    show = bool(getattr(args, "verbose", False)) or sys.stderr.isatty()
    dirs = write_cohort(args.out, args.n, args.seed, fmt=args.fmt, classes=args.classes,
                        progress=show, jobs=args.jobs)
    print(f"wrote {len(dirs)} cases and labels.csv to {args.out}")
    return 0
