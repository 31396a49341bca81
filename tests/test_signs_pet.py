"""PET uptake sign: SUVmax/peak/mean, MTV and TLG on hand-computable volumes."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rnpc_radiomics.errors import MaskError, PetError
from rnpc_radiomics.image import Volume
from rnpc_radiomics.signs import SignsSettings, pet_uptake
from rnpc_radiomics.signs.pet_uptake import sphere_kernel

SP = 4.0
N = 20
ORIGIN = (-38.0, -38.0, -38.0)  # voxel centres at -38, -34, ..., 38 mm


def _dist(centre=(0.0, 0.0, 0.0)):
    c = np.asarray(ORIGIN[0]) + SP * np.arange(N)
    z, y, x = np.meshgrid(c, c, c, indexing="ij")
    return np.sqrt((x - centre[0]) ** 2 + (y - centre[1]) ** 2 + (z - centre[2]) ** 2)


def _pet(arr, **kw):
    return Volume(np.asarray(arr, np.float32), spacing=(SP, SP, SP), origin=ORIGIN,
                  modality="PT", units="SUVbw", **kw)


def test_sphere_kernel_has_the_requested_volume():
    for spacing in ((4.0, 4.0, 4.0), (2.0, 2.0, 3.27), (0.5, 0.5, 1.0)):
        k = sphere_kernel(1.0, spacing)
        # rtol 1 %: 7 sub-samples per axis per voxel.
        np.testing.assert_allclose(k.sum() * np.prod(spacing), 1000.0, rtol=0.01)


def test_uniform_hot_sphere_hand_computed():
    d = _dist()
    hot = d <= 14.0
    pet = _pet(np.where(hot, 10.0, 1.0))
    roi = pet.with_array(hot.astype(np.uint8))
    res = pet_uptake(pet, roi)
    n = int(hot.sum())
    vml = SP ** 3 / 1000.0
    # The 1 ml sphere (r = 6.2 mm) at the centre covers voxels up to 9.7 mm away: all at SUV 10.
    np.testing.assert_allclose(res["suv_max"], 10.0, rtol=1e-6)
    np.testing.assert_allclose(res["suv_peak"], 10.0, rtol=1e-6)
    np.testing.assert_allclose(res["suv_mean"], 10.0, rtol=1e-6)
    np.testing.assert_allclose(res["mtv_ml"], n * vml, rtol=1e-9)
    np.testing.assert_allclose(res["tlg"], n * vml * 10.0, rtol=1e-6)
    np.testing.assert_allclose(res["mtv41_ml"], n * vml, rtol=1e-9)
    np.testing.assert_allclose(res["roi_volume_ml"], n * vml, rtol=1e-9)
    # Several centres tie at 10; any of them lies deep enough for the whole sphere to be hot.
    assert np.linalg.norm(res["suv_peak_centre_mm"]) <= 14.0 - 6.2 + 2.0 * math.sqrt(3)


def test_thresholds_hand_computed():
    arr = np.ones((N, N, N), np.float32)
    roi = np.zeros((N, N, N), np.uint8)
    roi[5:7, 5:7, 5:7] = 1  # 8 voxels
    vals = np.array([1.0, 2.0, 2.5, 3.0, 4.0, 5.0, 8.0, 10.0], np.float32)
    arr[5:7, 5:7, 5:7] = vals.reshape(2, 2, 2)
    pet = _pet(arr)
    res = pet_uptake(pet, pet.with_array(roi))
    vml = SP ** 3 / 1000.0
    over25 = vals[vals >= 2.5]
    over41 = vals[vals >= 0.41 * 10.0]
    np.testing.assert_allclose(res["suv_max"], 10.0, rtol=1e-6)
    np.testing.assert_allclose(res["suv_mean"], vals.mean(), rtol=1e-6)
    np.testing.assert_allclose(res["mtv_ml"], over25.size * vml, rtol=1e-9)
    np.testing.assert_allclose(res["suv_mean_mtv"], over25.mean(), rtol=1e-6)
    np.testing.assert_allclose(res["tlg"], over25.size * vml * over25.mean(), rtol=1e-6)
    np.testing.assert_allclose(res["mtv41_ml"], over41.size * vml, rtol=1e-9)
    np.testing.assert_allclose(res["tlg41"], over41.size * vml * over41.mean(), rtol=1e-6)
    custom = pet_uptake(pet, pet.with_array(roi), settings=SignsSettings(pet_suv_threshold=4.5))
    np.testing.assert_allclose(custom["mtv_ml"], 3 * vml, rtol=1e-9)


def test_suv_peak_matches_slow_oracle():
    rng = np.random.default_rng(4)
    arr = rng.gamma(2.0, 1.5, (N, N, N)).astype(np.float32)
    roi = (_dist((3.0, -5.0, 2.0)) <= 13.0).astype(np.uint8)
    pet = _pet(arr)
    res = pet_uptake(pet, pet.with_array(roi))
    k = sphere_kernel(1.0, (SP, SP, SP))
    h = k.shape[0] // 2
    best = -np.inf
    for z, y, x in np.argwhere(roi):  # the obvious loop: weighted mean around each ROI voxel
        num = den = 0.0
        for dz in range(-h, h + 1):
            for dy in range(-h, h + 1):
                for dx in range(-h, h + 1):
                    zz, yy, xx = z + dz, y + dy, x + dx
                    if 0 <= zz < N and 0 <= yy < N and 0 <= xx < N:
                        w = k[dz + h, dy + h, dx + h]
                        num += w * arr[zz, yy, xx]
                        den += w
        best = max(best, num / den)
    np.testing.assert_allclose(res["suv_peak"], best, rtol=1e-5)
    assert res["suv_peak"] <= res["suv_max"]


def test_roi_on_the_ct_grid_is_mapped_by_position():
    d = _dist()
    pet = _pet(np.where(d <= 14.0, 8.0, 1.0))
    # CT grid: 1 mm voxels over the same box; ROI sphere of radius 12 mm.
    c = -38.0 + np.arange(77)
    z, y, x = np.meshgrid(c, c, c, indexing="ij")
    roi_ct = (np.sqrt(x ** 2 + y ** 2 + z ** 2) <= 12.0).astype(np.uint8)
    ct_grid = Volume(roi_ct, spacing=(1.0, 1.0, 1.0), origin=(-38.0, -38.0, -38.0))
    res = pet_uptake(pet, ct_grid)
    # rtol 0.25: a 12 mm sphere on 4 mm voxels (voxels at least half inside).
    np.testing.assert_allclose(res["roi_volume_ml"], 4 / 3 * np.pi * 12 ** 3 / 1000, rtol=0.25)
    np.testing.assert_allclose(res["suv_max"], 8.0, rtol=1e-6)


def test_pet_not_in_suv_is_rejected():
    arr = np.ones((N, N, N), np.float32)
    roi = np.zeros((N, N, N), np.uint8)
    roi[8:10, 8:10, 8:10] = 1
    with pytest.raises(PetError, match="not in SUV"):
        pet_uptake(_pet(arr).replace(units="BQML"), roi)
    with pytest.raises(PetError, match="not SUV"):
        pet_uptake(_pet(arr * 5000.0).replace(units=None), roi)
    with pytest.raises(MaskError, match="ROI is empty"):
        pet_uptake(_pet(arr), np.zeros((N, N, N), np.uint8))
    far = Volume(np.ones((4, 4, 4), np.uint8), origin=(500.0, 500.0, 500.0))
    with pytest.raises(MaskError, match="does not overlap"):
        pet_uptake(_pet(arr), far)
