"""Synthetic DICOM series for tests, written with pydicom (through our own writer).

Other test modules may import this: ``from dicom_factory import write_series`` (``tests/`` is on
``sys.path`` under pytest's default rootdir-based import mode) or
``from tests.dicom_factory import ...``.

* :func:`write_series` writes an array with a known geometry as a CT/MR series.
* :func:`write_pet_series` writes Bq/ml values as a PET series with SUV tags.
* :func:`edit_file` / :func:`edit_files` change tags after writing (missing slice, tilt, ...).
* :func:`orientation_phantom` is an array whose corners hold distinct known values.
* :func:`random_direction` gives a right-handed orthonormal matrix.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterable

import numpy as np

from rnpc_radiomics.image import Volume
from rnpc_radiomics.io.dicom_write import write_dicom_series

__all__ = [
    "write_series",
    "write_pet_series",
    "edit_file",
    "edit_files",
    "orientation_phantom",
    "random_direction",
    "CORNER_VALUES",
]

# Values of the 8 corners of orientation_phantom, keyed by (k, j, i) in {0, -1}.
CORNER_VALUES = {
    (0, 0, 0): 100, (0, 0, -1): 200, (0, -1, 0): 300, (0, -1, -1): 400,
    (-1, 0, 0): 500, (-1, 0, -1): 600, (-1, -1, 0): 700, (-1, -1, -1): 800,
}


def orientation_phantom(shape_zyx=(5, 7, 9), background: int = 0) -> np.ndarray:
    """int16 array of ``shape_zyx`` with :data:`CORNER_VALUES` in its 8 corners.

    The background is ``background`` plus a ramp along x (+1 per column), so that flips of
    any axis, transpositions and slice reordering all change the array.
    """
    z, y, x = shape_zyx
    a = np.zeros(shape_zyx, dtype=np.int16) + background
    a += np.arange(x, dtype=np.int16)[None, None, :]
    for (k, j, i), v in CORNER_VALUES.items():
        a[k, j, i] = v
    return a


def random_direction(rng: np.random.Generator) -> np.ndarray:
    """A random right-handed orthonormal 3x3 matrix (columns are the axis directions)."""
    q, r = np.linalg.qr(rng.normal(size=(3, 3)))
    q = q * np.sign(np.diag(r))[None, :]
    if np.linalg.det(q) < 0:
        q[:, 2] *= -1
    return q


def write_series(folder, array_zyx, spacing_xyz=(1.0, 1.0, 1.0), origin=(0.0, 0.0, 0.0),
                 direction=None, modality: str = "CT", *, shuffle: bool = True,
                 seed: int | None = 0, **kwargs) -> list[str]:
    """Write ``array_zyx`` as a DICOM series; return the paths in slice order.

    Parameters
    ----------
    folder : path
        Output folder (may already hold other series).
    array_zyx : ndarray of shape (Z, Y, X)
        Values in HU (CT) or arbitrary units (MR).
    spacing_xyz, origin : 3 floats
        ITK-order spacing and LPS origin.
    direction : ndarray of shape (3, 3), optional
        Columns = axis directions; identity when None.
    modality : str
        ``"CT"``, ``"MR"`` or ``"PT"`` (for PT prefer :func:`write_pet_series`).
    shuffle : bool
        Random file names, so that file-name order says nothing about slice order.
    seed : int, optional
        Seed for the random names.
    **kwargs
        Passed to :func:`rnpc_radiomics.io.dicom_write.write_dicom_series` (``series_uid``,
        ``series_description``, ``study_uid``, ``pet``, ...).
    """
    vol = Volume(np.asarray(array_zyx), spacing=spacing_xyz, origin=origin,
                 direction=np.eye(3) if direction is None else direction)
    return write_dicom_series(vol, folder, modality=modality,
                              filenames="random" if shuffle else "instance", seed=seed, **kwargs)


def write_pet_series(folder, bqml_zyx, spacing_xyz=(4.0, 4.0, 3.0), origin=(0.0, 0.0, 0.0),
                     direction=None, *, weight_kg: float | None = 70.0,
                     injected_dose_bq: float = 3.7e8, half_life_s: float = 6586.2,
                     injection_datetime: dt.datetime = dt.datetime(2020, 1, 1, 9, 0, 0),
                     series_datetime: dt.datetime = dt.datetime(2020, 1, 1, 10, 0, 0),
                     acquisition_datetime: dt.datetime | None = None,
                     decay_correction: str = "START", units: str = "BQML",
                     shuffle: bool = True, seed: int | None = 0, **kwargs) -> list[str]:
    """Write Bq/ml values as a PET series with the tags SUVbw needs; paths in slice order."""
    pet = dict(weight_kg=weight_kg, injected_dose_bq=injected_dose_bq, half_life_s=half_life_s,
               injection_datetime=injection_datetime, series_datetime=series_datetime,
               acquisition_datetime=acquisition_datetime, decay_correction=decay_correction,
               units=units)
    return write_series(folder, bqml_zyx, spacing_xyz, origin, direction, modality="PT",
                        shuffle=shuffle, seed=seed, pet=pet, **kwargs)


def edit_file(path, change: Callable | None = None, /, **tags) -> None:
    """Rewrite one DICOM file: set ``tags`` (keyword=value; None deletes) and/or call
    ``change(ds)`` on the dataset before saving."""
    import pydicom

    ds = pydicom.dcmread(path)
    for kw, value in tags.items():
        if value is None:
            if kw in ds:
                delattr(ds, kw)
        else:
            setattr(ds, kw, value)
    if change is not None:
        change(ds)
    ds.save_as(path, enforce_file_format=True)


def edit_files(paths: Iterable, change: Callable | None = None, /, **tags) -> None:
    """:func:`edit_file` on each path."""
    for p in paths:
        edit_file(os.fspath(p), change, **tags)
