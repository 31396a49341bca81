"""Image types computed concurrently (one per thread) give the features of one-by-one extraction."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from rnpc_radiomics import extraction
from rnpc_radiomics.extraction import extract
from rnpc_radiomics.image import Volume

PARAMS = {"setting": {"binWidth": 20},
          "imageType": {"Original": {}, "LoG": {"sigma": [1.0, 2.0]}, "Wavelet": {},
                        "Square": {}}}


def _case(seed=0, shape=(20, 26, 24)):
    rng = np.random.default_rng(seed)
    a = ndimage.gaussian_filter(rng.normal(size=shape), 1.2)
    a = ((a - a.mean()) / a.std() * 120 + 40).astype(np.float32)
    zz, yy, xx = np.indices(shape)
    m = ((zz - 10) / 7.0) ** 2 + ((yy - 13) / 9.0) ** 2 + ((xx - 12) / 8.0) ** 2 <= 1
    sp = (0.7, 0.6, 1.5)
    return (Volume(a, spacing=sp), Volume(m.astype(np.uint8), spacing=sp))


def _features(d):
    return {k: v for k, v in d.items() if not k.startswith("diagnostics_")}


def test_concurrent_equals_sequential(monkeypatch):
    import numba

    im, mk = _case()
    before = numba.get_num_threads()
    monkeypatch.setattr(extraction, "_concurrent_workers", lambda: 2)
    conc = extract(im, mk, PARAMS)
    assert numba.get_num_threads() == before  # the workers' one-thread setting stays theirs
    monkeypatch.setattr(extraction, "_concurrent_workers", lambda: 1)
    seq = extract(im, mk, PARAMS)
    assert list(conc) == list(seq)  # same keys in the same (pyradiomics') order
    assert conc["diagnostics_Features_Undefined"] == seq["diagnostics_Features_Undefined"]
    a, b = _features(conc), _features(seq)
    assert len(a) == 4 * 93 + 14 + 93 * 8  # Original, LoG x2, Square, 8 wavelet bands + shape
    for k in a:
        # counts are whole numbers; NGTDM sums by chunk may differ in the last bits
        np.testing.assert_allclose(a[k], b[k], rtol=1e-12, atol=0, err_msg=k)


@pytest.mark.parametrize("workers", [2, 3, 5])
def test_map_image_types_keeps_order_and_bounds_lookahead(monkeypatch, workers):
    monkeypatch.setattr(extraction, "_concurrent_workers", lambda: workers)
    produced = []

    def items():
        for i in range(12):
            produced.append(i)
            yield i

    got = []
    for r in extraction._map_image_types(lambda i: (i * i, [str(i)]), items()):
        got.append(r)
        # never more than workers + 2 items taken ahead of the results handed out
        assert len(produced) - len(got) <= workers + 2
    assert got == [(i * i, [str(i)]) for i in range(12)]


def test_single_image_type_runs_inline(monkeypatch):
    import threading

    monkeypatch.setattr(extraction, "_concurrent_workers", lambda: 4)
    names = list(extraction._map_image_types(lambda i: threading.current_thread().name, [0],
                                             several=False))
    assert names == [threading.current_thread().name]


@pytest.mark.parametrize("image_types, several", [
    ({"Original": {}}, False),
    ({"LoG": {"sigma": [2.0]}}, False),
    ({"LoG": {"sigma": [1.0, 2.0]}}, True),
    ({"Wavelet": {}}, True),
    ({"Original": {}, "Square": {}}, True),
])
def test_several_image_types(image_types, several):
    from rnpc_radiomics.settings import load_params

    assert extraction._several_image_types(load_params({"imageType": image_types})) is several


def test_worker_error_propagates(monkeypatch):
    monkeypatch.setattr(extraction, "_concurrent_workers", lambda: 2)

    def fn(i):
        if i == 3:
            raise ValueError("image type 3 failed")
        return i

    with pytest.raises(ValueError, match="image type 3 failed"):
        list(extraction._map_image_types(fn, range(8)))


def test_workqueue_layer_means_sequential(monkeypatch):
    import numba

    from rnpc_radiomics.features._kernels import _texture

    monkeypatch.setattr(_texture, "threading_layer", lambda: "workqueue")
    monkeypatch.setattr(numba, "get_num_threads", lambda: 4)
    assert extraction._concurrent_workers() == 1
    monkeypatch.setattr(_texture, "threading_layer", lambda: "omp")
    assert extraction._concurrent_workers() == 4
    monkeypatch.setattr(numba, "get_num_threads", lambda: 1)
    assert extraction._concurrent_workers() == 1


def test_threading_layer_is_known():
    from rnpc_radiomics.features._kernels._texture import threading_layer

    assert threading_layer() in ("omp", "tbb", "workqueue")


def test_extractions_from_several_threads_at_once():
    """Callers' own threads (a threaded batch runner) each running a filtered extraction."""
    from concurrent.futures import ThreadPoolExecutor

    cases = [_case(seed) for seed in (1, 2, 3)]
    want = [_features(extract(im, mk, PARAMS)) for im, mk in cases]
    with ThreadPoolExecutor(3) as pool:
        got = list(pool.map(lambda c: _features(extract(*c, PARAMS)), cases))
    for w, g in zip(want, got):
        assert list(w) == list(g)
        for k in w:
            np.testing.assert_allclose(g[k], w[k], rtol=1e-12, atol=0, err_msg=k)
