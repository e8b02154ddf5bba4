"""What an agent sees: its own orders, the channels it subscribed to, nothing else."""

from __future__ import annotations

import numpy as np

from exchange import codes as c
from sim.events import (
    BUY,
    SELL,
    BookLevel,
    OrderAccepted,
    OrderCanceled,
    OrderEvent,
    OrderFilled,
    OrderRejected,
    OrderReplaced,
    TopOfBook,
    TradeTick,
)
from sim.kernel import Kernel
from sim.latency import ConstantLatency
from sim.validation.design import load_design, shipped_designs
from sim.validation.gode_sunder import INSTRUMENT as GS
from sim.validation.gode_sunder import traders
from tests.sim.stubs import INSTRUMENT as X
from tests.sim.stubs import Scripted, engine_venue, make_kernel

ORDER_EVENTS = OrderEvent.__args__  # type: ignore[attr-defined]


def test_the_two_sides_of_a_trade_each_see_their_own_fill_and_a_bystander_sees_none() -> None:
    seller = Scripted("seller", [(0, lambda a: a.sell(X, 2, 100))])
    buyer = Scripted("buyer", [(10, lambda a: a.buy(X, 1, 101))])
    watcher = Scripted("watcher", channels=("trades", "ticker"))
    make_kernel([seller, buyer, watcher], latency=ConstantLatency(1)).run(100)

    s_ack, s_fill = (e for _, e in seller.seen)
    assert isinstance(s_ack, OrderAccepted) and s_ack.label == seller.refs[0]
    assert s_fill == OrderFilled(11, X, s_ack.order_id, s_ack.label, 1, SELL, 100, 1, 1, "maker")
    b_ack, b_fill = (e for _, e in buyer.seen)
    assert isinstance(b_ack, OrderAccepted) and b_ack.label == buyer.refs[0]
    assert b_fill == OrderFilled(11, X, b_ack.order_id, b_ack.label, 1, BUY, 100, 1, 0, "taker")
    assert [e for _, e in watcher.seen] == [
        TopOfBook(0, X, 0, 0, 0, 0),  # the snapshot that opens the subscription
        TopOfBook(1, X, 0, 0, 100, 2),
        TradeTick(11, X, 1, 100, 1, BUY),
        TopOfBook(11, X, 0, 0, 100, 1),
    ]


def test_the_book_channel_reports_level_changes_and_top_reads_the_current_book() -> None:
    maker = Scripted("maker", [(0, lambda a: a.buy(X, 3, 95)), (0, lambda a: a.sell(X, 4, 105))])
    reader = Scripted("reader", [(50, lambda a: a.top(X))], channels=("book",))
    make_kernel([maker, reader]).run(100)
    assert reader.events(BookLevel) == [
        BookLevel(0, X, BUY, 95, 3, 1),
        BookLevel(0, X, SELL, 105, 4, 1),
    ]
    assert reader.refs == [TopOfBook(50, X, 95, 3, 105, 4)]
    assert not reader.events(OrderAccepted)


def test_a_late_subscription_opens_with_a_snapshot_after_the_latency() -> None:
    class Late(Scripted):
        def on_wakeup(self, tag: str) -> None:
            self.subscribe("book", X)
            self.subscribe("ticker", X)

    maker = Scripted("maker", [(0, lambda a: a.buy(X, 3, 95)), (0, lambda a: a.buy(X, 1, 95))])
    late = Late("late", [(20, lambda a: None)])
    make_kernel([maker, late], latency=ConstantLatency(2)).run(100)
    assert late.seen == [
        (22, BookLevel(20, X, BUY, 95, 4, 2)),
        (22, TopOfBook(20, X, 95, 4, 0, 0)),
    ]


def test_replace_cancel_and_refusals_come_back_with_named_reasons() -> None:
    a = Scripted(
        "a",
        [
            (0, lambda a: a.buy(X, 2, 90)),
            (10, lambda a: a.replace(a.events(OrderAccepted)[0].order_id, 92, 1)),
            (20, lambda a: a.cancel(a.events(OrderAccepted)[0].order_id)),
            (30, lambda a: a.cancel(a.events(OrderAccepted)[0].order_id)),
            (40, lambda a: a.buy(X, 1, 10**6)),
            (50, lambda a: a.buy("NOPE-1", 1, 10)),
        ],
    )
    make_kernel([a]).run(100)
    (ack,) = a.events(OrderAccepted)
    assert a.events(OrderReplaced) == [OrderReplaced(10, X, ack.order_id, ack.label, 92, 1, True)]
    assert a.events(OrderCanceled) == [OrderCanceled(20, X, ack.order_id, ack.label, 1, "user")]
    rejects = a.events(OrderRejected)
    assert [(r.ref, r.order_id, r.reason) for r in rejects] == [
        (a.refs[3], ack.order_id, "unknown_order"),
        (a.refs[4], 0, "invalid_price"),
        (a.refs[5], 0, "unknown_instrument"),
    ]
    assert rejects[1].code == c.REJ_INVALID_PRICE


def test_in_a_busy_market_every_order_event_an_agent_receives_is_about_its_own_orders() -> None:
    design = load_design(shipped_designs()[0])
    agents = traders(design, "ZI-C", 1_000_000_000)
    owner: dict[int, int] = {}

    def learn_owners(ts: int, row: np.ndarray, events: np.ndarray) -> None:
        for r in events[events[:, c.E_KIND] == c.EV_ACCEPTED]:
            owner[int(r[c.E_OID])] = int(r[c.E_ACCOUNT])

    kernel = Kernel(
        engine_venue(len(agents), 200), agents, instruments={GS: 0}, seed=3,
        observers=[learn_owners], record=True,
    )  # fmt: skip
    kernel.run(60 * 1_000_000_000)
    kernel.close()
    seen = 0
    for _, _, target, msg in kernel.log:  # type: ignore[union-attr]
        if target < 0 or not isinstance(msg, tuple):
            continue
        for ev in msg:
            assert isinstance(ev, ORDER_EVENTS), "no market data without a subscription"
            if not isinstance(ev, OrderRejected):
                assert owner[ev.order_id] == target
                seen += 1
    assert seen > 300
    fills = [e for _, _, t, m in kernel.log if isinstance(m, tuple) for e in m if isinstance(e, OrderFilled)]  # type: ignore[union-attr]  # fmt: skip
    assert len(fills) == sum(len(a.prices) for a in agents) > 0  # two legs a trade, both told
