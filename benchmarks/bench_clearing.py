"""End-of-day margin for 10,000 accounts × 108 contracts: the vectorised SPAN-like scan.

Run ``python -m benchmarks.bench_clearing [--accounts N] [--runs K] [--baseline-accounts M]
[--no-write]``; it prints the figures and rewrites the "## Clearing" section of
``benchmarks/RESULTS.md`` (other sections are left alone).

What is timed, each as the median of K runs after one warm-up run (min–max spread):

- *risk parameters*: scan ranges of the 108 contracts from the index models (one FFT
  batch per product) and the day's spread charges;
- *SPAN scan*: the sixteen scenarios, spread charges and initial margin for every
  account from a fixed risk parameter set (``SpanLikeMargin.requirements_with``);
- *end-of-day margin*: both, from a fresh ``MarketState`` (what a settlement cycle runs).

Baseline, in the same run: ``clearing.span_reference.ReferenceSpan``, the same rules
written as a per-account Python loop, on a random subsample of M accounts, scaled up to
N accounts. Both must give identical integer margins on the subsample, or the run fails.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar

from benchmarks import common  # pins BLAS thread pools: must come before numpy

# isort: split
import numpy as np
import numpy.typing as npt

from clearing.accounts import AccountType
from clearing.contracts import ContractSet
from clearing.margin import MarginRequirements, MarketState, SpanLikeMargin
from clearing.money import ceil_div
from clearing.span_reference import ReferenceSpan
from exchange.products import DEFAULT_PRODUCTS

SECTION = "## Clearing"
AS_OF = date(2026, 11, 16)
SEED = 20261116
TARGET_SECONDS = 1.0
T = TypeVar("T")


@dataclass(frozen=True)
class Case:
    """The portfolio to margin: positions (A, C), account types (A,), the market."""

    positions: npt.NDArray[np.int64]
    kinds: npt.NDArray[np.int8]
    market: MarketState
    contracts: ContractSet


def make_case(n_accounts: int, seed: int) -> Case:
    """Return random sparse portfolios over the 108 listed contracts.

    Each account holds about eight non-zero positions of −50 … 50 contracts; a third of
    accounts also hold a calendar spread. Prices follow each product's reference level
    with a 1% a month backwardation. Types: 30% hedgers, 60% speculators, 10% members.
    """
    contracts = ContractSet.listed(DEFAULT_PRODUCTS, AS_OF)
    rng = np.random.default_rng(seed)
    n = len(contracts)
    positions = rng.integers(-50, 51, size=(n_accounts, n), dtype=np.int64)
    positions[rng.random((n_accounts, n)) > 8 / n] = 0
    spread = rng.random(n_accounts) < 1 / 3
    near = rng.integers(0, n - 1, size=n_accounts)
    size = rng.integers(1, 20, size=n_accounts)
    rows = np.flatnonzero(spread)
    positions[rows, near[rows]] += size[rows]
    positions[rows, near[rows] + 1] -= size[rows]
    kinds = rng.choice(
        np.array([AccountType.HEDGER, AccountType.SPECULATOR, AccountType.MEMBER], dtype=np.int8),
        size=n_accounts,
        p=[0.3, 0.6, 0.1],
    )
    ref = np.array([DEFAULT_PRODUCTS[c.product].ref_price_units for c in contracts.contracts])
    ahead = contracts.months_ahead(AS_OF)
    prices = np.maximum(np.rint(ref * 0.99**ahead), 1).astype(np.int64)
    return Case(positions, kinds, MarketState(AS_OF, prices), contracts)


def timed(run: Callable[[], T]) -> Callable[[], tuple[float, T]]:
    """Return a runner for ``common.measure``: time one call of ``run``."""

    def once() -> tuple[float, T]:
        with common.stopwatch() as sw:
            out = run()
        return sw.seconds, out

    return once


def reference_margin(
    ref: ReferenceSpan, positions: npt.NDArray[np.int64], kinds: npt.NDArray[np.int8]
) -> list[tuple[int, int]]:
    """Return (maintenance, initial) per account with the per-account Python loop."""
    out = []
    for row, kind in zip(positions.tolist(), kinds.tolist(), strict=True):
        mm = ref.maintenance(row)
        im = ceil_div(mm * 110, 100) if kind == AccountType.SPECULATOR else mm
        out.append((mm, im))
    return out


def fmt_s(seconds: float) -> str:
    """Format seconds as milliseconds."""
    return f"{seconds * 1e3:.1f} ms"


def spread_of(t: common.Timing) -> str:
    """Format a timing's min–max."""
    return f"{fmt_s(min(t.seconds))}–{fmt_s(max(t.seconds))}"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark, print it and update RESULTS.md; return the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    ap = argparse.ArgumentParser(
        prog="python -m benchmarks.bench_clearing", description=__doc__.split("\n")[0]
    )
    ap.add_argument("--accounts", type=int, default=10_000, help="accounts (default 10,000)")
    ap.add_argument("--runs", type=int, default=7, help="timed runs after one warm-up")
    ap.add_argument(
        "--baseline-accounts", type=int, default=200, help="accounts in the Python-loop sample"
    )
    results = common.repo_root() / "benchmarks" / "RESULTS.md"
    ap.add_argument("--results", type=Path, default=results, help="markdown file to update")
    ap.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md alone")
    args = ap.parse_args(argv)
    if args.accounts < 1 or args.runs < 1 or not 1 <= args.baseline_accounts <= args.accounts:
        ap.error("need accounts >= 1, runs >= 1 and 1 <= baseline-accounts <= accounts")

    started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    machine = common.machine_info(("numpy", "numba"))
    case = make_case(args.accounts, SEED)
    n_contracts = len(case.contracts)

    t0 = time.perf_counter()
    margin = SpanLikeMargin(case.contracts)
    build = time.perf_counter() - t0
    source = margin.source
    assert source is not None

    risk = source.compute(AS_OF, case.market.prices)
    rng = np.random.default_rng(SEED + 1)
    sample = np.sort(rng.choice(args.accounts, size=args.baseline_accounts, replace=False))
    ref = ReferenceSpan(risk, margin.params)
    runners: dict[str, Callable[[], tuple[float, Any]]] = {
        "risk": timed(lambda: source.compute(AS_OF, case.market.prices)),
        "scan": timed(lambda: margin.requirements_with(case.positions, case.kinds, risk)),
        "eod": timed(
            lambda: margin.requirements(
                case.positions, case.kinds, MarketState(AS_OF, case.market.prices.copy())
            )
        ),
        "loop": timed(lambda: reference_margin(ref, case.positions[sample], case.kinds[sample])),
    }
    measured = common.measure(runners, args.runs, warmup=1)
    risk_t, risks = measured["risk"]
    scan_t, scans = measured["scan"]
    eod_t, eods = measured["eod"]
    base_t, base_out = measured["loop"]
    req: MarginRequirements = scans[-1]
    scale = args.accounts / args.baseline_accounts
    baseline_full = base_t.median * scale

    # Check after timing: every run agrees, and the loop agrees with the matrix code.
    same_runs = all(np.array_equal(r.initial, req.initial) for r in [*scans, *eods]) and all(
        np.array_equal(r.scan_up_micros, risk.scan_up_micros) for r in risks
    )
    expected = [
        (int(m), int(i)) for m, i in zip(req.maintenance[sample], req.initial[sample], strict=True)
    ]
    agrees = all(out == expected for out in base_out)
    ok = same_runs and agrees
    check = "ok: identical integer margins" if ok else "MISMATCH"

    total_im = int(req.initial.sum())
    rows = [
        [
            "index-model risk parameters (108 contracts)",
            fmt_s(risk_t.median),
            spread_of(risk_t),
            "—",
        ],
        [
            f"SPAN scan + spreads + IM, {args.accounts:,} accounts (numpy)",
            fmt_s(scan_t.median),
            spread_of(scan_t),
            check,
        ],
        [
            "end-of-day margin = both, fresh market state",
            fmt_s(eod_t.median),
            spread_of(eod_t),
            check,
        ],
        [
            f"per-account Python loop, {args.baseline_accounts} accounts × {scale:g}",
            fmt_s(baseline_full),
            f"{fmt_s(min(base_t.seconds) * scale)}–{fmt_s(max(base_t.seconds) * scale)}",
            check,
        ],
    ]
    ratio = baseline_full / scan_t.median
    verdict = (
        f"End-of-day margin for {args.accounts:,} accounts × {n_contracts} contracts: "
        f"{fmt_s(eod_t.median)} (target: well under {TARGET_SECONDS:g} s — "
        f"{'met' if eod_t.median < TARGET_SECONDS / 4 else 'NOT met'}). "
        f"Vectorised scan ÷ per-account loop: {ratio:,.0f}× faster."
    )
    headers = ["what", "median", "spread (min–max)", "check"]
    print(common.plain_table(headers, rows))
    print()
    print(verdict)
    print(f"model set-up (spread-charge tables), once: {fmt_s(build)}")
    print(f"sum of initial margin: ${total_im / 1e6:,.2f}")

    command = "python -m benchmarks.bench_clearing" + "".join(f" {shlex.quote(a)}" for a in argv)
    body = "\n\n".join(
        [
            f"Produced by `{command}` on {started}.",
            "Machine:\n\n" + "\n".join(f"- {k}: {v}" for k, v in machine),
            f"Portfolio: {args.accounts:,} accounts × {n_contracts} contracts (H100, B200, A100 × "
            "36 months), about 8 random positions of up to 50 lots each plus a calendar spread "
            f"for a third of them; 30% hedgers, 60% speculators, 10% members; seed {SEED}; "
            f"valuation {AS_OF.isoformat()}.",
            f"### Timings (median of {args.runs} rounds after a warm-up round, the four "
            "measurements interleaved round-robin; spread min–max)",
            common.markdown_table(headers, rows),
            verdict,
            "### Notes\n\n"
            + "\n".join(
                f"- {n}"
                for n in [
                    "The scan is integer µ$ throughout: one int64 matrix product "
                    "(accounts × 36) @ (36 × 16) per product, then the spread tiers; no loop over "
                    "accounts.",
                    "The baseline is `clearing.span_reference.ReferenceSpan` (the same rules, one "
                    f"account at a time in Python ints) on a random sample of "
                    f"{args.baseline_accounts} accounts, its time multiplied by {scale:g}; both "
                    "must produce identical margins on the sample.",
                    f"Model set-up (the per-product spread-charge tables, once per run): "
                    f"{fmt_s(build)}.",
                    f"Sum of initial margin over all accounts: ${total_im / 1e6:,.2f}.",
                ]
            ),
        ]
    )
    if not args.no_write:
        common.write_section(args.results, SECTION, body)
        print(f"\nwrote the {SECTION!r} section of {args.results}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
