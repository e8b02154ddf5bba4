"""Classroom game scenarios: roles, rounds, limits and shock sizes, as TOML data.

A scenario is a file ``gateway/game/scenarios/{name}.toml``; the format is specified in
``docs/scenario-format.md``. ``load_scenario`` refuses anything else with a
``ScenarioError`` that names the file and the offending key, so a teacher editing a copy
learns exactly what to fix. Money in dollars, sizes in percent, times in minutes,
amounts in contracts.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCENARIOS_DIR = Path(__file__).resolve().parent / "scenarios"
OBJECTIVE_KINDS = ("sell_forward", "buy_forward", "speculate")
SHOCK_KINDS = ("demand_spike", "gpu_glut", "generation_launch")
DEFAULT_SHOCKS: dict[str, tuple[str, dict[str, float]]] = {
    "demand_spike": (
        "Demand spike: a frontier lab books every free GPU it can find",
        {"H100": 12.0, "B200": 10.0, "A100": 8.0},
    ),
    "gpu_glut": (
        "GPU glut: new data centres come online and rental prices slide",
        {"H100": -12.0, "B200": -10.0, "A100": -15.0},
    ),
    "generation_launch": (
        "Generation launch: the new chip ships; older GPUs lose their premium",
        {"B200": 6.0, "H100": -20.0, "A100": -15.0},
    ),
}
"""Shock moves used when a scenario does not give its own: headline and % per product."""
MAX_ROUNDS = 20
MAX_ROUND_MINUTES = 180.0
MAX_MONTHS_OUT = 36
MAX_TARGET = 100_000
MAX_MONEY = 1_000_000.0
"""Largest bonus or penalty per contract, dollars."""
MIN_MOVE_PCT, MAX_MOVE_PCT = -90.0, 300.0
_NAME_RE = re.compile(r"[a-z][a-z0-9_]{0,31}")
_PRODUCT_RE = re.compile(r"[A-Z][A-Z0-9]{0,15}")


class ScenarioError(ValueError):
    """A scenario that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class Objective:
    """What a role is scored on.

    ``kind``: ``sell_forward``, ``buy_forward`` or ``speculate``. For hedgers,
    ``months_out`` picks the contracts of ``product`` (1 = the front month listed when
    the game is created), ``target`` is contracts, ``bonus_per_contract`` and
    ``penalty_per_contract`` are dollars.
    """

    kind: str
    product: str | None = None
    months_out: tuple[int, ...] = ()
    target: int = 0
    bonus_per_contract: float = 0.0
    penalty_per_contract: float = 0.0


@dataclass(frozen=True)
class RoleSpec:
    """One role: ``weight`` players of it in every round-robin turn of joins."""

    id: str
    title: str
    brief: str
    weight: int
    objective: Objective


@dataclass(frozen=True)
class RoundSpec:
    """One round: its title, length (minutes) and headlines published when it opens."""

    title: str
    minutes: float
    news: tuple[str, ...] = ()


@dataclass(frozen=True)
class ShockSpec:
    """One shock kind: its default headline and index move per product, percent."""

    headline: str
    moves: dict[str, float]


@dataclass(frozen=True)
class Scenario:
    """A whole scenario file, validated."""

    name: str
    title: str
    summary: str
    deposit_usd: float | None
    """Cash each player's account starts with, dollars (None: the gateway's default)."""
    max_order_amount: int | None
    max_position: int | None
    roles: tuple[RoleSpec, ...]
    rounds: tuple[RoundSpec, ...]
    shocks: dict[str, ShockSpec]

    def role(self, role_id: str) -> RoleSpec | None:
        """Return the role called ``role_id``, or None."""
        return next((r for r in self.roles if r.id == role_id), None)

    def role_cycle(self) -> list[str]:
        """Return one turn of the join round-robin: each role id ``weight`` times, interleaved."""
        left = {r.id: r.weight for r in self.roles}
        out: list[str] = []
        while any(left.values()):
            for r in self.roles:
                if left[r.id]:
                    out.append(r.id)
                    left[r.id] -= 1
        return out

    @property
    def products(self) -> set[str]:
        """Return every product the scenario names (objectives and shocks)."""
        named = {r.objective.product for r in self.roles if r.objective.product}
        for shock in self.shocks.values():
            named |= set(shock.moves)
        return {p for p in named if p is not None}


class _Reader:
    """Typed access to one TOML table, with errors that name the file and key path."""

    def __init__(self, file: str, table: dict[str, Any], path: str = "") -> None:
        self.file, self.table, self.path = file, table, path

    def fail(self, key: str, why: str) -> ScenarioError:
        where = f"{self.path}.{key}" if self.path else key
        return ScenarioError(f"{self.file}: {where} {why}")

    def only(self, *keys: str) -> None:
        extra = sorted(set(self.table) - set(keys))
        if extra:
            raise self.fail(extra[0], f"is not a known key (known: {', '.join(keys)})")

    def text(self, key: str, default: str | None = None, max_len: int = 2_000) -> str:
        value = self.table.get(key, default)
        if value is None:
            raise self.fail(key, "is required")
        if not isinstance(value, str) or not value.strip() or len(value) > max_len:
            raise self.fail(key, f"must be a non-empty string of at most {max_len} characters")
        return value.strip()

    def number(self, key: str, lo: float, hi: float, default: float | None = None) -> float:
        value = self.table.get(key, default)
        if value is None:
            raise self.fail(key, "is required")
        if isinstance(value, bool) or not isinstance(value, int | float) or not lo <= value <= hi:
            raise self.fail(key, f"must be a number from {lo:g} to {hi:g}, got {value!r}")
        return float(value)

    def integer(self, key: str, lo: int, hi: int, default: int | None = None) -> int:
        value = self.table.get(key, default)
        if value is None:
            raise self.fail(key, "is required")
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            raise self.fail(key, f"must be a whole number from {lo} to {hi}, got {value!r}")
        return value

    def optional_int(self, key: str, lo: int, hi: int) -> int | None:
        return None if key not in self.table else self.integer(key, lo, hi)

    def sub(self, key: str, required: bool = True) -> _Reader | None:
        value = self.table.get(key)
        if value is None:
            if required:
                raise self.fail(key, "is required")
            return None
        if not isinstance(value, dict):
            raise self.fail(key, "must be a table")
        return _Reader(self.file, value, f"{self.path}.{key}" if self.path else key)

    def tables(self, key: str, lo: int, hi: int) -> list[_Reader]:
        value = self.table.get(key)
        if not isinstance(value, list) or not lo <= len(value) <= hi:
            raise self.fail(key, f"must be {lo} to {hi} [[{key}]] tables")
        out = []
        for i, item in enumerate(value):
            if not isinstance(item, dict):
                raise self.fail(f"{key}[{i}]", "must be a table")
            where = f"{self.path}.{key}[{i}]" if self.path else f"{key}[{i}]"
            out.append(_Reader(self.file, item, where))
        return out


def _objective(r: _Reader) -> Objective:
    kind = r.table.get("kind")
    if kind not in OBJECTIVE_KINDS:
        raise r.fail("kind", f"must be one of {', '.join(OBJECTIVE_KINDS)}, got {kind!r}")
    if kind == "speculate":
        r.only("kind")
        return Objective("speculate")
    r.only("kind", "product", "months_out", "target", "bonus_per_contract", "penalty_per_contract")
    product = r.text("product", max_len=16)
    if not _PRODUCT_RE.fullmatch(product):
        raise r.fail("product", f"must be a product code such as 'H100', got {product!r}")
    months = r.table.get("months_out")
    if (
        not isinstance(months, list)
        or not 1 <= len(months) <= 12
        or any(isinstance(m, bool) or not isinstance(m, int) for m in months)
        or any(not 1 <= m <= MAX_MONTHS_OUT for m in months)
        or len(set(months)) != len(months)
    ):
        raise r.fail(
            "months_out", f"must list 1 to 12 distinct whole numbers from 1 to {MAX_MONTHS_OUT}"
        )
    return Objective(
        kind,
        product,
        tuple(sorted(months)),
        r.integer("target", 1, MAX_TARGET),
        r.number("bonus_per_contract", 0, MAX_MONEY, 0.0),
        r.number("penalty_per_contract", 0, MAX_MONEY, 0.0),
    )


def _role(r: _Reader) -> RoleSpec:
    r.only("id", "title", "brief", "weight", "objective")
    role_id = r.text("id", max_len=32)
    if not _NAME_RE.fullmatch(role_id):
        raise r.fail("id", f"must be lower-case letters, digits and _, got {role_id!r}")
    obj = r.sub("objective")
    assert obj is not None
    return RoleSpec(
        role_id, r.text("title", max_len=64), r.text("brief"), r.integer("weight", 1, 100, 1),
        _objective(obj),
    )  # fmt: skip


def _round(r: _Reader) -> RoundSpec:
    r.only("title", "minutes", "news")
    news = r.table.get("news", [])
    if not isinstance(news, list) or len(news) > 10:
        raise r.fail("news", "must be a list of at most 10 headlines")
    for i, headline in enumerate(news):
        if not isinstance(headline, str) or not 0 < len(headline.strip()) <= 200:
            raise r.fail(f"news[{i}]", "must be a headline of 1 to 200 characters")
    return RoundSpec(
        r.text("title", max_len=64),
        r.number("minutes", 0.5, MAX_ROUND_MINUTES),
        tuple(h.strip() for h in news),
    )


def _shock(r: _Reader) -> ShockSpec:
    r.only("headline", "moves")
    moves = r.sub("moves")
    assert moves is not None
    if not moves.table:
        raise r.fail("moves", "must name at least one product")
    out: dict[str, float] = {}
    for product in moves.table:
        if not _PRODUCT_RE.fullmatch(product):
            raise moves.fail(product, "is not a product code such as 'H100'")
        pct = moves.number(product, MIN_MOVE_PCT, MAX_MOVE_PCT)
        if pct == 0:
            raise moves.fail(product, "must not be 0")
        out[product] = pct
    return ShockSpec(r.text("headline", max_len=200), out)


def parse_scenario(data: dict[str, Any], file: str, name: str) -> Scenario:
    """Return the scenario in the parsed TOML ``data`` of ``file``; raise ``ScenarioError``."""
    r = _Reader(file, data)
    r.only("name", "title", "summary", "deposit_usd", "limits", "roles", "rounds", "shocks")
    if r.text("name", max_len=32) != name:
        raise r.fail("name", f"must be {name!r}, the file's name without .toml")
    roles = tuple(_role(x) for x in r.tables("roles", 1, 12))
    ids = [x.id for x in roles]
    if len(set(ids)) != len(ids):
        raise r.fail("roles", f"has two roles with the same id ({ids})")
    rounds = tuple(_round(x) for x in r.tables("rounds", 1, MAX_ROUNDS))
    limits = r.sub("limits", required=False)
    max_order = max_position = None
    if limits is not None:
        limits.only("max_order_amount", "max_position")
        max_order = limits.optional_int("max_order_amount", 1, MAX_TARGET)
        max_position = limits.optional_int("max_position", 1, MAX_TARGET)
    shocks = {k: ShockSpec(h, dict(m)) for k, (h, m) in DEFAULT_SHOCKS.items()}
    table = r.sub("shocks", required=False)
    if table is not None:
        table.only(*SHOCK_KINDS)
        for kind in SHOCK_KINDS:
            sub = table.sub(kind, required=False)
            if sub is not None:
                shocks[kind] = _shock(sub)
    deposit = None if "deposit_usd" not in data else r.number("deposit_usd", 1.0, 1e9)
    return Scenario(
        name, r.text("title", max_len=80), r.text("summary"), deposit, max_order,
        max_position, roles, rounds, shocks,
    )  # fmt: skip


def load_scenario(name: str, directory: Path = SCENARIOS_DIR) -> Scenario:
    """Load and validate scenario ``name`` (``{directory}/{name}.toml``)."""
    if not isinstance(name, str) or not _NAME_RE.fullmatch(name):
        raise ScenarioError(f"scenario name {name!r} must be lower-case letters, digits and _")
    path = directory / f"{name}.toml"
    if not path.is_file():
        known = ", ".join(scenario_names(directory)) or "none"
        raise ScenarioError(f"no scenario {name!r} (shipped: {known})")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path.name}: not valid TOML: {exc}") from None
    return parse_scenario(data, path.name, name)


def scenario_names(directory: Path = SCENARIOS_DIR) -> list[str]:
    """Return the names of the scenario files in ``directory``, sorted."""
    return sorted(p.stem for p in directory.glob("*.toml"))
