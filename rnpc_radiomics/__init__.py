"""rnpc-radiomics: radiomics and imaging signs for recurrent NPC vs post-radiation necrosis.

The public API is small and listed in ``__all__``. Heavy modules (numba kernels, SimpleITK,
pydicom) are imported lazily, so ``import rnpc_radiomics`` is fast.
"""

from __future__ import annotations

import importlib
import logging

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())

# name -> module that defines it
_LAZY = {
    "Volume": "rnpc_radiomics.image",
    "Provenance": "rnpc_radiomics.image",
    "load_image": "rnpc_radiomics.io",
    "load_mask": "rnpc_radiomics.io",
    "list_series": "rnpc_radiomics.io",
    "save_image": "rnpc_radiomics.io",
    "InputError": "rnpc_radiomics.errors",
    "extract": "rnpc_radiomics.extraction",
    "voxel_maps": "rnpc_radiomics.maps",
    "extract_ibsi": "rnpc_radiomics.ibsi",
    "measure_signs": "rnpc_radiomics.signs",
    "flatten_signs": "rnpc_radiomics.signs",
}

__all__ = sorted(_LAZY) + ["__version__"]


def __getattr__(name: str):
    mod = _LAZY.get(name)
    if mod is None:
        raise AttributeError(f"module 'rnpc_radiomics' has no attribute {name!r}")
    value = getattr(importlib.import_module(mod), name)
    globals()[name] = value
    return value


def __dir__():
    return __all__
