"""Matching throughput: flopex's numba engine against its reference book and peer engines.

Every engine replays the standard order streams (``shared/bench/FORMAT.md``) under the
same rules and must trade exactly the stream's expected quantity (flopex: produce the
exact fills, checked by SHA-256); an engine that disagrees is reported, not ranked.

Engines, each on a fresh book per run; runs interleaved across engines after a warm-up round:

- flopex batch: ``Engine.process_batch`` over the whole command array;
- flopex one call per message: a Python loop calling ``kernel_commands.step``;
- reference book: the pure-Python ``ReferenceEngine`` (the in-run baseline), batch;
- bourse (Rust, PyO3) and liquibook (C++, SWIG): a Python loop, one peer call per
  message, one book per instrument, stream order ids mapped to the peer's own.

Run ``python -m benchmarks.bench_matching [--n N] [--streams spec_1i,...] [--runs K]
[--no-peers]``; it prints the tables and rewrites the "## Matching" section of
``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import functools
import shlex
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks import common  # pins BLAS thread pools: must come before numpy

# isort: split
import numpy as np

from exchange.kernel_commands import step
from exchange.replay import (
    fills_digest,
    fills_of,
    load_stream,
    make_book,
    n_instruments,
    to_commands,
)

STREAMS = ("spec_1i", "spec_10i", "deep_1i", "deep_10i")
REFERENCE_MAX = 200_000  # the pure-Python reference runs on a prefix this long
TARGET_BATCH_RATE = 15e6  # DESIGN.md §9, messages per second
TARGET_PEER_RATIO = 7.0
TARGET_ONE_CALL_RATE = 2e6
SECTION = "## Matching"
KIND_CANCEL, KIND_MARKET = 1, 3


# ------------------------------------------------------------------------ data types
@dataclass(frozen=True)
class Outcome:
    """What one replay produced: contracts traded, fill count and, if known, the fills' hash."""

    traded_qty: int
    n_fills: int
    fills_sha256: str | None = None  # None: the engine's fills are not collected in order


@dataclass
class Case:
    """One stream prepared for every engine (preparation is never timed)."""

    name: str
    stream: common.Array
    instruments: int
    expected: common.Expected
    ref_expected: common.Expected
    cmds: common.Array = field(init=False)
    _rows: list[list[int]] | None = None

    def __post_init__(self) -> None:
        self.cmds = to_commands(self.stream)

    @property
    def rows(self) -> list[list[int]]:
        """The stream as Python lists, what a per-message adapter loop iterates."""
        if self._rows is None:
            self._rows = self.stream.tolist()
        return self._rows


Runner = Callable[[Case], tuple[float, Outcome]]


@dataclass(frozen=True)
class EngineSpec:
    """How to run and label one engine."""

    key: str
    short: str  # column name in the ratio table
    label: str
    runner: Runner
    role: str  # "flopex", "baseline", "peer" or "info" (a peer variant that cannot be checked)


@dataclass(frozen=True)
class RunInfo:
    """Where and how a benchmark run happened, for the report."""

    command: str
    date: str
    machine: list[tuple[str, str]]
    jit: str
    caveat: str = ""  # said when the run is not the standard measurement


@dataclass
class Result:
    """Timing and check of one engine on one stream."""

    stream: str
    spec: EngineSpec
    messages: int
    timing: common.Timing
    ok: bool
    check: str

    @property
    def rate(self) -> float:
        """Median messages per second."""
        return self.timing.rate(self.messages)


# ------------------------------------------------------------------- flopex engines
def fresh_engine(instruments: int) -> Any:
    """Return a fresh numba book whose arena memory is already mapped.

    The engine allocates its whole arena (order pool, price grids, id map, event buffer:
    11 MB for one instrument, 30 MB for ten) up front, but the kernel maps the pages only on
    first write. Writing the arena once (values unchanged) keeps that cost, part of
    making the book, out of the timing: left in, it swings the batch rate about 3× with
    the allocator's state between runs.
    """
    engine: Any = make_book("numba", instruments)
    engine.arena += 0
    return engine


def run_batch(case: Case) -> tuple[float, Outcome]:
    """Replay the whole stream with one ``Engine.process_batch`` call."""
    book = fresh_engine(case.instruments)
    with common.stopwatch() as sw:
        events = book.process_batch(case.cmds)
    fills = fills_of(events)
    return sw.seconds, Outcome(int(fills[:, 3].sum()), len(fills), fills_digest(fills))


def run_one_call(case: Case) -> tuple[float, Outcome]:
    """Replay with one ``kernel_commands.step`` call per message from a Python loop."""
    engine = fresh_engine(case.instruments)
    arena, cmds = engine.arena, case.cmds
    with common.stopwatch() as sw:
        for i in range(len(cmds)):
            if step(arena, cmds, i) < 0:  # pool or id map full: let the Engine grow it
                engine.process(cmds[i])
                arena = engine.arena
    return sw.seconds, Outcome(engine.traded_qty, engine.n_fills)


def run_reference(case: Case) -> tuple[float, Outcome]:
    """Replay a prefix of the stream through the pure-Python reference book."""
    book = make_book("reference", case.instruments)
    cmds = case.cmds[: case.ref_expected.messages]
    with common.stopwatch() as sw:
        events = book.process_batch(cmds)
    fills = fills_of(events)
    return sw.seconds, Outcome(int(fills[:, 3].sum()), len(fills), fills_digest(fills))


def warm_numba(case: Case) -> str:
    """Compile or load every numba entry point used here; describe how long it took."""
    from flopex.warmup import ensure_fresh_cache

    root = common.repo_root()
    cleared = ensure_fresh_cache(root)
    cached = any((root / "exchange" / "__pycache__").glob("kernel_commands*.nbi"))
    t0 = time.perf_counter()
    make_book("numba", case.instruments).process_batch(case.cmds[:1000])
    engine: Any = make_book("numba", case.instruments)
    t1 = time.perf_counter()
    step(engine.arena, case.cmds, 0)
    t2 = time.perf_counter()
    how = "loaded from numba's on-disk cache" if cached else "compiled: no cache yet"
    if cleared:
        how = "compiled: kernel sources changed, cache cleared first"
    return f"batch entry {t1 - t0:.2f} s, one-call entry {t2 - t1:.2f} s ({how})"


# ---------------------------------------------------------------------- peer engines
def run_bourse(case: Case) -> tuple[float, Outcome]:
    """Replay through bourse, one ``OrderBook`` per instrument, one call per message.

    bourse keys time priority on (price, book time) and silently overwrites an order
    that rests at the same price with the same time, so the adapter advances each
    book's clock (to the stream order id) before every limit order.
    """
    import bourse

    books = [bourse.core.OrderBook(0, 1, True) for _ in range(case.instruments)]
    place = [b.place_order for b in books]
    cancel = [b.cancel_order for b in books]
    clock = [b.set_time for b in books]
    ids: dict[int, int] = {}
    with common.stopwatch() as sw:
        for kind, side, price, qty, oid, instr in case.rows:
            if kind == KIND_CANCEL:
                cancel[instr](ids.pop(oid))
            elif kind == KIND_MARKET:
                place[instr](side == 0, qty, 0)
            else:
                clock[instr](oid)
                ids[oid] = place[instr](side == 0, qty, 0, price)
    trades = [t for b in books for t in b.get_trades()]  # (t, side, price, vol, aggr, pass)
    return sw.seconds, Outcome(sum(t[3] for t in trades), len(trades))


@functools.cache
def _fill_counter_class() -> type:
    """Return a liquibook ``OrderListener`` subclass that counts fills (defined lazily)."""
    import liquibook

    class FillCounter(liquibook.OrderListener):
        """Count fills and traded contracts; every other callback does nothing."""

        def __init__(self) -> None:
            liquibook.OrderListener.__init__(self)
            self.qty = 0
            self.fills = 0

        def on_fill(self, order: Any, matched: Any, qty: int, price: int) -> None:
            self.qty += qty
            self.fills += 1

        def on_accept(self, order: Any) -> None: ...
        def on_reject(self, order: Any, reason: str) -> None: ...
        def on_cancel(self, order: Any) -> None: ...
        def on_cancel_reject(self, order: Any, reason: str) -> None: ...
        def on_replace(self, order: Any, delta: int, price: int) -> None: ...
        def on_replace_reject(self, order: Any, reason: str) -> None: ...
        def on_trigger_stop(self, order: Any) -> None: ...

    return FillCounter


def run_liquibook(case: Case, listen: bool = True) -> tuple[float, Outcome]:
    """Replay through liquibook, one plain ``OrderBook`` per instrument, one call per message.

    Limit orders are GTC (``SimpleOrder(is_buy, price, qty)``); market orders are price
    0 with the immediate-or-cancel condition; cancels pass the order object, found from
    the stream order id. Fills are only observable through a Python ``OrderListener``
    (a SWIG director): ``listen=False`` measures the book without it, unverifiable.
    """
    import liquibook

    books = [liquibook.liquibook_book_OrderBook() for _ in range(case.instruments)]
    counter = _fill_counter_class()()
    if listen:
        for b in books:
            b.set_order_listener(counter)
    add = [b.add for b in books]
    cancel = [b.cancel for b in books]
    order_cls, ioc = liquibook.SimpleOrder, liquibook.oc_immediate_or_cancel
    live: dict[int, Any] = {}
    with common.stopwatch() as sw:
        for kind, side, price, qty, oid, instr in case.rows:
            if kind == KIND_CANCEL:
                cancel[instr](live.pop(oid))
            elif kind == KIND_MARKET:
                add[instr](order_cls(side == 0, 0, qty), ioc)
            else:
                order = order_cls(side == 0, price, qty)
                live[oid] = order
                add[instr](order)
    return sw.seconds, Outcome(counter.qty, counter.fills)


# --------------------------------------------------------------------------- running
def engine_specs(peers: bool, ref_n: int, n: int) -> tuple[list[EngineSpec], list[str]]:
    """Return the engines to run, and notes on peers that could not be run."""
    ref_label = "reference book, pure Python (batch)"
    if ref_n < n:
        ref_label += f", first {ref_n:,} msgs"
    specs = [
        EngineSpec("batch", "flopex batch", "flopex numba, batch", run_batch, "flopex"),
        EngineSpec(
            "one_call",
            "flopex one-call",
            "flopex numba, one call per message",
            run_one_call,
            "flopex",
        ),
        EngineSpec("reference", "reference", ref_label, run_reference, "baseline"),
    ]
    if not peers:
        return specs, []
    peer_specs, missing = [], []
    for name, make in (("bourse", _bourse_specs), ("liquibook", _liquibook_specs)):
        version = common.package_version(name)
        if version == common.NOT_INSTALLED:
            missing.append(f"{name} is not installed (`pip install -e '.[bench]'`): not measured.")
        else:
            peer_specs += make(version)
    return specs + peer_specs, missing


def _bourse_specs(version: str) -> list[EngineSpec]:
    """The bourse engine spec."""
    return [
        EngineSpec("bourse", "bourse", f"bourse {version} (Rust), per message", run_bourse, "peer")
    ]


def _liquibook_specs(version: str) -> list[EngineSpec]:
    """The checked liquibook spec, and the unverifiable one without a fill listener."""
    label = f"liquibook {version} (C++), per message"
    bare = functools.partial(run_liquibook, listen=False)
    return [
        EngineSpec("liquibook", "liquibook", label, run_liquibook, "peer"),
        EngineSpec("liquibook_bare", "liquibook †", f"{label}, no listener †", bare, "info"),
    ]


def check(outcomes: Sequence[Outcome], exp: common.Expected, role: str) -> tuple[bool, str]:
    """Compare every run's outcome with the expected one; return (ok, short description)."""
    if role == "info":
        return False, "unverified: fills not observed"
    for o in outcomes:
        if o.traded_qty != exp.traded_qty:
            return False, f"MISMATCH: traded {o.traded_qty:,}, expected {exp.traded_qty:,}"
        if o.n_fills != exp.n_fills:
            return False, f"MISMATCH: {o.n_fills:,} fills, expected {exp.n_fills:,}"
        if o.fills_sha256 is not None and o.fills_sha256 != exp.fills_sha256:
            return False, "MISMATCH: fills differ (sha256)"
    sha = outcomes[0].fills_sha256 is not None
    return True, "ok: fills sha256" if sha else "ok: traded qty and fill count"


def run_stream(case: Case, specs: Sequence[EngineSpec], runs: int) -> list[Result]:
    """Time every engine on one stream: a warm-up round, then ``runs`` interleaved rounds."""
    runners = {spec.key: functools.partial(spec.runner, case) for spec in specs}
    measured = common.measure(runners, runs)
    results = []
    for spec in specs:
        exp = case.ref_expected if spec.key == "reference" else case.expected
        timing, outcomes = measured[spec.key]
        ok, desc = check(outcomes, exp, spec.role)
        results.append(Result(case.name, spec, exp.messages, timing, ok, desc))
        lo, hi = timing.spread(exp.messages)
        rates = f"{common.fmt_rate(timing.rate(exp.messages))} ({common.fmt_rate(lo)}–{common.fmt_rate(hi)})"
        print(f"  {spec.label}: {rates} msg/s, {desc}", file=sys.stderr, flush=True)
    return results


def load_case(name: str, n: int, ref_n: int) -> Case:
    """Locate (or generate) stream ``name`` and prepare its first ``n`` messages."""
    files = common.ensure_stream(name, n)
    full = load_stream(str(files.stream))
    stream = np.ascontiguousarray(full[:n])
    expected = common.expected_of(files, full, len(stream))
    ref_expected = common.expected_of(files, full, min(ref_n, len(stream)))
    return Case(name, stream, n_instruments(stream), expected, ref_expected)


# -------------------------------------------------------------------------- reporting
def throughput_rows(results: Sequence[Result]) -> list[list[str]]:
    """Rows of the throughput table."""
    rows = []
    for r in results:
        lo, hi = r.timing.spread(r.messages)
        spread = f"{common.fmt_rate(lo)}–{common.fmt_rate(hi)}"
        rows.append(
            [r.stream, r.spec.label, f"{r.messages:,}", common.fmt_rate(r.rate), spread, r.check]
        )
    return rows


def fastest_peer(results: Sequence[Result]) -> Result | None:
    """Return the fastest peer whose results checked out, if any."""
    peers = [r for r in results if r.spec.role == "peer" and r.ok]
    return max(peers, key=lambda r: r.rate, default=None)


def ratio_table(
    results: Sequence[Result], streams: Sequence[str]
) -> tuple[list[str], list[list[str]]]:
    """Headers and rows: flopex batch (and one-call) median rate ÷ each other engine's."""
    roles = ("baseline", "peer", "info")
    others = {r.spec.key: r.spec.short for r in results if r.spec.role in roles}
    headers = ["stream", *[f"batch ÷ {short}" for short in others.values()]]
    headers += ["batch ÷ fastest peer", "one-call ÷ fastest peer"]
    rows = []
    for s in streams:
        by = {r.spec.key: r for r in results if r.stream == s}
        batch, one = _ok_rate(by.get("batch")), _ok_rate(by.get("one_call"))
        cells = [_ratio_cell(batch, by.get(k)) for k in others]
        best = fastest_peer(list(by.values()))
        best_rate = best.rate if best else None
        versus = common.fmt_ratio(batch, best_rate) + (f" ({best.spec.short})" if best else "")
        rows.append([s, *cells, versus, common.fmt_ratio(one, best_rate)])
    return headers, rows


def _ratio_cell(batch: float | None, other: Result | None) -> str:
    """``batch ÷ other`` for the ratio table, or why there is none."""
    if other is not None and not other.ok and other.spec.role != "info":
        return "failed check"
    return common.fmt_ratio(batch, _ok_rate(other, info_ok=True))


def _ok_rate(r: Result | None, info_ok: bool = False) -> float | None:
    """Median rate of a result that checked out (or an informational one), else None."""
    if r is None or not (r.ok or (info_ok and r.spec.role == "info")):
        return None
    return r.rate


def verdicts(results: Sequence[Result], streams: Sequence[str]) -> list[str]:
    """One line per DESIGN §9 matching target: met / not met, with the measured figures."""
    batch = [r for r in results if r.spec.key == "batch"]
    one = [r for r in results if r.spec.key == "one_call"]
    lines = [
        _rate_verdict("batch ≥ 15M msg/s", batch, TARGET_BATCH_RATE),
        _rate_verdict("one call per message ≥ 2M msg/s", one, TARGET_ONE_CALL_RATE),
    ]
    lines.append(_peer_verdict(results, streams))
    return lines


def _peer_verdict(results: Sequence[Result], streams: Sequence[str]) -> str:
    """The verdict line for batch ≥ 7× the fastest peer that passed its check."""
    target = f"batch ≥ {TARGET_PEER_RATIO:.0f}× the fastest peer"
    failed = sorted(
        {f"{r.spec.short} on {r.stream}" for r in results if r.spec.role == "peer" and not r.ok}
    )
    excluded = f" (left out, failed its check: {', '.join(failed)})" if failed else ""
    ratios = []
    for s in streams:
        b = next((r for r in results if r.stream == s and r.spec.key == "batch" and r.ok), None)
        p = fastest_peer([r for r in results if r.stream == s])
        if b and p:
            ratios.append((b.rate / p.rate, s, p.spec.short))
    if not ratios:
        return f"- {target}: not measured (no peer run, or none passed its check){excluded}"
    met = min(ratios)[0] >= TARGET_PEER_RATIO and len(ratios) == len(streams)
    figs = ", ".join(f"{s} {x:.1f}× {k}" for x, s, k in ratios)
    return f"- {target}: **{'met' if met else 'not met'}** — {figs}{excluded}"


def _rate_verdict(target: str, results: Sequence[Result], goal: float) -> str:
    """A verdict line for a rate target, met only if every stream meets it and checks out."""
    if not results:
        return f"- {target}: not measured"
    figs = ", ".join(
        f"{r.stream} {common.fmt_rate(r.rate)}" + ("" if r.ok else " (FAILED CHECK)")
        for r in results
    )
    met = all(r.ok and r.rate >= goal for r in results)
    return f"- {target}: **{'met' if met else 'not met'}** — {figs}"


NOTES = [
    "Rates are stream messages per wall-clock second on one core: median of the timed runs, "
    "spread min–max. Runs are interleaved (round r runs every engine once), after a warm-up "
    "round, so that bursts of noise on this shared machine hit every engine alike; every run "
    "uses a fresh book.",
    "Only matching is timed, with the garbage collector off: stream → command array "
    "(`to_commands`) and stream → Python lists for the peer loops are prepared beforehand.",
    "Memory: glibc malloc is told to keep freed memory mapped (see Machine), for every "
    "engine in the process, so runs reuse warm pages instead of paying page faults whose "
    "number depends on the allocator's history. flopex allocates its whole arena (11 MB for "
    "one instrument, 30 MB for ten) when a book is made; the benchmark writes it once before "
    "timing, so its first-touch page mapping counts as making the book, not as matching. "
    "Growth during a run is timed: on `deep_10i` the oldest resting orders outlive the "
    "order-id map's first size, which doubles once (a copy of the arena).",
    "Checks: flopex batch and the reference must reproduce the stream's fills exactly "
    "(SHA-256 of the fills array); the one-call loop and the peers must trade the expected "
    "quantity in the expected number of fills. A row that fails is left out of the ratios.",
]
PEER_NOTES = [
    "Peers run one Python call per message (how these libraries are used), one book per "
    "instrument; stream order ids are mapped to the peer's ids (bourse) or order objects "
    "(liquibook) with a dict.",
    "bourse keys time priority on (price, book time) and silently replaces an order resting "
    "at the same price with the same time, so its adapter calls `set_time(oid)` before every "
    "limit order (a second call per order; without it bourse loses orders and under-trades). "
    "Its bulk `StepEnv` API shuffles each step's orders, so it cannot replay a stream in order.",
    "liquibook reports fills only to a Python `OrderListener` (a SWIG director called back on "
    "every accept, fill and cancel); the checked row uses a listener that only counts. "
    "† The no-listener row times the same calls without it: faster, but nothing it does can "
    "be checked, so it is shown for reference and not counted as a peer.",
]


def report(
    results: Sequence[Result], streams: Sequence[str], run: RunInfo, missing: list[str]
) -> str:
    """Return the markdown body of the Matching section."""
    runs = len(results[0].timing.seconds) if results else 0
    headers, ratio_rows = ratio_table(results, streams)
    machine = "\n".join(f"- {k}: {v}" for k, v in run.machine)
    notes = list(NOTES)
    if any(r.spec.role == "peer" for r in results):
        notes += PEER_NOTES
    columns = ["stream", "engine", "messages", "msg/s", "spread", "check"]
    parts = [
        f"Produced by `{run.command}` on {run.date}.{run.caveat}",
        f"Machine:\n\n{machine}",
        f"numba compile / cache load, excluded from the timings: {run.jit}.",
        f"### Throughput (median of {runs} interleaved runs after a warm-up; spread min–max)",
        common.markdown_table(columns, throughput_rows(results)),
        "### Ratios (flopex median rate ÷ the other engine's, same run)",
        common.markdown_table(headers, ratio_rows),
        "### Targets (DESIGN.md §9)",
        "\n".join(verdicts(results, streams)),
        "### Notes",
        "\n".join(f"- {n}" for n in [*notes, *missing]),
    ]
    return "\n\n".join(parts)


def print_tables(results: Sequence[Result], streams: Sequence[str]) -> None:
    """Print the throughput and ratio tables and the verdicts to stdout."""
    print(
        common.plain_table(
            ["stream", "engine", "messages", "msg/s", "spread", "check"], throughput_rows(results)
        )
    )
    print()
    print(common.plain_table(*ratio_table(results, streams)))
    print()
    print("\n".join(verdicts(results, streams)))


# ---------------------------------------------------------------------------- main
def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """Parse the command line."""
    ap = argparse.ArgumentParser(
        prog="python -m benchmarks.bench_matching", description=__doc__.split("\n")[0]
    )
    ap.add_argument(
        "--n", type=int, default=common.STANDARD_N, help="messages per stream (default 1,000,000)"
    )
    ap.add_argument("--streams", default=",".join(STREAMS), help="comma-separated stream names")
    ap.add_argument("--runs", type=int, default=5, help="timed runs per engine (after one warm-up)")
    ap.add_argument(
        "--ref-n", type=int, default=REFERENCE_MAX, help="messages for the reference book"
    )
    ap.add_argument("--no-peers", action="store_true", help="skip bourse and liquibook")
    results = common.repo_root() / "benchmarks" / "RESULTS.md"
    ap.add_argument("--results", type=Path, default=results, help="markdown file to update")
    ap.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md alone")
    args = ap.parse_args(argv)
    if args.n < 1 or args.runs < 1 or args.ref_n < 1:
        ap.error("--n, --runs and --ref-n must be positive")
    return args


def _caveat(n: int, runs: int) -> str:
    """A warning for runs that are not the standard measurement, else ""."""
    said = []
    if n < common.STANDARD_N:
        said.append(f"streams cut to their first {n:,} messages")
    if runs < 3:
        said.append(f"only {runs} timed run(s)")
    return f" **Not the standard measurement: {', '.join(said)}.**" if said else ""


def main(argv: Sequence[str] | None = None) -> None:
    """Run the matching benchmark and report it."""
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse_args(argv)
    heap = common.keep_heap_mapped()
    streams = [s.strip() for s in args.streams.split(",") if s.strip()]
    specs, missing = engine_specs(not args.no_peers, args.ref_n, args.n)
    machine = common.machine_info(("numpy", "numba", "sortedcontainers", "bourse", "liquibook"))
    machine.append(("memory", heap))
    started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    results: list[Result] = []
    jit = ""
    for name in streams:
        case = load_case(name, args.n, args.ref_n)
        print(
            f"{name}: {len(case.stream):,} messages, {case.instruments} instrument(s)",
            file=sys.stderr,
        )
        if not jit:
            jit = warm_numba(case)
            print(f"  numba warm-up: {jit}", file=sys.stderr)
        results += run_stream(case, specs, args.runs)
    print(file=sys.stderr, flush=True)
    print_tables(results, streams)
    run = RunInfo(
        command="python -m benchmarks.bench_matching" + "".join(f" {shlex.quote(a)}" for a in argv),
        date=started,
        machine=machine,
        jit=jit,
        caveat=_caveat(args.n, args.runs),
    )
    if not args.no_write:
        common.write_section(args.results, SECTION, report(results, streams, run, missing))
        print(f"\nwrote the {SECTION!r} section of {args.results}")


if __name__ == "__main__":
    main()
