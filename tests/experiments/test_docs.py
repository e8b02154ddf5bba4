"""docs/experiments.md against the code: the sweep file example loads as described and
the table of keys lists exactly the keys the loader accepts."""

from __future__ import annotations

import re
from pathlib import Path

from sim.experiments.sweep_file import TOP_KEYS, load_sweep

DOC = (Path(__file__).resolve().parents[2] / "docs" / "experiments.md").read_text()


def test_the_documented_sweep_file_loads(tmp_path: Path) -> None:
    block = re.search(r"## Sweep files\n\n```toml\n(.*?)```", DOC, re.S)
    assert block is not None
    path = tmp_path / "example.toml"
    path.write_text(block.group(1))
    sweep = load_sweep(path)
    assert sweep.keys == ("agents[0].count", "clearing.margin_multiplier")
    assert len(sweep.points) == 3 * 2 and sweep.seeds == (1, 2, 3, 4) and sweep.days == 10
    assert sweep.metrics == ("spread_bps_m2", "depth_m2")


def test_the_key_table_lists_every_top_level_key() -> None:
    section = DOC.split("## Sweep files", 1)[1].split("**Keys**", 1)[0]
    rows = re.findall(r"^\| `([^`]+)`", section, re.M)
    assert {k.strip("[]") for k in rows} == set(TOP_KEYS)
