"""``rnpc info PATH``: what an image file or DICOM folder holds."""

from __future__ import annotations

import os

import numpy as np

from rnpc_radiomics.cli._common import add_image_options, image_kwargs, print_json


def register(sub) -> None:
    p = sub.add_parser("info", help="describe an image file or DICOM folder",
                       description="Show modality, series, geometry, intensity range and units of an "
                                   "image file (NIfTI/NRRD/MHA/DICOM) or every series in a DICOM folder.")
    p.add_argument("path", help="image file or DICOM folder")
    add_image_options(p)
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.set_defaults(func=run)


def _volume_summary(vol) -> dict:
    arr = vol.array
    finite = np.isfinite(arr) if arr.dtype.kind == "f" else None
    vals = arr[finite] if finite is not None else arr
    return {
        "modality": vol.modality,
        "units": vol.units,
        "dtype": str(arr.dtype),
        "size_xyz": list(vol.size),
        "spacing_xyz_mm": list(vol.spacing),
        "origin_lps_mm": list(vol.origin),
        "direction": vol.direction.T.ravel().tolist(),
        "intensity_min": float(vals.min()) if vals.size else None,
        "intensity_max": float(vals.max()) if vals.size else None,
        "non_finite_voxels": int(arr.size - vals.size),
        "series_uid": vol.provenance.series_uid,
        "description": vol.provenance.description,
    }


def run(args) -> int:
    from rnpc_radiomics.io import _is_itk_file, list_series, load_image

    path = args.path
    out: dict = {"path": path}
    if os.path.isdir(path) or not _is_itk_file(path):
        series = list_series(path)
        out["series"] = [
            {"series_uid": s.series_uid, "modality": s.modality, "description": s.description,
             "files": len(s.files), "size_xyz": list(s.size) if s.size else None,
             "spacing_xyz_mm": list(s.spacing) if s.spacing else None}
            for s in series
        ]
        image_series = [s for s in series if s.size]
        chosen = args.series or args.modality or len(image_series) == 1
        if chosen and image_series:
            out["image"] = _volume_summary(load_image(path, **image_kwargs(args)))
    else:
        out["image"] = _volume_summary(load_image(path))

    if args.json:
        print_json(out)
        return 0
    print(f"{path}")
    for s in out.get("series", []):
        size = "x".join(map(str, s["size_xyz"])) if s["size_xyz"] else "-"
        sp = "x".join(f"{v:g}" for v in s["spacing_xyz_mm"]) if s["spacing_xyz_mm"] else "-"
        print(f"  series {s['series_uid']}  {s['modality'] or '?':<8} files={s['files']:<4} "
              f"size={size} spacing={sp} mm  {s['description'] or ''}")
    img = out.get("image")
    if img:
        print(f"  modality: {img['modality']}   units: {img['units']}   dtype: {img['dtype']}")
        print(f"  size (x,y,z): {img['size_xyz']}   spacing (mm): "
              f"{[round(v, 6) for v in img['spacing_xyz_mm']]}")
        print(f"  origin (LPS mm): {[round(v, 4) for v in img['origin_lps_mm']]}")
        print(f"  direction: {[round(v, 6) for v in img['direction']]}")
        print(f"  intensity range: [{img['intensity_min']:g}, {img['intensity_max']:g}]"
              + (f"   non-finite voxels: {img['non_finite_voxels']}" if img["non_finite_voxels"] else ""))
    elif out.get("series"):
        print("  (several image series: pass --series UID or --modality MOD for geometry and intensities)")
    return 0
