"""Experiments at scale: parameter sweeps on Dask, HTML reports, a Gymnasium environment.

- ``sim.experiments.overrides``: scenario overrides by dotted key (``agents[0].count``).
- ``sim.experiments.sweep_file``: sweep files (``sweeps/*.toml``): a base scenario, a
  grid or list of overrides, seeds.
- ``sim.experiments.runner``: one run of a sweep, in a worker process; its metrics row.
- ``sim.experiments.sweep``: ``flopex sweep``: the runs on a Dask cluster, resumable,
  merged into ``runs.parquet``.
- ``sim.experiments.report_data`` and ``sim.experiments.report``: ``flopex report``,
  the data behind each plot and the self-contained HTML page.
- ``sim.experiments.gym_env``: a Gymnasium environment, one learning agent among a
  scenario's population.
- ``sim.experiments.commands``: the ``flopex sweep`` and ``flopex report`` commands.

Dask, matplotlib and Gymnasium are optional extras (``experiments``, ``gym``); this
package imports them only where they are used. The format and a worked experiment are
``docs/experiments.md``.
"""
