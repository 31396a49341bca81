"""Synthetic skull-base cohort with ground truth (recurrence vs osteoradionecrosis vs soft-tissue
necrosis) on CT, T1-post-contrast MRI and FDG PET. See ``README.md`` in this folder.

>>> from rnpc_radiomics.phantom import generate_case, write_cohort, CLASSES
>>> case = generate_case("recurrence", seed=1)          # doctest: +SKIP
>>> write_cohort("out", n=6, seed=0, fmt="both")         # doctest: +SKIP
"""

from __future__ import annotations

from rnpc_radiomics.phantom.anatomy import ANATOMY_LABELS, BONES
from rnpc_radiomics.phantom.cohort import (
           CLASSES,
           PhantomCase,
           generate_case,
           write_case,
           write_cohort,
)

__all__ = ["CLASSES", "ANATOMY_LABELS", "BONES", "PhantomCase", "generate_case", "write_case",
           "write_cohort"]
