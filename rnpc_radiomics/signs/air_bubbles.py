"""Air-bubble sign: gas pockets in the soft tissue of and around the lesion.

Gas inside a post-radiation lesion (without a connection to the airway) is a sign of soft-tissue
necrosis. The detector:

1. crops the CT to the ROI grown by ``bubble_margin_mm + bubble_context_mm``;
2. labels gas, voxels below ``gas_threshold_hu`` (-400 HU: below fat, and still reached by
   partial-volume voxels of small pockets), with 26-connectivity;
3. discards every gas component that touches the crop border inside the image (it extends at
   least ``bubble_context_mm`` beyond the search region: airway, sinus, outside air) or is larger
   than ``bubble_max_volume_mm3``, and every component joined to those through voxels below
   ``airway_bridge_hu`` (partial-volume necks between a pocket and the airway);
4. keeps components that reach the search region (ROI dilated by ``bubble_margin_mm``), whose
   wall is not mostly bone (sinus/air cells), and whose partial-volume-corrected volume lies within
   ``[bubble_min_volume_mm3, bubble_max_volume_mm3]``.

Fat (about -100 HU) is never below the gas threshold nor the bridge threshold, so it is never
counted and never joins a pocket to the airway.
"""

from __future__ import annotations

import numpy as np

from rnpc_radiomics.image import Volume
from rnpc_radiomics.signs._common import (
    crop_around,
    ct_roi,
    index_to_lps,
    pad_voxels,
    signed_distance,
)
from rnpc_radiomics.signs._settings import SignsSettings

__all__ = ["find_air_bubbles"]

_FULL = np.ones((3, 3, 3), dtype=bool)
# Thickness (mm) of the wall examined around a pocket: bone here means a sinus / air cell.
_WALL_MM = 1.0
# Reference soft-tissue HU when a pocket has no tissue around it to measure.
_SOFT_TISSUE_HU = 40.0


def find_air_bubbles(ct: Volume, roi, *, settings: SignsSettings | None = None) -> dict:
    """Find gas pockets in and around the lesion, never counting airway, sinus or outside air.

    Parameters
    ----------
    ct : Volume
        CT in Hounsfield units.
    roi : Volume or ndarray of shape (Z, Y, X)
        Lesion mask on the CT grid (non-zero = lesion).
    settings : SignsSettings, optional
        Thresholds and bounds; defaults when None.

    Returns
    -------
    dict
        ``count``, ``total_volume_mm3``, ``largest_volume_mm3``, ``bubbles`` (list of
        ``centroid_mm`` [x, y, z] LPS, ``volume_mm3``, ``min_hu``, ``distance_to_roi_mm``,
        ``inside_roi``) sorted by decreasing volume, and ``excluded`` (counts of gas components
        near the lesion that were rejected, by reason). See ``signs/README.md``.

    Raises
    ------
    InputError
        CT not in HU, ROI on another grid, empty, or outside the body.
    """
    s = settings or SignsSettings()
    m = ct_roi(ct, roi)
    return _air_bubbles(ct, m, s)


def _air_bubbles(ct: Volume, m: np.ndarray, s: SignsSettings) -> dict:
    from scipy import ndimage

    sp = tuple(float(v) for v in ct.spacing_zyx)
    vv = ct.voxel_volume
    crop = crop_around(m, pad_voxels(s.bubble_margin_mm + s.bubble_context_mm, sp))
    off = np.array([c.start for c in crop], dtype=np.float64)
    a = np.asarray(ct.array[crop], dtype=np.float32)
    roi = m[crop]
    sdf = signed_distance(roi, sp)
    search = sdf <= s.bubble_margin_mm

    result = {"count": 0, "total_volume_mm3": 0.0, "largest_volume_mm3": 0.0, "bubbles": [],
              "excluded": {"connected_air": 0, "bone_walled": 0, "outside_volume_bounds": 0}}
    gas = a < s.gas_threshold_hu
    lab, n = ndimage.label(gas, structure=_FULL)
    if n == 0:
        return result
    counts = np.bincount(lab.ravel(), minlength=n + 1)
    # Crop faces inside the image: gas reaching them extends bubble_context_mm beyond the search
    # region, a channel. Faces on the image edge say nothing (the scan just ends there): gas cut
    # by the field of view is judged by size, wall and bridges like any other pocket.
    border = np.zeros(n + 1, dtype=bool)
    for ax in range(3):
        if crop[ax].start > 0:
            border[np.unique(np.take(lab, 0, axis=ax))] = True
        if crop[ax].stop < ct.shape[ax]:
            border[np.unique(np.take(lab, -1, axis=ax))] = True
    channel = border | (counts * vv > s.bubble_max_volume_mm3)
    channel[0] = False
    in_search = np.zeros(n + 1, dtype=bool)
    in_search[np.unique(lab[search & gas])] = True
    in_search[0] = False

    # Pockets joined to a channel through partial-volume voxels belong to that channel.
    lab2, n2 = ndimage.label(a < s.airway_bridge_hu, structure=_FULL)
    bridged = np.zeros(n2 + 1, dtype=bool)
    bridged[np.unique(lab2[channel[lab]])] = True
    bridged[0] = False
    comp_to_lab2 = np.zeros(n + 1, dtype=np.int64)
    comp_to_lab2[lab.ravel()] = lab2.ravel()  # gas ⊂ loose gas: one lab2 label per component
    joined = channel | bridged[comp_to_lab2]
    # Pockets within airway_gap_mm of channel gas are remnants of that channel cut off at this
    # resolution (e.g. airway air trapped one slice away by a mass), not bubbles: at 1-1.25 mm
    # slices such a gap is a partial-volume septum, and counting airway air is the worse error.
    if s.airway_gap_mm > 0 and joined.any():
        near = np.zeros(n + 1, dtype=bool)
        open_ = np.nonzero(in_search & ~joined)[0]
        if open_.size:
            dist_channel = ndimage.distance_transform_edt(~joined[lab], sampling=sp)
            gap = ndimage.minimum(dist_channel, lab, index=open_)
            near[open_[np.asarray(gap) <= s.airway_gap_mm]] = True
        joined = joined | near
    result["excluded"]["connected_air"] = int(np.count_nonzero(in_search & joined))

    candidates = np.nonzero(in_search & ~joined)[0]
    objs = ndimage.find_objects(lab)
    pad = pad_voxels(_WALL_MM + 1.0, sp)
    bubbles = []
    for c in candidates:
        sl = tuple(slice(max(o.start - pad[ax], 0), min(o.stop + pad[ax], dim))
                   for ax, (o, dim) in enumerate(zip(objs[c - 1], a.shape)))
        sub_a = a[sl]
        comp = lab[sl] == c
        dist = ndimage.distance_transform_edt(~comp, sampling=sp)
        d1 = ndimage.binary_dilation(comp, structure=_FULL)
        # The wall: what lies within _WALL_MM of the pocket (gas excluded).
        wall = (dist > 0) & (dist <= _WALL_MM) & (sub_a >= s.airway_bridge_hu)
        if wall.any() and np.mean(sub_a[wall] >= s.bone_hu) > s.bubble_max_bone_wall_fraction:
            result["excluded"]["bone_walled"] += 1
            continue
        # Reference tissue just beyond the partial-volume shell, for the gas fraction.
        tissue = (~d1 & (dist <= _WALL_MM + 1.0) & (sub_a >= s.airway_bridge_hu)
                  & (sub_a < s.bone_hu))
        ref = float(np.median(sub_a[tissue])) if tissue.any() else _SOFT_TISSUE_HU
        # Partial-volume gas fraction of the pocket and its one-voxel shell.
        region = d1
        frac = np.clip((ref - sub_a[region]) / (ref - s.air_hu), 0.0, 1.0)
        vol = float(frac.sum()) * vv
        if not s.bubble_min_volume_mm3 <= vol <= s.bubble_max_volume_mm3:
            result["excluded"]["outside_volume_bounds"] += 1
            continue
        kji = np.argwhere(region).astype(np.float64)
        cen_sub = (kji * frac[:, None]).sum(axis=0) / frac.sum()
        cen_crop = cen_sub + np.array([q.start for q in sl], dtype=np.float64)
        dist = float(ndimage.map_coordinates(sdf, cen_crop[:, None], order=1, mode="nearest")[0])
        xyz = index_to_lps(ct, cen_crop + off)
        bubbles.append({
            "centroid_mm": [round(float(v), 3) for v in xyz],
            "volume_mm3": round(vol, 3),
            "min_hu": round(float(sub_a[comp].min()), 1),
            "distance_to_roi_mm": round(dist, 3),
            "inside_roi": bool(dist < 0),
        })
    bubbles.sort(key=lambda b: -b["volume_mm3"])
    result["bubbles"] = bubbles
    result["count"] = len(bubbles)
    result["total_volume_mm3"] = round(float(sum(b["volume_mm3"] for b in bubbles)), 3)
    result["largest_volume_mm3"] = bubbles[0]["volume_mm3"] if bubbles else 0.0
    return result
