"""In-process demonstration: three GPU-hour futures curves trading live in a terminal.

Market makers quote all 108 contracts (H100, B200, A100 × 36 months) around a fair
forward curve (index level with the backwardation of MARKET-FACTS), noise traders hit
and lift them, and the screen shows the front-month ladder, the curves and the engine's
throughput while a simulated clock runs through month-end rolls. Everything goes
through the real matching engine; the end prints the state hash and checks the book
invariants.
"""

from __future__ import annotations

import math
import sys
import time
from datetime import date

import numpy as np
import numpy.typing as npt

from exchange import codes as c
from exchange import commands as C
from exchange.calendar import DEFAULT_CALENDAR, ns_to_datetime
from exchange.venue import Venue

# 36-month term structure vs spot (MARKET-FACTS): H100 -13%, B200 -8%, A100 -15%.
TERM_36M = {"H100": -0.13, "B200": -0.08, "A100": -0.15}
MAKERS = (1, 2, 3)
NOISE_ACCOUNTS = np.arange(10, 510)
MINUTE = 60 * 10**9


class Demo:
    """A seeded population trading every listed contract of the venue."""

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.cal = DEFAULT_CALENDAR
        self.venue = Venue(n_accounts=512)
        self.now = self.cal.open_ts(date(2026, 11, 23))
        self.venue.open(self.now)
        self.index = {p: float(s.ref_price_units) for p, s in self.venue.products.items()}
        self.volume: dict[str, int] = {}
        self.commands = 0
        self.trades = 0
        self.engine_seconds = 0.0

    def fair(self, product: str, months_out: int) -> float:
        """Fair price in price units of the contract ``months_out`` months from the front."""
        rate = math.log1p(TERM_36M[product]) / 36
        return self.index[product] * math.exp(rate * months_out)

    def step(self) -> None:
        """Advance one simulated minute: move the index, requote, trade."""
        self.now += MINUTE
        day = self.cal.trading_day(self.now)
        if not self.cal.is_open(self.now):
            self.now = self.cal.open_ts(self.cal.next_business_day(day))
        self._account(self.venue.advance(self.now))
        for p, spec in self.venue.products.items():
            sigma = spec.annual_vol / math.sqrt(252 * 21 * 60)
            self.index[p] *= math.exp(self.rng.normal(0.0, sigma * 6))  # a lively demo
        rows = self._maker_rows() + self._noise_rows()
        batch = np.vstack(rows)
        t0 = time.perf_counter()
        events = self.venue.engine.process_batch(batch)
        self.engine_seconds += time.perf_counter() - t0
        self.commands += len(batch)
        self._account(events)

    def _account(self, events: npt.NDArray[np.int64]) -> None:
        trades = events[events[:, c.E_KIND] == c.EV_TRADE]
        self.trades += len(trades)
        for slot, qty in zip(trades[:, c.E_INSTR], trades[:, c.E_QTY], strict=True):
            name = self.venue.contract_of[int(slot)].name
            self.volume[name] = self.volume.get(name, 0) + int(qty)

    def _maker_rows(self) -> list[npt.NDArray[np.int64]]:
        rows = []
        for p in self.venue.products:
            curve = self.venue.curve(p)
            for k in self.rng.choice(len(curve), size=8, replace=False):
                slot = self.venue.slot_of[curve[k].name]
                fair = self.fair(p, int(k))
                half = max(1, round(fair * (0.004 + 0.0006 * k)))
                for mm in MAKERS:
                    rows.append(C.mass_cancel(account=mm, instr=slot, ts=self.now))
                    skew = int(self.rng.integers(-1, 2))
                    for lvl in range(3):
                        qty = int(self.rng.integers(5, 30)) >> lvl
                        bid = round(fair) - half - lvl + skew
                        ask = round(fair) + half + lvl + skew
                        rows.append(self._limit(slot, mm, c.SIDE_BUY, qty + 1, bid))
                        rows.append(self._limit(slot, mm, c.SIDE_SELL, qty + 1, ask))
        return rows

    def _limit(
        self, slot: int, acct: int, side: int, qty: int, price: int
    ) -> npt.NDArray[np.int64]:
        return C.limit(slot, acct, side, qty, max(1, price), tif=c.TIF_GTD,
                       expire=self.now + 30 * MINUTE, ts=self.now)  # fmt: skip

    def _noise_rows(self, n: int = 300) -> list[npt.NDArray[np.int64]]:
        names = [
            (p, k, x.name) for p in self.venue.products for k, x in enumerate(self.venue.curve(p))
        ]
        w = np.array([math.exp(-k / 6) for _, k, _ in names])
        picks = self.rng.choice(len(names), size=n, p=w / w.sum())
        rows = []
        for i in picks:
            p, k, name = names[i]
            slot = self.venue.slot_of[name]
            side = int(self.rng.integers(0, 2))
            acct = int(self.rng.choice(NOISE_ACCOUNTS))
            qty = int(self.rng.integers(1, 6))
            if self.rng.random() < 0.35:
                rows.append(C.market(slot, acct, side, qty, ts=self.now))
            else:
                fair = self.fair(p, k)
                off = int(self.rng.geometric(0.3)) - 1
                price = round(fair) - off if side == c.SIDE_BUY else round(fair) + off
                rows.append(self._limit(slot, acct, side, qty, price))
        return rows

    # ---------------------------------------------------------------------- screen
    def screen(self, wall: float) -> str:
        """Return the terminal picture of the market now."""
        e = self.venue.engine
        h100 = self.venue.curve("H100")
        front = h100[0]
        slot = self.venue.slot_of[front.name]
        when = ns_to_datetime(self.now).strftime("%a %d %b %Y %H:%M UTC")
        out = [f"flopex demo — GPU-hour futures, simulated {when}", ""]
        idx = "   ".join(f"{p} index ${v / 100:6.3f}" for p, v in self.index.items())
        out += [idx, "", f"{front.name} ladder        bid qty | price  | ask qty"]
        asks = e.levels(slot, c.SIDE_SELL)[:5][::-1]
        bids = e.levels(slot, c.SIDE_BUY)[:5]
        for price, qty, _ in asks:
            out.append(f"{'':28}        | {price / 100:6.2f} | {qty}")
        for price, qty, _ in bids:
            out.append(f"{'':28}{qty:>7} | {price / 100:6.2f} |")
        out += ["", f"{'month':14}" + "".join(f"{p:>30}" for p in self.venue.products)]
        out.append(f"{'':14}" + f"{'bid    ask    last    vol':>30}" * len(self.venue.products))
        for k in range(12):
            line = f"+{k:<2} {h100[k].name[5:]:10}"
            for p in self.venue.products:
                ct = self.venue.curve(p)[k]
                s = self.venue.slot_of[ct.name]
                bb, ba, last = e.best_bid(s), e.best_ask(s), e.last_price(s)
                vol = self.volume.get(ct.name, 0)
                line += (
                    f"{bb / 100:>10.2f}{ba / 100:7.2f}{last / 100:8.2f}{vol:6d}"
                    if bb and ba
                    else f"{'-':>30}"
                )
            out.append(line)
        rate = self.commands / self.engine_seconds if self.engine_seconds else 0.0
        out += ["", f"commands {self.commands:,}  trades {self.trades:,}  "
                    f"engine {rate / 1e6:.2f}M commands/s  wall {wall:.0f}s"]  # fmt: skip
        return "\n".join(out)


def run_demo(seconds: float = 20.0, seed: int = 7) -> int:
    """Run the demonstration for ``seconds`` of wall time; return an exit status."""
    print("flopex: compiling the matching engine (cached after the first run)...", flush=True)
    demo = Demo(seed)
    tty = sys.stdout.isatty()
    t0 = last_draw = time.perf_counter()
    while (wall := time.perf_counter() - t0) < seconds:
        demo.step()
        if time.perf_counter() - last_draw > (0.25 if tty else 5.0):
            last_draw = time.perf_counter()
            print(("\x1b[H\x1b[2J" if tty else "\n") + demo.screen(wall), flush=True)
    print(("\x1b[H\x1b[2J" if tty else "\n") + demo.screen(time.perf_counter() - t0))
    demo.venue.engine.check_invariants()
    print(f"\nbook invariants hold; state hash {demo.venue.engine.state_hash()[:16]}…")
    return 0
