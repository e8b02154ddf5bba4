"""The bots' decisions without a server: Avellaneda–Stoikov quotes and seeded draws."""

from __future__ import annotations

import numpy as np

from sim.house.market_maker import Listing, MarketMaker, MarketMakerParams
from sim.house.noise import NoiseTrader


def maker(params: MarketMakerParams | None = None) -> MarketMaker:
    mm = MarketMaker("mm-1", "ws://127.0.0.1:9/", ("id", "s"), np.random.SeedSequence(1), None,
                     params=params)  # fmt: skip
    mm.anchor["H100"] = 2.81
    return mm


H100_JAN = Listing("H100-29JAN27", "H100", "h100_usd", months_out=2, tick=0.01,
                   min_price=2.25, max_price=3.37)  # fmt: skip


def test_a_flat_maker_quotes_symmetrically_around_the_curve_on_ticks() -> None:
    mm = maker(MarketMakerParams(curve_slope=-0.01))
    fair = mm.fair_value(H100_JAN)
    assert fair is not None and abs(fair - 2.81 * 0.98) < 1e-12  # two months out, -1 % each
    bid, bid_size, ask, ask_size = mm.targets(H100_JAN) or (0, 0, 0, 0)
    assert bid < fair < ask and (bid_size, ask_size) == (5, 5)
    assert abs(round(bid * 100) - bid * 100) < 1e-9 and abs(round(ask * 100) - ask * 100) < 1e-9
    assert abs((fair - bid) - (ask - fair)) <= 0.01 + 1e-9


def test_a_long_maker_shades_both_quotes_down_by_q_gamma_sigma2_tau() -> None:
    p = MarketMakerParams(sigma=0.05, gamma=2.0, max_position=20)
    flat, long_ = maker(p), maker(p)
    long_.position[H100_JAN.name] = 10
    fb, _, fa, _ = flat.targets(H100_JAN) or (0, 0, 0, 0)
    lb, lbs, la, las = long_.targets(H100_JAN) or (0, 0, 0, 0)
    fair = flat.fair_value(H100_JAN) or 0.0
    skew = 10 * p.gamma * (p.sigma * fair) ** 2 * p.tau_days
    assert lb < fb and la < fa
    assert abs((fb - lb) - skew) <= 0.01 + 1e-9 and abs((fa - la) - skew) <= 0.01 + 1e-9
    assert (lbs, las) == (5, 5)
    long_.position[H100_JAN.name] = 18  # near the limit: buy only what it leaves room for
    assert (long_.targets(H100_JAN) or (0, 0, 0, 0))[1] == 2
    long_.position[H100_JAN.name] = 20
    assert (long_.targets(H100_JAN) or (0, 0, 0, 0))[1] == 0


def test_quotes_stay_inside_the_price_band() -> None:
    mm = maker()
    mm.anchor["H100"] = 4.0  # far above the band's top, 3.37
    bid, _, ask, _ = mm.targets(H100_JAN) or (0, 0, 0, 0)
    assert ask == 3.37 and bid == 3.36


def noise(seed: int) -> NoiseTrader:
    return NoiseTrader("noise-1", "ws://127.0.0.1:9/", ("id", "s"), np.random.SeedSequence(seed))


def test_noise_traders_with_the_same_seed_draw_the_same_orders() -> None:
    a, b, c = noise(5), noise(5), noise(6)
    da = [a.draw() for _ in range(50)]
    assert da == [b.draw() for _ in range(50)]
    assert da != [c.draw() for _ in range(50)]
    assert all(1 <= d.amount <= a.params.max_amount and d.gap_s > 0 for d in da)
    share = sum(d.marketable for d in da) / len(da)
    assert 0.15 < share < 0.65  # marketable_share 0.4
