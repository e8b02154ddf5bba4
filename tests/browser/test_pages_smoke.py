"""Smoke test of the classroom game's pages: served with sensible cache headers, and each
one renders in a real headless Chromium without a console error.

The full browser scenarios live beside this file; this one only proves that every page
loads, runs its modules and reaches the server (docs/game-protocol.md, "Pages").
"""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from gateway import Settings
from tests.browser.conftest import artifacts_dir
from tests.gateway.stubs import RpcClient, RunningServer, start_server

ADMIN_ID = "instructor"
ADMIN_SECRET = "secret-for-page-tests"
PAGES = ["/", "/play", "/instructor", "/debrief"]


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    """A gateway in clearing mode with a game clock, as the classroom runs it."""
    settings = Settings(
        admin_client_id=ADMIN_ID,
        admin_client_secret=ADMIN_SECRET,
        scrypt_n=1 << 10,
        clearing=True,
        seconds_per_day=60.0,
        clock_interval_s=0.2,
    )
    running = start_server(settings)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def game_code(server: RunningServer) -> str:
    """A game created by the instructor over the websocket."""
    client = RpcClient(server.ws_url)
    try:
        auth = client.request(
            "public/auth",
            grant_type="client_credentials",
            client_id=ADMIN_ID,
            client_secret=ADMIN_SECRET,
        )
        assert "result" in auth, auth
        created = client.request("admin/game/create", scenario="intro")
        assert "result" in created, created
        code: str = created["result"]["code"]
        return code
    finally:
        client.close()


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """GET ``url``; return (status, headers, body), for error statuses too."""
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


@pytest.mark.parametrize("path", PAGES)
def test_each_page_is_html_revalidated_on_every_load(server: RunningServer, path: str) -> None:
    status, headers, body = fetch(server.http_url + path)
    assert status == 200
    assert headers["content-type"].startswith("text/html")
    assert headers["cache-control"] == "no-cache"
    assert b'type="module"' in body


def test_scripts_are_javascript_and_answer_304_when_unchanged(server: RunningServer) -> None:
    url = server.http_url + "/static/js/rpc.js"
    status, headers, _ = fetch(url)
    assert status == 200
    assert headers["content-type"].startswith("text/javascript")
    again, _, body = fetch(url, {"If-None-Match": headers["etag"]})
    assert (again, body) == (304, b"")


def test_the_vendored_chart_library_is_served_locally_with_its_licence(
    server: RunningServer,
) -> None:
    base = server.http_url + "/static/vendor/lightweight-charts/"
    status, headers, body = fetch(base + "lightweight-charts.standalone.production.mjs")
    assert status == 200
    assert headers["content-type"].startswith("text/javascript")
    assert "max-age" in headers["cache-control"]
    assert b"TradingView" in body[:400]
    for name in ("LICENSE", "NOTICE"):
        assert fetch(base + name)[0] == 200


@pytest.mark.parametrize(
    "path", ["/static/%2e%2e/app.py", "/static/js/", "/static/js/missing.js", "/static/.hidden"]
)
def test_nothing_outside_the_static_files_is_served(server: RunningServer, path: str) -> None:
    assert fetch(server.http_url + path)[0] == 404


def open_page(browser: Any, url: str) -> tuple[Any, list[str]]:
    """Open ``url`` in a fresh context; return the page and its list of console errors."""
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url)
    page.set_default_timeout(10_000)
    return page, errors


def finish(page: Any, errors: list[str], name: str) -> None:
    """Save a screenshot, close the page's context and assert the console stayed clean."""
    page.screenshot(path=str(artifacts_dir() / f"smoke-{name}.png"), full_page=True)
    page.context.close()
    assert errors == []


def test_landing_page_joins_a_game_and_opens_the_trading_screen(
    browser: Any, server: RunningServer, game_code: str
) -> None:
    page, errors = open_page(browser, f"{server.http_url}/?code={game_code}")
    assert page.get_by_test_id("join-code").input_value() == game_code
    page.get_by_test_id("join-name").fill("Ada")
    page.get_by_test_id("join-submit").click()
    page.wait_for_url("**/play?code=*")
    page.get_by_test_id("role-title").filter(has_not_text="—").wait_for()
    page.locator('[data-testid="ladder-row"][data-price]:not([data-price=""])').first.wait_for()
    assert page.get_by_test_id("state-banner").get_attribute("data-state") == "lobby"
    assert page.get_by_test_id("connection-status").get_attribute("data-status") == "online"
    assert page.get_by_test_id("chart-attribution").is_visible()
    finish(page, errors, "landing")


def test_student_screen_without_a_player_asks_to_join(
    browser: Any, server: RunningServer, game_code: str
) -> None:
    page, errors = open_page(browser, f"{server.http_url}/play?code={game_code}")
    page.get_by_test_id("join-panel").wait_for()
    assert page.get_by_test_id("join-code").input_value() == game_code
    assert not page.get_by_test_id("trading-screen").is_visible()
    finish(page, errors, "play-join")


def test_instructor_console_logs_in_from_the_url_fragment_and_lists_scenarios(
    browser: Any, server: RunningServer
) -> None:
    url = f"{server.http_url}/instructor#client_id={ADMIN_ID}&client_secret={ADMIN_SECRET}"
    page, errors = open_page(browser, url)
    page.locator('[data-testid="scenario-select"] option[value="intro"]').wait_for(state="attached")
    assert ADMIN_SECRET not in page.url
    page.get_by_test_id("create-game").click()
    page.get_by_test_id("game-code").filter(has_text=re.compile(r"\S")).wait_for()
    code = page.get_by_test_id("game-code").inner_text()
    assert len(code) >= 4
    assert page.get_by_test_id("round-open").is_enabled()
    assert f"code={code}" in (page.get_by_test_id("debrief-link").get_attribute("href") or "")
    page.get_by_test_id("index-H100").filter(has_text="$").wait_for()
    finish(page, errors, "instructor")


def test_debrief_page_shows_a_games_results_and_downloads_csv(
    browser: Any, server: RunningServer, game_code: str
) -> None:
    url = (
        f"{server.http_url}/debrief?code={game_code}"
        f"#client_id={ADMIN_ID}&client_secret={ADMIN_SECRET}"
    )
    page, errors = open_page(browser, url)
    page.get_by_test_id("debrief-screen").wait_for()
    assert page.get_by_test_id("debrief-code").inner_text() == game_code
    assert page.get_by_test_id("results-table").is_visible()
    assert page.get_by_test_id("flows-table").is_visible()
    assert page.get_by_test_id("chart-curves").is_visible()
    with page.expect_download() as download:
        page.get_by_test_id("export-results").click()
    assert download.value.suggested_filename == f"flopex-{game_code}-results.csv"
    with open(download.value.path(), encoding="utf-8") as f:
        assert f.readline().startswith("player_id,")
    finish(page, errors, "debrief")
