"""The two decorators every matching kernel function uses.

``kernel``: ``@njit(cache=True, _nrt=False)``. The kernels never allocate, so they are
compiled without numba's runtime reference counting; with it, every call of a helper
that takes the arena increments and decrements the arena's count atomically (see
docs/engine.md). ``kernel_inline`` also asks numba to inline the function into its
callers, for the few hot helpers LLVM does not inline by itself.
"""

from __future__ import annotations

from typing import Any

from numba import njit

# _nrt is a numba compiler option its type stubs do not declare.
_OPTIONS: dict[str, Any] = {"cache": True, "_nrt": False}

kernel = njit(**_OPTIONS)
kernel_inline = njit(**_OPTIONS, inline="always")
