"""Scenarios: what a clearing-aware simulation run trades, for how long, and with whom.

A scenario is a TOML file (``sim/scenarios/*.toml`` ship with flopex; the format is
``docs/scenarios.md``): products and months traded, the simulated index of each
product and scheduled shocks, agent populations, clearing parameters, duration, seed
and output sampling. ``load_scenario(path_or_name)`` reads and validates one; every
mistake raises ``ScenarioError`` whose message starts with the key's path
(``agents[2].gamma: must be positive``, ``shocks[0].date: 2026-11-21 is not a business
day``). Units: money keys end in ``_usd`` (US dollars, converted to integer µ$), price
keys in ``_usd`` are USD per GPU-hour, times are named by their unit.
"""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

from clearing.index.model import IndexModel
from exchange.calendar import TradingCalendar, holidays_from
from exchange.product_spec import DEFAULT_PRODUCTS, ProductSpec
from sim.agents.base import MarketAgent
from sim.agents.hedgers import AIBuyer, Neocloud
from sim.agents.market_maker import AvellanedaStoikov
from sim.agents.traders import Fundamental, MeanReversion, Momentum, Noise
from sim.params import Param, ParamError, check_table, check_value


class ScenarioError(ParamError):
    """A scenario file is unreadable or invalid; the message names the bad key."""


#: Agent kinds a scenario may use, by their ``kind`` name.
AGENT_KINDS: dict[str, type[MarketAgent]] = {
    "neocloud": Neocloud,
    "ai_buyer": AIBuyer,
    "fundamental": Fundamental,
    "momentum": Momentum,
    "mean_reversion": MeanReversion,
    "noise": Noise,
    "market_maker": AvellanedaStoikov,
}

TOP_PARAMS: dict[str, Param] = {
    "name": Param(str, "", "", "scenario name (default: the file name)"),
    "description": Param(str, "", "", "one paragraph for people"),
    "seed": Param(int, 1, "", "root seed of the run", "non_negative"),
    "start": Param(date, None, "date", "first trading day (a business day)", required=True),
    "days": Param(int, 20, "business days", "trading days simulated", "positive"),
    "latency_ms": Param(float, 1.0, "ms", "one-way latency between agents and the venue",
                        "non_negative"),
    "holidays": Param(list, [], "dates", "extra non-business days (ISO strings)"),
    "price_band": Param(float, 0.2, "fraction",
                        "orders further than this from the reference price are refused "
                        "(the reference moves to each settlement)", "fraction"),
    "max_order_qty": Param(int, 1_000, "contracts", "largest order the engine accepts",
                           "positive"),
}  # fmt: skip

PRODUCT_PARAMS: dict[str, Param] = {
    "code": Param(str, None, "", "product code (H100, B200, A100)", "choice",
                  tuple(DEFAULT_PRODUCTS), required=True),
    "months_listed": Param(int, 6, "months", "consecutive monthly contracts listed", "positive"),
    "months_traded": Param(int, 3, "months", "front months the agents trade", "positive"),
    "index_start_usd": Param(float, 0.0, "USD per GPU-hour",
                             "index on the first day of the start month (0: reference level)",
                             "non_negative"),
}  # fmt: skip

#: Index model keys of a ``[products.index]`` table (``clearing.index.model.IndexModel``).
INDEX_PARAMS: dict[str, Param] = {
    "annual_vol": Param(float, 0.0, "fraction a year", "volatility (0: the product's)",
                        "non_negative"),
    "mean_reversion": Param(float, 4.0, "per year", "short factor's speed κ", "positive"),
    "depreciation": Param(float, 0.17, "fraction a year", "long factor's drift", "fraction"),
    "short_share": Param(float, 0.5, "fraction", "diffusion share of the short factor",
                         "fraction"),
    "provider_jump_share": Param(float, 0.25, "fraction", "variance share of provider jumps",
                                 "fraction"),
    "spike_share": Param(float, 0.10, "fraction", "variance share of demand spikes", "fraction"),
    "spike_mean": Param(float, 0.08, "log points", "mean demand spike", "positive"),
    "sticky_prob": Param(float, 0.3, "probability", "chance a print repeats the last",
                         "probability"),
}  # fmt: skip

SHOCK_PARAMS: dict[str, Param] = {
    "date": Param(date, None, "date", "business day the index jumps", required=True),
    "product": Param(str, None, "", "product whose index jumps", required=True),
    "size": Param(float, None, "log points", "log jump (−0.22 = −20%)", required=True),
    "factor": Param(str, "long", "", "long (permanent) or short (decays)", "choice",
                    ("long", "short")),
    "label": Param(str, "shock", "", "what happened"),
}  # fmt: skip

CLEARING_PARAMS: dict[str, Param] = {
    "members": Param(int, 3, "members", "clearing members (each has a house account)",
                     "positive"),
    "member_capital_usd": Param(float, 5_000_000.0, "USD",
                                "collateral of each member's house account", "positive"),
    "margin_multiplier": Param(float, 1.0, "multiple", "scales SPAN-like margin", "positive"),
    "speculator_initial_percent": Param(int, 110, "percent",
                                        "speculators' initial / maintenance margin", "positive"),
    "confidence": Param(float, 0.99, "probability", "margin scan confidence", "probability"),
    "call_deadline_hours": Param(float, 16.0, "hours", "time to pay a margin call",
                                 "positive"),
    "close_out": Param(str, "auction", "", "default close-out: auction or liquidation",
                       "choice", ("auction", "liquidation")),
    "auction_discount_bps": Param(int, 200, "basis points", "auction price discount",
                                  "non_negative"),
    "ccp_capital_usd": Param(float, 1_000_000.0, "USD", "CCP skin in the game",
                             "non_negative"),
    "default_fund_min_usd": Param(float, 1_000_000.0, "USD", "default fund floor",
                                  "non_negative"),
    "min_contribution_usd": Param(float, 100_000.0, "USD", "each member's minimum contribution",
                                  "non_negative"),
    "assessment_percent": Param(int, 275, "percent", "assessment cap of contributions",
                                "non_negative"),
    "stress_moves_bps": Param(list, [-3000, -1500, 1500, 3000], "basis points",
                              "Cover-2 stress moves", item=int),
    "position_limit": Param(int, 0, "contracts", "limit a contract per account (0: none)",
                            "non_negative"),
    "clock_tick_minutes": Param(float, 60.0, "minutes",
                                "venue clock ticks (GTD expiry, call deadlines, updates)",
                                "positive"),
}  # fmt: skip

OUTPUT_PARAMS: dict[str, Param] = {
    "book_top_minutes": Param(float, 60.0, "minutes", "top-of-book sampling interval",
                              "positive"),
}  # fmt: skip

AGENT_KEYS: dict[str, Param] = {
    "kind": Param(str, None, "", "agent kind", "choice", tuple(AGENT_KINDS), required=True),
    "count": Param(int, 1, "agents", "how many agents of this kind", "positive"),
    "name": Param(str, "", "", "name prefix (default: the kind)"),
}


@dataclass(frozen=True)
class ProductSetup:
    """One product traded: its specification (``months_listed`` applied), the months
    agents trade, the index start (price units) and the index model."""

    spec: ProductSpec
    months_traded: int
    index_start_units: int
    model: IndexModel


@dataclass(frozen=True)
class ShockSetup:
    """A scheduled index jump: ``size`` log points on ``day`` to ``factor``."""

    day: date
    product: str
    size: float
    factor: str
    label: str


@dataclass(frozen=True)
class AgentGroup:
    """``count`` agents of ``kind`` with checked parameters ``values``."""

    kind: str
    count: int
    name: str
    values: Mapping[str, Any]

    @property
    def cls(self) -> type[MarketAgent]:
        """Return the agent class."""
        return AGENT_KINDS[self.kind]


@dataclass(frozen=True)
class Scenario:
    """A validated scenario; see ``docs/scenarios.md`` for every key."""

    name: str
    description: str
    seed: int
    start: date
    days: int
    latency_ms: float
    price_band: float
    max_order_qty: int
    calendar: TradingCalendar
    products: tuple[ProductSetup, ...]
    shocks: tuple[ShockSetup, ...]
    agents: tuple[AgentGroup, ...]
    clearing: Mapping[str, Any]
    output: Mapping[str, Any]
    source: str = ""
    raw: Mapping[str, Any] = field(default_factory=dict)

    def with_overrides(self, seed: int | None = None, days: int | None = None) -> Scenario:
        """Return this scenario with another seed or duration (validated)."""
        if days is not None and days < 1:
            raise ScenarioError(f"days: must be positive, got {days}")
        if days is not None:
            trading = self.calendar.business_days(
                self.start, date.fromordinal(self.start.toordinal() + 7 * days + 14)
            )[:days]
            for i, s in enumerate(self.shocks):
                if s.day > trading[-1]:
                    raise ScenarioError(
                        f"shocks[{i}].date: {s.day} is after the last of {days} trading days"
                    )
        return dataclasses.replace(
            self,
            seed=self.seed if seed is None else seed,
            days=self.days if days is None else days,
        )

    def trading_days(self) -> tuple[date, ...]:
        """Return the ``days`` business days of the run, from ``start``."""
        end = date.fromordinal(self.start.toordinal() + 7 * self.days + 14)
        return self.calendar.business_days(self.start, end)[: self.days]

    def product_specs(self) -> dict[str, ProductSpec]:
        """Return the product specifications by code."""
        return {p.spec.code: p.spec for p in self.products}


# ---------------------------------------------------------------------- loading
def shipped_scenarios() -> list[str]:
    """Return the names of the scenarios that ship with flopex."""
    root = resources.files("sim") / "scenarios"
    return sorted(p.name[:-5] for p in root.iterdir() if p.name.endswith(".toml"))


def load_scenario(source: str | Path) -> Scenario:
    """Read and validate a scenario file, or a shipped scenario by name (``baseline``)."""
    path = Path(source)
    if not path.exists() and not str(source).endswith(".toml") and "/" not in str(source):
        shipped = resources.files("sim") / "scenarios" / f"{source}.toml"
        if not shipped.is_file():
            names = ", ".join(shipped_scenarios())
            raise ScenarioError(
                f"no scenario file {source!r} and no shipped one (shipped: {names})"
            )
        text, name = shipped.read_text(encoding="utf-8"), str(source)
    else:
        try:
            text, name = path.read_text(encoding="utf-8"), path.stem
        except OSError as exc:
            raise ScenarioError(f"{source}: cannot read: {exc.strerror or exc}") from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{source}: not valid TOML: {exc}") from None
    scenario = parse_scenario(raw, default_name=name)
    return dataclasses.replace(scenario, source=str(source))


def _check_date(path: str, value: Any) -> date:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ScenarioError(f"{path}: not an ISO date (YYYY-MM-DD): {value!r}") from None
    if not isinstance(value, date) or hasattr(value, "hour"):
        raise ScenarioError(f"{path}: must be a date (YYYY-MM-DD), got {value!r}")
    return value


def _table(path: str, specs: Mapping[str, Param], raw: Any, ignore: tuple[str, ...] = ()) -> dict:
    """Check ``raw`` against ``specs``, dates included; re-raise as ``ScenarioError``."""
    if not isinstance(raw, Mapping):
        raise ScenarioError(f"{path}: must be a table, got {raw!r}")
    plain = {k: v for k, v in specs.items() if v.kind is not date}
    dates = {k: v for k, v in specs.items() if v.kind is date}
    try:
        out = check_table(path, plain, {k: v for k, v in raw.items() if k not in dates},
                          ignore=(*ignore, *dates))  # fmt: skip
    except ScenarioError:
        raise
    except ParamError as exc:
        raise ScenarioError(str(exc)) from None
    prefix = f"{path}." if path else ""
    for key, spec in dates.items():
        if key in raw:
            out[key] = _check_date(f"{prefix}{key}", raw[key])
        elif spec.required:
            raise ScenarioError(f"{prefix}{key}: missing (a date, {spec.doc})")
        else:
            out[key] = spec.default
    return out


def _list_of_tables(raw: Mapping[str, Any], key: str) -> list[Any]:
    value = raw.get(key, [])
    if not isinstance(value, list):
        raise ScenarioError(f"{key}: must be an array of tables ([[{key}]]), got {value!r}")
    return value


def parse_scenario(raw: Mapping[str, Any], default_name: str = "scenario") -> Scenario:
    """Validate a parsed TOML document and return the ``Scenario``."""
    top = _table("", TOP_PARAMS, raw, ignore=("products", "shocks", "agents", "clearing",
                                              "output"))  # fmt: skip
    try:
        holidays = holidays_from(top["holidays"])
    except ValueError:
        raise ScenarioError(f"holidays: not ISO dates: {top['holidays']!r}") from None
    calendar = TradingCalendar(holidays=holidays)
    start: date = top["start"]
    if not calendar.is_business_day(start):
        raise ScenarioError(f"start: {start} is not a business day")

    products: list[ProductSetup] = []
    raw_products = _list_of_tables(raw, "products")
    if not raw_products:
        raise ScenarioError("products: at least one [[products]] table is needed")
    for i, rp in enumerate(raw_products):
        path = f"products[{i}]"
        p = _table(path, PRODUCT_PARAMS, rp, ignore=("index",))
        if p["months_traded"] > p["months_listed"]:
            raise ScenarioError(
                f"{path}.months_traded: {p['months_traded']} is more than months_listed "
                f"({p['months_listed']})"
            )
        if any(x.spec.code == p["code"] for x in products):
            raise ScenarioError(f"{path}.code: {p['code']} appears twice")
        spec = dataclasses.replace(DEFAULT_PRODUCTS[p["code"]], months_listed=p["months_listed"])
        ix = _table(f"{path}.index", INDEX_PARAMS, rp.get("index", {}))
        if not ix["annual_vol"]:
            ix["annual_vol"] = spec.annual_vol
        try:
            model = IndexModel(**ix)
        except ValueError as exc:
            raise ScenarioError(f"{path}.index: {exc}") from None
        start_units = (
            round(p["index_start_usd"] * 1_000_000 / spec.price_unit_micros)
            if p["index_start_usd"]
            else spec.ref_price_units
        )
        if not 1 <= start_units <= spec.max_price_units:
            raise ScenarioError(f"{path}.index_start_usd: outside the product's price grid")
        products.append(ProductSetup(spec, p["months_traded"], start_units, model))
    codes = [p.spec.code for p in products]

    days = top["days"]
    trading = calendar.business_days(start, date.fromordinal(start.toordinal() + 7 * days + 14))
    trading = trading[:days]
    shocks: list[ShockSetup] = []
    for i, rs in enumerate(_list_of_tables(raw, "shocks")):
        path = f"shocks[{i}]"
        s = _table(path, SHOCK_PARAMS, rs)
        if s["product"] not in codes:
            raise ScenarioError(f"{path}.product: {s['product']!r} is not traded ({codes})")
        if not calendar.is_business_day(s["date"]):
            raise ScenarioError(f"{path}.date: {s['date']} is not a business day")
        if not start < s["date"] <= trading[-1]:
            raise ScenarioError(
                f"{path}.date: {s['date']} is outside the run ({start} excluded .. {trading[-1]})"
            )
        shocks.append(ShockSetup(s["date"], s["product"], s["size"], s["factor"], s["label"]))

    clearing = _table("clearing", CLEARING_PARAMS, raw.get("clearing", {}))
    if not 0.5 < clearing["confidence"] < 1:
        raise ScenarioError("clearing.confidence: must be between 0.5 and 1 (exclusive)")
    if clearing["speculator_initial_percent"] < 100:
        raise ScenarioError("clearing.speculator_initial_percent: must be at least 100")
    for j, move in enumerate(clearing["stress_moves_bps"]):
        if not -10_000 < move < 100_000 or move == 0:
            raise ScenarioError(f"clearing.stress_moves_bps[{j}]: must be non-zero and > -10000")
    output = _table("output", OUTPUT_PARAMS, raw.get("output", {}))

    agents: list[AgentGroup] = []
    raw_agents = _list_of_tables(raw, "agents")
    if not raw_agents:
        raise ScenarioError("agents: at least one [[agents]] table is needed")
    for i, ra in enumerate(raw_agents):
        path = f"agents[{i}]"
        if not isinstance(ra, Mapping):
            raise ScenarioError(f"{path}: must be a table, got {ra!r}")
        head = _table(path, AGENT_KEYS, {k: ra[k] for k in AGENT_KEYS if k in ra})
        cls = AGENT_KINDS[head["kind"]]
        rest = {k: v for k, v in ra.items() if k not in AGENT_KEYS}
        values = _table(path, cls.params(), rest)
        for j, product in enumerate(values["products"]):
            if product not in codes:
                raise ScenarioError(f"{path}.products[{j}]: {product!r} is not traded ({codes})")
        agents.append(AgentGroup(head["kind"], head["count"], head["name"] or head["kind"],
                                 values))  # fmt: skip
        _check_agent(path, head["kind"], values)

    return Scenario(
        name=top["name"] or default_name,
        description=top["description"],
        seed=top["seed"],
        start=start,
        days=days,
        latency_ms=top["latency_ms"],
        price_band=top["price_band"],
        max_order_qty=top["max_order_qty"],
        calendar=calendar,
        products=tuple(products),
        shocks=tuple(shocks),
        agents=tuple(agents),
        clearing=clearing,
        output=output,
        raw=dict(raw),
    )


def _check_agent(path: str, kind: str, values: Mapping[str, Any]) -> None:
    """Checks that relate two keys of one agent."""
    if kind == "market_maker" and values["stop_free_fraction"] > values["widen_free_fraction"]:
        raise ScenarioError(
            f"{path}.stop_free_fraction: must not exceed widen_free_fraction "
            f"({values['widen_free_fraction']})"
        )
    if kind == "market_maker" and values["widen_factor"] < 1:
        raise ScenarioError(f"{path}.widen_factor: must be at least 1")


def check_key(path: str, spec: Param, value: Any) -> Any:
    """Check one value as the loader would (for tools building scenarios in code)."""
    try:
        return check_value(path, spec, value)
    except ParamError as exc:
        raise ScenarioError(str(exc)) from None
