"""``rnpc extract IMAGE MASK``: pyradiomics-compatible features for one image and mask."""

from __future__ import annotations

import json
import math

from rnpc_radiomics.cli._common import (
    add_image_mask_args,
    add_image_options,
    check_output_path,
    image_kwargs,
)

_FORMATS = (".csv", ".json", ".parquet")


def register(sub) -> None:
    p = sub.add_parser(
        "extract", help="radiomics features of one image + mask (pyradiomics-compatible)",
        description="Compute pyradiomics 3.0.1-compatible features (firstorder, shape, glcm, "
                    "glrlm, glszm, gldm, ngtdm) for one image and mask. Parameters use "
                    "pyradiomics' parameter-file schema (see params/). Prints JSON when --out "
                    "is not given.")
    add_image_mask_args(p)
    p.add_argument("--params", metavar="FILE",
                   help="pyradiomics parameter file (YAML/JSON); default: pyradiomics defaults")
    p.add_argument("--out", metavar="FILE",
                   help="write one row to FILE.csv, .json or .parquet (atomically)")
    add_image_options(p)
    p.set_defaults(func=run)


def _cell(v):
    """A table cell: numbers stay numbers, structured diagnostics become JSON text."""
    from rnpc_radiomics.cli._common import jsonable

    if isinstance(v, bool) or v is None or isinstance(v, (int, str)):
        return v
    if isinstance(v, float):
        return v
    try:
        import numpy as np

        if isinstance(v, np.generic):
            return v.item()
    except ImportError:  # pragma: no cover
        pass
    return json.dumps(jsonable(v))


def write_row(row: dict, path: str) -> None:
    """Write one feature row to ``path`` (.csv, .json or .parquet) atomically."""
    from rnpc_radiomics._atomic import atomic_output
    from rnpc_radiomics.cli._common import jsonable

    low = path.lower()
    with atomic_output(path) as tmp:
        if low.endswith(".json"):
            with open(tmp, "w", encoding="utf-8") as fh:
                json.dump(jsonable(row), fh, indent=2)
                fh.write("\n")
            return
        import pandas as pd

        df = pd.DataFrame([{k: _cell(v) for k, v in row.items()}], columns=list(row))
        if low.endswith(".csv"):
            df.to_csv(tmp, index=False, float_format=None)
        else:
            df.to_parquet(tmp, index=False)


def run(args) -> int:
    from rnpc_radiomics.cli._common import print_json
    from rnpc_radiomics.errors import InputError
    from rnpc_radiomics.extraction import extract
    from rnpc_radiomics.ibsi import load_ibsi_settings
    from rnpc_radiomics.io import load_image
    from rnpc_radiomics.settings import is_ibsi_params, load_params

    if args.out:
        if not args.out.lower().endswith(_FORMATS):
            raise InputError("unsupported output format", args.out,
                             "expected .csv, .json or .parquet", "choose one of those extensions")
        check_output_path(args.out)
    # Fail on a bad parameter file before reading images.
    if args.params and is_ibsi_params(args.params):
        load_ibsi_settings(args.params)
        params = args.params              # IBSI mode: extract() reads the file's ibsi section
    else:
        params = load_params(args.params)
    image = load_image(args.image, **image_kwargs(args))
    row = extract(image, args.mask, params, label=args.label, roi=args.roi)
    if args.out:
        write_row(row, args.out)
        n = sum(1 for k in row if not k.startswith("diagnostics_"))
        bad = sum(1 for k, v in row.items() if not k.startswith("diagnostics_")
                  and isinstance(v, float) and not math.isfinite(v))
        print(f"wrote {args.out}: {n} features" + (f", {bad} non-finite" if bad else ""))
    else:
        print_json(row)
    return 0
