"""The game clock, the simulated index feed and the daily cycle on the venue clock (CR-34),
driven deterministically (a hand-moved wall or venue clock, no server)."""

from __future__ import annotations

import json
import logging
from datetime import date

import pytest

from clearing.index.base import IndexNotPublished
from clearing.records import CallStatus, MarginCallRecord
from clearing.risk_gate import AccountState
from exchange import codes as c
from exchange.calendar import DEFAULT_CALENDAR as CAL
from exchange.product_spec import DEFAULT_PRODUCTS
from gateway.auth import Principal, Role
from gateway.channels import parse_channel
from gateway.clearing_views import ClearingPublisher
from gateway.clock import GameClock
from gateway.commands import ClockTick, PlaceOrder
from gateway.core import Gateway
from gateway.index_feed import IndexFeed
from gateway.session import Session
from gateway.settings import Settings

S = 1_000_000_000
MONDAY = date(2027, 1, 4)
FRIDAY = date(2027, 1, 8)
USD = 1_000_000


class Wall:
    """A wall clock moved by hand, ns."""

    def __init__(self) -> None:
        self.ns = 0

    def __call__(self) -> int:
        return self.ns


class Venue:
    """A venue clock moved by hand, ns."""

    def __init__(self, ts: int) -> None:
        self.ts = ts

    def __call__(self) -> int:
        return self.ts


# ---------------------------------------------------------------------- clock
def test_one_business_day_passes_per_seconds_per_day_and_weekends_are_skipped() -> None:
    wall = Wall()
    clock = GameClock(2.0, FRIDAY, CAL, wall_ns=wall)
    session = CAL.close_ts(FRIDAY) - CAL.open_ts(FRIDAY)

    assert clock.now_ns() == CAL.open_ts(FRIDAY) and clock.day() == FRIDAY
    wall.ns = 1 * S
    assert clock.now_ns() == CAL.open_ts(FRIDAY) + session // 2
    wall.ns = 2 * S - 1
    assert CAL.close_ts(FRIDAY) - 100 * S < clock.now_ns() < CAL.close_ts(FRIDAY)
    wall.ns = 2 * S
    assert clock.now_ns() == CAL.open_ts(date(2027, 1, 11))  # Monday's open
    assert clock.day() == date(2027, 1, 11) and clock.days_elapsed() == 1
    assert clock.seconds_per_day == 2.0


def test_a_paused_clock_stands_still_and_resumes_where_it_stopped() -> None:
    wall = Wall()
    clock = GameClock(10.0, MONDAY, CAL, wall_ns=wall)
    wall.ns = 3 * S
    clock.pause()
    at_pause = clock.now_ns()
    wall.ns = 50 * S

    assert clock.paused and clock.now_ns() == at_pause
    clock.pause()  # idempotent
    clock.resume()
    clock.resume()
    assert not clock.paused and clock.now_ns() == at_pause
    wall.ns = 52 * S
    assert clock.elapsed_wall_ns() == 5 * S
    assert clock.now_ns() == CAL.open_ts(MONDAY) + (CAL.close_ts(MONDAY) - CAL.open_ts(MONDAY)) // 2


def test_a_start_on_a_weekend_opens_on_the_next_business_day() -> None:
    clock = GameClock(1.0, date(2027, 1, 9), CAL, wall_ns=Wall())

    assert clock.day() == date(2027, 1, 11)
    assert clock.now_ns() == CAL.open_ts(date(2027, 1, 11))


def test_wall_seconds_until_a_venue_time() -> None:
    wall = Wall()
    clock = GameClock(2.0, FRIDAY, CAL, wall_ns=wall)
    monday_noon = CAL.open_ts(date(2027, 1, 11)) + (CAL.close_ts(FRIDAY) - CAL.open_ts(FRIDAY)) // 2

    assert clock.wall_seconds_until(monday_noon) == pytest.approx(3.0)
    assert clock.wall_seconds_until(CAL.open_ts(FRIDAY)) == 0.0
    assert clock.wall_seconds_until(CAL.close_ts(FRIDAY) + 3_600 * S) is None  # Friday night


@pytest.mark.parametrize("bad", [0.0, -1.0, float("nan")])
def test_a_clock_needs_a_positive_day_length(bad: float) -> None:
    with pytest.raises(ValueError, match="seconds_per_day"):
        GameClock(bad, MONDAY, CAL)


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        ({"start_date": "2027-13-01"}, "start_date"),
        ({"start_date": "tomorrow"}, "start_date"),
        ({"seconds_per_day": -1.0}, "seconds_per_day"),
        ({"seconds_per_day": float("inf")}, "seconds_per_day"),
        ({"index_seed": -1}, "index_seed"),
    ],
)
def test_bad_clock_settings_are_refused(overrides: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        Settings(**overrides)  # type: ignore[arg-type]


# ---------------------------------------------------------------------- index feed
def feed(seed: int = 7, start: date = MONDAY) -> IndexFeed:
    return IndexFeed(DEFAULT_PRODUCTS, CAL, seed, start, lambda: CAL.open_ts(start))


def test_the_feed_has_history_before_the_start_and_is_reproducible() -> None:
    a, b, other = feed(), feed(), feed(seed=8)
    src = a.sources["H100"]

    assert src.days[0] == date(2026, 11, 2)  # first business day two months before
    assert src.days[-1] == date(2027, 1, 1)  # the business day before the start (no holidays)
    assert all(CAL.is_business_day(d) for d in src.days)
    assert a.history("H100") == b.history("H100") != other.history("H100")
    # the history ends on the eve of the start at the product's reference price
    assert a.history("H100")[-1][1] == DEFAULT_PRODUCTS["H100"].ref_price_units / 100
    assert a.level("H100") == DEFAULT_PRODUCTS["H100"].ref_price_units / 100
    assert len({v for _, v in a.history("H100")}) > 5  # and moves before it
    with pytest.raises(IndexNotPublished):
        src.units(MONDAY)


def test_prints_are_published_day_by_day_and_listeners_hear_them() -> None:
    f = feed()
    heard: list[tuple[str, float, int]] = []
    f.listeners.append(lambda *x: heard.append(x))

    assert f.publish_through(FRIDAY, ts=123) == 5
    assert f.publish_through(FRIDAY) == 0
    assert f.last_day == FRIDAY and f.sources["B200"].days[-1] == FRIDAY
    assert sorted(p for p, _, _ in heard) == ["A100", "B200", "H100"]
    assert {ts for _, _, ts in heard} == {123}
    assert f.level("H100") == f.history("H100")[-1][1]


def test_a_shock_moves_the_level_now_and_every_later_print() -> None:
    base, shocked = feed(), feed()
    heard: list[tuple[str, float, int]] = []
    shocked.listeners.append(lambda *x: heard.append(x))
    before = shocked.level("H100")

    shocked.shock("H100", -20)
    base.publish_through(FRIDAY)
    shocked.publish_through(FRIDAY)

    # levels are rounded to 6 decimals ($/GPU-hour)
    assert shocked.level("H100") == pytest.approx(base.level("H100") * 0.8, rel=1e-6)
    assert heard[0][:2] == ("H100", pytest.approx(before * 0.8, rel=1e-6))
    for (d1, v1), (d2, v2) in zip(base.history("H100"), shocked.history("H100"), strict=True):
        assert d1 == d2 and (v2 == v1 if d1 < MONDAY else v2 == pytest.approx(v1 * 0.8))
    assert shocked.level("A100") == base.level("A100")
    shocked.shock(None, 10)
    assert shocked.level("A100") == pytest.approx(base.level("A100") * 1.1)


@pytest.mark.parametrize(
    ("product", "pct"),
    [("H200", 5.0), ("h100", 5.0), ("H100", -100.0), ("H100", float("nan")), ("H100", True)],
)
def test_a_bad_shock_is_refused_and_changes_nothing(product: str, pct: float) -> None:
    f = feed()
    before = f.levels()

    with pytest.raises(ValueError):
        f.shock(product, pct)
    assert f.levels() == before


def test_the_model_path_is_drawn_beyond_its_first_chunk() -> None:
    f = feed()
    far = CAL.business_days(MONDAY, date(2030, 1, 1))[-1]

    assert f.publish_through(far, notify=False) > 512
    assert all(v > 0 for _, v in f.history("B200"))


# ---------------------------------------------------------------------- cycles
def cleared_gateway(start: date = MONDAY) -> tuple[Gateway, Venue]:
    venue = Venue(CAL.open_ts(start) + 3_600 * S)
    gw = Gateway(Settings(clearing=True, clock_ns=venue, clearing_deposit_micros=100_000 * USD))
    for account in (1, 2):
        gw.clearing.open_account(account, f"t{account}", 100_000 * USD)  # type: ignore[union-attr]
    return gw, venue


def place(gw: Gateway, account: int, name: str, side: int, qty: int, price: int) -> None:
    gw.pipeline.execute(
        PlaceOrder(
            account=account, instrument_name=name, side=side, type=c.TYPE_LIMIT,
            tif=c.TIF_GTC, flags=0, qty=qty, price=price,
        )
    )  # fmt: skip


def test_sixty_days_of_trading_settle_daily_and_finally_without_errors() -> None:
    gw, venue = cleared_gateway()
    cleared = gw.clearing
    assert cleared is not None
    house = cleared.house
    days = CAL.business_days(MONDAY, date(2027, 3, 26))  # 60 days, two month ends
    front = min(gw.instruments.by_name.values(), key=lambda x: x.contract.expiry_ts).name

    for i, day in enumerate(days):
        names = sorted(gw.instruments.by_name)[:3]
        for name in names:
            ref = gw.instruments.by_name[name].ref
            place(gw, 1, name, c.SIDE_SELL, 1 + i % 3, ref)
            place(gw, 2, name, c.SIDE_BUY, 1 + i % 3, ref)
        venue.ts = CAL.open_ts(CAL.next_business_day(day)) + 60 * S
        gw.pipeline.execute(ClockTick())
        house.check_invariants()

    assert cleared.refusals == []
    assert [k.day for k in cleared.cycles if k.kind == "daily"] == list(days)
    assert house.last_day == days[-1]
    assert front in house.settled and front not in gw.instruments.by_name
    assert cleared.index_feed is not None and cleared.index_feed.last_day == days[-1]
    for cycle in cleared.cycles:
        assert not cycle.variation.sum(axis=0).any()  # variation margin sums to zero
    assert house.ledger.cash(1) + house.ledger.cash(2) < 200_000 * USD  # fees were paid


def test_variation_margin_moves_cash_between_the_two_sides_at_the_close() -> None:
    gw, venue = cleared_gateway()
    house = gw.clearing.house  # type: ignore[union-attr]
    name = sorted(gw.instruments.by_name)[5]
    ref = gw.instruments.by_name[name].ref
    place(gw, 1, name, c.SIDE_SELL, 4, ref + 30)
    place(gw, 2, name, c.SIDE_BUY, 4, ref + 30)  # bought 30 ticks above the mark
    before = (house.ledger.cash(1), house.ledger.cash(2))

    venue.ts = CAL.open_ts(date(2027, 1, 5))
    gw.pipeline.execute(ClockTick())
    moved = (house.ledger.cash(1) - before[0], house.ledger.cash(2) - before[1])

    assert moved[0] > 0 and moved[0] == -moved[1]
    assert house.last_day == MONDAY


def test_a_refused_cycle_is_logged_and_the_clock_carries_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    gw, venue = cleared_gateway()
    cleared = gw.clearing
    assert cleared is not None
    house = cleared.house
    source = house.index.pop("H100")  # the cycle cannot price H100 without its index

    venue.ts = CAL.open_ts(date(2027, 1, 5)) + 60 * S
    with caplog.at_level(logging.WARNING, logger="flopex.gateway"):
        gw.pipeline.execute(ClockTick())

    assert [(r.day, r.kind) for r in cleared.refusals] == [(MONDAY, "daily")]
    assert "refused" in caplog.text and house.last_day is None
    assert gw.venue.now == venue.ts and gw.pipeline.last_ts == venue.ts
    house.index["H100"] = source
    venue.ts = CAL.open_ts(date(2027, 1, 6)) + 60 * S
    gw.pipeline.execute(ClockTick())
    assert house.last_day == date(2027, 1, 5) and len(cleared.refusals) == 1


@pytest.mark.parametrize("skip", [True, False])
def test_a_call_issued_at_fridays_close_is_due_on_monday_with_the_game_clock(skip: bool) -> None:
    venue = Venue(CAL.open_ts(FRIDAY) + 3_600 * S)
    gw = Gateway(Settings(clearing=True, clock_ns=venue))
    cleared = gw.clearing
    assert cleared is not None and cleared.index_feed is not None
    cleared.skip_non_business_deadlines = skip  # what the game clock sets
    for account in (1, 2):
        cleared.open_account(account, f"t{account}", 1_000 * USD)
    name = sorted(n for n in gw.instruments.by_name if n.startswith("A100"))[5]
    ref = gw.instruments.by_name[name].ref
    place(gw, 2, name, c.SIDE_SELL, 3, ref)
    place(gw, 1, name, c.SIDE_BUY, 3, ref)
    cleared.index_feed.shock("A100", -45.0)
    monday = date(2027, 1, 11)

    venue.ts = CAL.open_ts(monday) + 3_600 * S
    gw.pipeline.execute(ClockTick())
    house = cleared.house
    call = house.calls.open.get(1)
    issued = [r for r in house.records if isinstance(r, MarginCallRecord)]

    if not skip:  # due Saturday 13:00, which the game clock never shows: default at once
        assert call is None and house.gate.state(1) is AccountState.IN_DEFAULT
        return
    assert call is not None and house.gate.state(1) is AccountState.MARGIN_CALL
    assert call.deadline_ts == CAL.open_ts(monday) + 13 * 3_600 * S
    assert [(r.status, r.deadline_ts) for r in issued] == [(CallStatus.ISSUED, call.deadline_ts)]
    venue.ts = call.deadline_ts
    gw.pipeline.execute(ClockTick())
    assert house.gate.state(1) is AccountState.IN_DEFAULT


def test_portfolio_notifications_are_throttled_per_account_and_sent_only_on_change() -> None:
    gw, _ = cleared_gateway()
    cleared = gw.clearing
    assert cleared is not None
    wall = [0.0]
    publisher = ClearingPublisher(gw.hub, cleared, cleared.index_feed, wall=lambda: wall[0])  # type: ignore[arg-type]
    session = Session(100)
    session.principal = Principal("k", Role.TRADER, 1)
    channel = parse_channel("user.portfolio.usd", set(gw.venue.products), set())
    assert channel is not None
    gw.hub.subscribe(session, "user.portfolio.usd", channel)

    def frames() -> list[dict[str, object]]:
        out = [json.loads(f) for f in session.outbox]
        session.outbox.clear()
        return [f["params"]["data"] for f in out]

    cleared.deposit(1, 5 * USD)
    cleared.deposit(2, 5 * USD)  # nobody listens to account 2
    assert publisher.flush() == 1
    assert [f["balance"] for f in frames()] == [100_005.0]
    cleared.deposit(1, 5 * USD)
    wall[0] = 0.05
    assert publisher.flush() == 0  # too soon: stays pending
    wall[0] = 0.11
    assert publisher.flush() == 1 and [f["balance"] for f in frames()] == [100_010.0]
    wall[0] = 1.0
    cleared.tap.touched.add(1)  # touched, but the summary did not change
    assert publisher.flush() == 0 and frames() == []
