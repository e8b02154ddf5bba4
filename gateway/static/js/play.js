// Student screen (/play?code=…): join, role card, price ladder with click-to-trade, order
// ticket, working orders, fills, positions, margin, forward curve, tape, news, tenders,
// round clock and leaderboard.
//
// data-testid:
//   header: game-title, game-code-label, state-banner (data-state = lobby|open|paused|closed|
//     ended), state-text, round-clock, venue-date, player-name, connection-status
//     (data-status), leave-game; margin-banner (hidden unless called); news-ticker, news-item
//   join: join-panel, join-form, join-code, join-name, join-submit
//   trading-screen; role-card, role-title, role-brief, objective-text, objective-meter,
//     score-pnl, score-objective, score-total
//   margin-panel, margin-equity, margin-cash, margin-initial, margin-maintenance,
//     margin-available, account-state
//   tenders-panel, tenders, tender (data-tender-id, data-state = offered|accepted|
//     declined|expired), tender-countdown, tender-accept, tender-decline, tender-outcome
//   leaderboard-panel (hidden while the instructor hides it), leaderboard, leaderboard-row
//   product-tabs, product-tab-{H100|B200|A100} (aria-pressed), instrument-select,
//     instrument-info, best-bid, best-ask, last-price, index-price
//   ladder, ladder-row (data-price), ladder-bid-cell (click: buy at that price),
//     ladder-ask-cell (click: sell; each cell holds one <button>), ladder-price,
//     ladder-own-buys, ladder-own-sells (cells holding own orders), ladder-order (own order
//     in its row, data-order-id; click: cancel), ladder-up, ladder-down, ladder-center
//   order-ticket, order-ticket-type, order-ticket-amount, order-ticket-price,
//     order-ticket-tif, order-ticket-post-only, order-ticket-notional, order-ticket-buy,
//     order-ticket-sell, order-ticket-limits
//   curve-chart, curve-product, curve-legend, chart-attribution; tape, tape-row
//   working-orders, working-order (data-order-id), working-order-cancel, cancel-all
//   positions, position-row (data-instrument); fills, fill-row
//   toast (data-kind = error|ok|info): every refusal, with the server's message verbatim
//
// Calls: public/game/join, public/auth, private/game/get_state, private/game/respond_tender,
//   public/get_instruments, public/ticker, public/get_book_summary_by_currency,
//   public/get_last_trades_by_instrument,
//   private/buy, private/sell, private/cancel, private/cancel_all, private/get_open_orders,
//   private/get_positions, private/get_account_summary,
//   private/get_user_trades_by_instrument.
// Channels: game.{code}, user.game, user.orders.any.any.raw, user.trades.any.any.raw,
//   user.portfolio.usd, book.{instrument}.100ms, trades.{instrument}.100ms,
//   ticker.{instrument}.100ms, deribit_price_index.{h100|b200|a100}_usd.

import { LocalBook } from "./book.js";
import {
  attribution,
  fit,
  INDEX_COLOR,
  legend,
  levelLine,
  lineSeries,
  makeChart,
  monthAxisOptions,
  PALETTE,
} from "./charts.js";
import * as fmt from "./format.js";
import { forgetPlayer, joinGame, normalizeCode, storedPlayer } from "./player.js";
import { RpcClient, RpcError } from "./rpc.js";
import {
  $,
  act,
  bindConnection,
  el,
  fillBody,
  queryParam,
  setText,
  showError,
  toast,
} from "./ui.js";

const LADDER_ROWS = 21;
const POLL_MS = 5000;
const CURVE_POLL_MS = 5000; // one get_book_summary_by_currency request a product
const MAX_TAPE = 60;
const MAX_FILLS = 100;
const MAX_NEWS = 12;
const OPEN_STATES = new Set(["open", "untriggered"]);
const TIF_SHORT = {
  good_til_cancelled: "GTC",
  good_til_day: "GTD",
  fill_or_kill: "FOK",
  immediate_or_cancel: "IOC",
};
const STATE_WORDS = {
  lobby: "Lobby · trading starts with round 1",
  open: "Trading open",
  paused: "Paused — orders are refused",
  closed: "Round closed",
  ended: "Game over",
};

const rpc = new RpcClient();
const S = {
  player: null,
  code: null,
  instruments: [],
  byName: new Map(),
  byProduct: new Map(),
  product: null,
  instrument: null,
  book: null,
  ladderCenter: null,
  ladderManual: false,
  ticker: null,
  curveTickers: new Map(),
  curveSummary: new Map(),
  orders: new Map(),
  fills: [],
  positions: [],
  summary: null,
  game: {},
  tenders: new Map(),
  news: [],
  leaderboard: null,
  index: {},
  roundEndsAt: null,
  marginCall: null,
  tape: [],
  offInstrument: [],
};

// ---- start-up ---------------------------------------------------------------------

function main() {
  bindConnection(rpc, $("connection-status"));
  $("footer").append(attribution());
  const code = normalizeCode(queryParam("code"));
  const player = storedPlayer(code || null);
  $("join-form").addEventListener("submit", onJoin);
  $("leave-game").addEventListener("click", () => {
    forgetPlayer();
    location.assign(S.code ? `/?code=${encodeURIComponent(S.code)}` : "/");
  });
  if (player) {
    start(player);
  } else {
    showJoin(code);
  }
}

function showJoin(code) {
  $("trading-screen").classList.add("hidden");
  $("join-panel").classList.remove("hidden");
  $("join-code").value = code || "";
  $(code ? "join-name" : "join-code").focus();
  setText("state-text", "Not joined");
}

async function onJoin(ev) {
  ev.preventDefault();
  const code = normalizeCode($("join-code").value);
  const name = $("join-name").value.trim();
  if (!code || !name) return;
  await act($("join-submit"), `Could not join ${code}`, async () => {
    await rpc.connect();
    const player = await joinGame(rpc, code, name);
    history.replaceState(null, "", `/play?code=${encodeURIComponent(player.code)}`);
    await start(player);
  });
}

async function start(player) {
  S.player = player;
  S.code = player.code;
  $("join-panel").classList.add("hidden");
  $("trading-screen").classList.remove("hidden");
  setText("game-code-label", player.code);
  setText("player-name", player.name);
  document.title = `flopex — ${player.name} — ${player.code}`;
  if (player.role) renderRole(player.role);
  try {
    await rpc.connect();
    await rpc.login(player.client_id, player.client_secret);
  } catch (err) {
    if (err instanceof RpcError && err.code !== null) {
      forgetPlayer();
      showError("Your place in this game is no longer valid; join again", err);
      showJoin(player.code);
      return;
    }
    showError("Could not connect", err);
  }
  rpc.on("reconnect", () => refreshAll());
  rpc.on("auth", (ev) => {
    if (ev.ok) return;
    // After a reconnect the server no longer knows this key (e.g. it was restarted).
    forgetPlayer();
    showError("Your login is no longer valid; join the game again", ev.error);
    showJoin(S.code);
  });
  setupTicket();
  setupLadder();
  await loadInstruments();
  await Promise.all([
    rpc.subscribe([`game.${S.code}`], onGameChannel),
    rpc.subscribe(["user.game"], onUserGame),
    rpc.subscribe(["user.orders.any.any.raw"], onOrder),
    rpc.subscribe(["user.trades.any.any.raw"], onOwnTrades),
    rpc.subscribe(["user.portfolio.usd"], onPortfolio),
    rpc.subscribe(
      ["h100", "b200", "a100"].map((p) => `deribit_price_index.${p}_usd`),
      onIndex,
    ),
  ]).catch((err) => showError("Subscribing failed", err));
  await refreshAll();
  selectDefaultInstrument();
  setInterval(poll, POLL_MS);
  setInterval(pollCurve, CURVE_POLL_MS);
  setInterval(tick, 250);
}

async function refreshAll() {
  await Promise.all([loadGameState(), loadOrders(), loadPositions(), loadSummary()]);
  await loadFills();
  if (S.instrument) await subscribeInstrument(S.instrument, true);
}

function poll() {
  if (document.hidden || rpc.status !== "online") return;
  loadGameState();
  loadPositions();
  loadSummary();
}

// ---- game state ---------------------------------------------------------------------

async function loadGameState() {
  try {
    const st = await rpc.call("private/game/get_state", {});
    applyState(st);
    if (st.role) renderRole(st.role);
    renderObjective(st.objective, st.score);
    if (Array.isArray(st.tenders)) {
      for (const t of st.tenders) upsertTender(t);
      renderTenders();
    }
    if (Array.isArray(st.news)) {
      S.news = st.news
        .slice()
        .sort((a, b) => (b.ts || 0) - (a.ts || 0))
        .slice(0, MAX_NEWS);
      renderNews();
    }
    if ("leaderboard" in st) {
      S.leaderboard = st.leaderboard;
      renderLeaderboard();
    }
    if (st.index) {
      Object.assign(S.index, st.index);
      renderIndex();
    }
  } catch (err) {
    if (!(err instanceof RpcError) || err.code === null) return;
    if (!S.stateErrorShown) {
      S.stateErrorShown = true;
      showError("Game state unavailable", err);
    }
  }
}

function applyState(st) {
  for (const key of [
    "code",
    "title",
    "state",
    "round",
    "rounds_total",
    "round_title",
    "clock",
    "limits",
  ]) {
    if (key in st) S.game[key] = st[key];
  }
  if ("round_ends_in_ms" in st) {
    const left = typeof st.round_ends_in_ms === "number" ? st.round_ends_in_ms : null;
    S.roundLeftMs = left;
    S.roundEndsAt = left === null ? null : Date.now() + left;
  }
  renderBanner();
  if (st.limits) renderLimits(st.limits);
}

function renderLimits(l) {
  const parts = [];
  if (l.max_order_amount) parts.push(`at most ${l.max_order_amount} contracts an order`);
  if (l.max_position)
    parts.push(`a position of at most ${l.max_position} long or short in each month`);
  setText("order-ticket-limits", parts.length ? `Game limits: ${parts.join(", ")}.` : "");
}

function renderBanner() {
  const g = S.game;
  const banner = $("state-banner");
  banner.dataset.state = g.state || "";
  let text = STATE_WORDS[g.state] || (g.state ? fmt.humanize(g.state) : "Connecting…");
  if (g.round && g.state !== "lobby") {
    text = `${fmt.roundLabel(g)} · ${text}`;
  }
  setText("state-text", text);
  setText("game-title", g.title || "");
  const clock = g.clock || {};
  setText("venue-date", clock.date ? `market date ${clock.date}` : "");
  renderClock();
}

function renderClock() {
  const node = $("round-clock");
  const st = S.game.state;
  if (S.roundEndsAt !== null && S.roundEndsAt !== undefined && (st === "open" || st === "paused")) {
    // Paused: the round clock stands still at what was left.
    node.textContent = fmt.countdown(st === "paused" ? S.roundLeftMs : S.roundEndsAt - Date.now());
  } else {
    node.textContent = "";
  }
}

function onGameChannel(data) {
  if (!data || typeof data !== "object") return;
  switch (data.type) {
    case "state": {
      const before = S.game.state;
      applyState(data);
      if ("leaderboard_visible" in data && !data.leaderboard_visible && S.leaderboard) {
        S.leaderboard = null;
        renderLeaderboard();
      }
      if (before && before !== data.state) {
        toast(`Game ${data.state}: ${STATE_WORDS[data.state] || data.state}`, "info", 5000);
      }
      break;
    }
    case "news":
      S.news.unshift(data);
      S.news = S.news.slice(0, MAX_NEWS);
      renderNews();
      break;
    case "leaderboard":
      S.leaderboard = data.visible ? data.rows || [] : null;
      renderLeaderboard();
      break;
    case "index":
      Object.assign(S.index, data.prices || {});
      renderIndex();
      break;
    default:
      break;
  }
}

function onUserGame(data) {
  if (!data || typeof data !== "object") return;
  switch (data.type) {
    case "player":
      if (data.limits) renderLimits(data.limits);
      if (data.role) renderRole(data.role);
      renderObjective(data.objective, data.score);
      break;
    case "tender": {
      const isNew = !S.tenders.has(tenderId(data));
      upsertTender(data);
      renderTenders();
      if (isNew && tenderState(data) === "offered")
        toast(`New tender: ${tenderText(data)}`, "info");
      break;
    }
    case "margin_call":
      S.marginCall = data;
      renderMargin();
      toast(`Margin call: ${fmt.usd(data.amount)}`, "error", 10000);
      loadSummary();
      break;
    default:
      break;
  }
}

// ---- role, objective, score ---------------------------------------------------------

function renderRole(role) {
  S.role = role;
  setText("role-title", role.title || role.id || "—");
  setText("role-brief", role.brief || "");
  if (role.objective) renderObjective({ ...role.objective, ...(S.objective || {}) }, null);
}

function renderObjective(obj, score) {
  if (obj) {
    S.objective = { ...(S.objective || {}), ...obj };
    const o = S.objective;
    const months = (o.months || []).map((m) => fmt.instrumentLabel(m)).join(", ");
    let text = "";
    if (o.kind === "sell_forward")
      text = `Objective: sell ${o.target} contracts of ${months || "the given months"}.`;
    else if (o.kind === "buy_forward")
      text = `Objective: buy ${o.target} contracts across ${months || "the given months"}.`;
    else if (o.kind === "speculate") text = "Objective: make money. No hedge target.";
    if (typeof o.hedged === "number" && o.target) {
      text += ` Hedged so far: ${o.hedged} of ${o.target} (${fmt.percent(o.attainment ?? o.hedged / o.target)}).`;
    }
    setText("objective-text", text);
    const meter = $("objective-meter");
    meter.classList.toggle("hidden", !o.target);
    const att =
      typeof o.attainment === "number" ? o.attainment : o.target ? (o.hedged || 0) / o.target : 0;
    meter.firstElementChild.style.width = `${Math.round(Math.min(1, Math.max(0, att)) * 100)}%`;
  }
  if (score) {
    for (const [key, id] of [
      ["pnl", "score-pnl"],
      ["objective", "score-objective"],
      ["total", "score-total"],
    ]) {
      const node = setText(id, fmt.signedUsd(score[key]));
      node.className = `big ${fmt.signClass(score[key])}`;
    }
  }
}

// ---- tenders ------------------------------------------------------------------------

function tenderId(t) {
  return String(t.tender_id ?? t.id);
}

function tenderState(t) {
  return t.state || "offered";
}

function tenderText(t) {
  const side = t.side === "sell" ? "You sell" : "You buy";
  const inst = t.instrument_name || t.instrument;
  return `${side} ${t.amount} × ${fmt.instrumentLabel(inst)} at ${fmt.price(t.price)} (${fmt.usd(fmt.notional(t.price, t.amount))})`;
}

function upsertTender(t) {
  const id = tenderId(t);
  const prev = S.tenders.get(id) || {};
  const merged = { ...prev, ...t };
  if (typeof t.expires_in_ms === "number") merged.deadline = Date.now() + t.expires_in_ms;
  S.tenders.set(id, merged);
}

function renderTenders() {
  const box = $("tenders");
  const list = [...S.tenders.values()].sort((a, b) => {
    const ao = tenderState(a) === "offered" ? 0 : 1;
    const bo = tenderState(b) === "offered" ? 0 : 1;
    return ao - bo || Number(tenderId(b)) - Number(tenderId(a));
  });
  // Rebuild only when a tender came or changed state (tick() runs the countdowns).
  const key = list.map((t) => `${tenderId(t)}:${tenderState(t)}`).join(",");
  if (box.dataset.key === key) return;
  box.dataset.key = key;
  box.replaceChildren();
  if (!list.length) {
    box.append(el("p", { class: "muted small" }, "No offers."));
    return;
  }
  for (const t of list.slice(0, 6)) {
    const state = tenderState(t);
    const offered = state === "offered";
    const id = tenderId(t);
    const node = el(
      "div",
      { class: "tender", testid: "tender", dataset: { tenderId: id, state } },
      el("div", { class: "what" }, tenderText(t)),
      offered
        ? el(
            "div",
            { class: "row" },
            el(
              "span",
              { class: "countdown", testid: "tender-countdown" },
              fmt.countdown(t.deadline - Date.now()),
            ),
            el(
              "button",
              {
                type: "button",
                class: "primary",
                testid: "tender-accept",
                onclick: (ev) => respondTender(ev.currentTarget, t, true),
              },
              "Accept",
            ),
            el(
              "button",
              {
                type: "button",
                testid: "tender-decline",
                onclick: (ev) => respondTender(ev.currentTarget, t, false),
              },
              "Decline",
            ),
          )
        : el(
            "div",
            { class: "small muted", testid: "tender-outcome" },
            fmt.humanize(state),
            t.booked_price ? ` at ${fmt.price(t.booked_price)}` : "",
          ),
    );
    box.append(node);
  }
}

async function respondTender(button, t, accept) {
  const what = `${accept ? "Accept" : "Decline"} tender (${tenderText(t)})`;
  await act(button, what, async () => {
    const result = await rpc.call("private/game/respond_tender", {
      tender_id: t.tender_id ?? t.id,
      accept,
    });
    if (result && typeof result === "object") upsertTender(result);
    else upsertTender({ ...t, state: accept ? "accepted" : "declined" });
    renderTenders();
    toast(
      accept ? "Tender accepted: it appears in your fills and positions." : "Tender declined.",
      "ok",
      4000,
    );
    if (accept) {
      loadPositions();
      loadSummary();
    }
  });
}

// ---- news and leaderboard -------------------------------------------------------------

function renderNews() {
  const box = $("news-ticker");
  box.replaceChildren();
  if (!S.news.length) {
    box.append(el("span", { class: "muted" }, "No news yet."));
    return;
  }
  for (const n of S.news) {
    box.append(
      el(
        "span",
        { class: "news-item", testid: "news-item", title: n.body || "" },
        el("span", { class: "news-time" }, n.ts ? fmt.time(n.ts) : ""),
        n.headline || "",
        n.body ? ` — ${n.body}` : "",
      ),
    );
  }
}

function renderLeaderboard() {
  const panel = $("leaderboard-panel");
  const rows = S.leaderboard;
  panel.classList.toggle("hidden", !Array.isArray(rows));
  if (!Array.isArray(rows)) return;
  const body = $("leaderboard").tBodies[0];
  fillBody(
    body,
    rows.map((r, i) =>
      el(
        "tr",
        {
          testid: "leaderboard-row",
          class: S.player && r.player_id === S.player.player_id ? "me" : "",
        },
        el("td", {}, String(r.rank ?? i + 1)),
        el("td", {}, r.name ?? ""),
        el("td", { class: "small" }, r.role ?? ""),
        el("td", { class: `num ${fmt.signClass(r.total)}` }, fmt.signedUsd(r.total)),
      ),
    ),
    "No players yet.",
    4,
  );
}

// ---- index --------------------------------------------------------------------------

function onIndex(data, channel) {
  if (!data || typeof data.price !== "number") return;
  const product = channel.replace("deribit_price_index.", "").replace("_usd", "").toUpperCase();
  S.index[product] = data.price;
  renderIndex();
}

function renderIndex() {
  const value = S.index[S.product];
  const node = setText("index-price", fmt.price(value));
  if (node) node.title = `${S.product} rental price index, $/GPU-hour`;
  updateCurveIndex();
}

// ---- instruments --------------------------------------------------------------------

async function loadInstruments() {
  try {
    const list = await rpc.call("public/get_instruments", { currency: "any", kind: "future" });
    // Products in the server's order (H100, B200, A100), each front month first.
    const rank = productRank(list);
    S.instruments = list
      .slice()
      .sort(
        (a, b) =>
          rank.get(a.base_currency) - rank.get(b.base_currency) ||
          a.expiration_timestamp - b.expiration_timestamp,
      );
  } catch (err) {
    showError("Could not load the contracts", err);
    return;
  }
  S.byName = new Map(S.instruments.map((i) => [i.instrument_name, i]));
  S.byProduct = new Map();
  for (const inst of S.instruments) {
    const p = inst.base_currency || fmt.parseInstrument(inst.instrument_name).product;
    if (!S.byProduct.has(p)) S.byProduct.set(p, []);
    S.byProduct.get(p).push(inst);
  }
  const tabs = $("product-tabs");
  tabs.replaceChildren(
    ...[...S.byProduct.keys()].map((p) =>
      el(
        "button",
        {
          type: "button",
          testid: `product-tab-${p}`,
          "aria-pressed": "false",
          onclick: () => selectProduct(p),
        },
        p,
      ),
    ),
  );
  $("instrument-select").onchange = (ev) => selectInstrument(ev.target.value);
}

/** H100, B200, A100 first (the classroom's order), then any other product. */
function productRank(list) {
  const order = ["H100", "B200", "A100"];
  const rank = new Map(order.map((p, i) => [p, i]));
  for (const i of list) if (!rank.has(i.base_currency)) rank.set(i.base_currency, rank.size);
  return rank;
}

function selectDefaultInstrument() {
  const months = (S.objective && S.objective.months) || [];
  const wanted = months.find((m) => S.byName.has(m));
  if (wanted) return selectInstrument(wanted);
  const products = [...S.byProduct.keys()];
  const product =
    (S.objective && S.objective.product) || (products.includes("H100") ? "H100" : products[0]);
  if (product) selectProduct(product);
}

function selectProduct(product) {
  const chain = S.byProduct.get(product) || [];
  if (!chain.length) return;
  selectInstrument(chain[0].instrument_name);
}

function selectInstrument(name) {
  if (!S.byName.has(name)) return;
  const inst = S.byName.get(name);
  const product = inst.base_currency || fmt.parseInstrument(name).product;
  const productChanged = product !== S.product;
  S.product = product;
  for (const b of $("product-tabs").children) {
    b.setAttribute("aria-pressed", String(b.textContent === product));
  }
  if (productChanged) {
    const select = $("instrument-select");
    select.replaceChildren(
      ...(S.byProduct.get(product) || []).map((i) =>
        el(
          "option",
          { value: i.instrument_name },
          `${fmt.parseInstrument(i.instrument_name).label} (${i.instrument_name})`,
        ),
      ),
    );
    setText("curve-product", `${product} · mark by contract month · dashed: index`);
    resetCurve();
    pollCurve();
  }
  $("instrument-select").value = name;
  setText(
    "instrument-info",
    `${inst.contract_size || fmt.CONTRACT_HOURS} GPU-hours a contract · tick $${(inst.tick_size || 0.01).toFixed(2)}`,
  );
  renderIndex();
  if (name !== S.instrument) subscribeInstrument(name, false);
}

async function subscribeInstrument(name, again) {
  for (const off of S.offInstrument) off();
  S.offInstrument = [];
  if (!again) {
    S.ladderManual = false;
    S.ladderCenter = null;
  }
  S.instrument = name;
  S.ticker = S.curveTickers.get(name) || null;
  S.book = new LocalBook(name, () => resubscribeBook(name));
  S.tape = [];
  renderQuote();
  renderLadder();
  renderTape();
  markCurveSelection();
  const onBook = (msg) => {
    if (S.instrument !== name || !S.book) return;
    if (S.book.apply(msg)) renderLadder();
  };
  const onTicker = (t) => {
    if (S.instrument !== name) return;
    S.ticker = t;
    S.curveTickers.set(name, t);
    if (
      typeof t.index_price === "number" &&
      t.index_price > 0 &&
      S.index[S.product] === undefined
    ) {
      S.index[S.product] = t.index_price;
      renderIndex();
    }
    renderQuote();
    if (S.ladderCenter === null) renderLadder();
    else renderLadderMarks();
    throttle("curve", 1000, drawCurve);
  };
  const onTrades = (trades) => {
    if (S.instrument !== name) return;
    for (const t of trades) S.tape.unshift(t);
    S.tape = S.tape.slice(0, MAX_TAPE);
    renderTape();
  };
  const channels = [
    [[`book.${name}.100ms`], onBook],
    [[`ticker.${name}.100ms`], onTicker],
    [[`trades.${name}.100ms`], onTrades],
  ];
  for (const [chs, fn] of channels) S.offInstrument.push(() => rpc.unsubscribe(chs, fn));
  try {
    await Promise.all(channels.map(([chs, fn]) => rpc.subscribe(chs, fn)));
    const [ticker, last] = await Promise.all([
      rpc.call("public/ticker", { instrument_name: name }),
      rpc.call("public/get_last_trades_by_instrument", { instrument_name: name, count: 30 }),
    ]);
    if (S.instrument !== name) return;
    onTicker(ticker);
    S.tape = (last.trades || []).slice().sort((a, b) => b.timestamp - a.timestamp);
    renderTape();
  } catch (err) {
    showError(`Market data for ${name}`, err);
  }
}

async function resubscribeBook(name) {
  const ch = [`book.${name}.100ms`];
  // Drop and take the channel again: the server sends a fresh snapshot.
  const handlers = rpc.handlers.get(ch[0]);
  if (!handlers) return;
  const fns = [...handlers];
  for (const fn of fns) rpc.unsubscribe(ch, fn);
  for (const fn of fns) await rpc.subscribe(ch, fn).catch(() => {});
}

function renderQuote() {
  const t = S.ticker;
  setText("best-bid", t && t.best_bid_price ? fmt.priceBare(t.best_bid_price) : "—");
  setText("best-ask", t && t.best_ask_price ? fmt.priceBare(t.best_ask_price) : "—");
  setText("last-price", t && t.last_price ? fmt.priceBare(t.last_price) : "—");
}

// ---- ladder -------------------------------------------------------------------------

function setupLadder() {
  const body = $("ladder").tBodies[0];
  S.ladderRows = [];
  for (let i = 0; i < LADDER_ROWS; i++) {
    const ownBuy = el("td", { class: "own", testid: "ladder-own-buys" });
    const bidBtn = el("button", { type: "button", class: "cell-btn" });
    const askBtn = el("button", { type: "button", class: "cell-btn" });
    const bid = el("td", { class: "bid", testid: "ladder-bid-cell" }, bidBtn);
    const price = el("td", { class: "price", testid: "ladder-price" });
    const ask = el("td", { class: "ask", testid: "ladder-ask-cell" }, askBtn);
    const ownSell = el("td", { class: "own", testid: "ladder-own-sells" });
    const tr = el("tr", { testid: "ladder-row" }, ownBuy, bid, price, ask, ownSell);
    const row = { tr, ownBuy, bid, bidBtn, price, ask, askBtn, ownSell, tick: null };
    bidBtn.addEventListener("click", () => ladderTrade("buy", row));
    askBtn.addEventListener("click", () => ladderTrade("sell", row));
    S.ladderRows.push(row);
    body.append(tr);
  }
  const half = Math.floor(LADDER_ROWS / 2);
  $("ladder-up").addEventListener("click", () => shiftLadder(half));
  $("ladder-down").addEventListener("click", () => shiftLadder(-half));
  $("ladder-center").addEventListener("click", () => {
    S.ladderManual = false;
    S.ladderCenter = null;
    renderLadder();
  });
}

function shiftLadder(by) {
  if (S.ladderCenter === null) return;
  S.ladderManual = true;
  S.ladderCenter += by;
  renderLadder();
}

function referenceTick() {
  const b = S.book;
  const bid = b ? b.bestBid() : null;
  const ask = b ? b.bestAsk() : null;
  if (bid !== null && ask !== null) return Math.round((bid + ask) / 2);
  if (bid !== null) return bid;
  if (ask !== null) return ask;
  const t = S.ticker;
  for (const p of [t && t.last_price, t && t.mark_price, S.index[S.product]]) {
    if (typeof p === "number" && p > 0) return fmt.ticks(p);
  }
  return null;
}

function renderLadder() {
  if (!S.ladderRows) return;
  const half = Math.floor(LADDER_ROWS / 2);
  const b = S.book;
  const bestBid = b ? b.bestBid() : null;
  const bestAsk = b ? b.bestAsk() : null;
  if (!S.ladderManual) {
    const ref = referenceTick();
    const inView = (t) =>
      t === null || (S.ladderCenter !== null && Math.abs(t - S.ladderCenter) <= half - 2);
    if (S.ladderCenter === null || !inView(bestBid) || !inView(bestAsk)) S.ladderCenter = ref;
  }
  const center = S.ladderCenter;
  const own = ownOrdersByTick();
  S.ladderRows.forEach((row, i) => {
    const tick = center === null ? null : center + half - i;
    row.tick = tick;
    const valid = tick !== null && tick > 0;
    row.tr.dataset.price = valid ? fmt.priceBare(tick * fmt.TICK) : "";
    row.price.textContent = valid ? fmt.priceBare(tick * fmt.TICK) : "";
    const bidSize = valid && b ? b.bidAt(tick) : 0;
    const askSize = valid && b ? b.askAt(tick) : 0;
    row.bidBtn.textContent = bidSize ? fmt.amount(bidSize) : "";
    row.askBtn.textContent = askSize ? fmt.amount(askSize) : "";
    row.bidBtn.disabled = !valid;
    row.askBtn.disabled = !valid;
    const p = valid ? fmt.priceBare(tick * fmt.TICK) : "";
    row.bidBtn.setAttribute("aria-label", valid ? `Buy at ${p}` : "");
    row.askBtn.setAttribute("aria-label", valid ? `Sell at ${p}` : "");
    row.tr.classList.toggle("best-bid", tick !== null && tick === bestBid);
    row.tr.classList.toggle("best-ask", tick !== null && tick === bestAsk);
    row.tr.classList.toggle("has-size", Boolean(bidSize || askSize));
    renderOwnCell(
      row.ownBuy,
      (own.get(tick) || []).filter((o) => o.direction === "buy"),
    );
    renderOwnCell(
      row.ownSell,
      (own.get(tick) || []).filter((o) => o.direction === "sell"),
    );
  });
  renderLadderMarks();
}

function renderLadderMarks() {
  if (!S.ladderRows) return;
  const last = S.ticker && S.ticker.last_price ? fmt.ticks(S.ticker.last_price) : null;
  for (const row of S.ladderRows)
    row.tr.classList.toggle("last", row.tick !== null && row.tick === last);
}

function ownOrdersByTick() {
  const map = new Map();
  for (const o of S.orders.values()) {
    if (o.instrument_name !== S.instrument || typeof o.price !== "number") continue;
    const t = fmt.ticks(o.price);
    if (!map.has(t)) map.set(t, []);
    map.get(t).push(o);
  }
  return map;
}

function renderOwnCell(td, orders) {
  // Rebuild only when the orders changed: a chip must not vanish under a click.
  const key = orders.map((o) => `${o.order_id}:${o.amount - (o.filled_amount || 0)}`).join(",");
  if (td.dataset.key === key) return;
  td.dataset.key = key;
  td.replaceChildren(
    ...orders.map((o) =>
      el(
        "button",
        {
          type: "button",
          class: `order-chip chip-${o.direction}`,
          testid: "ladder-order",
          dataset: { orderId: o.order_id },
          title: `Cancel: ${o.direction} ${o.amount - (o.filled_amount || 0)} at ${fmt.priceBare(o.price)}`,
          "aria-label": `Cancel my ${o.direction} order of ${o.amount - (o.filled_amount || 0)} at ${fmt.priceBare(o.price)}`,
          onclick: (ev) => cancelOrder(ev.currentTarget, o),
        },
        `${o.direction === "buy" ? "B" : "S"} ${fmt.amount(o.amount - (o.filled_amount || 0))}`,
      ),
    ),
  );
}

function ladderTrade(side, row) {
  if (row.tick === null || !S.instrument) return;
  const amount = ticketAmount();
  if (amount === null) return;
  const price = Number((row.tick * fmt.TICK).toFixed(2));
  const params = {
    instrument_name: S.instrument,
    amount,
    type: "limit",
    price,
    time_in_force: $("order-ticket-tif").value,
  };
  if ($("order-ticket-post-only").checked) params.post_only = true;
  placeOrder(side, params, null);
}

// ---- ticket and orders ----------------------------------------------------------------

function setupTicket() {
  const type = $("order-ticket-type");
  const priceInput = $("order-ticket-price");
  const postOnly = $("order-ticket-post-only");
  const sync = () => {
    const market = type.value === "market";
    priceInput.disabled = market;
    postOnly.disabled = market;
    if (market) postOnly.checked = false;
    renderNotional();
  };
  type.addEventListener("change", sync);
  for (const id of ["order-ticket-amount", "order-ticket-price"])
    $(id).addEventListener("input", renderNotional);
  $("order-ticket-buy").addEventListener("click", (ev) => ticketOrder("buy", ev.currentTarget));
  $("order-ticket-sell").addEventListener("click", (ev) => ticketOrder("sell", ev.currentTarget));
  $("cancel-all").addEventListener("click", (ev) =>
    act(ev.currentTarget, "Cancel all", async () => {
      const n = await rpc.call("private/cancel_all", {});
      toast(`Cancelled ${n} order${n === 1 ? "" : "s"}.`, "ok", 3000);
      await loadOrders();
    }),
  );
  sync();
}

function renderNotional() {
  const amount = Number($("order-ticket-amount").value);
  const price = Number($("order-ticket-price").value);
  const market = $("order-ticket-type").value === "market";
  let text = Number.isInteger(amount) && amount > 0 ? fmt.contracts(amount) : "";
  if (text && !market && price > 0) text += ` · ${fmt.usd(fmt.notional(price, amount))} notional`;
  setText("order-ticket-notional", text);
}

function ticketAmount() {
  const raw = $("order-ticket-amount").value;
  const amount = Number(raw);
  if (!Number.isInteger(amount) || amount <= 0) {
    showError(
      "Order ticket",
      new Error(`amount must be a whole number of contracts, not "${raw}"`),
    );
    return null;
  }
  return amount;
}

function ticketOrder(side, button) {
  if (!S.instrument) return;
  const amount = ticketAmount();
  if (amount === null) return;
  const type = $("order-ticket-type").value;
  const params = {
    instrument_name: S.instrument,
    amount,
    type,
    time_in_force: $("order-ticket-tif").value,
  };
  if (type === "limit") {
    const price = Number($("order-ticket-price").value);
    if (!(price > 0)) {
      showError("Order ticket", new Error("enter a limit price in $/GPU-hour"));
      return;
    }
    params.price = price;
    if ($("order-ticket-post-only").checked) params.post_only = true;
  }
  placeOrder(side, params, button);
}

async function placeOrder(side, params, button) {
  const where = params.type === "market" ? "at market" : `at ${fmt.price(params.price)}`;
  const what = `${side === "buy" ? "Buy" : "Sell"} ${params.amount} ${fmt.instrumentLabel(params.instrument_name)} ${where}`;
  await act(button, what, async () => {
    const result = await rpc.call(`private/${side}`, params);
    const order = result && result.order;
    if (order) upsertOrder(order);
    const trades = (result && result.trades) || [];
    const filled = trades.reduce((s, t) => s + t.amount, 0);
    if (filled) {
      const avg = trades.reduce((s, t) => s + t.price * t.amount, 0) / filled;
      toast(`${side === "buy" ? "Bought" : "Sold"} ${filled} at ${fmt.price(avg)}`, "ok", 4000);
    } else if (order && OPEN_STATES.has(order.order_state)) {
      toast(`${what}: working`, "ok", 2500);
    } else if (order) {
      toast(
        `${what}: ${order.order_state}${order.cancel_reason ? ` (${order.cancel_reason})` : ""}`,
        "info",
        5000,
      );
    }
  });
}

async function cancelOrder(button, order) {
  const what = `Cancel ${order.direction} ${fmt.instrumentLabel(order.instrument_name)} at ${fmt.price(order.price)}`;
  await act(button, what, async () => {
    const result = await rpc.call("private/cancel", { order_id: order.order_id });
    upsertOrder(result || { ...order, order_state: "cancelled" });
  });
}

function upsertOrder(order) {
  if (OPEN_STATES.has(order.order_state)) S.orders.set(order.order_id, order);
  else S.orders.delete(order.order_id);
  scheduleOrdersRender();
}

function onOrder(order) {
  upsertOrder(order);
}

let ordersRenderPending = false;
function scheduleOrdersRender() {
  if (ordersRenderPending) return;
  ordersRenderPending = true;
  requestAnimationFrame(() => {
    ordersRenderPending = false;
    renderOrders();
    renderLadder();
  });
}

async function loadOrders() {
  try {
    const list = await rpc.call("private/get_open_orders", {});
    S.orders = new Map(list.map((o) => [o.order_id, o]));
    scheduleOrdersRender();
  } catch (err) {
    showError("Working orders", err);
  }
}

function renderOrders() {
  const orders = [...S.orders.values()].sort((a, b) => b.creation_timestamp - a.creation_timestamp);
  fillBody(
    $("working-orders").tBodies[0],
    orders.map((o) =>
      el(
        "tr",
        {
          testid: "working-order",
          dataset: { orderId: o.order_id, instrument: o.instrument_name },
        },
        el("td", {}, fmt.instrumentLabel(o.instrument_name)),
        el("td", { class: `side-${o.direction}` }, o.direction),
        el(
          "td",
          { class: "num" },
          typeof o.price === "number" ? fmt.priceBare(o.price) : String(o.price),
        ),
        el("td", { class: "num" }, fmt.amount(o.amount)),
        el("td", { class: "num" }, fmt.amount(o.filled_amount || 0)),
        el(
          "td",
          { class: "small", title: fmt.humanize(o.time_in_force) },
          TIF_SHORT[o.time_in_force] || o.time_in_force,
        ),
        el(
          "td",
          {},
          el(
            "button",
            {
              type: "button",
              class: "small danger",
              testid: "working-order-cancel",
              onclick: (ev) => cancelOrder(ev.currentTarget, o),
            },
            "Cancel",
          ),
        ),
      ),
    ),
    "No working orders.",
    7,
  );
}

// ---- fills, positions, margin -----------------------------------------------------------

function onOwnTrades(trades) {
  const list = Array.isArray(trades) ? trades : [trades];
  for (const t of list) S.fills.unshift(t);
  S.fills = S.fills.slice(0, MAX_FILLS);
  renderFills();
  debounce("after-fill", 300, () => {
    loadPositions();
    loadSummary();
    loadGameState();
  });
}

async function loadFills() {
  const names = new Set(S.positions.map((p) => p.instrument_name));
  for (const o of S.orders.values()) if (o.filled_amount) names.add(o.instrument_name);
  if (!names.size) return;
  try {
    const lists = await Promise.all(
      [...names].map((n) =>
        rpc.call("private/get_user_trades_by_instrument", {
          instrument_name: n,
          count: 50,
          sorting: "desc",
        }),
      ),
    );
    const seen = new Set();
    const all = [];
    for (const t of [...S.fills, ...lists.flatMap((l) => l.trades || [])]) {
      if (seen.has(t.trade_id)) continue;
      seen.add(t.trade_id);
      all.push(t);
    }
    S.fills = all.sort((a, b) => b.timestamp - a.timestamp).slice(0, MAX_FILLS);
    renderFills();
  } catch (err) {
    console.warn("loading fills failed", err);
  }
}

function renderFills() {
  fillBody(
    $("fills").tBodies[0],
    S.fills.map((t) =>
      el(
        "tr",
        { testid: "fill-row", dataset: { tradeId: t.trade_id } },
        el("td", { class: "small" }, fmt.time(t.timestamp)),
        el("td", {}, fmt.instrumentLabel(t.instrument_name)),
        el("td", { class: `side-${t.direction}` }, t.direction),
        el("td", { class: "num" }, fmt.priceBare(t.price)),
        el("td", { class: "num" }, fmt.amount(t.amount)),
        el("td", { class: "num small" }, fmt.usd(t.fee)),
      ),
    ),
    "No fills yet.",
    6,
  );
}

async function loadPositions() {
  try {
    S.positions = await rpc.call("private/get_positions", { currency: "any", kind: "future" });
    renderPositions();
  } catch (err) {
    if (!S.positionsErrorShown) {
      S.positionsErrorShown = true;
      showError("Positions", err);
    }
  }
}

function renderPositions() {
  fillBody(
    $("positions").tBodies[0],
    S.positions
      .filter((p) => p.size)
      .map((p) => {
        // Since the average entry price, at the mark (the clearing house's own figures
        // restart at every daily settlement, when the gain or loss is paid in cash).
        const pnl =
          typeof p.average_price === "number" && typeof p.mark_price === "number"
            ? (p.mark_price - p.average_price) * p.size * fmt.CONTRACT_HOURS
            : p.total_profit_loss;
        return el(
          "tr",
          {
            testid: "position-row",
            dataset: { instrument: p.instrument_name },
            tabindex: "0",
            title: "Show this contract in the ladder",
            onclick: () => selectInstrument(p.instrument_name),
            onkeydown: (ev) => ev.key === "Enter" && selectInstrument(p.instrument_name),
          },
          el("td", {}, fmt.instrumentLabel(p.instrument_name)),
          el(
            "td",
            { class: `num ${p.size > 0 ? "side-buy" : "side-sell"}` },
            `${p.size > 0 ? "+" : ""}${fmt.amount(p.size)}`,
          ),
          el("td", { class: "num" }, fmt.priceBare(p.average_price)),
          el("td", { class: "num" }, fmt.priceBare(p.mark_price)),
          el("td", { class: `num ${fmt.signClass(pnl)}` }, fmt.signedUsd(pnl)),
        );
      }),
    "No positions.",
    5,
  );
}

async function loadSummary() {
  try {
    S.summary = await rpc.call("private/get_account_summary", { currency: "USD" });
    renderMargin();
  } catch (err) {
    if (!S.summaryErrorShown) {
      S.summaryErrorShown = true;
      showError("Margin", err);
    }
  }
}

function onPortfolio(data) {
  if (!data || typeof data !== "object") return;
  S.summary = { ...(S.summary || {}), ...data };
  renderMargin();
}

function renderMargin() {
  const s = S.summary || {};
  setText("margin-equity", fmt.usd(s.equity));
  setText("margin-cash", fmt.usd(s.balance));
  setText("margin-initial", fmt.usd(s.initial_margin));
  setText("margin-maintenance", fmt.usd(s.maintenance_margin));
  const avail = setText("margin-available", fmt.usd(s.available_funds));
  avail.className = fmt.signClass(s.available_funds) === "neg" ? "neg" : "";
  setText("account-state", s.account_state ? fmt.humanize(s.account_state) : "—");
  const banner = $("margin-banner");
  const state = s.account_state;
  const called = state === "margin_call" || s.margin_call_pending === true;
  if (!called && S.summary && S.marginCall && state) S.marginCall = null;
  let text = "";
  if (state === "in_default") {
    text = "Your account is in default: the clearing house has taken over your positions.";
  } else if (state === "suspended") {
    text = "Your account is suspended: only orders that reduce your positions are accepted.";
  } else if (called || S.marginCall) {
    const amount = s.margin_call_outstanding ?? (S.marginCall && S.marginCall.amount);
    const deadline = S.marginCall && S.marginCall.deadline_ts;
    text = `MARGIN CALL: ${fmt.usd(amount)} short. Your equity no longer covers the margin on your positions — reduce them${deadline ? ` before ${fmt.time(deadline)}` : ""}.`;
  }
  banner.textContent = text;
  banner.classList.toggle("hidden", !text);
}

// ---- tape ---------------------------------------------------------------------------

function renderTape() {
  fillBody(
    $("tape").tBodies[0],
    S.tape.map((t) =>
      el(
        "tr",
        { testid: "tape-row" },
        el("td", { class: "small" }, fmt.time(t.timestamp)),
        el("td", { class: `side-${t.direction}` }, t.direction),
        el("td", { class: "num" }, fmt.priceBare(t.price)),
        el("td", { class: "num" }, fmt.amount(t.amount)),
      ),
    ),
    "No trades yet.",
    4,
  );
}

// ---- forward curve ------------------------------------------------------------------

const curve = { chart: null, series: null, indexLine: null };

function ensureCurve() {
  if (curve.chart) return;
  const box = $("curve-chart");
  curve.chart = makeChart(box, monthAxisOptions());
  curve.series = lineSeries(curve.chart, PALETTE[0], {
    lineWidth: 3,
    pointMarkersVisible: true,
    title: "",
  });
  $("curve-legend").replaceChildren(
    legend([
      [PALETTE[0], "futures price (mid of bid and ask, else last)"],
      [INDEX_COLOR, "index (today's rental price)"],
      ["transparent", "▼ the month in the ladder"],
    ]),
  );
}

function resetCurve() {
  ensureCurve();
  curve.series.setData([]);
  if (curve.indexLine) {
    curve.series.removePriceLine(curve.indexLine);
    curve.indexLine = null;
  }
}

async function pollCurve() {
  if (document.hidden || rpc.status !== "online" || !S.product) return;
  const product = S.product;
  try {
    // the whole curve of the product in one request
    const rows = await rpc.call("public/get_book_summary_by_currency", {
      currency: product,
      kind: "future",
    });
    if (product !== S.product) return;
    for (const r of rows) S.curveSummary.set(r.instrument_name, r);
    drawCurve();
  } catch (err) {
    console.warn("curve poll failed", err);
  }
}

/** The market's price of one month, $/GPU-hour: mid of bid and ask, else last, else mark.
 * From the live ticker of the month in the ladder, else the polled book summary. */
function curvePrice(name) {
  const t = name === S.instrument ? S.curveTickers.get(name) : null;
  if (t) {
    if (t.best_bid_price > 0 && t.best_ask_price > 0)
      return (t.best_bid_price + t.best_ask_price) / 2;
    if (t.last_price > 0) return t.last_price;
    return t.mark_price;
  }
  const r = S.curveSummary.get(name);
  if (!r) return null;
  return r.mid_price > 0 ? r.mid_price : r.last > 0 ? r.last : r.mark_price;
}

function drawCurve() {
  ensureCurve();
  const chain = S.byProduct.get(S.product) || [];
  const data = [];
  for (const inst of chain) {
    const time = fmt.contractMonthDate(inst.instrument_name, inst);
    const value = curvePrice(inst.instrument_name);
    if (!time || !(value > 0)) continue;
    data.push({ time, value });
  }
  data.sort((a, b) => (a.time < b.time ? -1 : 1));
  curve.series.setData(data);
  // The plotted marks, readable by page tests and assistive tools.
  $("curve-chart").dataset.marks = data.map((d) => d.value.toFixed(2)).join(" ");
  fit(curve.chart);
  markCurveSelection();
  updateCurveIndex();
}

function markCurveSelection() {
  if (!curve.series || !S.instrument) return;
  const time = fmt.contractMonthDate(S.instrument, S.byName.get(S.instrument));
  const has = curve.series.data().some((d) => d.time === time);
  curve.series.setMarkers(
    has ? [{ time, position: "aboveBar", color: "#111827", shape: "arrowDown" }] : [],
  );
}

function updateCurveIndex() {
  if (!curve.series) return;
  const value = S.index[S.product];
  if (typeof value !== "number") return;
  $("curve-chart").dataset.index = value.toFixed(2);
  if (curve.indexLine)
    curve.indexLine.applyOptions({ price: value, title: `index ${fmt.price(value)}` });
  else curve.indexLine = levelLine(curve.series, value, `index ${fmt.price(value)}`);
}

// ---- timers ---------------------------------------------------------------------------

function tick() {
  renderClock();
  for (const node of document.querySelectorAll('[data-testid="tender-countdown"]')) {
    const id = node.closest('[data-testid="tender"]').dataset.tenderId;
    const t = S.tenders.get(id);
    if (!t) continue;
    const left = t.deadline - Date.now();
    node.textContent = fmt.countdown(left);
    if (left <= 0 && tenderState(t) === "offered") {
      t.state = "expired";
      renderTenders();
    }
  }
}

const throttled = new Map();
function throttle(key, ms, fn) {
  if (throttled.has(key)) return;
  throttled.set(
    key,
    setTimeout(() => {
      throttled.delete(key);
      fn();
    }, ms),
  );
}

const timers = new Map();
function debounce(key, ms, fn) {
  clearTimeout(timers.get(key));
  timers.set(key, setTimeout(fn, ms));
}

main();
