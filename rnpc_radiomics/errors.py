"""The bad-input exception hierarchy.

Every error a user can cause by handing us the wrong file, mask, setting or value is an
:class:`InputError`. Its message reads ``<what> (<path>): <why>. <hint>`` so that the CLI can print
it as one line (``error: ...``) and exit with status 2. Programming errors are *not* InputErrors
and keep their tracebacks.
"""

from __future__ import annotations

import os

__all__ = [
    "RnpcError",
    "InputError",
    "DicomError",
    "GeometryError",
    "MaskError",
    "SettingsError",
    "PetError",
    "FeatureError",
]


class RnpcError(Exception):
    """Base class of every exception raised deliberately by rnpc-radiomics."""


class InputError(RnpcError, ValueError):
    """Bad input: a file, mask, setting or value we cannot use.

    Parameters
    ----------
    what : str
        What is wrong, short (``"DICOM series has a missing slice"``).
    path : str or os.PathLike, optional
        The file or folder concerned.
    why : str, optional
        What was expected and what was found.
    hint : str, optional
        How to fix it.
    """

    def __init__(self, what: str, path: str | os.PathLike | None = None, why: str = "",
                 hint: str = ""):
        self.what = what
        self.path = None if path is None else os.fspath(path)
        self.why = why
        self.hint = hint
        super().__init__(self._format())

    def _format(self) -> str:
        msg = self.what
        if self.path:
            msg += f" ({self.path})"
        if self.why:
            msg += f": {self.why.rstrip('.')}"
        msg += "."
        if self.hint:
            msg += f" {self.hint.rstrip('.')}."
        # One line, always: the CLI prints it as such.
        return " ".join(msg.split())

    def __reduce__(self):  # keep picklable for dask/multiprocessing
        return (type(self), (self.what, self.path, self.why, self.hint))


class DicomError(InputError):
    """A DICOM file or series that cannot be read or assembled into a volume."""


class GeometryError(InputError):
    """Image and mask (or two images) do not share a voxel grid."""


class MaskError(InputError):
    """An empty, missing or unusable mask, label, ROI or segment."""


class SettingsError(InputError):
    """An unknown or invalid parameter / setting."""


class PetError(InputError):
    """PET data that cannot be converted to SUV."""


class FeatureError(InputError):
    """An image/mask pair that cannot produce features (e.g. ROI too small, NaN voxels)."""
