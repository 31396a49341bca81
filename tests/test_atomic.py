"""Write-then-rename outputs: complete files only, normal (umask) permissions, no leftovers."""

from __future__ import annotations

import os
import stat

import pytest

from rnpc_radiomics._atomic import atomic_dir, atomic_output


def _mode(p) -> int:
    return stat.S_IMODE(os.stat(p).st_mode)


def test_atomic_output_publishes_with_umask_permissions(tmp_path):
    umask = os.umask(0o022)
    try:
        with atomic_output(tmp_path / "a.csv") as tmp:
            with open(tmp, "w") as fh:
                fh.write("x\n")
        with atomic_dir(tmp_path / "case") as d:
            with open(os.path.join(d, "f.txt"), "w") as fh:
                fh.write("y")
    finally:
        os.umask(umask)
    assert _mode(tmp_path / "a.csv") == 0o644
    assert _mode(tmp_path / "case") == 0o755
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "case"]


def test_failed_write_leaves_nothing(tmp_path):
    with pytest.raises(RuntimeError, match="boom"):
        with atomic_output(tmp_path / "a.nii.gz") as tmp:
            open(tmp, "w").close()
            raise RuntimeError("boom")
    with pytest.raises(RuntimeError, match="boom"):
        with atomic_dir(tmp_path / "case"):
            raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []
