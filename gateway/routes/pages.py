"""The classroom game's browser pages and their static files (no build step, no CDN).

``/`` (landing: join box), ``/play`` (student screen), ``/instructor`` (console) and
``/debrief`` are HTML files from ``gateway/static/``; ``/static/{path}`` serves the
stylesheet, the plain ES modules and the vendored chart library. The pages speak the
websocket API (``/ws/api/v2``) like any other client (docs/game-protocol.md).

Caching: pages and our own scripts are revalidated on every load (``no-cache`` with an
ETag, answered 304 when unchanged), so a new version is picked up without hashed file
names; the vendored library, which changes only with its version, is cached for a day.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, Response

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
"""Where the pages, scripts, stylesheet and vendored library live."""

PAGES = {
    "/": "index.html",
    "/play": "play.html",
    "/instructor": "instructor.html",
    "/debrief": "debrief.html",
}

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".md": "text/plain; charset=utf-8",
    "": "text/plain; charset=utf-8",  # LICENSE, NOTICE
}

REVALIDATE = "no-cache"
VENDOR_CACHE = "public, max-age=86400"

router = APIRouter(tags=["pages"])


def _serve(request: Request, path: Path, cache_control: str) -> Response:
    """Return ``path`` with its content type, an ETag and ``cache_control`` (304 if fresh)."""
    stat = path.stat()
    etag = f'"{stat.st_mtime_ns:x}-{stat.st_size:x}"'
    headers = {
        "Cache-Control": cache_control,
        "ETag": etag,
        "X-Content-Type-Options": "nosniff",
    }
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    media_type = CONTENT_TYPES.get(path.suffix.lower(), "application/octet-stream")
    return FileResponse(path, media_type=media_type, headers=headers, stat_result=stat)


def _page(filename: str) -> Callable[[Request], Awaitable[Response]]:
    async def page(request: Request) -> Response:
        return _serve(request, STATIC_DIR / filename, REVALIDATE)

    page.__name__ = f"page_{filename.removesuffix('.html')}"
    page.__doc__ = f"The {filename} page."
    return page


for _route, _file in PAGES.items():
    router.add_api_route(_route, _page(_file), methods=["GET", "HEAD"], include_in_schema=False)


@router.api_route("/static/{path:path}", methods=["GET", "HEAD"], include_in_schema=False)
async def static_file(path: str, request: Request) -> Response:
    """Serve a file under ``gateway/static/`` (404 outside it, for directories, dotfiles)."""
    target = (STATIC_DIR / path).resolve()
    parts = Path(path).parts
    if (
        not target.is_relative_to(STATIC_DIR)
        or not target.is_file()
        or any(part.startswith(".") for part in parts)
    ):
        raise HTTPException(status_code=404, detail="not found")
    cache = VENDOR_CACHE if parts[:1] == ("vendor",) else REVALIDATE
    return _serve(request, target, cache)
