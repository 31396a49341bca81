"""Bone-pattern sign on constructed bone slabs: intact, focally eroded, spongy, two bones."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from rnpc_radiomics.image import Volume
from rnpc_radiomics.signs import SignsSettings, bone_pattern
from rnpc_radiomics.signs.bone_pattern import midsagittal_plane

SP = (0.5, 0.5, 1.0)
SHAPE = (40, 100, 100)
ORIGIN = (-24.75, -24.75, -19.5)
CORTEX_MM = 1.2


def _xyz():
    z = ORIGIN[2] + SP[2] * np.arange(SHAPE[0])
    y = ORIGIN[1] + SP[1] * np.arange(SHAPE[1])
    x = ORIGIN[0] + SP[0] * np.arange(SHAPE[2])
    return x[None, None, :], y[None, :, None], z[:, None, None]


def _texture(seed, scale_vox=(1.0, 2.0, 2.0)):
    rng = np.random.default_rng(seed)
    f = ndimage.gaussian_filter(rng.standard_normal(SHAPE), scale_vox)
    return (f - f.mean()) / f.std()


def _slab(ct, x0, x1, *, spongy=False, seed=0, region=None):
    """Paint a bone slab x in [x0, x1] mm (|y| < 20, |z| < 15) with cortex and trabecular bone."""
    x, y, z = _xyz()
    slab = np.broadcast_to((x >= x0) & (x <= x1) & (np.abs(y) < 20) & (np.abs(z) < 15), SHAPE)
    depth = ndimage.distance_transform_edt(np.pad(slab, 1), sampling=SP[::-1])[1:-1, 1:-1, 1:-1]
    cortex = slab & (depth <= CORTEX_MM)
    trab = slab & ~cortex
    tex = _texture(seed)
    ct[cortex] = 1500.0
    ct[trab] = (300.0 + 40.0 * tex)[trab]
    if spongy:
        zone = slab if region is None else slab & region
        mott = _texture(seed + 1)
        ct[zone & trab & (mott > 0.1)] = 20.0          # ~45 % lytic holes, mm-scale
        ct[zone & cortex & (mott > 0.6)] = 30.0        # permeative cortical defects
    return slab


def _ct(arr):
    arr = arr.copy()
    arr[:, :, :3] = -1000.0  # air at the image edge: a CT in HU always holds some
    return Volume(np.round(arr).astype(np.int16), spacing=SP, origin=ORIGIN, modality="CT",
                  units="HU")


def _sphere(cx, r, cy=0.0, cz=0.0):
    x, y, z = _xyz()
    return np.broadcast_to((x - cx) ** 2 + (y - cy) ** 2 + (z - cz) ** 2 <= r ** 2, SHAPE)


def _noise(arr, seed=9, sd=12.0):
    return arr + np.random.default_rng(seed).normal(0.0, sd, SHAPE)


def test_intact_bone_next_to_a_mass_is_none():
    arr = np.full(SHAPE, 40.0)
    _slab(arr, -4.0, 4.0)
    roi = _sphere(11.0, 7.0)  # abuts the slab surface at x = 4
    arr[roi] = 55.0
    res = bone_pattern(_ct(_noise(arr)), roi.astype(np.uint8))
    assert res["pattern"] == "none", res["reason"]
    assert res["cortical_discontinuity"] < 0.05
    assert res["contact_surface_mm2"] > 5.0
    assert res["spongy_index"] < 0.02
    assert res["lytic_fraction"] < 0.02


def test_focal_erosion_by_a_mass():
    arr = np.full(SHAPE, 40.0)
    slab = _slab(arr, -4.0, 4.0)
    roi = _sphere(7.0, 7.0)  # 4 mm into the slab: that bone is replaced by tumour
    arr[roi] = 55.0
    res = bone_pattern(_ct(_noise(arr)), roi.astype(np.uint8),
                       landmarks={"pterygoid": [4.0, 0.0, 0.0], "far": [-20.0, 0.0, 0.0]})
    assert res["pattern"] == "focal_erosion", res["reason"]
    assert res["cortical_discontinuity"] >= 0.5
    assert res["spongy_index"] < 0.06
    assert res["bones_involved"] <= 1
    assert res["landmark_distance_mm"]["pterygoid"] < res["landmark_distance_mm"]["far"]
    assert (slab & roi).any()


def test_diffuse_spongy_change():
    arr = np.full(SHAPE, 40.0)
    region = _sphere(0.0, 11.0)
    _slab(arr, -5.0, 5.0, spongy=True, region=region, seed=2)
    roi = region & (np.abs(_xyz()[0]) <= 5.0)  # the changed bone is the lesion (ORN)
    res = bone_pattern(_ct(_noise(arr)), roi.astype(np.uint8))
    assert res["pattern"] == "diffuse_spongy", res["reason"]
    assert res["spongy_index"] >= 0.2
    assert res["lytic_fraction"] >= 0.1
    assert res["abnormal_bone_volume_mm3"] >= 150.0
    # The centre of the change is the centre of the changed region (atol 2 mm).
    np.testing.assert_allclose(res["centre_mm"], [0.0, 0.0, 0.0], atol=2.0)


def test_two_separate_bones_are_counted():
    arr = np.full(SHAPE, 40.0)
    region = _sphere(0.0, 13.0)
    _slab(arr, -13.0, -4.0, spongy=True, region=region, seed=4)
    _slab(arr, 4.0, 13.0, spongy=True, region=region, seed=6)
    x = _xyz()[0]
    roi = region & (np.abs(x) >= 4.0) & (np.abs(x) <= 13.0)
    res = bone_pattern(_ct(_noise(arr)), roi.astype(np.uint8))
    assert res["bones_involved"] == 2
    assert res["pattern"] == "diffuse_spongy", res["reason"]
    involved = [b for b in res["bones"] if b["involved"]]
    xs = sorted(b["centroid_mm"][0] for b in involved)
    assert xs[0] < -4.0 and xs[1] > 4.0
    assert 0.5 <= res["concentration"] < 0.8


def test_no_bone_and_enhancing_vessel_are_not_bone():
    arr = np.full(SHAPE, 40.0)
    x, y, z = _xyz()
    vessel = np.broadcast_to((x - 9.0) ** 2 + y ** 2 <= 2.5 ** 2, SHAPE)  # 250 HU, no cortex
    arr[vessel] = 250.0
    roi = _sphere(0.0, 6.0)
    res = bone_pattern(_ct(_noise(arr)), roi.astype(np.uint8))
    assert res["pattern"] == "none"
    assert res["bones_involved"] == 0
    assert res["bone_volume_mm3"] == 0.0
    assert res["centre_mm"] is None


def test_settings_change_the_call():
    arr = np.full(SHAPE, 40.0)
    _slab(arr, -4.0, 4.0)
    roi = _sphere(7.0, 7.0)
    arr[roi] = 55.0
    ct = _ct(_noise(arr))
    assert bone_pattern(ct, roi.astype(np.uint8))["pattern"] == "focal_erosion"
    strict = SignsSettings(pattern_min_discontinuity=1.0, pattern_min_missing_mm3=1e6)
    assert bone_pattern(ct, roi.astype(np.uint8), settings=strict)["pattern"] == "none"


@pytest.mark.parametrize("bad", [{"pattern_min_spongy": 0.1}, {"bone_hu": "x"},
                                 {"pattern_min_discontinuity": 2.0},
                                 {"pattern_min_spongy_excess": -0.1},
                                 {"missing_bone_tolerance_mm": 0.0},
                                 {"pattern_min_missing_mm3": -1.0}])
def test_bad_settings(bad):
    from rnpc_radiomics.errors import SettingsError

    with pytest.raises(SettingsError, match="signs setting"):
        SignsSettings.from_dict(bad)


# ---- left-right comparison ------------------------------------------------------------------
# Symmetric anatomy about the plane x = MID (not the image centre): two thick "roots" and two
# thin, all-cortical "plates" (like the pterygoid plates), mirror images of each other.
MID = 1.5
PLATE_X = 8.0        # plate centre, mm from MID
PLATE_T = 1.2        # plate thickness, mm: nothing but cortex


def _box(x0, x1, y0=-12.0, y1=12.0, z0=-12.0, z1=12.0):
    x, y, z = _xyz()
    return np.broadcast_to((x >= x0) & (x <= x1) & (y >= y0) & (y <= y1) & (z >= z0) & (z <= z1),
                           SHAPE)


def _symmetric_anatomy():
    arr = np.full(SHAPE, 40.0)
    for side in (1, -1):
        c = MID + side * PLATE_X
        arr[_box(c - PLATE_T / 2, c + PLATE_T / 2)] = 1500.0
        lo, hi = sorted((MID + side * 19.0, MID + side * 23.0))
        root = _box(lo, hi, -18.0, 18.0, -14.0, 14.0)
        arr[root] = 1500.0
        inner = _box(lo + 1.2, hi - 1.2, -16.8, 16.8, -12.8, 12.8)
        arr[inner] = 300.0
    return arr


def test_midsagittal_plane_found_off_centre():
    ct = _ct(_noise(_symmetric_anatomy()))
    n, score = midsagittal_plane(ct)
    x_mid = ORIGIN[0] + SP[0] * n / 2.0
    assert abs(x_mid - MID) <= SP[0] / 2 + 1e-9  # half-voxel search steps
    assert score > 0.9


def test_midsagittal_plane_unavailable():
    ct = _ct(_noise(_symmetric_anatomy()))
    c, s_ = np.cos(np.pi / 4), np.sin(np.pi / 4)
    oblique = Volume(ct.array, spacing=SP, origin=ORIGIN,
                     direction=np.array([[c, -s_, 0.0], [s_, c, 0.0], [0.0, 0.0, 1.0]]),
                     modality="CT", units="HU")
    assert midsagittal_plane(oblique) is None
    assert midsagittal_plane(_ct(np.full(SHAPE, 40.0))) is None  # no bone at all


def test_thin_plate_cut_by_a_mass_is_focal_erosion():
    """All-cortical plate cut through by a mass: the cut edge is still cortex, but the bone that
    the other side has is missing here, replaced by soft tissue."""
    arr = _symmetric_anatomy()
    mass = _sphere(MID + PLATE_X + 2.5, 6.5)  # reaches neither the root nor the midline
    plate = _box(MID + PLATE_X - PLATE_T / 2, MID + PLATE_X + PLATE_T / 2)
    arr[mass] = 60.0
    res = bone_pattern(_ct(_noise(arr)), mass.astype(np.uint8))
    assert res["pattern"] == "focal_erosion", res["reason"]
    assert abs(res["midline_x_mm"] - MID) <= SP[0] / 2 + 1e-9
    removed = float(np.count_nonzero(plate & mass)) * float(np.prod(SP))
    # The tolerance ring (missing_bone_tolerance_mm around the remaining plate) is not counted.
    assert 35.0 <= res["missing_bone_volume_mm3"] <= removed
    assert res["bones_involved"] == 1


def test_cavity_against_an_intact_plate_is_not_erosion():
    """A fluid/gas cavity lying against an intact plate: no bone is missing."""
    arr = _symmetric_anatomy()
    cav = _sphere(MID + PLATE_X + PLATE_T / 2 + 6.0, 6.0)
    arr[cav] = 55.0
    arr[_sphere(MID + PLATE_X + PLATE_T / 2 + 6.0, 4.0)] = 15.0   # necrotic core
    arr[_sphere(MID + PLATE_X + 6.0, 1.5, cy=2.0)] = -900.0        # a gas bubble
    res = bone_pattern(_ct(_noise(arr)), cav.astype(np.uint8))
    assert res["pattern"] == "none", res["reason"]
    assert res["missing_bone_volume_mm3"] < 5.0
    assert res["expected_bone_volume_mm3"] > 20.0


def _spongy_pair(both_sides: bool):
    arr = np.full(SHAPE, 40.0)
    region = _sphere(MID + 9.0, 13.0) | _sphere(MID - 9.0, 13.0)
    for side in (1, -1):
        lo, hi = sorted((MID + side * 4.0, MID + side * 14.0))
        _slab(arr, lo, hi, spongy=both_sides or side == 1, region=region, seed=4 + side)
    x = _xyz()[0]
    roi = region & (x >= MID + 4.0) & (x <= MID + 14.0)
    return arr, roi


def test_bilateral_spongy_change_stays_diffuse():
    """ORN can be bilateral: the other side is no normal reference then, and the call must not
    depend on it."""
    arr, roi = _spongy_pair(both_sides=True)
    res = bone_pattern(_ct(_noise(arr)), roi.astype(np.uint8))
    assert res["pattern"] == "diffuse_spongy", res["reason"]
    assert res["contralateral_spongy_index"] >= 0.2
    assert res["abnormal_bone_volume_mm3"] >= 600.0


def test_unilateral_spongy_change_exceeds_the_other_side():
    arr, roi = _spongy_pair(both_sides=False)
    res = bone_pattern(_ct(_noise(arr)), roi.astype(np.uint8))
    assert res["pattern"] == "diffuse_spongy", res["reason"]
    assert res["spongy_index"] - res["contralateral_spongy_index"] >= 0.15
    # Permeative cortical defects are bone missing too, but they do not dominate the change.
    assert res["missing_bone_volume_mm3"] < 0.12 * res["abnormal_bone_volume_mm3"]


def test_symmetric_mottled_texture_is_not_diffuse():
    """Texture that both sides share (the patient's normal trabecular pattern, or closing
    artefacts) is not called diffuse spongy change unless it is very extensive."""
    arr, roi = _spongy_pair(both_sides=True)
    ct = _ct(_noise(arr))
    s = SignsSettings(pattern_bilateral_volume_mm3=1e6)
    res = bone_pattern(ct, roi.astype(np.uint8), settings=s)
    assert res["pattern"] == "none", res["reason"]
    assert "other side" in res["reason"]


def test_without_left_right_comparison_the_cortex_decides():
    """On an oblique grid there is no mirror plane: the one-sided rule (cortical
    discontinuity) calls the erosion, and the left-right fields are null."""
    arr = np.full(SHAPE, 40.0)
    _slab(arr, -4.0, 4.0)
    roi = _sphere(7.0, 7.0)
    arr[roi] = 55.0
    c, s_ = np.cos(np.pi / 6), np.sin(np.pi / 6)
    ct = Volume(_ct(_noise(arr)).array, spacing=SP, origin=ORIGIN,
                direction=np.array([[c, -s_, 0.0], [s_, c, 0.0], [0.0, 0.0, 1.0]]),
                modality="CT", units="HU")
    res = bone_pattern(ct, roi.astype(np.uint8))
    assert res["pattern"] == "focal_erosion", res["reason"]
    assert "no left-right comparison" in res["reason"]
    for key in ("midline_x_mm", "symmetry_score", "missing_bone_volume_mm3",
                "expected_bone_volume_mm3", "contralateral_spongy_index"):
        assert res[key] is None
