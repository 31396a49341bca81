"""Numba kernels (CPU). Kernels take arrays and scalars, fill buffers, never validate or raise."""

import os

# numba's OpenMP threading layer (libgomp) keeps its workers spinning after every parallel
# region by default. An extraction runs a dozen short regions with serial NumPy work between
# them, so on a machine that is not idle (2-core laptops, CI, shared servers) the spinning
# worker takes CPU time from the main thread: whole extractions measured 25-40% slower on 2
# busy cores. PASSIVE lets the workers sleep (waking them costs microseconds). libgomp reads
# this when numba first launches its threads, after this import; an explicit setting wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
