// Charts on TradingView Lightweight Charts™ (vendored under /static/vendor/, Apache-2.0).
//
// Its horizontal axis is time. Price paths use real timestamps (seconds); a forward
// curve uses each contract's month as a date, labelled "Mar 27"; curves by months-out
// map month n to an arbitrary base date plus n months, labelled "M+n".

import {
  createChart,
  LineStyle,
} from "../vendor/lightweight-charts/lightweight-charts.standalone.production.mjs";
import { monthLabelOfDate } from "./format.js";
import { el } from "./ui.js";

export const PALETTE = [
  "#1f5fbf",
  "#c2410c",
  "#15803d",
  "#7e22ce",
  "#b91c1c",
  "#0e7490",
  "#a16207",
  "#be185d",
  "#4d7c0f",
  "#334155",
  "#9333ea",
  "#0369a1",
];
export const INDEX_COLOR = "#111827";

const BASE_OPTIONS = {
  layout: {
    background: { color: "#ffffff" },
    textColor: "#1f2937",
    fontSize: 13,
    fontFamily: "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif",
  },
  grid: { vertLines: { color: "#eef0f3" }, horzLines: { color: "#eef0f3" } },
  rightPriceScale: { borderColor: "#cbd2dc" },
  timeScale: { borderColor: "#cbd2dc", minBarSpacing: 0.05 },
  handleScroll: false,
  handleScale: false,
  localization: { priceFormatter: (p) => `$${p.toFixed(2)}` },
};

/** Create a chart filling `container` (kept sized to it). */
export function makeChart(container, options = {}) {
  const chart = createChart(container, {
    ...BASE_OPTIONS,
    ...options,
    autoSize: true,
    layout: { ...BASE_OPTIONS.layout, ...(options.layout || {}) },
    timeScale: { ...BASE_OPTIONS.timeScale, ...(options.timeScale || {}) },
    localization: { ...BASE_OPTIONS.localization, ...(options.localization || {}) },
  });
  return chart;
}

/** Autoscale that never zooms in below ±pct of the price (a 1-cent wiggle stays flat). */
export function minRange(pct) {
  return (original) => {
    const res = original();
    if (!res || !res.priceRange) return res;
    const { minValue, maxValue } = res.priceRange;
    const mid = (minValue + maxValue) / 2;
    const half = Math.max((maxValue - minValue) / 2, Math.abs(mid) * pct);
    return { ...res, priceRange: { minValue: mid - half, maxValue: mid + half } };
  };
}

/** Fit every point in view, now and once the chart has its size (autoSize is async). */
export function fit(chart) {
  chart.timeScale().fitContent();
  requestAnimationFrame(() => chart.timeScale().fitContent());
  setTimeout(() => chart.timeScale().fitContent(), 250);
}

export function lineSeries(chart, color, options = {}) {
  return chart.addLineSeries({
    autoscaleInfoProvider: minRange(0.02),
    color,
    lineWidth: 2,
    priceLineVisible: false,
    lastValueVisible: false,
    priceFormat: { type: "price", precision: 2, minMove: 0.01 },
    ...options,
  });
}

/** [[ts_ms, price], …] → line data (seconds, strictly increasing; last value per second). */
export function pathData(points) {
  const bySecond = new Map();
  for (const [ts, value] of points || []) {
    if (typeof ts !== "number" || typeof value !== "number") continue;
    bySecond.set(Math.floor(ts / 1000), value);
  }
  const sorted = [...bySecond.entries()].sort((a, b) => a[0] - b[0]);
  // The chart spaces points by their rank, not by time: drop the inside of runs of equal
  // values (sampled flat stretches of an index) so long games still fit the width.
  const out = [];
  sorted.forEach(([time, value], i) => {
    const prev = sorted[i - 1];
    const next = sorted[i + 1];
    if (prev && next && prev[1] === value && next[1] === value) return;
    out.push({ time, value });
  });
  return out;
}

/** Options for a time axis of contract months ("YYYY-MM-01" business days). */
export function monthAxisOptions() {
  const label = (t) => {
    if (typeof t === "string") return monthLabelOfDate(t);
    if (t && typeof t === "object" && "year" in t) {
      return monthLabelOfDate(`${t.year}-${String(t.month).padStart(2, "0")}-01`);
    }
    if (typeof t === "number")
      return monthLabelOfDate(new Date(t * 1000).toISOString().slice(0, 10));
    return "";
  };
  return {
    timeScale: { tickMarkFormatter: (t) => label(t), fixLeftEdge: true, fixRightEdge: true },
    localization: { timeFormatter: (t) => label(t) },
  };
}

const MONTHS_OUT_BASE = Date.UTC(2000, 0, 1);

/** Months-out n as a chart time (seconds), and the axis options that label it "M+n". */
export function monthsOutTime(n) {
  const d = new Date(MONTHS_OUT_BASE);
  d.setUTCMonth(d.getUTCMonth() + n);
  return Math.floor(d.getTime() / 1000);
}

export function monthsOutAxisOptions() {
  const label = (t) => {
    if (typeof t !== "number") return "";
    const d = new Date(t * 1000);
    const n = (d.getUTCFullYear() - 2000) * 12 + d.getUTCMonth();
    return n === 0 ? "front" : `M+${n}`;
  };
  return {
    timeScale: { tickMarkFormatter: (t) => label(t), fixLeftEdge: true, fixRightEdge: true },
    localization: { timeFormatter: (t) => label(t) },
  };
}

/** A dashed horizontal line across the chart (e.g. the index level). */
export function levelLine(series, price, title, color = INDEX_COLOR) {
  return series.createPriceLine({
    price,
    color,
    lineWidth: 2,
    lineStyle: LineStyle.Dashed,
    axisLabelVisible: true,
    title,
  });
}

/** A legend row of coloured keys under a chart. */
export function legend(items) {
  return el(
    "div",
    { class: "legend" },
    items.map(([color, label]) =>
      el(
        "span",
        { class: "legend-item" },
        el("span", { class: "swatch", style: `background:${color}` }),
        label,
      ),
    ),
  );
}

/** The attribution the chart library's licence asks for, with a link to TradingView. */
export function attribution() {
  return el(
    "p",
    { class: "attribution", testid: "chart-attribution" },
    "Charts by ",
    el(
      "a",
      { href: "https://www.tradingview.com/", target: "_blank", rel: "noopener" },
      "TradingView",
    ),
    " Lightweight Charts™ (Apache License 2.0).",
  );
}
