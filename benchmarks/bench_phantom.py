"""Time the synthetic cohort generator: ``write_cohort`` of N cases (target: 100 cases in under
5 minutes on 2 cores).

Baseline measured in the same run: the serial time of generating one case in memory
(``generate_case``, no files), after one warm-up case. The cohort is then written with
``--jobs`` worker processes; the script prints the wall time, seconds per case, the projected
time for 100 cases and the ratio of the cohort's per-case time to the in-memory baseline (the
cost of writing files and of process start-up, divided by the parallel speed-up).
Not a test: run it by hand,

    .venv/bin/python benchmarks/bench_phantom.py [--n 100] [--jobs 2] [--format nifti]
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100, help="cases to write (default 100)")
    ap.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    ap.add_argument("--format", default="nifti", choices=("nifti", "dicom", "both"))
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--keep", metavar="DIR", help="write the cohort here and keep it")
    args = ap.parse_args(argv)

    from rnpc_radiomics.phantom import CLASSES, generate_case, write_cohort

    generate_case(CLASSES[0], 1)  # warm-up: imports, allocator
    base = []
    for k, label in enumerate(CLASSES):
        t0 = time.perf_counter()
        generate_case(label, 10 + k)
        base.append(time.perf_counter() - t0)
    baseline = sum(base) / len(base)
    print(f"baseline: generate_case in memory, serial: {baseline:.2f} s/case "
          f"({', '.join(f'{c} {b:.2f}s' for c, b in zip(CLASSES, base))})")

    out = args.keep or tempfile.mkdtemp(prefix="bench_phantom_")
    try:
        t0 = time.perf_counter()
        dirs = write_cohort(os.path.join(out, "cohort"), args.n, args.seed, fmt=args.format,
                            jobs=args.jobs, progress=True)
        wall = time.perf_counter() - t0
        size = sum(os.path.getsize(os.path.join(r, f))
                   for r, _, fs in os.walk(os.path.join(out, "cohort")) for f in fs)
    finally:
        if not args.keep:
            shutil.rmtree(out, ignore_errors=True)
    per = wall / len(dirs)
    print(f"write_cohort: {len(dirs)} cases, format={args.format}, jobs={args.jobs}: "
          f"{wall:.1f} s wall, {per:.2f} s/case, {size / 1e6:.1f} MB "
          f"({size / 1e6 / len(dirs):.2f} MB/case)")
    print(f"projected 100 cases: {100 * per:.0f} s (target < 300 s: "
          f"{'met' if 100 * per < 300 else 'NOT met'})")
    print(f"ratio cohort per-case / in-memory baseline: {per / baseline:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
