"""Reproductions of published results with flopex's own engine (``flopex validate``).

- ``design``: market designs (unit values and costs) loaded from TOML.
- ``institution``: the Gode–Sunder double-auction rules as a venue port over the engine.
- ``gode_sunder``: runs the experiment and computes efficiency and price convergence.
- ``report``: checks against the paper's figures and prints the comparison.

See ``docs/validation.md``.
"""
