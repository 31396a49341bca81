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
   * ``bones_involved``: separate bones holding >= ``involved_min_mm3`` of abnormal plus
     missing bone (step 5; missing bone belongs to the nearest bone of this side);
   * ``concentration``: share of the abnormal volume in the most-involved bone;
   * ``centre_mm``: centroid of the abnormal and missing bone; ``landmark_distance_mm`` its
     distance to each given landmark (e.g. the pterygoid); ``centre_bone`` the most-involved bone;
     ``centred_on`` the nearest landmark within 10 mm, else ``"bone <id>"``.

5. **Left-right comparison** (radiologists compare with the other side): the mid-sagittal
   plane is estimated from the symmetry of the dense bone (``midsagittal_plane``) and the CT is
   mirrored through it. *Missing bone* is bone the other side has (its surface envelope,
   mirrored) that is absent here, farther than ``missing_bone_tolerance_mm`` from any bone of
   this side, within ``bone_contact_mm`` of the lesion, and filled with soft tissue
   (``missing_soft_hu`` <= HU < ``bone_hu``): a mass where bone should be, not gas or fluid
   against an intact wall. This finds erosions that cut cleanly through thin, all-cortical
   plates, which the cortical discontinuity cannot see. The texture measures are repeated on
   the mirror image of the zone (``contralateral_spongy_index``): the same patient's normal
   trabecular texture and closing artefacts between neighbouring bones are symmetric.

6. ``pattern`` (rules in order; ``reason`` says which fired, with the numbers):

   a. ``focal_erosion`` when the missing bone is >= ``pattern_min_missing_mm3`` and >=
      ``pattern_mass_fraction`` x the abnormal bone volume (a mass replaced bone, and that loss
      dominates any mottled change around it);
   b. ``diffuse_spongy`` when ``spongy_index >= pattern_min_spongy_index``, the change is
      extensive (``>= pattern_diffuse_volume_mm3`` or >= 3 bones involved) and it exceeds the
      other side's index by ``pattern_min_spongy_excess`` -- or is so extensive (``>=
      pattern_bilateral_volume_mm3``) that the other side may be diseased too (bilateral ORN);
   c. ``focal_erosion`` when the missing bone is >= ``pattern_min_missing_mm3``;
   d. without a usable left-right comparison (oblique grid, no symmetric bone): rule b without
      the excess, then ``focal_erosion`` when ``cortical_discontinuity >=
      pattern_min_discontinuity``;
   e. ``none`` otherwise.
"""

from __future__ import annotations

import numpy as np

from rnpc_radiomics.image import Volume
from rnpc_radiomics.signs._common import (
    ball,
    crop_around,
    ct_roi,
    index_to_lps,
    pad_voxels,
)
from rnpc_radiomics.signs._settings import SignsSettings

__all__ = ["bone_pattern", "midsagittal_plane", "PATTERNS"]

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
# The x index axis must be within ~2.5 degrees of the patient's left-right axis for mirroring.
_AXIS_COS = 0.999
# Below this mirrored dense-bone overlap the image has no usable left-right symmetry.
_MIN_SYMMETRY = 0.3
# At least this share of the analysed bone must have its mirror image inside the image.
_MIN_MIRROR_COVERAGE = 0.5


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
        ``centred_on``, ``landmark_distance_mm``, ``midline_x_mm``, ``symmetry_score``,
        ``missing_bone_volume_mm3``, ``expected_bone_volume_mm3``,
        ``contralateral_spongy_index``, ``contralateral_lytic_fraction`` (``None`` without a
        left-right comparison), ``bones`` (per separate bone). See ``signs/README.md``.

    Raises
    ------
    InputError
        CT not in HU, ROI on another grid, empty, or outside the body.
    """
    s = settings or SignsSettings()
    m = ct_roi(ct, roi)
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


def midsagittal_plane(ct: Volume, *, dense_hu: float = 700.0) -> tuple[int, float] | None:
    """Estimate the mid-sagittal plane from the left-right symmetry of the dense bone.

    The plane is searched among the planes perpendicular to the image's left-right index axis
    at half-voxel steps: mirroring index ``i`` to ``n - i`` for the integer ``n`` that maximises
    the overlap of the dense-bone mask (>= ``dense_hu``) with its mirror image. The overlap of
    every candidate is the autoconvolution of each image row along x, computed by FFT.

    Parameters
    ----------
    ct : Volume
        CT in Hounsfield units.
    dense_hu : float, optional
        Bone used for the symmetry (cortical density: sharp, and the same on both sides).

    Returns
    -------
    (int, float) or None
        ``(n, score)``: voxel ``i`` mirrors to ``n - i``; ``score`` is the fraction of the dense
        bone that lands on dense bone when mirrored (0-1). ``None`` when the index x axis is not
        the patient's left-right axis (oblique or reformatted grid), or when there is no dense
        bone or the best score is below ``_MIN_SYMMETRY`` (no usable symmetry).
    """
    d = np.asarray(ct.direction, dtype=np.float64).reshape(3, 3)
    # Column 0 is the direction of the x index; it must be the LPS x axis (within ~2.5 deg).
    if abs(d[0, 0]) < _AXIS_COS:
        return None
    a = np.asarray(ct.array)
    nx = a.shape[2]
    total = 0.0
    acc = np.zeros(nx + 1, dtype=np.complex128)
    # Rows in chunks of slices so a 512 x 512 x 300 CT never needs one huge FFT buffer.
    for k0 in range(0, a.shape[0], 16):
        b = (a[k0:k0 + 16] >= dense_hu).astype(np.float32)
        cnt = float(b.sum())
        if cnt == 0:
            continue
        total += cnt
        f = np.fft.rfft(b, n=2 * nx, axis=2)
        acc += (f * f).sum(axis=(0, 1))
    if total == 0:
        return None
    conv = np.fft.irfft(acc, n=2 * nx)[: 2 * nx - 1]
    n = int(np.argmax(conv))
    score = float(conv[n]) / total
    if score < _MIN_SYMMETRY:
        return None
    return n, min(score, 1.0)


def _texture(a, env, zone, depth, s: SignsSettings, sp):
    """Interior (>= 1 mm deep), mottled and lytic voxels of the zone of a texture envelope."""
    from scipy import ndimage

    lucent = a < s.lytic_hu
    interior = zone & (depth >= _INTERIOR_MM)
    win = _ball_weights(s.spongy_window_mm, sp)
    num = ndimage.correlate((lucent & env).astype(np.float32), win, mode="constant")
    den = ndimage.correlate(env.astype(np.float32), win, mode="constant")
    lf = np.divide(num, den, out=np.zeros_like(num), where=den > 0)
    mottled = interior & (lf >= _MOTTLE_RANGE[0]) & (lf <= _MOTTLE_RANGE[1])
    return interior, mottled, interior & lucent


def _mirror_crop(ct: Volume, crop, n: int):
    """The CT in the mirror image of ``crop`` (index ``i`` -> ``n - i``) and where it exists."""
    xs = np.arange(crop[2].start, crop[2].stop)
    src = n - xs
    valid_x = (src >= 0) & (src < ct.array.shape[2])
    a = np.asarray(ct.array[crop[0], crop[1]], dtype=np.float32)[:, :, np.clip(src, 0,
                                                                              ct.array.shape[2] - 1)]
    # Outside the image: air, so that nothing there is expected bone (it is flagged invalid).
    a[:, :, ~valid_x] = -1000.0
    return a, np.broadcast_to(valid_x[None, None, :], a.shape)


def _missing_bone(crop, n: int, a, roi, bone, env_s, expected, d_roi, s: SignsSettings, sp):
    """Bone expected from the other side but replaced by soft tissue at the lesion.

    ``expected`` is the contralateral bone's surface envelope mirrored onto the lesion side.
    A voxel is *missing* bone when it is expected bone, lies in the lesion or within
    ``bone_contact_mm`` of it, no bone of this side lies within ``missing_bone_tolerance_mm``
    (left-right differences of shape and position of normal anatomy), and it holds soft tissue
    (``missing_soft_hu`` <= HU < ``bone_hu``): a mass, not gas or a fluid cavity. Voxels where
    both sides are inside the lesion are left out (a midline lesion has no normal side there).
    Returns the missing voxels and the expected bone near the lesion.
    """
    from scipy import ndimage

    present = ndimage.distance_transform_edt(~(bone | env_s), sampling=sp) \
        <= s.missing_bone_tolerance_mm
    near = d_roi <= s.bone_contact_mm
    soft = (a >= s.missing_soft_hu) & (a < s.bone_hu)
    missing = expected & ~present & near & soft
    if missing.any():
        # The ROI mirrored: where the mirror is lesion too, there is no normal side to compare.
        src = n - np.arange(crop[2].start, crop[2].stop)
        ok = (src >= crop[2].start) & (src < crop[2].stop)
        both = np.zeros_like(missing)
        both[:, :, ok] = roi[:, :, src[ok] - crop[2].start]
        missing &= ~both
    return missing, expected & near


def _empty_result() -> dict:
    return {"pattern": "none", "reason": "no bone within the search distance of the lesion",
            "bones_involved": 0, "cortical_discontinuity": 0.0, "lytic_fraction": 0.0,
            "spongy_index": 0.0, "abnormal_bone_volume_mm3": 0.0, "concentration": 0.0,
            "bone_volume_mm3": 0.0, "contact_surface_mm2": 0.0, "centre_mm": None,
            "centre_bone": None, "centred_on": None, "landmark_distance_mm": {},
            "midline_x_mm": None, "symmetry_score": None, "missing_bone_volume_mm3": None,
            "expected_bone_volume_mm3": None, "contralateral_spongy_index": None,
            "contralateral_lytic_fraction": None, "bones": []}


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

    # Left-right comparison: bone the other side has but this side lacks, replaced by a mass.
    plane = midsagittal_plane(ct, dense_hu=s.cortical_hu)
    if plane is not None:
        am, valid_m = _mirror_crop(ct, crop, plane[0])
        # The other side must be imaged: a lesion whose mirror falls mostly outside the field
        # of view has no reference (and must not read as "nothing missing").
        if np.count_nonzero(valid_m[zone]) < _MIN_MIRROR_COVERAGE * zone_n:
            plane = None
    if plane is not None:
        bone_m = _bone_mask(am, s) & valid_m
        expected = _envelope(bone_m, am, s.bone_surface_closing_mm, s, sp) & valid_m
        missing, expected_near = _missing_bone(crop, plane[0], a, roi, bone, env_s, expected,
                                               d_roi, s, sp)
        missing_vol = float(np.count_nonzero(missing)) * vv
        expected_vol = float(np.count_nonzero(expected_near)) * vv
        mid_idx = np.array([0.0, 0.0, plane[0] / 2.0])
        midline_x = float(index_to_lps(ct, mid_idx)[0])
    else:
        missing = np.zeros_like(roi)
        missing_vol, expected_vol, midline_x = None, None, None

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
    interior, mottled, lytic = _texture(a, env, zone, depth, s, sp)
    n_int = int(np.count_nonzero(interior))
    contra_spongy = contra_lytic = None
    if plane is not None:
        # The same texture measures on the mirror image of the zone (the other side's bone):
        # closing artefacts between bones are symmetric, disease mostly is not.
        env_m = _envelope(bone_m, am, s.bone_closing_mm, s, sp) & valid_m
        depth_m = ndimage.distance_transform_edt(env_m, sampling=sp)
        zone_m = env_m & (d_roi <= s.bone_search_mm)
        int_m, mot_m, lyt_m = _texture(am, env_m, zone_m, depth_m, s, sp)
        n_int_m = int(np.count_nonzero(int_m))
        contra_spongy = float(np.count_nonzero(mot_m)) / n_int_m if n_int_m else 0.0
        contra_lytic = float(np.count_nonzero(lyt_m)) / n_int_m if n_int_m else 0.0

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
    # Missing bone belongs to the nearest bone of this side (the one it was cut from).
    miss_lab = np.zeros(nb + 1)
    if missing.any() and nb:
        _, near_idx = ndimage.distance_transform_edt(bones_lab == 0, sampling=sp,
                                                     return_distances=True, return_indices=True)
        lab_near = bones_lab[tuple(near_idx[:, missing])]
        miss_lab = np.bincount(lab_near, minlength=nb + 1) * vv
    zone_per = np.bincount(bones_lab[zone], minlength=nb + 1) * vv
    ab_per = np.bincount(bones_lab[abnormal], minlength=nb + 1) * vv
    int_per = np.bincount(bones_lab[interior], minlength=nb + 1) * vv
    lyt_per = np.bincount(bones_lab[lytic], minlength=nb + 1) * vv
    cont_per = np.bincount(bones_lab[contact], minlength=nb + 1)
    brk_per = np.bincount(bones_lab[broken], minlength=nb + 1)
    bones = []
    for b in range(1, nb + 1):
        if zone_per[b] < s.min_bone_volume_mm3 and ab_per[b] + miss_lab[b] < s.involved_min_mm3:
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
            "missing_volume_mm3": round(float(miss_lab[b]), 2),
            "involved": bool(ab_per[b] + miss_lab[b] >= s.involved_min_mm3),
        })
    # Most-involved first: abnormal plus missing bone (a plate cut clean leaves little abnormal
    # bone behind).
    bones.sort(key=lambda d: -(d["abnormal_volume_mm3"] + d["missing_volume_mm3"]))
    abnormal_vol = float(np.count_nonzero(abnormal)) * vv
    involved = sum(1 for d in bones if d["involved"])
    concentration = (max(d["abnormal_volume_mm3"] for d in bones) / abnormal_vol
                     if bones and abnormal_vol > 0 else 0.0)
    # Documented value 0 when the zone has no interior (only thin bone near the lesion).
    lytic_fraction = float(np.count_nonzero(lytic)) / n_int if n_int else 0.0
    spongy_index = float(np.count_nonzero(mottled)) / n_int if n_int else 0.0

    # The centre counts the missing bone too: a clean cut through a thin plate leaves little
    # abnormal bone behind, the change is where the bone was.
    changed = abnormal | missing
    if changed.any():
        centre = index_to_lps(ct, np.argwhere(changed).mean(axis=0) + off)
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
                            concentration, missing_vol, contra_spongy)
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
        "midline_x_mm": None if midline_x is None else round(midline_x, 2),
        "symmetry_score": None if plane is None else round(plane[1], 4),
        "missing_bone_volume_mm3": None if missing_vol is None else round(missing_vol, 2),
        "expected_bone_volume_mm3": None if expected_vol is None else round(expected_vol, 2),
        "contralateral_spongy_index": (None if contra_spongy is None
                                       else round(contra_spongy, 4)),
        "contralateral_lytic_fraction": (None if contra_lytic is None
                                         else round(contra_lytic, 4)),
        "bones": bones,
    }


def _call(s: SignsSettings, abnormal_vol, discontinuity, spongy, involved, concentration,
          missing_vol=None, contra_spongy=None):
    """The categorical pattern and the rule that produced it.

    ``missing_vol`` and ``contra_spongy`` are ``None`` when the left-right comparison is
    unavailable; the rules then fall back to the one-sided measures (spongy index and extent,
    cortical discontinuity).
    """
    symmetric = missing_vol is not None
    mass = symmetric and missing_vol >= s.pattern_min_missing_mm3
    mass_txt = (f"{missing_vol:.0f} mm3 of bone present on the other side replaced by soft "
                f"tissue at the lesion" if symmetric else "")
    # 1. A mass has replaced bone and that loss dominates the bone change: focal erosion, even
    #    when the bone around it is mottled (a recurrence with reactive change).
    if mass and missing_vol >= s.pattern_mass_fraction * abnormal_vol:
        return "focal_erosion", (f"{mass_txt} (>= {s.pattern_min_missing_mm3:g}, >= "
                                 f"{s.pattern_mass_fraction:g} x {abnormal_vol:.0f} mm3 abnormal "
                                 f"bone), cortical discontinuity {discontinuity:.3f}")
    # 2. Extensive spongy change, beyond the other side's (the same patient's normal texture)
    #    unless it is so extensive that the other side is likely diseased as well.
    extensive = abnormal_vol >= s.pattern_diffuse_volume_mm3 or involved >= _DIFFUSE_MIN_BONES
    excess = None if contra_spongy is None else spongy - contra_spongy
    beyond = (excess is None or excess >= s.pattern_min_spongy_excess
              or abnormal_vol >= s.pattern_bilateral_volume_mm3)
    spongy_txt = (f"spongy index {spongy:.3f}" + ("" if excess is None else
                                                 f" (other side {contra_spongy:.3f})"))
    if spongy >= s.pattern_min_spongy_index and extensive and beyond:
        return "diffuse_spongy", (f"{spongy_txt} >= {s.pattern_min_spongy_index:g} over "
                                  f"{involved} bone(s), {abnormal_vol:.0f} mm3 abnormal")
    if mass:
        return "focal_erosion", (f"{mass_txt} (>= {s.pattern_min_missing_mm3:g}), cortical "
                                 f"discontinuity {discontinuity:.3f}")
    if not symmetric and discontinuity >= s.pattern_min_discontinuity:
        return "focal_erosion", (f"cortical discontinuity {discontinuity:.3f} >= "
                                 f"{s.pattern_min_discontinuity:g} next to the lesion, "
                                 f"{concentration:.0%} of the change on one bone (no "
                                 f"left-right comparison)")
    if symmetric:
        tail = (f"missing bone {missing_vol:.0f} mm3 < {s.pattern_min_missing_mm3:g} "
                f"(cortical discontinuity {discontinuity:.3f})")
    else:
        tail = (f"cortical discontinuity {discontinuity:.3f} < {s.pattern_min_discontinuity:g} "
                f"(no left-right comparison)")
    if spongy >= s.pattern_min_spongy_index and extensive:
        return "none", (f"{spongy_txt}, extensive, but not beyond the other side's by "
                        f"{s.pattern_min_spongy_excess:g}; {tail}")
    if spongy >= s.pattern_min_spongy_index:
        return "none", (f"{spongy_txt} but limited extent ({abnormal_vol:.0f} mm3, "
                        f"{involved} bone(s)); {tail}")
    return "none", f"{spongy_txt} < {s.pattern_min_spongy_index:g}; {tail}"


def _ball_weights(radius_mm: float, sp, norm: bool = False) -> np.ndarray:
    w = ball(radius_mm, sp).astype(np.float32)
    return w / w.sum() if norm else w
