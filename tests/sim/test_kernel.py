"""The discrete-event kernel: determinism, latency, wake-up order, closing (docs/simulation.md)."""

from __future__ import annotations

import dataclasses
from datetime import date

import numpy as np
import pytest

from exchange import codes as c
from exchange.calendar import DEFAULT_CALENDAR
from exchange.pipeline import Pipeline
from exchange.products import DEFAULT_PRODUCTS
from exchange.venue import Venue
from sim.agent import Agent
from sim.events import BUY, SELL, OrderAccepted, OrderCanceled, OrderFilled, TopOfBook
from sim.kernel import VENUE, Kernel
from sim.latency import ConstantLatency, Direction, RandomLatency
from sim.validation.design import load_design, shipped_designs
from sim.validation.gode_sunder import INSTRUMENT as GS
from sim.validation.gode_sunder import traders
from sim.validation.institution import REJECT_NAMES, ImprovementRuleVenue
from sim.venue_port import EngineVenue
from tests.sim.stubs import INSTRUMENT as X
from tests.sim.stubs import Scripted, engine_venue, make_kernel

MS = 1_000_000
SECOND = 1_000 * MS


def zi_session(seed: int, latency_low: int = 1 * MS, latency_high: int = 20 * MS) -> Kernel:
    """One 120 s ZI-C session of Gode–Sunder market 1 on the paper's institution."""
    design = load_design(shipped_designs()[0])
    agents = traders(design, "ZI-C", SECOND)
    venue = ImprovementRuleVenue(engine_venue(len(agents), 200).engine)
    kernel = Kernel(
        venue, agents, instruments={GS: 0}, seed=seed,
        latency=RandomLatency(latency_low, latency_high), reject_names=REJECT_NAMES,
    )  # fmt: skip
    kernel.run(120 * SECOND)
    kernel.close()
    return kernel


# ------------------------------------------------------------------ determinism
def test_the_same_seed_gives_the_same_journal_hash() -> None:
    a, b = zi_session(7), zi_session(7)
    assert a.commands > 500
    assert a.journal_hash() == b.journal_hash()
    assert [x.prices for x in a.agents] == [x.prices for x in b.agents]  # type: ignore[attr-defined]


def test_a_different_seed_gives_a_different_journal_hash() -> None:
    assert zi_session(7).journal_hash() != zi_session(8).journal_hash()


def test_agent_i_gets_child_i_of_the_root_seed_sequence() -> None:
    agents = [Scripted("a"), Scripted("b")]
    make_kernel(agents, seed=42)
    children = np.random.SeedSequence(42).spawn(3)
    for agent, child in zip(agents, children, strict=False):
        assert agent.rng.integers(1 << 62) == np.random.default_rng(child).integers(1 << 62)


# ---------------------------------------------------------------------- latency
def test_constant_latency_delays_commands_and_events_each_way() -> None:
    seller = Scripted("seller", [(10 * MS, lambda a: a.sell(X, 1, 100))])
    kernel = make_kernel([seller], latency=ConstantLatency(3 * MS), record=True)
    kernel.run(SECOND)
    (t_ack, ack), *_ = seller.seen
    assert isinstance(ack, OrderAccepted)
    assert ack.ts_ns == 13 * MS  # processed by the venue on arrival
    assert t_ack == 16 * MS  # and back to the agent
    venue_times = [t for t, _, target, _ in kernel.log if target == VENUE]  # type: ignore[union-attr]
    assert venue_times == [13 * MS]


def test_random_latency_stays_in_its_bounds_and_keeps_each_connection_in_order() -> None:
    # An order then a cancel-all in the same instant, 50 times: with jitter larger than
    # nothing, a cancel would often overtake its order if the connection were not FIFO.
    def order_then_cancel_all(a: Agent) -> int:
        ref = a.buy(X, 1, 50)
        a.cancel_all(X)
        return ref

    agent = Scripted("a", [(t * MS, order_then_cancel_all) for t in range(0, 500, 10)])
    kernel = make_kernel([agent], latency=RandomLatency(1 * MS, 30 * MS))
    kernel.run(10 * SECOND)
    sent_at = {ref: t for (t, _), ref in zip(agent.woken, agent.refs, strict=True)}
    acks = agent.events(OrderAccepted)
    assert [ev.label for ev in acks] == agent.refs  # every order, in the order sent
    arrival = dict(agent.seen[i][::-1] for i in range(len(agent.seen)))
    for ev in acks:
        assert 1 * MS <= ev.ts_ns - sent_at[ev.label] <= 30 * MS  # to the venue
        assert 1 * MS <= arrival[ev] - ev.ts_ns <= 30 * MS  # and back
    canceled = agent.events(OrderCanceled)
    assert [ev.order_id for ev in canceled] == [ev.order_id for ev in acks]
    assert {ev.reason for ev in canceled} == {"mass"}


# ------------------------------------------------------------- wake-up ordering
def test_wake_ups_come_in_time_order_and_ties_in_the_order_they_were_asked_for() -> None:
    shared: list[tuple[int, str, str]] = []
    a = Scripted("a", [(5, lambda a: None), (3, lambda a: None)], shared=shared)
    b = Scripted("b", [(5, lambda a: None), (3, lambda a: None)], shared=shared)
    make_kernel([a, b]).run(10)
    assert shared == [(3, "a", "1"), (3, "b", "1"), (5, "a", "0"), (5, "b", "0")]


def test_a_command_and_a_wake_up_due_together_go_in_the_order_they_were_scheduled() -> None:
    # b asks at start for a wake-up at 5 ns; a's order (sent at 0, 5 ns latency) is
    # scheduled later, so b wakes first and sees an empty book.
    a = Scripted("a", [(0, lambda a: a.sell(X, 1, 100))])
    b = Scripted("b", [(5, lambda b: b.top(X))])
    kernel = make_kernel([a, b], latency=ConstantLatency(5), record=True)
    kernel.run(100)
    at_5 = [(target, type(msg).__name__) for t, _, target, msg in kernel.log if t == 5]  # type: ignore[union-attr]
    assert at_5 == [(1, "Wakeup"), (VENUE, "Submission")]
    assert b.refs == [TopOfBook(5, X, 0, 0, 0, 0)]


def test_a_wake_up_scheduled_after_a_command_due_at_the_same_time_comes_after_it() -> None:
    class Reader(Scripted):
        def on_wakeup(self, tag: str) -> None:
            if tag == "read":
                self.refs.append(self.top(X))
            else:
                self.wake_at(5, "read")  # asked for at 0, after a sent its order

    a = Scripted("a", [(0, lambda a: a.sell(X, 1, 100))])
    b = Reader("b", [(0, lambda b: None)])
    kernel = make_kernel([a, b], latency=ConstantLatency(5), record=True)
    kernel.run(100)
    at_5 = [(target, type(msg).__name__) for t, _, target, msg in kernel.log if t == 5]  # type: ignore[union-attr]
    assert at_5 == [(VENUE, "Submission"), (1, "Wakeup")]
    assert b.refs == [TopOfBook(5, X, 0, 0, 100, 1)]


def test_a_wake_up_in_the_past_is_refused() -> None:
    agent = Scripted("a", [(10, lambda a: a.wake_at(5))])
    with pytest.raises(ValueError, match="before now"):
        make_kernel([agent]).run(100)


def test_stop_when_ends_the_run_at_the_delivery_that_satisfied_it() -> None:
    a = Scripted("a", [(t, lambda a: None) for t in (10, 20, 30)])
    kernel = make_kernel([a])
    kernel.run(100, stop_when=lambda: len(a.woken) == 2)
    assert kernel.now == 20 and kernel.pending == 1


# ---------------------------------------------------------------------- closing
def test_closing_cancels_open_orders_delivers_what_was_sent_and_drops_the_rest() -> None:
    a = Scripted("a", [(0, lambda a: a.buy(X, 2, 90)), (50, lambda a: a.buy(X, 1, 80))])
    kernel = make_kernel([a], latency=ConstantLatency(10))
    kernel.run(30)
    kernel.close()
    (accepted,) = a.events(OrderAccepted)
    (canceled,) = a.events(OrderCanceled)
    assert canceled.order_id == accepted.order_id and canceled.reason == "mass"
    assert canceled.qty == 2
    assert a.stopped_at == 40  # the cancel's frame arrived 10 ns after the close at 30
    assert kernel.dropped == 1  # the wake-up at 50 ns
    assert a.buy(X, 1, 70) > 0 and kernel.dropped == 2  # actions after close are dropped
    assert kernel.state == "closed"


def test_a_venue_port_is_anything_with_submit() -> None:
    # What exchange.pipeline.Pipeline will be to the kernel: one method.
    class Journaled:
        def __init__(self, inner: EngineVenue) -> None:
            self.inner = inner
            self.rows: list[list[int]] = []

        def submit(self, row: np.ndarray) -> np.ndarray:
            self.rows.append(row.tolist())
            return self.inner.submit(row)

    port = Journaled(engine_venue(2))
    a = Scripted("a", [(0, lambda a: a.sell(X, 1, 100))])
    b = Scripted("b", [(5, lambda b: b.buy(X, 1, 100))])
    make_kernel([a, b], venue=port).run(100)
    assert [r[c.C_OP] for r in port.rows] == [c.OP_NEW, c.OP_NEW]
    assert [r[c.C_TS] for r in port.rows] == [0, 5]
    (fill,) = b.events(OrderFilled)
    assert (fill.price, fill.side, fill.liquidity) == (100, BUY, "taker")
    assert a.events(OrderFilled)[0].side == SELL


def test_the_kernel_drives_the_sequencer_pipeline_with_the_same_agents() -> None:
    # exchange.pipeline.Pipeline.submit(row) -> events is a venue port as it stands.
    h100 = dataclasses.replace(DEFAULT_PRODUCTS["H100"], months_listed=2)
    venue = Venue({"H100": h100}, n_accounts=4)
    pipeline = Pipeline(venue)
    t0 = DEFAULT_CALENDAR.open_ts(date(2026, 11, 16))
    pipeline.open(t0)
    front = min(venue.slot_of, key=venue.slot_of.__getitem__)
    ref = h100.ref_price_units
    a = Scripted("a", [(t0, lambda a: a.sell(front, 3, ref))])
    b = Scripted("b", [(t0 + MS, lambda b: b.buy(front, 2, ref + 1))])
    kernel = Kernel(pipeline, [a, b], instruments=venue.slot_of, seed=1, start_ns=t0)
    kernel.run(t0 + SECOND)
    (fill,) = b.events(OrderFilled)
    assert (fill.instrument, fill.price, fill.qty, fill.remaining) == (front, ref, 2, 0)
    assert a.events(OrderFilled)[0].remaining == 1
    assert pipeline.seq == 3 and len(pipeline.journal) == 3  # open, sell, buy


def test_random_latency_draws_the_same_delays_whatever_its_block_size() -> None:
    def delays(block: int) -> list[int]:
        model, rng = RandomLatency(1 * MS, 30 * MS, block=block), np.random.default_rng(3)
        return [model.delay_ns(0, Direction.TO_VENUE, rng) for _ in range(3_000)]

    assert delays(1) == delays(7) == delays(4096)
