"""Skull-base / nasopharynx anatomy of one synthetic case, painted on the CT grid.

Everything here is built on the CT voxel grid (the "truth grid"): implicit shapes (super-
ellipsoids, slabs, cylinders) are evaluated on the LPS coordinates of the voxel centres and painted
into three property maps (CT attenuation in HU, T1-post-contrast signal, FDG uptake in SUV) and one
label map. The modalities (:mod:`.modalities`) then blur, resample and add noise.

Coordinates inside this module are millimetres **relative to the anatomy centre** (the middle of
the nasopharynx region) in LPS orientation: +x = patient left, +y = posterior, +z = superior. The
CT grid is axis aligned (direction = identity), so the coordinates are separable and shapes are
evaluated with broadcasting ``(Z, 1, 1) x (1, Y, 1) x (1, 1, X)`` instead of full meshgrids.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage

__all__ = ["ANATOMY_LABELS", "BONES", "Grid", "Anatomy", "make_ct_grid", "build_anatomy",
           "superellipsoid", "smooth_noise", "axes_from_angles"]

# uint8 label map values (0 is never used, so a zero means "not painted").
ANATOMY_LABELS: dict[str, int] = {
    "muscle": 1, "fat": 2, "mucosa": 3, "airway": 4, "sinus_air": 5,
    "pterygoid_left": 6, "pterygoid_right": 7, "sphenoid": 8, "clivus": 9,
    "ica_left": 10, "ica_right": 11,
    "lesion": 12, "necrosis_core": 13, "bubble": 14, "osteolysis": 15, "sequestrum": 16,
}
BONES = ("pterygoid_left", "pterygoid_right", "sphenoid", "clivus")
SOFT_TISSUE_LABELS = ("muscle", "fat", "mucosa")

# Field of view around the anatomy centre (mm): small on purpose so that a case stays ~1-3 MB.
FOV_X = (-30.0, 30.0)
FOV_Y = (-28.0, 28.0)
FOV_Z = (-22.0, 18.0)


@dataclass
class Grid:
    """An axis-aligned voxel grid and the LPS coordinates of its voxel centres.

    Attributes
    ----------
    shape : tuple of int
        ``(Z, Y, X)``.
    spacing : tuple of float
        ``(x, y, z)`` mm, ITK order.
    origin : ndarray of shape (3,)
        LPS mm of voxel ``[0, 0, 0]``.
    center : ndarray of shape (3,)
        LPS mm of the anatomy centre; ``x, y, z`` are relative to it.
    x, y, z : ndarray
        Broadcastable coordinates relative to ``center``: shapes ``(1, 1, X)``, ``(1, Y, 1)``,
        ``(Z, 1, 1)``.
    """

    shape: tuple[int, int, int]
    spacing: tuple[float, float, float]
    origin: np.ndarray
    center: np.ndarray
    x: np.ndarray = field(init=False, repr=False)
    y: np.ndarray = field(init=False, repr=False)
    z: np.ndarray = field(init=False, repr=False)

    def __post_init__(self):
        nz, ny, nx = self.shape
        sx, sy, sz = self.spacing
        o = np.asarray(self.origin, float) - np.asarray(self.center, float)
        self.x = (o[0] + sx * np.arange(nx, dtype=np.float32)).reshape(1, 1, nx)
        self.y = (o[1] + sy * np.arange(ny, dtype=np.float32)).reshape(1, ny, 1)
        self.z = (o[2] + sz * np.arange(nz, dtype=np.float32)).reshape(nz, 1, 1)

    @property
    def sampling_zyx(self) -> tuple[float, float, float]:
        """Spacing in array order, for ``ndimage`` calls."""
        return (self.spacing[2], self.spacing[1], self.spacing[0])

    @property
    def voxel_volume(self) -> float:
        """mm³ per voxel."""
        return float(np.prod(self.spacing))

    def to_lps(self, rel) -> np.ndarray:
        """Absolute LPS mm of points given relative to the anatomy centre."""
        return np.asarray(rel, float) + self.center

    def index_to_lps(self, kji) -> np.ndarray:
        """Absolute LPS mm of array indices ``(..., 3)`` in ``(k, j, i)`` order."""
        kji = np.asarray(kji, float)
        ijk = kji[..., ::-1]
        return np.asarray(self.origin) + ijk * np.asarray(self.spacing)

    def centroid_lps(self, mask: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        """LPS centroid (mm) of a mask (optionally weighted, e.g. partial-volume occupancy)."""
        if weights is None:
            idx = np.argwhere(mask)
            return self.index_to_lps(idx.mean(axis=0))
        w = np.where(mask, weights, 0).astype(np.float64)
        tot = w.sum()
        k, j, i = np.indices(self.shape, sparse=True)
        kji = np.array([(w * k).sum(), (w * j).sum(), (w * i).sum()]) / tot
        return self.index_to_lps(kji)


def make_ct_grid(rng: np.random.Generator) -> tuple[Grid, dict]:
    """Sample a CT grid (0.40-0.50 mm in plane, 1.0 or 1.25 mm slices) around a random centre."""
    sxy = float(np.round(rng.uniform(0.40, 0.50), 4))
    sz = float(rng.choice([1.0, 1.25]))
    # A realistic table position for the skull base, jittered per case.
    center = np.array([rng.uniform(-6, 6), rng.uniform(-20, 0), rng.uniform(-60, -30)])
    lo = np.array([FOV_X[0], FOV_Y[0], FOV_Z[0]])
    hi = np.array([FOV_X[1], FOV_Y[1], FOV_Z[1]])
    sp = np.array([sxy, sxy, sz])
    n = np.floor((hi - lo) / sp).astype(int) + 1
    origin = np.round(center + lo, 3)
    grid = Grid(shape=(int(n[2]), int(n[1]), int(n[0])), spacing=(sxy, sxy, sz),
                origin=origin, center=center)
    return grid, {"spacing_mm": [sxy, sxy, sz], "shape_zyx": list(grid.shape),
                  "anatomy_center_mm": center.round(3).tolist()}


def axes_from_angles(rx: float = 0.0, ry: float = 0.0, rz: float = 0.0) -> np.ndarray:
    """Rotation matrix ``Rz @ Ry @ Rx`` (degrees); columns are the rotated local axes."""
    ax, ay, az = np.deg2rad([rx, ry, rz])
    cx, sx, cy, sy, cz, sz = np.cos(ax), np.sin(ax), np.cos(ay), np.sin(ay), np.cos(az), np.sin(az)
    r_x = np.array([[1, 0, 0], [0, cx, -sx], [0, sx, cx]])
    r_y = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    r_z = np.array([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]])
    return r_z @ r_y @ r_x


def superellipsoid(g: Grid, center, semi, axes: np.ndarray | None = None,
                   power: float = 2.0) -> np.ndarray:
    """Normalised implicit function of a super-ellipsoid: ``< 1`` inside, ``1`` on the surface.

    Parameters
    ----------
    g : Grid
    center : sequence of 3 float
        Centre, mm relative to the anatomy centre.
    semi : sequence of 3 float
        Semi-axes (mm) along the local axes; ``np.inf`` makes an infinite cylinder/slab.
    axes : ndarray of shape (3, 3), optional
        Columns = local axes in LPS (identity when omitted).
    power : float
        2 = ellipsoid; larger = boxier.

    Returns
    -------
    ndarray of shape (Z, Y, X), float32
        Exact inside a bounding box of 1.6 times the semi-axes; 100 outside it.
    """
    a = np.eye(3) if axes is None else np.asarray(axes, float)
    # Evaluate only inside a bounding box (60 % margin, for the lumpy shapes that threshold
    # f at up to ~1.5); outside, f is a large constant.
    semi_f = np.where(np.isfinite(semi), np.asarray(semi, float), 0.0)
    half = 1.6 * np.abs(a) @ semi_f
    half[np.abs(a)[:, ~np.isfinite(semi)].sum(axis=1) > 1e-9] = np.inf
    box = []
    for ax, coord in ((2, g.z[:, 0, 0]), (1, g.y[0, :, 0]), (0, g.x[0, 0, :])):
        lo = np.searchsorted(coord, center[ax] - half[ax], side="left")
        hi = np.searchsorted(coord, center[ax] + half[ax], side="right")
        box.append(slice(int(lo), int(hi)))
    out = np.full(g.shape, 100.0, np.float32)
    if any(b.stop <= b.start for b in box):
        return out
    dz = g.z[box[0]] - np.float32(center[2])
    dy = g.y[:, box[1]] - np.float32(center[1])
    dx = g.x[..., box[2]] - np.float32(center[0])
    acc = None
    for c in range(3):
        if not np.isfinite(semi[c]):
            continue
        loc = (dx * np.float32(a[0, c] / semi[c]) + dy * np.float32(a[1, c] / semi[c])
               + dz * np.float32(a[2, c] / semi[c]))
        term = loc * loc if power == 2 else np.abs(loc) ** np.float32(power)
        acc = term if acc is None else acc + term
    sub = np.sqrt(acc) if power == 2 else acc ** np.float32(1.0 / power)
    out[tuple(box)] = np.broadcast_to(sub, out[tuple(box)].shape)
    return out


def _smooth_weights(n_fine: int, n_coarse: int) -> np.ndarray:
    """Gaussian interpolation weights (n_fine, n_coarse), one coarse cell wide."""
    pos = np.linspace(0.0, n_coarse - 1.0, n_fine)[:, None]
    w = np.exp(-0.5 * (pos - np.arange(n_coarse)[None, :]) ** 2)
    return (w / w.sum(axis=1, keepdims=True)).astype(np.float32)


def smooth_noise(g: Grid, scale_mm: float, rng: np.random.Generator) -> np.ndarray:
    """Band-limited random field with features about ``scale_mm`` across, mean 0 and SD 1.

    White noise on a coarse lattice (spacing ``scale_mm / 2``) is interpolated onto the grid with
    separable Gaussian weights: three small matrix products, far cheaper than blurring
    full-resolution noise with a wide kernel or spline-zooming it.
    """
    if scale_mm < 3.0:
        # Fine textures: the lattice would be as large as the grid, so blur full-resolution
        # white noise instead (same model: white noise smoothed by a Gaussian of scale / 2).
        s = scale_mm / 2.0
        f = ndimage.gaussian_filter(rng.standard_normal(g.shape, dtype=np.float32),
                                    (s / g.spacing[2], s / g.spacing[1], s / g.spacing[0]),
                                    truncate=3.0)
        f -= f.mean()
        sd = f.std()
        return f / (sd if sd > 0 else 1.0)
    ext = np.array(g.shape) * np.array(g.sampling_zyx)
    nc = np.maximum(np.ceil(ext / (scale_mm / 2.0)).astype(int) + 1, 4)
    coarse = rng.standard_normal(tuple(int(v) for v in nc)).astype(np.float32)
    wz, wy, wx = (_smooth_weights(n, c) for n, c in zip(g.shape, nc))
    cz, cy, cx = coarse.shape
    nz, ny, nx = g.shape
    # Plain 2D products (BLAS) with transposes in between.
    f = (coarse.reshape(-1, cx) @ wx.T).reshape(cz, cy, nx)                  # (cz, cy, X)
    f = (wy @ f.transpose(1, 0, 2).reshape(cy, -1)).reshape(ny, cz, nx)      # (Y, cz, X)
    f = (wz @ f.transpose(1, 0, 2).reshape(cz, -1)).reshape(nz, ny, nx)      # (Z, Y, X)
    f -= f.mean()
    sd = f.std()
    return f / (sd if sd > 0 else 1.0)


@dataclass
class Anatomy:
    """Property maps of one case on the CT grid, before imaging.

    Attributes
    ----------
    grid : Grid
    hu, t1, suv : ndarray of shape (Z, Y, X), float32
        Noise-free CT attenuation (HU), T1-post-contrast signal (arbitrary units, muscle about
        ``t1_muscle``) and FDG uptake (SUV) of the background anatomy.
    label : ndarray of shape (Z, Y, X), uint8
        :data:`ANATOMY_LABELS`.
    masks : dict of str to ndarray of bool
        Intermediate masks: ``bone`` (all bone), ``cortex``, ``trabecular``, per-bone masks,
        ``airway``, ``soft`` (soft tissue: muscle/fat/mucosa).
    params : dict
        The sampled tissue and size parameters (go to ``truth["generator"]``).
    """

    grid: Grid
    hu: np.ndarray
    t1: np.ndarray
    suv: np.ndarray
    label: np.ndarray
    masks: dict
    params: dict

    def paint(self, mask: np.ndarray, name: str | None, hu=None, t1=None, suv=None) -> None:
        """Set the label and properties of the voxels in ``mask`` (scalars or arrays)."""
        if name is not None:
            self.label[mask] = ANATOMY_LABELS[name]
        for arr, val in ((self.hu, hu), (self.t1, t1), (self.suv, suv)):
            if val is None:
                continue
            arr[mask] = val[mask] if isinstance(val, np.ndarray) else val

    def bone_mask(self, name: str) -> np.ndarray:
        """Voxels currently labelled as bone ``name``."""
        return self.label == ANATOMY_LABELS[name]


def build_anatomy(g: Grid, rng: np.random.Generator) -> Anatomy:
    """Paint the normal post-treatment skull base of one case (no lesion yet).

    Sizes are the adult values scaled by a per-case factor (0.92-1.08) with a little independent
    jitter per structure, so that no two cases share a geometry.
    """
    u = rng.uniform
    s = float(u(0.92, 1.08))

    def j(v, rel=0.08):  # per-structure size jitter
        return float(v) * s * float(u(1 - rel, 1 + rel))

    t1_muscle = float(u(250, 350))
    p = {
        "scale": s,
        "hu": {"fat": u(-115, -85), "muscle": u(35, 55), "mucosa": u(45, 60),
               "cortical": u(1200, 1800), "trabecular": u(200, 400), "ica": u(180, 320),
               "air": -1000.0},
        "t1_rel": {"fat": u(2.6, 3.2), "muscle": 1.0, "mucosa": u(1.7, 2.2), "air": 0.02,
                   "cortical": u(0.06, 0.15), "marrow": u(1.9, 2.5), "ica": u(2.3, 2.9)},
        "t1_muscle": t1_muscle,
        "suv": {"fat": u(0.25, 0.45), "muscle": u(0.6, 1.0), "mucosa": u(1.5, 2.6),
                "cortical": u(0.25, 0.45), "marrow": u(0.8, 1.3), "ica": u(1.4, 1.9)},
        "cortical_thickness_mm": u(0.9, 1.4),
        "mucosa_thickness_mm": u(2.0, 3.0),
    }
    hu, t1r, suvp = p["hu"], p["t1_rel"], p["suv"]
    shape = g.shape
    an = Anatomy(grid=g,
                 hu=np.full(shape, hu["muscle"], np.float32),
                 t1=np.full(shape, t1_muscle, np.float32),
                 suv=np.full(shape, suvp["muscle"], np.float32),
                 label=np.full(shape, ANATOMY_LABELS["muscle"], np.uint8),
                 masks={}, params=p)

    def paint_t(mask, name, key, t1key=None):
        an.paint(mask, name, hu=hu[key], t1=t1r[t1key or key] * t1_muscle,
                 suv=suvp[key if key in suvp else "muscle"])

    # --- fat: infratemporal/parotid fat laterally and the parapharyngeal fat pads -----------
    lateral_edge = j(27.0, 0.05) + 1.5 * smooth_noise(g, 12.0, rng)
    fat = np.abs(g.x) > lateral_edge
    for side in (1, -1):
        fat |= superellipsoid(g, (side * j(16), j(4), -10), (j(4), j(5), j(10)), power=2.2) < 1
    paint_t(fat, "fat", "fat")
    # --- muscles (longus capitis, medial/lateral pterygoid, veli palatini) -------------------
    for side in (1, -1):
        for c, sm in (((side * 6, 6, -14), (4.5, 4, 9)), ((side * 16, -3, -18), (3.5, 6, 6)),
                      ((side * 25, -5, -4), (4, 8, 5)), ((side * 12, 2, -10), (2.5, 2.5, 7))):
            m = superellipsoid(g, [j(v) for v in c], [j(v) for v in sm]) < 1
            paint_t(m, "muscle", "muscle")
    # --- internal carotid arteries (enhancing) -----------------------------------------------
    ica_r = float(u(2.2, 3.0))
    for side, name in ((1, "ica_left"), (-1, "ica_right")):
        tilt = axes_from_angles(rx=float(u(-10, 10)), ry=side * float(u(0, 8)))
        m = superellipsoid(g, (side * j(22, 0.05), j(11, 0.1), 0.0), (ica_r, ica_r, np.inf),
                           axes=tilt) < 1
        paint_t(m, name, "ica")
        an.masks[name] = m
    p["ica_radius_mm"] = ica_r

    # --- airway (nasopharynx, choanae, lateral recesses), needed before the mucosa ------------
    airway = superellipsoid(g, (0, -j(8), -8), (j(9), j(7), j(11)), power=2.2) < 1
    airway |= superellipsoid(g, (0, -22, -6), (j(8.5), 8, j(7)), power=2.5) < 1
    for side in (1, -1):
        airway |= superellipsoid(g, (side * j(9), -2, -5), (3, j(3), j(5))) < 1

    # --- bones --------------------------------------------------------------------------------
    sphen = superellipsoid(g, (0, 0, j(12, 0.04)), (j(13), j(11), j(7)), power=3) < 1
    sinus = superellipsoid(g, (0, -1, j(13, 0.04)), (j(10, 0.05), j(8, 0.05), j(4.5, 0.05)),
                           power=3) < 1
    # Clivus: a slab running postero-inferiorly from the sphenoid body.
    top, bot = np.array([0, 6, 8.0]) * s, np.array([0, 20, -16.0]) * s
    axis = (bot - top) / np.linalg.norm(bot - top)
    normal = np.cross([1.0, 0, 0], axis)
    clivus_axes = np.column_stack([[1.0, 0, 0], normal, axis])
    clivus = superellipsoid(g, (top + bot) / 2, (j(10), j(4.5), np.linalg.norm(bot - top) / 2),
                            axes=clivus_axes, power=2.5) < 1
    bones = {"sphenoid": sphen & ~sinus, "clivus": clivus & ~sphen}
    for side, name in ((1, "pterygoid_left"), (-1, "pterygoid_right")):
        root = superellipsoid(g, (side * j(14, 0.05), -6, 4), (j(4.5), j(5), j(5)),
                              power=2.5) < 1
        th = np.deg2rad(float(u(5, 15)))
        med_ax = np.column_stack([[np.cos(th), -side * np.sin(th), 0],
                                  [side * np.sin(th), np.cos(th), 0], [0, 0, 1.0]])
        medial = superellipsoid(g, (side * j(11.5, 0.04), -4, -8),
                                (float(u(1.1, 1.5)), j(5.5), j(9)), axes=med_ax, power=2.5) < 1
        th = np.deg2rad(float(u(22, 35)))
        lat_ax = np.column_stack([[np.cos(th), -side * np.sin(th), 0],
                                  [side * np.sin(th), np.cos(th), 0], [0, 0, 1.0]])
        lateral = superellipsoid(g, (side * j(18.5, 0.04), -3, -8),
                                 (float(u(1.3, 1.8)), j(8), j(9)), axes=lat_ax, power=2.5) < 1
        bones[name] = (root | medial | lateral) & ~sphen & ~sinus
    allbone = np.zeros(shape, bool)
    for name in BONES:
        bones[name] &= ~allbone  # first come first served: no voxel belongs to two bones
        allbone |= bones[name]

    # Mucosa: a shell around the airway, in soft tissue only.
    d_air = ndimage.distance_transform_edt(~airway, sampling=g.sampling_zyx)
    mucosa = (d_air <= p["mucosa_thickness_mm"]) & ~airway & ~allbone
    for name in ("ica_left", "ica_right"):
        mucosa &= ~an.masks[name]
    paint_t(mucosa, "mucosa", "mucosa")

    # Cortex = bone within the cortical thickness of the surface (and every surface voxel,
    # whatever the slice thickness, so the shell has no holes on z-facing surfaces).
    d_in = ndimage.distance_transform_edt(allbone, sampling=g.sampling_zyx)
    surface = allbone & ~ndimage.binary_erosion(allbone)
    cortex = allbone & ((d_in <= p["cortical_thickness_mm"]) | surface)
    trab = allbone & ~cortex
    tex = smooth_noise(g, 1.2, rng)  # trabecular pattern
    for name in BONES:
        an.paint(bones[name], name)
    an.paint(cortex, None, hu=hu["cortical"] + 60.0 * tex, t1=t1r["cortical"] * t1_muscle,
             suv=suvp["cortical"])
    an.paint(trab, None, hu=hu["trabecular"] + 70.0 * tex,
             t1=t1r["marrow"] * t1_muscle * (1 + 0.08 * tex), suv=suvp["marrow"])
    paint_t(sinus & ~allbone, "sinus_air", "air")
    paint_t(airway & ~allbone, "airway", "air")
    an.suv[airway | sinus] = 0.0

    an.masks.update(bone=allbone, cortex=cortex, trabecular=trab, airway=airway & ~allbone,
                    sinus=sinus & ~allbone, trab_texture=tex)
    for name in BONES:
        an.masks[name] = bones[name]
    an.masks["soft"] = np.isin(an.label, [ANATOMY_LABELS[n] for n in SOFT_TISSUE_LABELS])
    return an
