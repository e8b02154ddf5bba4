// Debrief (/debrief?code=…): price paths against the index, the curve through time,
// results by player and role, margin calls and defaults, flows between groups, and the
// three CSV downloads. Needs an instructor (or administrator) key: from the URL fragment
// (#client_id=…&client_secret=…, as the console's debrief link carries it), from this
// tab's console login, or typed in.
//
// data-testid:
//   debrief-title, debrief-code, debrief-state, connection-status, debrief-refresh
//   export-orders, export-trades, export-results (download CSV files)
//   login-panel, login-form, debrief-code-input, login-client-id, login-client-secret,
//     login-submit
//   debrief-screen; price-charts, chart-price-{H100|B200|A100} (one per product with
//     data), chart-price-legend-{product}; curve-product-tabs, curve-tab-{product},
//     chart-curves, curves-legend; chart-attribution
//   results-table, results-row (data-player-id); results-bars, results-bar,
//     results-bars-legend; by-role-table, by-role-row, by-role-bars, by-role-bar
//   flows-table (matrix: buyer rows × seller columns), flows-cell (data-buyer,
//     data-seller); margin-calls-table, margin-call-row;
//     defaults-table, default-row; debrief-news
//   toast (data-kind): failures with the server's message
//
// Calls: public/auth, admin/game/debrief; HTTP GET /game/{code}/export/{orders,trades,
//   results}.csv with the Bearer token.

import { LineType } from "../vendor/lightweight-charts/lightweight-charts.standalone.production.mjs";
import {
  attribution,
  fit,
  INDEX_COLOR,
  legend,
  lineSeries,
  makeChart,
  monthsOutAxisOptions,
  monthsOutTime,
  PALETTE,
  pathData,
} from "./charts.js";
import * as fmt from "./format.js";
import { normalizeCode } from "./player.js";
import { RpcClient } from "./rpc.js";
import {
  $,
  act,
  bindConnection,
  el,
  fillBody,
  hashParams,
  loadJson,
  queryParam,
  saveJson,
  setText,
  showError,
  toast,
} from "./ui.js";

const ADMIN_KEY = "flopex.admin";
const MAX_CURVES = 7;
const GROUP_TITLES = { "house bot": "House bots", "tender desk": "Tender desk", other: "Other" };

const rpc = new RpcClient();
const S = { creds: null, code: null, data: null, charts: [], curveProduct: null, curveChart: null };

function main() {
  bindConnection(rpc, $("connection-status"));
  $("footer").append(attribution());
  rpc.connect();
  const code = normalizeCode(queryParam("code"));
  const fromHash = hashParams();
  let creds = null;
  if (fromHash.client_id && fromHash.client_secret) {
    creds = { client_id: fromHash.client_id, client_secret: fromHash.client_secret };
    history.replaceState(null, "", location.pathname + location.search);
  } else {
    creds = loadJson(sessionStorage, ADMIN_KEY);
  }
  $("login-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    start(normalizeCode($("debrief-code-input").value), {
      client_id: $("login-client-id").value.trim(),
      client_secret: $("login-client-secret").value,
    });
  });
  for (const kind of ["orders", "trades", "results"]) {
    $(`export-${kind}`).addEventListener("click", (ev) => download(ev.currentTarget, kind));
  }
  $("debrief-refresh").addEventListener("click", (ev) => act(ev.currentTarget, "Refresh", load));
  if (code && creds) start(code, creds);
  else showLogin(code, creds);
}

function showLogin(code, creds) {
  $("login-panel").classList.remove("hidden");
  $("debrief-screen").classList.add("hidden");
  $("debrief-code-input").value = code || "";
  if (creds) {
    $("login-client-id").value = creds.client_id;
    $("login-client-secret").value = creds.client_secret;
  }
  (code ? $("login-client-id") : $("debrief-code-input")).focus();
}

async function start(code, creds) {
  if (!code) return showError("Debrief", new Error("no game code"));
  await act($("login-submit"), "Debrief", async () => {
    await rpc.connect();
    await rpc.login(creds.client_id, creds.client_secret);
    S.creds = creds;
    S.code = code;
    saveJson(sessionStorage, ADMIN_KEY, creds);
    history.replaceState(null, "", `/debrief?code=${encodeURIComponent(code)}`);
    await load();
    $("login-panel").classList.add("hidden");
    $("debrief-screen").classList.remove("hidden");
    render();
  });
  if (!S.data) showLogin(code, creds);
}

async function load() {
  S.data = await rpc.call("admin/game/debrief", { code: S.code });
  if (!$("debrief-screen").classList.contains("hidden")) render();
}

// ---- CSV downloads --------------------------------------------------------------------

async function download(button, kind) {
  if (!S.code) return;
  await act(button, `Download ${kind}.csv`, async () => {
    // A fresh token: the one from the page load may have expired (900 s).
    await rpc.login(S.creds.client_id, S.creds.client_secret);
    const resp = await fetch(`/game/${encodeURIComponent(S.code)}/export/${kind}.csv`, {
      headers: { Authorization: `Bearer ${rpc.accessToken}` },
      cache: "no-store",
    });
    if (!resp.ok) {
      let text = await resp.text();
      try {
        const body = JSON.parse(text);
        text =
          (body.error && (body.error.data?.reason || body.error.message)) || body.detail || text;
      } catch {
        /* not JSON: show it as it is */
      }
      throw new Error(`HTTP ${resp.status}: ${text}`);
    }
    const blob = await resp.blob();
    const url = URL.createObjectURL(blob);
    const a = el("a", { href: url, download: `flopex-${S.code}-${kind}.csv`, class: "hidden" });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
    toast(`${kind}.csv downloaded.`, "ok", 3000);
  });
}

// ---- rendering --------------------------------------------------------------------------

function roleTitles() {
  const titles = { ...GROUP_TITLES };
  for (const r of S.data.by_role || []) titles[r.role] = r.title;
  return titles;
}

function render() {
  const d = S.data;
  setText("debrief-title", d.title || "");
  setText("debrief-code", d.code || S.code);
  setText(
    "debrief-state",
    d.state ? `(${d.state === "ended" ? "final" : `live: ${d.state}`})` : "",
  );
  document.title = `flopex — debrief ${d.code || S.code}`;
  renderPriceCharts();
  renderCurves();
  renderResults();
  renderByRole();
  renderFlows();
  renderCalls();
}

function productOf(name) {
  return fmt.parseInstrument(name).product;
}

function products() {
  const d = S.data;
  const set = new Set(Object.keys(d.index || {}));
  for (const name of Object.keys(d.prices || {})) set.add(productOf(name));
  const order = ["H100", "B200", "A100"];
  return [...set].sort(
    (a, b) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99) || a.localeCompare(b),
  );
}

function renderPriceCharts() {
  for (const c of S.charts) c.remove();
  S.charts = [];
  const box = $("price-charts");
  box.replaceChildren();
  const d = S.data;
  for (const product of products()) {
    const instruments = Object.keys(d.prices || {})
      .filter((n) => productOf(n) === product)
      .sort();
    const index = pathData((d.index || {})[product]);
    if (!index.length && !instruments.length) continue;
    const chartBox = el("div", { class: "chart", testid: `chart-price-${product}` });
    const legendBox = el("div", { testid: `chart-price-legend-${product}` });
    box.append(el("div", {}, el("h3", {}, product), chartBox, legendBox));
    const chart = makeChart(chartBox, { timeScale: { timeVisible: true, secondsVisible: false } });
    S.charts.push(chart);
    const keys = [];
    if (index.length) {
      lineSeries(chart, INDEX_COLOR, { lineWidth: 3, lineType: LineType.WithSteps }).setData(index);
      keys.push([INDEX_COLOR, `${product} index`]);
    }
    instruments.forEach((name, i) => {
      const color = PALETTE[i % PALETTE.length];
      const data = pathData(d.prices[name]);
      const series = lineSeries(chart, color, {
        lineType: LineType.WithSteps,
        pointMarkersVisible: data.length < 40,
      });
      series.setData(data);
      keys.push([color, fmt.instrumentLabel(name)]);
    });
    fit(chart);
    legendBox.append(legend(keys));
  }
  if (!box.children.length) box.append(el("p", { class: "muted" }, "No prices recorded yet."));
}

function renderCurves() {
  const d = S.data;
  const byProduct = new Map();
  for (const curve of d.curves || []) {
    const groups = new Map();
    for (const p of curve.points || []) {
      const product = productOf(p.instrument);
      if (!groups.has(product)) groups.set(product, []);
      groups.get(product).push(p);
    }
    for (const [product, points] of groups) {
      if (!byProduct.has(product)) byProduct.set(product, []);
      byProduct.get(product).push({ ts: curve.ts, date: curve.date, points });
    }
  }
  const list = products().filter((p) => byProduct.has(p));
  for (const p of byProduct.keys()) if (!list.includes(p)) list.push(p);
  if (!list.includes(S.curveProduct)) S.curveProduct = list[0] || null;
  $("curve-product-tabs").replaceChildren(
    ...list.map((p) =>
      el(
        "button",
        {
          type: "button",
          testid: `curve-tab-${p}`,
          "aria-pressed": String(p === S.curveProduct),
          onclick: () => {
            S.curveProduct = p;
            renderCurves();
          },
        },
        p,
      ),
    ),
  );
  if (S.curveChart) S.curveChart.remove();
  S.curveChart = makeChart($("chart-curves"), monthsOutAxisOptions());
  const curves = pick(byProduct.get(S.curveProduct) || [], MAX_CURVES);
  const keys = [];
  curves.forEach((c, i) => {
    const shade = curves.length === 1 ? 1 : i / (curves.length - 1);
    const color = mix("#9db7e0", "#0b2e6b", shade);
    const data = c.points
      .map((p) => ({ time: monthsOutTime(p.months_out), value: p.price }))
      .sort((a, b) => a.time - b.time);
    lineSeries(S.curveChart, color, { lineWidth: i === curves.length - 1 ? 3 : 2 }).setData(data);
    keys.push([color, `${c.date} ${utcTime(c.ts)}`]);
  });
  fit(S.curveChart);
  $("curves-legend").replaceChildren(
    curves.length ? legend(keys) : el("p", { class: "muted" }, "No curves recorded yet."),
  );
}

function utcTime(ms) {
  return typeof ms === "number" ? new Date(ms).toISOString().slice(11, 16) : "";
}

/** Up to n items spread evenly, always the first and the last. */
function pick(items, n) {
  if (items.length <= n) return items;
  const out = [];
  for (let i = 0; i < n; i++) out.push(items[Math.round((i * (items.length - 1)) / (n - 1))]);
  return out;
}

function mix(a, b, t) {
  const pa = [1, 3, 5].map((i) => parseInt(a.slice(i, i + 2), 16));
  const pb = [1, 3, 5].map((i) => parseInt(b.slice(i, i + 2), 16));
  return `#${pa
    .map((x, i) =>
      Math.round(x + (pb[i] - x) * t)
        .toString(16)
        .padStart(2, "0"),
    )
    .join("")}`;
}

function renderResults() {
  const titles = roleTitles();
  const rows = S.data.results || [];
  fillBody(
    $("results-table").tBodies[0],
    rows.map((r, i) =>
      el(
        "tr",
        { testid: "results-row", dataset: { playerId: r.player_id } },
        el("td", {}, String(i + 1)),
        el("td", {}, el("strong", {}, r.name)),
        el("td", {}, titles[r.role] || r.role),
        el("td", { class: `num ${fmt.signClass(r.pnl)}` }, fmt.signedUsd(r.pnl)),
        el("td", { class: `num ${fmt.signClass(r.objective)}` }, fmt.signedUsd(r.objective)),
        el(
          "td",
          { class: `num ${fmt.signClass(r.total)}` },
          el("strong", {}, fmt.signedUsd(r.total)),
        ),
        el(
          "td",
          { class: "num" },
          r.target ? `${r.hedged}/${r.target} (${fmt.percent(r.attainment)})` : "—",
        ),
        el("td", { class: "num" }, String(r.margin_calls ?? 0)),
        el("td", { class: r.defaulted ? "neg" : "" }, r.defaulted ? "defaulted" : ""),
      ),
    ),
    "No players.",
    9,
  );
  // Bars: score per player, coloured by role, around a zero line.
  const roles = [...new Set(rows.map((r) => r.role))];
  const colorOf = (role) => PALETTE[roles.indexOf(role) % PALETTE.length];
  const max = Math.max(1, ...rows.map((r) => Math.abs(r.total || 0)));
  const hasNeg = rows.some((r) => r.total < 0);
  const hasPos = rows.some((r) => r.total > 0);
  const zero = hasNeg && hasPos ? 50 : hasNeg ? 100 : 0;
  const span = hasNeg && hasPos ? 50 : 100;
  $("results-bars").replaceChildren(
    ...rows.map((r) => {
      const width = (Math.abs(r.total || 0) / max) * span;
      const left = r.total < 0 ? zero - width : zero;
      return el(
        "div",
        { class: "bar-row", testid: "results-bar" },
        el("span", {}, r.name),
        el(
          "div",
          { class: "bar-track", role: "img", "aria-label": `${r.name}: ${fmt.signedUsd(r.total)}` },
          el("span", { class: "zero", style: `left:${zero}%` }),
          el("span", {
            class: "bar",
            style: `left:${left}%;width:${width}%;background:${colorOf(r.role)}`,
          }),
        ),
        el("span", { class: `num ${fmt.signClass(r.total)}` }, fmt.signedUsd(r.total)),
      );
    }),
  );
  $("results-bars-legend").replaceChildren(legend(roles.map((r) => [colorOf(r), titles[r] || r])));
}

function renderByRole() {
  fillBody(
    $("by-role-table").tBodies[0],
    (S.data.by_role || []).map((r) =>
      el(
        "tr",
        { testid: "by-role-row", dataset: { role: r.role } },
        el("td", {}, r.title || r.role),
        el("td", { class: "num" }, String(r.players)),
        el(
          "td",
          { class: `num ${fmt.signClass(r.mean_pnl)}` },
          r.players ? fmt.signedUsd(r.mean_pnl) : "—",
        ),
        el(
          "td",
          { class: `num ${fmt.signClass(r.mean_objective)}` },
          r.players ? fmt.signedUsd(r.mean_objective) : "—",
        ),
        el(
          "td",
          { class: `num ${fmt.signClass(r.mean_total)}` },
          r.players ? fmt.signedUsd(r.mean_total) : "—",
        ),
        el("td", { class: "num" }, r.players ? fmt.percent(r.mean_attainment) : "—"),
      ),
    ),
    "No roles.",
    6,
  );
  // Attainment (hedged / target) by role: hedgers only, 0–100 %.
  const hedgers = (S.data.by_role || []).filter(
    (r) => r.players && S.data.results.some((x) => x.role === r.role && x.target),
  );
  $("by-role-bars").replaceChildren(
    ...(hedgers.length
      ? hedgers.map((r, i) =>
          el(
            "div",
            { class: "bar-row", testid: "by-role-bar" },
            el("span", {}, r.title || r.role),
            el(
              "div",
              {
                class: "bar-track",
                role: "img",
                "aria-label": `${r.title}: ${fmt.percent(r.mean_attainment)}`,
              },
              el("span", {
                class: "bar",
                style: `left:0;width:${Math.round(Math.min(1, r.mean_attainment) * 100)}%;background:${PALETTE[i % PALETTE.length]}`,
              }),
            ),
            el("span", { class: "num" }, fmt.percent(r.mean_attainment)),
          ),
        )
      : [el("p", { class: "muted small" }, "No hedgers played.")]),
  );
}

function renderFlows() {
  const titles = roleTitles();
  const flows = S.data.flows || [];
  const table = $("flows-table");
  if (!flows.length) {
    table.replaceChildren(
      el("tbody", {}, el("tr", { class: "empty" }, el("td", {}, "No trades yet."))),
    );
    return;
  }
  const groups = [...new Set(flows.flatMap((f) => [f.buyer, f.seller]))];
  const cell = new Map(flows.map((f) => [`${f.buyer}\u0000${f.seller}`, f.amount]));
  const name = (g) => titles[g] || g;
  const colTotals = groups.map((s) =>
    groups.reduce((t, b) => t + (cell.get(`${b}\u0000${s}`) || 0), 0),
  );
  table.replaceChildren(
    el(
      "thead",
      {},
      el(
        "tr",
        {},
        el("th", {}, "buyer ↓ / seller →"),
        groups.map((g) => el("th", { scope: "col" }, name(g))),
        el("th", {}, "bought"),
      ),
    ),
    el(
      "tbody",
      {},
      groups.map((b) => {
        const amounts = groups.map((s) => cell.get(`${b}\u0000${s}`) || 0);
        return el(
          "tr",
          {},
          el("th", { scope: "row" }, name(b)),
          amounts.map((n, i) =>
            el(
              "td",
              {
                class: n ? "num" : "num zero",
                testid: "flows-cell",
                dataset: { buyer: b, seller: groups[i] },
              },
              n ? fmt.amount(n) : "·",
            ),
          ),
          el(
            "td",
            { class: "num" },
            el("strong", {}, fmt.amount(amounts.reduce((t, n) => t + n, 0))),
          ),
        );
      }),
      el(
        "tr",
        {},
        el("th", { scope: "row" }, "sold"),
        colTotals.map((n) => el("td", { class: "num" }, el("strong", {}, fmt.amount(n)))),
        el("td", {}),
      ),
    ),
  );
}

function renderCalls() {
  const titles = roleTitles();
  fillBody(
    $("margin-calls-table").tBodies[0],
    (S.data.margin_calls || []).map((c) =>
      el(
        "tr",
        { testid: "margin-call-row" },
        el("td", {}, `${fmt.date(c.ts)} ${utcTime(c.ts)}`),
        el("td", {}, c.name ?? String(c.player_id)),
        el("td", {}, titles[c.role] || c.role || ""),
        el("td", { class: "num" }, fmt.usd(c.amount)),
        el("td", {}, c.deadline_ts ? `${fmt.date(c.deadline_ts)} ${utcTime(c.deadline_ts)}` : "—"),
      ),
    ),
    "No margin calls.",
    5,
  );
  fillBody(
    $("defaults-table").tBodies[0],
    (S.data.defaults || []).map((c) =>
      el(
        "tr",
        { testid: "default-row" },
        el("td", {}, `${fmt.date(c.ts)} ${utcTime(c.ts)}`),
        el("td", {}, c.name ?? String(c.player_id)),
        el("td", {}, titles[c.role] || c.role || ""),
      ),
    ),
    "No defaults.",
    3,
  );
  fillBody(
    $("debrief-news").tBodies[0],
    (S.data.news || []).map((n) =>
      el(
        "tr",
        {},
        el("td", { class: "small" }, `${fmt.date(n.ts)} ${utcTime(n.ts)}`),
        el(
          "td",
          {},
          n.headline,
          n.kind && n.kind !== "news"
            ? el("span", { class: "small muted" }, ` (${fmt.humanize(n.kind)})`)
            : "",
        ),
      ),
    ),
    "No news.",
    2,
  );
}

main();
