"""Clinical imaging signs of recurrence vs post-radiation necrosis, as measured features.

* :mod:`~rnpc_radiomics.signs.air_bubbles`  gas pockets in the lesion (soft-tissue necrosis)
* :mod:`~rnpc_radiomics.signs.bone_pattern` focal erosion (recurrence) vs spongy bone (ORN)
* :mod:`~rnpc_radiomics.signs.mri_enhancement` solid vs rim enhancement, ADC
* :mod:`~rnpc_radiomics.signs.pet_uptake` SUVmax, SUVpeak, SUVmean, MTV, TLG

:func:`measure_signs` runs them on one case and returns the nested dict that the report shows;
:func:`flatten_signs` turns it into the flat ``sign_*`` columns of the classifier. Every field is
documented in ``rnpc_radiomics/signs/README.md``. This package works on
:class:`~rnpc_radiomics.image.Volume` objects and arrays only (no file reading).
"""

from __future__ import annotations

from collections.abc import Mapping

from rnpc_radiomics.signs._settings import SignsSettings

# The sub-measures share their module's name; importing them here binds the package attribute to
# the function. The modules import scipy lazily, so this stays cheap (numpy only).
from rnpc_radiomics.signs.air_bubbles import find_air_bubbles
from rnpc_radiomics.signs.bone_pattern import bone_pattern
from rnpc_radiomics.signs.mri_enhancement import mri_enhancement
from rnpc_radiomics.signs.pet_uptake import pet_uptake

__all__ = ["measure_signs", "flatten_signs", "SignsSettings", "find_air_bubbles",
           "bone_pattern", "mri_enhancement", "pet_uptake"]


def _settings(settings) -> SignsSettings:
    if settings is None:
        return SignsSettings()
    if isinstance(settings, SignsSettings):
        return settings
    if isinstance(settings, Mapping):
        return SignsSettings.from_dict(settings)
    raise TypeError("settings must be SignsSettings, a mapping or None, not "
                    f"{type(settings).__name__}")


def measure_signs(ct, roi, *, t1c=None, pet=None, t1c_mask=None, mr_to_ct=None, t2=None,
                  adc=None, landmarks=None, settings=None) -> dict:
    """Measure every imaging sign available for one case.

    Parameters
    ----------
    ct : Volume
        CT in Hounsfield units.
    roi : Volume or ndarray of shape (Z, Y, X)
        Lesion mask on the CT grid.
    t1c : Volume, optional
        T1-weighted post-contrast MRI, on its own grid and possibly in its own frame.
    pet : Volume, optional
        PET in SUV, in the CT's frame of reference (PET-CT).
    t1c_mask : Volume or ndarray, optional
        Lesion mask on the T1c grid (preferred over mapping the CT ROI).
    mr_to_ct : array-like of shape (4, 4), optional
        Maps MR LPS mm to CT LPS mm; used to map the CT ROI onto the T1c grid.
    t2, adc : Volume, optional
        T2-weighted image and ADC map of the MR session.
    landmarks : mapping of str to sequence of 3 float, optional
        Named LPS points, e.g. ``{"pterygoid": [x, y, z]}``, for the bone-pattern centre.
    settings : SignsSettings or mapping, optional
        Thresholds; defaults when None.

    Returns
    -------
    dict
        ``{"air_bubbles": {...}, "bone": {...}, "mri": {...}, "pet": {...}}``; ``mri`` and
        ``pet`` are present only when those images are given.

    Raises
    ------
    InputError
        CT not in HU, empty ROI, ROI outside the body, ROI on another grid, PET not in SUV,
        MRI that cannot be matched to the ROI, bad transform or settings.
    """
    from rnpc_radiomics.signs._common import ct_roi
    from rnpc_radiomics.signs.air_bubbles import _air_bubbles
    from rnpc_radiomics.signs.bone_pattern import _bone_pattern

    s = _settings(settings)
    m = ct_roi(ct, roi)
    out = {"air_bubbles": _air_bubbles(ct, m, s), "bone": _bone_pattern(ct, m, s, landmarks)}
    if t1c is not None:
        out["mri"] = mri_enhancement(t1c, m, roi_grid=ct, t1c_mask=t1c_mask, mr_to_ct=mr_to_ct,
                                     t2=t2, adc=adc, settings=s)
    if pet is not None:
        out["pet"] = pet_uptake(pet, m, roi_grid=ct, settings=s)
    return out


_BONE_KEYS = ("bones_involved", "cortical_discontinuity", "lytic_fraction", "spongy_index",
              "abnormal_bone_volume_mm3", "concentration", "missing_bone_volume_mm3",
              "contralateral_spongy_index")
_MRI_KEYS = ("core_to_rim_ratio", "nonenhancing_fraction", "heterogeneity_cv",
             "heterogeneity_qcd", "adc_mean", "adc_p10", "t2_mean", "t2_cv")
_PET_KEYS = ("suv_max", "suv_peak", "suv_mean", "mtv_ml", "tlg", "mtv41_ml", "tlg41")


def _num(v) -> float:
    """A measure as a column value; ``None`` (not measurable here, e.g. no contralateral side
    imaged) becomes NaN, a missing value for the classifier's imputer, never a fake 0."""
    return float("nan") if v is None else float(v)


def flatten_signs(d: Mapping) -> dict[str, float]:
    """The flat ``sign_*`` feature columns of a :func:`measure_signs` result.

    Sections that are absent give no columns (never zeros); categorical calls become 0/1
    indicator columns. The column list is in ``signs/README.md``.

    Parameters
    ----------
    d : mapping
        The dict returned by :func:`measure_signs` (or its JSON).

    Returns
    -------
    dict of str to float
    """
    out: dict[str, float] = {}
    air = d.get("air_bubbles")
    if air is not None:
        bubbles = air.get("bubbles", [])
        out["sign_air_bubble_count"] = float(air["count"])
        out["sign_air_bubble_total_volume_mm3"] = float(air["total_volume_mm3"])
        out["sign_air_bubble_largest_volume_mm3"] = float(air.get("largest_volume_mm3", 0.0))
        out["sign_air_bubble_inside_roi_count"] = float(sum(1 for b in bubbles
                                                            if b.get("inside_roi")))
    bone = d.get("bone")
    if bone is not None:
        out["sign_bone_focal_erosion"] = float(bone["pattern"] == "focal_erosion")
        out["sign_bone_diffuse_spongy"] = float(bone["pattern"] == "diffuse_spongy")
        for k in _BONE_KEYS:
            if k in bone:
                out[f"sign_bone_{k}"] = _num(bone[k])
    mri = d.get("mri")
    if mri is not None:
        out["sign_mri_rim_enhancement"] = float(mri["enhancement_pattern"] == "rim")
        for k in _MRI_KEYS:
            if k in mri:
                out[f"sign_mri_{k}"] = _num(mri[k])
    pet = d.get("pet")
    if pet is not None:
        for k in _PET_KEYS:
            if k in pet:
                out[f"sign_pet_{k}"] = float(pet[k])
    return out
