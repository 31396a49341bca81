"""Air-bubble sign on small constructed CTs with known gas pockets, airway, fat and bone.

The CT: a block of soft tissue (40 HU) in air, a lesion sphere, spherical gas pockets of known
volume painted with partial-volume occupancy (supersampled), an airway channel open to the outside
air, a fat slab, a bone-walled air cell and a pocket joined to the airway by a partial-volume neck.
"""

from __future__ import annotations

import numpy as np
import pytest

from rnpc_radiomics.errors import GeometryError, InputError, MaskError
from rnpc_radiomics.image import Volume
from rnpc_radiomics.signs import SignsSettings, find_air_bubbles

SP = (0.5, 0.5, 1.0)  # x, y, z mm
SHAPE = (40, 90, 90)  # z, y, x -> 40 x 45 x 45 mm
ORIGIN = (-22.25, -22.25, -19.5)
CENTRE = np.array([0.0, 0.0, 0.0])  # lesion centre, LPS mm
R_LESION = 8.0


def _coords(sub=1):
    """LPS coordinates (x, y, z) of voxel centres, optionally of sub-samples per voxel."""
    off = (np.arange(sub) + 0.5) / sub - 0.5
    z = ORIGIN[2] + (np.arange(SHAPE[0])[:, None] + off[None, :]) * SP[2]
    y = ORIGIN[1] + (np.arange(SHAPE[1])[:, None] + off[None, :]) * SP[1]
    x = ORIGIN[0] + (np.arange(SHAPE[2])[:, None] + off[None, :]) * SP[0]
    return x, y, z


def _sphere_occupancy(centre, radius, sub=5):
    """Fraction of each voxel inside a sphere (sub^3 samples per voxel)."""
    x, y, z = _coords(sub)
    dz = (z - centre[2]) ** 2
    dy = (y - centre[1]) ** 2
    dx = (x - centre[0]) ** 2
    inside = (dz[:, None, None, :, None, None] + dy[None, :, None, None, :, None]
              + dx[None, None, :, None, None, :]) <= radius ** 2
    return inside.mean(axis=(3, 4, 5))


def _grid_dist(centre):
    x, y, z = _coords()
    return np.sqrt((z[:, 0, None, None] - centre[2]) ** 2 + (y[None, :, 0, None] - centre[1]) ** 2
                   + (x[None, None, :, 0] - centre[0]) ** 2)


def _paint_gas(ct, centre, radius):
    occ = _sphere_occupancy(centre, radius)
    ct[:] = ct * (1 - occ) + (-1000.0) * occ


def build_case(*, bubbles=(), airway=True, fat=True, air_cell=True, neck=True, noise=10.0,
               seed=0):
    """CT Volume, ROI Volume and the truth list of bubbles [(centre, radius)]."""
    ct = np.full(SHAPE, -1000.0)
    ct[2:-2, 4:-4, 4:-4] = 40.0  # body; air all around, touching the image border
    x, y, z = _coords()
    X = x[None, None, :, 0]
    Y = y[None, :, 0, None]
    Z = z[:, 0, None, None]
    if fat:  # a fat slab 2-5 mm lateral to the lesion
        ct[np.broadcast_to((X > R_LESION + 1.0) & (X < R_LESION + 5.0) & (np.abs(Y) < 8)
                           & (np.abs(Z) < 8), SHAPE)] = -100.0
    if airway:  # a 4 mm-wide channel 1.5 mm from the lesion, open to the outside (to -y)
        chan = (np.abs(X - 0.0) < 2.0) & (Y < -(R_LESION + 1.5)) & (np.abs(Z) < 2.0)
        ct[np.broadcast_to(chan, SHAPE)] = -1000.0
    if air_cell:  # air cell with a 1 mm bone wall, 2 mm outside the lesion (inside the margin)
        c = np.array([0.0, 0.0, -(R_LESION + 3.5)])
        d = _grid_dist(c)
        ct[d <= 2.5] = 1200.0
        _paint_gas(ct, c, 1.5)
    if neck:  # a pocket inside the lesion joined to the airway channel by a partial-volume neck
        c = np.array([0.0, -(R_LESION - 1.5), 0.0])
        _paint_gas(ct, c, 1.2)
        neck_m = (np.abs(X) < 0.6) & (Y < -(R_LESION - 2.5)) & (Y > -(R_LESION + 2.0)) & (
            np.abs(Z) < 0.6)
        ct[np.broadcast_to(neck_m, SHAPE)] = -300.0
    for c, r in bubbles:
        _paint_gas(ct, np.asarray(c, float), r)
    rng = np.random.default_rng(seed)
    ct = ct + rng.normal(0.0, noise, SHAPE)
    roi = (_grid_dist(CENTRE) <= R_LESION).astype(np.uint8)
    vol = Volume(np.round(ct).astype(np.int16), spacing=SP, origin=ORIGIN, modality="CT",
                 units="HU")
    return vol, vol.with_array(roi), [(np.asarray(c, float), r) for c, r in bubbles]


BUBBLES = [((3.0, 2.0, 1.0), 2.5),     # 65.4 mm3, inside
           ((-3.0, 3.0, -3.0), 1.5),   # 14.1 mm3, inside
           ((2.0, -2.0, 4.0), 0.75),   # 1.77 mm3, inside
           ((0.0, 5.0, -4.0), 1.0),    # 4.2 mm3, inside, 1.6 mm below the surface
           ((-(R_LESION + 1.5), 0.0, 2.0), 0.9)]      # 3.05 mm3, 1.5 mm outside the ROI


@pytest.fixture(scope="module")
def case():
    return build_case(bubbles=BUBBLES)


@pytest.fixture(scope="module")
def result(case):
    ct, roi, _ = case
    return find_air_bubbles(ct, roi)


def _match(found, truth):
    """For each truth bubble, the nearest found bubble and its centroid distance."""
    out = []
    for c, r in truth:
        d = [np.linalg.norm(np.subtract(b["centroid_mm"], c)) for b in found]
        i = int(np.argmin(d)) if d else -1
        out.append((found[i] if d else None, d[i] if d else np.inf, r))
    return out


def test_every_bubble_found_and_nothing_else(result):
    assert result["count"] == len(BUBBLES)
    for b, dist, _r in _match(result["bubbles"], [(np.asarray(c), r) for c, r in BUBBLES]):
        assert b is not None
        assert dist <= 0.3  # mm, atol: centroid of a partial-volume-weighted pocket


def test_bubble_volumes_corrected_for_partial_volume(result):
    truth = [(np.asarray(c), r) for c, r in BUBBLES]
    for b, _d, r in _match(result["bubbles"], truth):
        true_v = 4.0 / 3.0 * np.pi * r ** 3
        # rtol 0.15 (0.35 mm3 atol for the smallest): noise 10 HU over the one-voxel shell.
        np.testing.assert_allclose(b["volume_mm3"], true_v, rtol=0.15, atol=0.35)
    total = sum(4.0 / 3.0 * np.pi * r ** 3 for _c, r in BUBBLES)
    np.testing.assert_allclose(result["total_volume_mm3"], total, rtol=0.1)
    vols = [b["volume_mm3"] for b in result["bubbles"]]
    assert vols == sorted(vols, reverse=True)
    assert result["largest_volume_mm3"] == vols[0]


def test_min_hu_and_distance_to_roi(result):
    truth = [(np.asarray(c), r) for c, r in BUBBLES]
    for (b, _d, _r), (c, _r2) in zip(_match(result["bubbles"], truth), truth):
        signed = float(np.linalg.norm(c - CENTRE) - R_LESION)
        # atol 0.6 mm: distance transform, about half a voxel (z spacing 1 mm).
        np.testing.assert_allclose(b["distance_to_roi_mm"], signed, atol=0.6)
        assert b["inside_roi"] == (signed < 0)
        assert b["min_hu"] < -400.0


def test_airway_air_cell_and_neck_never_counted(case, result):
    ct, _roi, _ = case
    assert result["excluded"]["connected_air"] >= 2  # channel and the necked pocket
    assert result["excluded"]["bone_walled"] == 1
    neck_centre = np.array([0.0, -(R_LESION - 1.5), 0.0])
    for b in result["bubbles"]:
        assert np.linalg.norm(np.subtract(b["centroid_mm"], neck_centre)) > 2.0
        assert b["centroid_mm"][1] > -(R_LESION + 1.0) or abs(b["centroid_mm"][0]) > 3.0


def test_no_bubbles_gives_zero_and_fat_never_counted():
    ct, roi, _ = build_case(bubbles=(), neck=False, noise=15.0, seed=3)
    res = find_air_bubbles(ct, roi)
    assert res["count"] == 0
    assert res["bubbles"] == []
    assert res["total_volume_mm3"] == 0.0
    assert res["largest_volume_mm3"] == 0.0


def test_margin_setting_controls_the_search_region():
    outside = [((-(R_LESION + 2.5), 0.0, 2.0), 0.9)]  # 2.5 mm outside the ROI
    ct, roi, _ = build_case(bubbles=outside, airway=False, air_cell=False, neck=False, fat=False)
    assert find_air_bubbles(ct, roi)["count"] == 1
    narrow = SignsSettings(bubble_margin_mm=1.0)
    assert find_air_bubbles(ct, roi, settings=narrow)["count"] == 0


def test_volume_bounds_reject_large_and_tiny_pockets():
    ct, roi, _ = build_case(bubbles=[((0.0, 0.0, 0.0), 2.5)], airway=False, air_cell=False,
                            neck=False, fat=False)
    res = find_air_bubbles(ct, roi, settings=SignsSettings(bubble_max_volume_mm3=30.0))
    assert res["count"] == 0
    res = find_air_bubbles(ct, roi, settings=SignsSettings(bubble_min_volume_mm3=100.0))
    assert res["count"] == 0
    assert res["excluded"]["outside_volume_bounds"] == 1


def test_pocket_cut_by_the_field_of_view_edge_is_still_a_bubble():
    ct, roi, _ = build_case(bubbles=(), airway=False, air_cell=False, neck=False, fat=False)
    arr = ct.array.astype(np.float64)
    arr[:2] = 40.0  # the body reaches the image edge in z
    arr[0:2, 44:47, 44:47] = -900.0  # a pocket on the first slice of the image
    m = np.zeros(SHAPE, np.uint8)
    m[0:8, 35:56, 35:56] = 1
    res = find_air_bubbles(ct.with_array(arr), ct.with_array(m))
    assert res["count"] == 1


def test_ct_not_in_hu_is_rejected():
    ct, roi, _ = build_case(bubbles=(), airway=False, air_cell=False, neck=False)
    mr_like = ct.with_array(np.abs(ct.array.astype(np.float64)) * 0.5).replace(modality=None,
                                                                               units=None)
    with pytest.raises(InputError, match="does not look like a CT in HU"):
        find_air_bubbles(mr_like, roi)
    with pytest.raises(InputError, match="is not a CT"):
        find_air_bubbles(ct.replace(modality="MR"), roi)
    with pytest.raises(InputError, match="not in Hounsfield units"):
        find_air_bubbles(ct.replace(units="arbitrary"), roi)


def test_bad_roi_is_rejected():
    ct, roi, _ = build_case(bubbles=(), airway=False, air_cell=False, neck=False)
    with pytest.raises(MaskError, match="ROI is empty"):
        find_air_bubbles(ct, roi.with_array(np.zeros(SHAPE, np.uint8)))
    outside = np.zeros(SHAPE, np.uint8)
    outside[0:2, 0:10, 0:10] = 1
    with pytest.raises(MaskError, match="outside the body"):
        find_air_bubbles(ct, roi.with_array(outside))
    with pytest.raises(GeometryError, match="grids differ"):
        find_air_bubbles(ct, roi.replace(origin=(0.0, 0.0, 0.0)))


def test_airway_remnant_behind_a_thin_septum_is_not_a_bubble():
    """Air cut off from the airway by a one-voxel septum (e.g. a mass filling the channel) is a
    remnant of the airway (airway_gap_mm), while a pocket 3 mm away is a bubble."""
    ct, roi, _ = build_case(neck=False, air_cell=False, fat=False, noise=0.0)
    x, y, z = _coords()
    X, Y, Z = x[None, None, :, 0], y[None, :, 0, None], z[:, 0, None, None]
    a = ct.array.astype(np.float64)
    # The channel ends at y = -(R_LESION + 1.5) = -9.5 mm; one 0.5 mm voxel of soft tissue
    # (the septum, 40 HU: not a partial-volume bridge), then 2 mm of air inside the margin.
    a[np.broadcast_to((Y >= -9.5) & (Y < -9.0), a.shape) & (a < -500)] = 40.0
    remnant = (np.abs(X) < 1.0) & (Y >= -9.0) & (Y < -7.0) & (np.abs(Z) < 1.0)
    a[np.broadcast_to(remnant, a.shape)] = -1000.0
    _paint_gas(a, np.array([3.0, 3.0, 0.0]), 1.0)   # a real bubble, far from any channel
    vol = ct.with_array(np.round(a).astype(np.int16))
    res = find_air_bubbles(vol, roi)
    assert res["count"] == 1
    np.testing.assert_allclose(res["bubbles"][0]["centroid_mm"], [3.0, 3.0, 0.0], atol=0.5)
    # with the rule disabled the remnant is (wrongly) counted too
    res0 = find_air_bubbles(vol, roi, settings=SignsSettings(airway_gap_mm=0.0))
    assert res0["count"] == 2
