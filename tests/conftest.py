"""Shared pytest fixtures. Keep this file small; module-specific fixtures live in the modules."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

TESTS_DIR = Path(__file__).resolve().parent
# Helper modules beside the tests (dicom_factory, ...) import as plain modules.
if str(TESTS_DIR) not in sys.path:
    sys.path.insert(0, str(TESTS_DIR))

# Read-only shared data lives beside the repository: <repo>/../shared.
SHARED_DIR = TESTS_DIR.parents[1] / "shared"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """``../shared`` beside the repository; skips the test when absent."""
    if not SHARED_DIR.is_dir():
        pytest.skip(f"shared test data absent: {SHARED_DIR} does not exist")
    return SHARED_DIR


@pytest.fixture(scope="session")
def dicom_testdata() -> Path:
    """``../shared/dicom-testdata`` (public DICOM files, see its README.md); skips when absent."""
    p = SHARED_DIR / "dicom-testdata"
    if not p.is_dir():
        pytest.skip(f"public DICOM test data absent: {p} does not exist")
    return p
