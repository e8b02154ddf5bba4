"""A numba population: N simple traders decided over arrays, one agent to the kernel.

DESIGN §7's second tier: traders too simple to deserve a Python object each. A
``Population`` holds N traders of four kinds on one instrument, as arrays:

| kind | decision (prices in price units, tick 1) |
|---|---|
| ``noise`` | a random side and ``1 … qty`` contracts; with probability ``market_prob`` an IOC crossing the book by ``10 × offset`` ticks, else a resting limit ``−offset/4 … offset`` ticks behind the reference |
| ``zic`` | Gode–Sunder ZI-C with a private value drawn once around the fundamental: a buyer bids uniform on ``value − range … value``, a seller asks uniform on ``value … value + range`` |
| ``momentum`` | the reference (mid, else last trade) against an exponential average of trade prices: more than ``momentum_ticks`` above, buy at the best ask (IOC); as far below, sell at the best bid |
| ``fundamental`` | the fundamental value ``F`` (a random walk of ``fundamental_vol`` a round): ask below ``F(1−θ)``: buy it; bid above ``F(1+θ)``: sell it; else rest a quote at ``F(1∓θ)`` |

Every trader keeps at most one resting order, moved with a replace (a cancel and a new
order when the side changes), and never holds more than ``max_position`` contracts
either way. Each trader wakes at exponentially distributed intervals (mean
``mean_wait_ns``) on a grid of rounds of ``round_ns``; in each round the traders due
act in index order.

Randomness: trader ``i`` draws only from its own xorshift64* generator, seeded from
child ``i`` of ``SeedSequence(seed).spawn(N + 1)``; child ``N`` drives the
fundamental value. Same seed, same engine: the same commands, events, state hash and
``checksum`` (a 64-bit FNV-1a over every command and event row).

Two ways to run it:

- ``Population.run(engine, until_ns)``: straight on an ``exchange.engine.Engine``
  arena. The traders' decisions and the engine's matching run in one numba loop: each
  command goes through ``exchange.kernel_commands.run_batch`` and its events are read
  back at once (fills, live orders, the trade-price average); when the arena must grow
  the loop hands the command to ``Engine.process`` and resumes.
- ``PopulationAgent(population, instrument)``: one ``sim.agent.Agent`` for the
  kernel (or ``sim.simulation``). Each round it asks the same numba decision function
  for the orders of the traders due, from the top of book, and sends them through the
  session (latency, router, journal like any agent) on its one venue account; fills
  come back by label to the trader who sent the order. Resting orders are
  good-till-date for ``ttl_ns`` there.

Units: prices in price units, quantities in contracts, times in ns.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from numba import njit

from exchange import codes as c
from exchange import layout as L
from exchange.engine import Engine
from exchange.kernel_commands import run_batch
from sim.agent import Agent
from sim.events import BUY, OrderFilled, TradeTick

KINDS = ("noise", "zic", "momentum", "fundamental")
NOISE, ZIC, MOMENTUM, FUNDAMENTAL = 0, 1, 2, 3

# cfg slots (float64)
(
    CF_MEAN_WAIT, CF_MARKET_PROB, CF_OFFSET, CF_QTY, CF_MAX_POS, CF_MOM_TICKS, CF_THETA,
    CF_ALPHA, CF_ZIC_RANGE, CF_FUND_VOL, CF_ROUND, CF_MAX_PRICE,
) = range(12)  # fmt: skip
# market state slots (float64): trade-price average, fundamental value
MK_EMA, MK_FUND = 0, 1
# counters (int64)
K_COMMANDS, K_TRADES, K_VOLUME, K_CHECKSUM, K_T, K_NEXT, K_LOGGED = 0, 1, 2, 3, 4, 5, 6
# decision outputs
D_NONE, D_IOC, D_REST = 0, 1, 2

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
U64Array = npt.NDArray[np.uint64]
FNV_OFFSET = np.int64(-3750763034362895579)  # 0xcbf29ce484222325 as int64
FNV_PRIME = np.int64(1099511628211)


@dataclass(frozen=True)
class PopulationParams:
    """What every trader of a population shares (units in the names)."""

    mean_wait_ns: int = 1_000_000_000
    round_ns: int = 100_000_000
    market_prob: float = 0.2
    offset_ticks: int = 8
    qty: int = 3
    max_position: int = 50
    momentum_ticks: int = 5
    theta: float = 0.002  # fundamental's mispricing threshold, fraction
    ema_alpha: float = 0.05  # weight of each trade in the trade-price average
    zic_range: int = 40  # ticks
    fundamental_vol: float = 0.0002  # fraction a round
    ttl_ns: int = 60_000_000_000  # resting orders' lifetime in kernel mode


# ---------------------------------------------------------------------- numba
@njit(cache=True)
def _rand(rng: U64Array, i: int) -> float:
    """Return a uniform on [0, 1) from trader ``i``'s xorshift64* generator."""
    x = rng[i]
    x ^= x >> np.uint64(12)
    x ^= x << np.uint64(25)
    x ^= x >> np.uint64(27)
    rng[i] = x
    return float((x * np.uint64(2685821657736338717)) >> np.uint64(11)) / 9007199254740992.0


@njit(cache=True)
def _wait(rng: U64Array, i: int, mean: float) -> int:
    """Return an exponential wait of mean ``mean`` ns, at least 1 ns."""
    return 1 + int(-mean * np.log(1.0 - _rand(rng, i)))


@njit(cache=True)
def decide(i, kind, rng, pos, value, role, cfg, mk, bb, ba, last):  # type: ignore[no-untyped-def]
    """Return (action, side, price, qty) of trader ``i`` given the top of book.

    ``action`` is ``D_NONE``, ``D_IOC`` (cross now) or ``D_REST`` (a resting limit).
    """
    max_pos = int(cfg[CF_MAX_POS])
    top = int(cfg[CF_MAX_PRICE])
    fund = mk[MK_FUND]
    ref = (bb + ba) / 2.0 if bb > 0 and ba > 0 else (float(last) if last > 0 else fund)
    k = kind[i]
    p = pos[i]
    qty = 1 + int(_rand(rng, i) * cfg[CF_QTY])
    if k == NOISE:
        side = 0 if _rand(rng, i) < 0.5 else 1
        if p >= max_pos:
            side = 1
        elif p <= -max_pos:
            side = 0
        off = cfg[CF_OFFSET]
        if _rand(rng, i) < cfg[CF_MARKET_PROB]:
            px = ref + 10 * off if side == 0 else ref - 10 * off
            return D_IOC, side, min(max(int(px), 1), top), qty
        lo = -max(1.0, off // 4)
        away = int(lo + _rand(rng, i) * (off - lo + 1))
        px = ref - away if side == 0 else ref + away
        return D_REST, side, min(max(int(px), 1), top), qty
    if k == ZIC:
        side = role[i]
        if (side == 0 and p >= max_pos) or (side == 1 and p <= -max_pos):
            return D_NONE, side, 0, 0
        span = cfg[CF_ZIC_RANGE] * _rand(rng, i)
        px = value[i] - span if side == 0 else value[i] + span
        return D_REST, side, min(max(int(px), 1), top), qty
    if k == MOMENTUM:
        sig = ref - mk[MK_EMA]
        if sig > cfg[CF_MOM_TICKS] and ba > 0 and p < max_pos:
            return D_IOC, 0, ba, qty
        if sig < -cfg[CF_MOM_TICKS] and bb > 0 and p > -max_pos:
            return D_IOC, 1, bb, qty
        return D_NONE, 0, 0, 0
    th = cfg[CF_THETA]
    if 0 < ba < fund * (1 - th) and p < max_pos:
        return D_IOC, 0, ba, qty
    if bb > fund * (1 + th) and p > -max_pos:
        return D_IOC, 1, bb, qty
    side = 0 if _rand(rng, i) < 0.5 else 1
    if (side == 0 and p >= max_pos) or (side == 1 and p <= -max_pos):
        return D_NONE, side, 0, 0
    px = fund * (1 - th) if side == 0 else fund * (1 + th)
    return D_REST, side, min(max(int(px), 1), top), qty


@njit(cache=True)
def _hash_rows(h, a, off, n):  # type: ignore[no-untyped-def]
    for j in range(n):
        h = (h ^ a[off + j]) * FNV_PRIME
    return h


@njit(cache=True)
def absorb(a, acct0, n_agents, pos, live, mk, cfg, cnt):  # type: ignore[no-untyped-def]
    """Read the events of the last command from the arena: positions, live orders, the
    trade-price average, counters and the checksum; then empty the event buffer."""
    n = a[L.H_EV_N]
    off = a[L.H_OFF_EV]
    cnt[K_CHECKSUM] = _hash_rows(cnt[K_CHECKSUM], a, off, n * c.EV_WIDTH)
    for e in range(n):
        r = off + e * c.EV_WIDTH
        kind = a[r + c.E_KIND]
        who = a[r + c.E_ACCOUNT] - acct0
        mine = 0 <= who < n_agents
        if kind == c.EV_TRADE:
            q = a[r + c.E_QTY]
            cnt[K_TRADES] += 1
            cnt[K_VOLUME] += q
            mk[MK_EMA] += cfg[CF_ALPHA] * (a[r + c.E_PRICE] - mk[MK_EMA])
            if mine:
                pos[who] += q if a[r + c.E_SIDE] == c.SIDE_BUY else -q
                if a[r + c.E_REMAINING] == 0 and live[who] == a[r + c.E_OID]:
                    live[who] = 0
            maker = a[r + c.E_OTHER_ACCOUNT] - acct0
            if 0 <= maker < n_agents:
                pos[maker] += -q if a[r + c.E_SIDE] == c.SIDE_BUY else q
                if a[r + c.E_OTHER_REMAINING] == 0 and live[maker] == a[r + c.E_OTHER_OID]:
                    live[maker] = 0
        elif mine and (kind == c.EV_CANCELED or kind == c.EV_EXPIRED):
            if live[who] == a[r + c.E_OID]:
                live[who] = 0
        elif mine and kind == c.EV_REJECTED and live[who] == a[r + c.E_OID]:
            live[who] = 0
    a[L.H_EV_N] = 0


@njit(cache=True)
def _send(a, cmds, acct0, n_agents, pos, live, live_side, mk, cfg, cnt, log, i):  # type: ignore[no-untyped-def]
    """Process ``cmds[0]`` for trader ``i``; return False if the arena must grow."""
    a[L.H_EV_N] = 0
    if run_batch(a, cmds, 0, 1) == 0:
        return False
    cnt[K_CHECKSUM] = _hash_rows(cnt[K_CHECKSUM], cmds[0], 0, c.CMD_WIDTH)
    cnt[K_COMMANDS] += 1
    if cnt[K_LOGGED] < log.shape[0]:
        log[cnt[K_LOGGED]] = cmds[0]
        cnt[K_LOGGED] += 1
    resting = cmds[0, c.C_OP] == c.OP_NEW and cmds[0, c.C_TIF] == c.TIF_GTC
    if resting and a[L.H_EV_N] > 0 and a[a[L.H_OFF_EV] + c.E_KIND] == c.EV_ACCEPTED:
        live[i] = a[a[L.H_OFF_EV] + c.E_OID]
        live_side[i] = cmds[0, c.C_SIDE]
    absorb(a, acct0, n_agents, pos, live, mk, cfg, cnt)
    return True


@njit(cache=True)
def _fill_row(cmds, op, acct, side, price, qty, oid, tif, ts):  # type: ignore[no-untyped-def]
    for f in range(c.CMD_WIDTH):
        cmds[0, f] = 0
    cmds[0, c.C_OP] = op
    cmds[0, c.C_TS] = ts
    cmds[0, c.C_ACCOUNT] = acct
    cmds[0, c.C_SIDE] = side
    cmds[0, c.C_PRICE] = price
    cmds[0, c.C_QTY] = qty
    cmds[0, c.C_OID] = oid
    cmds[0, c.C_TIF] = tif
    cmds[0, c.C_TYPE] = c.TYPE_LIMIT


@njit(cache=True)
def run_direct(a, cmds, instr, acct0, kind, rng, pos, value, role, live, live_side, wake,  # type: ignore[no-untyped-def]
               cfg, mk, cnt, log, until, max_rounds):  # fmt: skip
    """Run rounds from ``cnt[K_T]`` until ``until`` ns (at most ``max_rounds``); return 0
    when done, or 1 with ``cmds[0]`` pending when the arena must grow (``cnt[K_NEXT]``
    is the trader to resume with, after the pending command). Commands are copied
    into ``log`` while it has room (a (0, CMD_WIDTH) array keeps none)."""
    n = len(kind)
    ib = a[L.H_OFF_INSTR] + instr * L.IF
    step = int(cfg[CF_ROUND])
    rounds = 0
    while cnt[K_T] <= until and rounds < max_rounds:
        t = cnt[K_T]
        mk[MK_FUND] *= np.exp(cfg[CF_FUND_VOL] * (2.0 * _rand(rng, n) - 1.0) * 1.7320508)
        for i in range(cnt[K_NEXT], n):
            if wake[i] > t:
                continue
            wake[i] = t + _wait(rng, i, cfg[CF_MEAN_WAIT])
            act, side, price, qty = decide(i, kind, rng, pos, value, role, cfg, mk,
                                           a[ib + L.I_BEST_BID], a[ib + L.I_BEST_ASK],
                                           a[ib + L.I_LAST])  # fmt: skip
            if act == D_NONE:
                continue
            acct = acct0 + i
            if act == D_REST and live[i] != 0 and live_side[i] == side:
                _fill_row(cmds, c.OP_REPLACE, acct, side, price, qty, live[i], 0, t)
            else:
                if live[i] != 0:
                    _fill_row(cmds, c.OP_CANCEL, acct, 0, 0, 0, live[i], 0, t)
                    if not _send(a, cmds, acct0, n, pos, live, live_side, mk, cfg, cnt, log, i):
                        cnt[K_NEXT] = i  # the cancel is pending; the decision is dropped
                        return 1
                    live[i] = 0
                tif = c.TIF_IOC if act == D_IOC else c.TIF_GTC
                _fill_row(cmds, c.OP_NEW, acct, side, price, qty, 0, tif, t)
                cmds[0, c.C_INSTR] = instr
            if not _send(a, cmds, acct0, n, pos, live, live_side, mk, cfg, cnt, log, i):
                cnt[K_NEXT] = i + 1
                return 1
        cnt[K_NEXT] = 0
        cnt[K_T] = t + step
        rounds += 1
    return 0


# ---------------------------------------------------------------------- Python side
class Population:
    """N traders as arrays (see the module docstring).

    ``counts`` maps kinds to how many; traders are laid out kind by kind in ``KINDS``
    order. ``account0`` is the first venue account (trader ``i`` trades on
    ``account0 + i`` in direct mode). ``fundamental`` is the starting fundamental value
    and the centre of the ZI-C values (price units); ``max_price`` the grid's top.
    """

    def __init__(
        self,
        counts: dict[str, int],
        *,
        seed: int | np.random.SeedSequence,
        fundamental: int,
        max_price: int,
        params: PopulationParams | None = None,
        instrument: int = 0,
        account0: int = 0,
    ) -> None:
        unknown = set(counts) - set(KINDS)
        if unknown:
            raise ValueError(f"unknown trader kinds {sorted(unknown)}; use {KINDS}")
        self.params = p = params or PopulationParams()
        self.kind = np.concatenate(
            [np.full(counts.get(k, 0), j, dtype=np.int64) for j, k in enumerate(KINDS)]
        )
        n = self.n = len(self.kind)
        if n == 0:
            raise ValueError("a population needs at least one trader")
        self.instrument = instrument
        self.account0 = account0
        root = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
        states = [ch.generate_state(1, np.uint64)[0] | np.uint64(1) for ch in root.spawn(n + 1)]
        self.rng: U64Array = np.array(states, dtype=np.uint64)
        self.pos: IntArray = np.zeros(n, dtype=np.int64)
        self.live: IntArray = np.zeros(n, dtype=np.int64)
        self.live_side: IntArray = np.zeros(n, dtype=np.int64)
        self.role: IntArray = np.zeros(n, dtype=np.int64)
        self.value: IntArray = np.zeros(n, dtype=np.int64)
        self.wake: IntArray = np.zeros(n, dtype=np.int64)
        for i in range(n):  # each trader's first draws: role, value, first wake-up
            self.role[i] = 0 if _rand(self.rng, i) < 0.5 else 1
            self.value[i] = fundamental + int((_rand(self.rng, i) - 0.5) * p.zic_range)
            self.wake[i] = _wait(self.rng, i, float(p.mean_wait_ns))
        self.cfg: FloatArray = np.zeros(12)
        self.cfg[[CF_MEAN_WAIT, CF_MARKET_PROB, CF_OFFSET, CF_QTY, CF_MAX_POS, CF_MOM_TICKS,
                  CF_THETA, CF_ALPHA, CF_ZIC_RANGE, CF_FUND_VOL, CF_ROUND, CF_MAX_PRICE]] = [
            p.mean_wait_ns, p.market_prob, p.offset_ticks, p.qty, p.max_position,
            p.momentum_ticks, p.theta, p.ema_alpha, p.zic_range, p.fundamental_vol,
            p.round_ns, max_price,
        ]  # fmt: skip
        self.mk: FloatArray = np.array([float(fundamental), float(fundamental)])
        self.cnt: IntArray = np.zeros(7, dtype=np.int64)
        self.log: IntArray = np.zeros((0, c.CMD_WIDTH), dtype=np.int64)
        self.cnt[K_CHECKSUM] = FNV_OFFSET
        self._cmds = np.zeros((1, c.CMD_WIDTH), dtype=np.int64)

    # --------------------------------------------------------------- direct mode
    def run(self, engine: Engine, until_ns: int) -> None:
        """Trade on ``engine`` (traders on accounts ``account0 …``) up to ``until_ns``."""
        for _ in range(1 << 20):  # each pass ends at ``until_ns`` or at an arena growth
            if self._run_once(engine, until_ns) == 0:
                return
        raise RuntimeError("the arena grew more than 2**20 times in one run")

    def _run_once(self, engine: Engine, until_ns: int) -> int:
        status = int(
            run_direct(
                engine.arena, self._cmds, self.instrument, self.account0, self.kind, self.rng,
                self.pos, self.value, self.role, self.live, self.live_side, self.wake,
                self.cfg, self.mk, self.cnt, self.log, until_ns, 1 << 40,
            )
        )  # fmt: skip
        if status == 1:  # the arena must grow: the engine does it, then we read the events
            engine.process(self._cmds[0])
            self.cnt[K_CHECKSUM] = _hash_rows(self.cnt[K_CHECKSUM], self._cmds[0], 0, c.CMD_WIDTH)
            self.cnt[K_COMMANDS] += 1
            if self.cnt[K_LOGGED] < len(self.log):
                self.log[self.cnt[K_LOGGED]] = self._cmds[0]
                self.cnt[K_LOGGED] += 1
            a = engine.arena
            row = self._cmds[0]
            if row[c.C_OP] == c.OP_NEW and row[c.C_TIF] == c.TIF_GTC and a[L.H_EV_N] > 0:
                off = int(a[L.H_OFF_EV])
                if a[off + c.E_KIND] == c.EV_ACCEPTED:
                    i = int(row[c.C_ACCOUNT]) - self.account0
                    self.live[i] = a[off + c.E_OID]
                    self.live_side[i] = row[c.C_SIDE]
            elif row[c.C_OP] == c.OP_CANCEL:
                self.live[int(row[c.C_ACCOUNT]) - self.account0] = 0
            absorb(a, self.account0, self.n, self.pos, self.live, self.mk, self.cfg, self.cnt)
        return status

    def keep_log(self, rows: int) -> None:
        """Copy the next ``rows`` commands sent in direct mode into ``logged()``."""
        self.log = np.zeros((rows, c.CMD_WIDTH), dtype=np.int64)
        self.cnt[K_LOGGED] = 0

    def logged(self) -> IntArray:
        """Return the commands copied since ``keep_log`` (their time stamps included)."""
        return self.log[: int(self.cnt[K_LOGGED])]

    # --------------------------------------------------------------- figures
    @property
    def commands(self) -> int:
        """Commands sent to the engine (new orders, replaces, cancels)."""
        return int(self.cnt[K_COMMANDS])

    @property
    def trades(self) -> int:
        """Trades seen (any account)."""
        return int(self.cnt[K_TRADES])

    @property
    def checksum(self) -> int:
        """FNV-1a over every command and event row, as an unsigned 64-bit integer."""
        return int(self.cnt[K_CHECKSUM]) & (2**64 - 1)

    # --------------------------------------------------------------- kernel mode
    def decisions(
        self, t_ns: int, bid: int, ask: int, last: int
    ) -> list[tuple[int, int, int, int, int]]:
        """Return (trader, action, side, price, qty) of every trader due at ``t_ns`` and
        reschedule them; the book is seen as ``bid``/``ask``/``last`` (0 = none)."""
        out = []
        n = self.n
        self.mk[MK_FUND] *= np.exp(
            self.cfg[CF_FUND_VOL] * (2.0 * _rand(self.rng, n) - 1.0) * 1.7320508
        )
        for i in np.flatnonzero(self.wake <= t_ns).tolist():
            self.wake[i] = t_ns + _wait(self.rng, i, self.cfg[CF_MEAN_WAIT])
            act, side, price, qty = decide(i, self.kind, self.rng, self.pos, self.value,
                                           self.role, self.cfg, self.mk, bid, ask, last)  # fmt: skip
            if act != D_NONE:
                out.append((i, int(act), int(side), int(price), int(qty)))
        return out


class PopulationAgent(Agent):
    """A ``Population`` as one kernel agent on one venue account (see the module)."""

    def __init__(self, population: Population, instrument: str, name: str = "population") -> None:
        super().__init__(name)
        self.population = population
        self.instrument = instrument
        self.trader_of: dict[int, int] = {}  # label -> trader
        self.sent = 0
        self.last = 0  # last trade price seen, price units

    def on_start(self) -> None:
        """Follow trades (for the trade-price average) and start the rounds."""
        self.subscribe("trades", self.instrument)
        self.wake_after(self.population.params.round_ns, "round")

    def on_wakeup(self, tag: str) -> None:
        """Send the orders of the traders due this round."""
        p = self.population
        top = self.top(self.instrument)
        for i, act, side, price, qty in p.decisions(self.now, top.bid, top.ask, self.last):
            tif = "ioc" if act == D_IOC else "gtd"
            send = self.buy if side == BUY else self.sell
            label = send(self.instrument, qty, price, tif=tif,
                         expire_ns=0 if tif == "ioc" else self.now + p.params.ttl_ns)  # fmt: skip
            self.trader_of[label] = i
            self.sent += 1
        self.wake_after(p.params.round_ns, "round")

    def on_filled(self, event: OrderFilled) -> None:
        """Book the fill to the trader who sent the order."""
        i = self.trader_of.get(event.label)
        if i is not None:
            self.population.pos[i] += event.qty if event.side == BUY else -event.qty

    def on_trade(self, event: TradeTick) -> None:
        """Fold a trade price into the population's trade-price average."""
        self.last = event.price
        p = self.population
        p.mk[MK_EMA] += p.cfg[CF_ALPHA] * (event.price - p.mk[MK_EMA])
