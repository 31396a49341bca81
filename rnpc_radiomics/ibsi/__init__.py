"""IBSI-1 conformance mode: IBSI image processing and every IBSI-1 feature family.

The pyradiomics-compatible engine (:mod:`rnpc_radiomics.features`) stays the default; this
package is the separate, selectable IBSI mode. Output keys are the tags of the IBSI reference
table (``stat_kurt``, ``cm_joint_max_3D_avg``, ``szm_sze_2_5D``, ...); see
:mod:`rnpc_radiomics.ibsi.registry` for each feature's IBSI identifier.

Heavy modules (numba kernels, scipy) are imported on first use.
"""

from __future__ import annotations

from rnpc_radiomics.ibsi.settings import IbsiSettings, load_ibsi_settings

__all__ = ["extract_ibsi", "IbsiSettings", "load_ibsi_settings"]


def extract_ibsi(image, mask, config, *, families=None) -> dict[str, float]:
    """Compute IBSI-1 features of one image and ROI.

    Parameters
    ----------
    image, mask : Volume
        Image and ROI mask on the same grid (mask voxels > 0.5 are inside).
    config : IbsiSettings, mapping or path
        Settings, the ``ibsi`` section as a mapping, or a YAML file path.
    families : iterable of str, optional
        Subset of ``morphology``, ``local_intensity``, ``statistics``,
        ``intensity_histogram``, ``intensity_volume_histogram``, ``glcm``, ``glrlm``,
        ``glszm``, ``gldzm``, ``ngtdm``, ``ngldm``; all when None. ``diagnostics`` adds the
        processing diagnostics (they are always included when ``families`` is None).

    Returns
    -------
    dict of str to float
        Keyed by IBSI reference-table tags.

    Raises
    ------
    SettingsError, GeometryError, MaskError
        Bad settings, mismatched grids, or an empty ROI.
    """
    from rnpc_radiomics.ibsi.extract import extract

    return extract(image, mask, config, families=families)
