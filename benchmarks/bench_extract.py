"""Time pyradiomics 3.0.1 and rnpc-radiomics side by side on the same volume, in one process.

Volume: 100 x 256 x 256 float32 (z, y, x), spacing 0.5 x 0.5 x 1.25 mm, a ~209k-voxel
ellipsoid ROI, binWidth 25, all default feature classes. Ours is timed after a warm-up call
(numba JIT compile excluded; the cold first call is reported separately). Prints the speed
ratio, the largest relative difference of every feature, and peak RSS.

``--filters`` runs the filtered-extraction benchmark instead (Original + LoG(1, 3 mm) + Wavelet
on the same volume; see ``bench_extract_filters.py``, which it calls with the other options).

Run: ``python benchmarks/bench_extract.py [--repeat N] [--no-pyradiomics] [--filters]``
"""

from __future__ import annotations

import argparse
import logging
import resource
import sys
import time

import numpy as np


def make_volume(seed: int = 0):
    """The benchmark image and mask as SimpleITK images."""
    import SimpleITK as sitk
    from scipy import ndimage

    rng = np.random.default_rng(seed)
    shape = (100, 256, 256)
    img = ndimage.gaussian_filter(rng.normal(0, 1, shape).astype(np.float32), 1.5)
    img = (img - img.mean()) / img.std() * 120 + 60  # CT-like soft tissue spread, HU-ish
    img = img.astype(np.float32)
    zz, yy, xx = np.ogrid[:shape[0], :shape[1], :shape[2]]
    # semi-axes in voxels: 26 * 48 * 40 * 4/3 pi ~ 209k voxels
    mask = (((zz - 50) / 26.0) ** 2 + ((yy - 128) / 48.0) ** 2 + ((xx - 128) / 40.0) ** 2 <= 1)
    im = sitk.GetImageFromArray(img)
    im.SetSpacing((0.5, 0.5, 1.25))
    mk = sitk.GetImageFromArray(mask.astype(np.uint8))
    mk.CopyInformation(im)
    return im, mk, int(mask.sum())


def peak_rss_mb() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return r / 1024.0 if sys.platform != "darwin" else r / 1024.0 / 1024.0


def time_calls(fn, repeat: int):
    """``(cold, warm_times)``: one first call (JIT compile / cache load included), then ``repeat``
    timed calls. Returns the last result too, for the value comparison."""
    t0 = time.perf_counter()
    out = fn()
    cold = time.perf_counter() - t0
    times = []
    for _ in range(max(1, repeat)):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return cold, times, out


def load_pyradiomics():
    """The quietened pyradiomics module, or None (said on stdout) when it is not installed."""
    try:
        import radiomics
        from radiomics import featureextractor  # noqa: F401  (the extractor the callers use)
    except ImportError:
        print("pyradiomics not installed: no baseline")
        return None
    radiomics.setVerbosity(logging.ERROR)
    return radiomics


def print_differences(ref, ours, top: int | None = None) -> None:
    """Relative difference of every pyradiomics feature in ``ours``, largest first (the
    ``top`` largest when given), and the features ours lacks."""
    keys = [k for k in ref if not k.startswith("diagnostics_")]
    missing = [k for k in keys if k not in ours]
    worst = []
    for k in keys:
        if k in missing:
            continue
        r, o = float(ref[k]), float(ours[k])
        rel = abs(o - r) / max(abs(r), 1e-300) if r != o else 0.0
        worst.append((rel, k, o, r))
    worst.sort(reverse=True)
    print(f"{len(keys)} features compared; missing in ours: {missing or 'none'}")
    print("relative difference per feature (largest first):" if top is None
          else "largest relative differences:")
    for rel, k, o, r in worst[:top]:
        print(f"  {rel:10.3e}  {k:<60s} ours {o:.10g}  pyradiomics {r:.10g}")
    if worst:
        print(f"max relative difference: {worst[0][0]:.3e} ({worst[0][1]})")


def _breakdown(extract, image, mask, params, repeat: int = 3) -> str:
    """Seconds per feature family (its ``compute``) and for the rest of the pipeline."""
    import importlib

    fams = ["firstorder", "shape", "glcm", "gldm", "glrlm", "glszm", "ngtdm"]
    spent: dict[str, float] = {}
    originals = {}
    for fam in fams:
        mod = importlib.import_module(f"rnpc_radiomics.features.{fam}")
        originals[fam] = mod.compute

        def timed(*a, _f=fam, _c=mod.compute, **k):
            t = time.perf_counter()
            try:
                return _c(*a, **k)
            finally:
                spent[_f] = spent.get(_f, 0.0) + time.perf_counter() - t
        mod.compute = timed
    best_total, best = float("inf"), {}
    try:
        for _ in range(repeat):
            spent.clear()
            t0 = time.perf_counter()
            extract(image, mask, params)
            total = time.perf_counter() - t0
            if total < best_total:
                best_total, best = total, dict(spent)
    finally:
        for fam, fn in originals.items():
            importlib.import_module(f"rnpc_radiomics.features.{fam}").compute = fn
    parts = [f"{f} {best.get(f, 0.0):.3f}" for f in fams]
    rest = best_total - sum(best.values())
    # GLDM and NGTDM share one neighbourhood pass inside extract(): whichever runs first pays.
    return (f"total {best_total:.3f} s = " + ", ".join(parts) + f", pipeline {rest:.3f} "
            "(gldm includes the neighbourhood pass NGTDM reuses)")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3, help="timed calls of our engine (best of)")
    ap.add_argument("--no-pyradiomics", action="store_true", help="time our engine only")
    ap.add_argument("--filters", action="store_true",
                    help="Original + LoG(1, 3 mm) + Wavelet instead (bench_extract_filters.py)")
    args = ap.parse_args(argv)
    if args.filters:
        import os

        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import bench_extract_filters

        return bench_extract_filters.main(
            ["--repeat", str(args.repeat)] + (["--no-pyradiomics"] if args.no_pyradiomics else []))

    params = {"setting": {"binWidth": 25}}  # pyradiomics' defaults otherwise
    im, mk, nvox = make_volume()
    print(f"volume 100x256x256 float32, spacing 0.5x0.5x1.25 mm, ROI {nvox} voxels, binWidth 25")

    from rnpc_radiomics import Volume
    from rnpc_radiomics.extraction import extract

    vim, vmk = Volume.from_sitk(im), Volume.from_sitk(mk)
    rss0 = peak_rss_mb()
    cold, times, ours = time_calls(lambda: extract(vim, vmk, params), args.repeat)
    warm = min(times)
    rss_ours = peak_rss_mb()
    print(f"rnpc-radiomics: cold first call {cold:.3f} s (includes numba compile/cache load), "
          f"warm {warm:.3f} s (best of {len(times)}: {', '.join(f'{t:.3f}' for t in times)})")
    print(f"peak RSS after ours: {rss_ours:.0f} MB (before first call {rss0:.0f} MB)")
    import os

    import numba  # imported by the first call already; not part of the cold timing

    # Timings on a shared machine depend on what else runs: say so next to the numbers.
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs; "
          f"numba threads {numba.get_num_threads()}")
    print("ours by stage (best of 3): " + _breakdown(extract, vim, vmk, params))

    if args.no_pyradiomics:
        return 0
    radiomics = load_pyradiomics()
    if radiomics is None:
        return 0
    from radiomics import featureextractor

    ext = featureextractor.RadiomicsFeatureExtractor(params)
    t0 = time.perf_counter()
    ref = ext.execute(im, mk)
    t_ref = time.perf_counter() - t0
    print(f"pyradiomics {radiomics.__version__}: {t_ref:.3f} s; peak RSS now {peak_rss_mb():.0f} MB")
    print(f"speed-up (pyradiomics / ours warm): {t_ref / warm:.1f}x;  "
          f"(pyradiomics / ours cold): {t_ref / cold:.1f}x")
    print_differences(ref, ours)
    return 0


if __name__ == "__main__":
    sys.exit(main())
