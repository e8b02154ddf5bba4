"""Fixtures running the engine tests against both engines (reference and numba)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from exchange import codes as c
from exchange.reference import ReferenceEngine
from tests.exchange.book_dsl import EngineLike, list_instruments

EngineFactory = Callable[..., EngineLike]


def engine_class(name: str) -> Callable[..., EngineLike]:
    """Return the engine class called ``name`` ("reference" or "numba")."""
    if name == "reference":
        return ReferenceEngine
    if name == "numba":
        # Imported here so the reference tests run while the kernel is being written;
        # a missing or broken numba engine makes its tests error, never skip.
        from exchange.engine import Engine

        return Engine
    raise ValueError(f"unknown engine {name!r}")


@pytest.fixture(params=["reference", "numba"])
def make_engine(request: pytest.FixtureRequest) -> EngineFactory:
    """Return a factory ``make_engine(n_instruments=2, max_price=1000, n_accounts=16, ...)``."""
    cls = engine_class(request.param)

    def factory(
        n_instruments: int = 2,
        max_price: int = 1000,
        n_accounts: int = 16,
        smp: int = c.SMP_CANCEL_RESTING,
        emit: int = c.EMIT_ALL,
    ) -> EngineLike:
        return cls(n_instruments, max_price, n_accounts, smp=smp, emit=emit)

    return factory


@pytest.fixture
def engine(make_engine: EngineFactory) -> EngineLike:
    """Return a default engine (2 slots, prices 1..1000, 16 accounts) with both slots listed."""
    e = make_engine()
    list_instruments(e, 0, 1)
    return e
