"""``Games``: every classroom game of one gateway, and the actions of the protocol.

One object per gateway (``gateway.game.attach``). Each action validates everything
first and changes nothing when it refuses (an ``RpcError`` naming the problem), then
changes the game, keeps the venue clock in step and publishes on ``game.{code}`` and
``user.game``. A one-second timer runs the round clocks (a round closes when its time is
up), expires tenders, follows scores, margin calls and defaults, and samples the index
and the forward curve for the debrief. Money µ$ inside, dollars on the wire; times ns.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import math
import time
from typing import TYPE_CHECKING

from clearing.risk_gate import AccountState
from exchange import codes as c
from gateway.auth import PreparedKey, Role
from gateway.commands import MassCancel
from gateway.errors import RpcError
from gateway.game import debrief as db
from gateway.game import tenders as desk
from gateway.game.bots import GameBots
from gateway.game.codes import new_code, normalise
from gateway.game.errors import bad, no_game
from gateway.game.gate import order_refusal
from gateway.game.market import (
    apply_shock,
    clock_of,
    clock_view,
    curve_points,
    index_levels,
    resolve_contracts,
    shock_moves,
)
from gateway.game.model import (
    ACCEPTED,
    DECLINED,
    ENDED,
    EXPIRED,
    MAX_NEWS,
    MAX_PLAYERS,
    NS_PER_S,
    OFFERED,
    OPEN,
    PAUSED,
    Game,
    NewsItem,
    Player,
    Tender,
)
from gateway.game.notify import Notifier
from gateway.game.recorder import Recorder
from gateway.game.scenario import ScenarioError, load_scenario, scenario_names
from gateway.game.scoring import Score, score
from gateway.game.views import (
    leaderboard_rows,
    limits_view,
    news_view,
    player_row,
    player_update,
    player_view,
    public_state,
    role_view,
    tender_view,
)
from gateway.orders import Order

if TYPE_CHECKING:
    from gateway.core import Gateway

log = logging.getLogger("flopex.gateway")
MAX_LIMIT = 100_000
CURVE_EVERY_TICKS = 5


class Games:
    """The games of one gateway, by code; ``gate`` is the trading methods' hook."""

    def __init__(self, gw: Gateway, tick_s: float = 1.0) -> None:
        self.gw = gw
        self.tick_s = tick_s
        self.games: dict[str, Game] = {}
        self.players: dict[int, tuple[Game, Player]] = {}
        """Player account → (game, player)."""
        self.recorder = Recorder()
        self.notify = Notifier(gw.hub)
        self.bots = GameBots(gw)
        self._tender_ids = itertools.count(1)
        self._booking: set[int] = set()
        self._ticks = 0
        self._index: dict[str, float] = {}
        self._boards: dict[str, object] = {}
        self._task: asyncio.Task[None] | None = None
        self._background: set[asyncio.Task[list[str]]] = set()
        gw.pipeline.listeners.append(self.recorder.on_changes)

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        """Start the one-second timer."""
        self._task = asyncio.create_task(self._run(), name="flopex-game")

    async def stop(self) -> None:
        """Stop the timer and every game's house bots."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        for game in self.games.values():
            await self.bots.stop(game)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.tick_s)
            try:
                self.tick()
            except Exception:
                log.exception("game timer failed")

    # ------------------------------------------------------------------ lookups
    def get(self, code: object) -> Game:
        """Return the game called ``code`` (case and blanks forgiven); 11050 if none."""
        if not isinstance(code, str):
            raise bad("code must be a string", "code")
        game = self.games.get(normalise(code))
        if game is None:
            raise no_game(code)
        return game

    def of_account(self, account: int) -> tuple[Game, Player]:
        """Return the game and player of a player's account; 11029 if not a player."""
        entry = self.players.get(account)
        if entry is None:
            raise bad("this account is not a player of any game")
        return entry

    def score_of(self, game: Game, player: Player) -> Score:
        """Return the player's score now (frozen once the game has ended)."""
        frozen = game.final_scores.get(player.player_id)
        if frozen is not None:
            return frozen
        cleared = self.gw.clearing
        assert cleared is not None
        house = cleared.house
        contracts = game.contracts.get(player.role, ())
        positions: dict[str, int] = {}
        if contracts:
            row = house.position_row(player.account)
            names = house.cols.names
            for name in contracts:
                if name in names and len(row):
                    positions[name] = int(row[names.index(name)])
        equity = house.equity(player.account)
        defaulted = player.defaulted or house.gate.state(player.account) is AccountState.IN_DEFAULT
        objective = game.role(player.role).objective
        return score(objective, contracts, positions, equity, player.funded_micros, defaulted)

    def scores(self, game: Game) -> dict[int, Score]:
        """Return every player's score, by player id."""
        return {pid: self.score_of(game, p) for pid, p in game.players.items()}

    # ------------------------------------------------------------------ trading gate
    def gate(
        self,
        account: int,
        instrument_name: str,
        side: int,
        amount: int,
        replacing: Order | None = None,
    ) -> RpcError | None:
        """Return why a player's order may not go to the engine now, or None (the trading
        methods' hook). The house bots a game started are refused while that game is
        paused, so the whole market stands still with the clock (their resting quotes
        stay); other accounts are never refused."""
        entry = self.players.get(account)
        if entry is None:
            for game in self.games.values():
                if game.state == PAUSED and account in game.bot_accounts:
                    return game.refusal()
            return None
        return order_refusal(
            entry[0], self.gw.orders, account, instrument_name, side, amount, replacing
        )

    # ------------------------------------------------------------------ scenarios, games
    def list_scenarios(self) -> list[dict[str, object]]:
        """Return the shipped scenarios: name, title, summary, rounds, roles."""
        out: list[dict[str, object]] = []
        for name in scenario_names():
            try:
                s = load_scenario(name)
            except ScenarioError as exc:
                out.append({"name": name, "error": str(exc)})
                continue
            out.append(
                {
                    "name": s.name,
                    "title": s.title,
                    "summary": s.summary,
                    "rounds": [{"title": r.title, "minutes": r.minutes} for r in s.rounds],
                    "roles": [
                        {"id": r.id, "title": r.title, "weight": r.weight, "kind": r.objective.kind}
                        for r in s.roles
                    ],
                }
            )
        return out

    def create(self, scenario_name: str, title: str | None) -> Game:
        """Create a game in ``lobby`` from a shipped scenario; return it."""
        gw = self.gw
        if gw.clearing is None:
            raise bad("the classroom game needs clearing mode: start the gateway with --clearing")
        try:
            scenario = load_scenario(scenario_name)
        except ScenarioError as exc:
            raise bad(str(exc), "scenario") from None
        if title is not None:
            title = title.strip()
            if not 0 < len(title) <= 80 or not title.isprintable():
                raise bad("title must be 1 to 80 printable characters", "title")
        contracts = resolve_contracts(gw, scenario)
        code = new_code(self.games)
        name = f"{code} tender desk"
        account = gw.auth.create_account(name)
        gw.clearing.open_account(account, name, desk.DESK_DEPOSIT_MICROS)
        game = Game(
            code, title or scenario.title, scenario, gw.now(), contracts, account,
            max_order_amount=scenario.max_order_amount, max_position=scenario.max_position,
        )  # fmt: skip
        self.games[code] = game
        self.recorder.enabled = True
        self._changed(game)
        return game

    async def join(self, code: str, name: str) -> dict[str, object]:
        """Add a student to a game with the next role; return their credentials.

        The key's secret is hashed in a worker thread first (scrypt: tens of ms), so a
        whole class joining at once does not stall the exchange; everything is checked
        again after it, and nothing changes when the join is refused."""
        self._check_join(code, name)
        prepared = await self.gw.auth.prepare_key()
        return self._join(code, name, prepared)

    def _check_join(self, code: str, name: str) -> tuple[Game, str]:
        game = self.get(code)
        if game.state == ENDED:
            raise bad(f"game {game.code} has ended; ask for the code of a new game", "code")
        if not isinstance(name, str):
            raise bad("name must be a string", "name")
        name = name.strip()
        if not 0 < len(name) <= 32 or not name.isprintable():
            raise bad("name must be 1 to 32 printable characters", "name")
        if any(p.name.casefold() == name.casefold() for p in game.players.values()):
            raise bad(f"name taken: someone in game {game.code} is already called {name!r}", "name")
        if len(game.players) >= MAX_PLAYERS:
            raise bad(f"game {game.code} is full ({MAX_PLAYERS} players)", "code")
        return game, name

    def _join(self, code: str, name: str, prepared: PreparedKey) -> dict[str, object]:
        gw = self.gw
        game, name = self._check_join(code, name)
        assert gw.clearing is not None
        role = game.next_role()
        deposit = game.scenario.deposit_usd
        funded = round(deposit * 1e6) if deposit else gw.settings.clearing_deposit_micros
        account_name = f"{game.code} {name}"
        account = gw.auth.create_account(account_name)
        gw.clearing.open_account(account, account_name, funded)
        key, secret = gw.auth.install_key(
            prepared, Role.TRADER, account, gw.wall(), name=account_name
        )
        player_id = len(game.players) + 1
        player = Player(player_id, name, account, key.client_id, role, funded, gw.now())
        game.players[player_id] = player
        self.players[account] = (game, player)
        self._publish_state(game)
        return {
            "code": game.code,
            "player_id": player_id,
            "name": name,
            "account_id": account,
            "client_id": key.client_id,
            "client_secret": secret,
            "role": role_view(game, role),
        }

    def assign_role(self, code: str, player_id: int, role: str) -> dict[str, object]:
        """Give a player another role; return the player's row."""
        game = self.get(code)
        self._not_ended(game)
        player = game.player(player_id)
        game.role(role)
        player.role = role
        self._push_player(game, player)
        return player_row(game, player, self.score_of(game, player))

    # ------------------------------------------------------------------ rounds
    def round(self, code: str, action: str) -> dict[str, object]:
        """Open, pause, resume or close a round; return the public state."""
        game = self.get(code)
        now = time.monotonic_ns()
        if action == "open":
            game.open_round(now)
            spec = game.scenario.rounds[game.round - 1]
            self._changed(game)
            for headline in spec.news:
                self._add_news(game, headline, "")
        elif action == "pause":
            game.pause(now)
            self._changed(game)
        elif action == "resume":
            game.resume(now)
            self._changed(game)
        elif action == "close":
            self._close_round(game)
        else:
            raise bad("action must be open, pause, resume or close", "action")
        return public_state(game, now, clock_view(self.gw))

    def _close_round(self, game: Game) -> None:
        game.close_round()
        self._cancel_players_orders(game)
        self._changed(game)

    def end(self, code: str) -> dict[str, object]:
        """End a game: cancel the players' orders, freeze the scores, stop its bots."""
        game = self.get(code)
        game.end()
        game.ended_ts = self.gw.now()
        self._cancel_players_orders(game)
        for tender in game.tenders.values():
            if tender.state == OFFERED:
                self._decide(game, tender, EXPIRED)
        game.final_scores = dict(self.scores(game))
        self._changed(game)
        self._publish_board(game, force=True)
        for player in game.players.values():
            self._push_player(game, player)
        if game.bot_ids:
            task = asyncio.get_running_loop().create_task(self.bots.stop(game))
            self._background.add(task)
            task.add_done_callback(self._background.discard)
        return {
            "code": game.code,
            "state": game.state,
            "results": db.results_rows(game, self.scores(game)),
        }

    def _cancel_players_orders(self, game: Game) -> None:
        for p in game.players.values():
            if self.gw.orders.live(p.account):
                cmd = MassCancel(account=p.account, reason="game_round_closed")
                if not self.gw.pipeline.submit_nowait(cmd):
                    log.warning(
                        "game %s: could not queue the cancel of %s's orders", game.code, p.name
                    )

    # ------------------------------------------------------------------ news and shocks
    def news(self, code: str, headline: str, body: str) -> dict[str, object]:
        """Publish a headline on the game's ticker; return it."""
        game = self.get(code)
        self._not_ended(game)
        headline, body = _headline(headline), _body(body)
        return news_view(self._add_news(game, headline, body))

    def shock(
        self,
        code: str,
        kind: str,
        product: str | None,
        size_pct: float | None,
        headline: str | None,
    ) -> dict[str, object]:
        """Move the index by a shock of ``kind`` and publish its headline; return it."""
        game = self.get(code)
        self._not_ended(game)
        if size_pct is not None and not math.isfinite(size_pct):
            raise bad("size_pct must be a finite number", "size_pct")
        moves = shock_moves(game.scenario, kind, product, size_pct)
        if headline is not None:
            headline = _headline(headline)
        elif kind == "custom":
            pct = next(iter(moves.values()))
            headline = f"Index shock: {product or 'every product'} {pct:+g}%"
        else:
            headline = game.scenario.shocks[kind].headline
        applied = apply_shock(self.gw, moves)
        item = self._add_news(game, headline, "", kind=kind, moves=applied)
        self._sample(force_curve=True)
        return news_view(item)

    def _add_news(
        self, game: Game, headline: str, body: str, kind: str = "news",
        moves: dict[str, float] | None = None,
    ) -> NewsItem:  # fmt: skip
        item = NewsItem(headline, body, self.gw.now() // 1_000_000, game.round, kind, moves)
        game.news.append(item)
        del game.news[:-MAX_NEWS]
        self.notify.game(game.code, {"type": "news", **news_view(item)})
        return item

    # ------------------------------------------------------------------ tenders
    def offer_tender(
        self,
        code: str,
        role: str | None,
        player_id: int | None,
        instrument_name: str,
        side: str,
        amount: float,
        price: float,
        expires_in_s: float,
    ) -> list[dict[str, object]]:
        """Offer a tender to every player of ``role`` or to one player; return them."""
        game = self.get(code)
        self._not_ended(game)
        targets = desk.offer_targets(game, role, player_id)
        listing, qty = desk.check_offer(self.gw, instrument_name, side, amount, price, expires_in_s)
        wall = time.time_ns()
        out = []
        for p in targets:
            t = Tender(
                next(self._tender_ids), game.code, p.player_id, listing.name, side, qty,
                float(price), wall, wall + int(expires_in_s * NS_PER_S), role=role,
            )  # fmt: skip
            game.tenders[t.tender_id] = t
            self._push_tender(game, t, "offered")
            out.append(tender_view(t, wall))
        return out

    async def respond_tender(self, account: int, tender_id: int, accept: bool) -> dict[str, object]:
        """Accept (book the trade) or decline one of the caller's tenders; return it."""
        game, player = self.of_account(account)
        t = game.tenders.get(tender_id) if isinstance(tender_id, int) else None
        if t is None or t.player_id != player.player_id:
            raise bad(f"you have no tender {tender_id!r}", "tender_id")
        wall = time.time_ns()
        if t.state == OFFERED and wall >= t.expires_ts:
            self._decide(game, t, EXPIRED)
        if t.state != OFFERED:
            raise bad(f"tender {tender_id} is {t.state}", "tender_id")
        if not accept:
            self._decide(game, t, DECLINED)
            return tender_view(t, wall)
        refusal = game.refusal()
        if refusal is not None:
            raise refusal
        if tender_id in self._booking:
            raise bad(f"tender {tender_id} is already being booked", "tender_id")
        listing = self.gw.instruments.get(t.instrument_name)
        side = c.SIDE_BUY if t.side == "buy" else c.SIDE_SELL
        self._booking.add(tender_id)
        try:
            booking = await desk.book(
                self.gw, game.desk_account, player.account, listing, side, t.amount,
                listing.price_units(t.price), f"tender {tender_id}",
            )  # fmt: skip
        finally:
            self._booking.discard(tender_id)
        t.booked_price = listing.to_wire(booking.price)
        t.premium_usd = round(booking.premium_micros / 1e6, 2)
        t.amount = booking.amount
        self._decide(game, t, ACCEPTED)
        self._push_player(game, player)
        return tender_view(t, time.time_ns())

    def _decide(self, game: Game, t: Tender, state: str) -> None:
        t.state = state
        t.decided_ts = time.time_ns()
        self._push_tender(game, t, state)

    def _push_tender(self, game: Game, t: Tender, event: str) -> None:
        player = game.players.get(t.player_id)
        if player is not None:
            view = tender_view(t, time.time_ns())
            self.notify.user(player.account, {"type": "tender", "event": event, **view})

    # ------------------------------------------------------------------ limits, board
    def set_limits(
        self, code: str, max_order_amount: int | None, max_position: int | None
    ) -> dict[str, int | None]:
        """Set the players' limits (omitted: unchanged; 0: no limit); return them."""
        game = self.get(code)
        self._not_ended(game)
        for param, value in (
            ("max_order_amount", max_order_amount),
            ("max_position", max_position),
        ):
            if value is not None and not 0 <= value <= MAX_LIMIT:
                raise bad(f"{param} must be from 0 (no limit) to {MAX_LIMIT} contracts", param)
        if max_order_amount is not None:
            game.max_order_amount = max_order_amount or None
        if max_position is not None:
            game.max_position = max_position or None
        for player in game.players.values():
            self._push_player(game, player)
        return limits_view(game)

    def leaderboard(self, code: str, visible: bool) -> dict[str, object]:
        """Show or hide the leaderboard to students; return it."""
        game = self.get(code)
        game.leaderboard_visible = visible
        board = self._publish_board(game, force=True)
        self._publish_state(game)
        return board

    def _publish_board(self, game: Game, force: bool = False) -> dict[str, object]:
        rows = leaderboard_rows(game, self.scores(game))
        board: dict[str, object] = {
            "type": "leaderboard",
            "visible": game.leaderboard_visible,
            "rows": rows if game.leaderboard_visible else [],
        }
        if force or self._boards.get(game.code) != board:
            self._boards[game.code] = board
            self.notify.game(game.code, board)
        return {**board, "rows": rows}

    # ------------------------------------------------------------------ bots
    async def spawn_bots(
        self, code: str, kind: str, count: int, seed: int | None, instruments: list[str] | None
    ) -> dict[str, object]:
        """Start ``count`` house bots of ``kind`` on this gateway's websocket."""
        game = self.get(code)
        self._not_ended(game)
        started = await self.bots.spawn(game, kind, count, seed, instruments)
        return {"code": game.code, "bots": list(game.bot_ids), "started": started}

    async def stop_bots(self, code: str) -> dict[str, object]:
        """Stop a game's house bots (their orders are cancelled)."""
        game = self.get(code)
        return {"code": game.code, "stopped": await self.bots.stop(game)}

    # ------------------------------------------------------------------ views
    def player_state(self, account: int) -> dict[str, object]:
        """Return the calling player's whole view (``private/game/get_state``)."""
        game, player = self.of_account(account)
        now, wall = time.monotonic_ns(), time.time_ns()
        s = self.score_of(game, player)
        board = leaderboard_rows(game, self.scores(game)) if game.leaderboard_visible else None
        view = player_view(game, player, s, now, wall)
        return {
            **view,
            "clock": clock_view(self.gw),
            "leaderboard": board,
            "index": index_levels(self.gw),
        }

    def admin_state(self, code: str) -> dict[str, object]:
        """Return everything about a game (``admin/game/get_state``)."""
        game = self.get(code)
        now, wall = time.monotonic_ns(), time.time_ns()
        scores = self.scores(game)
        return {
            **public_state(game, now, clock_view(self.gw)),
            "scenario": game.scenario.name,
            "limits": limits_view(game),
            "roles": [role_view(game, r.id) for r in game.scenario.roles],
            "players": [player_row(game, p, scores[p.player_id]) for p in game.players.values()],
            "leaderboard": leaderboard_rows(game, scores),
            "tenders": [tender_view(t, wall) for t in game.tenders.values()],
            "news": [news_view(n) for n in game.news],
            "bots": self.bots.status(game),
            "desk_account_id": game.desk_account,
            "index": index_levels(self.gw),
        }

    def info(self, code: str) -> dict[str, object]:
        """Return ``{code, title, scenario, state, round, rounds_total, players}``."""
        game = self.get(code)
        return {
            "code": game.code,
            "title": game.title,
            "scenario": game.scenario.name,
            "state": game.state,
            "round": game.round,
            "rounds_total": game.rounds_total,
            "players": len(game.players),
        }

    def debrief(self, code: str) -> dict[str, object]:
        """Return the debrief series of a game (live until it ends)."""
        game = self.get(code)
        return db.debrief(self.gw, self.recorder, game, self.scores(game))

    # ------------------------------------------------------------------ timer
    def tick(self) -> None:
        """Run one second of the games: round clocks, tenders, scores, calls, samples."""
        live = [g for g in self.games.values() if g.state != ENDED]
        if not live:
            return
        self._ticks += 1
        now, wall = time.monotonic_ns(), time.time_ns()
        levels = self._sample()
        index_moved = levels != self._index
        self._index = levels
        for game in live:
            if game.state == OPEN and now >= game.round_ends_ns:
                self._close_round(game)
            for t in list(game.tenders.values()):
                if t.state == OFFERED and wall >= t.expires_ts:
                    self._decide(game, t, EXPIRED)
            if game.state == OPEN:
                self._publish_state(game)
            if index_moved:
                self.notify.game(game.code, {"type": "index", "prices": levels})
            self._follow_players(game)
            if game.leaderboard_visible:
                self._publish_board(game)

    def _sample(self, force_curve: bool = False) -> dict[str, float]:
        gw = self.gw
        now = gw.now()
        levels = index_levels(gw)
        self.recorder.sample_index(now // 1_000_000, levels)
        if force_curve or self._ticks % CURVE_EVERY_TICKS == 1:
            products: set[str] = set()
            for g in self.games.values():
                if g.state != ENDED:
                    products |= g.scenario.products & set(gw.venue.products)
            if products:
                date = str(clock_view(gw)["date"])
                self.recorder.sample_curve(now // 1_000_000, date, curve_points(gw, products))
        return levels

    def _follow_players(self, game: Game) -> None:
        cleared = self.gw.clearing
        assert cleared is not None
        house = cleared.house
        for p in game.players.values():
            call = house.calls.open.get(p.account)
            if call is not None and call.call_id != p.last_call_id:
                p.last_call_id = call.call_id
                p.margin_calls += 1
                amount, deadline = round(call.amount / 1e6, 2), call.deadline_ts // 1_000_000
                game.margin_calls.append(
                    {"ts": call.issued_ts // 1_000_000, "player_id": p.player_id, "name": p.name,
                     "role": p.role, "amount": amount, "deadline_ts": deadline}
                )  # fmt: skip
                self.notify.user(
                    p.account, {"type": "margin_call", "amount": amount, "deadline_ts": deadline}
                )
            if not p.defaulted and house.gate.state(p.account) is AccountState.IN_DEFAULT:
                p.defaulted = True
                game.defaults.append(
                    {"ts": self.gw.now() // 1_000_000, "player_id": p.player_id, "name": p.name,
                     "role": p.role}
                )  # fmt: skip
            self._push_player(game, p)

    # ------------------------------------------------------------------ publication
    def _changed(self, game: Game) -> None:
        """Record a state change, keep the venue clock in step, publish the state."""
        game.timeline.append(
            {"ts": self.gw.now() // 1_000_000, "state": game.state, "round": game.round}
        )
        self._sync_clock()
        self._publish_state(game)
        self._sample(force_curve=True)

    def _sync_clock(self) -> None:
        """Run the venue clock while some live game is open, or when no game is live."""
        clock = clock_of(self.gw)
        if clock is None:
            return
        live = [g for g in self.games.values() if g.state != ENDED]
        if not live or any(g.state == OPEN for g in live):
            clock.resume()
        else:
            clock.pause()

    def _publish_state(self, game: Game) -> None:
        if self.notify.listening(game.code):
            self.notify.game(
                game.code, public_state(game, time.monotonic_ns(), clock_view(self.gw))
            )

    def _push_player(self, game: Game, player: Player) -> None:
        view = player_update(game, player, self.score_of(game, player))
        if view != player.last_view:
            player.last_view = view
            self.notify.user(player.account, view)

    @staticmethod
    def _not_ended(game: Game) -> None:
        if game.state == ENDED:
            raise bad(f"game {game.code} has ended", "code")


def _headline(text: object) -> str:
    if not isinstance(text, str) or not 0 < len(text.strip()) <= 200:
        raise bad("headline must be 1 to 200 characters", "headline")
    return text.strip()


def _body(text: object) -> str:
    if not isinstance(text, str) or len(text) > 2_000:
        raise bad("body must be at most 2,000 characters", "body")
    return text.strip()
