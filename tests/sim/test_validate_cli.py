"""``flopex validate gode-sunder`` run as a real process (docs/validation.md)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def flopex(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run the flopex command line; return the finished process."""
    return subprocess.run(
        [sys.executable, "-m", "flopex", *args],
        capture_output=True, text=True, timeout=timeout, cwd=REPO, check=False,
    )  # fmt: skip


@pytest.fixture(scope="module")
def two_runs() -> subprocess.CompletedProcess[str]:
    return flopex("validate", "gode-sunder", "--runs", "2", "--seed", "11")


def test_markets_1_and_2_pass_every_check_in_both_institutions(
    two_runs: subprocess.CompletedProcess[str],
) -> None:
    out = two_runs.stdout
    assert two_runs.returncode == 0, out + two_runs.stderr
    for market in ("market 1", "market 2"):
        for inst in ("paper", "continuous"):
            where = f"PASS  {market} / {inst}:"
            assert re.search(rf"{where} ZI-C efficiency \d+\.\d\d% >= 96%", out)
            assert re.search(
                rf"{where} ZI-C efficiency [\d.]+% within 2.5 points of the paper's", out
            )
            assert re.search(rf"{where} ZI-C efficiency [\d.]+% > ZI-U 90.00%", out)
            assert re.search(
                rf"{where} ZI-C RMS price deviation falls within a period \(slope -", out
            )
            assert f"{where} ZI-U efficiency 90.00% equals the closed form 90.00%" in out
    assert "FAIL" not in out
    assert "20 of 20 checks passed" in out


def test_the_table_shows_the_papers_figures_beside_ours(
    two_runs: subprocess.CompletedProcess[str],
) -> None:
    rows = {
        line[:25].strip(): line.split()[-5:]
        for line in two_runs.stdout.splitlines()
        if line.startswith("market ") and len(line.split()) == 8
    }
    assert rows["market 1    paper"][1] == "90.0" and rows["market 1    paper"][3:] == [
        "99.9",
        "99.7",
    ]
    assert rows["market 2    continuous"][3:] == ["99.2", "99.1"]


def test_the_same_seed_prints_the_same_journal_digest_and_another_seed_does_not() -> None:
    small = ("validate", "gode-sunder", "--runs", "1", "--periods", "2")
    a, b, other = flopex(*small), flopex(*small), flopex(*small, "--seed", "2")
    digests = [re.search(r"journal sha256 ([0-9a-f]{64})", r.stdout) for r in (a, b, other)]
    assert all(digests)
    assert digests[0].group(1) == digests[1].group(1) != digests[2].group(1)  # type: ignore[union-attr]


def test_a_user_design_file_runs_and_is_checked_without_paper_figures(tmp_path: Path) -> None:
    design = tmp_path / "steep.toml"
    design.write_text(
        'name = "steep"\nprice_max = 150\n'
        "[[buyers]]\ncount = 4\nvalues = [140, 120, 100, 60]\n"
        "[[sellers]]\ncount = 4\ncosts = [20, 40, 60, 100]\n"
    )
    run = flopex(
        "validate", "gode-sunder", "--design", str(design), "--runs", "1", "--periods", "2",
        "--institution", "paper",
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    assert "PASS  steep / paper: ZI-C efficiency" in run.stdout
    assert "within 2.5 points" not in run.stdout  # no paper figure to compare with
    assert "1 design(s) × 1 institution(s)" in run.stdout


def test_a_malformed_design_file_is_refused_with_the_bad_key_named(tmp_path: Path) -> None:
    design = tmp_path / "typo.toml"
    design.write_text("[[buyers]]\nvalues = [100]\n[[sellers]]\ncosst = [50]\n")
    run = flopex("validate", "gode-sunder", "--design", str(design))
    assert run.returncode == 2
    assert "typo.toml: key 'sellers[0].cosst': unknown key (allowed: count, costs)" in run.stderr
    assert run.stdout == ""


def test_a_failed_check_makes_the_exit_status_non_zero(tmp_path: Path) -> None:
    # Periods of 5 s are far too short for trading to finish (efficiency collapses).
    run = flopex(
        "validate", "gode-sunder", "--runs", "1", "--periods", "2", "--period-s", "5",
        "--institution", "paper",
    )  # fmt: skip
    assert run.returncode == 1
    assert "FAIL  market 1 / paper: ZI-C efficiency" in run.stdout
