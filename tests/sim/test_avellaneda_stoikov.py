"""``flopex validate avellaneda-stoikov`` (docs/validation.md): the command as a real
process with few simulations, and the pieces it is built from."""

from __future__ import annotations

import io
import math
import re
import subprocess
import sys
from pathlib import Path

import pytest

from sim.validation.avellaneda_stoikov import (
    REFERENCE,
    CaseResult,
    PaperQuoter,
    ReferenceFileError,
    Settings,
    load_reference,
    numeric_checks,
    qualitative_checks,
    run_case,
    units,
    validate_avellaneda_stoikov,
)

REPO = Path(__file__).resolve().parents[2]


def flopex(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flopex", *args],
        capture_output=True, text=True, timeout=120, cwd=REPO, check=False,
    )  # fmt: skip


def _figures(out: str) -> list[str]:
    return re.findall(r"^\s+0\.1 (?:inventory|symmetric).*$", out, flags=re.M)


@pytest.fixture(scope="module")
def runs() -> tuple[subprocess.CompletedProcess[str], subprocess.CompletedProcess[str]]:
    a = flopex("validate", "avellaneda-stoikov", "--runs", "40", "--gamma", "0.1", "--seed", "3")
    b = flopex("validate", "avellaneda-stoikov", "--runs", "40", "--gamma", "0.1", "--seed", "4")
    return a, b


def test_the_command_prints_ours_beside_the_papers_table_and_the_checks(
    runs: tuple[subprocess.CompletedProcess[str], subprocess.CompletedProcess[str]],
) -> None:
    out = runs[0].stdout
    assert runs[0].returncode in (0, 1), runs[0].stderr
    assert "40 simulations each; seed 3" in out
    rows = _figures(out)
    assert len(rows) == 2
    # ours | paper for each figure; the paper's Table 1 figures with a star when two
    # sources agree on them
    assert re.search(r"inventory\s+[\d.]+ \|\s+1\.29\s+[\d.]+ \|\s+62\.94\*", rows[0])
    assert re.search(r"symmetric\s+[\d.]+ \|\s+1\.29\s+[\d.]+ \|\s+67\.21\*", rows[1])
    for claim in ("std of profit", "std of final q", "mean profit"):
        assert re.search(
            rf"^(PASS|FAIL)  γ = 0\.1: inventory {claim} [\d.]+ < symmetric", out, re.M
        )
    assert re.search(
        r"^(PASS|FAIL)  γ = 0\.1 symmetric: std_final_q [\d.]+ within [\d.]+ of the paper's 8\.66 \(Table 1, sources A\+B\)",
        out,
        re.M,
    )
    m = re.search(r"^(\d+) of (\d+) checks passed$", out, re.M)
    assert m and int(m.group(2)) == 9
    assert (int(m.group(1)) == 9) == (runs[0].returncode == 0)
    assert "sources:" in out and "doi:10.1080/14697680701381228" in out


def test_the_figures_come_from_the_run_another_seed_changes_them(
    runs: tuple[subprocess.CompletedProcess[str], subprocess.CompletedProcess[str]],
) -> None:
    a, b = runs
    assert _figures(a.stdout) != _figures(b.stdout)
    digest = re.compile(r"journal sha256 ([0-9a-f]{64})")
    assert digest.search(a.stdout).group(1) != digest.search(b.stdout).group(1)  # type: ignore[union-attr]


def test_the_same_seed_gives_the_same_journal_digest() -> None:
    ref = load_reference()
    outs = []
    for _ in range(2):
        buf = io.StringIO()
        validate_avellaneda_stoikov(ref, Settings(runs=5, seed=9, gammas=(0.5,)), buf)
        outs.append(re.search(r"journal sha256 (\w+)", buf.getvalue()).group(1))  # type: ignore[union-attr]
    assert outs[0] == outs[1]


def test_the_quoter_is_the_market_maker_formula_in_the_papers_units() -> None:
    ref = load_reference()
    q = PaperQuoter(0.1, ref.model, "inventory")
    bid, ask = q.quotes(100.0, 2, 0.5)
    r = 100 - 2 * 0.1 * 4 * 0.5
    spread = 0.1 * 4 * 0.5 + (2 / 0.1) * math.log(1 + 0.1 / 1.5)
    assert (bid + ask) / 2 == pytest.approx(r)
    assert ask - bid == pytest.approx(spread)
    sym = PaperQuoter(0.1, ref.model, "symmetric")
    bid, ask = sym.quotes(100.0, 7, 0.5)
    assert (bid + ask) / 2 == pytest.approx(100.0)
    assert ask - bid == pytest.approx(1.29, abs=0.005)  # the paper's Spread column


def test_quotes_round_outwards_onto_the_grid() -> None:
    assert units(100.00005, up=False) == 500_000
    assert units(100.00005, up=True) == 500_001
    assert units(100.0, up=True) == 500_000


def test_market_orders_trade_against_the_dealer_in_the_engine() -> None:
    ref = load_reference()
    res = run_case(0.1, "inventory", ref.model, Settings(runs=3, seed=1))
    assert res.fills > 50  # about 100 fills a simulation
    assert len(res.profits) == 3 and all(p > 0 for p in res.profits)
    assert res.commands > 3 * 200  # a quote move a step at least
    assert abs(sum(res.final_q)) <= 3 * 30


def test_checks_fail_when_the_figures_disagree() -> None:
    ref = load_reference()
    paper = ref.case(0.1)
    assert paper is not None
    inv = CaseResult(0.1, "inventory", profits=[100.0, 120.0], final_q=[5, -5], spreads=[1.5])
    sym = CaseResult(0.1, "symmetric", profits=[60.0, 61.0], final_q=[1, -1], spreads=[1.29])
    assert not any(ch.passed for ch in qualitative_checks(inv, sym))
    lines = [ch.line() for ch in numeric_checks(inv, paper)]
    assert lines and all(line.startswith("FAIL") for line in lines)


def test_a_broken_reference_file_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "ref.toml"
    bad.write_text(REFERENCE.read_text().replace("gamma = 0.1\n", ""), encoding="utf-8")
    with pytest.raises(ReferenceFileError, match="gamma"):
        load_reference(bad)
