"""Work shared between stages of one extraction gives the same numbers as unshared work.

* ``preprocess.mask.roi_summary`` (one numba pass) vs ``scipy.ndimage.label`` and numpy sums;
* ``features._texture.share``: GLDM + NGTDM from one fused neighbourhood pass and the padded
  label image built once are bit-identical to each family computed on its own, and the cache
  entry dies with the discretised array.
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
