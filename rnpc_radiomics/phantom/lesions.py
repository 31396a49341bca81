"""The three lesion classes, painted into an :class:`~.anatomy.Anatomy`.

Each ``paint_*`` function changes the property maps and label map in place and returns a
:class:`Lesion`: the ROI, the lesion's own FDG uptake pattern (scaled later so that the PET SUVmax
hits the sampled target), the air bubbles, the bone findings and the sampled parameters.

Signatures (and the deliberate overlaps, ``overlap`` in the parameters) are documented in
``rnpc_radiomics/phantom/README.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage

from rnpc_radiomics.phantom.anatomy import (
    ANATOMY_LABELS,
    BONES,
    Anatomy,
    smooth_noise,
    superellipsoid,
)

__all__ = ["Lesion", "paint_recurrence", "paint_osteoradionecrosis",
           "paint_soft_tissue_necrosis", "PAINTERS"]

AIR_HU = -1000.0


@dataclass
class Lesion:
    """What a painter returns.

    Attributes
    ----------
    roi : ndarray of bool, shape (Z, Y, X)
        The lesion mask on the CT grid.
    uptake : ndarray of float32, shape (Z, Y, X)
        Relative FDG uptake pattern of the lesion (0-1); the PET adds ``a * uptake`` to the
        background with ``a`` chosen to reach ``suv_target``.
    suv_target : float
        Intended PET SUVmax of the lesion.
    bubbles : list of dict
        ``center_rel`` (mm, relative to the anatomy centre), ``radius_mm``, ``volume_mm3``,
        ``voxel_volume_mm3``, ``occupancy_sum``.
    bones : dict
        ``involved``, ``eroded``, ``cortical_break``, ``spongy``, ``bilateral`` and extents.
    params : dict
        Sampled parameters (including ``overlap``: the deliberate confounders applied).
    """

    roi: np.ndarray
    uptake: np.ndarray
    suv_target: float
    bubbles: list = field(default_factory=list)
    bones: dict = field(default_factory=dict)
    params: dict = field(default_factory=dict)


# ------------------------------------------------------------------------------ helpers
def _side(rng) -> tuple[int, str]:
    s = int(rng.choice([1, -1]))
    return s, ("left" if s == 1 else "right")


def _lumpy(an: Anatomy, center, semi, rng, *, amp=0.15, scale=6.0, axes=None) -> np.ndarray:
    """An irregular blob: an ellipsoid whose surface is pushed in and out by smooth noise."""
    f = superellipsoid(an.grid, center, semi, axes=axes)
    return f < 1.0 + amp * smooth_noise(an.grid, scale, rng)


def _largest_component(mask: np.ndarray) -> np.ndarray:
    lab, n = ndimage.label(mask)
    if n <= 1:
        return mask
    sizes = np.bincount(lab.ravel())
    sizes[0] = 0
    return lab == int(np.argmax(sizes))


def _nearest_point(an: Anatomy, mask: np.ndarray, target_rel) -> np.ndarray:
    """Relative mm of the voxel of ``mask`` closest to ``target_rel``."""
    idx = np.argwhere(mask)
    rel = an.grid.index_to_lps(idx) - an.grid.center
    return rel[np.argmin(np.sum((rel - np.asarray(target_rel)) ** 2, axis=1))]


def _protected(an: Anatomy) -> np.ndarray:
    """Structures no lesion overwrites (the carotids)."""
    return an.masks["ica_left"] | an.masks["ica_right"]


def _vol(an: Anatomy, mask) -> float:
    return float(np.count_nonzero(mask)) * an.grid.voxel_volume


def _bone_volumes(an: Anatomy, mask) -> dict:
    return {b: round(_vol(an, mask & an.masks[b]), 2) for b in BONES}


def _place_bubbles(an: Anatomy, region: np.ndarray, volumes, rng, *, margin_mm=1.5,
                   gap_mm=2.0) -> list[dict]:
    """Choose non-touching sphere positions fully inside ``region`` (largest first).

    A bubble that does not fit is halved in volume (down to 1 mm³) before it is given up. The
    margin (tissue between a bubble and the region's edge, e.g. the airway) and the gap between
    bubbles are at least one slice, so that each bubble stays a separate gas component on CT.
    """
    g = an.grid
    margin_mm = max(margin_mm, g.spacing[2])
    gap_mm = max(gap_mm, 1.5 * g.spacing[2])
    inner = region.copy()
    # The grid's faces count as edges too: a bubble must lie wholly inside the field of view.
    inner[[0, -1], :, :] = False
    inner[:, [0, -1], :] = False
    inner[:, :, [0, -1]] = False
    d_in = ndimage.distance_transform_edt(inner, sampling=g.sampling_zyx)
    placed: list[tuple[np.ndarray, float, float]] = []
    for v in sorted(volumes, reverse=True):
        while v >= 1.0:
            r = (3.0 * v / (4.0 * np.pi)) ** (1.0 / 3.0)
            cand = np.argwhere(d_in >= r + margin_mm)
            if len(cand):
                pos = g.index_to_lps(cand) - g.center
                ok = np.ones(len(cand), bool)
                for c, rr, _ in placed:
                    ok &= np.sum((pos - c) ** 2, axis=1) > (r + rr + gap_mm) ** 2
                if ok.any():
                    pick = pos[rng.choice(np.flatnonzero(ok))]
                    # Sub-voxel jitter so that centres are not always on voxel centres.
                    pick = pick + rng.uniform(-0.5, 0.5, 3) * np.asarray(g.spacing) * 0.5
                    placed.append((pick, r, v))
                    break
            v /= 2.0
    return [{"center_rel": c, "radius_mm": r, "volume_mm3": v} for c, r, v in placed]


def _paint_bubbles(an: Anatomy, bubbles: list[dict], uptake: np.ndarray) -> None:
    """Paint gas spheres with partial-volume occupancy (linear ramp one voxel wide)."""
    g = an.grid
    sp = np.asarray(g.spacing)
    ramp = float(np.cbrt(g.voxel_volume))
    air_t1 = an.params["t1_rel"]["air"] * an.params["t1_muscle"]
    for b in bubbles:
        c, r = np.asarray(b["center_rel"]), b["radius_mm"]
        lo = np.floor((g.center + c - r - 2 * sp - g.origin) / sp).astype(int)
        hi = np.ceil((g.center + c + r + 2 * sp - g.origin) / sp).astype(int) + 1
        lo = np.maximum(lo, 0)
        hi = np.minimum(hi, np.array(g.shape[::-1]))
        sl = (slice(lo[2], hi[2]), slice(lo[1], hi[1]), slice(lo[0], hi[0]))
        d = np.sqrt((g.x[..., sl[2]] - c[0]) ** 2 + (g.y[:, sl[1], :] - c[1]) ** 2
                    + (g.z[sl[0]] - c[2]) ** 2)
        occ = np.clip((r - d) / ramp + 0.5, 0.0, 1.0).astype(np.float32)
        an.hu[sl] = an.hu[sl] * (1 - occ) + AIR_HU * occ
        an.t1[sl] = an.t1[sl] * (1 - occ) + air_t1 * occ
        an.suv[sl] *= 1 - occ
        uptake[sl] *= 1 - occ
        lab = an.label[sl]
        lab[occ >= 0.5] = ANATOMY_LABELS["bubble"]
        b["voxel_volume_mm3"] = float(occ.sum()) * g.voxel_volume


def _soft_lesion_props(an: Anatomy, rng, hu_range, t1_range, tex):
    p = an.params
    hu = float(rng.uniform(*hu_range)) + 6.0 * tex
    t1 = p["t1_muscle"] * float(rng.uniform(*t1_range)) * (1 + 0.07 * tex)
    return hu, t1


# ------------------------------------------------------------------------------ recurrence
def paint_recurrence(an: Anatomy, rng: np.random.Generator) -> Lesion:
    """Recurrent carcinoma: an enhancing, FDG-avid soft-tissue mass eroding **one** bone.

    The mass starts in the lateral pharyngeal recess and reaches the target bone (pterygoid
    50 %, clivus 30 %, sphenoid floor 20 %); the bone voxels inside the mass are replaced by
    tumour, which breaks the cortex focally (deep, "extensive" erosion in 15 % of cases).
    Overlaps: mild mottled change around the erosion (20 %), a small necrotic centre (10 %),
    low uptake SUVmax 3.5-6 (15 %).
    """
    g = an.grid
    s, side = _side(rng)
    overlap = []
    target = str(rng.choice(["pterygoid", "clivus", "sphenoid"], p=[0.5, 0.3, 0.2]))
    bone = f"pterygoid_{side}" if target == "pterygoid" else target
    anchor = np.array([s * 9.0, -2.0, -5.0])
    aim = {"pterygoid": anchor + [s * 4.0, -2.0, 2.0], "clivus": np.array([s * 4.0, 8.0, -3.0]),
           "sphenoid": np.array([s * 5.0, -3.0, 6.0])}[target]
    contact = _nearest_point(an, an.masks[bone], aim)
    direction = contact - anchor
    direction /= max(np.linalg.norm(direction), 1e-6)
    extensive = bool(rng.random() < 0.15)
    depth = float(rng.uniform(7.0, 11.0) if extensive else rng.uniform(2.5, 5.0))
    r0 = float(rng.uniform(6.0, 11.0))
    semi = np.array([r0 * rng.uniform(0.8, 1.2), r0 * rng.uniform(0.8, 1.2),
                     r0 * rng.uniform(0.9, 1.4)])
    other_bone = an.masks["bone"] & ~an.masks[bone]
    keep_out = _protected(an) | other_bone | (an.masks["airway"] & (s * g.x < 2.0))
    for _attempt in range(5):
        center = contact - direction * (np.mean(semi) - depth)
        mass = _lumpy(an, center, semi, rng, amp=0.12, scale=7.0) & ~keep_out
        mass = _largest_component(mass)
        eroded = mass & an.masks[bone]
        if _vol(an, eroded & an.masks["cortex"]) >= 5.0 and _vol(an, eroded) >= 15.0:
            break
        depth += 2.0
    tex = smooth_noise(g, 3.0, rng)
    hu, t1 = _soft_lesion_props(an, rng, (45, 75), (1.8, 2.4), tex)
    uptake = np.zeros(g.shape, np.float32)
    an.paint(mass, "lesion", hu=hu, t1=t1, suv=an.params["suv"]["muscle"])
    uptake[mass] = (0.85 + 0.12 * tex)[mass]

    mottled = bool(rng.random() < 0.2)
    spongy_mask = np.zeros(g.shape, bool)
    if mottled:
        overlap.append("mottled_bone")
        near = ndimage.distance_transform_edt(~mass, sampling=g.sampling_zyx) <= rng.uniform(4, 7)
        zone = near & an.masks[bone] & ~mass & an.masks["trabecular"]
        n = smooth_noise(g, 1.8, rng)
        if zone.any():
            lytic = zone & (n > np.quantile(n[zone], 1 - rng.uniform(0.2, 0.35)))
            an.paint(lytic, "osteolysis", hu=rng.uniform(0, 45) + 8 * tex,
                     t1=an.params["t1_muscle"] * 1.6)
            uptake[lytic] = 0.4
            spongy_mask = zone
    necrotic = bool(rng.random() < 0.1)
    if necrotic:
        overlap.append("necrotic_centre")
        core = (superellipsoid(g, center, semi * rng.uniform(0.3, 0.45)) < 1) & mass
        an.paint(core, "necrosis_core", hu=rng.uniform(15, 30),
                 t1=an.params["t1_muscle"] * rng.uniform(0.4, 0.6))
        uptake[core] = 0.15
    low = bool(rng.random() < 0.15)
    if low:
        overlap.append("low_suv")
    suv_target = float(rng.uniform(3.5, 6.0) if low else rng.uniform(6.0, 15.0))
    cortical_break = bool(np.any(eroded & an.masks["cortex"]))
    bones = {"involved": [bone], "eroded": [bone] if eroded.any() else [],
             "cortical_break": cortical_break, "cortical_break_pattern": "focal",
             "spongy": bool(spongy_mask.any()), "bilateral": False,
             "extensive": extensive, "eroded_volume_mm3": round(_vol(an, eroded), 2),
             "cortex_destroyed_mm3": round(_vol(an, eroded & an.masks["cortex"]), 2),
             "spongy_volume_mm3": round(_vol(an, spongy_mask), 2),
             "changed_volume_mm3": _bone_volumes(an, eroded | spongy_mask)}
    params = {"side": side, "target_bone": bone, "mass_semi_axes_mm": semi.round(2).tolist(),
              "mass_center_mm": (g.center + center).round(2).tolist(),
              "invasion_depth_mm": round(depth, 2), "extensive": extensive,
              "enhancement": "solid", "overlap": overlap}
    return Lesion(roi=mass, uptake=uptake, suv_target=suv_target, bones=bones, params=params)


# ------------------------------------------------------------------------------ ORN
def paint_osteoradionecrosis(an: Anatomy, rng: np.random.Generator) -> Lesion:
    """Osteoradionecrosis: spongy, permeative change of extensive bone centred on the pterygoid.

    Trabecular bone becomes mottled (lytic holes 35-55 %, sclerotic foci 10-25 %), the cortex gets
    many small permeative defects, sequestra (55 %), extension to the clivus (45 %) and to the
    other side (30 %); a small soft-tissue component only in 40 %. Enhancement heterogeneous
    (60 %) or rim-like; SUVmax 2-6. Overlaps: limited extent (15 %), high uptake SUVmax 6-8.5
    (12 %), a gas pocket or two in the soft-tissue component (20 % of those).
    """
    g = an.grid
    s, side = _side(rng)
    other = "right" if side == "left" else "left"
    overlap = []
    ptery = f"pterygoid_{side}"
    lm = g.centroid_lps(an.masks[ptery]) - g.center
    limited = bool(rng.random() < 0.15)
    if limited:
        overlap.append("limited_extent")
    r_main = rng.uniform(6.0, 8.0, 3) if limited else rng.uniform(10.0, 16.0, 3)
    region = _lumpy(an, lm + rng.uniform(-2, 2, 3), r_main, rng, amp=0.15, scale=6.0)
    to_clivus = bool(not limited and rng.random() < 0.45)
    bilateral = bool(not limited and rng.random() < 0.30)
    if to_clivus:
        cl = _nearest_point(an, an.masks["clivus"], (s * 6.0, 10.0, -2.0))
        region |= _lumpy(an, cl, rng.uniform(7.0, 11.0, 3), rng, amp=0.15, scale=6.0)
    if bilateral:
        lm2 = g.centroid_lps(an.masks[f"pterygoid_{other}"]) - g.center
        region |= _lumpy(an, lm2, rng.uniform(6.0, 11.0, 3), rng, amp=0.15, scale=6.0)
    affected = region & an.masks["bone"]
    trab = affected & an.masks["trabecular"]
    cort = affected & an.masks["cortex"]
    t1m = an.params["t1_muscle"]

    n1 = smooth_noise(g, float(rng.uniform(1.5, 2.5)), rng)
    n2 = smooth_noise(g, 1.5, rng)
    n3 = smooth_noise(g, 3.0, rng)
    f_lytic, f_scl, f_cort = rng.uniform(0.35, 0.55), rng.uniform(0.10, 0.25), rng.uniform(0.25, 0.45)
    lytic = trab & (n1 > np.quantile(n1[trab], 1 - f_lytic)) if trab.any() else trab
    scler = trab & (n1 < np.quantile(n1[trab], f_scl)) if trab.any() else trab
    cort_def = cort & (n2 > np.quantile(n2[cort], 1 - f_cort)) if cort.any() else cort
    holes = lytic | cort_def
    enh = "heterogeneous" if rng.random() < 0.6 else "rim"
    hu_lytic = rng.uniform(-30, 40) + 10 * n3
    if enh == "heterogeneous":
        t1_les = t1m * (0.8 + 1.4 * np.clip(0.5 + 0.35 * n3, 0, 1))
    else:
        t1_les = np.full(g.shape, t1m * rng.uniform(0.6, 0.9), np.float32)
    an.paint(holes, "osteolysis", hu=hu_lytic, t1=t1_les, suv=an.params["suv"]["muscle"])
    an.paint(scler, None, hu=rng.uniform(600, 1000) + 60 * n1, t1=t1m * rng.uniform(0.2, 0.4))

    sequestra = []
    if rng.random() < 0.55:
        cand = np.argwhere(affected & (ndimage.distance_transform_edt(
            an.masks["bone"], sampling=g.sampling_zyx) >= 1.0))
        for _ in range(int(rng.integers(1, 4))):
            if not len(cand):
                break
            c = g.index_to_lps(cand[rng.integers(len(cand))]) - g.center
            r = float(rng.uniform(1.2, 2.3))
            shell = float(rng.uniform(0.8, 1.2))
            rs = r + shell
            d = superellipsoid(g, c, (rs, rs, rs)) * rs  # distance in mm from c (near c)
            core_m = (d < r) & region & an.masks["bone"]
            shell_m = (d >= r) & (d < r + shell) & region & an.masks["bone"]
            an.paint(shell_m, "osteolysis", hu=rng.uniform(15, 40), t1=t1m * 1.2,
                     suv=an.params["suv"]["muscle"])
            an.paint(core_m, "sequestrum", hu=rng.uniform(1000, 1500) + 40 * n1,
                     t1=t1m * 0.08, suv=an.params["suv"]["cortical"])
            sequestra.append({"center_mm": (g.center + c).round(2).tolist(),
                              "radius_mm": round(r, 2)})
    roi = affected.copy()
    soft = np.zeros(g.shape, bool)
    if rng.random() < 0.4:
        c = lm + np.array([-s * 5.0, rng.uniform(-1, 2), rng.uniform(-6, 0)])
        soft = _lumpy(an, c, rng.uniform(3.0, 6.0, 3), rng) & an.masks["soft"] & ~_protected(an)
        if soft.any():
            soft = _largest_component(soft)
            tex = smooth_noise(g, 3.0, rng)
            hu, t1 = _soft_lesion_props(an, rng, (35, 60), (1.3, 2.2), tex)
            an.paint(soft, "lesion", hu=hu, t1=t1)
            roi |= soft
    uptake = np.zeros(g.shape, np.float32)
    uptake[roi] = np.clip(0.65 + 0.3 * n3, 0.2, 1.0)[roi]
    uptake[scler | (an.label == ANATOMY_LABELS["sequestrum"])] *= 0.5
    if enh == "rim":
        # Rim-like enhancement: bright within ~2.5 mm of the edge of the changed region.
        d_edge = ndimage.distance_transform_edt(roi, sampling=g.sampling_zyx)
        rim = roi & (d_edge <= 2.5) & (holes | soft)
        an.t1[rim] = t1m * rng.uniform(1.9, 2.5)
    bubbles = []
    if soft.any() and rng.random() < 0.2:
        vols = np.exp(rng.uniform(np.log(1.0), np.log(15.0), int(rng.integers(1, 3))))
        bubbles = _place_bubbles(an, soft, vols, rng)
        _paint_bubbles(an, bubbles, uptake)
        if bubbles:  # a small soft-tissue component may have no room for gas
            overlap.append("gas_in_soft_tissue")
    high = bool(rng.random() < 0.12)
    if high:
        overlap.append("high_suv")
    suv_target = float(rng.uniform(6.0, 8.5) if high else rng.uniform(2.0, 6.0))

    vols = _bone_volumes(an, affected)
    involved = [b for b in BONES if vols[b] >= 15.0]
    if ptery not in involved:
        involved.insert(0, ptery)
    both = {"pterygoid_left", "pterygoid_right"} <= set(involved)
    bones = {"involved": involved, "eroded": [b for b in involved if vols[b] > 0 and np.any(
                 cort_def & an.masks[b])],
             "cortical_break": bool(cort_def.any()), "cortical_break_pattern": "permeative",
             "spongy": bool(lytic.any()), "bilateral": bool(both),
             "extensive": not limited,
             "spongy_volume_mm3": round(_vol(an, affected), 2),
             "lytic_volume_mm3": round(_vol(an, holes), 2),
             "changed_volume_mm3": vols, "sequestra": sequestra}
    params = {"side": side, "region_radii_mm": np.round(r_main, 2).tolist(),
              "to_clivus": to_clivus, "bilateral_region": bilateral,
              "lytic_fraction": round(float(f_lytic), 3), "sclerotic_fraction": round(float(f_scl), 3),
              "cortical_defect_fraction": round(float(f_cort), 3), "enhancement": enh,
              "soft_tissue_component": bool(soft.any()),
              "soft_tissue_volume_mm3": round(_vol(an, soft), 2), "overlap": overlap}
    return Lesion(roi=roi, uptake=uptake, suv_target=suv_target, bubbles=bubbles, bones=bones,
                  params=params)


# ------------------------------------------------------------------------------ STN
def paint_soft_tissue_necrosis(an: Anatomy, rng: np.random.Generator) -> Lesion:
    """Soft-tissue necrosis: a necrotic cavity with gas bubbles, rim enhancement and rim uptake.

    The cavity sits in the soft tissue of one side (parapharyngeal, prevertebral or lateral
    wall); its rim (1.8-3.5 mm) enhances and takes up FDG, its core does neither. 2-8 gas bubbles
    of 1-200 mm³ (log-uniform, at most 5 % of the cavity each) lie inside it. Overlaps: no or only one tiny bubble (15 %), high
    rim uptake SUVmax 7-11 (20 %).
    """
    g = an.grid
    s, side = _side(rng)
    overlap = []
    sites = {"parapharyngeal": (s * 14.0, 2.0, -11.0), "prevertebral": (s * 5.0, 7.0, -13.0),
             "lateral_wall": (s * 10.0, 1.0, -4.0)}
    site = str(rng.choice(list(sites)))
    r0 = float(rng.uniform(6.0, 12.0))
    semi = np.array([r0 * rng.uniform(0.8, 1.2), r0 * rng.uniform(0.8, 1.2),
                     r0 * rng.uniform(0.9, 1.3)])
    center = np.asarray(sites[site]) + rng.uniform(-2, 2, 3)
    for _attempt in range(6):
        cav = _lumpy(an, center, semi, rng, amp=0.15, scale=6.0) & an.masks["soft"] \
            & ~_protected(an)
        cav = _largest_component(ndimage.binary_opening(cav))
        # Squeezed between bone, air and the carotid the cavity can come out tiny: grow it.
        if _vol(an, cav) >= 600.0:
            break
        semi = semi * 1.25
    d_in = ndimage.distance_transform_edt(cav, sampling=g.sampling_zyx)
    rim_t = float(rng.uniform(1.8, 3.5))
    if not np.any(d_in > rim_t):
        rim_t = float(d_in.max()) * 0.5
    rim = cav & (d_in <= rim_t)
    core = cav & ~rim
    t1m = an.params["t1_muscle"]
    tex = smooth_noise(g, 3.0, rng)
    an.paint(rim, "lesion", hu=rng.uniform(40, 65) + 6 * tex,
             t1=t1m * rng.uniform(2.0, 2.6) * (1 + 0.07 * tex), suv=an.params["suv"]["muscle"])
    an.paint(core, "necrosis_core", hu=rng.uniform(5, 25) + 5 * tex,
             t1=t1m * rng.uniform(0.35, 0.6) * (1 + 0.05 * tex), suv=0.3)
    uptake = np.zeros(g.shape, np.float32)
    uptake[rim] = np.clip(0.8 + 0.2 * tex, 0.4, 1.0)[rim]
    uptake[core] = 0.1

    few = bool(rng.random() < 0.15)
    if few:
        overlap.append("few_or_no_bubbles")
        vols = np.exp(rng.uniform(0.0, np.log(4.0), int(rng.integers(0, 2))))
    else:
        vols = np.exp(rng.uniform(0.0, np.log(200.0), int(rng.integers(2, 9))))
    # A bubble takes at most 5 % of the cavity, so that several fit in a small one.
    vols = np.minimum(vols, max(1.0, 0.05 * _vol(an, cav)))
    bubbles = _place_bubbles(an, cav, vols, rng)
    _paint_bubbles(an, bubbles, uptake)
    high = bool(rng.random() < 0.2)
    if high:
        overlap.append("high_suv")
    suv_target = float(rng.uniform(7.0, 11.0) if high else rng.uniform(3.0, 7.0))
    bones = {"involved": [], "eroded": [], "cortical_break": False,
             "cortical_break_pattern": "none", "spongy": False, "bilateral": False,
             "extensive": False, "changed_volume_mm3": {b: 0.0 for b in BONES}}
    params = {"side": side, "site": site, "cavity_semi_axes_mm": semi.round(2).tolist(),
              "cavity_center_mm": (g.center + center).round(2).tolist(),
              "rim_thickness_mm": round(rim_t, 2), "core_volume_mm3": round(_vol(an, core), 2),
              "enhancement": "rim", "n_bubbles_requested": int(len(vols)),
              "overlap": overlap}
    return Lesion(roi=cav, uptake=uptake, suv_target=suv_target, bubbles=bubbles, bones=bones,
                  params=params)


PAINTERS = {"recurrence": paint_recurrence, "osteoradionecrosis": paint_osteoradionecrosis,
            "soft_tissue_necrosis": paint_soft_tissue_necrosis}
