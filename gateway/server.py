"""Run the gateway with uvicorn (``flopex serve``)."""

from __future__ import annotations

import logging

import uvicorn

from gateway.app import create_app
from gateway.settings import Settings


def serve(host: str = "127.0.0.1", port: int = 8000, settings: Settings | None = None) -> None:
    """Serve the gateway on ``host``:``port`` until interrupted."""
    settings = settings if settings is not None else Settings.from_env()
    ours = logging.getLogger("flopex")
    if not ours.handlers:  # recovery and journal messages, next to uvicorn's
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s:     %(name)s: %(message)s"))
        ours.addHandler(handler)
        ours.setLevel(logging.INFO)
    app = create_app(settings)
    uvicorn.run(
        app,
        host=host,
        port=port,
        ws_max_size=settings.ws_max_size,
        log_level="info",
        lifespan="on",
    )
