"""Subscriptions: market channels (public) and one's own orders and trades (private).

As on Deribit, the answer lists the channels that were subscribed; a name that is not a
channel, or one the caller may not read, is left out. Subscribing to a ``book`` channel
(again or for the first time) queues a fresh ``snapshot`` right after the answer.
"""

from __future__ import annotations

from gateway.channels import MarketChannel, UserChannel, parse_channel
from gateway.dispatch import REGISTRY, Call, Params
from gateway.market_views import book_snapshot
from gateway.wire import subscription_frame


class ChannelsParams(Params, frozen=True, kw_only=True):
    channels: list[str]


def _subscribe(call: Call, names: list[str], private: bool) -> list[str]:
    gw, session = call.gw, call.session
    assert session is not None
    products = set(gw.instruments.venue.products)
    instruments = set(gw.instruments.by_name)
    done: list[str] = []
    for name in names:
        channel = parse_channel(name, products, instruments)
        if channel is None or (isinstance(channel, UserChannel) and not private):
            continue
        if name not in session.channels and len(session.channels) >= gw.settings.max_channels:
            continue
        gw.hub.subscribe(session, name, channel)
        done.append(name)
        if isinstance(channel, MarketChannel) and channel.kind == "book":
            listing = gw.instruments.get(channel.instrument_name)
            book = gw.market.book(listing.name)
            snapshot = book_snapshot(listing, book, gw.now())
            call.after.append(subscription_frame(name, snapshot))
    return done


def _unsubscribe(call: Call, names: list[str]) -> list[str]:
    assert call.session is not None
    return [n for n in names if call.gw.hub.unsubscribe(call.session, n)]


@REGISTRY.method("public/subscribe", ChannelsParams, ws_only=True)
async def public_subscribe(call: Call, p: ChannelsParams) -> list[str]:
    """Subscribe to market channels; return those subscribed."""
    return _subscribe(call, p.channels, private=False)


@REGISTRY.method("private/subscribe", ChannelsParams, access="read", ws_only=True)
async def private_subscribe(call: Call, p: ChannelsParams) -> list[str]:
    """Subscribe to market and own-account channels; return those subscribed."""
    return _subscribe(call, p.channels, private=True)


@REGISTRY.method("public/unsubscribe", ChannelsParams, ws_only=True)
async def public_unsubscribe(call: Call, p: ChannelsParams) -> list[str]:
    """Unsubscribe; return the channels that were subscribed."""
    return _unsubscribe(call, p.channels)


@REGISTRY.method("private/unsubscribe", ChannelsParams, access="read", ws_only=True)
async def private_unsubscribe(call: Call, p: ChannelsParams) -> list[str]:
    """Unsubscribe; return the channels that were subscribed."""
    return _unsubscribe(call, p.channels)


@REGISTRY.method("public/unsubscribe_all", Params, ws_only=True)
async def unsubscribe_all(call: Call, p: Params) -> str:
    """Drop every subscription of this connection."""
    assert call.session is not None
    call.gw.hub.drop(call.session)
    return "ok"
