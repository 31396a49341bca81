"""MRI enhancement sign: rim vs solid, non-enhancing fraction, ADC, and the ROI mapped MR<->CT."""

from __future__ import annotations

import numpy as np
import pytest

from rnpc_radiomics.errors import InputError
from rnpc_radiomics.image import Provenance, Volume
from rnpc_radiomics.signs import mri_enhancement
from rnpc_radiomics.signs._common import mask_onto

R = 10.0
RIM = 3.0


def _points(vol: Volume) -> np.ndarray:
    """LPS (x, y, z) of every voxel centre, shape (Z, Y, X, 3)."""
    k, j, i = np.meshgrid(*[np.arange(n) for n in vol.shape], indexing="ij")
    return vol.index_to_physical(np.stack([i, j, k], axis=-1))


def _rot_z(deg):
    t = np.deg2rad(deg)
    return np.array([[np.cos(t), -np.sin(t), 0], [np.sin(t), np.cos(t), 0], [0, 0, 1.0]])


def _mr(shape=(14, 60, 60), spacing=(0.8, 0.8, 3.0), origin=(-23.6, -23.6, -19.5), **kw):
    return Volume(np.zeros(shape, np.float32), spacing=spacing, origin=origin, modality="MR",
                  units="arbitrary", **kw)


def _paint(mr: Volume, centre_mr, kind: str):
    """Rim-enhancing (600 rim / 100 core) or solid (500) sphere on 200 background."""
    d = np.linalg.norm(_points(mr) - np.asarray(centre_mr), axis=-1)
    img = np.full(mr.shape, 200.0)
    if kind == "rim":
        img[d <= R] = 600.0
        img[d <= R - RIM] = 100.0
    else:
        img[d <= R] = 500.0
    return mr.with_array(img.astype(np.float32)), (d <= R)


def test_rim_enhancement_on_the_mr_grid():
    t1c, mask = _paint(_mr(), (0.0, 0.0, 0.0), "rim")
    res = mri_enhancement(t1c, t1c_mask=t1c.with_array(mask.astype(np.uint8)))
    assert res["enhancement_pattern"] == "rim"
    assert res["mask_source"] == "t1c_mask"
    assert res["core_defined"] is True
    # The ROI's own depth split is within a voxel of the painted rim, so the means are pure.
    np.testing.assert_allclose(res["rim_mean"], 600.0, rtol=0.15)
    np.testing.assert_allclose(res["core_mean"], 100.0, rtol=0.5)
    assert res["core_to_rim_ratio"] < 0.4
    core_frac = float(np.mean((np.linalg.norm(_points(t1c), axis=-1) <= R - RIM)[mask]))
    # Non-enhancing: below half of the ROI's 90th percentile (600) -> exactly the 100-valued core.
    np.testing.assert_allclose(res["nonenhancing_fraction"], core_frac, atol=1e-9)
    assert res["heterogeneity_cv"] > 0.3


def test_solid_enhancement():
    t1c, mask = _paint(_mr(), (0.0, 0.0, 0.0), "solid")
    res = mri_enhancement(t1c, t1c_mask=mask)
    assert res["enhancement_pattern"] == "solid"
    np.testing.assert_allclose(res["core_to_rim_ratio"], 1.0, atol=1e-9)
    np.testing.assert_allclose(res["nonenhancing_fraction"], 0.0, atol=1e-12)
    np.testing.assert_allclose(res["heterogeneity_cv"], 0.0, atol=1e-9)
    np.testing.assert_allclose(res["heterogeneity_qcd"], 0.0, atol=1e-9)


def test_ct_roi_mapped_through_the_transform():
    # Rigid MR->CT transform: p_ct = R p_mr + t (5 degrees about z, a few mm).
    m = np.eye(4)
    m[:3, :3] = _rot_z(5.0)
    m[:3, 3] = [3.0, -2.0, 1.5]
    lesion_ct = np.array([1.0, 2.0, 0.5])
    lesion_mr = np.linalg.solve(m[:3, :3], lesion_ct - m[:3, 3])
    t1c, mask_mr = _paint(_mr(), lesion_mr, "rim")
    ct = Volume(np.zeros((40, 100, 100), np.int16), spacing=(0.5, 0.5, 1.0),
                origin=(-24.75, -24.75, -19.5), modality="CT")
    roi_ct = (np.linalg.norm(_points(ct) - lesion_ct, axis=-1) <= R).astype(np.uint8)
    mapped = mri_enhancement(t1c, ct.with_array(roi_ct), mr_to_ct=m)
    native = mri_enhancement(t1c, t1c_mask=mask_mr)
    assert mapped["mask_source"] == "mr_to_ct"
    assert mapped["enhancement_pattern"] == "rim"
    # atol 0.05: the mapped mask differs from the native one by partial voxels at the edge.
    np.testing.assert_allclose(mapped["core_to_rim_ratio"], native["core_to_rim_ratio"], atol=0.05)
    np.testing.assert_allclose(mapped["roi_volume_ml"], native["roi_volume_ml"], rtol=0.1)
    # The wrong (identity) mapping misplaces the ROI: it must not look the same.
    frac = mask_onto(roi_ct.astype(bool), ct.with_array(roi_ct), t1c)
    overlap = float(np.sum((frac >= 0.5) & mask_mr)) / float(mask_mr.sum())
    assert overlap < 0.9


def test_adc_and_t2_on_another_grid_of_the_same_session():
    t1c, mask = _paint(_mr(), (0.0, 0.0, 0.0), "solid")
    adc = Volume(np.full((10, 25, 25), 800.0, np.float32), spacing=(2.0, 2.0, 4.0),
                 origin=(-24.0, -24.0, -18.0), modality="MR")
    t2 = _mr().with_array(np.full((14, 60, 60), 300.0, np.float32))
    res = mri_enhancement(t1c, t1c_mask=mask, adc=adc, t2=t2)
    np.testing.assert_allclose(res["adc_mean"], 800.0, rtol=1e-6)
    np.testing.assert_allclose(res["adc_p10"], 800.0, rtol=1e-6)
    np.testing.assert_allclose(res["t2_mean"], 300.0, rtol=1e-6)
    np.testing.assert_allclose(res["t2_cv"], 0.0, atol=1e-9)


def test_same_frame_of_reference_uses_physical_position():
    prov = Provenance(frame_of_reference_uid="1.2.3")
    t1c, mask = _paint(_mr(provenance=prov), (0.0, 0.0, 0.0), "rim")
    ct = Volume(np.zeros((40, 100, 100), np.int16), spacing=(0.5, 0.5, 1.0),
                origin=(-24.75, -24.75, -19.5), modality="CT", provenance=prov)
    roi_ct = (np.linalg.norm(_points(ct), axis=-1) <= R).astype(np.uint8)
    res = mri_enhancement(t1c, ct.with_array(roi_ct))
    assert res["mask_source"] == "same_frame"
    assert res["enhancement_pattern"] == "rim"


def test_mr_in_another_frame_without_mask_or_transform_is_an_error():
    t1c, _mask = _paint(_mr(), (0.0, 0.0, 0.0), "rim")
    ct = Volume(np.zeros((40, 100, 100), np.int16), spacing=(0.5, 0.5, 1.0),
                origin=(-24.75, -24.75, -19.5), modality="CT")
    roi_ct = (np.linalg.norm(_points(ct), axis=-1) <= R).astype(np.uint8)
    with pytest.raises(InputError, match="another frame"):
        mri_enhancement(t1c, ct.with_array(roi_ct))
    with pytest.raises(InputError, match="invalid MR-to-CT transform"):
        mri_enhancement(t1c, ct.with_array(roi_ct), mr_to_ct=np.eye(3))
    with pytest.raises(InputError, match="is not an MR image"):
        mri_enhancement(t1c.replace(modality="CT"), ct.with_array(roi_ct), mr_to_ct=np.eye(4))
    far = np.eye(4)
    far[:3, 3] = [500.0, 0.0, 0.0]
    with pytest.raises(InputError, match="does not overlap"):
        mri_enhancement(t1c, ct.with_array(roi_ct), mr_to_ct=far)
