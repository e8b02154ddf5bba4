"""The agent-based simulation: discrete-event kernel, agent interface, agents, validation.

- ``sim.kernel``: simulated time, latency, one root seed; drives a venue port.
- ``sim.agent``: the interface every agent is written against (DESIGN §7).
- ``sim.events``: the transport-neutral commands and events agents send and see.
- ``sim.router``: venue event rows to per-agent frames; local books.
- ``sim.latency``: latency models (constant, seeded random).
- ``sim.venue_port``: the kernel's one door to the exchange (engine or pipeline).
- ``sim.clearing_venue``: the kernel over the pipeline with a clearing house.
- ``sim.simulation``: a scenario run over the trading calendar (``flopex run``).
- ``sim.scenario``: scenario files and their validation; ``sim.results``: the tables.
- ``sim.agents``: the agent library (hedgers, speculators, a market maker, ZI traders).
- ``sim.house``: house bots that trade a running gateway over the websocket (``flopex bots``).
- ``sim.validation``: reproductions of published results (``flopex validate``).

See ``docs/simulation.md``, ``docs/scenarios.md`` and ``docs/validation.md``.
"""
