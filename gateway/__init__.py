"""The websocket gateway: Deribit v2 JSON-RPC dialect over websocket and HTTP.

``create_app(settings)`` builds the FastAPI app; ``flopex serve`` runs it with uvicorn.
The wire protocol is specified in ``docs/protocol.md``.
"""

from gateway.app import create_app
from gateway.settings import Settings, get_settings

__all__ = ["Settings", "create_app", "get_settings"]
