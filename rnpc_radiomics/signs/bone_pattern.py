"""HRCT bone pattern near the lesion: focal erosion (recurrence) vs diffuse spongy change (ORN).

Steps (all lengths in mm, so results do not depend on the voxel size):

1. **Bone**: voxels >= ``bone_hu`` whose connected component holds cortical-density voxels
   (>= ``cortical_hu``). The hysteresis keeps enhancing vessels (about 200-300 HU, no cortex) out.
2. **Envelopes**: the bone closed with a physical ball (exact distance-transform closing) plus
   enclosed holes up to ``bone_max_hole_mm3``, minus air. The *texture envelope*
   (``bone_closing_mm``) holds marrow, mottled lucencies and small cortical defects; the
   *surface envelope* (``bone_surface_closing_mm``) follows the outline closely so that a bite
   stays a bite. A bone's sinus is never inside either.
3. **Separate bones**: seeds are the parts of the texture envelope deeper than ``bone_split_mm``;
   every envelope voxel joins the seed it reaches through the thickest bone (watershed on the
   depth), so thin plates go with their root and bones joined by a narrow neck are split.
4. Measured over the texture envelope within ``bone_search_mm`` of the ROI (the *zone*); the
   texture measures use its *interior* (>= 1 mm deep, below cortex and partial volume):

   * ``lytic_fraction``: fraction of the interior below ``lytic_hu`` (bone replaced by soft
     tissue or fat);
   * ``spongy_index``: fraction of the interior that is *mottled*: lucent and bone voxels mixed
     at the millimetre scale (local lucent fraction in a ball of ``spongy_window_mm`` between
     0.15 and 0.85), the permeative "spongy" look of osteoradionecrosis;
   * ``cortical_discontinuity``: of the bone voxels of the surface envelope touching the lesion's
     soft tissue (within ``bone_contact_mm`` of the ROI), the fraction that is broken: no cortical-density
     voxel (>= ``cortical_hu``) among itself and its 6 neighbours (trabecular bone exposed), or
     more than 60 % lesion in a 2 mm ball around it (a cortex end sticking into the lesion);
   * ``abnormal_bone_volume_mm3``: lytic or mottled interior plus broken contact voxels;
   * ``bones_involved``: separate bones holding >= ``involved_min_mm3`` of abnormal bone;
   * ``concentration``: share of the abnormal volume in the most-involved bone;
   * ``centre_mm``: centroid of the abnormal bone; ``landmark_distance_mm`` its distance to each
     given landmark (e.g. the pterygoid); ``centre_bone`` the most-involved bone;
     ``centred_on`` the nearest landmark within 10 mm, else ``"bone <id>"``.

5. ``pattern``: ``diffuse_spongy`` when ``spongy_index >= pattern_min_spongy_index`` and the
   change is extensive (``>= pattern_diffuse_volume_mm3`` or >= 3 bones involved); otherwise
   ``focal_erosion`` when ``cortical_discontinuity >= pattern_min_discontinuity``; otherwise
   ``none``. ``reason`` says which rule fired, with the numbers.
"""

from __future__ import annotations

import numpy as np

from rnpc_radiomics.image import Volume
from rnpc_radiomics.signs._common import (
    ball,
    check_ct_hu,
    check_roi_in_body,
    crop_around,
    index_to_lps,
    pad_voxels,
    roi_mask,
    source,
)
from rnpc_radiomics.signs._settings import SignsSettings

__all__ = ["bone_pattern", "PATTERNS"]

PATTERNS = ("none", "focal_erosion", "diffuse_spongy")
_FULL = np.ones((3, 3, 3), dtype=bool)
# Texture is measured this deep inside the envelope (below the cortex and its partial volume).
_INTERIOR_MM = 1.0
# Local lucent fraction (in a ball of spongy_window_mm) that makes a voxel "mottled": lucency
# and bone mixed at the millimetre scale, neither solid bone nor a single cavity.
_MOTTLE_RANGE = (0.15, 0.85)
# A bone voxel at the lesion with more than this share of lesion soft tissue in a 2 mm ball
# sticks out into the lesion: the broken end of a cortex (plate, sinus wall).
_PROTRUDE_FRACTION = 0.6
# The abnormality is "centred on" a landmark when its centroid lies this close (mm).
_LANDMARK_NEAR_MM = 10.0
# Deep cores smaller than this (mm³) are noise, not the seed of a separate bone.
_MIN_SEED_MM3 = 2.0
# Spongy change over this many separate bones is extensive whatever its volume.
_DIFFUSE_MIN_BONES = 3


def bone_pattern(ct: Volume, roi, *, landmarks=None, settings: SignsSettings | None = None
                 ) -> dict:
    """Measure bone changes next to the lesion and call the pattern.

    Parameters
    ----------
    ct : Volume
        CT in Hounsfield units.
    roi : Volume or ndarray of shape (Z, Y, X)
        Lesion mask on the CT grid.
    landmarks : mapping of str to sequence of 3 float, optional
        Named LPS points (mm), e.g. ``{"pterygoid": [x, y, z]}``; the distance from the centre of
        the abnormal bone to each is reported.
    settings : SignsSettings, optional

    Returns
    -------
    dict
        ``pattern``, ``reason``, ``bones_involved``, ``cortical_discontinuity``,
        ``lytic_fraction``, ``spongy_index``, ``abnormal_bone_volume_mm3``, ``concentration``,
        ``bone_volume_mm3`` (zone), ``contact_surface_mm2``, ``centre_mm``, ``centre_bone``,
        ``centred_on``, ``landmark_distance_mm``, ``bones`` (per separate bone). See
        ``signs/README.md``.

    Raises
    ------
    InputError
        CT not in HU, ROI on another grid, empty, or outside the body.
    """
    s = settings or SignsSettings()
    check_ct_hu(ct)
    m = roi_mask(roi, ct)
    check_roi_in_body(ct, m, source(roi))
    return _bone_pattern(ct, m, s, landmarks)


def _bone_mask(a: np.ndarray, s: SignsSettings) -> np.ndarray:
    """Voxels >= bone_hu in 26-connected components holding cortical-density voxels."""
    from scipy import ndimage

    lab, n = ndimage.label(a >= s.bone_hu, structure=_FULL)
    if n == 0:
        return np.zeros(a.shape, dtype=bool)
    has_cortex = np.zeros(n + 1, dtype=bool)
    has_cortex[np.unique(lab[a >= s.cortical_hu])] = True
    has_cortex[0] = False
    return has_cortex[lab]


def _closing_mm(mask: np.ndarray, r: float, sp) -> np.ndarray:
    """Binary closing with a physical ball of radius ``r`` mm (exact, via distance transforms)."""
    from scipy import ndimage

    if r <= 0:
        return mask.copy()
    dil = ndimage.distance_transform_edt(~mask, sampling=sp) <= r
    return (ndimage.distance_transform_edt(dil, sampling=sp) > r) | mask


def _envelope(bone, a, radius_mm, s: SignsSettings, sp) -> np.ndarray:
    """Bone closed by a physical ball, with enclosed holes up to bone_max_hole_mm3, minus air."""
    from scipy import ndimage

    env = _closing_mm(bone, radius_mm, sp)
    holes_lab, nh = ndimage.label(~env)
    if nh:
        sizes = np.bincount(holes_lab.ravel(), minlength=nh + 1) * float(np.prod(sp))
        open_ = np.zeros(nh + 1, dtype=bool)
        for ax in range(3):
            for end in (0, -1):
                open_[np.unique(np.take(holes_lab, end, axis=ax))] = True
        fill = (~open_) & (sizes <= s.bone_max_hole_mm3)
        fill[0] = False
        env |= fill[holes_lab]
    return env & (a >= s.airway_bridge_hu)


def _empty_result() -> dict:
    return {"pattern": "none", "reason": "no bone within the search distance of the lesion",
            "bones_involved": 0, "cortical_discontinuity": 0.0, "lytic_fraction": 0.0,
            "spongy_index": 0.0, "abnormal_bone_volume_mm3": 0.0, "concentration": 0.0,
            "bone_volume_mm3": 0.0, "contact_surface_mm2": 0.0, "centre_mm": None,
            "centre_bone": None, "centred_on": None, "landmark_distance_mm": {}, "bones": []}


def _bone_pattern(ct: Volume, m: np.ndarray, s: SignsSettings, landmarks) -> dict:
    from scipy import ndimage

    sp = tuple(float(v) for v in ct.spacing_zyx)
    vv = ct.voxel_volume
    crop = crop_around(m, pad_voxels(s.bone_search_mm + s.bone_closing_mm + 2.0, sp))
    off = np.array([c.start for c in crop], dtype=np.float64)
    a = np.asarray(ct.array[crop], dtype=np.float32)
    roi = m[crop]

    # 1. bone by hysteresis: dense components that contain cortex.
    bone = _bone_mask(a, s)
    if not bone.any():
        return _empty_result()

    # 2. envelopes: closing + bounded hole filling, never air. The texture envelope (closing
    #    bone_closing_mm) holds mottled lucencies; the surface envelope (bone_surface_closing_mm)
    #    follows the outline closely enough that a bite or a defect shows as a break.
    env = _envelope(bone, a, s.bone_closing_mm, s, sp)
    env_s = _envelope(bone, a, s.bone_surface_closing_mm, s, sp)
    d_roi = ndimage.distance_transform_edt(~roi, sampling=sp)
    zone = env & (d_roi <= s.bone_search_mm)
    zone_n = int(np.count_nonzero(zone))
    if zone_n == 0:
        return _empty_result()

    # 3. separate bones: watershed from deep seeds over the envelope depth.
    depth = ndimage.distance_transform_edt(env, sampling=sp)
    seeds, ns = ndimage.label(depth >= s.bone_split_mm, structure=_FULL)
    if ns:
        ssz = np.bincount(seeds.ravel(), minlength=ns + 1) * vv
        keep = ssz >= _MIN_SEED_MM3
        keep[0] = False
        remap = np.zeros(ns + 1, dtype=np.int32)
        remap[keep] = np.arange(1, int(keep.sum()) + 1)
        seeds = remap[seeds]
        ns = int(keep.sum())
    if ns == 0:  # only thin bone: its connected components are the bones
        seeds, ns = ndimage.label(env, structure=_FULL)
        bones_lab = seeds
    else:
        dmax = float(depth.max())
        cost = np.where(env, np.round((dmax - depth) / max(dmax, 1e-6) * 1000.0),
                        65535).astype(np.uint16)
        bones_lab = ndimage.watershed_ift(cost, seeds.astype(np.int32), structure=_FULL)
        bones_lab = np.where(env, bones_lab, 0)

    # 4. measures over the zone; texture measures on its interior (>= 1 mm deep), where
    #    normal bone is trabecular and lucency cannot be partial volume with the outside.
    lucent = a < s.lytic_hu
    interior = zone & (depth >= _INTERIOR_MM)
    n_int = int(np.count_nonzero(interior))
    win = _ball_weights(s.spongy_window_mm, sp)
    num = ndimage.correlate((lucent & env).astype(np.float32), win, mode="constant")
    den = ndimage.correlate(env.astype(np.float32), win, mode="constant")
    lf = np.divide(num, den, out=np.zeros_like(num), where=den > 0)
    mottled = interior & (lf >= _MOTTLE_RANGE[0]) & (lf <= _MOTTLE_RANGE[1])
    lytic = interior & lucent

    # Cortical breaks: bone voxels (>= bone_hu) touching the lesion's soft tissue that are not
    # cortical (trabecular bone exposed) or that stick out into the lesion (the cut end of a
    # plate or wall: mostly lesion around them).
    les_soft = roi & ~env_s
    contact = bone & env_s & ndimage.binary_dilation(les_soft) & (d_roi <= s.bone_contact_mm)
    six = ndimage.generate_binary_structure(3, 1)
    cort_near = ndimage.maximum_filter(np.where(env_s, a, -np.inf), footprint=six) >= s.cortical_hu
    around = ndimage.correlate(les_soft.astype(np.float32), _ball_weights(2.0, sp, norm=True),
                               mode="constant")
    broken = contact & (~cort_near | (around > _PROTRUDE_FRACTION))
    n_contact = int(np.count_nonzero(contact))
    discontinuity = float(np.count_nonzero(broken)) / n_contact if n_contact else 0.0
    # Abnormal bone: lytic or mottled interior, and the broken cortex at the lesion.
    abnormal = lytic | mottled | (broken & (bones_lab > 0))
    face = vv ** (2.0 / 3.0)

    nb = int(bones_lab.max())
    zone_per = np.bincount(bones_lab[zone], minlength=nb + 1) * vv
    ab_per = np.bincount(bones_lab[abnormal], minlength=nb + 1) * vv
    int_per = np.bincount(bones_lab[interior], minlength=nb + 1) * vv
    lyt_per = np.bincount(bones_lab[lytic], minlength=nb + 1) * vv
    cont_per = np.bincount(bones_lab[contact], minlength=nb + 1)
    brk_per = np.bincount(bones_lab[broken], minlength=nb + 1)
    bones = []
    for b in range(1, nb + 1):
        if zone_per[b] < s.min_bone_volume_mm3 and ab_per[b] < s.involved_min_mm3:
            continue
        kji = np.argwhere(zone & (bones_lab == b))
        if not len(kji):
            continue
        bones.append({
            "id": b,
            "centroid_mm": [round(float(v), 2) for v in index_to_lps(ct, kji.mean(axis=0) + off)],
            "zone_volume_mm3": round(float(zone_per[b]), 2),
            "abnormal_volume_mm3": round(float(ab_per[b]), 2),
            "lytic_fraction": round(float(lyt_per[b] / int_per[b]), 4) if int_per[b] else 0.0,
            "cortical_discontinuity": (round(float(brk_per[b] / cont_per[b]), 4)
                                       if cont_per[b] else 0.0),
            "involved": bool(ab_per[b] >= s.involved_min_mm3),
        })
    bones.sort(key=lambda d: -d["abnormal_volume_mm3"])
    abnormal_vol = float(np.count_nonzero(abnormal)) * vv
    involved = sum(1 for d in bones if d["involved"])
    concentration = (bones[0]["abnormal_volume_mm3"] / abnormal_vol
                     if bones and abnormal_vol > 0 else 0.0)
    # Documented value 0 when the zone has no interior (only thin bone near the lesion).
    lytic_fraction = float(np.count_nonzero(lytic)) / n_int if n_int else 0.0
    spongy_index = float(np.count_nonzero(mottled)) / n_int if n_int else 0.0

    if abnormal.any():
        centre = index_to_lps(ct, np.argwhere(abnormal).mean(axis=0) + off)
        centre_mm = [round(float(v), 2) for v in centre]
    else:
        centre, centre_mm = None, None
    land = {}
    for name, xyz in (landmarks or {}).items():
        if centre is not None:
            land[str(name)] = round(float(np.linalg.norm(centre - np.asarray(xyz, float))), 2)

    centre_bone = bones[0]["id"] if bones and bones[0]["involved"] else None
    near = [(d, k) for k, d in land.items() if d <= _LANDMARK_NEAR_MM]
    if near:
        centred_on = min(near)[1]
    else:
        centred_on = f"bone {centre_bone}" if centre_bone is not None else None

    pattern, reason = _call(s, abnormal_vol, discontinuity, spongy_index, involved,
                            concentration)
    return {
        "pattern": pattern,
        "reason": reason,
        "bones_involved": int(involved),
        "cortical_discontinuity": round(discontinuity, 4),
        "lytic_fraction": round(lytic_fraction, 4),
        "spongy_index": round(spongy_index, 4),
        "abnormal_bone_volume_mm3": round(abnormal_vol, 2),
        "concentration": round(float(concentration), 4),
        "bone_volume_mm3": round(zone_n * vv, 2),
        "contact_surface_mm2": round(n_contact * face, 2),
        "centre_mm": centre_mm,
        "centre_bone": centre_bone,
        "centred_on": centred_on,
        "landmark_distance_mm": land,
        "bones": bones,
    }


def _call(s: SignsSettings, abnormal_vol, discontinuity, spongy, involved, concentration):
    """The categorical pattern and the rule that produced it."""
    extensive = abnormal_vol >= s.pattern_diffuse_volume_mm3 or involved >= _DIFFUSE_MIN_BONES
    if spongy >= s.pattern_min_spongy_index and extensive:
        return "diffuse_spongy", (f"spongy index {spongy:.3f} >= {s.pattern_min_spongy_index:g} "
                                  f"over {involved} bone(s), {abnormal_vol:.0f} mm3 abnormal")
    if discontinuity >= s.pattern_min_discontinuity:
        return "focal_erosion", (f"cortical discontinuity {discontinuity:.3f} >= "
                                 f"{s.pattern_min_discontinuity:g} next to the lesion, "
                                 f"{concentration:.0%} of the change on one bone")
    if spongy >= s.pattern_min_spongy_index:
        return "none", (f"spongy index {spongy:.3f} but limited extent ({abnormal_vol:.0f} mm3, "
                        f"{involved} bone(s)) and cortical discontinuity {discontinuity:.3f} < "
                        f"{s.pattern_min_discontinuity:g}")
    return "none", (f"spongy index {spongy:.3f} < {s.pattern_min_spongy_index:g} and cortical "
                    f"discontinuity {discontinuity:.3f} < {s.pattern_min_discontinuity:g}")


def _ball_weights(radius_mm: float, sp, norm: bool = False) -> np.ndarray:
    w = ball(radius_mm, sp).astype(np.float32)
    return w / w.sum() if norm else w
