"""The image model: SimpleITK round trip, index <-> physical geometry, grid comparison."""

from __future__ import annotations

import numpy as np
import pytest
import SimpleITK as sitk
from hypothesis import given, settings
from hypothesis import strategies as st

from rnpc_radiomics.image import Provenance, Volume


def _rotation(a: float, b: float, c: float) -> np.ndarray:
    """Right-handed orthonormal matrix from three Euler angles (radians)."""
    ca, sa, cb, sb, cc, sc = np.cos(a), np.sin(a), np.cos(b), np.sin(b), np.cos(c), np.sin(c)
    rz = np.array([[ca, -sa, 0], [sa, ca, 0], [0, 0, 1]])
    ry = np.array([[cb, 0, sb], [0, 1, 0], [-sb, 0, cb]])
    rx = np.array([[1, 0, 0], [0, cc, -sc], [0, sc, cc]])
    return rz @ ry @ rx


angles = st.floats(-np.pi, np.pi, allow_nan=False)
spacings = st.tuples(*[st.floats(0.1, 5.0, allow_nan=False)] * 3)
origins = st.tuples(*[st.floats(-500.0, 500.0, allow_nan=False)] * 3)


def _oblique_volume(dtype=np.int16) -> Volume:
    arr = (np.arange(4 * 5 * 6) - 40).reshape(4, 5, 6).astype(dtype)
    return Volume(arr, spacing=(0.7, 1.3, 2.5), origin=(-12.5, 30.25, 101.0),
                  direction=_rotation(0.3, -0.5, 1.1))


@pytest.mark.parametrize("dtype", [np.int16, np.uint8, np.float32, np.float64, np.int32])
def test_sitk_round_trip_is_lossless_with_oblique_direction(dtype):
    vol = _oblique_volume(dtype)
    img = vol.to_sitk()
    # SimpleITK's own view: size is (x, y, z), spacing/origin/direction copied exactly
    assert img.GetSize() == (6, 5, 4)
    assert img.GetSpacing() == vol.spacing
    assert img.GetOrigin() == vol.origin
    np.testing.assert_array_equal(np.asarray(img.GetDirection()).reshape(3, 3), vol.direction)
    back = Volume.from_sitk(img)
    assert back.array.dtype == vol.array.dtype
    np.testing.assert_array_equal(back.array, vol.array)
    assert back.spacing == vol.spacing and back.origin == vol.origin
    np.testing.assert_array_equal(back.direction, vol.direction)  # bit-exact, atol=0


def test_sitk_physical_points_agree_with_volume():
    vol = _oblique_volume()
    img = vol.to_sitk()
    for ijk in [(0, 0, 0), (5, 4, 3), (2, 1, 3), (1.5, 0.25, 2.75)]:
        ours = vol.index_to_physical(ijk)
        theirs = img.TransformContinuousIndexToPhysicalPoint(tuple(float(v) for v in ijk))
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-9)
    # array[k, j, i] is the voxel SimpleITK calls (i, j, k)
    assert img.GetPixel(5, 4, 3) == vol.array[3, 4, 5]
    assert img.GetPixel(2, 0, 1) == vol.array[1, 0, 2]


def test_from_sitk_copies_metadata_and_rejects_non_3d():
    img = sitk.Image(3, 4, 5, sitk.sitkInt16)
    v = Volume.from_sitk(img, modality="CT", units="HU",
                         provenance=Provenance(source="x", series_uid="1.2"), meta={"a": 1})
    assert (v.modality, v.units, v.provenance.series_uid, v.meta) == ("CT", "HU", "1.2", {"a": 1})
    assert v.shape == (5, 4, 3) and v.size == (3, 4, 5)
    with pytest.raises(ValueError, match="expected a 3D image"):
        Volume.from_sitk(sitk.Image(3, 4, sitk.sitkInt16))
    with pytest.raises(ValueError, match="vector image"):
        Volume.from_sitk(sitk.Image([3, 4, 5], sitk.sitkVectorFloat32, 2))


@settings(max_examples=60, deadline=None)
@given(a=angles, b=angles, c=angles, spacing=spacings, origin=origins,
       ijk=st.tuples(*[st.floats(-50, 300, allow_nan=False)] * 3))
def test_index_physical_round_trip(a, b, c, spacing, origin, ijk):
    vol = Volume(np.zeros((2, 2, 2), np.uint8), spacing=spacing, origin=origin,
                 direction=_rotation(a, b, c))
    xyz = vol.index_to_physical(ijk)
    np.testing.assert_allclose(vol.physical_to_index(xyz), ijk, rtol=0, atol=1e-7)
    # the documented formula: origin + direction @ (spacing * ijk)
    np.testing.assert_allclose(
        xyz, np.asarray(origin) + vol.direction @ (np.asarray(spacing) * np.asarray(ijk)),
        rtol=0, atol=1e-9)
    # affine agrees with index_to_physical
    np.testing.assert_allclose((vol.affine @ np.r_[ijk, 1.0])[:3], xyz, rtol=0, atol=1e-9)


@settings(max_examples=40, deadline=None)
@given(a=angles, b=angles, c=angles, spacing=spacings, origin=origins)
def test_geometry_matches_sitk_for_random_grids(a, b, c, spacing, origin):
    vol = Volume(np.zeros((3, 4, 5), np.int16), spacing=spacing, origin=origin,
                 direction=_rotation(a, b, c))
    img = vol.to_sitk()
    pts = np.array([[0, 0, 0], [4, 3, 2], [1.5, 2.5, 0.5]])
    ours = vol.index_to_physical(pts)
    theirs = np.array([img.TransformContinuousIndexToPhysicalPoint(tuple(map(float, p)))
                       for p in pts])
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-8)
    back = np.array([img.TransformPhysicalPointToContinuousIndex(tuple(map(float, x)))
                     for x in ours])
    np.testing.assert_allclose(vol.physical_to_index(ours), back, rtol=0, atol=1e-7)


def test_physical_to_index_keeps_batch_shape():
    vol = _oblique_volume()
    pts = vol.index_to_physical(np.arange(24, dtype=float).reshape(2, 4, 3))
    assert vol.physical_to_index(pts).shape == (2, 4, 3)
    np.testing.assert_allclose(vol.physical_to_index(pts),
                               np.arange(24, dtype=float).reshape(2, 4, 3), rtol=0, atol=1e-9)


def test_same_geometry_and_describe():
    vol = _oblique_volume()
    assert vol.same_geometry(vol.with_array(vol.array * 2))
    moved = vol.replace(origin=(vol.origin[0] + 0.01, vol.origin[1], vol.origin[2]))
    assert not vol.same_geometry(moved, tol=1e-4)
    assert vol.same_geometry(moved, tol=0.02)
    assert not vol.same_geometry(vol.replace(spacing=(0.7, 1.3, 2.6)))
    assert not vol.same_geometry(vol.with_array(np.zeros((4, 5, 7)), spacing=vol.spacing))
    text = vol.describe_geometry()
    assert "size (x,y,z)=(6, 5, 4)" in text and "spacing=(0.7, 1.3, 2.5)" in text
    assert "\n" not in text


def test_volume_validation_and_dtype_changes():
    with pytest.raises(ValueError, match="must be 3D"):
        Volume(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="spacing must be positive"):
        Volume(np.zeros((2, 2, 2)), spacing=(1, 0, 1))
    vol = _oblique_volume()
    with pytest.raises(ValueError, match="does not match"):
        vol.with_array(np.zeros((1, 2, 3)))
    f = vol.as_float32()
    assert f.array.dtype == np.float32
    np.testing.assert_array_equal(f.array, vol.array.astype(np.float32))
    assert vol.as_float64().array.dtype == np.float64
    assert vol.voxel_volume == pytest.approx(0.7 * 1.3 * 2.5, rel=1e-12)
    assert vol.spacing_zyx == (2.5, 1.3, 0.7)
