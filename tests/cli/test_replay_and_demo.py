"""The ``flopex`` command line, run as a real process on real files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
MAKE_STREAM = REPO.parent / "shared" / "bench" / "make_stream.py"


def flopex(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run the flopex command line; return the finished process."""
    return subprocess.run(
        [sys.executable, "-m", "flopex", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
        check=False,
    )


@pytest.fixture(scope="module")
def stream(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 20,000-message, 3-instrument deep stream made by the standard generator."""
    out = tmp_path_factory.mktemp("stream") / "deep_3i.npy"
    subprocess.run(
        [sys.executable, str(MAKE_STREAM), "--n", "20000", "--instruments", "3", "--seed", "5",
         "--regime", "deep", "--out", str(out), "--fills-out", str(out.with_name("expected.npy"))],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    return out


@pytest.mark.parametrize("engine", ["numba", "reference"])
def test_replay_writes_exactly_the_fills_the_generator_expects(
    stream: Path, tmp_path: Path, engine: str
) -> None:
    fills_out = tmp_path / "fills.npy"
    run = flopex("replay", str(stream), "--fills-out", str(fills_out), "--engine", engine)
    assert run.returncode == 0, run.stderr
    expected = np.load(stream.with_name("expected.npy"))
    got = np.load(fills_out)
    assert got.dtype == np.int64 and got.shape == expected.shape
    assert np.array_equal(got, expected)
    meta = json.loads(stream.with_suffix(".json").read_text())
    assert f"fills sha256      {meta['fills_sha256']}" in run.stdout
    assert "matches deep_3i.json: yes" in run.stdout
    assert "messages/s" in run.stdout


def test_replay_refuses_a_file_that_is_not_a_stream(tmp_path: Path) -> None:
    bad = tmp_path / "bad.npy"
    np.save(bad, np.zeros((5, 4), dtype=np.int64))
    run = flopex("replay", str(bad))
    assert run.returncode == 2
    assert "a stream is an (N, 6) array" in run.stderr


def test_replay_reports_a_missing_file_clearly(tmp_path: Path) -> None:
    run = flopex("replay", str(tmp_path / "nowhere.npy"))
    assert run.returncode == 2
    assert "No such file" in run.stderr


def test_demo_trades_the_curves_and_ends_with_invariants_checked() -> None:
    run = flopex("engine-demo", "--seconds", "3", "--seed", "11")
    assert run.returncode == 0, run.stderr
    assert "H100-" in run.stdout and "B200" in run.stdout and "A100" in run.stdout
    assert "book invariants hold" in run.stdout
    trades = int(run.stdout.rsplit("trades ", 1)[1].split()[0].replace(",", ""))
    assert trades > 0
