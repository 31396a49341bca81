"""Each texture numba kernel against a slow, obvious NumPy twin on small random arrays.

Counts must agree exactly (integer-valued float64); float sums within rtol 1e-12.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import ndimage

from rnpc_radiomics.features._kernels._texture import padded_labels, roi_histogram, roi_max
from rnpc_radiomics.features._kernels.glcm import (
    glcm_angle_stats,
    glcm_counts,
    glcm_mcc_second_eigenvalue,
)
from rnpc_radiomics.features._kernels.gldm import gldm_counts
from rnpc_radiomics.features._kernels.glrlm import glrlm_counts
from rnpc_radiomics.features._kernels.ngtdm import ngtdm_counts
from rnpc_radiomics.features._texture import EPS, Labels, generate_angles

SEEDS = range(4)
FLOAT_RTOL = 1e-12


def _random_roi(seed, n_levels=None):
    """Small random volume: q in 1..Ng with some levels unused, irregular mask."""
    rng = np.random.default_rng(seed)
    shape = tuple(int(s) for s in rng.integers(3, 9, 3))
    ng = n_levels or int(rng.integers(1, 7))
    q = rng.integers(1, ng + 1, shape).astype(np.int32)
    mask = rng.random(shape) < rng.uniform(0.3, 0.9)
    mask.flat[0] = True
    return q, mask


def _offsets(seed, bidirectional=False, distances=None):
    rng = np.random.default_rng(seed + 100)
    distances = distances or ([1] if seed % 2 == 0 else [1, 2])
    force2D = bool(seed % 3 == 2)
    return generate_angles(distances, force2D, int(rng.integers(0, 3)), bidirectional)


def _neighbours(mask, off):
    """(center coords, neighbour coords) of all in-bounds ROI pairs along ``off``, NumPy-only."""
    c = np.argwhere(mask)
    n = c + off
    inb = np.all((n >= 0) & (n < np.array(mask.shape)), axis=1)
    c, n = c[inb], n[inb]
    ok = mask[tuple(n.T)]
    return c[ok], n[ok]


# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_roi_histogram(seed):
    q, mask = _random_roi(seed)
    q[~mask] = 99  # values outside the ROI must be ignored
    assert roi_max(q, mask) == q[mask].max()
    counts = np.zeros(q[mask].max() + 1, dtype=np.int64)
    roi_histogram(q, mask, counts)
    np.testing.assert_array_equal(counts, np.bincount(q[mask]))


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("pad", [1, 2])
def test_padded_labels(seed, pad):
    q, mask = _random_roi(seed)
    levels = np.unique(q[mask])
    lut = np.full(levels[-1] + 1, -1, dtype=np.int64)
    lut[levels] = np.arange(levels.size)
    shape = tuple(s + 2 * pad for s in q.shape)
    lab = np.empty(int(np.prod(shape)), dtype=np.int32)
    idx = np.empty(int(mask.sum()), dtype=np.int64)
    n = padded_labels(q, mask, lut, pad, lab, idx)
    twin = np.pad(np.where(mask, lut[q], -1), pad, constant_values=-1).astype(np.int32)
    np.testing.assert_array_equal(lab.reshape(shape), twin)
    assert n == mask.sum()
    np.testing.assert_array_equal(idx, np.flatnonzero(twin.ravel() >= 0))


@pytest.mark.parametrize("seed", SEEDS)
def test_glcm_counts(seed):
    q, mask = _random_roi(seed)
    offsets = _offsets(seed)
    L = Labels(q, mask, int(np.abs(offsets).max()))
    n = L.levels.size
    out = np.zeros((len(offsets), n, n))
    glcm_counts(L.lab, L.idx, L.flat(offsets), out)
    row = {g: k for k, g in enumerate(L.levels)}
    twin = np.zeros_like(out)
    for a, off in enumerate(offsets):
        for c, nb in zip(*_neighbours(mask, off)):
            twin[a, row[q[tuple(c)]], row[q[tuple(nb)]]] += 1
    np.testing.assert_array_equal(out, twin)


@pytest.mark.parametrize("seed", SEEDS)
def test_glcm_angle_stats(seed):
    rng = np.random.default_rng(seed)
    Na, n = 3, int(rng.integers(1, 6))
    levels = np.sort(rng.choice(np.arange(1, 12), n, replace=False)).astype(np.float64)
    Ng = int(levels[-1])
    P = rng.random((Na, n, n)) * (rng.random((Na, n, n)) < 0.7)
    P[:, 0, 0] += 0.1
    P /= P.sum(axis=(1, 2), keepdims=True)
    px, py = np.zeros((Na, n)), np.zeros((Na, n))
    psum, pdiff, st = np.zeros((Na, 2 * Ng + 1)), np.zeros((Na, Ng)), np.zeros((Na, 15))
    glcm_angle_stats(P, levels, EPS, px, py, psum, pdiff, st)
    i, j = np.meshgrid(levels, levels, indexing="ij")
    for a in range(Na):
        p = P[a]
        tx, ty = p.sum(1), p.sum(0)
        ux, uy = np.sum(p * i), np.sum(p * j)
        t = i + j - ux - uy
        twin = [ux, uy, np.sum(p * i * j), np.sum(p**2), -np.sum(p * np.log2(p + EPS)),
                -np.sum(p * np.log2(np.outer(tx, ty) + EPS)),
                -np.sum(np.outer(tx, ty) * np.log2(np.outer(tx, ty) + EPS)), p.max(),
                np.sum(p * (i - j) ** 2), np.sum(p * (i - ux) ** 2), np.sum(p * (j - uy) ** 2),
                np.sum(p * (i - ux) * (j - uy)), np.sum(p * t**2), np.sum(p * t**3),
                np.sum(p * t**4)]
        np.testing.assert_allclose(st[a], twin, rtol=FLOAT_RTOL, atol=1e-15)
        np.testing.assert_allclose(px[a], tx, rtol=FLOAT_RTOL)
        np.testing.assert_allclose(py[a], ty, rtol=FLOAT_RTOL)
        ks = [np.sum(p[i + j == k]) for k in range(2 * Ng + 1)]
        kd = [np.sum(p[np.abs(i - j) == k]) for k in range(Ng)]
        np.testing.assert_allclose(psum[a], ks, rtol=FLOAT_RTOL, atol=1e-15)
        np.testing.assert_allclose(pdiff[a], kd, rtol=FLOAT_RTOL, atol=1e-15)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("n", [2, 3, 7, 30])
def test_glcm_mcc_second_eigenvalue(seed, n):
    rng = np.random.default_rng(seed)
    P = rng.random((4, n, n)) * (rng.random((4, n, n)) < 0.6)
    P[:, 0, 0] += 0.05
    P[1, -1, :] = 0.0  # a grey level without neighbours along this angle
    P /= P.sum(axis=(1, 2), keepdims=True)
    px, py = P.sum(2), P.sum(1)
    out = np.empty(4)
    glcm_mcc_second_eigenvalue(P, px, py, EPS, out)
    # Twin: pyradiomics' Q built literally, general eigensolver, second largest real part.
    Q = np.einsum("aik,ajk->aij", P, P / (px[:, :, None] * py[:, None, :] + EPS))
    twin = np.sort(np.linalg.eigvals(Q).real, axis=1)[:, -2]
    np.testing.assert_allclose(out, twin, rtol=1e-9, atol=1e-12)


def _runs_twin(q, mask, off, row, n, nr):
    """Walk every line along ``off`` voxel by voxel and cut it into runs."""
    shape = np.array(mask.shape)
    off = np.asarray(off)
    out = np.zeros((n, nr))
    in_line = 0  # most ROI voxels on any one line
    for start in itertools.product(*(range(s) for s in mask.shape)):
        start = np.array(start)
        prev = start - off
        if np.all((prev >= 0) & (prev < shape)):
            continue  # not the first voxel of its line
        line = []
        p = start
        while np.all((p >= 0) & (p < shape)):
            line.append(q[tuple(p)] if mask[tuple(p)] else None)
            p = p + off
        in_line = max(in_line, sum(v is not None for v in line))
        for key, grp in itertools.groupby(line):
            if key is not None:
                out[row[key], len(list(grp)) - 1] += 1
    # pyradiomics' rule: an angle along which no line holds two ROI voxels counts nothing.
    return out if in_line >= 2 else np.zeros_like(out)


@pytest.mark.parametrize("seed", list(SEEDS) + [10, 11])
def test_glrlm_counts(seed):
    q, mask = _random_roi(seed)
    if seed >= 10:  # very sparse: exercises the "no line holds two voxels" rule
        mask[:] = False
        mask[0, 0, 0] = mask[1, 2, 0] = True
    offsets = _offsets(seed, distances=[1])
    L = Labels(q, mask, 1)
    n, nr = L.levels.size, max(q.shape)
    out = np.zeros((len(offsets), n, nr))
    glrlm_counts(L.lab, L.idx, L.flat(offsets), mask, offsets, out)
    row = {g: k for k, g in enumerate(L.levels)}
    for a, off in enumerate(offsets):
        np.testing.assert_array_equal(out[a], _runs_twin(q, mask, off, row, n, nr))


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("alpha", [0.0, 1.0])
def test_gldm_counts(seed, alpha):
    q, mask = _random_roi(seed)
    offsets = _offsets(seed, bidirectional=True)
    L = Labels(q, mask, int(np.abs(offsets).max()))
    n = L.levels.size
    out = np.zeros((3, n, len(offsets) + 1))
    gldm_counts(L.lab, L.idx, L.flat(offsets), L.levels.astype(np.float64), alpha, out)
    row = {g: k for k, g in enumerate(L.levels)}
    twin = np.zeros((n, len(offsets) + 1))
    shape = np.array(mask.shape)
    for c in np.argwhere(mask):
        k = 0
        for off in offsets:
            nb = c + off
            if np.all((nb >= 0) & (nb < shape)) and mask[tuple(nb)]:
                k += abs(int(q[tuple(nb)]) - int(q[tuple(c)])) <= alpha
        twin[row[q[tuple(c)]], k] += 1
    np.testing.assert_array_equal(out.sum(axis=0), twin)


@pytest.mark.parametrize("seed", SEEDS)
def test_ngtdm_counts(seed):
    q, mask = _random_roi(seed)
    offsets = _offsets(seed, bidirectional=True)
    L = Labels(q, mask, int(np.abs(offsets).max()))
    n = L.levels.size
    out = np.zeros((2, n, 2))
    ngtdm_counts(L.lab, L.idx, L.flat(offsets), L.levels.astype(np.float64), out)
    row = {g: k for k, g in enumerate(L.levels)}
    twin = np.zeros((n, 2))
    shape = np.array(mask.shape)
    for c in np.argwhere(mask):
        vals = [q[tuple(c + off)] for off in offsets
                if np.all((c + off >= 0) & (c + off < shape)) and mask[tuple(c + off)]]
        g = q[tuple(c)]
        twin[row[g], 0] += 1
        if vals:
            twin[row[g], 1] += abs(g - np.mean(vals))
    got = out.sum(axis=0)
    np.testing.assert_array_equal(got[:, 0], twin[:, 0])
    np.testing.assert_allclose(got[:, 1], twin[:, 1], rtol=FLOAT_RTOL, atol=1e-12)


def _smooth_roi(seed, shape, n_levels, holes):
    """Smooth random labels (long runs of every length) in an ellipsoid ROI, optionally holed."""
    rng = np.random.default_rng(seed)
    noise = ndimage.gaussian_filter(rng.normal(size=shape), rng.uniform(0.5, 2.0))
    q = np.digitize(noise, np.quantile(noise, np.linspace(0, 1, n_levels + 1)[1:-1])) + 1
    grid = np.indices(shape, dtype=np.float64)
    c = (np.array(shape) - 1) / 2
    r = np.maximum(np.array(shape) / 2, 1)
    mask = np.sum(((grid - c[:, None, None, None]) / r[:, None, None, None]) ** 2, axis=0) <= 1.1
    if holes:
        mask &= rng.random(shape) > 0.15
    mask.flat[int(rng.integers(mask.size))] = True
    return q.astype(np.int32), mask


def _lines_path_checked(q, mask, offsets):
    """GLRLM counts of the per-line (shared-work) path, checked against glrlm_counts and the
    line-walking twin; returns them and the angles cleared as empty."""
    from rnpc_radiomics.features._kernels.glrlm import (
        empty_angles,
        glrlm_counts_lines,
        mask_lines,
    )

    L = Labels(q, mask, 1)
    steps = L.flat(offsets)
    n, nr = L.levels.size, max(q.shape)
    starts, lens, ptr = mask_lines(L.lab, L.idx, steps)
    empty = empty_angles(lens, ptr, mask, offsets)
    got = np.zeros((len(offsets), n, nr))
    glrlm_counts_lines(L.lab, starts, lens, ptr, steps, got)
    got[empty] = 0.0
    ref = np.zeros_like(got)
    glrlm_counts(L.lab, L.idx, steps, mask, offsets, ref)
    np.testing.assert_array_equal(got, ref)
    row = {g: k for k, g in enumerate(L.levels)}
    for a, off in enumerate(offsets):
        np.testing.assert_array_equal(got[a], _runs_twin(q, mask, off, row, n, nr))
    return got, empty


@pytest.mark.parametrize(
    "seed,shape,n_levels,force2D_dim,holes,bidirectional",
    [
        (0, (6, 9, 11), 3, None, False, False),
        (1, (7, 8, 5), 5, None, True, False),
        (2, (1, 12, 17), 4, None, True, False),  # one slice: out-of-plane angles are empty
        (3, (5, 13, 9), 2, 0, True, False),
        (4, (9, 6, 10), 6, 1, False, False),
        (5, (8, 10, 7), 3, 2, True, False),
        (6, (6, 7, 8), 4, None, True, True),  # negative flat steps too
        (7, (3, 25, 4), 1, None, False, False),  # one grey level: runs as long as lines
    ],
)
def test_glrlm_counts_lines(seed, shape, n_levels, force2D_dim, holes, bidirectional):
    """The per-line kernel (shared-work path) against the line-walking twin and glrlm_counts."""
    q, mask = _smooth_roi(seed, shape, n_levels, holes)
    offsets = generate_angles([1], force2D_dim is not None, force2D_dim or 0, bidirectional,
                              shape=shape)
    got, _ = _lines_path_checked(q, mask, offsets)
    nr = got.shape[2]
    # Every ROI voxel is in exactly one run per angle (unless the angle is empty).
    lengths = np.arange(1, nr + 1)
    for a in range(len(offsets)):
        assert got[a].sum() == 0 or (got[a] @ lengths).sum() == mask.sum()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_glrlm_shared_matches_unshared(seed):
    """GLRLM matrices via the shared per-line kernel equal the stand-alone kernel's."""
    from rnpc_radiomics.features import glrlm
    from rnpc_radiomics.features._texture import share

    q, mask = _smooth_roi(seed, (7, 11, 9), 4, holes=True)
    settings = {"force2D": seed == 2, "weightingNorm": "manhattan" if seed == 1 else None}
    want = glrlm.matrix(q, mask, settings=settings, spacing_zyx=(2.0, 0.7, 0.7))
    q2, mask2 = q.copy(), mask.copy()
    share(q2, mask2)
    got = glrlm.matrix(q2, mask2, settings=settings, spacing_zyx=(2.0, 0.7, 0.7))
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("seed", [10, 11, 12])
def test_glrlm_counts_lines_sparse(seed):
    """Very sparse masks: angles whose lines hold no two ROI voxels are cleared (pyradiomics'
    rule) on the per-line path exactly as glrlm_counts clears them."""
    q, mask = _random_roi(seed)
    mask[:] = False
    mask[0, 0, 0] = True
    # a second voxel on no line of (0, 0, 0), or on the (1, 1, 0) / (0, 0, 1) line two apart
    mask[{10: (1, 2, 0), 11: (2, 2, 0), 12: (0, 0, 2)}[seed]] = True
    _, empty = _lines_path_checked(q, mask, generate_angles([1]))
    assert empty.sum() == (13 if seed == 10 else 12)
