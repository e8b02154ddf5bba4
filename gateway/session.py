"""Websocket sessions: a bounded outbox per connection, heartbeats, and the fan-out hub.

Everything a connection receives goes through its ``Session.outbox``, written to the
socket by one writer task, so responses and notifications keep their order. The outbox
is bounded (``send_queue_max`` messages): a consumer that falls that far behind is
closed with reason ``slow_consumer`` (code 1008); nothing is ever dropped silently.
``Hub`` maps market-data channels to sessions: each update is encoded once and the same
text goes to every subscriber.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import deque
from collections.abc import Awaitable, Callable

from gateway.auth import Principal
from gateway.channels import Channel, MarketChannel, UserChannel
from gateway.wire import heartbeat_frame, subscription_frame

CLOSE_NORMAL = 1000
CLOSE_POLICY = 1008

_ids = itertools.count(1)


class Session:
    """One websocket connection's state."""

    def __init__(self, send_queue_max: int) -> None:
        self.id = next(_ids)
        self.principal: Principal | None = None
        self.access_token: str | None = None
        self.channels: dict[str, Channel] = {}
        self.cancel_on_disconnect = False
        self.outbox: deque[str | bytes] = deque()
        self._limit = send_queue_max
        self._wake = asyncio.Event()
        self.done = asyncio.Event()
        self.close_code = CLOSE_NORMAL
        self.close_reason = ""
        self.cancel_orders_on_close = True
        self.frames_received = 0
        self.heartbeat: asyncio.Task[None] | None = None

    @property
    def closing(self) -> bool:
        """Return whether the session is shutting down (nothing more is sent or processed)."""
        return self.done.is_set()

    def push(self, frame: str | bytes) -> None:
        """Queue one frame for the socket; close the session as ``slow_consumer`` when full."""
        if self.done.is_set():
            return
        if len(self.outbox) >= self._limit:
            self.outbox.clear()
            self.close(CLOSE_POLICY, "slow_consumer")
            return
        self.outbox.append(frame)
        self._wake.set()

    def close(self, code: int, reason: str, *, cancel_orders: bool = True) -> None:
        """Ask for the connection to close with ``code``/``reason`` (the first ask wins)."""
        if self.done.is_set():
            return
        self.close_code, self.close_reason = code, reason
        self.cancel_orders_on_close = cancel_orders
        self.done.set()
        self._wake.set()

    async def write_loop(self, send: Callable[[str | bytes], Awaitable[None]]) -> None:
        """Write queued frames to the socket until the session closes; then write the rest
        unless it closes as ``slow_consumer`` (whose backlog is dropped by design)."""
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self.outbox:
                if self.close_reason == "slow_consumer":
                    return
                await send(self.outbox.popleft())
            if self.done.is_set():
                return

    async def run_heartbeat(self, interval_s: float) -> None:
        """Every ``interval_s``: close if nothing came since the last ``test_request``; else
        send ``test_request`` after a silent interval, or ``heartbeat`` after an active one.

        Liveness is counted in frames received, not timestamps, so no clock resolution
        can mistake a prompt answer for silence.
        """
        pending_at: int | None = None  # frames received when the test_request went out
        seen = self.frames_received
        while not self.done.is_set():
            await asyncio.sleep(interval_s)
            if pending_at is not None and self.frames_received == pending_at:
                self.close(CLOSE_POLICY, "heartbeat_timeout")
                return
            if self.frames_received == seen:
                pending_at = self.frames_received
                self.push(heartbeat_frame("test_request"))
            else:
                pending_at = None
                self.push(heartbeat_frame("heartbeat"))
            seen = self.frames_received

    def stop_heartbeat(self) -> None:
        """Cancel the heartbeat task, if any."""
        if self.heartbeat is not None:
            self.heartbeat.cancel()
            self.heartbeat = None


class Hub:
    """Who listens to what: market channels by name, user channels by account."""

    def __init__(self) -> None:
        self.market: dict[str, set[Session]] = {}
        self.users: dict[int, set[Session]] = {}

    def subscribe(self, session: Session, name: str, channel: Channel) -> None:
        """Add ``session`` to channel ``name``."""
        session.channels[name] = channel
        if isinstance(channel, MarketChannel):
            self.market.setdefault(name, set()).add(session)
        elif session.principal is not None and session.principal.account is not None:
            self.users.setdefault(session.principal.account, set()).add(session)

    def unsubscribe(self, session: Session, name: str) -> bool:
        """Remove ``session`` from channel ``name``; return whether it was subscribed."""
        channel = session.channels.pop(name, None)
        if channel is None:
            return False
        if isinstance(channel, MarketChannel):
            subs = self.market.get(name)
            if subs is not None:
                subs.discard(session)
                if not subs:
                    del self.market[name]
        elif not any(isinstance(ch, UserChannel) for ch in session.channels.values()):
            self._drop_user(session)
        return True

    def drop(self, session: Session) -> None:
        """Remove ``session`` from every channel."""
        for name in list(session.channels):
            self.unsubscribe(session, name)

    def _drop_user(self, session: Session) -> None:
        if session.principal is None or session.principal.account is None:
            return
        subs = self.users.get(session.principal.account)
        if subs is not None:
            subs.discard(session)
            if not subs:
                del self.users[session.principal.account]

    def has(self, name: str) -> bool:
        """Return whether market channel ``name`` has subscribers."""
        return name in self.market

    def fan_out(self, name: str, data: object) -> None:
        """Encode one notification on channel ``name`` once and queue it for every subscriber."""
        subs = self.market.get(name)
        if not subs:
            return
        frame = subscription_frame(name, data)
        for session in list(subs):
            session.push(frame)
