"""The sequencer: sequence numbers, journal, gate, handlers, derived commands, replay
(docs/clearing-rules.md CR-21)."""

from __future__ import annotations

import dataclasses
from datetime import date

import numpy as np
import pytest

from exchange import codes as c
from exchange import commands as C
from exchange.calendar import DEFAULT_CALENDAR as CAL
from exchange.pipeline import (
    OP_CLOCK,
    OP_OPEN,
    REJ_BAD_CLOCK,
    REJ_NO_HANDLER,
    MemoryJournal,
    Pipeline,
    Refused,
    ReplayMismatch,
)
from exchange.products import DEFAULT_PRODUCTS
from exchange.venue import Venue

H100 = dataclasses.replace(DEFAULT_PRODUCTS["H100"], months_listed=2)
DAY = date(2026, 11, 16)
T0 = CAL.open_ts(DAY)
BUY, SELL = c.SIDE_BUY, c.SIDE_SELL


def venue() -> Venue:
    return Venue({"H100": H100}, n_accounts=8)


class Recorder:
    """A consumer that keeps every batch it is given."""

    def __init__(self) -> None:
        self.batches: list[np.ndarray] = []

    def on_events(self, events: np.ndarray) -> None:
        self.batches.append(events.copy())

    def state_hash(self) -> str:
        return str(sum(len(b) for b in self.batches))


class BlockAccount:
    """A gate that rejects every new order of one account with code 19042 and records
    how long the journal was when it was asked."""

    def __init__(self, account: int, journal: MemoryJournal) -> None:
        self.account = account
        self.journal = journal
        self.seen_journal_lengths: list[int] = []

    def check(self, cmd: np.ndarray) -> int:
        self.seen_journal_lengths.append(len(self.journal))
        if cmd[c.C_OP] == c.OP_NEW and cmd[c.C_ACCOUNT] == self.account:
            return 19_042
        return 0


def opened(gate_account: int = 7) -> tuple[Pipeline, MemoryJournal, BlockAccount, Recorder]:
    journal = MemoryJournal()
    gate = BlockAccount(gate_account, journal)
    rec = Recorder()
    pipe = Pipeline(venue(), journal, gate, [rec])
    pipe.open(T0)
    return pipe, journal, gate, rec


# --------------------------------------------------------------------- sequencing
def test_every_command_gets_the_next_sequence_number_and_its_events_carry_it() -> None:
    pipe, journal, _, _ = opened()
    slot = pipe.venue.slot_of[pipe.venue.curve("H100")[0].name]

    first = pipe.submit(C.limit(slot, 1, SELL, 5, 281, ts=T0))
    second = pipe.submit(C.limit(slot, 2, BUY, 2, 281, ts=T0))

    assert pipe.seq == 3 and [e.seq for e in journal] == [1, 2, 3]
    assert set(first[:, c.E_SEQ]) == {2} and set(second[:, c.E_SEQ]) == {3}
    assert c.EV_TRADE in second[:, c.E_KIND]


def test_the_journal_holds_the_command_before_the_gate_sees_it() -> None:
    pipe, journal, gate, _ = opened()

    pipe.submit(C.limit(0, 1, BUY, 1, 280, ts=T0))

    assert gate.seen_journal_lengths == [2]
    assert journal[1].cmd[c.C_OP] == c.OP_NEW and journal[1].cause == 0
    assert not journal[1].cmd.flags.writeable


def test_a_gate_rejection_is_one_rejected_event_and_the_engine_never_sees_the_order() -> None:
    pipe, journal, _, rec = opened(gate_account=3)
    before = pipe.venue.engine.state_hash()

    events = pipe.submit(C.limit(0, 3, BUY, 4, 280, ts=T0 + 5))

    assert events.shape == (1, c.EV_WIDTH)
    ev = events[0]
    assert ev[c.E_KIND] == c.EV_REJECTED and ev[c.E_CODE] == 19_042
    assert ev[c.E_SEQ] == 2 and ev[c.E_TS] == T0 + 5
    assert (ev[c.E_ACCOUNT], ev[c.E_SIDE], ev[c.E_PRICE], ev[c.E_QTY]) == (3, BUY, 280, 4)
    assert pipe.venue.engine.state_hash() == before
    assert len(journal) == 2 and pipe.seq == 2
    assert np.array_equal(rec.batches[-1], events)


def test_engine_rejections_pass_through_with_the_engine_code() -> None:
    pipe, _, _, _ = opened()

    events = pipe.submit(C.limit(0, 1, BUY, 0, 280, ts=T0))

    assert events[0, c.E_KIND] == c.EV_REJECTED
    assert events[0, c.E_CODE] == c.REJ_INVALID_QUANTITY


# ------------------------------------------------------------------- pipeline ops
def test_clock_commands_are_journaled_and_bad_clocks_are_rejected() -> None:
    pipe = Pipeline(venue())

    early = pipe.advance(T0)
    opened_ = pipe.open(T0)
    again = pipe.open(T0)
    back = pipe.advance(T0 - 1)

    assert early[0, c.E_CODE] == REJ_BAD_CLOCK
    assert c.EV_STATUS in opened_[:, c.E_KIND]
    assert again[0, c.E_CODE] == REJ_BAD_CLOCK and back[0, c.E_CODE] == REJ_BAD_CLOCK
    assert [int(e.cmd[c.C_OP]) for e in pipe.journal] == [OP_CLOCK, OP_OPEN, OP_OPEN, OP_CLOCK]


def test_clock_listeners_run_before_the_venue_moves() -> None:
    pipe, _, _, _ = opened()
    seen: list[int | None] = []

    class Listener:
        def on_clock(self, ts: int) -> None:
            seen.append(pipe.venue.now)

    pipe.clock_listeners.append(Listener())
    pipe.advance(T0 + 10)

    assert seen == [T0] and pipe.venue.now == T0 + 10


def test_ops_without_a_handler_are_rejected_and_handlers_can_refuse() -> None:
    pipe, _, _, _ = opened()
    applied: list[int] = []

    def handler(row: np.ndarray) -> None:
        if row[c.C_QTY] < 0:
            raise Refused(19_030, "negative")
        applied.append(int(row[c.C_QTY]))

    pipe.register(150, handler)
    ok, refused, unknown, gap = (np.zeros(c.CMD_WIDTH, dtype=np.int64) for _ in range(4))
    ok[c.C_OP], ok[c.C_QTY] = 150, 5
    refused[c.C_OP], refused[c.C_QTY] = 150, -5
    unknown[c.C_OP], gap[c.C_OP] = 151, 70

    assert len(pipe.submit(ok)) == 0 and applied == [5]
    assert pipe.submit(refused)[0, c.E_CODE] == 19_030 and applied == [5]
    assert pipe.submit(unknown)[0, c.E_CODE] == REJ_NO_HANDLER
    assert pipe.submit(gap)[0, c.E_CODE] == REJ_NO_HANDLER
    with pytest.raises(ValueError, match="plug-in ops"):
        pipe.register(64, handler)
    with pytest.raises(ValueError, match="19000"):
        Refused(42, "not in the range")


def test_a_malformed_row_is_refused_before_it_is_journaled() -> None:
    pipe, journal, _, _ = opened()

    with pytest.raises(ValueError, match="int64 fields"):
        pipe.submit(np.zeros(3, dtype=np.int64))

    assert len(journal) == 1 and pipe.seq == 1


# -------------------------------------------------------------- derived commands
def test_commands_issued_by_a_handler_are_derived_journaled_with_their_cause_and_not_gated() -> (
    None
):
    pipe, journal, gate, rec = opened(gate_account=4)

    def sweep(row: np.ndarray) -> None:
        # The clearing house acting for a blocked account: not gated.
        pipe.submit(C.limit(0, 4, SELL, 2, 281, ts=int(row[c.C_TS])))
        pipe.submit(C.mass_cancel(4, ts=int(row[c.C_TS])))

    pipe.register(160, sweep)
    row = np.zeros(c.CMD_WIDTH, dtype=np.int64)
    row[c.C_OP], row[c.C_TS] = 160, T0 + 1

    events = pipe.submit(row)

    assert [(e.seq, e.cause) for e in journal][1:] == [(2, 0), (3, 2), (4, 2)]
    assert gate.seen_journal_lengths == []  # no outside engine command was gated
    assert list(events[:, c.E_SEQ]) == [3, 3, 4, 4]
    assert list(events[:, c.E_KIND]) == [c.EV_ACCEPTED, c.EV_BOOK, c.EV_CANCELED, c.EV_BOOK]
    assert np.array_equal(np.concatenate(rec.batches[-2:]), events)


# ------------------------------------------------------------------------ replay
def random_session(pipe: Pipeline, seed: int, n: int = 400) -> None:
    rng = np.random.default_rng(seed)
    slots = sorted(pipe.venue.contract_of)
    for i in range(n):
        ts = T0 + i * 1_000_000
        r = rng.random()
        if r < 0.1:
            pipe.submit(
                C.cancel(int(rng.integers(1, pipe.venue.engine.next_order_id + 1)), -1, ts=ts)
            )
        elif r < 0.12:
            pipe.advance(ts)
        else:
            acct = int(rng.integers(0, 8))
            side = int(rng.integers(0, 2))
            price = int(rng.integers(270, 292))
            pipe.submit(
                C.limit(int(rng.choice(slots)), acct, side, int(rng.integers(1, 9)), price, ts=ts)
            )


def test_replaying_the_journal_into_a_fresh_pipeline_reproduces_the_state_hash() -> None:
    pipe, journal, _, rec = opened(gate_account=5)
    random_session(pipe, seed=7)
    assert any(e[c.E_CODE] == 19_042 for b in rec.batches for e in b)

    fresh_journal = MemoryJournal()
    fresh_rec = Recorder()
    fresh = Pipeline(venue(), fresh_journal, BlockAccount(5, fresh_journal), [fresh_rec])
    fresh.replay(journal)

    assert fresh.state_hash() == pipe.state_hash()
    assert fresh.seq == pipe.seq
    assert all(np.array_equal(a, b) for a, b in zip(fresh_rec.batches, rec.batches, strict=True))


def test_replay_detects_a_pipeline_that_diverges() -> None:
    pipe, journal, _, _ = opened()

    def issue_one(row: np.ndarray) -> None:
        pipe.submit(C.mass_cancel(1))

    pipe.register(170, issue_one)
    row = np.zeros(c.CMD_WIDTH, dtype=np.int64)
    row[c.C_OP] = 170
    pipe.submit(row)
    pipe.submit(C.limit(0, 1, BUY, 1, 280, ts=T0))

    fresh = Pipeline(venue())  # no handler for op 170: no derived command, seqs shift
    with pytest.raises(ReplayMismatch):
        fresh.replay(journal)
