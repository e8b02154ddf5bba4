"""Liveness, and the event loop's lag.

A probe task sleeps 50 ms in a loop and records by how much each sleep overran: the
time the loop was busy with something else when it should have woken up. ``/healthz``
reports its median, 99th percentile and maximum over the last ``lag_window_s`` seconds
(default 60), so load tests can watch the server from outside.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse

from gateway.routes.deps import GatewayDep

PROBE_PERIOD_S = 0.05
PROBE_KEEP = 12_000  # ten minutes of samples


class LoopLag:
    """Samples of the event loop's lag: (monotonic time, overshoot in s) of each sleep."""

    def __init__(self, period_s: float = PROBE_PERIOD_S, keep: int = PROBE_KEEP) -> None:
        self.period_s = period_s
        self.samples: deque[tuple[float, float]] = deque(maxlen=keep)

    async def run(self) -> None:
        """Sleep ``period_s`` again and again, recording each overshoot (until cancelled)."""
        while True:
            t0 = time.perf_counter()
            await asyncio.sleep(self.period_s)
            t1 = time.perf_counter()
            self.samples.append((t1, max(0.0, t1 - t0 - self.period_s)))

    def summary(self, window_s: float) -> dict[str, float | int]:
        """Return ``p50_ms``, ``p99_ms``, ``max_ms`` and ``samples`` of the last ``window_s``."""
        since = time.perf_counter() - window_s
        lags = sorted(lag for t, lag in self.samples if t >= since)
        if not lags:
            return {"p50_ms": 0.0, "p99_ms": 0.0, "max_ms": 0.0, "samples": 0}

        def q(f: float) -> float:
            return round(1e3 * lags[min(len(lags) - 1, int(f * len(lags)))], 3)

        return {"p50_ms": q(0.5), "p99_ms": q(0.99), "max_ms": q(1.0), "samples": len(lags)}


@asynccontextmanager
async def _probe(app: FastAPI) -> AsyncIterator[None]:
    probe = LoopLag()
    app.state.loop_lag = probe
    task = asyncio.create_task(probe.run(), name="flopex-loop-lag")
    try:
        yield
    finally:
        task.cancel()


router = APIRouter(tags=["health"], lifespan=_probe)


@router.get("/healthz")
async def healthz(gw: GatewayDep, request: Request, lag_window_s: float = 60.0) -> JSONResponse:
    """Return 200 while the pipeline and timers run, 503 otherwise; with the event
    loop's lag over the last ``lag_window_s`` seconds (``loop_lag``, ms)."""
    probe: LoopLag | None = getattr(request.app.state, "loop_lag", None)
    body = {
        "status": "ok" if gw.healthy else "failing",
        "instruments": len(gw.instruments.by_name),
        "sessions": len(gw.sessions),
        "commands": gw.pipeline.processed,
        "queue": gw.pipeline.queue.qsize(),
        "loop_lag": probe.summary(lag_window_s) if probe is not None else None,
    }
    return JSONResponse(body, status_code=200 if gw.healthy else 503)
