"""The Gode–Sunder institution as a venue port (sim/validation/institution.py)."""

from __future__ import annotations

import numpy as np

from exchange import codes as c
from exchange import commands as C
from sim.validation.institution import REJ_DOES_NOT_IMPROVE, ImprovementRuleVenue
from tests.sim.stubs import engine_venue


def gs_venue() -> ImprovementRuleVenue:
    return ImprovementRuleVenue(engine_venue(8, 200).engine)


def kinds(events: np.ndarray) -> list[int]:
    return events[:, c.E_KIND].tolist()


def test_a_bid_must_raise_the_standing_bid_and_an_ask_lower_the_standing_ask() -> None:
    v = gs_venue()
    assert kinds(v.submit(C.limit(0, 0, c.SIDE_BUY, 1, 50))) == [c.EV_ACCEPTED, c.EV_BOOK]
    refused = v.submit(C.limit(0, 1, c.SIDE_BUY, 1, 50))
    assert kinds(refused) == [c.EV_REJECTED]
    assert refused[0, c.E_CODE] == REJ_DOES_NOT_IMPROVE and refused[0, c.E_ACCOUNT] == 1
    assert kinds(v.submit(C.limit(0, 1, c.SIDE_BUY, 1, 51)))[0] == c.EV_ACCEPTED
    assert kinds(v.submit(C.limit(0, 2, c.SIDE_SELL, 1, 70)))[0] == c.EV_ACCEPTED
    assert kinds(v.submit(C.limit(0, 3, c.SIDE_SELL, 1, 70))) == [c.EV_REJECTED]
    assert v.engine.best_bid(0) == 51 and v.engine.best_ask(0) == 70


def test_a_cross_trades_at_the_earlier_price_and_then_every_standing_order_is_canceled() -> None:
    v = gs_venue()
    v.submit(C.limit(0, 0, c.SIDE_BUY, 1, 50))
    v.submit(C.limit(0, 1, c.SIDE_BUY, 1, 60))
    v.submit(C.limit(0, 2, c.SIDE_SELL, 1, 80))
    events = v.submit(C.limit(0, 3, c.SIDE_SELL, 1, 55))
    (trade,) = events[events[:, c.E_KIND] == c.EV_TRADE]
    assert trade[c.E_PRICE] == 60 and trade[c.E_OTHER_ACCOUNT] == 1
    canceled = events[events[:, c.E_KIND] == c.EV_CANCELED]
    assert sorted(canceled[:, c.E_ACCOUNT].tolist()) == [0, 2]
    assert set(canceled[:, c.E_CODE].tolist()) == {c.CXL_MASS}
    assert v.engine.best_bid(0) == 0 and v.engine.best_ask(0) == 0
    v.engine.check_invariants()


def test_one_unit_an_order_and_replaces_follow_the_improvement_rule() -> None:
    v = gs_venue()
    too_big = v.submit(C.limit(0, 0, c.SIDE_BUY, 2, 50))
    assert too_big[0, c.E_CODE] == c.REJ_INVALID_QUANTITY
    low = int(v.submit(C.limit(0, 0, c.SIDE_BUY, 1, 40))[0, c.E_OID])
    v.submit(C.limit(0, 1, c.SIDE_BUY, 1, 45))
    refused = v.submit(C.replace(low, 44, 1, 0))
    assert kinds(refused) == [c.EV_REJECTED] and refused[0, c.E_OID] == low
    assert kinds(v.submit(C.replace(low, 46, 1, 0)))[0] == c.EV_REPLACED
    assert v.engine.best_bid(0) == 46
