"""Fixtures for page tests: Debian's headless Chromium driven by Playwright.

The browser is the system's ``chromium`` (``make test`` installs Debian's package when it
is missing); Playwright's own browser download is never used. Without Chromium the page
tests are skipped on a workstation and fail under CI (``CI=true``), where a skipped page
test would hide a broken screen.

Screenshots go to ``$FLOPEX_ARTIFACTS`` (default ``build/artifacts``) so a run leaves them
to look at.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def chromium_executable() -> str | None:
    """Return the path of the system Chromium, or None."""
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


def artifacts_dir() -> Path:
    """Return the directory screenshots are written to (created)."""
    path = Path(os.environ.get("FLOPEX_ARTIFACTS", ROOT / "build" / "artifacts"))
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """The system Chromium; skips (workstation) or fails (CI) without it."""
    path = chromium_executable()
    if path is None:
        message = "Debian's chromium is not installed (make chromium installs it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="module")
def browser(chromium_path: str) -> Iterator[Any]:
    """One headless Chromium per test module.

    Playwright's sync API runs its own event loop in this thread while it is started; it
    is stopped at the end of each module so that later tests can run ``asyncio.run``.
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=chromium_path,
            headless=True,
            args=["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
        )
        try:
            yield browser
        finally:
            browser.close()
