"""Session methods: hello, test, time, status and heartbeats."""

from __future__ import annotations

import asyncio

from gateway.dispatch import REGISTRY, Call, Params
from gateway.errors import INVALID_ARGUMENTS, RpcError
from gateway.instruments import ms

VERSION = "1.2.26-flopex.0.1.0"


class HelloParams(Params, frozen=True, kw_only=True):
    client_name: str = ""
    client_version: str = ""


class HeartbeatParams(Params, frozen=True, kw_only=True):
    interval: float
    """Seconds between heartbeats (at least ``min_heartbeat_interval_s``)."""


class LivenessParams(Params, frozen=True, kw_only=True):
    expected_result: str | None = None


@REGISTRY.method("public/hello", HelloParams)
async def hello(call: Call, p: HelloParams) -> dict[str, str]:
    """Introduce the client; return the API version."""
    return {"version": VERSION}


@REGISTRY.method("public/test", LivenessParams)
async def test(call: Call, p: LivenessParams) -> dict[str, str]:
    """Answer a liveness check (and a heartbeat ``test_request``)."""
    return {"version": VERSION}


@REGISTRY.method("public/get_time", Params)
async def get_time(call: Call, p: Params) -> int:
    """Return the venue clock in milliseconds."""
    return ms(call.gw.now())


@REGISTRY.method("public/status", Params)
async def status(call: Call, p: Params) -> dict[str, object]:
    """Return whether trading is locked (never, until the instructor namespace exists)."""
    return {"locked": "false", "locked_indices": []}


@REGISTRY.method("public/set_heartbeat", HeartbeatParams, ws_only=True)
async def set_heartbeat(call: Call, p: HeartbeatParams) -> str:
    """Start server heartbeats every ``interval`` seconds on this connection."""
    session = call.session
    assert session is not None
    least = call.gw.settings.min_heartbeat_interval_s
    if not p.interval >= least:
        raise RpcError(INVALID_ARGUMENTS, f"interval must be at least {least} s", "interval")
    session.stop_heartbeat()
    session.heartbeat = asyncio.create_task(session.run_heartbeat(p.interval))
    return "ok"


@REGISTRY.method("public/disable_heartbeat", Params, ws_only=True)
async def disable_heartbeat(call: Call, p: Params) -> str:
    """Stop server heartbeats on this connection."""
    assert call.session is not None
    call.session.stop_heartbeat()
    return "ok"
