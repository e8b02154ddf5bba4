"""Simulated index paths and the ``SimulatedIndex`` source (rules CR-4 and CR-5).

``simulate_paths`` draws many paths at once (arrays are paths × days; the only Python
loop is over days, for the mean-reverting recursion). Randomness comes only from the
seed passed in: five independent streams are spawned from it (short-factor normals,
long-factor normals, provider jumps, demand spikes, sticky days), so turning one
feature off leaves the draws of the others unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from clearing.index.base import PublishedSeries
from clearing.index.model import Factor, IndexModel
from clearing.money import index_print_units
from exchange.calendar import DEFAULT_CALENDAR, TradingCalendar

if TYPE_CHECKING:
    from exchange.products import ProductSpec

SeedLike = int | np.random.SeedSequence | np.random.Generator
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Shock:
    """A scheduled move of the index on ``day``: ``log_jump`` added to one factor.

    A shock to the long factor is permanent; one to the short factor decays with the
    short factor's mean reversion. A shock day's print is never sticky.
    """

    day: date
    log_jump: float
    factor: Factor = Factor.LONG
    label: str = "log jump"

    @classmethod
    def generation_launch(cls, day: date, log_jump: float = -0.22) -> Shock:
        """Return a new-generation launch: a permanent drop (about −0.22 in log)."""
        return cls(day, log_jump, Factor.LONG, "generation launch")

    @classmethod
    def demand_spike(cls, day: date, log_jump: float = 0.20) -> Shock:
        """Return a demand spike (e.g. a model launch): a rise that decays."""
        return cls(day, log_jump, Factor.SHORT, "demand spike")

    @classmethod
    def glut(cls, day: date, log_jump: float = -0.15) -> Shock:
        """Return a GPU glut: a drop that decays as capacity is absorbed."""
        return cls(day, log_jump, Factor.SHORT, "glut")


def _streams(seed: SeedLike, n: int) -> list[np.random.Generator]:
    if isinstance(seed, np.random.Generator):
        return list(seed.spawn(n))
    if isinstance(seed, np.random.SeedSequence):
        # Copy so that the same SeedSequence always gives the same paths.
        seed = np.random.SeedSequence(seed.entropy, spawn_key=seed.spawn_key)
    else:
        seed = np.random.SeedSequence(seed)
    return [np.random.default_rng(s) for s in seed.spawn(n)]


def _compound_poisson(
    rng: np.random.Generator,
    rate_per_day: float,
    shape: tuple[int, int],
    sizes: Callable[[np.random.Generator, int], FloatArray],
) -> tuple[IntArray, FloatArray, FloatArray]:
    """Return (counts per day, sum of jump sizes per day, flat sizes in draw order)."""
    counts = rng.poisson(rate_per_day, size=shape).astype(np.int64)
    counts[:, 0] = 0  # day 0 is the start print: nothing happens before it
    total = int(counts.sum())
    flat = np.asarray(sizes(rng, total), dtype=np.float64)
    owner = np.repeat(np.arange(counts.size), counts.ravel())
    per_day = np.bincount(owner, weights=flat, minlength=counts.size).reshape(shape)
    return counts, per_day.astype(np.float64), flat


@dataclass(frozen=True)
class IndexPaths:
    """Simulated paths; every array is paths × days, day 0 being the start.

    ``short``/``long`` the factor values (log points); ``latent`` the model index in
    float price units; ``published`` the print after sticky days (float price units);
    ``units`` the integer print (half-even, at least 1); ``sticky`` True where the
    print repeated the previous one; ``provider_counts``/``spike_counts`` jumps per
    day and ``provider_sizes``/``spike_sizes`` every jump drawn (log points).
    """

    start: float
    short: FloatArray
    long: FloatArray
    latent: FloatArray
    published: FloatArray
    units: IntArray
    sticky: BoolArray
    provider_counts: IntArray
    provider_sizes: FloatArray
    spike_counts: IntArray
    spike_sizes: FloatArray


def simulate_paths(
    model: IndexModel,
    start: float,
    n_days: int,
    n_paths: int,
    seed: SeedLike,
    shocks: Sequence[tuple[int, float, Factor]] = (),
) -> IndexPaths:
    """Draw ``n_paths`` index paths of ``n_days`` business days starting at ``start``.

    ``start`` in price units (> 0); ``shocks`` are (day index ≥ 1, log jump, factor).
    Cost O(n_paths · n_days) memory and time.
    """
    if n_days < 1 or n_paths < 1:
        raise ValueError("need n_days >= 1 and n_paths >= 1")
    if not start > 0.0:
        raise ValueError("start value must be > 0")
    shape = (n_paths, n_days)
    g_short, g_long, g_prov, g_spike, g_sticky = _streams(seed, 5)
    dt = model.dt
    lo, hi = model.provider_jump_min, model.provider_jump_max

    def provider_sizes(rng: np.random.Generator, n: int) -> FloatArray:
        magnitude = rng.uniform(lo, hi, n)
        sign = 2.0 * rng.integers(0, 2, n) - 1.0
        return magnitude * sign

    def spike_sizes(rng: np.random.Generator, n: int) -> FloatArray:
        return rng.exponential(model.spike_mean, n)

    p_counts, p_jump, p_sizes = _compound_poisson(
        g_prov, model.provider_rate * dt, shape, provider_sizes
    )
    s_counts, s_jump, s_sizes = _compound_poisson(
        g_spike, model.spike_rate * dt, shape, spike_sizes
    )
    short_incr = model.short_step_sd * g_short.standard_normal(shape) + s_jump
    long_incr = model.drift * dt + model.long_step_sd * g_long.standard_normal(shape) + p_jump
    sticky = g_sticky.random(shape) < model.sticky_prob
    short_incr[:, 0] = 0.0
    long_incr[:, 0] = 0.0
    sticky[:, 0] = False
    for day, jump, factor in shocks:
        if not 1 <= day < n_days:
            raise ValueError(f"shock day index {day} outside 1 .. {n_days - 1}")
        target = short_incr if factor is Factor.SHORT else long_incr
        target[:, day] += jump
        sticky[:, day] = False

    long = np.cumsum(long_incr, axis=1)
    short_t = np.empty((n_days, n_paths))
    short_t[0] = 0.0
    incr_t = np.ascontiguousarray(short_incr.T)
    a = model.decay
    for k in range(1, n_days):
        short_t[k] = a * short_t[k - 1] + incr_t[k]
    short = np.ascontiguousarray(short_t.T)

    latent = start * np.exp(short + long)
    last = np.where(sticky, 0, np.arange(n_days))
    np.maximum.accumulate(last, axis=1, out=last)
    published = np.take_along_axis(latent, last, axis=1)
    units = index_print_units(published)
    return IndexPaths(
        start=start,
        short=short,
        long=long,
        latent=latent,
        published=published,
        units=units,
        sticky=sticky,
        provider_counts=p_counts,
        provider_sizes=p_sizes,
        spike_counts=s_counts,
        spike_sizes=s_sizes,
    )


class SimulatedIndex(PublishedSeries):
    """A simulated daily index over the business days ``start`` .. ``end`` (CR-4).

    The first business day prints ``start_value`` (price units); later days follow
    ``model``. ``shocks`` must fall on business days after the first. The same
    ``seed`` (int or SeedSequence) always gives the same series.
    """

    def __init__(
        self,
        name: str,
        model: IndexModel,
        start_value: float,
        start: date,
        end: date,
        seed: SeedLike,
        shocks: Sequence[Shock] = (),
        calendar: TradingCalendar = DEFAULT_CALENDAR,
    ) -> None:
        days = calendar.business_days(start, end)
        if not days:
            raise ValueError(f"no business day between {start} and {end}")
        pos = {d: i for i, d in enumerate(days)}
        rows = []
        for shock in shocks:
            i = pos.get(shock.day)
            if i is None or i == 0:
                raise ValueError(
                    f"shock '{shock.label}' on {shock.day.isoformat()} must fall on a "
                    f"business day after {days[0].isoformat()} and by {days[-1].isoformat()}"
                )
            rows.append((i, shock.log_jump, shock.factor))
        self.model = model
        self.shocks = tuple(shocks)
        self.paths = simulate_paths(model, start_value, len(days), 1, seed, rows)
        super().__init__(name, days, self.paths.published[0])

    @classmethod
    def for_product(
        cls,
        spec: ProductSpec,
        start: date,
        end: date,
        seed: SeedLike,
        shocks: Sequence[Shock] = (),
        calendar: TradingCalendar = DEFAULT_CALENDAR,
        **model_overrides: Any,
    ) -> SimulatedIndex:
        """Return the default simulated index of product ``spec`` (a ``ProductSpec``).

        Starts at ``spec.ref_price_units`` with ``IndexModel.for_product(spec)``.
        """
        model = IndexModel.for_product(spec, **model_overrides)
        return cls(
            spec.index_name, model, float(spec.ref_price_units), start, end, seed, shocks, calendar
        )
