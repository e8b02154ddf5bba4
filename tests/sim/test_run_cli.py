"""``flopex run`` as a real process, and docs/scenarios.md against the code."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from sim.agents.base import COMMON_PARAMS
from sim.results import SCHEMAS
from sim.scenario import (
    AGENT_KEYS,
    AGENT_KINDS,
    CLEARING_PARAMS,
    INDEX_PARAMS,
    OUTPUT_PARAMS,
    PRODUCT_PARAMS,
    SHOCK_PARAMS,
    TOP_PARAMS,
)
from tests.sim.run_kit import TINY

REPO = Path(__file__).resolve().parents[2]
DOC = (REPO / "docs" / "scenarios.md").read_text()


def flopex(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run the flopex command line; return the finished process."""
    return subprocess.run(
        [sys.executable, "-m", "flopex", *args],
        capture_output=True, text=True, timeout=timeout, cwd=REPO, check=False,
    )  # fmt: skip


def documented_columns() -> dict[str, list[str]]:
    """Return the columns docs/scenarios.md lists under each table of "Results"."""
    results = DOC.split("\n## Results\n", 1)[1]
    out: dict[str, list[str]] = {}
    table = ""
    for line in results.splitlines():
        m = re.fullmatch(r"### `([\w.]+)`", line)
        if m:
            table = m.group(1)
            out[table] = []
            continue
        cell = re.match(r"\| `(\w+)` \|", line)
        if cell and table in SCHEMAS:
            out[table].append(cell.group(1))
    return {k: v for k, v in out.items() if k in SCHEMAS}


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path]:
    d = tmp_path_factory.mktemp("cli")
    scenario = d / "tiny.toml"
    scenario.write_text(TINY)
    out = d / "out"
    return flopex("run", str(scenario), "--out", str(out), "--days", "2", "--seed", "3"), out


def test_flopex_run_writes_every_table_with_the_documented_columns(run) -> None:
    proc, out = run
    assert proc.returncode == 0, proc.stderr
    assert "2/2 days" in proc.stderr and "[" in proc.stderr  # the progress bar
    assert "scenario          tiny (seed 3)" in proc.stdout
    assert "trading days      2 (2026-11-16 .. 2026-11-17)" in proc.stdout
    documented = documented_columns()
    assert set(documented) == set(SCHEMAS) == {
        "trades", "orders", "book_top", "settlements", "variation_margin", "margin_calls",
        "defaults", "equity",
    }  # fmt: skip
    for name, columns in documented.items():
        table = pq.read_table(out / f"{name}.parquet")
        assert table.column_names == columns, name
    assert pq.read_table(out / "trades.parquet").num_rows > 0
    assert pq.read_table(out / "settlements.parquet").num_rows == 2 * 3  # 3 months listed
    summary = json.loads((out / "summary.json").read_text())
    assert summary["seed"] == 3 and summary["trading_days"] == 2
    for key in (
        "spread_and_depth_by_tenor",
        "volume",
        "open_interest",
        "tracking",
        "basis_at_expiry",
        "hedge_effectiveness",
        "margin_calls",
        "defaults",
    ):
        assert key in summary, key  # fmt: skip
        assert f"`{key}`" in DOC


def test_an_invalid_scenario_exits_2_naming_the_key(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(TINY.replace("max_inventory = 12", "max_inventory = -12"))
    proc = flopex("run", str(bad), "--out", str(tmp_path / "out"))
    assert proc.returncode == 2
    assert "flopex run: agents[0].max_inventory: must be positive" in proc.stderr
    assert not (tmp_path / "out").exists()


def test_every_scenario_key_is_documented_with_its_default() -> None:
    tables = [TOP_PARAMS, PRODUCT_PARAMS, INDEX_PARAMS, SHOCK_PARAMS, CLEARING_PARAMS,
              OUTPUT_PARAMS, AGENT_KEYS, COMMON_PARAMS]  # fmt: skip
    tables += [cls.PARAMS for cls in AGENT_KINDS.values()]
    for specs in tables:
        for key, spec in specs.items():
            rows = [line for line in DOC.splitlines() if line.startswith(f"| `{key}` |")]
            assert rows, key
            if not spec.required and spec.kind in (int, float) and spec.default:
                shown = f"{spec.default:_}".replace(".0", "") if spec.default >= 1000 else None
                assert any(str(spec.default) in r or (shown and shown in r) for r in rows), key
    for kind in AGENT_KINDS:
        assert f"#### `{kind}`" in DOC
