"""Compile (or load from cache) every numba kernel once, safely.

numba invalidates a cached function only when its own source file changes, not when a
kernel it calls in another module does; a stale cache would run old code. This module
fingerprints all kernel sources and deletes the numba cache of ``exchange/`` when the
fingerprint changed, then compiles every entry point. ``make test`` runs it first so
test workers share a warm, correct cache.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

KERNEL_DIRS = ("exchange", "clearing")
# Modules whose constants numba freezes into compiled kernels, beside the kernels.
CONSTANT_MODULES = ("exchange/codes.py", "exchange/layout.py")


def _is_kernel(source: str) -> bool:
    """Return True if a module compiles numba kernels (directly or via exchange.jit)."""
    return "njit" in source or "exchange.jit" in source


def kernel_sources(root: Path) -> list[Path]:
    """Return every module that holds a numba kernel or constants kernels compile in."""
    found = {root / m for m in CONSTANT_MODULES}
    for d in KERNEL_DIRS:
        found |= {f for f in (root / d).rglob("*.py") if _is_kernel(f.read_text())}
    return sorted(found)


def kernel_fingerprint(root: Path) -> str:
    """Return a SHA-256 over the source of every kernel module."""
    h = hashlib.sha256()
    for f in kernel_sources(root):
        h.update(str(f.relative_to(root)).encode())
        h.update(f.read_bytes())
    return h.hexdigest()


def ensure_fresh_cache(root: Path) -> bool:
    """Delete numba caches under the kernel packages if sources changed; return True if so."""
    stamp = root / "exchange" / "__pycache__" / "kernel.fingerprint"
    fp = kernel_fingerprint(root)
    if stamp.exists() and stamp.read_text() == fp:
        return False
    for d in KERNEL_DIRS:
        for pattern in ("*.nbi", "*.nbc"):
            for f in (root / d).rglob(pattern):
                f.unlink()
    stamp.parent.mkdir(exist_ok=True)
    stamp.write_text(fp)
    return True


def compile_all() -> float:
    """Run every kernel entry point once; return the seconds it took."""
    from exchange import codes as c
    from exchange import commands as C
    from exchange.engine import Engine

    t0 = time.perf_counter()
    e = Engine(2, 100, 4, order_capacity=4)
    rows = [
        C.list_instrument(0),
        C.limit(0, 1, c.SIDE_SELL, 5, 50),
        C.limit(0, 2, c.SIDE_BUY, 2, 50, tif=c.TIF_FOK),
        C.new_order(0, 3, c.SIDE_BUY, 1, 60, type=c.TYPE_STOP_LIMIT, trigger=55),
        C.market(0, 2, c.SIDE_BUY, 1),
        C.replace(1, 51, 1),
        C.mass_cancel(),
        C.expire(10),
        C.set_param(0, c.PARAM_BAND, 5),
    ]
    for r in rows:
        e.process(r)
    e.process_batch(C.stack(rows))
    for i in range(8):  # forces a pool growth
        e.process(C.limit(0, 1, c.SIDE_BUY, 1, 10 + i))
    e.state_hash()
    e.check_invariants()
    return time.perf_counter() - t0


def main() -> None:
    """Refresh stale caches and compile the kernels, printing what happened."""
    root = Path(__file__).resolve().parent.parent
    fresh = ensure_fresh_cache(root)
    seconds = compile_all()
    state = "sources changed, cache rebuilt" if fresh else "cache reused"
    print(f"numba kernels ready in {seconds:.1f} s ({state})")


if __name__ == "__main__":
    main()
