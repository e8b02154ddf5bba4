"""Publication of the game's channels: ``game.{code}`` (public) and ``user.game`` (private).

``game.{code}`` fans out through the hub by name like market data; ``user.game`` goes to
every session of the account that subscribed to it, like ``user.orders``. Nothing is
built for a channel nobody listens to.
"""

from __future__ import annotations

from gateway.channels import UserChannel
from gateway.session import Hub
from gateway.wire import subscription_frame


class Notifier:
    """Queue game notifications on the hub's sessions."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub

    def listening(self, code: str) -> bool:
        """Return whether anyone subscribed to ``game.{code}``."""
        return self.hub.has(f"game.{code}")

    def game(self, code: str, data: dict[str, object]) -> None:
        """Publish ``data`` on ``game.{code}``."""
        self.hub.fan_out(f"game.{code}", data)

    def user(self, account: int, data: dict[str, object]) -> None:
        """Publish ``data`` on ``user.game`` to ``account``'s subscribed sessions."""
        sessions = self.hub.users.get(account)
        if not sessions:
            return
        frame: str | None = None
        for session in list(sessions):
            for name, channel in session.channels.items():
                if isinstance(channel, UserChannel) and channel.kind == "game":
                    if frame is None:
                        frame = subscription_frame(name, data)
                    session.push(frame)
