"""Helpers shared by the texture families (GLCM, GLRLM, GLSZM, GLDM, NGTDM).

Angle generation, grey-level bookkeeping and settings look-up, written once so that the five
families agree with each other and with pyradiomics 3.0.1. Plain NumPy; no numba import here, so
importing a family module (for its ``FEATURES`` list) stays cheap.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Mapping

import numpy as np

__all__ = [
    "DEFAULTS",
    "EPS",
    "Labels",
    "generate_angles",
    "grey_levels",
    "is_shared",
    "level_lut",
    "nanmean",
    "prepare",
    "setting",
    "neighbourhood",
    "share",
    "shared_labels",
    "shared_mask_value",
    "shared_value",
]

# pyradiomics' ``numpy.spacing(1)``: the epsilon added inside every log2 and some divisions.
EPS = float(np.spacing(1))

# pyradiomics 3.0.1 defaults for the settings the texture families read.
DEFAULTS: dict[str, object] = {
    "distances": [1],
    "symmetricalGLCM": True,
    "weightingNorm": None,
    "gldm_a": 0,
    "force2D": False,
    "force2Ddimension": 0,
}


def setting(settings: Mapping[str, object] | None, key: str):
    """Value of ``key`` in ``settings``, or pyradiomics' default."""
    if settings is not None and key in settings and settings[key] is not None:
        return settings[key]
    return DEFAULTS[key]


def generate_angles(
    distances=(1,), force2D=False, force2Ddimension=0, bidirectional=False, shape=None
):
    """Neighbour offsets (dz, dy, dx) in pyradiomics' order.

    Offsets are all (dz, dy, dx) != 0 whose infinity norm is one of ``distances``, enumerated in
    descending lexicographic order; the unidirectional set is the first half of that enumeration
    (13 offsets for distance 1 in 3D), the bidirectional set is all of it (26). With ``force2D``
    offsets moving along axis ``force2Ddimension`` are dropped (4 / 8 offsets in 2D).

    Like pyradiomics, offsets longer than the image (``|d_k| >= shape[k]``) are dropped when
    ``shape`` is given. They would find no neighbour pair, but the number of angles left still
    matters: pyradiomics only deletes empty GLCM/GLRLM angles when more than one remains.

    Parameters
    ----------
    distances : sequence of int
        Neighbour distances (infinity norm), each >= 1.
    force2D : bool
        Restrict to the plane perpendicular to ``force2Ddimension``.
    force2Ddimension : int
        Axis (0 = z, 1 = y, 2 = x in array order) left out with ``force2D``.
    bidirectional : bool
        Include the opposite of every offset.
    shape : sequence of 3 int, optional
        Image shape (Z, Y, X) whose size limits the offsets.

    Returns
    -------
    ndarray of shape (Na, 3), int64
    """
    dset = {int(d) for d in distances}
    dmax = max(dset)
    out = []
    rng = range(dmax, -dmax - 1, -1)
    for dz in rng:
        for dy in rng:
            for dx in rng:
                if dz == 0 and dy == 0 and dx == 0:
                    if not bidirectional:
                        return np.asarray(out, dtype=np.int64).reshape(-1, 3)
                    continue
                if max(abs(dz), abs(dy), abs(dx)) not in dset:
                    continue
                if force2D and (dz, dy, dx)[int(force2Ddimension)] != 0:
                    continue
                if shape is not None and (
                    abs(dz) >= shape[0] or abs(dy) >= shape[1] or abs(dx) >= shape[2]
                ):
                    continue
                out.append((dz, dy, dx))
    return np.asarray(out, dtype=np.int64).reshape(-1, 3)


def grey_levels(q: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Grey levels present in the ROI, ascending (pyradiomics' ``coefficients['grayLevels']``).

    ``q`` and ``mask`` as returned by :func:`prepare`.
    """
    from ._kernels._texture import roi_histogram, roi_max

    counts = np.zeros(int(roi_max(q, mask)) + 1, dtype=np.int64)
    roi_histogram(q, mask, counts)
    return np.flatnonzero(counts).astype(np.int64)


def level_lut(levels: np.ndarray) -> np.ndarray:
    """Map grey level -> compact row index; levels absent from the ROI map to -1.

    Building matrices through this table is pyradiomics' "delete empty grey levels" step done
    up front, so the kernels never allocate rows that would be thrown away.
    """
    lut = np.full(int(levels[-1]) + 1, -1, dtype=np.int64)
    lut[levels] = np.arange(levels.size, dtype=np.int64)
    return lut


def prepare(q: np.ndarray, mask: np.ndarray):
    """C-contiguous int32 ``q`` and bool ``mask`` for the kernels (copies only when needed)."""
    q = np.ascontiguousarray(q, dtype=np.int32)
    mask = np.ascontiguousarray(mask, dtype=np.bool_)
    return q, mask


def nanmean(values: np.ndarray) -> float:
    """Mean over angles ignoring NaN (pyradiomics' ``numpy.nanmean``); NaN when all are NaN."""
    values = np.asarray(values, dtype=np.float64)
    ok = ~np.isnan(values)
    if not ok.any():
        return float("nan")
    return float(values[ok].mean())


class Labels:
    """A -1-bordered compact-label image of the ROI and the flat indices of its voxels.

    Attributes
    ----------
    lab : ndarray of shape (V,), int32
        Flattened padded volume: row index of the voxel's grey level, -1 outside the mask.
    idx : ndarray of shape (N,), int64
        Flat indices (into ``lab``) of the N ROI voxels, in raster order.
    shape : tuple of int
        The padded (Z, Y, X) shape.
    levels : ndarray of shape (n,), int64
        ROI grey levels; ``levels[lab[i]]`` is the grey level of voxel ``i``.
    pad : int
    """

    def __init__(self, q, mask, pad):
        from ._kernels._texture import padded_labels

        q, mask = prepare(q, mask)
        self.levels = grey_levels(q, mask)
        self.pad = int(pad)
        self.shape = tuple(s + 2 * self.pad for s in q.shape)
        self.lab = np.empty(int(np.prod(self.shape)), dtype=np.int32)
        idx = np.empty(int(np.count_nonzero(mask)), dtype=np.int64)
        lut = level_lut(self.levels) if self.levels.size else np.zeros(1, dtype=np.int64)
        n = padded_labels(q, mask, lut, self.pad, self.lab, idx)
        self.idx = idx[:n]
        self.mask = mask

    def flat(self, offsets: np.ndarray) -> np.ndarray:
        """Flat index steps of (dz, dy, dx) offsets in the padded volume."""
        _, Yp, Xp = self.shape
        return (offsets[:, 0] * Yp + offsets[:, 1]) * Xp + offsets[:, 2]


# ------------------------------------------------------------------ one extraction's shared work

# id(q) -> (weak reference to q, mask, {key: value}); an entry lives as long as q does.
_SHARED: dict[int, tuple] = {}
# id(mask) -> (weak reference to mask, {key: value}): work that depends on the mask only, kept
# across every q shared with that mask (one extraction's image types); lives as long as mask.
_MASK_SHARED: dict[int, tuple] = {}
_MASK_LOCK = threading.RLock()


def share(q, mask) -> None:
    """Let the texture families share work on ``(q, mask)`` for as long as ``q`` lives.

    ``extract`` computes every texture class from one discretised array; once it is shared,
    the padded label image (:class:`Labels`) is built once for all families instead of once
    per family, and results two families draw from one kernel pass (GLDM and NGTDM walk the
    same neighbourhoods) are kept for the second. Only the exact objects ``q`` and ``mask``
    hit the cache, and the entry is dropped when ``q`` is garbage-collected (so its id cannot
    be reused meanwhile). Work that depends on ``mask`` alone (:func:`shared_mask_value`) is
    kept for as long as ``mask`` lives, for every ``q`` shared with that same mask object (the
    image types of one extraction). The caller must not modify ``q`` or ``mask`` afterwards.
    Unshared arrays are computed afresh on every call.
    """
    _SHARED[id(q)] = (weakref.ref(q), mask, {})
    weakref.finalize(q, _SHARED.pop, id(q), None)
    entry = _MASK_SHARED.get(id(mask))
    if entry is None or entry[0]() is not mask:
        _MASK_SHARED[id(mask)] = (weakref.ref(mask), {})
        weakref.finalize(mask, _MASK_SHARED.pop, id(mask), None)


def _store(q, mask):
    entry = _SHARED.get(id(q))
    if entry is None or entry[0]() is not q or entry[1] is not mask:
        return None
    return entry[2]


def is_shared(q, mask) -> bool:
    """Whether ``(q, mask)`` was passed to :func:`share` (and ``q`` still lives)."""
    return _store(q, mask) is not None


def shared_value(q, mask, key, make):
    """``make()``, memoised on ``key`` when ``(q, mask)`` is shared (see :func:`share`)."""
    store = _store(q, mask)
    if store is None:
        return make()
    if key not in store:
        store[key] = make()
    return store[key]


def shared_mask_value(q, mask, key, make):
    """``make()``, memoised on ``key`` for ``mask`` when ``(q, mask)`` is shared.

    For work that depends on the mask alone (e.g. the ROI's lines along each GLRLM angle):
    computed once and reused by every q later shared with the same ``mask`` object (the image
    types of one extraction), dropped when ``mask`` is garbage-collected. ``key`` must hold
    everything besides the mask that the value depends on.
    """
    if _store(q, mask) is None:
        return make()
    entry = _MASK_SHARED.get(id(mask))
    if entry is None or entry[0]() is not mask:
        return make()
    store = entry[1]
    if key not in store:
        # Image types may be computed concurrently (extraction's threads): the first to come
        # computes, the others wait for it instead of repeating the work.
        with _MASK_LOCK:
            if key not in store:
                store[key] = make()
    return store[key]


def shared_labels(q, mask, pad) -> Labels:
    """:class:`Labels` of ``(q, mask)`` with border ``pad``, built once when shared."""
    return shared_value(q, mask, ("labels", int(pad)), lambda: Labels(q, mask, pad))


def neighbourhood(q, mask, settings, family: str):
    """Per-chunk GLDM (``family="gldm"``) or NGTDM (``"ngtdm"``) counts and their Labels.

    Both walk the same bidirectional neighbourhoods; for a shared ``(q, mask)`` (see
    :func:`share`) one fused kernel fills both and the second family takes the kept result
    (bit-identical to its own kernel).

    Returns
    -------
    L : Labels
    out : ndarray
        ``(chunks, n, Na + 1)`` dependence counts or ``(chunks, n, 2)`` NGTDM sums; the caller
        sums over the chunk axis.
    """
    import numba

    offsets = generate_angles(
        setting(settings, "distances"),
        bool(setting(settings, "force2D")),
        int(setting(settings, "force2Ddimension")),
        bidirectional=True,
    )
    L = shared_labels(q, mask, int(np.abs(offsets).max()))
    n = L.levels.size
    chunks = max(1, min(L.idx.size // 4096 + 1, numba.get_num_threads()))
    alpha = float(setting(settings, "gldm_a"))
    levels = L.levels.astype(np.float64)
    steps = L.flat(offsets)

    def gldm_only():
        from ._kernels.gldm import gldm_counts

        out = np.zeros((chunks, n, offsets.shape[0] + 1))
        if n:
            gldm_counts(L.lab, L.idx, steps, levels, alpha, out)
        return out

    def ngtdm_only():
        from ._kernels.ngtdm import ngtdm_counts

        out = np.zeros((chunks, n, 2))
        if n:
            ngtdm_counts(L.lab, L.idx, steps, levels, out)
        return out

    def both():
        from ._kernels._texture import neighbourhood_counts

        gl = np.zeros((chunks, n, offsets.shape[0] + 1))
        ng = np.zeros((chunks, n, 2))
        if n:
            neighbourhood_counts(L.lab, L.idx, steps, levels, alpha, gl, ng)
        return {"gldm": gl, "ngtdm": ng}

    if _store(q, mask) is None:
        return L, (gldm_only() if family == "gldm" else ngtdm_only())
    key = ("neighbourhood", steps.tobytes(), int(L.pad), alpha, chunks)
    return L, shared_value(q, mask, key, both)[family]
