"""The numba engine's arena grows without losing or corrupting any order (MR-13).

The reference book has no capacities, so these paths are specific to ``Engine``.
"""

from __future__ import annotations

from exchange import codes as c
from exchange import commands as C
from exchange import layout as L
from exchange.engine import Engine


def _engine() -> Engine:
    e = Engine(n_instruments=1, max_price=1000, n_accounts=4, order_capacity=4)
    e.process(C.list_instrument(0))
    return e


def test_an_old_resting_order_survives_id_map_growth_while_slots_are_free() -> None:
    e = _engine()
    e.process(C.limit(0, 1, c.SIDE_BUY, 7, 100))  # order 1 rests for the whole test
    map_size = int(e.arena[L.H_MAP_MASK]) + 1
    # Short-lived orders push the ids round the map until one lands on order 1's entry.
    for i in range(2 * map_size):
        ev = e.process(C.limit(0, 2, c.SIDE_SELL, 1, 200 + i % 5))
        oid = int(ev[0, c.E_OID])
        e.process(C.cancel(oid, 2))
        e.check_invariants()
    assert int(e.arena[L.H_MAP_MASK]) + 1 > map_size  # the map grew
    assert int(e.arena[L.H_POOL_CAP]) == 4  # the pool did not need to
    # Now use up the free list: new slots must come from a real pool growth.
    later = [int(e.process(C.limit(0, 3, c.SIDE_BUY, 2, 50 + i))[0, c.E_OID]) for i in range(10)]
    e.check_invariants()
    for oid in [1, *later]:
        ev = e.process(C.cancel(oid))
        assert ev[0, c.E_KIND] == c.EV_CANCELED
    assert e.levels(0, c.SIDE_BUY) == []
    e.check_invariants()


def test_the_pool_doubles_when_full_and_every_order_stays_reachable() -> None:
    e = _engine()
    oids = []
    for i in range(50):
        ev = e.process(C.limit(0, i % 4, c.SIDE_BUY, 1 + i, 100 + i))
        oids.append(int(ev[0, c.E_OID]))
        e.check_invariants()
    assert int(e.arena[L.H_POOL_CAP]) >= 50
    assert sum(q for _, q, _ in e.levels(0, c.SIDE_BUY)) == sum(range(1, 51))
    for i, oid in enumerate(oids):
        ev = e.process(C.cancel(oid, i % 4))
        assert ev[0, c.E_KIND] == c.EV_CANCELED and ev[0, c.E_QTY] == 1 + i
    assert e.levels(0, c.SIDE_BUY) == []
    e.check_invariants()


def test_a_batch_that_outgrows_the_pool_returns_every_event_in_order() -> None:
    e = _engine()
    rows = [C.limit(0, 1, c.SIDE_SELL, 1, 500 + i) for i in range(40)]
    rows.append(C.market(0, 2, c.SIDE_BUY, 40))
    ev = e.process_batch(C.stack(rows))
    assert list(ev[:, c.E_SEQ]) == sorted(ev[:, c.E_SEQ])
    trades = ev[ev[:, c.E_KIND] == c.EV_TRADE]
    assert list(trades[:, c.E_PRICE]) == [500 + i for i in range(40)]
    assert list(trades[:, c.E_CODE]) == list(range(1, 41))  # trade ids
    e.check_invariants()


def test_the_event_room_grows_so_a_mass_cancel_of_many_orders_loses_no_event() -> None:
    e = Engine(1, 1000, 4, order_capacity=4, event_capacity=1)
    e.process(C.list_instrument(0))
    for i in range(40):
        e.process(C.limit(0, 1, c.SIDE_SELL, 1, 300 + i))
    ev = e.process(C.mass_cancel(account=1))
    assert list(ev[:, c.E_KIND]) == [c.EV_CANCELED, c.EV_BOOK] * 40
    assert int(e.arena[L.H_EV_CAP]) >= L.events_needed(40)
    e.check_invariants()


def test_a_batch_drains_and_grows_the_event_room_without_dropping_events() -> None:
    e = Engine(1, 1000, 4, order_capacity=4, event_capacity=1)
    rows = [C.list_instrument(0)]
    rows += [C.limit(0, 2, c.SIDE_BUY, 1, 100 + i) for i in range(60)]
    rows += [C.mass_cancel(account=2)]
    ev = e.process_batch(C.stack(rows))
    kinds = list(ev[:, c.E_KIND])
    assert kinds.count(c.EV_ACCEPTED) == 60 and kinds.count(c.EV_CANCELED) == 60
    assert list(ev[:, c.E_SEQ]) == sorted(ev[:, c.E_SEQ])
    assert e.levels(0, c.SIDE_BUY) == []
