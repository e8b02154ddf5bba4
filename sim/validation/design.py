"""Market designs for double-auction experiments: unit values and costs, as data.

A design is a TOML file (examples in ``sim/designs/``)::

    name = "Gode-Sunder market 1"
    price_min = 1            # quotes range over price_min … price_max (price units)
    price_max = 200

    [[buyers]]               # a group of identical buyers; repeat for other groups
    count = 6
    values = [102, 97, 92, 86, 83, 78]   # each buyer's unit values, traded in order

    [[sellers]]
    count = 6
    costs = [34, 46, 58, 69, 83, 95]     # each seller's unit costs, traded in order

    [paper]                  # optional: published figures to check against
    source = "Gode & Sunder (1993), Table 2"
    equilibrium_price = 83
    zi_u_efficiency = 90.0   # %
    zi_c_efficiency = 99.9   # %
    human_efficiency = 99.7  # %

``load_design`` refuses anything else with a ``DesignError`` that names the file and
the offending key. Values, costs and prices are integer price units.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DESIGNS_DIR = Path(__file__).resolve().parents[1] / "designs"
MAX_TRADERS = 1_000  # per side
MAX_PRICE = 1_000_000  # price units: the engine allocates a level per price


class DesignError(ValueError):
    """A design file that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class PaperFigures:
    """Figures a publication reports for a design (efficiencies in %)."""

    source: str
    equilibrium_price: float | None
    zi_u_efficiency: float | None
    zi_c_efficiency: float | None
    human_efficiency: float | None


@dataclass(frozen=True)
class Design:
    """Buyers' unit values and sellers' unit costs (price units), one tuple per trader."""

    name: str
    path: str
    price_min: int
    price_max: int
    buyers: tuple[tuple[int, ...], ...]
    sellers: tuple[tuple[int, ...], ...]
    paper: PaperFigures | None

    def demand(self) -> list[int]:
        """Return every buyer unit value, highest first (the demand schedule)."""
        return sorted((v for b in self.buyers for v in b), reverse=True)

    def supply(self) -> list[int]:
        """Return every seller unit cost, lowest first (the supply schedule)."""
        return sorted(v for s in self.sellers for v in s)

    def max_surplus(self) -> int:
        """Return the largest total profit any allocation can earn (price units)."""
        return sum(max(v - k, 0) for v, k in zip(self.demand(), self.supply(), strict=False))

    def equilibrium(self) -> tuple[int, int, int]:
        """Return (quantity, lowest price, highest price) of the competitive equilibrium.

        The quantity is the number of units whose value is at least their cost when
        both schedules are sorted; every price in the range clears it.
        """
        d, s = self.demand(), self.supply()
        q = sum(1 for v, k in zip(d, s, strict=False) if v >= k)
        if q == 0:
            return 0, max(d[0], self.price_min), min(s[0], self.price_max)
        lo = max(s[q - 1], d[q] if q < len(d) else self.price_min)
        hi = min(d[q - 1], s[q] if q < len(s) else self.price_max)
        return q, lo, hi

    def equilibrium_price(self) -> float:
        """Return the midpoint of the equilibrium price range (price units)."""
        _, lo, hi = self.equilibrium()
        return (lo + hi) / 2

    def units(self) -> tuple[int, int]:
        """Return (buyer units, seller units) in the market."""
        return sum(map(len, self.buyers)), sum(map(len, self.sellers))

    def zi_u_closed_form(self) -> float | None:
        """Return the efficiency (%) of a market where every unit trades, if one can.

        When buyers and sellers hold as many units in all, ZI-U trades every unit, so
        total profit is every value minus every cost, whatever the prices; otherwise
        which units trade is random and there is no closed form (``None``).
        """
        nb, ns = self.units()
        if nb != ns or self.max_surplus() <= 0:
            return None
        total = sum(map(sum, self.buyers)) - sum(map(sum, self.sellers))
        return 100.0 * total / self.max_surplus()


# ------------------------------------------------------------------------ loading
def shipped_designs() -> list[Path]:
    """Return the design files shipped in ``sim/designs/``, by name."""
    return sorted(DESIGNS_DIR.glob("*.toml"))


def load_design(path: str | Path) -> Design:
    """Read and check a design file; raise ``DesignError`` naming the bad key."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise DesignError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise DesignError(f"{path}: not valid TOML: {exc}") from None
    return _Checker(path).design(data)


class _Checker:
    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, key: str, problem: str) -> DesignError:
        return DesignError(f"{self.path}: key '{key}': {problem}")

    def keys(self, table: dict[str, Any], where: str, allowed: tuple[str, ...]) -> None:
        for k in table:
            if k not in allowed:
                key = f"{where}.{k}" if where else k
                raise self.fail(key, f"unknown key (allowed: {', '.join(allowed)})")

    def integer(self, value: Any, key: str, lo: int, hi: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(key, f"expected an integer, got {value!r}")
        if not lo <= value <= hi:
            raise self.fail(key, f"{value} is outside {lo}..{hi}")
        return value

    def number(self, value: Any, key: str, lo: float, hi: float) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(key, f"expected a number, got {value!r}")
        if not lo <= value <= hi:
            raise self.fail(key, f"{value} is outside {lo}..{hi}")
        return float(value)

    def design(self, data: dict[str, Any]) -> Design:
        self.keys(data, "", ("name", "description", "price_min", "price_max", "buyers", "sellers", "paper"))  # fmt: skip
        name = data.get("name", self.path.stem)
        if not isinstance(name, str) or not name:
            raise self.fail("name", f"expected a non-empty string, got {name!r}")
        pmin = self.integer(data.get("price_min", 1), "price_min", 1, MAX_PRICE)
        pmax = self.integer(data.get("price_max", 200), "price_max", pmin, MAX_PRICE)
        buyers = self.traders(data, "buyers", "values", pmin, pmax)
        sellers = self.traders(data, "sellers", "costs", pmin, pmax)
        design = Design(name, str(self.path), pmin, pmax, buyers, sellers, None)
        if "paper" in data:
            design = Design(**{**design.__dict__, "paper": self.paper(data["paper"], design)})
        return design

    def traders(
        self, data: dict[str, Any], side: str, field: str, pmin: int, pmax: int
    ) -> tuple[tuple[int, ...], ...]:
        groups = data.get(side)
        if groups is None:
            raise self.fail(side, f"missing: give at least one [[{side}]] table")
        if not isinstance(groups, list) or not groups or not all(isinstance(g, dict) for g in groups):  # fmt: skip
            raise self.fail(side, f"expected one or more [[{side}]] tables, got {groups!r}")
        out: list[tuple[int, ...]] = []
        for i, g in enumerate(groups):
            where = f"{side}[{i}]"
            self.keys(g, where, ("count", field))
            count = self.integer(g.get("count", 1), f"{where}.count", 1, MAX_TRADERS)
            units = g.get(field)
            if not isinstance(units, list) or not units:
                raise self.fail(f"{where}.{field}", f"expected a non-empty list of integers, got {units!r}")  # fmt: skip
            row = tuple(self.integer(u, f"{where}.{field}[{j}]", pmin, pmax) for j, u in enumerate(units))  # fmt: skip
            out.extend([row] * count)
        if len(out) > MAX_TRADERS:
            raise self.fail(side, f"{len(out)} traders; at most {MAX_TRADERS}")
        return tuple(out)

    def paper(self, table: Any, design: Design) -> PaperFigures:
        if not isinstance(table, dict):
            raise self.fail("paper", f"expected a [paper] table, got {table!r}")
        effs = ("zi_u_efficiency", "zi_c_efficiency", "human_efficiency")
        self.keys(table, "paper", ("source", "equilibrium_price", *effs))
        source = table.get("source", "")
        if not isinstance(source, str):
            raise self.fail("paper.source", f"expected a string, got {source!r}")
        pe = table.get("equilibrium_price")
        if pe is not None:
            pe = self.number(pe, "paper.equilibrium_price", design.price_min, design.price_max)
            _, lo, hi = design.equilibrium()
            if not lo <= pe <= hi:
                raise self.fail(
                    "paper.equilibrium_price",
                    f"{pe:g} does not clear the schedules (equilibrium prices {lo}..{hi})",
                )
        figures = {k: self.number(table[k], f"paper.{k}", 0, 100) if k in table else None for k in effs}  # fmt: skip
        return PaperFigures(source, pe, **figures)
