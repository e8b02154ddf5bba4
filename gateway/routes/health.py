"""Liveness."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from gateway.routes.deps import GatewayDep

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz(gw: GatewayDep) -> JSONResponse:
    """Return 200 while the pipeline and timers run, 503 otherwise."""
    body = {
        "status": "ok" if gw.healthy else "failing",
        "instruments": len(gw.instruments.by_name),
        "sessions": len(gw.sessions),
        "commands": gw.pipeline.processed,
        "queue": gw.pipeline.queue.qsize(),
    }
    return JSONResponse(body, status_code=200 if gw.healthy else 503)
