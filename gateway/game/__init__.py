"""The classroom game (DESIGN §8): games by code, players with roles and objectives,
rounds, news, index shocks, tenders, limits, house bots, scores and the debrief.

The wire protocol is ``docs/game-protocol.md``; scenario files are described in
``docs/scenario-format.md``. ``gateway.game.attach`` plugs a ``Games`` service into a
running gateway; the methods live in ``gateway/methods/game.py`` and the CSV routes in
``gateway/routes/game_http.py``. This package imports nothing at load time so that the
channel parser can use ``gateway.game.codes`` without cycles.
"""
