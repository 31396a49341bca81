"""Resampling to a new voxel spacing on pyradiomics 3.0.1's exact grid (``resampleImage``).

The new grid is aligned to the mask's first voxel *corner*, covers the ROI bounding box plus
``padDistance`` new voxels, keeps the mask's direction, and is clipped to the original extent.
Axes where the ROI spans one voxel keep their spacing; a requested spacing of 0 keeps the
original. The image is interpolated with the chosen SimpleITK interpolator and keeps its pixel
type; the mask uses nearest neighbour. When the new spacing equals the image's, only the mask
is put on the image grid and both are cropped to the ROI plus ``padDistance``.
"""

from __future__ import annotations

import numpy as np

from rnpc_radiomics.image import Volume
from rnpc_radiomics.preprocess.mask import bounding_box, crop, crop_slices, roi_within_image

__all__ = ["resample", "sitk_interpolator", "pad_crop"]


def sitk_interpolator(name: str | int):
    """SimpleITK interpolator constant for a pyradiomics ``interpolator`` value."""
    import SimpleITK as sitk

    if isinstance(name, str):
        return getattr(sitk, name)
    return int(name)


def pad_crop(image: Volume, labels: Volume, roi: np.ndarray, pad: int) -> tuple[Volume, Volume]:
    """Crop image and label volume to the ROI bounding box grown by ``pad`` (``cropToTumorMask``)."""
    sl = crop_slices(bounding_box(roi), roi.shape, pad)
    return crop(image, sl), crop(labels, sl)


def resample(image: Volume, labels: Volume, label: int, spacing, *,
             interpolator: str | int = "sitkBSpline", pad_distance: int = 5
             ) -> tuple[Volume, Volume]:
    """Resample image and label map around the ROI to ``spacing``.

    Parameters
    ----------
    image : Volume
        The image.
    labels : Volume
        Unsigned label map (its grid defines the new grid).
    label : int
        ROI label.
    spacing : sequence of 3 float
        New spacing ``(x, y, z)`` in mm; 0 keeps the mask's spacing on that axis.
    interpolator : str or int, default 'sitkBSpline'
        Image interpolator.
    pad_distance : int, default 5
        Margin in new voxels around the ROI.

    Returns
    -------
    image, labels : Volume
        Resampled (and cropped) image, in the image's dtype, and label map.

    Raises
    ------
    GeometryError
        The ROI extends outside the image.
    """
    import SimpleITK as sitk

    roi = labels.array == label
    roi_within_image(image, labels, roi)
    bbox = bounding_box(roi)
    bb_lo = np.array([b[0] for b in bbox][::-1], dtype=float)  # (x, y, z)
    bb_size = np.array([b[1] - b[0] + 1 for b in bbox][::-1], dtype=float)

    mask_spacing = np.array(labels.spacing)
    image_spacing = np.array(image.spacing)
    new_spacing = np.array(spacing, dtype=float)
    new_spacing = np.where(new_spacing == 0, mask_spacing, new_spacing)
    new_spacing = np.where(bb_size != 1, new_spacing, mask_spacing)

    if np.allclose(image_spacing, new_spacing):
        # Same spacing: put the mask on the image grid and crop both with padding.
        if labels.same_geometry(image, tol=1e-9):
            lab = labels
        else:
            rif = sitk.ResampleImageFilter()
            rif.SetReferenceImage(image.to_sitk())
            rif.SetInterpolator(sitk.sitkNearestNeighbor)
            lab = image.with_array(sitk.GetArrayFromImage(rif.Execute(labels.to_sitk())))
        return pad_crop(image, lab, lab.array == label, pad_distance)

    ratio = mask_spacing / new_spacing
    mask_size = np.array(labels.size, dtype=float)
    lo = np.floor((bb_lo - 0.5) * ratio - pad_distance)
    up = np.ceil((bb_lo + bb_size - 0.5) * ratio + pad_distance)
    max_up = np.ceil(mask_size * ratio) - 1
    lo = np.where(lo < 0, 0, lo)
    up = np.where(up > max_up, max_up, up)
    new_size = np.array(up - lo + 1, dtype=int).tolist()

    # The new index 0 sits half a new voxel in from the original first-voxel corner.
    origin_index = 0.5 * (new_spacing - mask_spacing) / mask_spacing + lo / ratio
    new_origin = labels.index_to_physical(origin_index)

    src_img = image.to_sitk()
    src_lab = labels.to_sitk()
    rif = sitk.ResampleImageFilter()
    rif.SetOutputSpacing(new_spacing.tolist())
    rif.SetOutputDirection(tuple(labels.direction.ravel()))
    rif.SetSize(new_size)
    rif.SetOutputOrigin(tuple(float(v) for v in new_origin))
    rif.SetOutputPixelType(src_img.GetPixelID())
    rif.SetInterpolator(sitk_interpolator(interpolator))
    out_img = rif.Execute(src_img)
    rif.SetOutputPixelType(src_lab.GetPixelID())
    rif.SetInterpolator(sitk.sitkNearestNeighbor)
    out_lab = rif.Execute(src_lab)

    geom = dict(spacing=out_img.GetSpacing(), origin=out_img.GetOrigin(),
                direction=np.asarray(out_img.GetDirection()).reshape(3, 3))
    return (image.replace(array=sitk.GetArrayFromImage(out_img), **geom),
            labels.replace(array=sitk.GetArrayFromImage(out_lab), **geom))
