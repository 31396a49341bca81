"""Filtered image types: pyradiomics 3.0.1 and rnpc-radiomics side by side, in one process.

The volume and ROI of ``bench_extract.py`` (100 x 256 x 256 float32, ~209k-voxel ellipsoid),
image types Original + LoG (sigma 1 and 3 mm) + Wavelet (coif1, 8 decompositions), binWidth 25,
all default feature classes: 11 image types, ~1,037 features. Ours is timed after a warm-up call
(numba compile/cache load excluded; the cold call is reported too). Prints the speed ratio, the
largest relative difference of every feature and the peak RSS.

(A separate file because ``bench_extract.py`` has no hook for other parameters; it reuses that
file's volume.)

``--breakdown`` also times the filters alone on the ROI's box (best of ``--repeat``) per image
type, next to the whole-image SimpleITK LoG that pyradiomics (and formerly this package) runs.

Run: ``python benchmarks/bench_extract_filters.py [--repeat N] [--no-pyradiomics] [--breakdown]``
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bench_extract import (  # noqa: E402
    load_pyradiomics,
    make_volume,
    peak_rss_mb,
    print_differences,
    time_calls,
)

PARAMS = {"setting": {"binWidth": 25},
          "imageType": {"Original": {}, "LoG": {"sigma": [1.0, 3.0]}, "Wavelet": {}}}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3, help="timed calls of our engine (best of)")
    ap.add_argument("--no-pyradiomics", action="store_true", help="time our engine only")
    ap.add_argument("--breakdown", action="store_true",
                    help="also time the filters alone (ours on the ROI box, SimpleITK's LoG)")
    args = ap.parse_args(argv)

    im, mk, nvox = make_volume()
    print(f"volume 100x256x256 float32, spacing 0.5x0.5x1.25 mm, ROI {nvox} voxels; image types "
          "Original + LoG(1, 3 mm) + Wavelet(coif1), binWidth 25")

    from rnpc_radiomics import Volume
    from rnpc_radiomics.extraction import extract

    vim, vmk = Volume.from_sitk(im), Volume.from_sitk(mk)
    cold, times, ours = time_calls(lambda: extract(vim, vmk, PARAMS), args.repeat)
    warm = min(times)
    n_ours = sum(1 for k in ours if not k.startswith("diagnostics_"))
    print(f"rnpc-radiomics: {n_ours} features; cold first call {cold:.3f} s, warm {warm:.3f} s "
          f"(best of {len(times)}: {', '.join(f'{t:.3f}' for t in times)}); "
          f"peak RSS {peak_rss_mb():.0f} MB")
    if args.breakdown:
        print(_filter_breakdown(im, vim, vmk, max(1, args.repeat)))
    if args.no_pyradiomics:
        return 0
    radiomics = load_pyradiomics()
    if radiomics is None:
        return 0
    from radiomics import featureextractor

    t0 = time.perf_counter()
    ref = featureextractor.RadiomicsFeatureExtractor(PARAMS).execute(im, mk)
    t_ref = time.perf_counter() - t0
    keys = [k for k in ref if not k.startswith("diagnostics_")]
    print(f"pyradiomics {radiomics.__version__}: {len(keys)} features in {t_ref:.3f} s; "
          f"peak RSS now {peak_rss_mb():.0f} MB")
    print(f"speed-up (pyradiomics / ours warm): {t_ref / warm:.1f}x; "
          f"(pyradiomics / ours cold): {t_ref / cold:.1f}x")
    print_differences(ref, ours, top=15)
    return 0


def _filter_breakdown(im, vim, vmk, repeat: int) -> str:
    """Seconds per image type for the filters alone (best of ``repeat``), on the ROI's box."""
    import numpy as np
    import SimpleITK as sitk

    from rnpc_radiomics.filters import iter_image_types

    roi = vmk.array != 0
    box = tuple(slice(int(np.flatnonzero(roi.any(axis=tuple(j for j in range(3) if j != a)))[0]),
                      int(np.flatnonzero(roi.any(axis=tuple(j for j in range(3) if j != a)))[-1])
                      + 1) for a in range(3))
    lines = [f"filters alone on the ROI box {tuple((b.start, b.stop) for b in box)} "
             f"(best of {repeat}):"]
    for name, opts in PARAMS["imageType"].items():
        best = float("inf")
        for _ in range(repeat):
            t0 = time.perf_counter()
            n = sum(1 for _ in iter_image_types(vim, roi, {name: opts}, PARAMS["setting"],
                                                box=box))
            best = min(best, time.perf_counter() - t0)
        lines.append(f"  {name:<10s} {n:2d} image(s)  {best:.3f} s")
    for sigma in PARAMS["imageType"]["LoG"]["sigma"]:
        f = sitk.LaplacianRecursiveGaussianImageFilter()
        f.SetNormalizeAcrossScale(True)
        f.SetSigma(sigma)
        best = float("inf")
        for _ in range(repeat):
            t0 = time.perf_counter()
            sitk.GetArrayFromImage(f.Execute(im))
            best = min(best, time.perf_counter() - t0)
        lines.append(f"  SimpleITK whole-image LoG sigma {sigma:g} mm: {best:.3f} s "
                     f"({sitk.ProcessObject.GetGlobalDefaultNumberOfThreads()} ITK threads)")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
