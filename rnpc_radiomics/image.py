"""The one image model: :class:`Volume`.

Conventions (fixed, never context dependent)
-------------------------------------------
* ``array`` is indexed ``[z, y, x]`` = ``[slice k, row j, column i]``, like
  ``SimpleITK.GetArrayFromImage``.
* ``spacing``, ``origin`` and ``direction`` are in ITK/DICOM order ``(x, y, z)`` = ``(i, j, k)``,
  like ``SimpleITK.Image.GetSpacing()``: ``spacing[0]`` is the column spacing.
* Physical coordinates are in the DICOM/ITK patient frame, **LPS**, in millimetres.
* ``direction`` is a 3x3 matrix whose **column** ``c`` is the unit vector of index axis ``c``
  (column 0 = the direction in which the column index i grows). For a DICOM slice this is
  ``[IOP_row, IOP_col, normal]``.
* The physical position of voxel ``array[k, j, i]`` is
  ``origin + direction @ (spacing * (i, j, k))``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

__all__ = ["Volume", "Provenance"]

_GEOMETRY_TOL = 1e-4


@dataclass(frozen=True)
class Provenance:
    """Where a volume came from. Holds no patient-identifying data.

    Parameters
    ----------
    source : str, optional
        The file or folder it was read from.
    series_uid : str, optional
        DICOM SeriesInstanceUID (a UID identifies a series, not a patient).
    frame_of_reference_uid : str, optional
        DICOM FrameOfReferenceUID, used to match RTSTRUCT/SEG to images.
    description : str, optional
        SeriesDescription or a free description.
    """

    source: str | None = None
    series_uid: str | None = None
    frame_of_reference_uid: str | None = None
    description: str | None = None


@dataclass(frozen=True, eq=False)
class Volume:
    """A 3D image: voxel array ``[z, y, x]`` plus LPS geometry and a little metadata.

    Parameters
    ----------
    array : ndarray of shape (Z, Y, X)
        Voxel values.
    spacing : tuple of 3 float
        Voxel size in mm, ``(x, y, z)`` order.
    origin : tuple of 3 float
        LPS position (mm) of the centre of voxel ``array[0, 0, 0]``.
    direction : ndarray of shape (3, 3)
        Column ``c`` is the unit LPS direction of index axis ``c`` (x, y, z).
    modality : str, optional
        ``"CT"``, ``"MR"``, ``"PT"``, ``"SEG"``, ``"RTSTRUCT"``, ... as in DICOM.
    units : str, optional
        ``"HU"``, ``"SUVbw"``, ``"BQML"``, ``"arbitrary"``, ``"label"``, ...
    provenance : Provenance
        Source path and DICOM UIDs.
    meta : dict
        Extra metadata. Patient-identifying tags are only put here when the user asks.
    """

    array: np.ndarray
    spacing: tuple[float, float, float] = (1.0, 1.0, 1.0)
    origin: tuple[float, float, float] = (0.0, 0.0, 0.0)
    direction: np.ndarray = field(default_factory=lambda: np.eye(3))
    modality: str | None = None
    units: str | None = None
    provenance: Provenance = field(default_factory=Provenance)
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        arr = np.asarray(self.array)
        if arr.ndim != 3:
            raise ValueError(f"Volume array must be 3D (z, y, x), got shape {arr.shape}")
        sp = tuple(float(s) for s in self.spacing)
        org = tuple(float(o) for o in self.origin)
        d = np.asarray(self.direction, dtype=np.float64).reshape(3, 3)
        if len(sp) != 3 or len(org) != 3:
            raise ValueError("spacing and origin must have 3 components (x, y, z)")
        if min(sp) <= 0:
            raise ValueError(f"spacing must be positive, got {sp}")
        object.__setattr__(self, "array", arr)
        object.__setattr__(self, "spacing", sp)
        object.__setattr__(self, "origin", org)
        object.__setattr__(self, "direction", d)

    # ------------------------------------------------------------------ basic properties
    @property
    def shape(self) -> tuple[int, int, int]:
        """Array shape ``(Z, Y, X)``."""
        return tuple(self.array.shape)  # type: ignore[return-value]

    @property
    def size(self) -> tuple[int, int, int]:
        """Grid size in ITK order ``(X, Y, Z)``."""
        z, y, x = self.array.shape
        return (x, y, z)

    @property
    def spacing_zyx(self) -> tuple[float, float, float]:
        """Spacing in array order ``(z, y, x)``."""
        return tuple(reversed(self.spacing))  # type: ignore[return-value]

    @property
    def voxel_volume(self) -> float:
        """Volume of one voxel in mm³."""
        return float(np.prod(self.spacing))

    @property
    def affine(self) -> np.ndarray:
        """4x4 matrix mapping the index ``(i, j, k, 1)`` (x, y, z order) to LPS mm."""
        a = np.eye(4)
        a[:3, :3] = self.direction * np.asarray(self.spacing)[None, :]
        a[:3, 3] = self.origin
        return a

    def index_to_physical(self, ijk) -> np.ndarray:
        """LPS mm of continuous indices ``(..., 3)`` given in ``(i, j, k)`` = (x, y, z) order."""
        ijk = np.asarray(ijk, dtype=np.float64)
        return ijk @ (self.direction * np.asarray(self.spacing)[None, :]).T + np.asarray(
            self.origin)

    def physical_to_index(self, xyz) -> np.ndarray:
        """Continuous ``(i, j, k)`` indices of LPS points ``(..., 3)``."""
        xyz = np.asarray(xyz, dtype=np.float64) - np.asarray(self.origin)
        m = self.direction * np.asarray(self.spacing)[None, :]
        return np.linalg.solve(m, xyz.reshape(-1, 3).T).T.reshape(xyz.shape)

    # ------------------------------------------------------------------ derivation
    def with_array(self, array: np.ndarray, **changes) -> Volume:
        """Same geometry and metadata, new voxel array (shape must match unless changed)."""
        array = np.asarray(array)
        if array.shape != self.shape and "spacing" not in changes and "origin" not in changes:
            raise ValueError(f"array shape {array.shape} does not match volume shape {self.shape}")
        return replace(self, array=array, **changes)

    def replace(self, **changes) -> Volume:
        """A copy with some fields changed."""
        return replace(self, **changes)

    def as_float32(self) -> Volume:
        """Explicit dtype change to float32 (values unchanged, never rescaled)."""
        return self.with_array(self.array.astype(np.float32, copy=False))

    def as_float64(self) -> Volume:
        """Explicit dtype change to float64 (values unchanged, never rescaled)."""
        return self.with_array(self.array.astype(np.float64, copy=False))

    # ------------------------------------------------------------------ geometry checks
    def same_geometry(self, other: Volume, tol: float = _GEOMETRY_TOL) -> bool:
        """True when ``other`` has the same grid (shape, spacing, origin, direction) within ``tol``.

        ``tol`` is relative for spacing and absolute (mm, or unitless for direction cosines)
        for origin and direction, like pyradiomics' ``geometryTolerance``. The origin
        tolerance also allows float32 rounding of the origin (NIfTI stores it as float32),
        ``2**-22 * max(|origin|)``, i.e. 0.1 um at 500 mm.
        """
        # The origin tolerance must not grow with |origin| beyond float32 rounding: origins are
        # often hundreds of mm, and a tolerance relative to them would accept grids shifted by
        # a large fraction of a voxel.
        org_tol = tol + 2.0 ** -22 * float(np.max(np.abs(self.origin)))
        return (self.shape == other.shape
                and np.allclose(self.spacing, other.spacing, rtol=tol, atol=tol)
                and np.allclose(self.origin, other.origin, rtol=0, atol=org_tol)
                and np.allclose(self.direction, other.direction, rtol=0, atol=tol))

    def describe_geometry(self) -> str:
        """One-line human summary of the grid."""
        sp = ", ".join(f"{s:g}" for s in self.spacing)
        org = ", ".join(f"{o:.3f}" for o in self.origin)
        dirn = ", ".join(f"{d:.4f}" for d in self.direction.T.ravel())
        return (f"size (x,y,z)=({', '.join(map(str, self.size))}) spacing=({sp}) mm "
                f"origin=({org}) direction=({dirn})")

    # ------------------------------------------------------------------ SimpleITK round trip
    @classmethod
    def from_sitk(cls, image, *, modality: str | None = None, units: str | None = None,
                  provenance: Provenance | None = None, meta: dict | None = None) -> Volume:
        """Make a Volume from a 3D ``SimpleITK.Image`` (geometry copied exactly)."""
        import SimpleITK as sitk

        if image.GetDimension() != 3:
            raise ValueError(f"expected a 3D image, got {image.GetDimension()}D")
        if image.GetNumberOfComponentsPerPixel() != 1:
            raise ValueError("expected a scalar image, got a vector image")
        return cls(array=sitk.GetArrayFromImage(image), spacing=image.GetSpacing(),
                   origin=image.GetOrigin(),
                   direction=np.asarray(image.GetDirection()).reshape(3, 3),
                   modality=modality, units=units, provenance=provenance or Provenance(),
                   meta=dict(meta or {}))

    def to_sitk(self):
        """A ``SimpleITK.Image`` with the same voxels and geometry (lossless)."""
        import SimpleITK as sitk

        img = sitk.GetImageFromArray(np.ascontiguousarray(self.array))
        img.SetSpacing(self.spacing)
        img.SetOrigin(self.origin)
        img.SetDirection(tuple(self.direction.ravel()))
        return img

    # ------------------------------------------------------------------ misc
    def __repr__(self) -> str:
        return (f"Volume(shape(z,y,x)={self.shape}, dtype={self.array.dtype}, "
                f"modality={self.modality!r}, units={self.units!r}, "
                f"spacing(x,y,z)={self.spacing})")

