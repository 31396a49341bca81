"""``rnpc conformance --ibsi-dir PATH``: check IBSI mode against the IBSI-1 reference values."""

from __future__ import annotations

import logging
import os
import sys

_DATASETS = ("digital_phantom", "config_A", "config_B", "config_C", "config_D", "config_E")

log = logging.getLogger("rnpc_radiomics.cli.conformance")


def register(sub) -> None:
    p = sub.add_parser(
        "conformance", help="check IBSI mode against the IBSI-1 reference values",
        description="Compute the IBSI-1 digital phantom and CT phantom configurations A-E in "
                    "IBSI mode and print, per data set and feature family, how many reference "
                    "values pass (IBSI rule: round to 3 significant digits, then |value - "
                    "reference| <= tolerance), then list the failures. Exit status 0 when "
                    "every checked value passes, 1 otherwise, 2 for bad input.")
    p.add_argument("--ibsi-dir", required=True, metavar="PATH",
                   help="folder with reference_values/ibsi1_reference_values.csv, "
                        "digital_phantom/ and ct_phantom/")
    p.add_argument("--dataset", action="append", choices=_DATASETS, metavar="NAME",
                   help=f"data set to check (repeatable; default all): {', '.join(_DATASETS)}")
    p.add_argument("--csv", metavar="FILE",
                   help="also write every compared value to this CSV file")
    p.add_argument("--no-failures", action="store_true", help="print the table only")
    p.add_argument("--filters", action="store_true",
                   help="also check IBSI-2: the phase-1 filter response maps and the phase-2 "
                        "filtered CT-phantom statistics (<PATH>/ibsi2; takes a few minutes)")
    p.set_defaults(func=run)


def run(args) -> int:
    from rnpc_radiomics.errors import InputError
    from rnpc_radiomics.ibsi.conformance import (
        format_ibsi2_phase2_report,
        format_ibsi2_report,
        format_report,
        run_conformance,
        run_ibsi2_phase1,
        run_ibsi2_phase2,
    )

    if not os.path.isdir(args.ibsi_dir):
        raise InputError("IBSI data folder not found", args.ibsi_dir, "no such folder",
                         "pass --ibsi-dir pointing at the IBSI data (see its README.md)")
    datasets = tuple(args.dataset) if args.dataset else _DATASETS
    results = run_conformance(args.ibsi_dir, datasets,
                              progress=lambda ds: log.info("computing %s", ds))
    print(format_report(results, failures=not args.no_failures))
    if args.csv:
        _write_csv(args.csv, results)
    failed = any(not c.passed for r in results for c in r.checks)
    if args.filters:
        maps = run_ibsi2_phase1(args.ibsi_dir)
        print()
        print(format_ibsi2_report(maps))
        failed = failed or any(not m.passed for m in maps if not m.skipped)
        log.info("computing IBSI-2 phase 2 (filtered CT phantom)")
        phase2 = run_ibsi2_phase2(args.ibsi_dir)
        print()
        print(format_ibsi2_phase2_report(phase2))
        failed = failed or any(not c.passed for r in phase2 for c in r.checks)
    return 1 if failed else 0


def _write_csv(path: str, results) -> None:
    import csv

    from rnpc_radiomics._atomic import atomic_output

    with atomic_output(path) as tmp, open(tmp, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["dataset", "family", "aggregation", "tag", "value", "reference", "tolerance",
                    "passed"])
        for res in results:
            for c in res.checks:
                w.writerow([res.dataset, c.row.family, c.row.aggregation, c.row.tag,
                            "" if c.value is None else repr(float(c.value)), c.row.reference,
                            c.row.tolerance, int(c.passed)])
    print(f"wrote {path}", file=sys.stderr)
