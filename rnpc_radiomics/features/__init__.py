"""Feature families: one module per family (formulas), numba kernels in ``_kernels/``.

Every family module defines ``FEATURES`` (a list of :class:`~.registry.FeatureSpec`) and a
``compute(...)`` function returning ``{feature_name: float}``. :mod:`.registry` aggregates them.
"""
