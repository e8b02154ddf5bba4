"""Publish one command's changes to subscribers.

Market data (``book.*``, ``trades.*``, ``ticker.*.raw``) is built and encoded once per
channel and the same text is queued for every subscriber; nothing is built for a channel
nobody listens to. Own orders and trades go to the sessions of the account concerned,
on each of their ``user.*`` channels that match. ``ticker.*.100ms`` is published by
``publish_tickers`` on a timer, for the instruments that changed since the last run.
"""

from __future__ import annotations

from collections import defaultdict

from gateway.channels import UserChannel
from gateway.folding import Changes
from gateway.instruments import Instruments
from gateway.market_views import book_change, ticker_view
from gateway.marketdata import MarketData
from gateway.orders import Fill, OrderStore
from gateway.session import Hub
from gateway.views import order_view, trade_view, user_trade_view
from gateway.wire import subscription_frame


class Publisher:
    """Turn ``Changes`` into notifications."""

    def __init__(
        self, hub: Hub, instruments: Instruments, market: MarketData, orders: OrderStore
    ) -> None:
        self.hub = hub
        self.instruments = instruments
        self.market = market
        self.orders = orders
        self.ticker_dirty: set[str] = set()

    def publish(self, ch: Changes) -> None:
        """Queue every notification ``ch`` calls for."""
        hub = self.hub
        for change in ch.books:
            lst = self.instruments.find(change.instrument_name)
            if lst is None:
                continue
            for interval in ("raw", "100ms"):
                name = f"book.{change.instrument_name}.{interval}"
                if hub.has(name):
                    hub.fan_out(name, book_change(lst, change))
        if ch.trades:
            by_instrument = defaultdict(list)
            for t in ch.trades:
                by_instrument[t.instrument_name].append(t)
            for inst, trades in by_instrument.items():
                lst = self.instruments.find(inst)
                for interval in ("raw", "100ms"):
                    name = f"trades.{inst}.{interval}"
                    if lst is not None and hub.has(name):
                        hub.fan_out(name, [trade_view(t, lst) for t in trades])
        for inst in ch.instruments:
            name = f"ticker.{inst}.raw"
            lst = self.instruments.by_name.get(inst)
            if lst is not None and hub.has(name):
                hub.fan_out(name, ticker_view(lst, self.market, self.orders, ch.ts))
        self.ticker_dirty |= ch.instruments
        if hub.users:
            self._publish_user(ch)

    def _publish_user(self, ch: Changes) -> None:
        users = self.hub.users
        frames: dict[tuple[str, int], str] = {}
        for order in ch.orders.values():
            sessions = users.get(order.account)
            if not sessions:
                continue
            lst = self.instruments.find(order.instrument_name)
            if lst is None:
                continue
            for session in list(sessions):
                for name, channel in session.channels.items():
                    if (
                        isinstance(channel, UserChannel)
                        and channel.kind == "orders"
                        and channel.matches(order.instrument_name)
                    ):
                        key = (name, order.order_id)
                        if key not in frames:
                            frames[key] = subscription_frame(name, order_view(order, lst))
                        session.push(frames[key])
        fills_by_account: dict[int, list[Fill]] = defaultdict(list)
        for f in ch.fills:
            if f.account in users:
                fills_by_account[f.account].append(f)
        for account, fills in fills_by_account.items():
            for session in list(users.get(account, ())):
                for name, channel in session.channels.items():
                    if not (isinstance(channel, UserChannel) and channel.kind == "trades"):
                        continue
                    views = []
                    for f in fills:
                        lst = self.instruments.find(f.instrument_name)
                        if lst is not None and channel.matches(f.instrument_name):
                            views.append(user_trade_view(f, lst))
                    if views:
                        session.push(subscription_frame(name, views))

    def publish_tickers(self, now: int) -> None:
        """Publish ``ticker.*.100ms`` for instruments that changed since the last call."""
        dirty, self.ticker_dirty = self.ticker_dirty, set()
        for inst in dirty:
            name = f"ticker.{inst}.100ms"
            lst = self.instruments.by_name.get(inst)
            if lst is not None and self.hub.has(name):
                self.hub.fan_out(name, ticker_view(lst, self.market, self.orders, now))
