#!/usr/bin/env bash
# The main job on the bundled sample cohort (make demo). Writes everything under demo_output/.
#   1. rnpc info      : series listing of a sample DICOM study
#   2. rnpc convert   : DICOM CT series -> NIfTI, RTSTRUCT -> NIfTI mask
#   3. rnpc extract   : pyradiomics-compatible features for every sample case (CT, params/ct_bone.yaml)
#   4. rnpc signs     : the imaging signs (air bubbles, HRCT bone pattern, PET uptake)
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=sample_data
OUT=demo_output
mkdir -p "$OUT"

cases=$(find "$DATA" -mindepth 1 -maxdepth 1 -type d | sort)
if [ -z "$cases" ]; then
  echo "error: no sample cases in $DATA (regenerate: see sample_data/README.md)" >&2
  exit 2
fi
first=$(echo "$cases" | head -n 1)
name=$(basename "$first")

echo "== rnpc info $first/dicom"
rnpc info "$first/dicom"
echo
echo "== rnpc convert $first/dicom/CT -> $OUT/${name}_ct.nii.gz"
rnpc convert "$first/dicom/CT" "$OUT/${name}_ct.nii.gz"
if [ -f "$first/dicom/RTSTRUCT.dcm" ]; then
  echo "== rnpc convert $first/dicom/RTSTRUCT.dcm (onto the CT) -> $OUT/${name}_roi.nii.gz"
  rnpc convert "$first/dicom/RTSTRUCT.dcm" "$OUT/${name}_roi.nii.gz" --reference "$first/dicom/CT"
fi

if rnpc --help | grep -q " extract "; then
  echo
  echo "== rnpc extract (every case, CT, params/ct_bone.yaml) -> $OUT/features.csv"
  rm -f "$OUT/features.csv"
  for c in $cases; do
    rnpc extract "$c/ct.nii.gz" "$c/roi.nii.gz" --params params/ct_bone.yaml --out "$OUT/$(basename "$c")_features.csv"
  done
  python - "$OUT" <<'PY'
import glob, os, sys
import pandas as pd
out = sys.argv[1]
files = sorted(glob.glob(os.path.join(out, "*_features.csv")))
ids = [os.path.basename(f)[:-len("_features.csv")] for f in files]
df = pd.concat([pd.read_csv(f) for f in files], ignore_index=True)
df = pd.concat([pd.DataFrame({"case_id": ids}), df], axis=1)
df.to_csv(os.path.join(out, "features.csv"), index=False)
cols = [c for c in ("case_id", "original_shape_MeshVolume", "original_firstorder_Mean",
                    "original_glcm_Contrast", "original_glszm_ZoneEntropy") if c in df.columns]
print(df[cols].to_string(index=False))
print(f"{len(df)} cases x {sum(c.startswith('original_') for c in df.columns)} features -> {out}/features.csv")
PY
fi

if rnpc --help | grep -q " signs "; then
  echo
  echo "== rnpc signs (every case: CT + PET; truth shown for comparison) -> $OUT/<case>_signs.json"
  for c in $cases; do
    n=$(basename "$c")
    label=$(grep -o '"label": *"[a-z_]*"' "$c/truth.json" | head -n1 | sed 's/.*: *"\(.*\)"/\1/')
    rnpc signs --ct "$c/ct.nii.gz" --mask "$c/roi.nii.gz" --pet "$c/pet.nii.gz" --json "$OUT/${n}_signs.json" >/dev/null
    python - "$OUT/${n}_signs.json" "$n" "$label" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
b, p, a = s.get("bone", {}), s.get("pet", {}), s.get("air_bubbles", {})
print(f"{sys.argv[2]:<10} truth={sys.argv[3]:<22} bubbles={a.get('count')!s:<3} "
      f"bone={b.get('pattern')!s:<15} SUVmax={p.get('suv_max', float('nan')):.2f}")
PY
  done
fi
echo
echo "demo finished: outputs in $OUT/"
