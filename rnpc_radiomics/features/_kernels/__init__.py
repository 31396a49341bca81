"""Numba kernels (CPU). Kernels take arrays and scalars, fill buffers, never validate or raise."""
