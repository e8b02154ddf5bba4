"""The examples in docs/simulation.md run as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "simulation.md"


def test_the_agent_example_in_the_simulation_docs_runs_and_trades(
    capsys: pytest.CaptureFixture[str],
) -> None:
    (example,) = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)
    exec(compile(example, str(DOC), "exec"), {"__name__": "docs_example"})
    bought, digest = capsys.readouterr().out.split()
    assert int(bought) > 0 and len(digest) == 12
