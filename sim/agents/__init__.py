"""The agent library: traders written on the ``sim.agent.Agent`` interface.

- ``zero_intelligence``: Gode–Sunder ZI-U and ZI-C traders (``flopex validate``).
- ``base``: ``MarketAgent``, what the scenario agents share (curve, index, settlements,
  positions, account figures, margin-call answers).
- ``hedgers``: ``Neocloud`` (natural short) and ``AIBuyer`` (natural long).
- ``traders``: ``Fundamental``, ``Momentum``, ``MeanReversion``, ``Noise``.
- ``market_maker``: ``AvellanedaStoikov``.
- ``population``: ``Population``, N simple traders decided in numba over arrays, and
  ``PopulationAgent``, a population as one kernel agent.
"""
