"""IBSI texture families and their 2D / 2.5D / 3D aggregations (IBSI-1 sections 3.6-3.11).

Aggregation (IBSI-1 section 3.1.3; slices are xy planes):

* GLCM and GLRLM, one matrix per slice and in-plane direction (2D) or per 3D direction:
  ``2D_avg`` features per slice and direction, averaged; ``2D_comb`` directions merged per
  slice, averaged over slices; ``2_5D_avg`` slices merged per direction, averaged over
  directions; ``2_5D_comb`` everything merged; ``3D_avg`` per 3D direction, averaged;
  ``3D_comb`` the 13 directions merged.
* GLSZM, GLDZM, NGTDM, NGLDM: ``2D`` per slice, averaged; ``2_5D`` per-slice matrices summed;
  ``3D`` one volumetric matrix.

Matrices are indexed by the discretised grey level (1..Ng, absent levels included) so that
features see the real grey-level values. Features undefined for one matrix (e.g. a correlation
with zero variance) are NaN there and left out of the average, as in MIRP.
"""

from __future__ import annotations

import warnings

import numpy as np

from rnpc_radiomics.ibsi import _kernels

__all__ = ["texture_features", "DIRECTIONS_2D", "DIRECTIONS_3D", "glcm_counts",
           "glcm_from_matrix", "zone_family_from_matrix", "ngtdm_from_sums", "distance_map"]

# (dz, dy, dx); one of each pair of opposite directions (the matrices are made symmetric or,
# for runs, are invariant to the sign).
DIRECTIONS_2D = np.array([(0, 0, 1), (0, 1, -1), (0, 1, 0), (0, 1, 1)], dtype=np.int64)
DIRECTIONS_3D = np.array([(0, 0, 1), (0, 1, -1), (0, 1, 0), (0, 1, 1),
                          (1, -1, -1), (1, -1, 0), (1, -1, 1), (1, 0, -1), (1, 0, 0),
                          (1, 0, 1), (1, 1, -1), (1, 1, 0), (1, 1, 1)], dtype=np.int64)

CM_NAMES = ("joint_max", "joint_avg", "joint_var", "joint_entr", "diff_avg", "diff_var",
            "diff_entr", "sum_avg", "sum_var", "sum_entr", "energy", "contrast",
            "dissimilarity", "inv_diff", "inv_diff_norm", "inv_diff_mom", "inv_diff_mom_norm",
            "inv_var", "corr", "auto_corr", "clust_tend", "clust_shade", "clust_prom",
            "info_corr1", "info_corr2")
RLM_NAMES = ("sre", "lre", "lgre", "hgre", "srlge", "srhge", "lrlge", "lrhge", "glnu",
             "glnu_norm", "rlnu", "rlnu_norm", "r_perc", "gl_var", "rl_var", "rl_entr")
SZM_NAMES = ("sze", "lze", "lgze", "hgze", "szlge", "szhge", "lzlge", "lzhge", "glnu",
             "glnu_norm", "zsnu", "zsnu_norm", "z_perc", "gl_var", "zs_var", "zs_entr")
DZM_NAMES = ("sde", "lde", "lgze", "hgze", "sdlge", "sdhge", "ldlge", "ldhge", "glnu",
             "glnu_norm", "zdnu", "zdnu_norm", "z_perc", "gl_var", "zd_var", "zd_entr")
NGL_NAMES = ("lde", "hde", "lgce", "hgce", "ldlge", "ldhge", "hdlge", "hdhge", "glnu",
             "glnu_norm", "dcnu", "dcnu_norm", "dc_perc", "gl_var", "dc_var", "dc_entr",
             "dc_energy")
NGT_NAMES = ("coarseness", "contrast", "busyness", "complexity", "strength")


def _entropy(p: np.ndarray) -> float:
    p = p[p > 0]
    return float(-np.sum(p * np.log2(p)))


def glcm_from_matrix(counts: np.ndarray) -> np.ndarray | None:
    """The 25 IBSI GLCM features (``CM_NAMES`` order) of one symmetric count matrix.

    Returns None for an empty matrix.
    """
    tot = counts.sum()
    if tot <= 0:
        return None
    ng = counts.shape[0]
    p = counts / tot
    lv = np.arange(1, ng + 1, dtype=np.float64)
    i = lv[:, None]
    j = lv[None, :]
    pi = p.sum(axis=1)
    pj = p.sum(axis=0)
    mu_i = float(np.sum(lv * pi))
    mu_j = float(np.sum(lv * pj))
    var_i = float(np.sum((lv - mu_i) ** 2 * pi))
    var_j = float(np.sum((lv - mu_j) ** 2 * pj))
    absdiff = np.abs(i - j)
    k_diff = np.arange(ng, dtype=np.float64)
    p_diff = np.bincount(absdiff.astype(np.int64).ravel(), weights=p.ravel(), minlength=ng)
    k_sum = np.arange(2, 2 * ng + 1, dtype=np.float64)
    p_sum = np.bincount((i + j - 2).astype(np.int64).ravel(), weights=p.ravel(),
                        minlength=2 * ng - 1)
    diff_avg = float(np.sum(k_diff * p_diff))
    sum_avg = float(np.sum(k_sum * p_sum))
    hxy = _entropy(p.ravel())
    pipj = pi[:, None] * pj[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        lg = np.where(pipj > 0, np.log2(np.where(pipj > 0, pipj, 1.0)), 0.0)
    hxy1 = float(-np.sum(p * lg))
    hxy2 = float(-np.sum(pipj * lg))
    hx, hy = _entropy(pi), _entropy(pj)
    sd = np.sqrt(var_i * var_j)
    corr = (float(np.sum(i * j * p)) - mu_i * mu_j) / sd if sd > 0 else np.nan
    hmax = max(hx, hy)
    ic1 = (hxy - hxy1) / hmax if hmax > 0 else np.nan
    ic2 = float(np.sqrt(max(0.0, 1.0 - np.exp(-2.0 * (hxy2 - hxy)))))
    ct = i + j - mu_i - mu_j
    nz = k_diff > 0
    return np.array([
        p.max(), mu_i, float(np.sum((i - mu_i) ** 2 * p)), hxy,
        diff_avg, float(np.sum((k_diff - diff_avg) ** 2 * p_diff)), _entropy(p_diff),
        sum_avg, float(np.sum((k_sum - sum_avg) ** 2 * p_sum)), _entropy(p_sum),
        float(np.sum(p ** 2)), float(np.sum(absdiff ** 2 * p)), diff_avg,
        float(np.sum(p / (1.0 + absdiff))), float(np.sum(p / (1.0 + absdiff / ng))),
        float(np.sum(p / (1.0 + absdiff ** 2))), float(np.sum(p / (1.0 + absdiff ** 2 / ng ** 2))),
        float(np.sum(p_diff[nz] / k_diff[nz] ** 2)), corr, float(np.sum(i * j * p)),
        float(np.sum(ct ** 2 * p)), float(np.sum(ct ** 3 * p)), float(np.sum(ct ** 4 * p)),
        ic1, ic2,
    ], dtype=np.float64)


def zone_family_from_matrix(m: np.ndarray, n_voxels: float, energy: bool = False
                            ) -> np.ndarray | None:
    """The shared GLRLM / GLSZM / GLDZM / NGLDM features of a matrix ``m[i-1, j-1]``.

    Order: small-j emphasis, large-j emphasis, low grey, high grey, small-j low grey, small-j
    high grey, large-j low grey, large-j high grey, GLNU, GLNU normalised, j-NU, j-NU
    normalised, percentage (Ns / n_voxels), grey variance, j variance, entropy
    (+ energy when ``energy``). Returns None for an empty matrix.
    """
    ns = m.sum()
    if ns <= 0:
        return None
    ng, nj = m.shape
    i = np.arange(1, ng + 1, dtype=np.float64)[:, None]
    j = np.arange(1, nj + 1, dtype=np.float64)[None, :]
    mi = m.sum(axis=1)
    mj = m.sum(axis=0)
    p = m / ns
    mu_i = float(np.sum(i * p))
    mu_j = float(np.sum(j * p))
    vals = [
        np.sum(m / j ** 2) / ns, np.sum(m * j ** 2) / ns,
        np.sum(m / i ** 2) / ns, np.sum(m * i ** 2) / ns,
        np.sum(m / (i ** 2 * j ** 2)) / ns, np.sum(m * i ** 2 / j ** 2) / ns,
        np.sum(m * j ** 2 / i ** 2) / ns, np.sum(m * i ** 2 * j ** 2) / ns,
        np.sum(mi ** 2) / ns, np.sum(mi ** 2) / ns ** 2,
        np.sum(mj ** 2) / ns, np.sum(mj ** 2) / ns ** 2,
        ns / n_voxels,
        np.sum((i - mu_i) ** 2 * p), np.sum((j - mu_j) ** 2 * p),
        _entropy(p.ravel()),
    ]
    if energy:
        vals.append(np.sum(p ** 2))
    return np.array(vals, dtype=np.float64)


def ngtdm_from_sums(s: np.ndarray, n: np.ndarray) -> np.ndarray | None:
    """The 5 IBSI NGTDM features from ``s_i`` and the voxel counts ``n_i`` (per grey level)."""
    nv = n.sum()
    if nv <= 0:
        return None
    p = n / nv
    lv = np.arange(1, s.size + 1, dtype=np.float64)
    ok = p > 0
    ngp = int(ok.sum())
    pv, sv, iv = p[ok], s[ok], lv[ok]
    ps = float(np.sum(pv * sv))
    s_tot = float(np.sum(sv))
    coarse = 1.0 / ps if ps > 0 else 1e6
    di = iv[:, None] - iv[None, :]
    if ngp > 1:
        contrast = float(np.sum(pv[:, None] * pv[None, :] * di ** 2)) / (ngp * (ngp - 1)) \
            * s_tot / nv
        den = float(np.sum(np.abs(iv[:, None] * pv[:, None] - iv[None, :] * pv[None, :])))
        busy = ps / den if den > 0 else 0.0
    else:
        contrast, busy = 0.0, 0.0
    compl = float(np.sum(np.abs(di) * (pv[:, None] * sv[:, None] + pv[None, :] * sv[None, :])
                         / (pv[:, None] + pv[None, :]))) / nv
    strength = float(np.sum((pv[:, None] + pv[None, :]) * di ** 2)) / s_tot if s_tot > 0 else 0.0
    return np.array([coarse, contrast, busy, compl, strength], dtype=np.float64)


def distance_map(mask: np.ndarray, two_d: bool) -> np.ndarray:
    """Taxicab distance of each mask voxel to the nearest voxel outside the mask (border = 1).

    4-connectivity per slice (2D) or 6-connectivity (3D), counting the outside of the array
    as background, as IBSI defines the GLDZM distance.
    """
    from scipy import ndimage

    if two_d:
        pad = np.pad(mask, ((0, 0), (1, 1), (1, 1)))
        out = np.zeros(pad.shape, dtype=np.int64)
        for z in range(pad.shape[0]):
            if pad[z].any():
                out[z] = ndimage.distance_transform_cdt(pad[z], metric="taxicab")
        return out[:, 1:-1, 1:-1]
    pad = np.pad(mask, 1)
    return ndimage.distance_transform_cdt(pad, metric="taxicab")[1:-1, 1:-1, 1:-1].astype(np.int64)


def glcm_counts(q: np.ndarray, offsets: np.ndarray, ng: int, per_slice: bool) -> np.ndarray:
    """Symmetric co-occurrence counts per (slice, direction), shape ``(S, D, ng, ng)``.

    Counting reuses the pyradiomics-compatible kernel ``features/_kernels/glcm.glcm_counts``
    (flat padded label image, ROI voxel indices, flat offsets): labels are the grey level
    minus one, so rows keep the discretised level (full range 1..Ng); for 2D it runs once per
    slice on that slice's voxels.
    """
    from rnpc_radiomics.features._kernels.glcm import glcm_counts as kernel

    offsets = np.ascontiguousarray(offsets, dtype=np.int64)
    r = int(np.abs(offsets).max()) if offsets.size else 1
    lab3 = np.pad(q.astype(np.int32) - 1, r, constant_values=-1)
    lab3[lab3 < -1] = -1
    strides = np.array([lab3.shape[1] * lab3.shape[2], lab3.shape[2], 1], dtype=np.int64)
    steps = np.ascontiguousarray(offsets @ strides)
    lab = np.ascontiguousarray(lab3.ravel())
    idx_all = np.flatnonzero(lab >= 0).astype(np.int64)
    if per_slice:
        out = np.zeros((q.shape[0], offsets.shape[0], ng, ng))
        zi = idx_all // strides[0] - r
        bounds = np.searchsorted(zi, np.arange(q.shape[0] + 1))
        for z in range(q.shape[0]):
            if bounds[z + 1] > bounds[z]:
                kernel(lab, np.ascontiguousarray(idx_all[bounds[z]:bounds[z + 1]]), steps, out[z])
    else:
        out = np.zeros((1, offsets.shape[0], ng, ng))
        kernel(lab, idx_all, steps, out[0])
    return out + out.transpose(0, 1, 3, 2)


def _mean(rows: list) -> np.ndarray | None:
    rows = [r for r in rows if r is not None]
    if not rows:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(np.vstack(rows), axis=0)


def _put(out: dict, prefix: str, names, suffix: str, vals) -> None:
    for k, name in enumerate(names):
        out[f"{prefix}_{name}_{suffix}"] = float("nan") if vals is None else float(vals[k])


def _zone_matrix(levels, values, ng, sel=None):
    if sel is not None:
        levels, values = levels[sel], values[sel]
    nj = int(values.max()) if values.size else 1
    m = np.zeros((ng, max(nj, 1)), dtype=np.float64)
    np.add.at(m, (levels - 1, values - 1), 1.0)
    return m


def texture_features(q: np.ndarray, ng: int, dims, *, morph_mask: np.ndarray | None = None,
                     glcm_distance: int = 1, ngldm_alpha: int = 0,
                     families=("cm", "rlm", "szm", "dzm", "ngt", "ngl")) -> dict[str, float]:
    """All IBSI texture features for the requested aggregations.

    Parameters
    ----------
    q : ndarray of shape (Z, Y, X), int
        Grey levels 1..Ng inside the intensity mask, 0 outside.
    ng : int
        Number of grey levels.
    dims : iterable of str
        Any of ``"2D"``, ``"2.5D"``, ``"3D"``.
    morph_mask : ndarray of bool, optional
        The morphological mask: the GLDZM border distance is measured to its edge, so holes
        punched by re-segmentation do not count as borders (with the intensity mask instead,
        20 of 32 GLDZM reference values of CT configuration A fail). Default: ``q > 0``.
    glcm_distance : int
        GLCM neighbour distance: the 13 (3D) or 4 (2D) unit directions scaled by it
        (IBSI-1 uses 1).
    ngldm_alpha : int
        NGLDM coarseness.
    families : iterable of str
        Tag prefixes to compute.

    Returns
    -------
    dict
        Keys ``<prefix>_<name>_<aggregation>`` as in the IBSI reference table.
    """
    q = np.asarray(q)
    # Crop to the ROI bounding box: kernels then scan only what matters.
    nzidx = np.nonzero(q)
    sl = tuple(slice(int(a.min()), int(a.max()) + 1) for a in nzidx)
    q = np.ascontiguousarray(q[sl], dtype=np.int32)
    dmask = (q > 0) if morph_mask is None else np.asarray(morph_mask)[sl]
    ng = int(ng)
    dims = set(dims)
    flat = dims & {"2D", "2.5D"}
    out: dict[str, float] = {}
    n_slices = q.shape[0]
    max_run = int(max(q.shape))
    vox_per_slice = (q > 0).reshape(n_slices, -1).sum(axis=1).astype(np.float64)

    if "cm" in families:
        if flat:
            c = glcm_counts(q, DIRECTIONS_2D * glcm_distance, ng, True)
            if "2D" in dims:
                _put(out, "cm", CM_NAMES, "2D_avg",
                     _mean([glcm_from_matrix(c[s, d]) for s in range(c.shape[0])
                            for d in range(c.shape[1])]))
                _put(out, "cm", CM_NAMES, "2D_comb",
                     _mean([glcm_from_matrix(c[s].sum(axis=0)) for s in range(c.shape[0])]))
            if "2.5D" in dims:
                cs = c.sum(axis=0)
                _put(out, "cm", CM_NAMES, "2_5D_avg",
                     _mean([glcm_from_matrix(cs[d]) for d in range(cs.shape[0])]))
                _put(out, "cm", CM_NAMES, "2_5D_comb", glcm_from_matrix(cs.sum(axis=0)))
        if "3D" in dims:
            c = glcm_counts(q, DIRECTIONS_3D * glcm_distance, ng, False)[0]
            _put(out, "cm", CM_NAMES, "3D_avg",
                 _mean([glcm_from_matrix(c[d]) for d in range(c.shape[0])]))
            _put(out, "cm", CM_NAMES, "3D_comb", glcm_from_matrix(c.sum(axis=0)))

    if "rlm" in families:
        def rl(m):
            nv = float(np.sum(m * np.arange(1, m.shape[1] + 1)))
            return zone_family_from_matrix(m, nv)

        if flat:
            c = _kernels.glrlm_counts(q, DIRECTIONS_2D, ng, max_run, True)
            if "2D" in dims:
                _put(out, "rlm", RLM_NAMES, "2D_avg",
                     _mean([rl(c[s, d]) for s in range(c.shape[0]) for d in range(c.shape[1])]))
                _put(out, "rlm", RLM_NAMES, "2D_comb",
                     _mean([rl(c[s].sum(axis=0)) for s in range(c.shape[0])]))
            if "2.5D" in dims:
                cs = c.sum(axis=0)
                _put(out, "rlm", RLM_NAMES, "2_5D_avg",
                     _mean([rl(cs[d]) for d in range(cs.shape[0])]))
                _put(out, "rlm", RLM_NAMES, "2_5D_comb", rl(cs.sum(axis=0)))
        if "3D" in dims:
            c = _kernels.glrlm_counts(q, DIRECTIONS_3D, ng, max_run, False)[0]
            _put(out, "rlm", RLM_NAMES, "3D_avg", _mean([rl(c[d]) for d in range(c.shape[0])]))
            _put(out, "rlm", RLM_NAMES, "3D_comb", rl(c.sum(axis=0)))

    for two_d, wanted in ((True, flat), (False, dims & {"3D"})):
        if not wanted:
            continue
        if "szm" in families or "dzm" in families:
            dist = np.ascontiguousarray(distance_map(dmask, two_d))
            lev, size, mind, zsl = _kernels.zones(q, dist, two_d)
            for prefix, names, vals in (("szm", SZM_NAMES, size), ("dzm", DZM_NAMES, mind)):
                if prefix not in families:
                    continue
                if two_d:
                    per = []
                    for s in range(n_slices):
                        sel = zsl == s
                        if sel.any():
                            per.append(zone_family_from_matrix(
                                _zone_matrix(lev, vals, ng, sel), vox_per_slice[s]))
                    if "2D" in dims:
                        _put(out, prefix, names, "2D", _mean(per))
                    if "2.5D" in dims:
                        _put(out, prefix, names, "2_5D", zone_family_from_matrix(
                            _zone_matrix(lev, vals, ng), vox_per_slice.sum()))
                else:
                    _put(out, prefix, names, "3D", zone_family_from_matrix(
                        _zone_matrix(lev, vals, ng), vox_per_slice.sum()))
        if "ngt" in families or "ngl" in families:
            # one neighbourhood walk for both families
            s, n, m = _kernels.neighbourhood_stats(q, ng, two_d, int(ngldm_alpha))
        if "ngt" in families:
            if two_d:
                if "2D" in dims:
                    _put(out, "ngt", NGT_NAMES, "2D",
                         _mean([ngtdm_from_sums(s[k], n[k]) for k in range(s.shape[0])]))
                if "2.5D" in dims:
                    _put(out, "ngt", NGT_NAMES, "2_5D", ngtdm_from_sums(s.sum(0), n.sum(0)))
            else:
                _put(out, "ngt", NGT_NAMES, "3D", ngtdm_from_sums(s[0], n[0]))
        if "ngl" in families:
            if two_d:
                if "2D" in dims:
                    _put(out, "ngl", NGL_NAMES, "2D",
                         _mean([zone_family_from_matrix(m[k], vox_per_slice[k], energy=True)
                                for k in range(m.shape[0])]))
                if "2.5D" in dims:
                    _put(out, "ngl", NGL_NAMES, "2_5D",
                         zone_family_from_matrix(m.sum(0), vox_per_slice.sum(), energy=True))
            else:
                _put(out, "ngl", NGL_NAMES, "3D",
                     zone_family_from_matrix(m[0], vox_per_slice.sum(), energy=True))
    return out
