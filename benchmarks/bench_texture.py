"""Time the five texture families against pyradiomics 3.0.1 on the benchmark case.

~209k-voxel ellipsoid ROI in a 100 x 256 x 256 volume of smooth CT-like noise, binWidth 25.
Prints per-family milliseconds (best of several runs after JIT warm-up) and the ratio to
pyradiomics' own feature classes measured in the same run. Not a test: run it by hand,

    .venv/bin/python benchmarks/bench_texture.py [--no-pyradiomics]
"""

from __future__ import annotations

import argparse
import importlib
import time

import numpy as np
from scipy import ndimage

FAMILIES = ("glcm", "glrlm", "glszm", "gldm", "ngtdm")
SPACING_ZYX = (2.0, 0.8, 0.8)


def make_case(seed: int = 0):
    rng = np.random.default_rng(seed)
    shape = (100, 256, 256)
    img = ndimage.gaussian_filter(rng.normal(size=shape), 2.0)
    img = 40 + 1000 * img / img.std() * 0.3  # HU-like, a few hundred HU of spread
    zz, yy, xx = np.indices(shape, dtype=np.float64)
    mask = ((zz - 50) / 20) ** 2 + ((yy - 128) / 50) ** 2 + ((xx - 128) / 50) ** 2 <= 1
    return img.astype(np.float32), mask


def discretise(img, mask, bin_width=25.0):
    """pyradiomics' fixed-bin-width discretisation of the ROI's bounding box."""
    idx = np.argwhere(mask)
    lo, hi = idx.min(0), idx.max(0) + 1
    box = tuple(slice(a, b) for a, b in zip(lo, hi))
    im, m = img[box], mask[box]
    vmin = im[m].min()
    low = vmin - (vmin % bin_width)
    edges = np.arange(low, im[m].max() + 2 * bin_width, bin_width)
    q = np.digitize(im, edges).astype(np.int32)
    return q, m


def best_ms(fn, repeat=5):
    """Best wall-clock and best process-CPU milliseconds over ``repeat`` calls after a warm-up.

    On a shared machine the CPU time of a single-threaded run (NUMBA_NUM_THREADS=1) is the
    steadier measure of the work itself; wall time is what a user waits.
    """
    fn()  # warm-up (JIT compile / cache load)
    wall, cpu = [], []
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return 1e3 * min(wall), 1e3 * min(cpu)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--no-pyradiomics", action="store_true")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    img, mask = make_case()
    q, m = discretise(img, mask)
    levels = np.unique(q[m])
    print(f"ROI voxels {int(m.sum())}, box {q.shape}, grey levels {levels.size} (max {levels[-1]})")
    settings = {}
    ours = {}
    for fam in FAMILIES:
        mod = importlib.import_module(f"rnpc_radiomics.features.{fam}")
        ours[fam] = best_ms(
            lambda mod=mod: mod.compute(q, m, spacing_zyx=SPACING_ZYX, settings=settings),
            args.repeat,
        )
    ref = {}
    if not args.no_pyradiomics:
        import logging

        import radiomics
        import SimpleITK as sitk

        radiomics.setVerbosity(logging.ERROR)
        im = sitk.GetImageFromArray(q.astype(np.float64))
        im.SetSpacing(SPACING_ZYX[::-1])
        mk = sitk.GetImageFromArray(m.astype(np.uint8))
        mk.CopyInformation(im)
        for fam in FAMILIES:
            mod = importlib.import_module(f"radiomics.{fam}")
            cls = getattr(mod, "Radiomics" + fam.upper())

            def run(cls=cls):
                o = cls(im, mk, binWidth=1)
                o.enableAllFeatures()
                o.execute()

            ref[fam] = best_ms(run, 1)[0]
    print(f"{'family':8s} {'wall ms':>9s} {'cpu ms':>9s} {'pyrad ms':>9s} {'speed-up':>9s}")
    for fam in FAMILIES:
        r = ref.get(fam)
        extra = f"{r:9.1f} {r / ours[fam][0]:9.1f}" if r else ""
        print(f"{fam:8s} {ours[fam][0]:9.1f} {ours[fam][1]:9.1f} {extra}")
    print(f"{'total':8s} {sum(v[0] for v in ours.values()):9.1f}"
          f" {sum(v[1] for v in ours.values()):9.1f}")


if __name__ == "__main__":
    main()
