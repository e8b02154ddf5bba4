"""Small agents and a one-instrument venue for the kernel's specification tests."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from exchange import commands as C
from exchange.engine import Engine
from sim.agent import Agent
from sim.events import Event
from sim.kernel import Kernel
from sim.latency import ConstantLatency, LatencyModel
from sim.venue_port import EngineVenue, VenuePort

INSTRUMENT = "X-1"
Action = Callable[[Agent], object]


class Scripted(Agent):
    """Runs ``script`` [(time ns, action)] and records what it sees, with arrival times.

    ``channels`` are subscribed at start. ``seen`` holds (time ns, event); ``woken``
    holds (time ns, tag); ``shared`` (if given) collects (time, name, tag) of every
    wake-up across agents, in delivery order.
    """

    def __init__(
        self,
        name: str,
        script: Sequence[tuple[int, Action]] = (),
        channels: Sequence[str] = (),
        shared: list[tuple[int, str, str]] | None = None,
    ) -> None:
        super().__init__(name)
        self.script = list(script)
        self.channels = channels
        self.shared = shared
        self.seen: list[tuple[int, Event]] = []
        self.woken: list[tuple[int, str]] = []
        self.refs: list[object] = []
        self.stopped_at: int | None = None

    def on_start(self) -> None:
        for ch in self.channels:
            self.subscribe(ch, INSTRUMENT)
        for i, (t, _) in enumerate(self.script):
            self.wake_at(t, str(i))

    def on_wakeup(self, tag: str) -> None:
        self.woken.append((self.now, tag))
        if self.shared is not None:
            self.shared.append((self.now, self.name, tag))
        if tag.isdigit():
            self.refs.append(self.script[int(tag)][1](self))

    def on_event(self, event: Event) -> None:
        self.seen.append((self.now, event))

    def on_stop(self) -> None:
        self.stopped_at = self.now

    def events(self, kind: type) -> list[Event]:
        """Return the events of type ``kind`` this agent saw, in order."""
        return [e for _, e in self.seen if isinstance(e, kind)]


def engine_venue(n_accounts: int, max_price: int = 1_000) -> EngineVenue:
    """Return a venue port onto a fresh engine with slot 0 listed."""
    engine = Engine(1, max_price, n_accounts)
    engine.process(C.list_instrument(0))
    return EngineVenue(engine)


def make_kernel(
    agents: Sequence[Agent],
    *,
    venue: VenuePort | None = None,
    latency: LatencyModel | None = None,
    seed: int = 1,
    **kw: object,
) -> Kernel:
    """Return a kernel over ``venue`` (default: a fresh engine) trading ``INSTRUMENT``."""
    return Kernel(
        venue if venue is not None else engine_venue(len(agents)),
        agents,
        instruments={INSTRUMENT: 0},
        seed=seed,
        latency=latency if latency is not None else ConstantLatency(0),
        **kw,  # type: ignore[arg-type]
    )
