"""Shared fixtures: a tiny scenario and one local Dask cluster (two worker processes on
127.0.0.1) for the whole directory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

TINY = Path(__file__).with_name("tiny.toml")


@pytest.fixture(scope="session")
def dask_client() -> Iterator[Any]:
    from dask.distributed import Client, LocalCluster

    cluster = LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
        dashboard_address="127.0.0.1:0",
    )  # fmt: skip
    client = Client(cluster)
    yield client
    client.close()
    cluster.close()


def write_sweep(folder: Path, body: str) -> Path:
    """Write a sweep file over the tiny scenario; return its path."""
    path = folder / "sweep.toml"
    path.write_text(f'scenario = "{TINY}"\n{body}')
    return path
