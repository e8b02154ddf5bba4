"""Per-key request limits: a token bucket for each API key (docs/protocol.md GW-3).

Each key may make ``burst`` requests at once and ``rate`` a second sustained, counted
over all its connections and both transports. A request beyond that is answered 10028
``too_many_requests`` before it does anything, with how long to wait. Administrator keys
are not limited; unauthenticated requests are limited per connection by the frame
limits of the transport, not here. Times in seconds (monotonic clock).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from gateway.errors import TOO_MANY_REQUESTS, RpcError


@dataclass(slots=True)
class _Bucket:
    tokens: float
    at: float


class RateLimiter:
    """Token buckets by client id: ``rate`` requests a second, ``burst`` at once."""

    def __init__(
        self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}

    def take(self, client_id: str) -> None:
        """Count one request of ``client_id``; raise 10028 when its bucket is empty."""
        if self.rate <= 0:
            return
        now = self._clock()
        b = self._buckets.get(client_id)
        if b is None:
            b = self._buckets[client_id] = _Bucket(float(self.burst), now)
        b.tokens = min(float(self.burst), b.tokens + (now - b.at) * self.rate)
        b.at = now
        if b.tokens < 1.0:
            wait = (1.0 - b.tokens) / self.rate
            raise RpcError(
                TOO_MANY_REQUESTS,
                f"more than {self.rate:g} requests a second (burst {self.burst}) for this "
                f"key; retry in {wait:.3f} s",
            )
        b.tokens -= 1.0
