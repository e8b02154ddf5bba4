"""The ``flopex`` command line: one entry point, a subcommand per job."""

from __future__ import annotations

import argparse
import json
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


def _demo(args: argparse.Namespace) -> int:
    from flopex.demo import run_demo

    return run_demo(seconds=args.seconds, seed=args.seed)


def _serve(args: argparse.Namespace) -> int:
    from gateway.server import serve
    from gateway.settings import Settings

    overrides: dict[str, object] = {}
    if args.data_dir is not None:
        overrides["data_dir"] = args.data_dir
    if args.fsync is not None:
        overrides["journal_fsync"] = args.fsync
    serve(host=args.host, port=args.port, settings=Settings.from_env(**overrides))
    return 0


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


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``flopex`` command."""
    p = argparse.ArgumentParser(prog="flopex", description="GPU-hour compute futures exchange")
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("replay", help="replay a standard order stream (.npy) through a book")
    r.add_argument("stream", help="stream file, int64 (N, 6): KIND SIDE PRICE QTY OID INSTR")
    r.add_argument("--fills-out", help="write the fills (MAKER_OID TAKER_OID PRICE QTY) here")
    r.add_argument("--engine", choices=["numba", "reference"], default="numba")
    r.set_defaults(func=_replay)
    d = sub.add_parser("demo", help="run the in-process engine demonstration")
    d.add_argument("--seconds", type=float, default=20.0, help="how long to trade (wall clock)")
    d.add_argument("--seed", type=int, default=7, help="root seed")
    d.set_defaults(func=_demo)
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
    s.set_defaults(func=_serve)
    return p


def main(argv: list[str] | None = None) -> int:
    """Run the ``flopex`` command; return its exit status."""
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
