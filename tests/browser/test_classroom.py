"""The classroom game in a real headless Chromium against a real server on loopback.

One lesson, in order, as a teacher and a student live it: the instructor logs in and
creates a game from the console; a student joins from the landing page with the code;
the instructor opens round 1; the student buys by clicking the price ladder, sees the
order rest in its row and then fill when another trader sells into it; the instructor
pauses and the student's next click is refused with the server's message; house market
makers are started and a GPU-glut shock moves the index and the forward curve on the
student's screen; the leaderboard appears; the game ends; the debrief renders its charts
and the trades CSV downloads. Screenshots of every screen are written to the artifacts
directory (``build/artifacts`` unless ``FLOPEX_ARTIFACTS`` says otherwise).

The tests share one server, one game and two pages, and run in file order: each step
starts where the previous one stopped.
"""

from __future__ import annotations

import csv
import io
import re
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from gateway import Settings
from tests.browser.conftest import artifacts_dir
from tests.gateway.stubs import RpcClient, RunningServer, start_server

ADMIN_ID = "instructor"
ADMIN_SECRET = "classroom-test-secret"
TIMEOUT_MS = 15_000


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    """A gateway as ``flopex demo`` runs it: clearing mode, game clock, self URL for bots."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    settings = Settings(
        admin_client_id=ADMIN_ID,
        admin_client_secret=ADMIN_SECRET,
        scrypt_n=1 << 10,
        clearing=True,
        seconds_per_day=120.0,
        clock_interval_s=0.2,
        index_seed=3,
        self_url=f"ws://127.0.0.1:{port}/ws/api/v2",
    )
    running = start_server(settings, sock=sock)
    yield running
    running.stop()


@dataclass
class Lesson:
    """The two screens of the lesson and what the steps learn along the way."""

    instructor: Any
    student: Any
    errors: list[str]
    code: str = ""
    price: str = ""
    instrument: str = ""


def _page(browser: Any, errors: list[str], who: str) -> Any:
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.on("pageerror", lambda e: errors.append(f"{who}: {e}"))
    page.on("console", lambda m: errors.append(f"{who}: {m.text}") if m.type == "error" else None)
    return page


@pytest.fixture(scope="module")
def lesson(browser: Any, server: RunningServer) -> Iterator[Lesson]:
    errors: list[str] = []
    les = Lesson(_page(browser, errors, "instructor"), _page(browser, errors, "student"), errors)
    yield les
    les.instructor.context.close()
    les.student.context.close()


def shot(page: Any, name: str) -> None:
    """Save a full-page screenshot as a test artifact."""
    page.screenshot(path=str(artifacts_dir() / f"classroom-{name}.png"), full_page=True)


def tid(page: Any, test_id: str) -> Any:
    return page.get_by_test_id(test_id)


def wait_for(predicate: Any, timeout_s: float, what: str) -> None:
    """Poll ``predicate`` every 0.2 s until true; fail naming ``what`` after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout_s:g} s waiting for {what}")


def counterparty(server: RunningServer) -> RpcClient:
    """Another trader: a funded account outside the game, logged in over the websocket."""
    admin = RpcClient(server.ws_url)
    try:
        admin.login(ADMIN_ID, ADMIN_SECRET)
        acct = admin.call("admin/create_account", name="desk")
    finally:
        admin.close()
    client = RpcClient(server.ws_url)
    client.login(acct["client_id"], acct["client_secret"])
    return client


# ----------------------------------------------------------------------- the lesson
def test_instructor_logs_in_and_creates_a_game(lesson: Lesson, server: RunningServer) -> None:
    admin = RpcClient(server.ws_url)  # the administrator makes the teacher an instructor key
    try:
        admin.login(ADMIN_ID, ADMIN_SECRET)
        key = admin.call("admin/create_api_key", role="instructor", name="teacher")
    finally:
        admin.close()
    page = lesson.instructor
    page.goto(f"{server.http_url}/instructor")
    tid(page, "login-client-id").fill(key["client_id"])
    tid(page, "login-client-secret").fill(key["client_secret"])
    tid(page, "login-submit").click()
    tid(page, "scenario-select").select_option("intro")
    tid(page, "create-game").click()
    tid(page, "game-code").filter(has_text=re.compile(r"^\s*[A-Z2-9]{6}\s*$")).wait_for()
    code = tid(page, "game-code").inner_text().strip()
    assert re.fullmatch(r"[A-Z2-9]{6}", code), code
    page.locator('[data-testid="game-state"][data-state="lobby"]').wait_for()
    lesson.code = code


def test_a_student_joins_with_the_code_and_gets_a_role(
    lesson: Lesson, server: RunningServer
) -> None:
    page = lesson.student
    page.goto(f"{server.http_url}/")
    tid(page, "join-code").fill(lesson.code)
    tid(page, "join-name").fill("Ada")
    tid(page, "join-submit").click()
    page.wait_for_url(re.compile(r"/play\?code="))
    page.locator('[data-testid="state-banner"][data-state="lobby"]').wait_for()
    tid(page, "role-title").filter(has_text=re.compile(r"\S")).wait_for()
    assert tid(page, "role-title").inner_text().strip() in {"Neocloud", "AI startup", "Speculator"}
    assert tid(page, "objective-text").inner_text().strip()
    tid(page, "ladder-row").first.wait_for()
    # the instructor sees the student in the players table
    tid(lesson.instructor, "player-row").filter(has_text="Ada").wait_for()


def test_the_lobby_refuses_a_ladder_click_with_the_servers_reason(lesson: Lesson) -> None:
    page = lesson.student
    row = tid(page, "ladder-row").nth(14)
    row.get_by_test_id("ladder-bid-cell").locator("button").click()
    toast = tid(page, "toast").filter(has_text="lobby")
    toast.first.wait_for()
    assert "13028" in toast.first.inner_text()
    assert tid(page, "working-order").count() == 0


def test_the_student_buys_from_the_ladder_the_order_rests_then_fills(
    lesson: Lesson, server: RunningServer
) -> None:
    tid(lesson.instructor, "round-open").click()
    page = lesson.student
    page.locator('[data-testid="state-banner"][data-state="open"]').wait_for()
    lesson.instrument = tid(page, "instrument-select").input_value()
    amount = int(float(tid(page, "order-ticket-amount").input_value() or "1"))
    row = tid(page, "ladder-row").nth(14)
    lesson.price = row.get_attribute("data-price") or ""
    assert lesson.price, "the ladder row has a price"
    row.get_by_test_id("ladder-bid-cell").locator("button").click()

    # it rests: in the working orders and in its own row of the ladder
    working = tid(page, "working-order").first
    working.wait_for()
    assert lesson.price in working.inner_text()
    order_row = page.locator(f'[data-testid="ladder-row"][data-price="{lesson.price}"]')
    order_row.get_by_test_id("ladder-order").wait_for()

    # another trader sells into it: the student sees the fill and the position
    seller = counterparty(server)
    try:
        seller.call(
            "private/sell",
            instrument_name=lesson.instrument,
            amount=amount,
            type="limit",
            price=float(lesson.price),
        )
    finally:
        seller.close()
    fill = tid(page, "fill-row").first
    fill.wait_for()
    assert lesson.price in fill.inner_text()
    position = page.locator(f'[data-testid="position-row"][data-instrument="{lesson.instrument}"]')
    position.wait_for()
    assert str(amount) in position.inner_text()
    wait_for(lambda: tid(page, "working-order").count() == 0, 10, "the filled order to leave")
    shot(page, "student-filled")


def test_pausing_refuses_the_students_order_with_a_clear_message(lesson: Lesson) -> None:
    tid(lesson.instructor, "round-pause").click()
    page = lesson.student
    page.locator('[data-testid="state-banner"][data-state="paused"]').wait_for()
    tid(page, "ladder-row").nth(15).get_by_test_id("ladder-bid-cell").locator("button").click()
    toast = tid(page, "toast").filter(has_text="paused by the instructor")
    toast.first.wait_for()
    assert "13028" in toast.first.inner_text()
    assert tid(page, "working-order").count() == 0
    shot(page, "student-paused")
    tid(lesson.instructor, "round-resume").click()
    page.locator('[data-testid="state-banner"][data-state="open"]').wait_for()


def test_a_shock_moves_the_index_and_the_curve_on_the_students_screen(lesson: Lesson) -> None:
    ins, page = lesson.instructor, lesson.student
    tid(ins, "bots-kind").select_option("market_maker")
    tid(ins, "bots-count").fill("2")
    tid(ins, "spawn-bots").click()
    tid(ins, "bots-status").filter(has_text=re.compile(r"\b2\b")).wait_for()
    curve = tid(page, "curve-chart")
    product = lesson.instrument.split("-")[0]
    tid(page, f"product-tab-{product}").click()
    wait_for(lambda: bool(curve.get_attribute("data-index")), 15, "the curve's index line")
    index_before = float(curve.get_attribute("data-index") or "nan")
    # the market makers' quotes make the marks: wait until they quote the front months
    wait_for(lambda: len((curve.get_attribute("data-marks") or "").split()) >= 3, 30, "curve marks")
    marks_before = curve.get_attribute("data-marks")
    shot(page, "student-before-shock")

    tid(ins, "shock-product").select_option(product)
    tid(ins, "shock-size").fill("-12")  # inside the ±20% price band of the day
    tid(ins, "shock-gpu-glut").click()

    wait_for(
        lambda: float(curve.get_attribute("data-index") or "nan") < index_before * 0.95,
        15,
        "the index to fall on the student's screen",
    )
    index_text = tid(page, "index-price").inner_text()
    assert f"{float(curve.get_attribute('data-index') or 'nan'):.2f}" in index_text
    tid(page, "news-item").first.wait_for()

    def marks_fell() -> bool:
        """At least two contract months fell by more than 5% on the chart."""
        before = [float(x) for x in (marks_before or "").split()]
        after = [float(x) for x in (curve.get_attribute("data-marks") or "").split()]
        fallen = [b for b, a in zip(before, after, strict=False) if a < b * 0.95]
        return len(after) == len(before) and len(fallen) >= 2

    wait_for(
        marks_fell,
        40,
        f"the forward curve to fall after the shock (before: {marks_before}; "
        f"now: {curve.get_attribute('data-marks')})",
    )
    shot(page, "student-after-shock")


def test_the_leaderboard_appears_when_the_instructor_shows_it(lesson: Lesson) -> None:
    page = lesson.student
    toggle = tid(lesson.instructor, "leaderboard-toggle")
    panel = tid(page, "leaderboard-panel")
    if toggle.get_attribute("aria-pressed") == "true":  # shown already: hide it first
        toggle.click()
        panel.wait_for(state="hidden")
    toggle.click()
    panel.wait_for(state="visible")
    tid(page, "leaderboard-row").filter(has_text="Ada").wait_for()
    shot(page, "student")
    shot(lesson.instructor, "instructor")


def test_the_game_ends_and_the_debrief_renders_its_charts(
    lesson: Lesson, server: RunningServer
) -> None:
    ins = lesson.instructor
    tid(ins, "end-game").click()
    tid(ins, "end-game-confirm").click()
    ins.locator('[data-testid="game-state"][data-state="ended"]').wait_for()
    lesson.student.locator('[data-testid="state-banner"][data-state="ended"]').wait_for()
    href = tid(ins, "debrief-link").get_attribute("href") or ""
    assert lesson.code in href
    ins.goto(server.http_url + href if href.startswith("/") else href)
    for chart in ("chart-price-H100", "chart-curves"):
        tid(ins, chart).locator("canvas").first.wait_for()
    results = tid(ins, "results-row")
    results.first.wait_for()
    assert "Ada" in tid(ins, "results-table").inner_text()
    assert tid(ins, "flows-table").inner_text().strip()
    shot(ins, "debrief")


def test_the_trades_csv_downloads(lesson: Lesson) -> None:
    ins = lesson.instructor
    with ins.expect_download() as info:
        tid(ins, "export-trades").click()
    download = info.value
    assert download.suggested_filename.endswith(".csv")
    text = Path(download.path()).read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows, "the trades export has rows"
    ours = [r for r in rows if lesson.price in r.values()]
    assert ours, f"the ladder trade at {lesson.price} is in the export"


def test_no_page_logged_an_error(lesson: Lesson) -> None:
    assert lesson.errors == []
