"""CLI plumbing: fast start-up, one-line errors with exit status 2, no half-written output."""

from __future__ import annotations

import subprocess
import sys

import pytest

from rnpc_radiomics.cli.main import main

HEAVY = ("numba", "SimpleITK", "pydicom", "scipy", "pandas", "radiomics")


def test_import_and_help_do_not_load_heavy_modules():
    code = ("import sys, rnpc_radiomics\n"
            "from rnpc_radiomics.cli.main import build_parser\n"
            "build_parser().format_help()\n"
            f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"heavy modules imported at start-up: {out.stdout.strip()}"


def test_help_lists_commands(capsys):
    with pytest.raises(SystemExit, match="0"):
        main(["--help"])
    text = capsys.readouterr().out
    for cmd in ("info", "convert"):
        assert cmd in text


def test_missing_input_is_one_line_exit_2(tmp_path, capsys):
    rc = main(["info", str(tmp_path / "nope.nii.gz")])
    err = capsys.readouterr().err
    assert rc == 2
    assert err.startswith("error: ") and err.count("\n") == 1
    assert "nope.nii.gz" in err


def test_convert_bad_input_leaves_no_output(tmp_path, capsys):
    bad = tmp_path / "bad.dcm"
    bad.write_bytes(b"this is not dicom" * 10)
    out = tmp_path / "out.nii.gz"
    rc = main(["convert", str(bad), str(out)])
    err = capsys.readouterr().err
    assert rc == 2 and err.startswith("error: ")
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["bad.dcm"]


def test_convert_rejects_unknown_output_suffix(tmp_path, capsys):
    rc = main(["convert", str(tmp_path), str(tmp_path / "out.xyz")])
    assert rc == 2
    assert "unsupported output format" in capsys.readouterr().err


def test_console_script_exit_status(tmp_path):
    exe = [sys.executable, "-m", "rnpc_radiomics.cli.main", "info", str(tmp_path / "x.nii")]
    proc = subprocess.run(exe, capture_output=True, text=True)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr


def test_convert_seg_segment_by_label_or_number(dicom_testdata, tmp_path, capsys):
    """dcmqi partial_overlaps.dcm: segment 2 'ORANGE' has 11,888 voxels (dicom-testdata README)."""
    import nibabel as nib

    segs = dicom_testdata / "dcmqi" / "data" / "segmentations"
    ref = str(segs / "ct-3slice")
    for sel in ("ORANGE", "2"):
        out = tmp_path / f"seg_{sel}.nii.gz"
        rc = main(["convert", str(segs / "partial_overlaps.dcm"), str(out), "--reference", ref,
                   "--segment", sel])
        assert rc == 0
        assert int(nib.load(str(out)).get_fdata().sum()) == 11888
    rc = main(["convert", str(segs / "partial_overlaps.dcm"), str(tmp_path / "x.nii.gz"),
               "--reference", ref, "--segment", "FOO"])
    assert rc == 2
    assert "segments: 1 'GREEN', 2 'ORANGE'" in capsys.readouterr().err
