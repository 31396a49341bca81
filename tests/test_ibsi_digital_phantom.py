"""IBSI mode on the IBSI-1 digital phantom: every one of the 482 reference values.

Reference: tests/data/ibsi_digital_phantom (CC BY 4.0, see ATTRIBUTION.md). Pass rule (IBSI,
as MIRP's test): round to 3 significant digits, then |value - reference| <= tolerance (the
tolerance is 0 except for morphology).
"""

from __future__ import annotations

import csv
import hashlib
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

DATA = Path(__file__).resolve().parent / "data" / "ibsi_digital_phantom"
SHA256 = {
    "image.nii.gz": "83773ac2a288aa93cf819a98eaf301c18d35d5876182ec9c18733184e2b7a83a",
    "mask.nii.gz": "3032d340944b577b83bc559ea7ae9a6034b84633a840eff39570ec17aa1d6281",
    "reference_values.csv": "80c1598925723d07e06eb52cc8771aca9b5c844787d7bdfd514a4022118be9ef",
}


def _rows():
    with open(DATA / "reference_values.csv", newline="", encoding="utf-8") as fh:
        return [r for r in csv.DictReader(fh) if r["reference_value"] != ""]


@pytest.fixture(scope="module")
def phantom():
    from rnpc_radiomics.io import load_image

    return load_image(DATA / "image.nii.gz"), load_image(DATA / "mask.nii.gz")


@pytest.fixture(scope="module")
def values(phantom):
    from rnpc_radiomics.ibsi import extract_ibsi
    from rnpc_radiomics.ibsi.conformance import settings_for

    return extract_ibsi(*phantom, settings_for("digital_phantom"))


def test_data_checksums():
    for name, digest in SHA256.items():
        assert hashlib.sha256((DATA / name).read_bytes()).hexdigest() == digest, name


def test_phantom_content(phantom):
    img, msk = phantom
    assert img.shape == (4, 4, 5)
    roi = img.array[msk.array > 0]
    assert roi.size == 74
    assert Counter(roi.tolist()) == {1: 50, 3: 1, 4: 16, 6: 7}


def test_all_482_reference_values_pass(values):
    from rnpc_radiomics.ibsi.conformance import passes, round_sig

    rows = _rows()
    assert len(rows) == 482
    failures = []
    for r in rows:
        v = values.get(r["tag"])
        if not passes(v, float(r["reference_value"]), float(r["tolerance"])):
            failures.append(f"{r['tag']}: {v} (rounded {round_sig(v) if v is not None else None})"
                            f" vs {r['reference_value']} ± {r['tolerance']}")
    assert not failures, "\n".join(failures)


def test_excluded_voxel_never_used(phantom, values):
    # The value-9 voxel outside the ROI must never enter a feature: setting it to anything
    # else changes nothing but the local intensity peaks (which read the whole image, as IBSI
    # defines them).
    from rnpc_radiomics.ibsi import extract_ibsi
    from rnpc_radiomics.ibsi.conformance import settings_for

    img, msk = phantom
    arr = np.array(img.array)
    arr[(msk.array == 0) & (arr == 9)] = 1
    other = extract_ibsi(img.with_array(arr), msk, settings_for("digital_phantom"))
    for k, v in values.items():
        if k.startswith("loc_") or "_init_" in k or "_interp_img" in k:
            continue
        np.testing.assert_allclose(other[k], v, rtol=1e-12, atol=1e-12, err_msg=k)


def test_pass_rule():
    from rnpc_radiomics.ibsi.conformance import passes, round_sig

    assert round_sig(0.0123456) == pytest.approx(0.0123, rel=0, abs=1e-15)
    assert round_sig(-276.6) == -277
    assert passes(0.0123456, 0.0123, 0.0)
    assert not passes(0.01236, 0.0123, 0.0)
    assert passes(556.9, 556, 4)
    assert passes(3065.0, 3065, 0)  # references with 4 significant digits (diagnostics)
    assert not passes(float("nan"), 1.0, 0.5)
    assert not passes(None, 1.0, 0.5)
