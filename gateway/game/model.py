"""The state of one classroom game: players, roles, rounds, news, tenders and limits.

Pure data and state transitions, no I/O: ``gateway.game.service`` drives it and
publishes what changed. States and rounds follow ``docs/game-protocol.md``::

    lobby → open ⇄ paused → closed → open (next round) … → ended

Round clocks run on the wall clock (``time.monotonic_ns``): a lesson's minutes are real
minutes, whatever the venue clock's speed. Amounts are contracts, prices dollars per
GPU-hour, money µ$ unless named ``*_usd``, times ns.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gateway.errors import RpcError
from gateway.game.errors import TEMPORARILY_UNAVAILABLE, bad
from gateway.game.scenario import RoleSpec, Scenario
from gateway.game.scoring import Score

LOBBY, OPEN, PAUSED, CLOSED, ENDED = "lobby", "open", "paused", "closed", "ended"
STATES = (LOBBY, OPEN, PAUSED, CLOSED, ENDED)
OFFERED, ACCEPTED, DECLINED, EXPIRED = "offered", "accepted", "declined", "expired"
NS_PER_S = 1_000_000_000
MAX_PLAYERS = 200
MAX_NEWS = 500


@dataclass(slots=True)
class Player:
    """One student: a trading account of their own and a role."""

    player_id: int
    name: str
    account: int
    client_id: str
    role: str
    funded_micros: int
    """Cash deposited into the account when the player joined, µ$ (P&L is measured from it)."""
    joined_ts: int
    margin_calls: int = 0
    """Margin calls the clearing house made on the account so far."""
    last_call_id: int = 0
    """Id of the latest margin call seen on the account (0: none yet)."""
    defaulted: bool = False
    last_view: object = None
    """The last ``{type: "player"}`` view sent, to send only changes."""


@dataclass(slots=True)
class Tender:
    """An offer from the instructor to one player: trade ``amount`` at ``price``.

    ``side`` is the player's side (``buy`` or ``sell``); the tender desk takes the other.
    """

    tender_id: int
    code: str
    player_id: int
    instrument_name: str
    side: str
    amount: int
    price: float
    offered_ts: int
    expires_ts: int
    """Wall clock, ns."""
    state: str = OFFERED
    role: str | None = None
    booked_price: float | None = None
    """Price the trade printed at (the tender price unless the book forced another)."""
    premium_usd: float = 0.0
    """Cash the desk paid the player (negative: the player paid) to make up the difference
    between the tender price and ``booked_price``, dollars."""
    decided_ts: int = 0


@dataclass(slots=True)
class NewsItem:
    """One headline on the game's ticker; ``ts`` is the venue clock, ms."""

    headline: str
    body: str
    ts: int
    round: int
    kind: str = "news"
    """``news``, or the shock kind for a shock's headline."""
    moves: dict[str, float] | None = None
    """Index moves of a shock, percent per product."""


@dataclass(slots=True)
class Game:
    """One game: its scenario, state, players and everything the debrief needs."""

    code: str
    title: str
    scenario: Scenario
    created_ts: int
    """Venue clock when the game was created, ns (the debrief starts there)."""
    contracts: dict[str, tuple[str, ...]]
    """Role id → the instrument names its objective counts (resolved at creation)."""
    desk_account: int
    state: str = LOBBY
    round: int = 0
    max_order_amount: int | None = None
    max_position: int | None = None
    leaderboard_visible: bool = False
    players: dict[int, Player] = field(default_factory=dict)
    news: list[NewsItem] = field(default_factory=list)
    tenders: dict[int, Tender] = field(default_factory=dict)
    round_ends_ns: int = 0
    """Monotonic clock at which the running round ends (while ``open``)."""
    round_left_ns: int = 0
    """Time left in the round when it was paused, ns."""
    ended_ts: int = 0
    final_scores: dict[int, Score] = field(default_factory=dict)
    """Player id → score frozen at ``end``."""
    bot_ids: list[str] = field(default_factory=list)
    bot_accounts: list[int] = field(default_factory=list)
    margin_calls: list[dict[str, object]] = field(default_factory=list)
    defaults: list[dict[str, object]] = field(default_factory=list)
    timeline: list[dict[str, object]] = field(default_factory=list)
    """State changes: ``{ts, state, round}`` (venue clock, ms)."""

    # ----------------------------------------------------------------- queries
    @property
    def rounds_total(self) -> int:
        """Return the number of rounds in the scenario."""
        return len(self.scenario.rounds)

    def player(self, player_id: int) -> Player:
        """Return player ``player_id``; 11029 if the game has none such."""
        p = self.players.get(player_id) if isinstance(player_id, int) else None
        if p is None:
            raise bad(f"game {self.code} has no player {player_id!r}", "player_id")
        return p

    def role(self, role_id: str) -> RoleSpec:
        """Return the scenario's role ``role_id``; 11029 if there is none."""
        spec = self.scenario.role(role_id)
        if spec is None:
            known = ", ".join(r.id for r in self.scenario.roles)
            raise bad(f"scenario {self.scenario.name} has no role {role_id!r} ({known})", "role")
        return spec

    def next_role(self) -> str:
        """Return the role the next joining student gets (round-robin by role weight)."""
        cycle = self.scenario.role_cycle()
        return cycle[len(self.players) % len(cycle)]

    def round_ends_in_ms(self, now_mono: int) -> int | None:
        """Return ms left in the round (open or paused), None outside a round."""
        if self.state == OPEN:
            return max(0, (self.round_ends_ns - now_mono) // 1_000_000)
        if self.state == PAUSED:
            return self.round_left_ns // 1_000_000
        return None

    def refusal(self) -> RpcError | None:
        """Return the 13028 error for a student order in the current state (None if open)."""
        n, code = self.round, self.code
        if self.state == OPEN:
            return None
        if self.state == LOBBY:
            why = f"trading has not started: game {code} is in the lobby until round 1 opens"
        elif self.state == PAUSED:
            why = f"trading is paused: round {n} was paused by the instructor"
        elif self.state == CLOSED:
            after = (
                f"wait for round {n + 1}"
                if n < self.rounds_total
                else "that was the last round; wait for the end of the game"
            )
            why = f"trading is closed: round {n} is over; {after}"
        else:
            why = f"trading is over: game {code} has ended"
        return RpcError(TEMPORARILY_UNAVAILABLE, why)

    # ----------------------------------------------------------------- transitions
    def open_round(self, now_mono: int) -> None:
        """Open the next round (from ``lobby`` or ``closed``); 11029 otherwise."""
        if self.state not in (LOBBY, CLOSED):
            raise bad(f"cannot open a round: game {self.code} is {self.state}", "action")
        if self.round >= self.rounds_total:
            raise bad(f"all {self.rounds_total} rounds have been played; end the game", "action")
        self.round += 1
        minutes = self.scenario.rounds[self.round - 1].minutes
        self.round_ends_ns = now_mono + int(minutes * 60 * NS_PER_S)
        self.state = OPEN

    def pause(self, now_mono: int) -> None:
        """Pause the running round (from ``open``); 11029 otherwise."""
        if self.state != OPEN:
            raise bad(f"cannot pause: game {self.code} is {self.state}, not open", "action")
        self.round_left_ns = max(0, self.round_ends_ns - now_mono)
        self.state = PAUSED

    def resume(self, now_mono: int) -> None:
        """Resume a paused round with the time it had left; 11029 unless ``paused``."""
        if self.state != PAUSED:
            raise bad(f"cannot resume: game {self.code} is {self.state}, not paused", "action")
        self.round_ends_ns = now_mono + self.round_left_ns
        self.state = OPEN

    def close_round(self) -> None:
        """Close the running round (from ``open`` or ``paused``); 11029 otherwise."""
        if self.state not in (OPEN, PAUSED):
            raise bad(f"cannot close: game {self.code} is {self.state}", "action")
        self.round_left_ns = 0
        self.state = CLOSED

    def end(self) -> None:
        """End the game (from any state but ``ended``); 11029 if it has already ended."""
        if self.state == ENDED:
            raise bad(f"game {self.code} has already ended", "code")
        self.round_left_ns = 0
        self.state = ENDED
