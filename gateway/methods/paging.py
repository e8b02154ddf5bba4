"""Trade history queries shared by public and private trade methods."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal, TypeVar

from gateway.dispatch import Params
from gateway.errors import INVALID_ARGUMENTS, RpcError
from gateway.instruments import NS_PER_MS

T = TypeVar("T")


class TradeQuery(Params, frozen=True, kw_only=True):
    """Deribit's trade history filters: sequence and time windows (ms), count, sorting."""

    instrument_name: str
    start_seq: int | None = None
    end_seq: int | None = None
    start_timestamp: int | None = None
    end_timestamp: int | None = None
    count: int = 10
    sorting: Literal["asc", "desc", "default"] = "default"


def select(
    items: Sequence[T], q: TradeQuery, seq_of: Callable[[T], int], ts_of: Callable[[T], int]
) -> tuple[list[T], bool]:
    """Return (page, has_more): ``items`` (oldest first) filtered by ``q``'s windows, newest
    first unless ``sorting`` is ``asc``, cut to ``count``. O(len(items))."""
    if not 1 <= q.count <= 1_000:
        raise RpcError(INVALID_ARGUMENTS, "count must be 1..1000", "count")
    lo_ts = None if q.start_timestamp is None else q.start_timestamp * NS_PER_MS
    hi_ts = None if q.end_timestamp is None else q.end_timestamp * NS_PER_MS
    picked = [
        t
        for t in items
        if (q.start_seq is None or seq_of(t) >= q.start_seq)
        and (q.end_seq is None or seq_of(t) <= q.end_seq)
        and (lo_ts is None or ts_of(t) >= lo_ts)
        and (hi_ts is None or ts_of(t) <= hi_ts)
    ]
    page = picked[: q.count] if q.sorting == "asc" else picked[::-1][: q.count]
    return page, len(picked) > q.count
