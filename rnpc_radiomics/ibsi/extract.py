"""The IBSI-mode extraction pipeline: process once, then every requested family."""

from __future__ import annotations

import os
from collections.abc import Mapping

import numpy as np

from rnpc_radiomics.errors import SettingsError
from rnpc_radiomics.ibsi.settings import IbsiSettings, load_ibsi_settings

__all__ = ["extract", "as_settings", "ALL_FAMILIES"]

ALL_FAMILIES = ("diagnostics", "morphology", "local_intensity", "statistics",
                "intensity_histogram", "intensity_volume_histogram", "glcm", "glrlm", "glszm",
                "gldzm", "ngtdm", "ngldm")
_TEXTURE_PREFIX = {"glcm": "cm", "glrlm": "rlm", "glszm": "szm", "gldzm": "dzm",
                   "ngtdm": "ngt", "ngldm": "ngl"}


def as_settings(config) -> IbsiSettings:
    """Settings from an :class:`IbsiSettings`, a mapping (the ``ibsi`` section) or a YAML path."""
    if isinstance(config, IbsiSettings):
        return config
    if isinstance(config, Mapping):
        return IbsiSettings.from_mapping(config.get("ibsi", config))
    if isinstance(config, (str, os.PathLike)):
        return load_ibsi_settings(config)
    raise SettingsError("bad IBSI config", None,
                        f"expected IbsiSettings, a mapping or a YAML path, got "
                        f"{type(config).__name__}", "")


def extract(image, mask, config, *, families=None) -> dict[str, float]:
    """See :func:`rnpc_radiomics.ibsi.extract_ibsi`."""
    from rnpc_radiomics.ibsi.histogram import histogram_features
    from rnpc_radiomics.ibsi.ivh import ivh_features
    from rnpc_radiomics.ibsi.local_intensity import local_intensity_features
    from rnpc_radiomics.ibsi.morphology import morphology_features
    from rnpc_radiomics.ibsi.preprocess import discretise, prepare
    from rnpc_radiomics.ibsi.statistics import statistics_features
    from rnpc_radiomics.ibsi.texture import texture_features

    settings = as_settings(config)
    fams = set(ALL_FAMILIES if families is None else families)
    unknown = fams - set(ALL_FAMILIES)
    if unknown:
        raise SettingsError("unknown IBSI feature family", None,
                            f"{sorted(unknown)} not in {list(ALL_FAMILIES)}", "")
    p = prepare(image, mask, settings)
    out: dict[str, float] = {}
    if "diagnostics" in fams:
        out.update(p.diagnostics)
    vals = p.image[p.int_mask]
    if "morphology" in fams:
        out.update(morphology_features(p.image, p.morph_mask, p.int_mask, p.spacing_zyx))
    if "local_intensity" in fams:
        out.update(local_intensity_features(p.image, p.int_mask, p.spacing_zyx))
    if "statistics" in fams:
        out.update(statistics_features(vals))
    if "intensity_volume_histogram" in fams:
        out.update(ivh_features(vals, settings.ivh, p.range_bounds))
    tex = [_TEXTURE_PREFIX[f] for f in _TEXTURE_PREFIX if f in fams]
    if "intensity_histogram" in fams or tex:
        qv, ng = discretise(vals, settings.discretisation, p.reseg_range[0])
        if "intensity_histogram" in fams:
            out.update(histogram_features(qv, ng))
        if tex:
            q = np.zeros(p.image.shape, dtype=np.int32)
            q[p.int_mask] = qv
            out.update(texture_features(
                q, ng, settings.texture_dims, morph_mask=p.morph_mask,
                glcm_distance=settings.texture.glcm_distance,
                ngldm_alpha=settings.texture.ngldm_alpha, families=tuple(tex)))
    return out
