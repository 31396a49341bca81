"""Voxel-based maps: pyradiomics 3.0.1's voxel mode and rnpc-radiomics side by side, in one run.

Volume: 64 x 128 x 128 float32 (z, y, x), spacing 0.5 x 0.5 x 1.25 mm, smoothed noise scaled to
CT-like values; an ellipsoid ROI of ``--roi-voxels`` voxels (default ~20k); binWidth 25;
first-order + GLCM maps, kernelRadius 1 (pyradiomics' defaults otherwise). Ours is timed after
a warm-up call (numba compile / cache load excluded; the cold call is reported too).

pyradiomics' voxel mode takes minutes on 20k voxels, so by default it is timed on a sub-ROI: the
ROI voxels in a central box holding about ``--sub-voxels`` voxels (same image, same settings,
same kernels). Its time is then scaled by (ROI voxels / sub-ROI voxels), which is fair because
its cost is linear in the voxel count (it loops over voxel batches). Ours is also timed on that
same sub-ROI, so a same-input ratio is printed as well. ``--full-pyradiomics`` times pyradiomics
on the whole ROI instead (slow). Maps are compared on the sub-ROI (largest relative difference).

``--all-classes`` adds glrlm, glszm, gldm and ngtdm (ours only) and reports peak memory, e.g.
``--roi-voxels 100000 --all-classes --no-pyradiomics`` for the issue's 4 GB bound.

Run: ``python benchmarks/bench_maps.py [--roi-voxels N] [--sub-voxels N] [--full-pyradiomics]
[--all-classes] [--no-pyradiomics]``
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bench_extract import load_pyradiomics, peak_rss_mb  # noqa: E402


def make_case(roi_voxels: int, seed: int = 0):
    """Image and ellipsoid ROI (about ``roi_voxels`` voxels) as SimpleITK images."""
    import SimpleITK as sitk
    from scipy import ndimage

    rng = np.random.default_rng(seed)
    shape = (64, 128, 128)
    img = ndimage.gaussian_filter(rng.normal(0, 1, shape).astype(np.float32), 1.5)
    img = ((img - img.mean()) / img.std() * 120 + 60).astype(np.float32)
    # semi-axes in ratio 3:5:5 (voxels), scaled to the requested volume
    k = (roi_voxels / (4 / 3 * np.pi * 3 * 5 * 5)) ** (1 / 3)
    a = np.array([3, 5, 5]) * k
    if np.any(2 * a + 4 > np.array(shape)):
        raise SystemExit(f"--roi-voxels {roi_voxels} does not fit the 64x128x128 volume")
    zz, yy, xx = np.ogrid[:shape[0], :shape[1], :shape[2]]
    c = np.array(shape) / 2
    mask = (((zz - c[0]) / a[0]) ** 2 + ((yy - c[1]) / a[1]) ** 2
            + ((xx - c[2]) / a[2]) ** 2) <= 1
    im = sitk.GetImageFromArray(img)
    im.SetSpacing((0.5, 0.5, 1.25))
    return im, mask


def to_mask(mask, like):
    import SimpleITK as sitk

    mk = sitk.GetImageFromArray(mask.astype(np.uint8))
    mk.CopyInformation(like)
    return mk


def sub_roi(mask, target):
    """ROI voxels in a central box grown until it holds about ``target`` of them.

    A box (not a slab of slices) keeps the kernels representative: in a thin slab most kernels
    would be cut by the slab faces and be cheaper than in the whole ROI.
    """
    c = np.array(mask.shape) // 2
    out = np.zeros_like(mask)
    for h in range(1, max(mask.shape)):
        sl = tuple(slice(max(x - h, 0), x + h + 1) for x in c)
        out[:] = False
        out[sl] = mask[sl]
        if out.sum() >= target:
            break
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--roi-voxels", type=int, default=20000)
    ap.add_argument("--sub-voxels", type=int, default=2000,
                    help="voxels of the sub-ROI pyradiomics is timed on")
    ap.add_argument("--full-pyradiomics", action="store_true",
                    help="time pyradiomics on the whole ROI (minutes)")
    ap.add_argument("--all-classes", action="store_true",
                    help="maps of all six classes (ours only)")
    ap.add_argument("--no-pyradiomics", action="store_true")
    args = ap.parse_args(argv)

    from rnpc_radiomics.maps import voxel_maps

    im, mask = make_case(args.roi_voxels)
    n = int(mask.sum())
    classes = {"firstorder": [], "glcm": []}
    if args.all_classes:
        classes.update({"glrlm": [], "glszm": [], "gldm": [], "ngtdm": []})
    params = {"setting": {"binWidth": 25}, "voxelSetting": {"kernelRadius": 1},
              "featureClass": classes}
    print(f"volume 64x128x128 float32, spacing 0.5x0.5x1.25 mm, ROI {n} voxels, binWidth 25, "
          f"kernelRadius 1, classes {', '.join(classes)}")

    sub = sub_roi(mask, args.sub_voxels)
    nsub = int(sub.sum())
    mk, mk_sub = to_mask(mask, im), to_mask(sub, im)
    rss0 = peak_rss_mb()
    t0 = time.perf_counter()
    voxel_maps(im, mk_sub, params)
    cold = time.perf_counter() - t0
    t0 = time.perf_counter()
    ours_sub = voxel_maps(im, mk_sub, params)
    t_ours_sub = time.perf_counter() - t0
    t0 = time.perf_counter()
    ours = voxel_maps(im, mk, params)
    t_ours = time.perf_counter() - t0
    print(f"rnpc-radiomics: {len(ours)} maps; ROI {n} voxels {t_ours:.3f} s "
          f"({t_ours / n * 1e6:.1f} us/voxel); sub-ROI {nsub} voxels {t_ours_sub:.3f} s; "
          f"cold first call (sub-ROI, compile/cache load) {cold:.3f} s; "
          f"peak RSS {peak_rss_mb():.0f} MB (before {rss0:.0f} MB)")
    del ours
    if args.no_pyradiomics or args.all_classes:
        return 0
    radiomics = load_pyradiomics()
    if radiomics is None:
        return 0
    import SimpleITK as sitk
    from radiomics import featureextractor

    ext = featureextractor.RadiomicsFeatureExtractor(params)
    t0 = time.perf_counter()
    ref = ext.execute(im, mk_sub, voxelBased=True)
    t_ref_sub = time.perf_counter() - t0
    print(f"pyradiomics {radiomics.__version__} voxel mode, sub-ROI {nsub} voxels: {t_ref_sub:.3f} s "
          f"({t_ref_sub / nsub * 1e6:.0f} us/voxel); peak RSS now {peak_rss_mb():.0f} MB")
    print(f"speed-up on the same sub-ROI: {t_ref_sub / t_ours_sub:.0f}x")
    if args.full_pyradiomics:
        t0 = time.perf_counter()
        ext.execute(im, mk, voxelBased=True)
        t_ref = time.perf_counter() - t0
        print(f"pyradiomics on the whole ROI: {t_ref:.3f} s; speed-up {t_ref / t_ours:.0f}x")
    else:
        est = t_ref_sub * n / nsub
        print(f"pyradiomics on the whole ROI, scaled from the sub-ROI (x{n / nsub:.2f}): "
              f"~{est:.1f} s; speed-up ~{est / t_ours:.0f}x")
    worst = (0.0, "")
    for k, v in ref.items():
        if k.startswith("diagnostics_"):
            continue
        r = sitk.GetArrayFromImage(v)
        o = ours_sub[k].array
        if k.endswith("glcm_MCC") and np.all((r == 0) | np.isclose(o, r)):
            continue  # pyradiomics' batch-wide MCC failure (see rnpc_radiomics.maps)
        with np.errstate(invalid="ignore", divide="ignore"):
            rel = np.nanmax(np.abs(o - r) / np.maximum(np.abs(r), 1e-12))
        if rel > worst[0]:
            worst = (float(rel), k)
    print(f"max relative difference on the sub-ROI maps: {worst[0]:.3e} {worst[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
