"""Dependencies shared by the routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from starlette.requests import HTTPConnection

from gateway.core import Gateway


def get_gateway(conn: HTTPConnection) -> Gateway:
    """Return the running gateway the lifespan stored on the app."""
    gw: Gateway = conn.app.state.gateway
    return gw


GatewayDep = Annotated[Gateway, Depends(get_gateway)]
