"""``flopex validate stylized-facts`` (docs/validation.md): the statistics on series
with known properties, and the command as a real process on a small scenario."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sim.validation.stylized_facts import (
    acf,
    excess_kurtosis,
    facts_of,
    hill,
    mid_returns,
    sampled_returns,
)

REPO = Path(__file__).resolve().parents[2]
SCENARIO = """
name = "tiny-facts"
seed = 3
start = 2026-11-16
days = 1
[[products]]
code = "H100"
months_listed = 2
months_traded = 1
[output]
book_top_minutes = 1
[[agents]]
kind = "market_maker"
count = 2
anchor = 0.0
mean_wait_minutes = 2.0
capital_usd = 1_000_000
[[agents]]
kind = "noise"
count = 12
mean_wait_minutes = 3.0
market_prob = 0.5
capital_usd = 500_000
"""


def garch(n: int, seed: int) -> np.ndarray:
    """A GARCH(1,1) series: uncorrelated, heavy tailed, volatility clustering."""
    rng = np.random.default_rng(seed)
    z = rng.standard_normal(n)
    r = np.zeros(n)
    var = 1.0
    for t in range(1, n):
        var = 0.05 + 0.1 * r[t - 1] ** 2 + 0.85 * var
        r[t] = np.sqrt(var) * z[t]
    return r


def test_iid_normal_returns_have_no_autocorrelation_and_no_excess_kurtosis() -> None:
    r = np.random.default_rng(1).standard_normal(20_000)
    assert np.abs(acf(r, 10)).max() < 0.03
    assert abs(excess_kurtosis(r)) < 0.15
    checks = {ch.text.split(":")[0]: ch.passed for ch in facts_of(r).checks()}
    assert checks["no linear autocorrelation"] is True
    assert checks["volatility clustering"] is False  # no clustering in iid data


def test_a_garch_series_shows_all_three_facts() -> None:
    f = facts_of(garch(20_000, 2))
    assert f.kurtosis > 0.5 and np.all(f.acf_abs[:5] > 0.05)
    assert all(ch.passed for ch in f.checks()), [ch.line() for ch in f.checks()]


def test_hill_recovers_the_tail_index_of_a_student_t() -> None:
    r = np.random.default_rng(3).standard_t(3, 200_000)
    assert 2.5 < hill(r) < 3.6


def test_sampling_keeps_each_session_apart_and_carries_the_last_trade() -> None:
    m = 60_000_000_000
    trades = [(10, 100), (m + 5, 110), (3 * m, 121), (10 * m, 50)]  # last one: next day
    r = sampled_returns(trades, [(0, 4 * m), (9 * m, 12 * m)], m)
    # day 1 at m, 2m, 3m, 4m: 100, 110, 121, 121; day 2 at 10m, 11m, 12m: 50, 50, 50
    assert np.allclose(r, [np.log(1.1), np.log(1.1), 0.0, 0.0, 0.0])
    tops = [(m, 99, 101), (2 * m, 0, 101), (3 * m, 109, 111)]
    assert np.allclose(mid_returns(tops, [(0, 4 * m)], 1), [])  # an empty side breaks pairs
    assert np.allclose(mid_returns(tops[::2], [(0, 4 * m)], 1), [np.log(1.1)])


def flopex(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flopex", *args],
        capture_output=True, text=True, timeout=120, cwd=REPO, check=False,
    )  # fmt: skip


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> list[subprocess.CompletedProcess[str]]:
    path = tmp_path_factory.mktemp("facts") / "tiny.toml"
    path.write_text(SCENARIO, encoding="utf-8")
    return [flopex("validate", "stylized-facts", str(path), "--seed", s) for s in ("3", "4")]


def test_the_command_prints_the_statistics_and_checks_from_the_run(
    runs: list[subprocess.CompletedProcess[str]],
) -> None:
    out = runs[0].stdout
    assert runs[0].returncode in (0, 1), runs[0].stderr
    assert "scenario tiny-facts, 1 trading days, seed 3; returns of mid quote every 1 min" in out
    assert re.search(r"^ACF\(r\)(\s+-?\d\.\d{3}){10}$", out, re.M)
    assert re.search(r"^ACF\(\|r\|\)(\s+-?\d\.\d{3}){10}$", out, re.M)
    for claim in ("enough data", "no linear autocorrelation", "heavy tails: excess kurtosis",
                  "heavy tails: Hill", "volatility clustering: ACF", "volatility clustering decays"):  # fmt: skip
        assert re.search(rf"^(PASS|FAIL)  {re.escape(claim)}", out, re.M), claim
    m = re.search(r"^(\d) of 6 checks passed$", out, re.M)
    assert m and (m.group(1) == "6") == (runs[0].returncode == 0)


def test_another_seed_gives_other_figures(runs: list[subprocess.CompletedProcess[str]]) -> None:
    a, b = (re.search(r"^ACF\(r\).*$", r.stdout, re.M) for r in runs)
    assert a and b and a.group(0) != b.group(0)


def test_an_unknown_scenario_is_refused_with_status_2() -> None:
    bad = flopex("validate", "stylized-facts", "no-such-scenario")
    assert bad.returncode == 2 and "no-such-scenario" in bad.stderr
