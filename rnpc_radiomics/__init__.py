"""rnpc-radiomics: radiomics and imaging signs for recurrent NPC vs post-radiation necrosis.

The public API is small and listed in ``__all__``. Heavy modules (numba kernels, SimpleITK,
pydicom) are imported lazily, so ``import rnpc_radiomics`` is fast.
"""

from __future__ import annotations

import importlib
import logging
import os

# numba's OpenMP threading layer (libgomp) keeps its workers spinning after every parallel
# region by default. An extraction runs a dozen short regions with serial NumPy work between
# them, so on a machine that is not idle (2-core laptops, CI, shared servers) the spinning
# worker takes CPU time from the main thread: whole extractions measured 25-40% slower on 2
# busy cores. PASSIVE lets the workers sleep (waking them costs microseconds). libgomp reads it
# when numba first launches threads, so it is set here, before any kernel module (features,
# preprocess, filters, ibsi) can run; an explicit setting by the user wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

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
