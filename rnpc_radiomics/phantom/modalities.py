"""Imaging of a painted case: CT, T1-post-contrast MRI and FDG PET.

* **CT**: the HU map blurred by the scanner PSF (FWHM 0.5-0.8 mm in plane, about one slice
  along z), plus slightly correlated Gaussian noise (SD 10-20 HU), rounded to int16.
* **MRI (T1c)**: its own frame of reference. The patient is moved between scans by a rigid
  transform (rotations up to 4 degrees, translations up to 6 mm per axis); the MR grid is axis
  aligned in *its* frame, 0.45-0.55 mm in plane with 3-3.5 mm slices. The signal map is sampled
  through the transform with a 3-point slice profile, multiplied by a smooth bias field
  (+-10-25 %) and given Rician noise (SD 2-4 % of muscle), rounded to integers.
* **PET**: same frame of reference as CT, 3.9-4.1 mm voxels covering the CT box; PSF FWHM
  5-7 mm plus the voxel box, signal-dependent Gaussian noise. The lesion's uptake is scaled so
  that the noise-free SUVmax equals the sampled target. Stored as SUVbw; the activity
  concentration (Bq/ml) of the DICOM series is ``SUV * bqml_per_suv``.
"""

from __future__ import annotations

import datetime as _dt

import numpy as np
from scipy import ndimage

from rnpc_radiomics.image import Volume
from rnpc_radiomics.phantom.anatomy import Anatomy, axes_from_angles
from rnpc_radiomics.phantom.lesions import Lesion

__all__ = ["render_ct", "render_mr", "render_pet", "F18_HALF_LIFE_S"]

F18_HALF_LIFE_S = 6586.2
_FWHM = 2.0 * np.sqrt(2.0 * np.log(2.0))


def _box(an: Anatomy) -> tuple[np.ndarray, np.ndarray]:
    """LPS centre and extent (mm, x y z) of the CT box (voxel centres)."""
    g = an.grid
    ext = (np.array(g.shape[::-1]) - 1) * np.asarray(g.spacing)
    return np.asarray(g.origin) + ext / 2.0, ext


def render_ct(an: Anatomy, rng: np.random.Generator) -> tuple[Volume, dict]:
    """Blur, noise and quantise the HU map; returns the CT Volume (int16 HU) and its parameters."""
    g = an.grid
    sx, _, sz = g.spacing
    fwhm_xy = float(rng.uniform(0.5, 0.8))
    fwhm_z = float(sz * rng.uniform(0.8, 1.1))
    noise_sd = float(rng.uniform(10.0, 20.0))
    img = ndimage.gaussian_filter(an.hu, (fwhm_z / _FWHM / sz, fwhm_xy / _FWHM / sx,
                                          fwhm_xy / _FWHM / sx), mode="nearest")
    # Reconstruction kernels correlate CT noise over a voxel or so.
    noise = ndimage.gaussian_filter(rng.standard_normal(g.shape, dtype=np.float32),
                                    (0.0, 0.6, 0.6))
    noise *= noise_sd / float(noise.std())
    img = np.clip(np.round(img + noise), -1024, 3071).astype(np.int16)
    vol = Volume(img, spacing=g.spacing, origin=tuple(g.origin), direction=np.eye(3),
                 modality="CT", units="HU")
    return vol, {"psf_fwhm_mm": [round(fwhm_xy, 3), round(fwhm_xy, 3), round(fwhm_z, 3)],
                 "noise_sd_hu": round(noise_sd, 3), "noise_correlation_sigma_vox": 0.6}


def mri_transform(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sample the rigid MR->CT transform: rotation (deg, x y z), rotation matrix, translation."""
    rot = rng.uniform(-4.0, 4.0, 3)
    trans = rng.uniform(-6.0, 6.0, 3)
    return rot, axes_from_angles(*rot), trans


def render_mr(an: Anatomy, rng: np.random.Generator) -> tuple[Volume, dict]:
    """Sample the T1c signal map into the MR frame; returns the MR Volume and ``mri_to_ct``."""
    g = an.grid
    rot_deg, r, t = mri_transform(rng)
    sxy = float(np.round(rng.uniform(0.45, 0.55), 3))
    sz = float(rng.choice([3.0, 3.5]))
    sp = np.array([sxy, sxy, sz])
    c_ct, ext = _box(an)
    n = np.floor(ext / sp).astype(int) + 1
    # The MR box has the CT box's centre, seen from the MR frame: p_ct = R p_mr + t.
    c_mr = r.T @ (c_ct - t)
    origin = np.round(c_mr - (n - 1) * sp / 2.0, 3)
    k, j, i = np.meshgrid(np.arange(n[2]), np.arange(n[1]), np.arange(n[0]), indexing="ij")
    mr_xyz = np.stack([origin[0] + i * sp[0], origin[1] + j * sp[1], origin[2] + k * sp[2]], -1)
    signal = np.zeros((n[2], n[1], n[0]), np.float32)
    # Slice profile: three samples across the slice thickness.
    for dz, w in ((-sz / 3.0, 0.25), (0.0, 0.5), (sz / 3.0, 0.25)):
        p_mr = mr_xyz + np.array([0.0, 0.0, dz])
        p_ct = p_mr @ r.T + t
        ijk = (p_ct - np.asarray(g.origin)) / np.asarray(g.spacing)
        coords = [ijk[..., 2].ravel(), ijk[..., 1].ravel(), ijk[..., 0].ravel()]
        signal += w * ndimage.map_coordinates(an.t1, coords, order=1, mode="nearest").reshape(
            signal.shape)
    # Smooth multiplicative bias field over the box (normalised coordinates in [-1, 1]).
    u = [(mr_xyz[..., a] - c_mr[a]) / (ext[a] / 2.0) for a in range(3)]
    coef = rng.uniform(-0.12, 0.12, 6)
    log_b = (coef[0] * u[0] + coef[1] * u[1] + coef[2] * u[2] + coef[3] * u[0] * u[1]
             + coef[4] * (u[0] ** 2 - 0.33) + coef[5] * (u[2] ** 2 - 0.33))
    bias = np.exp(log_b).astype(np.float32)
    sigma = float(rng.uniform(0.02, 0.04)) * an.params["t1_muscle"]
    noisy = np.sqrt((signal * bias + sigma * rng.standard_normal(signal.shape, np.float32)) ** 2
                    + (sigma * rng.standard_normal(signal.shape, np.float32)) ** 2)
    img = np.clip(np.round(noisy), 0, 32767).astype(np.int16)
    vol = Volume(img, spacing=tuple(sp), origin=tuple(origin), direction=np.eye(3),
                 modality="MR", units="arbitrary")
    m = np.eye(4)
    m[:3, :3] = r
    m[:3, 3] = t
    info = {"matrix_4x4": np.round(m, 9).tolist(), "rotation_deg": np.round(rot_deg, 4).tolist(),
            "rotation_convention": "R = Rz @ Ry @ Rx, angles about LPS x, y, z; "
                                   "p_ct = R @ p_mr + t",
            "translation_mm": np.round(t, 4).tolist()}
    params = {"spacing_mm": sp.tolist(), "bias_coefficients": np.round(coef, 4).tolist(),
              "bias_range": [round(float(bias.min()), 3), round(float(bias.max()), 3)],
              "rician_sigma": round(sigma, 3), "slice_profile": "3-point [0.25, 0.5, 0.25]"}
    # Rounding of m (9 decimals) must not change the geometry the truth describes.
    return vol, {"mri_to_ct": info, "params": params}


def render_pet(an: Anatomy, lesion: Lesion, rng: np.random.Generator) -> tuple[Volume, dict]:
    """PET in SUVbw on a 4 mm grid in the CT frame, with the lesion scaled to its SUVmax target."""
    g = an.grid
    sp = float(np.round(rng.uniform(3.9, 4.1), 3))
    spv = np.array([sp, sp, sp])
    c_ct, ext = _box(an)
    n = np.ceil(ext / spv).astype(int) + 1
    origin = np.round(c_ct - (n - 1) * spv / 2.0, 3)
    fwhm = float(rng.uniform(5.0, 7.0))
    sig_mm = np.sqrt((fwhm / _FWHM) ** 2 + sp ** 2 / 12.0)  # PSF and the voxel box
    sig = (sig_mm / g.spacing[2], sig_mm / g.spacing[1], sig_mm / g.spacing[0])
    k, j, i = np.meshgrid(np.arange(n[2]), np.arange(n[1]), np.arange(n[0]), indexing="ij")
    ijk = (np.stack([origin[0] + i * sp, origin[1] + j * sp, origin[2] + k * sp], -1)
           - np.asarray(g.origin)) / np.asarray(g.spacing)
    coords = [ijk[..., 2].ravel(), ijk[..., 1].ravel(), ijk[..., 0].ravel()]
    shape = (int(n[2]), int(n[1]), int(n[0]))

    def sample(a):
        b = ndimage.gaussian_filter(a, sig, mode="nearest", truncate=3.0)
        return ndimage.map_coordinates(b, coords, order=1, mode="nearest").reshape(shape)

    bg = sample(an.suv)
    les = sample(lesion.uptake)
    target = float(lesion.suv_target)
    sel = les > 0.05 * max(float(les.max()), 1e-9)
    scale = 0.0
    if sel.any():
        lo, hi = 0.0, 1.0
        while float(np.max(bg[sel] + hi * les[sel])) < target:
            hi *= 2.0
            if hi > 1e6:
                break
        for _ in range(60):  # max(bg + a les) is increasing in a: bisection
            mid = 0.5 * (lo + hi)
            if float(np.max(bg[sel] + mid * les[sel])) < target:
                lo = mid
            else:
                hi = mid
        scale = 0.5 * (lo + hi)
    clean = (bg + scale * les).astype(np.float32)
    k_noise = float(rng.uniform(0.01, 0.03))
    suv = clean + rng.standard_normal(shape, np.float32) * np.sqrt(np.maximum(clean, 0) * k_noise)
    suv = np.maximum(suv, 0.0).astype(np.float32)
    vol = Volume(suv, spacing=(sp, sp, sp), origin=tuple(origin), direction=np.eye(3),
                 modality="PT", units="SUVbw")

    # SUVmax as a reader would measure it: PET voxels whose centre lies inside the ROI.
    kji = np.rint(np.stack([coords[0], coords[1], coords[2]], -1)).astype(int)
    inside = np.all((kji >= 0) & (kji < np.array(g.shape)), axis=1)
    in_roi = np.zeros(kji.shape[0], bool)
    in_roi[inside] = lesion.roi[kji[inside, 0], kji[inside, 1], kji[inside, 2]]
    in_roi = in_roi.reshape(shape)
    if not in_roi.any():
        in_roi = sel
    suv_max = float(suv[in_roi].max()) if in_roi.any() else float(suv.max())

    weight = float(np.round(rng.uniform(45.0, 85.0), 1))
    dose = float(np.round(weight * 3.7e6 * rng.uniform(0.9, 1.1), -4))
    uptake_s = float(np.round(rng.uniform(50.0, 75.0) * 60.0))
    inj = _dt.datetime(2020, 1, 1, 8, 0, 0) + _dt.timedelta(minutes=int(rng.integers(0, 300)))
    series = inj + _dt.timedelta(seconds=uptake_s)
    bqml_per_suv = dose * 2.0 ** (-uptake_s / F18_HALF_LIFE_S) / (weight * 1000.0)
    info = {"suv_max": round(suv_max, 4), "suv_max_clean": round(float(clean[in_roi].max()), 4)
            if in_roi.any() else None,
            "suv_max_target": round(target, 4),
            "suv_max_definition": "max PET SUV over PET voxels whose centre is inside the ROI "
                                  "(nearest CT voxel)",
            "injected_dose_bq": dose, "weight_kg": weight, "half_life_s": F18_HALF_LIFE_S,
            "radiopharmaceutical": "Fluorodeoxyglucose",
            "injection_datetime": inj.isoformat(), "series_datetime": series.isoformat(),
            "uptake_time_s": uptake_s, "decay_correction": "START",
            "bqml_per_suv": bqml_per_suv, "psf_fwhm_mm": round(fwhm, 3),
            "voxel_mm": sp, "noise_k": round(k_noise, 4), "lesion_scale": round(scale, 4)}
    return vol, info
