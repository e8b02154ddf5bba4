"""The FastAPI application factory.

``create_app(settings)`` returns an app whose lifespan builds the ``Gateway`` (venue,
pipeline task, timers) on start-up and stops it on shutdown. Routers: websocket API,
HTTP API, health, the classroom game's pages and CSV exports; the lifespan also attaches
the classroom game (gateway/game/attach.py). OpenAPI docs are served at ``/docs``.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

import gateway.methods  # noqa: F401  (registers every method)
from gateway.core import Gateway
from gateway.game.attach import attach, detach
from gateway.routes import game_http, health, http, pages, ws
from gateway.sequencer import EngineSequencer, SequencerFactory
from gateway.settings import Settings, get_settings

log = logging.getLogger("flopex.gateway")


def create_app(
    settings: Settings | None = None, sequencer_factory: SequencerFactory = EngineSequencer
) -> FastAPI:
    """Return the gateway app for ``settings`` (default: ``get_settings()``).

    With ``settings.data_dir`` and the default sequencer, the gateway runs the journaled
    pipeline on that directory and recovers from it on start (gateway/durable.py).
    """
    settings = settings if settings is not None else get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        gw = Gateway(settings, sequencer_factory)
        app.state.gateway = gw
        await gw.start()
        attach(gw)
        log.info("flopex gateway up: %d instruments", len(gw.instruments.by_name))
        try:
            yield
        finally:
            await detach(gw)
            await gw.stop()

    app = FastAPI(
        title="flopex gateway",
        summary="Deribit v2 dialect for GPU-hour compute futures",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.include_router(ws.router)
    app.include_router(http.router)
    app.include_router(health.router)
    app.include_router(pages.router)
    app.include_router(game_http.router)
    return app
