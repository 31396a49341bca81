"""``rnpc maps IMAGE MASK --out DIR/``: voxel-based feature maps, one image file per feature."""

from __future__ import annotations

_FORMATS = ("nii.gz", "nii", "nrrd", "mha")


def register(sub) -> None:
    from rnpc_radiomics.cli._common import add_image_mask_args, add_image_options

    p = sub.add_parser(
        "maps", help="voxel-based feature maps (one NIfTI per feature, pyradiomics voxel mode)",
        description="Compute pyradiomics 3.0.1-compatible voxel-based feature maps: every ROI "
                    "voxel gets the features of the kernel around it (voxelSetting: "
                    "kernelRadius, maskedKernel, initValue, voxelBatch). Writes one image per "
                    "feature, named <imageType>_<class>_<feature>.<format>, into DIR, which "
                    "appears only once every map is written.")
    add_image_mask_args(p)
    p.add_argument("--params", metavar="FILE",
                   help="pyradiomics parameter file (YAML/JSON) with featureClass, imageType "
                        "and voxelSetting; default: pyradiomics defaults (all classes)")
    p.add_argument("--out", metavar="DIR", required=True,
                   help="output folder (replaced atomically if it exists)")
    p.add_argument("--grid", choices=("image", "roi"), default="image",
                   help="'image' (default): maps on the image grid (the resampled grid when "
                        "resampling); 'roi': on the ROI's bounding box plus kernelRadius, as "
                        "pyradiomics returns them (smaller files)")
    p.add_argument("--format", choices=_FORMATS, default="nii.gz",
                   help="output image format (default nii.gz)")
    p.add_argument("--float32", action="store_true",
                   help="store maps as float32 (half the size; default float64)")
    add_image_options(p)
    p.set_defaults(func=run)


def run(args) -> int:
    import os

    import numpy as np

    from rnpc_radiomics._atomic import atomic_dir
    from rnpc_radiomics.cli._common import check_output_path, image_kwargs
    from rnpc_radiomics.errors import InputError
    from rnpc_radiomics.extraction import load_inputs
    from rnpc_radiomics.io import load_image, save_image
    from rnpc_radiomics.maps import iter_voxel_maps
    from rnpc_radiomics.settings import load_params

    out = os.path.abspath(args.out)
    if os.path.exists(out) and not os.path.isdir(out):
        raise InputError("output is not a folder", args.out, "a file with that name exists",
                         "give a folder path for --out")
    check_output_path(os.path.join(out, "x"))
    params = load_params(args.params)  # fail on a bad parameter file before reading images
    if args.label is not None:
        params = params.with_label(args.label)
    image = load_image(args.image, **image_kwargs(args))
    image, mask = load_inputs(image, args.mask, params, roi=args.roi)
    n = 0
    with atomic_dir(out) as tmp:
        # one map in memory at a time: each is written as soon as it is made
        for key, vol in iter_voxel_maps(image, mask, params, grid=args.grid):
            if args.float32:
                vol = vol.with_array(vol.array.astype(np.float32))
            save_image(vol, os.path.join(tmp, f"{key}.{args.format}"))
            n += 1
    if n == 0:
        print(f"wrote {args.out}: no maps (no voxel-capable feature class enabled)")
    else:
        print(f"wrote {args.out}: {n} feature maps ({args.format}, {args.grid} grid)")
    return 0
