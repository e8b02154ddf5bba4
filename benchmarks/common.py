"""Helpers shared by the benchmarks: streams, timing, tables, RESULTS.md, machine info.

Importing this module pins the BLAS/OpenMP thread pools to one thread. It must be
imported before numpy: OpenBLAS otherwise starts worker threads that spin on the
second core and distort single-core timings.
"""

from __future__ import annotations

import os
import sys
import warnings

_THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
if "numpy" in sys.modules and "pytest" not in sys.modules:  # tests time nothing
    warnings.warn(
        "numpy was imported before benchmarks.common: BLAS thread pools may not be pinned",
        stacklevel=2,
    )
for _var in _THREAD_VARS:
    os.environ[_var] = "1"

import ctypes  # noqa: E402
import gc  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Iterator, Mapping, Sequence  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from importlib import metadata  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import TypeVar  # noqa: E402

import numpy as np  # noqa: E402

try:
    import fcntl  # POSIX only: locks RESULTS.md while a section is rewritten
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]
import numpy.typing as npt  # noqa: E402

Array = npt.NDArray[np.int64]
T = TypeVar("T")

STANDARD_N = 1_000_000  # messages in a standard stream (shared/bench/FORMAT.md)
STREAM_SEED = 1
RESULTS_TITLE = "# flopex benchmark results"
NOT_INSTALLED = "not installed"


# ----------------------------------------------------------------------------- paths
def repo_root() -> Path:
    """Return the repository root (the parent of ``benchmarks/``)."""
    return Path(__file__).resolve().parent.parent


def shared_dir() -> Path:
    """Return the ``shared/`` directory, a sibling of the repository root."""
    return repo_root().parent / "shared"


def data_dir() -> Path:
    """Return ``benchmarks/data/``, where generated streams live (kept out of git)."""
    return repo_root() / "benchmarks" / "data"


# --------------------------------------------------------------------------- streams
@dataclass(frozen=True)
class StreamFiles:
    """The three files of one generated stream."""

    stream: Path  # (N, 6) int64 messages
    sidecar: Path  # JSON: counts, traded_qty, fills_sha256
    fills: Path  # (M, 4) int64 expected fills


@dataclass(frozen=True)
class Expected:
    """What a correct engine produces on a stream (or on a prefix of it)."""

    messages: int
    traded_qty: int  # contracts
    n_fills: int
    fills_sha256: str


def parse_stream_name(name: str) -> tuple[str, int]:
    """Split a standard name such as ``deep_10i`` into (regime, instruments)."""
    regime, _, tail = name.partition("_")
    if not tail.endswith("i") or not tail[:-1].isdigit() or regime not in ("spec", "deep"):
        raise ValueError(f"stream name {name!r} is not <spec|deep>_<K>i, e.g. spec_10i")
    return regime, int(tail[:-1])


def stream_files(name: str, n: int) -> StreamFiles:
    """Return the files holding at least ``n`` messages of stream ``name``."""
    stem = name if n <= STANDARD_N else f"{name}_n{n}"
    base = data_dir() / stem
    return StreamFiles(
        base.with_suffix(".npy"), base.with_suffix(".json"), Path(f"{base}_fills.npy")
    )


def ensure_stream(name: str, n: int) -> StreamFiles:
    """Return the files of stream ``name``, generating them with make_stream.py if missing.

    Streams of up to ``STANDARD_N`` messages are prefixes of the standard 1M stream.
    """
    files = stream_files(name, n)
    if all(p.exists() for p in (files.stream, files.sidecar, files.fills)):
        return files
    regime, instruments = parse_stream_name(name)
    script = shared_dir() / "bench" / "make_stream.py"
    if not script.exists():
        raise FileNotFoundError(f"{files.stream} is missing and so is the generator {script}")
    files.stream.parent.mkdir(parents=True, exist_ok=True)
    cmd = [
        sys.executable,
        str(script),
        "--n",
        str(max(n, STANDARD_N)),
        "--instruments",
        str(instruments),
        "--seed",
        str(STREAM_SEED),
        "--regime",
        regime,
        "--out",
        str(files.stream),
        "--fills-out",
        str(files.fills),
    ]
    print(f"generating {files.stream.name} (about a minute) ...", file=sys.stderr, flush=True)
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return files


def expected_of(files: StreamFiles, stream: Array, n: int) -> Expected:
    """Return the expected outcome of the first ``n`` messages of ``stream``.

    The full stream is checked against its sidecar. For a prefix, the expected fills are
    those whose taker arrived within it: fills are in stream order and order ids rise in
    arrival order, so they are a prefix of the expected fills array.
    """
    meta = json.loads(files.sidecar.read_text())
    fills = np.load(files.fills, allow_pickle=False)
    if n >= len(stream):
        exp = Expected(
            len(stream), int(meta["traded_qty"]), int(meta["fills"]), meta["fills_sha256"]
        )
        if _digest(fills) != exp.fills_sha256:
            raise ValueError(f"{files.fills} does not match the sha256 in {files.sidecar}")
        return exp
    head = stream[:n]
    new = head[head[:, 0] != 1]  # KIND 1 = cancel; the others are new orders
    last_oid = int(new[:, 4].max()) if len(new) else 0
    part = fills[fills[:, 1] <= last_oid]
    return Expected(n, int(part[:, 3].sum()), len(part), _digest(part))


def _digest(fills: Array) -> str:
    """Return the SHA-256 of a fills array's int64 C-order bytes (FORMAT.md)."""
    arr = np.ascontiguousarray(np.asarray(fills, dtype=np.int64).reshape(-1, 4))
    return hashlib.sha256(arr.tobytes()).hexdigest()


# ---------------------------------------------------------------------------- timing
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc mallopt parameters (malloc.h)


def keep_heap_mapped() -> str:
    """Make glibc malloc keep freed memory mapped, so each run reuses warm pages.

    By default glibc serves big blocks (a book's arrays, an event copy) with fresh
    ``mmap`` calls and hands freed memory back to the kernel; every run then pays page
    faults whose number depends on the allocator's history (and page faults are costly
    in a VM). Serving every block from the heap and never trimming it makes timings
    reflect the work instead. Applies to every engine in the process alike. Return a
    description for the report.
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
        ok = libc.mallopt(_M_MMAP_THRESHOLD, 1 << 30) and libc.mallopt(_M_TRIM_THRESHOLD, 2**31 - 1)
    except (OSError, AttributeError):
        ok = 0
    if not ok:
        return "default allocator settings (glibc mallopt unavailable)"
    return "glibc malloc: no mmap below 1 GiB, heap never trimmed (freed pages stay mapped)"


@dataclass
class Stopwatch:
    """Seconds measured by ``stopwatch()``."""

    seconds: float = 0.0


@contextmanager
def stopwatch() -> Iterator[Stopwatch]:
    """Time the ``with`` body with the garbage collector off (collected just before)."""
    sw = Stopwatch()
    gc.collect()
    gc.disable()
    t0 = time.perf_counter()
    try:
        yield sw
    finally:
        sw.seconds = time.perf_counter() - t0
        gc.enable()


@dataclass
class Timing:
    """Seconds of the timed runs of one benchmark (warm-up runs excluded)."""

    seconds: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        """Median seconds per run."""
        return statistics.median(self.seconds)

    def rate(self, messages: int) -> float:
        """Median messages per second."""
        return messages / self.median

    def spread(self, messages: int) -> tuple[float, float]:
        """(slowest, fastest) messages per second over the runs."""
        return messages / max(self.seconds), messages / min(self.seconds)


def measure(
    runners: Mapping[str, Callable[[], tuple[float, T]]], runs: int, warmup: int = 1
) -> dict[str, tuple[Timing, list[T]]]:
    """Run every benchmark ``warmup + runs`` times, round-robin; return seconds and outcomes.

    Each runner sets itself up (fresh book), times only the work, and returns
    ``(seconds, outcome)``. Round ``r`` runs every benchmark once before round ``r + 1``
    starts, so a burst of noise on a shared machine slows all of them rather than one,
    which keeps same-run ratios honest. Outcomes of warm-up runs are returned too, so a
    caller can check every run.
    """
    out: dict[str, tuple[Timing, list[T]]] = {key: (Timing(), []) for key in runners}
    for i in range(warmup + runs):
        for key, run in runners.items():
            seconds, outcome = run()
            timing, outcomes = out[key]
            outcomes.append(outcome)
            if i >= warmup:
                timing.seconds.append(seconds)
    return out


# ---------------------------------------------------------------------------- tables
def fmt_rate(rate: float) -> str:
    """Format messages per second in millions, e.g. ``6.73M``."""
    return f"{rate / 1e6:.2f}M" if rate >= 1e5 else f"{rate / 1e6:.3f}M"


def fmt_ratio(num: float | None, den: float | None) -> str:
    """Format ``num / den`` as ``12.3×``, or ``—`` when either side is missing."""
    if not num or not den:
        return "—"
    r = num / den
    return f"{r:.1f}×" if r < 100 else f"{r:.0f}×"


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Return a GitHub markdown table (no alignment padding: diffs stay small)."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def plain_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Return a column-aligned plain-text table for the terminal."""
    cells = [list(headers), *[[str(c) for c in r] for r in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    out = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in cells]
    out.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(out)


# ------------------------------------------------------------------------ RESULTS.md
def write_section(path: Path, heading: str, body: str, title: str = RESULTS_TITLE) -> None:
    """Replace (or append) the ``heading`` section of a markdown file, keeping the others.

    A section runs from its ``## `` heading line to the next ``## `` heading. The file is
    created with ``title`` if missing. The read-modify-write holds an exclusive lock on
    the file, so benchmarks finishing at the same time do not drop each other's section.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+", encoding="utf-8") as f:
        if fcntl is not None:
            fcntl.flock(f, fcntl.LOCK_EX)  # released when the file closes
        f.seek(0)
        text = f.read() or f"{title}\n"
        f.seek(0)
        f.truncate()
        f.write(replace_section(text, heading, body))


def replace_section(text: str, heading: str, body: str) -> str:
    """Return markdown ``text`` with section ``heading`` replaced by ``body`` (or appended)."""
    preamble, sections = _split_sections(text)
    new = f"{heading}\n\n{body.strip()}\n"
    replaced = False
    for i, (head, _) in enumerate(sections):
        if head.strip() == heading.strip():
            sections[i] = (heading, new)
            replaced = True
    if not replaced:
        sections.append((heading, new))
    parts = [preamble.rstrip("\n") + "\n"] + [s.rstrip("\n") + "\n" for _, s in sections]
    return "\n".join(parts)


def _split_sections(text: str) -> tuple[str, list[tuple[str, str]]]:
    """Split markdown into the text before the first ``## `` and (heading, section) pairs."""
    preamble: list[str] = []
    sections: list[tuple[str, list[str]]] = []
    in_fence = False
    for line in text.splitlines():
        if line.startswith("```"):
            in_fence = not in_fence
        if line.startswith("## ") and not in_fence:
            sections.append((line, [line]))
        elif sections:
            sections[-1][1].append(line)
        else:
            preamble.append(line)
    return "\n".join(preamble), [(h, "\n".join(lines)) for h, lines in sections]


# ---------------------------------------------------------------------- machine info
def cpu_model() -> str:
    """Return the CPU model name, with family/model numbers (from /proc/cpuinfo if present)."""
    fields: dict[str, str] = {}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            fields.setdefault(key.strip(), value.strip())
    except OSError:
        return platform.processor() or platform.machine()
    name = fields.get("model name", platform.machine())
    if "cpu family" in fields and "model" in fields:
        name += f" (family {fields['cpu family']}, model {fields['model']})"
    return name


def package_version(name: str) -> str:
    """Return an installed distribution's version, or ``NOT_INSTALLED``."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return NOT_INSTALLED


def machine_info(packages: Sequence[str] = ("numpy", "numba")) -> list[tuple[str, str]]:
    """Return (label, value) pairs describing this machine and the software measured."""
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    info = [
        ("CPU", cpu_model()),
        ("cores", f"{os.cpu_count()} logical, {usable} usable by this process"),
        ("OS", f"{platform.system()} {platform.release()}"),
        ("Python", f"{platform.python_implementation()} {platform.python_version()}"),
    ]
    if hasattr(os, "getloadavg"):
        info.append(("load average at start", " ".join(f"{x:.2f}" for x in os.getloadavg())))
    info += [(p, package_version(p)) for p in packages]
    info.append(("BLAS/OpenMP threads", ", ".join(f"{v}={os.environ[v]}" for v in _THREAD_VARS)))
    return info


# ------------------------------------------------------------------ a flopex server
@dataclass
class ServeProcess:
    """A ``flopex serve`` subprocess on a loopback port (benchmarks of the gateway)."""

    proc: subprocess.Popen[bytes]
    port: int

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/api/v2"

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        """Stop it (SIGTERM, then SIGKILL after 15 s)."""
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)


def start_serve(env: Mapping[str, str], timeout_s: float = 120.0) -> ServeProcess:
    """Start ``flopex serve`` on a free 127.0.0.1 port with ``env`` added to this process's
    environment (``FLOPEX_*`` settings); wait until ``/healthz`` answers (≤ ``timeout_s``)."""
    import socket
    import urllib.request

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    cmd = [sys.executable, "-m", "flopex", "serve", "--host", "127.0.0.1", "--port", str(port)]
    proc = subprocess.Popen(
        cmd, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            err = proc.stderr.read().decode() if proc.stderr else ""
            raise RuntimeError(f"flopex serve exited with {proc.returncode}: {err[-2000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                if r.status == 200:
                    return ServeProcess(proc, port)
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"flopex serve did not become healthy in {timeout_s:g} s")
