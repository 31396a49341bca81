"""``rnpc convert INPUT OUT.nii.gz``: DICOM series, RTSTRUCT or SEG to NIfTI/NRRD/MHA."""

from __future__ import annotations

from rnpc_radiomics.cli._common import add_image_options, check_output_path, image_kwargs


def _segment(text: str) -> int | str:
    """A segment number when the argument is all digits, else a SegmentLabel."""
    return int(text) if text.isdigit() else text


def register(sub) -> None:
    p = sub.add_parser(
        "convert", help="convert a DICOM series (or RTSTRUCT/SEG) to NIfTI",
        description="Convert a DICOM series to NIfTI/NRRD/MHA. With --reference, INPUT is a mask "
                    "(RTSTRUCT, DICOM-SEG or label map) rasterised onto the reference image grid.")
    p.add_argument("input", help="DICOM folder/file, RTSTRUCT, SEG or image file")
    p.add_argument("output", help="output file (.nii.gz, .nii, .nrrd, .mha); written atomically")
    add_image_options(p)
    p.add_argument("--reference", metavar="IMAGE",
                   help="reference image (DICOM folder or file) for RTSTRUCT/SEG/label-map input")
    p.add_argument("--roi", metavar="NAME", help="RTSTRUCT ROI name")
    p.add_argument("--segment", type=_segment, metavar="N|LABEL",
                   help="DICOM-SEG segment number or SegmentLabel")
    p.add_argument("--label", type=int, metavar="N", help="keep only this label (as 0/1)")
    p.add_argument("--resample-mask", action="store_true",
                   help="nearest-neighbour resample a label map whose grid differs from the reference")
    p.set_defaults(func=run)


def run(args) -> int:
    from rnpc_radiomics.errors import InputError
    from rnpc_radiomics.io import _is_itk_file, load_image, load_mask, save_image

    if not _is_itk_file(args.output):
        raise InputError("unsupported output format", args.output,
                         "expected .nii, .nii.gz, .nrrd or .mha", "choose one of those extensions")
    check_output_path(args.output)
    if args.reference:
        ref = load_image(args.reference, **image_kwargs(args))
        kw = {"roi": args.roi, "segment": args.segment, "label": args.label,
              "resample": args.resample_mask}
        vol = load_mask(args.input, ref, **{k: v for k, v in kw.items() if v not in (None, False)})
    else:
        vol = load_image(args.input, **image_kwargs(args))
    save_image(vol, args.output)
    print(f"wrote {args.output}  size (x,y,z)={vol.size}  modality={vol.modality}  units={vol.units}")
    return 0
