"""Differential tests: the numba engine against the reference engine, event for event.

Random streams (``streams.random_commands``) and hypothesis-generated command lists run
through both engines under every self-match mode; after every command the event arrays
must be identical, both engines must pass ``check_invariants`` and their state hashes
must agree. Tests named ``*reference*`` exercise the generator and the reference alone.
"""

from __future__ import annotations

import collections
import itertools
import os
from collections.abc import Sequence

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exchange import codes as c
from exchange import commands as cmd
from exchange.reference import ReferenceEngine
from tests.exchange.book_dsl import EngineLike, decode, kinds, list_instruments
from tests.exchange.conftest import EngineFactory, engine_class
from tests.exchange.streams import EDGE_VALUES, INT64_MAX, INT64_MIN, random_commands

N_INSTR, MAX_PRICE, N_ACCOUNTS = 3, 1000, 8
SMP_MODES = {"smp_none": c.SMP_NONE, "cancel_resting": c.SMP_CANCEL_RESTING,
             "cancel_aggressor": c.SMP_CANCEL_AGGRESSOR, "cancel_both": c.SMP_CANCEL_BOTH}  # fmt: skip
# The suite also runs under NUMBA_DISABLE_JIT=1, where the kernel is interpreted Python
# (about 50 times slower): the default tests then use shorter streams and fewer examples.
NO_JIT = os.environ.get("NUMBA_DISABLE_JIT", "0") not in ("", "0")
STREAM_LENGTH = 400 if NO_JIT else 1_500  # per seed and mode; long streams are in the slow test
EXAMPLES = 40 if NO_JIT else 150
_FIELDS = ["op", "ts", "instr", "account", "side", "type", "tif", "flags", "price", "qty",
           "oid", "trigger", "expire", "position"]  # fmt: skip


def explain(i: int, row: np.ndarray, want: np.ndarray, got: np.ndarray) -> str:
    """Return a readable report of differing events for command ``i``."""
    fields = ", ".join(f"{name}={int(v)}" for name, v in zip(_FIELDS, row, strict=True))
    lines = [f"command {i}: {fields}", "reference events:"]
    lines += [f"  {kinds([e])[0]:<9} {e}" for e in decode(want)]
    lines.append("numba events:")
    lines += [f"  {kinds([e])[0]:<9} {e}" for e in decode(got)]
    return "\n".join(lines)


def first_difference(a: np.ndarray, b: np.ndarray) -> str:
    """Return where two state arrays first differ."""
    n = min(len(a), len(b))
    idx = next((k for k in range(n) if a[k] != b[k]), n)
    return f"state arrays differ at index {idx} (lengths {len(a)}, {len(b)}): {a[idx : idx + 8]} vs {b[idx : idx + 8]}"


def run_lockstep(cmds: Sequence[np.ndarray] | np.ndarray, smp: int, n_instr: int = N_INSTR) -> None:
    """Run ``cmds`` through both engines comparing events, invariants and state hashes."""
    ref = ReferenceEngine(n_instr, MAX_PRICE, N_ACCOUNTS, smp=smp)
    num = engine_class("numba")(n_instr, MAX_PRICE, N_ACCOUNTS, smp=smp)
    for i, row in enumerate(cmds):
        want, got = ref.process(row), num.process(row)
        assert got.dtype == np.int64 and np.array_equal(want, got), explain(i, row, want, got)
        ref.check_invariants()
        num.check_invariants()
        if ref.state_hash() != num.state_hash():
            raise AssertionError(
                f"after command {i}: " + first_difference(ref.state_array(), num.state_array())
            )
    assert ref.seq == num.seq == len(cmds)


def run_reference(cmds: Sequence[np.ndarray] | np.ndarray, smp: int) -> tuple[np.ndarray, str]:
    """Run ``cmds`` through a reference engine checking invariants; return events and hash."""
    e = ReferenceEngine(N_INSTR, MAX_PRICE, N_ACCOUNTS, smp=smp)
    out = []
    for i, row in enumerate(cmds):
        events = e.process(row)
        assert (events[:, c.E_SEQ] == i + 1).all() and (events[:, c.E_TS] == row[c.C_TS]).all()
        e.check_invariants()
        out.append(events)
    return np.concatenate(out), e.state_hash()


# ------------------------------------------------------------- generator + reference
@pytest.mark.parametrize("smp", SMP_MODES.values(), ids=SMP_MODES.keys())
@pytest.mark.parametrize("seed", [11, 12])
def test_random_streams_keep_the_reference_invariants_and_are_deterministic(
    seed: int, smp: int
) -> None:
    """MR-13: invariants after every command; equal histories give equal events and hashes."""
    cmds = random_commands(seed, STREAM_LENGTH, N_INSTR, MAX_PRICE, N_ACCOUNTS, smp=smp)
    events, digest = run_reference(cmds, smp)
    again = ReferenceEngine(N_INSTR, MAX_PRICE, N_ACCOUNTS, smp=smp)
    assert np.array_equal(again.process_batch(cmds), events)
    assert again.state_hash() == digest


def test_the_random_stream_generator_is_seeded_and_mixes_every_kind_of_command() -> None:
    """The stream is a function of its seed and holds every op, type, tif and flag."""
    a = random_commands(5, 2_000, N_INSTR, MAX_PRICE, N_ACCOUNTS)
    assert np.array_equal(a, random_commands(5, 2_000, N_INSTR, MAX_PRICE, N_ACCOUNTS))
    assert not np.array_equal(a, random_commands(6, 2_000, N_INSTR, MAX_PRICE, N_ACCOUNTS))
    assert a.shape == (2_000, c.CMD_WIDTH) and a.dtype == np.int64
    new = a[a[:, c.C_OP] == c.OP_NEW]
    assert set(range(6)) <= set(a[:, c.C_OP].tolist())
    assert set(range(4)) <= set(new[:, c.C_TYPE].tolist())
    assert set(range(4)) <= set(new[:, c.C_TIF].tolist())
    assert {1, 3, 4} <= set(new[:, c.C_FLAGS].tolist())
    params = a[a[:, c.C_OP] == c.OP_SET][:, c.C_TYPE]
    assert set(range(c.N_PARAMS)) <= set(params.tolist())
    assert (a[:, c.C_TS] == INT64_MAX).any() or (a == INT64_MIN).any(), "no garbage rows"


def test_random_streams_reach_every_event_reject_and_cancel_reason_on_the_reference() -> None:
    """The mix is realistic enough to produce every event kind and every reason code."""
    seen: dict[str, collections.Counter[int]] = collections.defaultdict(collections.Counter)
    for smp in SMP_MODES.values():
        cmds = random_commands(21 + smp, 2_500, N_INSTR, MAX_PRICE, N_ACCOUNTS, smp=smp)
        events, _ = run_reference(cmds, smp)
        seen["kind"].update(events[:, c.E_KIND].tolist())
        rejected = events[events[:, c.E_KIND] == c.EV_REJECTED]
        canceled = events[events[:, c.E_KIND] == c.EV_CANCELED]
        seen["reject"].update(rejected[:, c.E_CODE].tolist())
        seen["cancel"].update(canceled[:, c.E_CODE].tolist())
        replaced = events[events[:, c.E_KIND] == c.EV_REPLACED]
        seen["replace"].update(replaced[:, c.E_CODE].tolist())
        accepted = events[events[:, c.E_KIND] == c.EV_ACCEPTED]
        seen["repriced"].update(accepted[:, c.E_CODE].tolist())
    assert set(seen["kind"]) == {int(k) for k in c.Ev}
    assert set(seen["reject"]) == {int(r) for r in c.Reject}
    assert set(seen["cancel"]) == {int(r) for r in c.CancelReason}
    assert set(seen["replace"]) == {0, 1}
    assert set(seen["repriced"]) == {0, 1}


# ------------------------------------------------------------------ numba vs reference
@pytest.mark.parametrize("smp", SMP_MODES.values(), ids=SMP_MODES.keys())
@pytest.mark.parametrize("seed", [1, 2])
def test_numba_engine_matches_event_for_event_on_random_streams(seed: int, smp: int) -> None:
    """MR-1 … MR-13: identical events, invariants and state hash after every command."""
    run_lockstep(random_commands(seed, STREAM_LENGTH, N_INSTR, MAX_PRICE, N_ACCOUNTS, smp=smp), smp)


@pytest.mark.parametrize("smp", SMP_MODES.values(), ids=SMP_MODES.keys())
def test_numba_engine_batch_matches_on_a_random_stream(smp: int) -> None:
    """process_batch over a whole stream gives the per-command events and final state."""
    cmds = random_commands(3, STREAM_LENGTH, N_INSTR, MAX_PRICE, N_ACCOUNTS, smp=smp)
    want, digest = run_reference(cmds, smp)
    num = engine_class("numba")(N_INSTR, MAX_PRICE, N_ACCOUNTS, smp=smp)
    got = num.process_batch(cmds)
    assert np.array_equal(want, got), "batch events differ"
    assert num.state_hash() == digest


@pytest.mark.slow
@pytest.mark.parametrize("smp", SMP_MODES.values(), ids=SMP_MODES.keys())
@pytest.mark.parametrize("seed", range(100, 106))
def test_numba_engine_matches_on_long_random_streams(seed: int, smp: int) -> None:
    """Longer streams with two instruments, so books grow deeper."""
    run_lockstep(random_commands(seed, 12_000, 2, MAX_PRICE, N_ACCOUNTS, smp=smp), smp, n_instr=2)


# ------------------------------------------------------------------------ hypothesis
_small = st.integers
_prices = st.integers(95, 106)


@st.composite
def commands(draw: st.DrawFn) -> np.ndarray:
    """Draw one command on a tiny grid (2 slots, prices 95-106, 4 accounts) so orders meet."""
    kind = draw(
        st.sampled_from(
            ["limit"] * 6
            + ["market", "stop", "cancel", "replace", "mass", "expire", "set", "status"]
        )
    )
    instr, account, side = draw(_small(0, 1)), draw(_small(0, 3)), draw(_small(0, 1))
    qty, ts = draw(_small(1, 6)), draw(_small(0, 50))
    if kind == "limit":
        tif = draw(st.sampled_from([0, 0, 1, 2, 3]))
        flags = draw(st.sampled_from([0, 0, 0, 1, 3, 4]))
        return cmd.limit(instr, account, side, qty, draw(_prices), tif=tif, flags=flags,
                         expire=draw(_small(0, 60)), position=draw(_small(-4, 4)), ts=ts)  # fmt: skip
    if kind == "market":
        tif = draw(st.sampled_from([0, 1, 2, 3]))
        return cmd.market(instr, account, side, qty, tif=tif, expire=draw(_small(0, 60)), ts=ts)
    if kind == "stop":
        typ = draw(st.sampled_from([c.TYPE_STOP_LIMIT, c.TYPE_STOP_MARKET]))
        return cmd.new_order(instr, account, side, qty, draw(_prices), type=typ, tif=draw(_small(0, 3)),
                             trigger=draw(_prices), expire=draw(_small(0, 60)), ts=ts)  # fmt: skip
    if kind == "cancel":
        return cmd.cancel(draw(_small(0, 25)), draw(st.sampled_from([-1, account])), ts=ts)
    if kind == "replace":
        trigger = draw(st.sampled_from([0, 0, 97, 100, 103]))
        return cmd.replace(
            draw(_small(1, 25)),
            draw(_prices),
            qty,
            draw(st.sampled_from([-1, account])),
            trigger=trigger,
            ts=ts,
        )
    if kind == "mass":
        return cmd.mass_cancel(draw(_small(-1, 3)), draw(_small(-1, 1)), draw(_small(-1, 1)), ts=ts)
    if kind == "expire":
        return cmd.expire(ts)
    if kind == "set":
        param = draw(_small(1, c.N_PARAMS - 1))
        value = draw(
            st.sampled_from(
                {1: [1, 1, 2, 3], 2: [0, 3], 3: [0, 1, 4], 4: [0, 3, 8], 5: [0, 100, 104]}[param]
            )
        )
        return cmd.set_param(instr, param, value, ts=ts)
    return cmd.set_param(instr, c.PARAM_STATUS, draw(_small(0, 3)), ts=ts)


def _listed(rows: list[np.ndarray]) -> list[np.ndarray]:
    return [cmd.list_instrument(0), cmd.list_instrument(1), *rows]


@settings(max_examples=EXAMPLES, deadline=None)
@given(rows=st.lists(commands(), max_size=60), smp=st.sampled_from(list(SMP_MODES.values())))
def test_reference_engine_keeps_invariants_on_hypothesis_command_lists(
    rows: list[np.ndarray], smp: int
) -> None:
    """MR-13: any sequence of well-formed commands keeps the reference consistent."""
    run_reference(_listed(rows), smp)


@settings(max_examples=EXAMPLES, deadline=None)
@given(rows=st.lists(commands(), max_size=60), smp=st.sampled_from(list(SMP_MODES.values())))
def test_numba_engine_matches_on_hypothesis_command_lists(rows: list[np.ndarray], smp: int) -> None:
    """MR-1 … MR-13: both engines agree on hypothesis-generated command lists."""
    run_lockstep(_listed(rows), smp, n_instr=2)


# ------------------------------------------------------------------ arbitrary int64
_int64 = st.one_of(
    st.integers(INT64_MIN, INT64_MAX), st.sampled_from(EDGE_VALUES), st.integers(-3, 12)
)


@st.composite
def any_row(draw: st.DrawFn) -> np.ndarray:
    """Draw a command row of arbitrary int64 values, usually with a valid op code."""
    row = np.array(
        draw(st.lists(_int64, min_size=c.CMD_WIDTH, max_size=c.CMD_WIDTH)), dtype=np.int64
    )
    if draw(st.booleans()):
        row[c.C_OP] = draw(st.integers(0, 5))
        row[c.C_INSTR] = draw(st.integers(-1, 2))
        row[c.C_ACCOUNT] = draw(st.integers(-1, 16))
    return row


@settings(
    max_examples=EXAMPLES + 50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    rows=st.lists(any_row(), min_size=1, max_size=40), book_rows=st.lists(commands(), max_size=20)
)
def test_arbitrary_int64_rows_never_crash_and_keep_invariants(
    make_engine: EngineFactory, rows: list[np.ndarray], book_rows: list[np.ndarray]
) -> None:
    """MR-1, MR-13: every int64 row yields an event array stamped with its seq and time."""
    e: EngineLike = make_engine(max_price=MAX_PRICE)
    list_instruments(e, 0, 1)
    mixed = [r for pair in itertools.zip_longest(book_rows, rows) for r in pair if r is not None]
    for row in mixed:
        events = e.process(row)
        assert events.dtype == np.int64 and events.ndim == 2 and events.shape[1] == c.EV_WIDTH
        assert (events[:, c.E_SEQ] == e.seq).all() and (events[:, c.E_TS] == row[c.C_TS]).all()
        e.check_invariants()
