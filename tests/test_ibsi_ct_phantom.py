"""IBSI mode on the IBSI-1 CT radiomics phantom, configurations A-E.

The CT phantom is CC BY-NC 3.0 and is read from ../shared/ibsi only (never copied into the
repository). Diagnostics (grid sizes, voxel counts and intensities after each processing step)
are checked first and separately: they locate preprocessing bugs before any feature does.
Pass rule: IBSI's (3 significant digits, then the table's absolute tolerance).
"""

from __future__ import annotations

from pathlib import Path

import pytest

IBSI = Path(__file__).resolve().parents[2] / "shared" / "ibsi"
CONFIGS = ["config_A", "config_B", "config_C", "config_D", "config_E"]

pytestmark = pytest.mark.skipif(
    not (IBSI / "ct_phantom" / "image.nii.gz").is_file(),
    reason="../shared/ibsi absent: the IBSI CT phantom (CC BY-NC) is not redistributed")


@pytest.fixture(scope="module")
def ct():
    from rnpc_radiomics.io import load_image

    return (load_image(IBSI / "ct_phantom" / "image.nii.gz"),
            load_image(IBSI / "ct_phantom" / "mask.nii.gz"))


@pytest.fixture(scope="module")
def reference():
    from rnpc_radiomics.ibsi.conformance import read_reference

    return read_reference(IBSI)


def _failures(values, rows):
    from rnpc_radiomics.ibsi.conformance import passes, round_sig

    out = []
    for r in rows:
        v = values.get(r.tag)
        if not passes(v, r.reference, r.tolerance):
            out.append(f"{r.tag}: {v} (rounded {round_sig(v) if v is not None else None}) vs "
                       f"{r.reference} ± {r.tolerance}")
    return out


@pytest.mark.parametrize("dataset", CONFIGS)
def test_diagnostics(ct, reference, dataset):
    from rnpc_radiomics.ibsi.conformance import settings_for
    from rnpc_radiomics.ibsi.preprocess import prepare

    rows = [r for r in reference if r.dataset == dataset and r.family.startswith("Diagnostics")]
    assert len(rows) == 60
    p = prepare(*ct, settings_for(dataset))
    fails = _failures(p.diagnostics, rows)
    assert not fails, "\n".join(fails)


@pytest.mark.parametrize("dataset", CONFIGS)
def test_all_reference_values(ct, reference, dataset):
    from rnpc_radiomics.ibsi import extract_ibsi
    from rnpc_radiomics.ibsi.conformance import settings_for

    rows = [r for r in reference if r.dataset == dataset]
    assert len(rows) == {"config_A": 406, "config_B": 406}.get(dataset, 270)
    values = extract_ibsi(*ct, settings_for(dataset))
    fails = _failures(values, rows)
    assert not fails, "\n".join(fails)
