"""Work shared between stages of one extraction gives the same numbers as unshared work.

* ``preprocess.mask.roi_summary`` (one numba pass) vs ``scipy.ndimage.label`` and numpy sums;
* ``features._texture.share``: GLDM + NGTDM from one fused neighbourhood pass and the padded
  label image built once are bit-identical to each family computed on its own, and the cache
  entry dies with the discretised array; the GLRLM's ROI lines (mask only) are found once per
  mask and reused by every image type (every discretised array) shared with it.
"""

from __future__ import annotations

import gc

import numpy as np
import pytest
from scipy import ndimage

from rnpc_radiomics.features import _texture, gldm, glrlm, glszm, ngtdm
from rnpc_radiomics.preprocess.mask import roi_summary


@pytest.mark.parametrize("seed", range(12))
def test_roi_summary_matches_scipy(seed):
    rng = np.random.default_rng(seed)
    shape = tuple(int(s) for s in rng.integers(1, 14, size=3))
    roi = rng.random(shape) < rng.uniform(0.05, 0.7)
    count, sums, comps = roi_summary(roi)
    idx = np.nonzero(roi)
    assert count == int(roi.sum())
    assert sums == tuple(int(i.sum()) for i in idx)
    assert comps == ndimage.label(roi, structure=np.ones((3, 3, 3)))[1]


def _case(seed):
    rng = np.random.default_rng(seed)
    q = rng.integers(1, 9, size=(9, 12, 11)).astype(np.int32)
    mask = ndimage.binary_opening(rng.random(q.shape) < 0.7)
    mask[4, 5, 5] = True
    return q, mask


@pytest.mark.parametrize("seed", range(4))
def test_shared_texture_work_is_bit_identical(seed):
    q, mask = _case(seed)
    settings = {"gldm_a": 0, "distances": [1]}
    kw = dict(spacing_zyx=(2.0, 1.0, 1.0), settings=settings, names=None)
    fams = (gldm, ngtdm, glrlm, glszm)
    alone = [f.compute(q.copy(), mask.copy(), **kw) for f in fams]
    qs, ms = q.copy(), mask.copy()
    _texture.share(qs, ms)
    shared = [f.compute(qs, ms, **kw) for f in fams]
    for a, b in zip(alone, shared):
        assert a.keys() == b.keys()
        for k in a:
            np.testing.assert_array_equal(a[k], b[k], err_msg=k)  # bit-identical (NaN == NaN)


def test_share_cache_dies_with_the_array():
    q, mask = _case(0)
    _texture.share(q, mask)
    key = id(q)
    assert key in _texture._SHARED
    del q
    gc.collect()
    assert key not in _texture._SHARED


def _glrlm_cases():
    rng = np.random.default_rng(3)
    for seed in range(4):
        yield _case(seed)
    # sparse masks: every ROI line along some (or every) angle is a single voxel, with and
    # without two ROI voxels further apart on one line (pyradiomics' empty-angle rule)
    q = rng.integers(1, 4, size=(5, 6, 7)).astype(np.int32)
    lone = np.zeros(q.shape, bool)
    lone[2, 3, 3] = True
    pair = lone.copy()
    pair[2, 3, 5] = True
    checker = (np.indices(q.shape).sum(axis=0) % 2 == 0)
    for mask in (lone, pair, checker):
        yield q, mask
    for n_levels in (1, 2, 30):   # long runs, flat image, mostly length-1 runs
        q = rng.integers(1, n_levels + 1, size=(8, 9, 10)).astype(np.int32)
        yield q, rng.random(q.shape) < 0.8


@pytest.mark.parametrize("settings", [{}, {"force2D": True, "force2Ddimension": 1},
                                      {"weightingNorm": "euclidean"}])
def test_glrlm_lines_shared_across_image_types_bit_identical(settings):
    """GLRLM from the mask's lines (cached per mask, used by two discretised arrays in turn)
    equals the per-voxel kernel run unshared, matrix and features (rtol 0, atol 0)."""
    kw = dict(spacing_zyx=(2.0, 1.0, 1.0), settings=settings)
    for q, mask in _glrlm_cases():
        q2 = np.ascontiguousarray(q[::-1])          # a second image type on the same mask
        alone = [(glrlm.matrix(a.copy(), mask.copy(), **kw),
                  glrlm.compute(a.copy(), mask.copy(), names=None, **kw)) for a in (q, q2)]
        ms = mask.copy()
        for a, (m_ref, f_ref) in zip((q.copy(), q2.copy()), alone):
            _texture.share(a, ms)
            np.testing.assert_array_equal(glrlm.matrix(a, ms, **kw), m_ref)
            f = glrlm.compute(a, ms, names=None, **kw)
            assert f.keys() == f_ref.keys()
            for k in f:
                np.testing.assert_array_equal(f[k], f_ref[k], err_msg=k)   # NaN == NaN
        store = _texture._MASK_SHARED[id(ms)][1]
        assert [k[0] for k in store] == ["glrlm-lines"]    # found once, for both arrays


def test_mask_cache_dies_with_the_mask():
    q, mask = _case(1)
    _texture.share(q, mask)
    glrlm.compute(q, mask, names=None)
    key = id(mask)
    assert key in _texture._MASK_SHARED
    del q, mask
    gc.collect()
    assert key not in _texture._MASK_SHARED
