"""House bots: market makers and noise traders that trade over the websocket protocol.

They are ordinary clients of the exchange (``flopex.client``), one account each, run as
asyncio tasks by a ``BotFleet``: the classroom game spawns them for liquidity and
``flopex bots`` runs a population of them against any flopex gateway.
"""

from sim.house.fleet import BotFleet
from sim.house.market_maker import MarketMaker, MarketMakerParams
from sim.house.noise import NoiseParams, NoiseTrader

__all__ = ["BotFleet", "MarketMaker", "MarketMakerParams", "NoiseParams", "NoiseTrader"]
