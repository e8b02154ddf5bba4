"""``flopex report``: a self-contained HTML page of a run or a sweep, plots embedded.

A run folder (``flopex run`` or one run of a sweep) gets: futures mid prices per tenor
against the index, the forward curve through time, spread and depth by tenor, daily
volume and open interest, the hedgers' hedged and unhedged P&L, margin calls and
default losses by waterfall layer. A sweep folder gets each metric against each swept
parameter, the mean across seeds with min–max and interquartile bands, and the runs
that failed. Every plot is drawn by matplotlib's Agg canvas (no display, no pyplot
state) from a frame of ``sim.experiments.report_data`` and embedded as a PNG data URI.
"""

from __future__ import annotations

import base64
import html
import io
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from sim.experiments import report_data as rd
from sim.scenario import ScenarioError

DPI = 100
#: Colours of the waterfall layers, first layer first.
LAYER_COLOURS = ("#4c72b0", "#55a868", "#c44e52", "#8172b2", "#ccb974", "#222222")


class ReportError(ScenarioError):
    """The folder is neither a run nor a sweep."""


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight", metadata={"Software": None})
    return buf.getvalue()


def _figure(width: float = 8.0, height: float = 3.6, ncols: int = 1) -> tuple[Figure, list[Any]]:
    fig = Figure(figsize=(width, height), layout="constrained")
    axes = fig.subplots(1, ncols, squeeze=False)[0]
    return fig, list(axes)


def _money(axis: Any) -> None:
    """Label a USD axis with thousands separators and at most six ticks."""
    axis.set_major_locator(MaxNLocator(6))
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))


def _dates(axis: Any) -> None:
    """Label a date axis concisely (month and year once, then days or hours)."""
    locator = AutoDateLocator(minticks=3)
    axis.set_major_locator(locator)
    axis.set_major_formatter(ConciseDateFormatter(locator))


def _col(table: pa.Table, name: str) -> np.ndarray:
    return table.column(name).to_numpy(zero_copy_only=False)


# ------------------------------------------------------------------ run plots
def _break_gaps(t: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Insert a NaN wherever consecutive samples are more than twice the usual apart."""
    if len(t) < 3:
        return t, y
    gaps = np.diff(t).astype(np.int64)
    usual = np.median(gaps)
    cut = np.flatnonzero(gaps > 2 * usual) + 1
    return np.insert(t, cut, t[cut - 1]), np.insert(y.astype(float), cut, np.nan)


def plot_prices(frame: pa.Table) -> bytes:
    """Mid price per tenor and the index, one panel per product (USD per GPU-hour)."""
    products = sorted(set(frame.column("product").to_pylist())) or ["—"]
    fig, axes = _figure(9, 3.8, len(products))
    for ax, product in zip(axes, products, strict=True):
        rows = [r for r in frame.to_pylist() if r["product"] == product]
        series = sorted({r["series"] for r in rows if r["series"] != "index"})
        for name in [*series, "index"]:
            xs = [r for r in rows if r["series"] == name]
            if not xs:
                continue
            t = np.array([np.datetime64(r["ts"], "ns") for r in xs])
            y = np.array([r["price_usd"] for r in xs])
            order = np.argsort(t, kind="stable")
            if name == "index":  # one print a day: flat from the open to the next open
                ax.plot(t[order], y[order], color="black", lw=2, label="index",
                        drawstyle="steps-post")  # fmt: skip
            else:  # break the line where the book was one-sided or closed
                t, y = _break_gaps(t[order], y[order])
                ax.plot(t, y, lw=1, label=f"{name} mid")
        ax.set_title(f"{product}: futures mid by tenor and the index")
        ax.set_ylabel("USD per GPU-hour")
        ax.legend(fontsize=8)
        _dates(ax.xaxis)
    return _png(fig)


def plot_forward_curves(frame: pa.Table) -> bytes:
    """Settlement price against months ahead, one line per day (dark = early)."""
    products = sorted(set(frame.column("product").to_pylist())) or ["—"]
    fig, axes = _figure(9, 3.6, len(products))
    from matplotlib import colormaps

    cmap = colormaps["viridis"]
    for ax, product in zip(axes, products, strict=True):
        rows = [r for r in frame.to_pylist() if r["product"] == product]
        days = sorted({r["day"] for r in rows})
        for i, day in enumerate(days):
            xs = sorted((r["months_ahead"], r["price_usd"]) for r in rows if r["day"] == day)
            colour = cmap(i / max(len(days) - 1, 1))
            label = day.isoformat() if i in (0, len(days) - 1) else None
            ax.plot([x for x, _ in xs], [y for _, y in xs], marker="o", ms=3, color=colour,
                    label=label)  # fmt: skip
        ax.set_title(f"{product}: forward curve at each day's settlement")
        ax.set_xlabel("months ahead (0 = front)")
        ax.set_ylabel("USD per GPU-hour")
        if days:
            ax.legend(fontsize=8, title="day", loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return _png(fig)


def plot_spread_depth(frame: pa.Table) -> bytes:
    """Mean spread (bps of mid) and depth (contracts) by tenor, bars per product."""
    fig, (ax1, ax2) = _figure(9, 3.4, 2)
    products = sorted(set(frame.column("product").to_pylist()))
    width = 0.8 / max(len(products), 1)
    for j, product in enumerate(products):
        rows = [r for r in frame.to_pylist() if r["product"] == product]
        m = np.array([r["months_ahead"] for r in rows], dtype=float) + j * width
        spread = [r["spread_bps"] if r["spread_bps"] is not None else np.nan for r in rows]
        ax1.bar(m, spread, width, label=product)
        ax2.bar(m, [r["depth"] for r in rows], width, label=product)
    ax1.set_title("mean quoted spread")
    ax1.set_ylabel("bps of mid")
    ax2.set_title("mean depth at the touch")
    ax2.set_ylabel("contracts (mean of bid and ask)")
    tenors = sorted(set(frame.column("months_ahead").to_pylist()))
    centre = np.array(tenors, dtype=float) + width * (len(products) - 1) / 2
    for ax in (ax1, ax2):
        ax.set_xticks(centre, [f"M{m}" for m in tenors])
        ax.set_xlabel("months ahead")
        ax.legend(fontsize=8)
    return _png(fig)


def plot_volume_oi(volume: pa.Table, oi: pa.Table) -> bytes:
    """Contracts traded per day stacked by tenor (bars) and open interest (line)."""
    fig, (ax,) = _figure(9, 3.4)
    days = sorted(set(volume.column("day").to_pylist()) | set(oi.column("day").to_pylist()))
    index = {d: i for i, d in enumerate(days)}
    bottom = np.zeros(len(days))
    for m in sorted(set(volume.column("months_ahead").to_pylist())):
        y = np.zeros(len(days))
        for r in volume.to_pylist():
            if r["months_ahead"] == m:
                y[index[r["day"]]] = r["contracts"]
        ax.bar(np.arange(len(days)), y, bottom=bottom, label=f"M{m} volume")
        bottom += y
    ax.set_ylabel("contracts traded")
    ax.set_xticks(np.arange(len(days)), [d.strftime("%m-%d") for d in days], fontsize=8,
                  rotation=45)  # fmt: skip
    ax2 = ax.twinx()
    x = [index[d] for d in oi.column("day").to_pylist()]
    ax2.plot(x, oi.column("open_interest").to_pylist(), color="black", marker="o", ms=3,
             label="open interest")  # fmt: skip
    ax2.set_ylabel("open interest (contracts)")
    ax2.set_ylim(bottom=0)
    ax.set_title("daily volume by tenor and open interest")
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, fontsize=8, loc="upper left")
    return _png(fig)


def plot_hedger_pnl(frame: pa.Table) -> bytes:
    """Cumulative P&L of each hedger: unhedged (dashed) and hedged (solid), USD."""
    fig, (ax,) = _figure(9, 3.6)
    agents = sorted(set(frame.column("agent").to_pylist()))
    colours = [f"C{i % 10}" for i in range(len(agents))]
    for agent, colour in zip(agents, colours, strict=True):
        rows = [r for r in frame.to_pylist() if r["agent"] == agent]
        days = [r["day"] for r in rows]
        ax.plot(days, [r["unhedged_usd"] for r in rows], ls="--", color=colour, lw=1)
        ax.plot(days, [r["hedged_usd"] for r in rows], ls="-", color=colour, lw=2, label=agent)
    ax.axhline(0, color="grey", lw=0.5)
    ax.set_title("hedgers' cumulative P&L: unhedged (dashed) and hedged (solid)")
    ax.set_ylabel("USD")
    _money(ax.yaxis)
    _dates(ax.xaxis)
    if agents:
        ax.legend(fontsize=8)
    return _png(fig)


def plot_hedger_dispersion(frame: pa.Table) -> bytes:
    """Standard deviation of daily P&L per hedger, unhedged and hedged (USD)."""
    fig, (ax,) = _figure(8, 3.2)
    x = np.arange(frame.num_rows)
    ax.bar(x - 0.2, _col(frame, "std_unhedged_usd"), 0.4, label="unhedged")
    ax.bar(x + 0.2, _col(frame, "std_hedged_usd"), 0.4, label="hedged")
    ax.set_xticks(x, frame.column("agent").to_pylist(), fontsize=8)
    ax.set_ylabel("USD (std of daily P&L)")
    _money(ax.yaxis)
    ax.set_title("hedgers' daily P&L dispersion")
    ax.legend(fontsize=8)
    return _png(fig)


def plot_margin_defaults(calls: pa.Table, losses: pa.Table) -> bytes:
    """Margin calls per day (count and amount) and each defaulter's loss by layer."""
    fig, (ax1, ax2) = _figure(10, 3.6, 2)
    days = calls.column("day").to_pylist()
    x = np.arange(len(days))
    ax1.bar(x, _col(calls, "called_usd") if days else [], color="#c44e52")
    ax1.set_ylabel("amount called (USD)")
    _money(ax1.yaxis)
    ax1.set_xticks(x, [d.strftime("%m-%d") for d in days], fontsize=8, rotation=45)
    for xi, n, dflt in zip(x, calls.column("issued").to_pylist(),
                           calls.column("defaulted").to_pylist(), strict=True):  # fmt: skip
        ax1.annotate(f"{n} calls\n{dflt} defaulted" if dflt else f"{n} calls", (xi, 0),
                     xytext=(0, 3), textcoords="offset points", ha="center", fontsize=7)  # fmt: skip
    ax1.set_title("margin calls by day")
    if not days:
        ax1.set_xticks([])
        ax1.set_yticks([])
        ax1.text(0.5, 0.5, "no margin calls", ha="center", va="center", fontsize=12)
    agents = losses.column("agent").to_pylist()
    y = np.arange(len(agents))
    left = np.zeros(len(agents))
    for layer, colour in zip(rd.LAYERS, LAYER_COLOURS, strict=True):
        w = _col(losses, f"{layer}_usd") if agents else np.zeros(0)
        if agents and w.any():
            ax2.barh(y, w, left=left, color=colour, label=layer.replace("_", " "))
            left += w
    ax2.set_yticks(y, agents, fontsize=8)
    ax2.set_xlabel("USD")
    _money(ax2.xaxis)
    ax2.set_title("default losses by waterfall layer")
    if not agents:
        ax2.set_xticks([])
        ax2.set_yticks([])
        ax2.text(0.5, 0.5, "no defaults", ha="center", va="center", fontsize=12)
    if agents and left.any():
        ax2.legend(fontsize=8)
    return _png(fig)


def plot_metric_vs_parameter(frame: pa.Table, param: str, metric: str) -> bytes:
    """Mean of ``metric`` across seeds against ``param``, min–max band (light) and
    interquartile band (darker), one line per group of the other parameters."""
    fig, (ax,) = _figure(6, 3.4)
    groups = list(dict.fromkeys(frame.column("group").to_pylist()))
    for i, group in enumerate(groups):
        rows = [r for r in frame.to_pylist() if r["group"] == group and r["mean"] is not None]
        if not rows:
            continue
        values = [r["value"] for r in rows]
        numeric = all(isinstance(v, int | float) for v in values)
        x = np.array(values, dtype=float) if numeric else np.arange(len(rows))
        colour = f"C{i % 10}"
        lo, hi = [r["min"] for r in rows], [r["max"] for r in rows]
        ax.fill_between(x, lo, hi, color=colour, alpha=0.15, lw=0)
        ax.fill_between(x, [r["q25"] for r in rows], [r["q75"] for r in rows], color=colour,
                        alpha=0.3, lw=0)  # fmt: skip
        ax.plot(x, [r["mean"] for r in rows], marker="o", color=colour, label=group or "mean")
        if not numeric or all(isinstance(v, int) for v in values):
            ax.set_xticks(x, [str(v) for v in values])
    ax.set_xlabel(param)
    label = f"{metric[: -len('_micros')]} (USD)" if metric.endswith("_micros") else metric
    ax.set_ylabel(label)
    if metric.endswith("_micros"):
        _money(ax.yaxis)
    ax.set_title(f"{label} against {param}", fontsize=10)
    if any(groups):
        ax.legend(fontsize=7)
    return _png(fig)


# ------------------------------------------------------------------ pages
CSS = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1000px; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.15em; margin-top: 1.6em; }
table { border-collapse: collapse; font-size: 0.9em; }
td, th { border: 1px solid #ccc; padding: 2px 8px; text-align: right; }
th { background: #f3f3f3; } td.l, th.l { text-align: left; }
img { max-width: 100%; } p.note { color: #666; font-size: 0.9em; }
"""


def _img(png: bytes, alt: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def _table_html(rows: Sequence[Sequence[Any]], head: Sequence[str]) -> str:
    out = ["<table><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in head) + "</tr>"]
    for row in rows:
        cells = []
        for v in row:
            cls = ' class="l"' if isinstance(v, str) else ""
            text = f"{v:,.4g}" if isinstance(v, float) else str(v)
            cells.append(f"<td{cls}>{html.escape(text)}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    return "\n".join(out) + "</table>"


def _page(title: str, body: list[str]) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )


def _moves(frame: pa.Table, *columns: str) -> bool:
    """Return whether any of ``columns`` holds a value other than 0 or null."""
    return any(v for c in columns for v in frame.column(c).to_pylist())


def run_report(folder: str | Path) -> str:
    """Return the HTML report of a run folder."""
    run = rd.load_run(folder)
    s = run.summary
    calls, d = s["margin_calls"], s["defaults"]
    facts = [
        ("scenario", f"{s['scenario']} (seed {s['seed']})"),
        ("trading days", f"{s['trading_days']} ({s['start']} .. {s['end']})"),
        ("commands", f"{s['commands']:,}"),
        ("trades / contracts", f"{s['volume']['trades']:,} / {s['volume']['contracts']:,}"),
        ("margin calls", f"{calls['issued']} ({calls['defaulted']} ended in default)"),
        ("defaults", f"{d['count']}, loss ${d['loss_micros'] / 1e6:,.2f}"),
        ("hedge variance reduction", str(s["hedge_effectiveness"]["mean_variance_reduction"])),
        ("state hash", s["state_hash"][:16]),
    ]
    body = [f"<h1>Run report: {html.escape(s['scenario'])}</h1>",
            _table_html([(k, v) for k, v in facts], ["", ""])]  # fmt: skip
    body += ["<h2>Futures prices against the index</h2>",
             _img(plot_prices(rd.prices_vs_index(run)), "prices"),
             "<h2>Forward curve through time</h2>",
             _img(plot_forward_curves(rd.forward_curves(run)), "forward curves")]  # fmt: skip
    sd = rd.spread_depth_by_tenor(run)
    body += ["<h2>Spread and depth by tenor</h2>", _img(plot_spread_depth(sd), "spread"),
             _table_html([tuple(r.values()) for r in sd.to_pylist()], sd.column_names)]  # fmt: skip
    body += ["<h2>Volume and open interest</h2>",
             _img(plot_volume_oi(rd.daily_volume(run), rd.daily_open_interest(run)), "volume")]  # fmt: skip
    body.append("<h2>Hedgers: hedged and unhedged P&amp;L</h2>")
    pnl = rd.hedger_pnl(run)
    if pnl is not None and _moves(pnl, "unhedged_usd", "hedged_usd"):
        body.append(_img(plot_hedger_pnl(pnl), "hedger P&L"))
    disp = rd.hedger_pnl_dispersion(run)
    if not disp.num_rows:
        body.append('<p class="note">No hedgers in this run.</p>')
    else:
        if _moves(disp, "std_unhedged_usd", "std_hedged_usd"):
            body.append(_img(plot_hedger_dispersion(disp), "hedger dispersion"))
        else:
            body.append(
                f'<p class="note">The hedgers\' P&amp;L did not move over '
                f"{s['trading_days']} trading day(s): nothing to plot yet.</p>"
            )
        body.append(_table_html([tuple(r.values()) for r in disp.to_pylist()], disp.column_names))
    body.append("<h2>Margin calls and default losses by waterfall layer</h2>")
    calls_frame, losses = rd.margin_calls_by_day(run), rd.default_losses(run)
    if calls_frame.num_rows or losses.num_rows:
        body.append(_img(plot_margin_defaults(calls_frame, losses), "margin calls and defaults"))
    else:
        body.append('<p class="note">No margin calls and no defaults in this run.</p>')
    return _page(f"flopex run report: {s['scenario']}", body)


def sweep_report(folder: str | Path) -> str:
    """Return the HTML report of a sweep folder."""
    data = rd.load_sweep_dir(folder)
    sw, runs = data.sweep, data.runs
    keys: list[str] = list(sw["keys"])
    statuses = runs.column("status").to_pylist()
    body = [f"<h1>Sweep report: {html.escape(sw['name'])}</h1>"]
    if sw.get("description"):
        body.append(f"<p>{html.escape(sw['description'])}</p>")
    facts = [
        ("scenario", sw["scenario"]),
        ("parameters", ", ".join(keys) or "(none)"),
        ("points × seeds", f"{len(sw['points'])} × {len(sw['seeds'])}"),
        ("runs", f"{len(statuses)} ({statuses.count('ok')} finished, "
                 f"{len(statuses) - statuses.count('ok')} failed)"),
    ]  # fmt: skip
    body.append(_table_html(facts, ["", ""]))
    body.append(
        '<p class="note">Each plot: the mean across seeds (line), the interquartile range '
        "(dark band) and the minimum to maximum (light band).</p>"
    )
    metrics = [m for m in sw["metrics"] if m in runs.column_names]
    missing = [m for m in sw["metrics"] if m not in runs.column_names]
    values = {m: {v for v in runs.column(m).to_pylist() if v is not None} for m in metrics}
    flat = [m for m in metrics if len(values[m]) <= 1]
    for param in keys or []:
        others = [k for k in keys if k != param]
        body.append(f"<h2>Metrics against {html.escape(param)}</h2>")
        for metric in metrics:
            if metric in flat:  # nothing to see on a plot: said once, below
                continue
            frame = rd.metric_vs_parameter(runs, param, metric, others)
            plot = plot_metric_vs_parameter(frame, param, metric)
            body.append(_img(plot, f"{metric} against {param}"))
    if keys and flat:
        said = [f"{m} = {next(iter(values[m])):g}" if values[m] else f"{m}: no value" for m in flat]
        body.append(
            '<p class="note">The same in every run (not plotted): '
            f"{html.escape('; '.join(said))}.</p>"
        )
    if missing:
        body.append(f'<p class="note">No runs reported: {html.escape(", ".join(missing))}.</p>')
    if keys and metrics:
        body.append("<h2>Means across seeds</h2>")
        rows = []
        for point in sw["points"]:
            sel = [r for r in runs.to_pylist() if r["status"] == "ok"
                   and all(r.get(k) == point.get(k) for k in keys)]  # fmt: skip
            means = []
            for m in metrics:
                xs = [r[m] for r in sel if r.get(m) is not None]
                means.append(float(np.mean(xs)) if xs else "")
            rows.append((*[point.get(k) for k in keys], len(sel), *means))
        body.append(_table_html(rows, [*keys, "runs", *metrics]))
    failed = rd.run_status(runs)
    if failed.num_rows:
        body.append("<h2>Failed runs</h2>")
        body.append(_table_html([tuple(r.values()) for r in failed.to_pylist()],
                                failed.column_names))  # fmt: skip
    return _page(f"flopex sweep report: {sw['name']}", body)


def write_report(folder: str | Path, out: str | Path, png_dir: str | Path | None = None) -> Path:
    """Write the report of a run folder (``summary.json``) or a sweep folder
    (``runs.parquet`` and ``sweep.json``) to ``out``; return the path. With ``png_dir``,
    also write every plot there as a PNG file named after its caption."""
    root = Path(folder)
    if (root / "runs.parquet").exists() and (root / "sweep.json").exists():
        text = sweep_report(root)
    elif (root / "summary.json").exists():
        text = run_report(root)
    else:
        raise ReportError(f"{folder}: not a run folder (summary.json) or a sweep folder "
                          "(runs.parquet, sweep.json)")  # fmt: skip
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    if png_dir is not None:
        write_pngs(text, Path(png_dir))
    return path


def write_pngs(page: str, folder: Path) -> list[Path]:
    """Write the PNG images embedded in a report page to ``folder`` (one file each,
    named after the image's caption); return the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    found = re.findall(r'<img alt="([^"]*)" src="data:image/png;base64,([^"]+)"', page)
    for alt, data in found:
        name = re.sub(r"[^a-z0-9]+", "-", html.unescape(alt).lower()).strip("-") or "plot"
        path = folder / f"{name}.png"
        path.write_bytes(base64.b64decode(data))
        paths.append(path)
    return paths
