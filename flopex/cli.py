"""The ``flopex`` command line: one entry point, a subcommand per job."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path


def _replay(args: argparse.Namespace) -> int:
    import numpy as np

    from exchange.replay import load_stream, replay

    try:
        stream = load_stream(args.stream)
    except (OSError, ValueError) as exc:
        print(f"flopex replay: {exc}", file=sys.stderr)
        return 2
    result = replay(stream, engine=args.engine)
    if args.fills_out:
        np.save(args.fills_out, result.fills)
    print(f"engine            {args.engine}")
    print(f"messages          {result.messages:,}")
    print(f"seconds           {result.seconds:.3f}")
    print(f"messages/s        {result.messages_per_second:,.0f}")
    print(f"fills             {len(result.fills):,}")
    print(f"traded quantity   {result.traded_qty:,}")
    print(f"rejects           {result.rejects:,}")
    print(f"fills sha256      {result.fills_sha256}")
    sidecar = Path(args.stream).with_suffix(".json")
    status = 0 if result.rejects == 0 else 1
    if sidecar.exists():
        meta = json.loads(sidecar.read_text())
        same = meta.get("fills_sha256") == result.fills_sha256
        print(f"matches {sidecar.name}: {'yes' if same else 'NO'}")
        status = status or (0 if same else 1)
    return status


def _engine_demo(args: argparse.Namespace) -> int:
    from flopex.demo import run_demo

    return run_demo(seconds=args.seconds, seed=args.seed)


def _demo(args: argparse.Namespace) -> int:
    from flopex.launcher import DemoOptions, main

    return main(
        DemoOptions(
            host=args.host,
            port=args.port,
            scenario=args.scenario,
            seconds_per_day=args.seconds_per_day,
            market_makers=args.market_makers,
            noise_traders=args.noise,
            seed=args.seed,
            duration_s=args.duration,
        )
    )


def _serve(args: argparse.Namespace) -> int:
    from gateway.server import serve
    from gateway.settings import Settings

    overrides: dict[str, object] = {}
    if args.data_dir is not None:
        overrides["data_dir"] = args.data_dir
    if args.fsync is not None:
        overrides["journal_fsync"] = args.fsync
    overrides.update(serve_overrides(args))
    try:
        settings = Settings.from_env(**overrides)
    except ValueError as exc:
        print(f"flopex serve: {exc}", file=sys.stderr)
        return 2
    serve(host=args.host, port=args.port, settings=settings)
    return 0


def serve_overrides(args: argparse.Namespace) -> dict[str, object]:
    """Return the settings ``flopex serve``'s clearing and clock options set: clearing
    mode, the game clock (seconds per day, start date), the index seed, and ``self_url``
    (``ws://HOST:PORT/ws/api/v2``, 127.0.0.1 for a wildcard host; ``FLOPEX_SELF_URL``
    wins)."""
    out: dict[str, object] = {}
    if args.clearing:
        out["clearing"] = True
    if args.seconds_per_day is not None:
        out["seconds_per_day"] = args.seconds_per_day
    if args.start_date is not None:
        out["start_date"] = args.start_date
    if args.index_seed is not None:
        out["index_seed"] = args.index_seed
    if "FLOPEX_SELF_URL" not in os.environ:
        host = "127.0.0.1" if args.host in ("0.0.0.0", "::", "") else args.host
        if ":" in host:
            host = f"[{host}]"
        out["self_url"] = f"ws://{host}:{args.port}/ws/api/v2"
    return out


def _bots(args: argparse.Namespace) -> int:
    from sim.house.run import BotsOptions, main

    if not args.admin_id or not args.admin_secret:
        print("flopex bots: give --admin-id and --admin-secret (or set "
              "FLOPEX_ADMIN_CLIENT_ID and FLOPEX_ADMIN_CLIENT_SECRET)", file=sys.stderr)  # fmt: skip
        return 2
    return main(
        BotsOptions(
            url=args.url, admin_id=args.admin_id, admin_secret=args.admin_secret,
            market_makers=args.market_makers, noise=args.noise, seed=args.seed,
            duration_s=args.duration, wait_s=args.wait,
        )
    )  # fmt: skip


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _validate(args: argparse.Namespace) -> int:
    from sim.validation.design import DesignError, load_design, shipped_designs
    from sim.validation.gode_sunder import INSTITUTIONS, SECOND, Settings
    from sim.validation.report import validate_gode_sunder

    try:
        designs = [load_design(p) for p in (args.design or shipped_designs())]
    except DesignError as exc:
        print(f"flopex validate: {exc}", file=sys.stderr)
        return 2
    settings = Settings(
        periods=args.periods, runs=args.runs, seed=args.seed, period_ns=args.period_s * SECOND
    )
    institutions = INSTITUTIONS if args.institution == "both" else (args.institution,)
    return validate_gode_sunder(designs, institutions, settings, sys.stdout)


def _validate_as(args: argparse.Namespace) -> int:
    from sim.validation.avellaneda_stoikov import (
        ReferenceFileError,
        load_reference,
        settings_from,
        validate_avellaneda_stoikov,
    )

    try:
        ref = load_reference()
    except ReferenceFileError as exc:
        print(f"flopex validate: {exc}", file=sys.stderr)
        return 2
    settings = settings_from(args.runs, args.seed, args.gamma)
    return validate_avellaneda_stoikov(ref, settings, sys.stdout)


def _validate_facts(args: argparse.Namespace) -> int:
    from sim.scenario import ScenarioError
    from sim.validation.stylized_facts import FactSettings, validate_stylized_facts

    settings = FactSettings(
        days=args.days, seed=args.seed, sample_minutes=args.minutes, series=args.series
    )
    try:
        return validate_stylized_facts(args.scenario, settings, sys.stdout)
    except ScenarioError as exc:
        print(f"flopex validate: {exc}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int:
    from sim.run_command import run_command

    return run_command(args.scenario, args.out, seed=args.seed, days=args.days)


def _sweep(args: argparse.Namespace) -> int:
    from sim.experiments.commands import sweep_command

    return sweep_command(args.sweep, args.out, workers=args.workers, scheduler=args.scheduler)


def _report(args: argparse.Namespace) -> int:
    from sim.experiments.commands import report_command

    return report_command(args.folder, args.out, png_dir=args.png_dir)


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``flopex`` command."""
    p = argparse.ArgumentParser(prog="flopex", description="GPU-hour compute futures exchange")
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("replay", help="replay a standard order stream (.npy) through a book")
    r.add_argument("stream", help="stream file, int64 (N, 6): KIND SIDE PRICE QTY OID INSTR")
    r.add_argument("--fills-out", help="write the fills (MAKER_OID TAKER_OID PRICE QTY) here")
    r.add_argument("--engine", choices=["numba", "reference"], default="numba")
    r.set_defaults(func=_replay)
    d = sub.add_parser(
        "demo",
        help="run the exchange, house bots and a classroom game; print the URLs",
        description="Serve the exchange in clearing mode on a simulated clock, create a game "
        "from a scenario, start house bots trading the curve over the websocket API, and "
        "print the URLs of the student screen, the instructor console and the API.",
    )
    d.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    d.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    d.add_argument("--scenario", default="intro", help="game scenario (default intro)")
    d.add_argument(
        "--seconds-per-day", type=float, default=20.0,
        help="wall seconds per simulated trading day (default 20)",
    )  # fmt: skip
    d.add_argument("--market-makers", type=int, default=3, help="house market makers (3)")
    d.add_argument("--noise", type=int, default=6, help="house noise traders (6)")
    d.add_argument("--seed", type=int, default=1, help="root seed (default 1)")
    d.add_argument(
        "--duration", type=float, default=None,
        help="stop after this many seconds (default: run until Ctrl-C)",
    )  # fmt: skip
    d.set_defaults(func=_demo)
    e = sub.add_parser("engine-demo", help="run the in-process matching-engine demonstration")
    e.add_argument("--seconds", type=float, default=20.0, help="how long to trade (wall clock)")
    e.add_argument("--seed", type=int, default=7, help="root seed")
    e.set_defaults(func=_engine_demo)
    v = sub.add_parser("validate", help="reproduce published results with flopex's engine")
    vsub = v.add_subparsers(dest="experiment", required=True)
    g = vsub.add_parser(
        "gode-sunder",
        help="Gode & Sunder (1993): ZI-U and ZI-C traders, efficiency against Table 2",
    )
    g.add_argument(
        "--design", action="append", metavar="FILE.toml",
        help="market design (repeatable); default: sim/designs/*.toml (markets 1 and 2)",
    )  # fmt: skip
    g.add_argument("--periods", type=_positive, default=6, help="periods a run (default 6)")
    g.add_argument("--runs", type=_positive, default=20, help="runs a cell (default 20)")
    g.add_argument("--seed", type=int, default=1993, help="root seed (default 1993)")
    g.add_argument(
        "--institution", choices=["paper", "continuous", "both"], default="both",
        help="the paper's rules, flopex's continuous book, or both (default)",
    )  # fmt: skip
    g.add_argument(
        "--period-s", type=_positive, default=600,
        help="period time limit, simulated seconds (default 600)",
    )  # fmt: skip
    g.set_defaults(func=_validate)
    a = vsub.add_parser(
        "avellaneda-stoikov",
        help="Avellaneda & Stoikov (2008) §3.3: inventory vs symmetric quoting, Tables 1-3",
    )
    a.add_argument("--runs", type=_positive, default=1000, help="simulations a case (1000)")
    a.add_argument("--seed", type=int, default=2008, help="root seed (default 2008)")
    a.add_argument(
        "--gamma", type=float, action="append", metavar="G",
        help="risk aversion (repeatable); default: 0.1, 0.01, 0.5 and 1",
    )  # fmt: skip
    a.set_defaults(func=_validate_as)
    f = vsub.add_parser(
        "stylized-facts",
        help="Cont (2001): returns of a scenario run vs the stylized facts of asset returns",
    )
    f.add_argument(
        "scenario", nargs="?", default="stylized-facts",
        help="scenario file or shipped name (default stylized-facts)",
    )  # fmt: skip
    f.add_argument(
        "--days", type=_positive, default=None, help="trading days (default: scenario's)"
    )
    f.add_argument("--seed", type=int, default=None, help="root seed (default: the scenario's)")
    f.add_argument(
        "--minutes", type=_positive, default=1,
        help="return sampling interval, simulated minutes (default 1)",
    )  # fmt: skip
    f.add_argument(
        "--series", choices=["mid", "trade"], default="mid",
        help="price sampled: the mid quote (default) or the last trade",
    )  # fmt: skip
    f.set_defaults(func=_validate_facts)
    s = sub.add_parser(
        "serve",
        help="run the exchange gateway (Deribit v2 dialect) on a websocket and HTTP port",
        description="Serve WS /ws/api/v2 and /api/v2 over HTTP. The administrator key comes "
        "from FLOPEX_ADMIN_CLIENT_ID and FLOPEX_ADMIN_CLIENT_SECRET.",
    )
    s.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    s.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    s.add_argument(
        "--data-dir",
        default=None,
        help="journal and key store directory; restarts recover from it "
        "(default: FLOPEX_DATA_DIR, else in memory only)",
    )
    s.add_argument(
        "--fsync",
        default=None,
        help="journal fsync policy: always (default), batch:N, batch:Tms or never",
    )
    s.add_argument(
        "--clearing", action="store_true",
        help="clearing mode: margin, positions, the simulated index and daily settlement "
        "(default: FLOPEX_CLEARING)",
    )  # fmt: skip
    s.add_argument(
        "--seconds-per-day", type=float, default=None, metavar="S",
        help="simulated venue clock: one trading day every S wall seconds, pausable "
        "(default: FLOPEX_SECONDS_PER_DAY, else 0 = real time)",
    )  # fmt: skip
    s.add_argument(
        "--start-date", default=None, metavar="YYYY-MM-DD",
        help="first day of the simulated clock (default: FLOPEX_START_DATE, else today)",
    )  # fmt: skip
    s.add_argument(
        "--index-seed", type=int, default=None, metavar="N",
        help="seed of the simulated index (default: FLOPEX_INDEX_SEED, else 1)",
    )  # fmt: skip
    s.set_defaults(func=_serve)
    b = sub.add_parser(
        "bots",
        help="run house bots (market makers, noise traders) against a running exchange",
        description="Create an account per bot with the administrator key and trade over the "
        "websocket API until Ctrl-C, SIGTERM or --duration.",
    )
    b.add_argument(
        "--url", default="ws://127.0.0.1:8000/ws/api/v2",
        help="the exchange's websocket API (default ws://127.0.0.1:8000/ws/api/v2)",
    )  # fmt: skip
    b.add_argument(
        "--admin-id", default=os.environ.get("FLOPEX_ADMIN_CLIENT_ID"),
        help="administrator client id (default: FLOPEX_ADMIN_CLIENT_ID)",
    )  # fmt: skip
    b.add_argument(
        "--admin-secret", default=os.environ.get("FLOPEX_ADMIN_CLIENT_SECRET"),
        help="administrator secret (default: FLOPEX_ADMIN_CLIENT_SECRET)",
    )  # fmt: skip
    b.add_argument("--market-makers", type=int, default=3, help="market makers (default 3)")
    b.add_argument("--noise", type=int, default=10, help="noise traders (default 10)")
    b.add_argument("--seed", type=int, default=1, help="root seed (default 1)")
    b.add_argument(
        "--duration", type=float, default=None,
        help="stop after this many seconds (default: until Ctrl-C or SIGTERM)",
    )  # fmt: skip
    b.add_argument(
        "--wait", type=float, default=60.0,
        help="seconds to wait for the exchange to accept connections (default 60)",
    )  # fmt: skip
    b.set_defaults(func=_bots)
    rn = sub.add_parser(
        "run",
        help="run a simulation scenario through the clearing house; write Parquet results",
        description="Run agents through the pipeline and clearing house over the trading "
        "calendar of a scenario (a TOML file, or a shipped one by name: baseline, "
        "demand-spike, gpu-glut, generation-launch, margin-spiral) and write trades, orders, "
        "book_top, settlements, variation_margin, margin_calls, defaults, equity (.parquet) "
        "and summary.json to --out. Format: docs/scenarios.md.",
    )
    rn.add_argument("scenario", help="scenario file (.toml) or shipped scenario name")
    rn.add_argument("--out", required=True, help="directory for the result tables")
    rn.add_argument("--seed", type=int, default=None, help="root seed (default: the scenario's)")
    rn.add_argument(
        "--days", type=_positive, default=None,
        help="trading days to simulate (default: the scenario's)",
    )  # fmt: skip
    rn.set_defaults(func=_run)
    sw = sub.add_parser(
        "sweep",
        help="run a parameter sweep (a grid of scenario overrides × seeds) on Dask",
        description="Run every point of a sweep file (a base scenario, a grid or list of "
        "overrides by dotted key, seeds) on local worker processes or an existing Dask "
        "cluster; each run gets its own folder under DIR/runs, finished runs are skipped "
        "when the sweep is restarted, and DIR/runs.parquet merges one row per run. "
        "Needs the experiments extra. Format: docs/experiments.md.",
    )
    sw.add_argument("sweep", help="sweep file (.toml) or shipped sweep name")
    sw.add_argument("--out", required=True, help="directory for the runs and runs.parquet")
    sw.add_argument(
        "--workers", type=_positive, default=2,
        help="local worker processes (default 2; ignored with --scheduler)",
    )  # fmt: skip
    sw.add_argument(
        "--scheduler", default=None, metavar="tcp://HOST:PORT",
        help="address of an existing Dask scheduler (default: a local cluster on 127.0.0.1)",
    )  # fmt: skip
    sw.set_defaults(func=_sweep)
    rp = sub.add_parser(
        "report",
        help="write a self-contained HTML report with plots of a run or a sweep",
        description="Plot a run folder (flopex run, or one run of a sweep) or a sweep folder "
        "into one HTML file with embedded PNG images. Needs the experiments extra.",
    )
    rp.add_argument("folder", help="a run folder (summary.json) or a sweep folder")
    rp.add_argument("--out", default=None, help="HTML file (default FOLDER/report.html)")
    rp.add_argument("--png-dir", default=None, help="also write every plot here as a PNG file")
    rp.set_defaults(func=_report)
    return p


def main(argv: list[str] | None = None) -> int:
    """Run the ``flopex`` command; return its exit status."""
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
