"""The market as the game sees it: venue clock, index levels, shocks and the forward curve.

The game clock (``gw.clock``, gateway/clock.py) and the simulated index (``gw.index_feed``,
gateway/index_feed.py) exist only when the gateway simulates time; without them the
clock view reads the venue clock and the index falls back to the products' reference
levels, and shocks are refused. Prices are dollars per GPU-hour, moves percent, venue
times ns (``*_ms``: ms).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from exchange.calendar import ns_to_date
from gateway.game.errors import bad
from gateway.game.scenario import SHOCK_KINDS, Scenario
from gateway.instruments import Listing

if TYPE_CHECKING:
    from gateway.core import Gateway


class Clock(Protocol):
    """What the game needs of ``gateway.clock.GameClock``."""

    @property
    def paused(self) -> bool: ...

    @property
    def seconds_per_day(self) -> float: ...

    def pause(self) -> None: ...

    def resume(self) -> None: ...


class IndexLevels(Protocol):
    """What the game needs of ``gateway.index_feed.IndexFeed``."""

    def levels(self) -> dict[str, float]: ...

    def shock(self, product: str | None, pct: float) -> None: ...


def clock_of(gw: Gateway) -> Clock | None:
    """Return the gateway's pausable game clock, or None when the venue runs in real time."""
    clock: Clock | None = getattr(gw, "clock", None)
    return clock


def index_of(gw: Gateway) -> IndexLevels | None:
    """Return the gateway's simulated index feed, or None."""
    feed: IndexLevels | None = getattr(gw, "index_feed", None)
    return feed


def clock_view(gw: Gateway) -> dict[str, object]:
    """Return ``{venue_ts, date, seconds_per_day, paused}`` (venue_ts in ms)."""
    now = gw.now()
    clock = clock_of(gw)
    return {
        "venue_ts": now // 1_000_000,
        "date": ns_to_date(now).isoformat(),
        "seconds_per_day": clock.seconds_per_day if clock is not None else 0.0,
        "paused": clock.paused if clock is not None else False,
    }


def index_levels(gw: Gateway) -> dict[str, float]:
    """Return the index level of every product, $/GPU-hour (reference levels without a feed)."""
    feed = index_of(gw)
    if feed is not None:
        return dict(feed.levels())
    return {
        code: spec.units_to_price(spec.ref_price_units) for code, spec in gw.venue.products.items()
    }


def listings_by_product(gw: Gateway) -> dict[str, list[Listing]]:
    """Return the live listings of each product, front month first."""
    out: dict[str, list[Listing]] = {}
    for lst in gw.instruments.by_name.values():
        out.setdefault(lst.spec.code, []).append(lst)
    for listings in out.values():
        listings.sort(key=lambda x: x.contract.expiry_ts)
    return out


def resolve_contracts(gw: Gateway, scenario: Scenario) -> dict[str, tuple[str, ...]]:
    """Return role id → the instrument names of its objective (``months_out`` 1 = front
    month listed now); 11029 when the venue does not list what the scenario names."""
    listed = listings_by_product(gw)
    out: dict[str, tuple[str, ...]] = {}
    for role in scenario.roles:
        obj = role.objective
        if obj.kind == "speculate" or obj.product is None:
            out[role.id] = ()
            continue
        chain = listed.get(obj.product)
        if not chain:
            raise bad(
                f"scenario {scenario.name}: role {role.id} trades {obj.product}, which this "
                f"gateway does not list ({', '.join(sorted(listed))})",
                "scenario",
            )
        if max(obj.months_out) > len(chain):
            raise bad(
                f"scenario {scenario.name}: role {role.id} wants month {max(obj.months_out)} "
                f"of {obj.product}, but only {len(chain)} are listed",
                "scenario",
            )
        out[role.id] = tuple(chain[m - 1].name for m in obj.months_out)
    return out


def shock_moves(
    scenario: Scenario, kind: str, product: str | None, size_pct: float | None
) -> dict[str, float]:
    """Return the index move of each product for a shock, percent; 11029 when invalid.

    Named kinds take their moves from the scenario; ``product`` keeps only that product's
    move and ``size_pct`` (> 0) replaces every magnitude, keeping each direction.
    ``custom`` moves ``product`` (None: every product) by the signed ``size_pct``.
    """
    if kind == "custom":
        if size_pct is None:
            raise bad("a custom shock needs size_pct (percent, e.g. -15)", "size_pct")
        if not -90 <= size_pct <= 300 or size_pct == 0:
            raise bad("size_pct must be from -90 to 300 and not 0", "size_pct")
        return {product or "*": float(size_pct)}
    if kind not in SHOCK_KINDS:
        raise bad(f"kind must be one of {', '.join((*SHOCK_KINDS, 'custom'))}", "kind")
    moves = dict(scenario.shocks[kind].moves)
    if product is not None:
        if product not in moves:
            raise bad(f"a {kind} shock does not move {product} in this scenario", "product")
        moves = {product: moves[product]}
    if size_pct is not None:
        if not 0 < size_pct <= 90:
            raise bad(f"size_pct of a {kind} shock must be above 0 and at most 90", "size_pct")
        moves = {p: size_pct if m > 0 else -size_pct for p, m in moves.items()}
    return moves


def apply_shock(gw: Gateway, moves: dict[str, float]) -> dict[str, float]:
    """Move the index by ``moves`` (``"*"``: every product); return the moves applied.

    Checks every product first, so a refused shock moves nothing (11029).
    """
    feed = index_of(gw)
    if feed is None:
        raise bad("shocks need the simulated index: start the gateway with --seconds-per-day")
    products = set(gw.venue.products)
    for product in moves:
        if product != "*" and product not in products:
            raise bad(f"no product {product!r} (one of {', '.join(sorted(products))})", "product")
    applied: dict[str, float] = {}
    for product, pct in moves.items():
        feed.shock(None if product == "*" else product, pct)
        if product == "*":
            applied.update({p: pct for p in sorted(products)})
        else:
            applied[product] = pct
    return applied


def curve_points(gw: Gateway, products: set[str]) -> list[dict[str, object]]:
    """Return the forward curve of ``products``: each listed contract's mark (mid of the
    best bid and ask, else last trade, else reference), front month first."""
    points: list[dict[str, object]] = []
    for code, chain in sorted(listings_by_product(gw).items()):
        if code not in products:
            continue
        for i, lst in enumerate(chain):
            points.append(
                {
                    "instrument": lst.name,
                    "months_out": i + 1,
                    "price": lst.to_wire(gw.market.mark(lst)),
                }
            )
    return points
