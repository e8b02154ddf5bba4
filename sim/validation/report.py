"""Check flopex's Gode–Sunder results against the paper and print them side by side.

The checks, per design and institution (tolerances below, stated in
``docs/validation.md``):

1. ZI-C mean efficiency is at least ``MIN_ZI_C`` %;
2. ZI-C mean efficiency is within ``PAPER_TOLERANCE`` points of the paper's figure
   (when the design file gives one);
3. ZI-C efficiency is above ZI-U efficiency;
4. ZI-C prices converge within a period: the least-squares slope of the RMS
   deviation from the equilibrium price on the trade's number is negative;
5. ZI-U efficiency equals the design's closed form (every unit trades), when the
   design has one.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TextIO

from sim.validation.design import Design
from sim.validation.gode_sunder import KINDS, CellResult, Settings, run_cell

MIN_ZI_C = 96.0  # %
PAPER_TOLERANCE = 2.5  # percentage points
CLOSED_FORM_TOLERANCE = 1e-9  # percentage points: every unit trades, so it is exact


@dataclass(frozen=True)
class Check:
    """One pass/fail line."""

    passed: bool
    text: str

    def line(self) -> str:
        """Return the printed line: ``PASS`` or ``FAIL``, then the claim."""
        return f"{'PASS' if self.passed else 'FAIL'}  {self.text}"


def checks(u: CellResult, zc: CellResult) -> list[Check]:
    """Return the checks of one design × institution from its ZI-U and ZI-C cells."""
    d = zc.design
    where = f"{d.name} / {zc.institution}:"
    e_u, e_c = u.efficiency, zc.efficiency
    out = [Check(e_c >= MIN_ZI_C, f"{where} ZI-C efficiency {e_c:.2f}% >= {MIN_ZI_C:g}%")]
    if d.paper is not None and d.paper.zi_c_efficiency is not None:
        ref = d.paper.zi_c_efficiency
        out.append(
            Check(
                abs(e_c - ref) <= PAPER_TOLERANCE,
                f"{where} ZI-C efficiency {e_c:.2f}% within {PAPER_TOLERANCE:g} points of the paper's {ref:g}%",
            )
        )
    out.append(Check(e_c > e_u, f"{where} ZI-C efficiency {e_c:.2f}% > ZI-U {e_u:.2f}%"))
    slope = zc.rms_slope()
    out.append(
        Check(
            slope is not None and slope < 0,
            f"{where} ZI-C RMS price deviation falls within a period "
            f"(slope {_num(slope)} price units per trade)",
        )
    )
    closed = d.zi_u_closed_form()
    if closed is not None:
        exact = u.all_units_traded and abs(e_u - closed) <= CLOSED_FORM_TOLERANCE
        out.append(
            Check(
                exact,
                f"{where} ZI-U efficiency {e_u:.2f}% equals the closed form {closed:.2f}% "
                f"(every unit trades: {'yes' if u.all_units_traded else 'no'})",
            )
        )
    return out


def _num(x: float | None, fmt: str = "+.3f") -> str:
    return "n/a" if x is None else format(x, fmt)


def _fig(x: float | None) -> str:
    return "—" if x is None else f"{x:.1f}"


def validate_gode_sunder(
    designs: Sequence[Design],
    institutions: Sequence[str],
    settings: Settings,
    out: TextIO,
) -> int:
    """Run every cell, print the comparison and the checks; return 0 if all passed, else 1."""
    t0 = time.perf_counter()
    s = settings
    print(
        f"Gode & Sunder (1993) on flopex: {len(designs)} design(s) × {len(institutions)} "
        f"institution(s) × ZI-U, ZI-C; {s.runs} runs × {s.periods} periods; seed {s.seed}",
        file=out,
    )
    print(
        f"period ≤ {s.period_ns / 1e9:g} s; each trader quotes every {s.mean_wait_ns / 1e9:g} s "
        f"on average; latency {s.latency_ns / 1e6:g} ms each way",
        file=out,
    )
    results: list[tuple[CellResult, CellResult]] = []
    digest = hashlib.sha256()
    commands = 0
    for d in designs:
        for inst in institutions:
            u, zc = (run_cell(d, inst, kind, s) for kind in KINDS)
            results.append((u, zc))
            for p in u.periods + zc.periods:
                digest.update(p.journal_hash.encode())
                commands += p.commands
    _table(results, out)
    all_checks = [ch for u, zc in results for ch in checks(u, zc)]
    print("\nchecks", file=out)
    for ch in all_checks:
        print(ch.line(), file=out)
    passed = sum(ch.passed for ch in all_checks)
    print(f"\n{passed} of {len(all_checks)} checks passed", file=out)
    seconds = time.perf_counter() - t0
    print(f"journal sha256 {digest.hexdigest()}", file=out)
    print(
        f"ran in {seconds:.1f} s: {commands:,} venue commands "
        f"({commands / seconds:,.0f} a second, agents and kernel included)",
        file=out,
    )
    return 0 if passed == len(all_checks) else 1


def _table(results: list[tuple[CellResult, CellResult]], out: TextIO) -> None:
    print("\nMean allocative efficiency, % (paper: Table 2)", file=out)
    head = f"{'design':<12}{'institution':<13}{'ZI-U':>8}{'paper':>8}{'ZI-C':>8}{'paper':>8}{'human':>8}"
    print(head, file=out)
    for u, zc in results:
        p = zc.design.paper
        print(
            f"{zc.design.name:<12}{zc.institution:<13}{u.efficiency:>8.2f}"
            f"{_fig(p.zi_u_efficiency if p else None):>8}{zc.efficiency:>8.2f}"
            f"{_fig(p.zi_c_efficiency if p else None):>8}{_fig(p.human_efficiency if p else None):>8}",
            file=out,
        )
    print(
        "\nPrice convergence within a period: RMS deviation from equilibrium by trade number",
        file=out,
    )
    print(
        f"{'design':<12}{'institution':<13}{'P*':>6}{'ZI-C first':>12}{'ZI-C last':>11}"
        f"{'ZI-C slope':>12}{'ZI-U slope':>12}{'ZI-C trades':>13}",
        file=out,
    )
    for u, zc in results:
        pts = zc.rms_by_trade()
        first, last = (pts[0][1], pts[-1][1]) if pts else (None, None)
        trades = sum(p.units_traded for p in zc.periods) / max(len(zc.periods), 1)
        print(
            f"{zc.design.name:<12}{zc.institution:<13}{zc.design.equilibrium_price():>6g}"
            f"{_num(first, '.2f'):>12}{_num(last, '.2f'):>11}"
            f"{_num(zc.rms_slope()):>12}{_num(u.rms_slope()):>12}{trades:>13.1f}",
            file=out,
        )
