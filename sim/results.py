"""What a clearing-aware run records, the Parquet tables it writes and its summary metrics.

``Recorder`` is a pipeline consumer (it sees every event of every command: agents',
the clock's, the clearing house's) and is fed the clearing house's records and the
simulation's samples. ``Results`` holds the finished tables (``pyarrow.Table``) and the
summary, and ``write(out_dir)`` writes ``<table>.parquet`` for each table and
``summary.json``. Columns are integers wherever the core is (prices in price units,
settlement prices in µ$ per GPU-hour, money in µ$, quantities in contracts, times in
ns); ``docs/scenarios.md`` ("Results") lists every column and its unit.
"""

from __future__ import annotations

import itertools
import json
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from clearing.records import (
    CallStatus,
    ClearingRecord,
    CloseOutTrade,
    DefaultDeclared,
    DefaultResolved,
    Layer,
    MarginCallRecord,
    SettlementRecord,
    Tier,
    VariationMarginRecord,
    WaterfallStep,
)
from exchange import codes as c
from exchange.calendar import ns_to_date

if TYPE_CHECKING:
    from sim.kernel import Kernel
    from sim.simulation import Simulation

Events = Any

_ORDER_EVENTS = {
    c.EV_ACCEPTED: "accepted",
    c.EV_REJECTED: "rejected",
    c.EV_CANCELED: "canceled",
    c.EV_EXPIRED: "expired",
    c.EV_REPLACED: "replaced",
    c.EV_TRIGGERED: "triggered",
}

I64, STR, DATE, F64, BOOL = pa.int64(), pa.string(), pa.date32(), pa.float64(), pa.bool_()

#: Every table's columns and types, in order (units in docs/scenarios.md).
SCHEMAS: dict[str, list[tuple[str, pa.DataType]]] = {
    "trades": [
        ("ts", I64), ("day", DATE), ("seq", I64), ("trade_id", I64), ("instrument", STR),
        ("product", STR), ("months_ahead", I64), ("price", I64), ("qty", I64),
        ("aggressor_account", I64), ("maker_account", I64), ("aggressor_side", I64),
    ],
    "orders": [
        ("ts", I64), ("seq", I64), ("event", STR), ("order_id", I64), ("account", I64),
        ("instrument", STR), ("side", I64), ("price", I64), ("qty", I64), ("remaining", I64),
        ("code", I64), ("reason", STR),
    ],
    "book_top": [
        ("ts", I64), ("day", DATE), ("instrument", STR), ("product", STR),
        ("months_ahead", I64), ("bid", I64), ("bid_qty", I64), ("ask", I64), ("ask_qty", I64),
    ],
    "settlements": [
        ("day", DATE), ("ts", I64), ("instrument", STR), ("product", STR),
        ("months_ahead", I64), ("price_micros", I64), ("tier", I64), ("tier_name", STR),
        ("volume", I64), ("index_units", I64), ("index_micros", I64), ("open_interest", I64),
    ],
    "variation_margin": [
        ("day", DATE), ("ts", I64), ("account", I64), ("agent", STR), ("amount", I64),
    ],
    "margin_calls": [
        ("ts", I64), ("day", DATE), ("call_id", I64), ("account", I64), ("agent", STR),
        ("status", STR), ("amount", I64), ("outstanding", I64), ("deadline_ts", I64),
        ("equity", I64), ("maintenance", I64), ("initial", I64),
    ],
    "defaults": [
        ("account", I64), ("agent", STR), ("member", I64), ("declared_ts", I64),
        ("reason", STR), ("cash_at_default", I64), ("closed_out_contracts", I64),
        ("resolved", BOOL), ("resolved_ts", I64), ("loss", I64), ("covered", I64),
        ("uncovered", I64), ("surplus", I64), ("defaulter_margin", I64),
        ("defaulter_fund", I64), ("ccp_capital", I64), ("survivors_fund", I64),
        ("assessments", I64),
    ],
    "equity": [
        ("day", DATE), ("account", I64), ("agent", STR), ("kind", STR), ("cash", I64),
        ("equity", I64), ("initial", I64), ("maintenance", I64), ("required", I64),
        ("free", I64), ("call_outstanding", I64), ("state", STR), ("gross_position", I64),
    ],
}  # fmt: skip

LAYER_COLUMNS = {
    Layer.DEFAULTER_MARGIN: "defaulter_margin",
    Layer.DEFAULTER_FUND: "defaulter_fund",
    Layer.CCP_CAPITAL: "ccp_capital",
    Layer.SURVIVORS_FUND: "survivors_fund",
    Layer.ASSESSMENTS: "assessments",
}


def _product(name: str) -> str:
    return name.split("-", 1)[0]


class Recorder:
    """Collects the rows of every table during a run of ``sim``."""

    def __init__(self, sim: Simulation) -> None:
        self.sim = sim
        self.rows: dict[str, list[tuple[Any, ...]]] = {name: [] for name in SCHEMAS}
        self.month_of: dict[str, int] = {}  # contract -> month index
        self.name_of_account = {a.id: a.name for a in sim.registry.accounts}
        self.vm: dict[tuple[date, int], int] = defaultdict(int)
        self.settle: dict[tuple[date, str], int] = {}  # (day, contract) -> µ$ per hour
        self.open_interest: dict[tuple[date, str], int] = {}
        self.exposures: dict[date, dict[int, dict[str, int]]] = {}
        self.defaults: dict[int, dict[str, Any]] = {}
        self.calls: dict[str, int] = defaultdict(int)
        self.called = 0

    # ---------------------------------------------------------------- helpers
    def product_of(self, contract: str) -> str:
        """Return the product code of a contract name."""
        return _product(contract)

    def months_ahead(self, contract: str) -> int:
        """Return the contract's months after its product's front month now (0 = front)."""
        venue = self.sim.venue
        for k in venue.contract_of.values():
            self.month_of.setdefault(k.name, k.month_index)
        product = _product(contract)
        live = [k.month_index for k in venue.contract_of.values() if k.product == product]
        month = self.month_of.get(contract)
        if month is None or not live:
            return 0
        return max(0, month - min(live))

    def _instrument(self, slot: int) -> str:
        k = self.sim.venue.contract_of.get(slot)
        return k.name if k is not None else ""

    # ---------------------------------------------------------------- pipeline consumer
    def on_events(self, events: Events) -> None:
        """Record the trades and order events of one command."""
        for r in events.tolist():
            kind = r[c.E_KIND]
            if kind == c.EV_TRADE:
                name = self._instrument(r[c.E_INSTR])
                self.rows["trades"].append((
                    r[c.E_TS], ns_to_date(r[c.E_TS]), r[c.E_SEQ], r[c.E_CODE], name,
                    _product(name), self.months_ahead(name), r[c.E_PRICE], r[c.E_QTY],
                    r[c.E_ACCOUNT], r[c.E_OTHER_ACCOUNT], r[c.E_SIDE],
                ))  # fmt: skip
            elif kind in _ORDER_EVENTS:
                code = r[c.E_CODE]
                reason = ""
                if kind == c.EV_REJECTED:
                    reason = self.sim.reject_name(code)
                elif kind == c.EV_CANCELED:
                    reason = self.sim.cancel_name(code)
                self.rows["orders"].append((
                    r[c.E_TS], r[c.E_SEQ], _ORDER_EVENTS[kind], r[c.E_OID], r[c.E_ACCOUNT],
                    self._instrument(r[c.E_INSTR]), r[c.E_SIDE], r[c.E_PRICE], r[c.E_QTY],
                    r[c.E_REMAINING], code, reason,
                ))  # fmt: skip

    # ---------------------------------------------------------------- samples
    def sample_tops(self, ts: int, kernel: Kernel) -> None:
        """Record the top of book of every traded contract at ``ts``."""
        for code, n in self.sim.months_traded.items():
            for k in self.sim.venue.curve(code)[:n]:
                top = kernel.router.top(k.name, ts)
                self.rows["book_top"].append((
                    ts, ns_to_date(ts), k.name, code, self.months_ahead(k.name), top.bid,
                    top.bid_qty, top.ask, top.ask_qty,
                ))  # fmt: skip

    def record(self, r: ClearingRecord) -> None:
        """Record one clearing-house record."""
        if isinstance(r, SettlementRecord) and not r.intraday:
            product = _product(r.contract)
            spec = self.sim.specs[product]
            units = self.sim.index[product].units(r.day)
            self.settle[(r.day, r.contract)] = r.price_micros_per_hour
            self.rows["settlements"].append((
                r.day, r.ts, r.contract, product, self.months_ahead(r.contract),
                r.price_micros_per_hour, int(r.tier), r.tier.name.lower(), r.volume, units,
                units * spec.price_unit_micros, 0,
            ))  # fmt: skip
        elif isinstance(r, VariationMarginRecord):
            day = ns_to_date(r.ts)
            self.vm[(day, r.account)] += r.amount
            self.rows["variation_margin"].append(
                (day, r.ts, r.account, self.name_of_account.get(r.account, ""), r.amount)
            )
        elif isinstance(r, MarginCallRecord):
            self.calls[str(r.status)] += 1
            if r.status is CallStatus.ISSUED:
                self.called += r.amount
            self.rows["margin_calls"].append((
                r.ts, ns_to_date(r.ts), r.call_id, r.account,
                self.name_of_account.get(r.account, ""), str(r.status), r.amount, r.outstanding,
                r.deadline_ts, r.equity, r.maintenance, r.initial,
            ))  # fmt: skip
        elif isinstance(r, DefaultDeclared):
            self.defaults[r.account] = {
                "account": r.account, "agent": self.name_of_account.get(r.account, ""),
                "member": r.member, "declared_ts": r.ts, "reason": r.reason,
                "cash_at_default": r.cash, "closed_out_contracts": 0, "resolved": False,
                "resolved_ts": 0, "loss": 0, "covered": 0, "uncovered": 0, "surplus": 0,
                **dict.fromkeys(LAYER_COLUMNS.values(), 0),
            }  # fmt: skip
        elif isinstance(r, CloseOutTrade) and r.account in self.defaults:
            self.defaults[r.account]["closed_out_contracts"] += abs(r.qty)
        elif isinstance(r, WaterfallStep) and r.account in self.defaults:
            column = LAYER_COLUMNS.get(r.layer)
            if column is not None:
                self.defaults[r.account][column] += r.amount
        elif isinstance(r, DefaultResolved) and r.account in self.defaults:
            self.defaults[r.account].update(
                resolved=True, resolved_ts=r.ts, loss=r.loss, covered=r.covered,
                uncovered=r.uncovered, surplus=r.surplus,
            )  # fmt: skip

    def end_of_day(self, day: date) -> None:
        """Record every account's figures, the open interest and hedgers' exposures."""
        house = self.sim.house
        kinds = {p.account: p.kind for p in self.sim.participants}
        positions = np.zeros((len(self.sim.registry), 0), dtype=np.int64)
        if house.post_trade is not None:
            house.sync()
            positions = np.asarray(house.book.positions)
            for j, name in enumerate(house.cols.names):
                col = positions[:, j]
                self.open_interest[(day, name)] = int(col[col > 0].sum())
        for a in house.registry.accounts:
            s = house.summary(a.id)
            gross = int(np.abs(positions[a.id]).sum()) if positions.shape[1] else 0
            self.rows["equity"].append((
                day, a.id, a.name, kinds.get(a.id, "member"), s.cash, s.equity, s.initial,
                s.maintenance, s.required, s.free, s.call_outstanding, s.state.name.lower(),
                gross,
            ))  # fmt: skip
        self.exposures[day] = {
            p.account: p.agent.exposure()
            for p in self.sim.participants
            if p.account_type.name == "HEDGER"
        }

    # ---------------------------------------------------------------- finishing
    def results(self) -> Results:
        """Return the finished tables and summary."""
        settlements = [
            (*row[:-1], self.open_interest.get((row[0], row[2]), 0))
            for row in self.rows["settlements"]
        ]
        rows = {**self.rows, "settlements": settlements}
        rows["defaults"] = [
            tuple(d[name] for name, _ in SCHEMAS["defaults"])
            for _, d in sorted(self.defaults.items())
        ]
        tables = {name: _table(name, rows[name]) for name in SCHEMAS}
        return Results(tables, summarize(self, rows))


def _table(name: str, rows: Sequence[tuple[Any, ...]]) -> pa.Table:
    schema = pa.schema(SCHEMAS[name])
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in schema]
    arrays = [pa.array(list(col), type=f.type) for col, f in zip(columns, schema, strict=True)]
    return pa.Table.from_arrays(arrays, schema=schema)


@dataclass
class Results:
    """The tables of a run (``pyarrow.Table`` by name) and its summary metrics."""

    tables: dict[str, pa.Table]
    summary: dict[str, Any]

    def write(self, out_dir: str | Path) -> list[Path]:
        """Write ``<table>.parquet`` for every table and ``summary.json``; return the paths."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths = []
        for name, table in self.tables.items():
            path = out / f"{name}.parquet"
            pq.write_table(table, path, compression="zstd")
            paths.append(path)
        path = out / "summary.json"
        path.write_text(json.dumps(self.summary, indent=2, sort_keys=True) + "\n")
        paths.append(path)
        return paths


# ---------------------------------------------------------------------- metrics
def _r(x: float | None, digits: int = 4) -> float | None:
    if x is None or not math.isfinite(x):
        return None
    return round(float(x), digits)


def _mean(xs: Sequence[float]) -> float | None:
    return sum(xs) / len(xs) if xs else None


def summarize(rec: Recorder, rows: dict[str, list[tuple[Any, ...]]]) -> dict[str, Any]:
    """Return the summary metrics of a run (see docs/scenarios.md, "Results")."""
    sim = rec.sim
    s = sim.scenario
    return {
        "scenario": s.name,
        "seed": s.seed,
        "start": s.start.isoformat(),
        "end": sim.days[-1].isoformat(),
        "trading_days": len(sim.days),
        "commands": sim.pipeline.seq,
        "journal_hash": sim.journal_hash(),
        "state_hash": sim.state_hash(),
        "agents": [
            {
                "name": p.agent.name,
                "kind": p.kind,
                "account": p.account,
                "member": p.member,
                "defaulted": p.account in rec.defaults,
            }
            for p in sim.participants
        ],
        "spread_and_depth_by_tenor": _spread_depth(rows["book_top"]),
        "volume": _volume(rows["trades"], sim),
        "open_interest": _open_interest(rec),
        "tracking": _tracking(rows["settlements"], sim),
        "basis_at_expiry": _basis_at_expiry(rows["settlements"]),
        "hedge_effectiveness": _hedge_effectiveness(rec),
        "margin_calls": {
            "issued": rec.calls.get(str(CallStatus.ISSUED), 0),
            "paid": rec.calls.get(str(CallStatus.PAID), 0),
            "met": rec.calls.get(str(CallStatus.MET), 0),
            "defaulted": rec.calls.get(str(CallStatus.DEFAULTED), 0),
            "amount_called_micros": rec.called,
        },
        "defaults": _defaults(rec),
    }


def _spread_depth(rows: list[tuple[Any, ...]]) -> dict[str, Any]:
    by: dict[int, list[tuple[int, int, int, int]]] = defaultdict(list)
    for _, _, _, _, m, bid, bq, ask, aq in rows:
        by[m].append((bid, bq, ask, aq))
    out = {}
    for m in sorted(by):
        xs = by[m]
        two = [(b, a) for b, _, a, _ in xs if b and a]
        out[str(m)] = {
            "samples": len(xs),
            "two_sided_share": _r(len(two) / len(xs)),
            "mean_spread_units": _r(_mean([a - b for b, a in two])),
            "mean_spread_bps": _r(_mean([(a - b) / ((a + b) / 2) * 1e4 for b, a in two]), 2),
            "mean_bid_qty": _r(_mean([bq for _, bq, _, _ in xs])),
            "mean_ask_qty": _r(_mean([aq for _, _, _, aq in xs])),
        }
    return out


def _volume(rows: list[tuple[Any, ...]], sim: Simulation) -> dict[str, Any]:
    by_tenor: dict[int, int] = defaultdict(int)
    by_product: dict[str, int] = defaultdict(int)
    notional = 0
    for row in rows:
        product, m, price, qty = row[5], row[6], row[7], row[8]
        by_tenor[m] += qty
        by_product[product] += qty
        notional += price * qty * sim.specs[product].unit_value_micros
    return {
        "trades": len(rows),
        "contracts": sum(by_tenor.values()),
        "notional_micros": notional,
        "by_tenor": {str(m): by_tenor[m] for m in sorted(by_tenor)},
        "by_product": dict(sorted(by_product.items())),
    }


def _open_interest(rec: Recorder) -> dict[str, Any]:
    per_day: dict[date, int] = defaultdict(int)
    for (day, _), oi in rec.open_interest.items():
        per_day[day] += oi
    last = max(per_day) if per_day else None
    return {
        "total_by_day": {d.isoformat(): per_day[d] for d in sorted(per_day)},
        "last_day_by_contract": {
            name: oi for (day, name), oi in sorted(rec.open_interest.items()) if day == last
        },
        "peak": max(per_day.values(), default=0),
    }


def _tracking(rows: list[tuple[Any, ...]], sim: Simulation) -> dict[str, Any]:
    """Futures against the index, traded months only: mean absolute gap (bps) by tenor,
    and the correlation of daily changes of the front month's settlement with the
    index's."""
    gaps: dict[int, list[float]] = defaultdict(list)
    front: dict[str, dict[date, tuple[int, int]]] = defaultdict(dict)
    for day, _, _, product, m, price, tier, _, _, _, index_micros, _ in rows:
        if tier == Tier.FINAL or index_micros <= 0 or m >= sim.months_traded[product]:
            continue
        gaps[m].append(abs(price - index_micros) / index_micros * 1e4)
        if m == 0:
            front[product][day] = (price, index_micros)
    corr = {}
    for product, series in front.items():
        days = sorted(series)
        f = np.array([series[d][0] for d in days], dtype=np.float64)
        ix = np.array([series[d][1] for d in days], dtype=np.float64)
        if len(days) >= 3:
            df, di = np.diff(np.log(f)), np.diff(np.log(ix))
            ok = df.std() > 0 and di.std() > 0
            corr[product] = _r(float(np.corrcoef(df, di)[0, 1])) if ok else None
    return {
        "mean_abs_gap_bps_by_tenor": {str(m): _r(_mean(gaps[m]), 2) for m in sorted(gaps)},
        "front_daily_change_correlation": corr,
    }


def _basis_at_expiry(rows: list[tuple[Any, ...]]) -> dict[str, Any]:
    """For each contract settled finally: its last daily settlement before the final
    one, minus the final price (µ$ per GPU-hour and basis points of the final)."""
    last_daily: dict[str, int] = {}
    out = {}
    for _, _, name, _, _, price, tier, _, _, _, _, _ in rows:
        if tier != Tier.FINAL:
            last_daily[name] = price
        elif name in last_daily:
            basis = last_daily[name] - price
            out[name] = {
                "final_micros": price,
                "last_daily_micros": last_daily[name],
                "basis_micros": basis,
                "basis_bps": _r(basis / price * 1e4, 2),
            }
    return out


def _hedge_effectiveness(rec: Recorder) -> dict[str, Any]:
    """Per hedger: 1 − Var(hedged daily P&L) / Var(unhedged daily P&L).

    Unhedged daily P&L: yesterday's physical exposure (contracts per month) times the
    change of each month's settlement price (µ$ per GPU-hour × contract hours); hedged:
    that plus the variation margin the account received that day (its futures P&L).
    """
    sim = rec.sim
    days = sorted(rec.exposures)
    names = {p.account: p.agent.name for p in sim.participants}
    out: dict[str, Any] = {}
    reductions = []
    for account in sorted({a for d in days for a in rec.exposures[d]}):
        phys, hedged = [], []
        for prev, day in itertools.pairwise(days):
            exposure = rec.exposures[prev].get(account, {})
            change = 0
            for name, qty in exposure.items():
                before, after = rec.settle.get((prev, name)), rec.settle.get((day, name))
                if before is None or after is None:
                    continue
                change += qty * (after - before) * sim.specs[_product(name)].contract_hours
            phys.append(change)
            hedged.append(change + rec.vm.get((day, account), 0))
        var_u = float(np.var(phys)) if len(phys) >= 2 else 0.0
        var_h = float(np.var(hedged)) if len(hedged) >= 2 else 0.0
        reduction = 1.0 - var_h / var_u if var_u > 0 else None
        if reduction is not None:
            reductions.append(reduction)
        out[names[account]] = {
            "days": len(phys),
            "std_unhedged_micros": _r(math.sqrt(var_u), 1),
            "std_hedged_micros": _r(math.sqrt(var_h), 1),
            "variance_reduction": _r(reduction),
        }
    return {"by_hedger": out, "mean_variance_reduction": _r(_mean(reductions))}


def _defaults(rec: Recorder) -> dict[str, Any]:
    layers = {col: 0 for col in LAYER_COLUMNS.values()}
    uncovered = 0
    for d in rec.defaults.values():
        for col in layers:
            layers[col] += d[col]
        uncovered += d["uncovered"]
    return {
        "count": len(rec.defaults),
        "resolved": sum(1 for d in rec.defaults.values() if d["resolved"]),
        "loss_micros": sum(d["loss"] for d in rec.defaults.values()),
        "loss_by_layer_micros": {**layers, "uncovered": uncovered},
    }
