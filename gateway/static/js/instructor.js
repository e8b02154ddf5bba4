// Instructor console (/instructor): log in with an instructor (or administrator) key, create or open a game,
// run its rounds, publish news and shocks, offer tenders, set limits, start house bots,
// show the leaderboard, end the game and open the debrief.
//
// The login can be prefilled from the URL fragment (#client_id=…&client_secret=…, as the
// launcher prints it); it is then removed from the address bar and kept for this tab.
//
// data-testid:
//   connection-status, logout, console-game-title
//   login-panel, login-form, login-client-id, login-client-secret, login-submit
//   console-screen; create-panel, scenario-select, scenario-summary, game-title-input,
//     create-game, game-code-input, game-open
//   game-screen; game-code (the code, big), join-url, game-state (data-state), state-text,
//     round-clock, venue-date, round-open, round-pause, round-resume, round-close
//     (enabled as the state allows), leaderboard-toggle (aria-pressed), debrief-link,
//     switch-game, end-game (asks), end-game-confirm-box, end-game-confirm, end-game-cancel
//   mini-product-tabs, mini-product-{H100|B200|A100}, index-values, index-{H100|B200|A100},
//     mini-curve-chart, mini-curve-legend, chart-attribution
//   players-table, player-count, player-row (data-player-id), role-select (data-player-id)
//   console-leaderboard, console-leaderboard-row (top 10, whether or not students see it)
//   shock-product, shock-size, shock-headline, shock-demand-spike, shock-gpu-glut,
//     shock-generation-launch, shock-custom
//   news-form, news-headline, news-body, news-submit, news-log, news-log-item
//   tender-form, tender-target (role:<id> | player:<id>), tender-instrument, tender-side,
//     tender-amount, tender-price, tender-expires, tender-submit, tenders-table, tender-row
//   limits-form, limits-max-order, limits-max-position, limits-submit
//   bots-kind, bots-count, spawn-bots, stop-bots, bots-status
//   toast (data-kind): every refusal with the server's message
//
// Calls: public/auth, admin/game/list_scenarios, admin/game/create, admin/game/get_state,
//   admin/game/assign_role, admin/game/round, admin/game/news, admin/game/shock,
//   admin/game/tender, admin/game/set_limits, admin/game/spawn_bots, admin/game/stop_bots,
//   admin/game/leaderboard, admin/game/end, public/get_instruments,
//   public/get_book_summary_by_currency.
// Channels: game.{code}, deribit_price_index.{h100|b200|a100}_usd.

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
const GAME_KEY = "flopex.admin.game";
const POLL_MS = 3000;
const CURVE_POLL_MS = 5000;
const ROUND_ACTIONS = {
  open: ["lobby", "closed"],
  pause: ["open"],
  resume: ["paused"],
  close: ["open", "paused"],
};

const rpc = new RpcClient();
const S = {
  creds: null,
  scenarios: [],
  code: null,
  game: null,
  instruments: [],
  byProduct: new Map(),
  product: null,
  index: {},
  roundEndsAt: null,
  roundLeftMs: null,
  offGame: null,
  pollTimer: null,
};

function main() {
  bindConnection(rpc, $("connection-status"));
  $("footer").append(attribution());
  rpc.connect();
  const fromHash = hashParams();
  let creds = null;
  if (fromHash.client_id && fromHash.client_secret) {
    creds = { client_id: fromHash.client_id, client_secret: fromHash.client_secret };
    // Keep the secret out of the address bar (and out of screenshots of the projector).
    history.replaceState(null, "", location.pathname + location.search);
  } else {
    creds = loadJson(sessionStorage, ADMIN_KEY);
  }
  $("login-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    login({
      client_id: $("login-client-id").value.trim(),
      client_secret: $("login-client-secret").value,
    });
  });
  $("logout").addEventListener("click", () => {
    saveJson(sessionStorage, ADMIN_KEY, null);
    saveJson(sessionStorage, GAME_KEY, null);
    location.assign("/instructor");
  });
  wireControls();
  if (creds) {
    $("login-client-id").value = creds.client_id;
    $("login-client-secret").value = creds.client_secret;
    login(creds);
  } else {
    showLogin();
  }
}

function showLogin() {
  $("login-panel").classList.remove("hidden");
  $("console-screen").classList.add("hidden");
  $("login-client-id").focus();
}

async function login(creds) {
  await act($("login-submit"), "Log in", async () => {
    await rpc.connect();
    const tokens = await rpc.login(creds.client_id, creds.client_secret);
    const scope = String(tokens.scope || "");
    if (!scope.includes("instructor") && !scope.includes("admin")) {
      throw new Error("this key is not an instructor's (or an administrator's) key");
    }
    S.creds = creds;
    saveJson(sessionStorage, ADMIN_KEY, creds);
    $("login-panel").classList.add("hidden");
    $("console-screen").classList.remove("hidden");
    $("logout").classList.remove("hidden");
    rpc.on("reconnect", () => S.code && refresh());
    await Promise.all([loadScenarios(), loadInstruments()]);
    rpc
      .subscribe(
        ["h100", "b200", "a100"].map((p) => `deribit_price_index.${p}_usd`),
        onIndex,
      )
      .catch(() => {});
    const code = normalizeCode(queryParam("code")) || loadJson(sessionStorage, GAME_KEY);
    if (code) await openGame(code, true);
    setInterval(() => S.code && !document.hidden && refresh(), POLL_MS);
    setInterval(() => !document.hidden && pollCurve(), CURVE_POLL_MS);
    setInterval(renderClock, 250);
  });
  if (!S.creds) showLogin();
}

// ---- scenarios and games ------------------------------------------------------------

async function loadScenarios() {
  try {
    S.scenarios = await rpc.call("admin/game/list_scenarios", {});
  } catch (err) {
    showError("Scenarios", err);
    S.scenarios = [];
  }
  const select = $("scenario-select");
  select.replaceChildren(
    ...S.scenarios.map((s) =>
      el(
        "option",
        { value: s.name, disabled: Boolean(s.error) },
        s.error ? `${s.name} (broken: ${s.error})` : `${s.title} (${s.name})`,
      ),
    ),
  );
  const describe = () => {
    const s = S.scenarios.find((x) => x.name === select.value);
    if (!s) return setText("scenario-summary", "");
    const rounds = (s.rounds || []).map((r) => `${r.title} (${r.minutes} min)`).join(" · ");
    const roles = (s.roles || []).map((r) => r.title).join(", ");
    setText(
      "scenario-summary",
      `${s.summary || ""} Rounds: ${rounds || "—"}. Roles: ${roles || "—"}.`,
    );
  };
  select.onchange = describe;
  if (S.scenarios.some((s) => s.name === "intro")) select.value = "intro";
  describe();
}

async function createGame(button) {
  const scenario = $("scenario-select").value;
  if (!scenario) return showError("Create game", new Error("choose a scenario"));
  const title = $("game-title-input").value.trim();
  await act(button, "Create game", async () => {
    const params = { scenario };
    if (title) params.title = title;
    const game = await rpc.call("admin/game/create", params);
    toast(`Game ${game.code} created.`, "ok", 4000);
    await openGame(game.code, false, game);
  });
}

async function openGame(code, quiet, state = null) {
  code = normalizeCode(code);
  try {
    const game = state || (await rpc.call("admin/game/get_state", { code }));
    if (S.offGame) S.offGame();
    S.code = game.code || code;
    saveJson(sessionStorage, GAME_KEY, S.code);
    history.replaceState(null, "", `/instructor?code=${encodeURIComponent(S.code)}`);
    $("create-panel").classList.add("hidden");
    $("game-screen").classList.remove("hidden");
    const handler = (data) => onGameChannel(data);
    rpc.subscribe([`game.${S.code}`], handler).catch((err) => showError("Game channel", err));
    S.offGame = () => rpc.unsubscribe([`game.${S.code}`], handler);
    applyGame(game);
    setupDebriefLink();
  } catch (err) {
    saveJson(sessionStorage, GAME_KEY, null);
    if (!quiet) showError(`Open game ${code}`, err);
  }
}

function switchGame() {
  if (S.offGame) S.offGame();
  S.code = null;
  S.game = null;
  saveJson(sessionStorage, GAME_KEY, null);
  history.replaceState(null, "", "/instructor");
  $("game-screen").classList.add("hidden");
  $("create-panel").classList.remove("hidden");
  setText("console-game-title", "");
}

async function refresh() {
  if (!S.code) return;
  try {
    applyGame(await rpc.call("admin/game/get_state", { code: S.code }));
  } catch (err) {
    console.warn("refreshing the game failed", err);
  }
}

function setupDebriefLink() {
  const link = $("debrief-link");
  const frag = S.creds
    ? `#client_id=${encodeURIComponent(S.creds.client_id)}&client_secret=${encodeURIComponent(S.creds.client_secret)}`
    : "";
  link.href = `/debrief?code=${encodeURIComponent(S.code)}${frag}`;
}

// ---- game state -----------------------------------------------------------------------

function applyGame(update) {
  const game = { ...update };
  // The public state notification counts players; get_state lists them.
  if (!Array.isArray(game.players)) delete game.players;
  S.game = { ...(S.game && S.game.code === game.code ? S.game : {}), ...game };
  const g = S.game;
  setText("game-code", g.code);
  setText("join-url", `${location.origin}/?code=${g.code}`);
  setText("console-game-title", g.title ? `· ${g.title}` : "");
  if ("round_ends_in_ms" in game) {
    S.roundLeftMs = typeof game.round_ends_in_ms === "number" ? game.round_ends_in_ms : null;
    S.roundEndsAt = S.roundLeftMs === null ? null : Date.now() + S.roundLeftMs;
  }
  if (game.index) Object.assign(S.index, game.index);
  renderState();
  if (game.players) renderPlayers();
  if (Array.isArray(game.leaderboard)) renderBoard(game.leaderboard);
  if (game.news) renderNewsLog();
  if (game.tenders) renderTenders();
  if (game.limits) renderLimits();
  if ("bots" in game) setText("bots-status", `${(game.bots || []).length} house bot(s) running.`);
  renderTargets();
  renderIndexValues();
}

function renderState() {
  const g = S.game;
  const box = $("game-state");
  box.dataset.state = g.state || "";
  let text = fmt.humanize(g.state || "");
  if (g.round) {
    text = `${fmt.roundLabel(g)} · ${text}`;
  } else if (g.rounds_total) {
    text = `${text} · ${g.rounds_total} rounds`;
  }
  setText("state-text", text);
  setText(
    "venue-date",
    g.clock && g.clock.date
      ? `market date ${g.clock.date}${g.clock.paused ? " (clock stopped)" : ""}`
      : "",
  );
  for (const [action, states] of Object.entries(ROUND_ACTIONS)) {
    $(`round-${action}`).disabled = !states.includes(g.state);
  }
  if (g.state === "closed" && g.rounds_total && g.round >= g.rounds_total)
    $("round-open").disabled = true;
  const ended = g.state === "ended";
  $("end-game").disabled = ended;
  $("debrief-link").classList.toggle("emphasis", ended);
  const lb = $("leaderboard-toggle");
  const visible = Boolean(g.leaderboard_visible);
  lb.setAttribute("aria-pressed", String(visible));
  lb.textContent = visible ? "Hide leaderboard" : "Show leaderboard";
  renderClock();
}

function renderClock() {
  const st = S.game && S.game.state;
  const node = $("round-clock");
  if (S.roundEndsAt !== null && (st === "open" || st === "paused")) {
    node.textContent = fmt.countdown(st === "paused" ? S.roundLeftMs : S.roundEndsAt - Date.now());
  } else {
    node.textContent = "";
  }
}

function onGameChannel(data) {
  if (!data || typeof data !== "object") return;
  if (data.type === "state") applyGame(data);
  else if (data.type === "index") {
    Object.assign(S.index, data.prices || {});
    renderIndexValues();
  } else if (data.type === "news") {
    S.game.news = [...(S.game.news || []), data];
    renderNewsLog();
  } else if (data.type === "leaderboard") {
    S.game.leaderboard_visible = data.visible;
    renderState();
  }
}

// ---- players ------------------------------------------------------------------------------

function roleOptions() {
  const g = S.game || {};
  if (Array.isArray(g.roles) && g.roles.length)
    return g.roles.map((r) => ({ id: r.id, title: r.title }));
  const sc = S.scenarios.find((s) => s.name === g.scenario);
  return sc ? sc.roles.map((r) => ({ id: r.id, title: r.title })) : [];
}

function renderPlayers() {
  const players = S.game.players || [];
  setText("player-count", `(${players.length})`);
  const roles = roleOptions();
  const body = $("players-table").tBodies[0];
  const focused = document.activeElement && document.activeElement.dataset.testid === "role-select";
  if (focused) return; // do not yank a select from under the pointer
  fillBody(
    body,
    players.map((p) => {
      const select = el(
        "select",
        {
          testid: "role-select",
          dataset: { playerId: p.player_id },
          "aria-label": `Role of ${p.name}`,
          disabled: S.game.state === "ended",
        },
        roles.map((r) => el("option", { value: r.id, selected: r.id === p.role }, r.title)),
      );
      select.addEventListener("change", () => assignRole(select, p, select.value));
      const status = p.defaulted ? "defaulted" : p.margin_calls ? "called" : "ok";
      return el(
        "tr",
        { testid: "player-row", dataset: { playerId: p.player_id } },
        el("td", {}, el("strong", {}, p.name)),
        el("td", {}, select),
        el("td", { class: `num ${fmt.signClass(p.pnl)}` }, fmt.signedUsd(p.pnl)),
        el("td", { class: `num ${fmt.signClass(p.objective)}` }, fmt.signedUsd(p.objective)),
        el("td", { class: `num ${fmt.signClass(p.total)}` }, fmt.signedUsd(p.total)),
        el(
          "td",
          { class: "num" },
          typeof p.attainment === "number"
            ? `${p.hedged ?? 0} (${fmt.percent(p.attainment)})`
            : "—",
        ),
        el("td", { class: "num" }, String(p.margin_calls ?? 0)),
        el("td", { class: p.defaulted ? "neg" : "" }, status),
      );
    }),
    "No players yet: students join with the code above.",
    8,
  );
}

function renderBoard(rows) {
  fillBody(
    $("console-leaderboard").tBodies[0],
    rows
      .slice(0, 10)
      .map((r) =>
        el(
          "tr",
          { testid: "console-leaderboard-row" },
          el("td", {}, String(r.rank)),
          el("td", {}, r.name),
          el("td", { class: "small" }, r.role),
          el("td", { class: `num ${fmt.signClass(r.total)}` }, fmt.signedUsd(r.total)),
        ),
      ),
    "No players yet.",
    4,
  );
}

async function assignRole(select, player, role) {
  await act(select, `Role of ${player.name}`, async () => {
    await rpc.call("admin/game/assign_role", { code: S.code, player_id: player.player_id, role });
    toast(`${player.name} is now ${role}.`, "ok", 3000);
    await refresh();
  });
}

// ---- controls -----------------------------------------------------------------------------

function wireControls() {
  $("create-game").addEventListener("click", (ev) => createGame(ev.currentTarget));
  $("game-open").addEventListener("click", (ev) => {
    const code = normalizeCode($("game-code-input").value);
    if (code) act(ev.currentTarget, `Open game ${code}`, () => openGame(code, false));
  });
  $("game-code-input").addEventListener("keydown", (ev) => {
    if (ev.key === "Enter") $("game-open").click();
  });
  $("switch-game").addEventListener("click", switchGame);
  for (const action of Object.keys(ROUND_ACTIONS)) {
    $(`round-${action}`).addEventListener("click", (ev) =>
      act(ev.currentTarget, `${fmt.humanize(action)} round`, async () => {
        applyGame(await rpc.call("admin/game/round", { code: S.code, action }));
      }).then(renderState),
    );
  }
  $("leaderboard-toggle").addEventListener("click", (ev) => {
    const visible = !(S.game && S.game.leaderboard_visible);
    act(ev.currentTarget, "Leaderboard", async () => {
      await rpc.call("admin/game/leaderboard", { code: S.code, visible });
      S.game.leaderboard_visible = visible;
    }).then(renderState);
  });
  $("end-game").addEventListener("click", () => {
    $("end-game-confirm-box").classList.remove("hidden");
    $("end-game-confirm").focus();
  });
  $("end-game-cancel").addEventListener("click", () =>
    $("end-game-confirm-box").classList.add("hidden"),
  );
  $("end-game-confirm").addEventListener("click", (ev) =>
    act(ev.currentTarget, "End game", async () => {
      const result = await rpc.call("admin/game/end", { code: S.code });
      $("end-game-confirm-box").classList.add("hidden");
      toast("Game ended: scores are final. Open the debrief.", "ok", 6000);
      if (result && typeof result === "object" && result.code) applyGame(result);
      await refresh();
    }),
  );
  const shocks = {
    "shock-demand-spike": "demand_spike",
    "shock-gpu-glut": "gpu_glut",
    "shock-generation-launch": "generation_launch",
    "shock-custom": "custom",
  };
  for (const [id, kind] of Object.entries(shocks)) {
    $(id).addEventListener("click", (ev) => shock(ev.currentTarget, kind));
  }
  $("news-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const headline = $("news-headline").value.trim();
    const body = $("news-body").value.trim();
    if (!headline) return;
    act($("news-submit"), "Publish news", async () => {
      await rpc.call("admin/game/news", { code: S.code, headline, body });
      $("news-headline").value = "";
      $("news-body").value = "";
      toast("News published.", "ok", 3000);
      await refresh();
    });
  });
  $("tender-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    offerTender();
  });
  $("tender-instrument").addEventListener("change", prefillTenderPrice);
  $("limits-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const params = { code: S.code };
    const order = $("limits-max-order").value;
    const position = $("limits-max-position").value;
    if (order !== "") params.max_order_amount = Number(order);
    if (position !== "") params.max_position = Number(position);
    act($("limits-submit"), "Set limits", async () => {
      const limits = await rpc.call("admin/game/set_limits", params);
      S.game.limits = limits;
      renderLimits(true);
      toast("Limits set.", "ok", 3000);
    });
  });
  $("spawn-bots").addEventListener("click", (ev) => {
    const kind = $("bots-kind").value;
    const count = Number($("bots-count").value) || 1;
    act(ev.currentTarget, "Start bots", async () => {
      await rpc.call("admin/game/spawn_bots", { code: S.code, kind, count });
      toast(`Started ${count} ${kind.replace("_", " ")} bot(s).`, "ok", 3000);
      await refresh();
    });
  });
  $("stop-bots").addEventListener("click", (ev) =>
    act(ev.currentTarget, "Stop bots", async () => {
      await rpc.call("admin/game/stop_bots", { code: S.code });
      toast("House bots stopped; their orders are cancelled.", "ok", 3000);
      await refresh();
    }),
  );
}

async function shock(button, kind) {
  const params = { code: S.code, kind };
  const product = $("shock-product").value;
  const size = $("shock-size").value;
  const headline = $("shock-headline").value.trim();
  if (product) params.product = product;
  if (size !== "") params.size_pct = kind === "custom" ? Number(size) : Math.abs(Number(size));
  if (headline) params.headline = headline;
  await act(button, `Shock ${fmt.humanize(kind)}`, async () => {
    const result = await rpc.call("admin/game/shock", params);
    const moves = result && (result.moves || (result.news && result.news.moves));
    const text = moves
      ? Object.entries(moves)
          .map(([p, m]) => `${p} ${m > 0 ? "+" : ""}${m}%`)
          .join(", ")
      : "";
    toast(`${fmt.humanize(kind)} published${text ? `: ${text}` : ""}.`, "ok", 5000);
    $("shock-headline").value = "";
    await refresh();
  });
}

function renderLimits(force = false) {
  const l = S.game.limits || {};
  for (const [id, key] of [
    ["limits-max-order", "max_order_amount"],
    ["limits-max-position", "max_position"],
  ]) {
    const input = $(id);
    if (force || (document.activeElement !== input && input.dataset.filled !== "1")) {
      input.value = l[key] ?? "";
      input.dataset.filled = "1";
    }
  }
}

function renderNewsLog() {
  const list = (S.game.news || [])
    .slice()
    .sort((a, b) => (b.ts || 0) - (a.ts || 0))
    .slice(0, 8);
  $("news-log").replaceChildren(
    ...list.map((n) => el("li", { testid: "news-log-item" }, `${fmt.time(n.ts)} ${n.headline}`)),
  );
}

// ---- tenders --------------------------------------------------------------------------------

function renderTargets() {
  const select = $("tender-target");
  const current = select.value;
  const roles = roleOptions();
  const players = (S.game && S.game.players) || [];
  const key = JSON.stringify([roles, players.map((p) => [p.player_id, p.name])]);
  if (select.dataset.key === key) return;
  select.dataset.key = key;
  select.replaceChildren(
    el(
      "optgroup",
      { label: "Every player of a role" },
      roles.map((r) => el("option", { value: `role:${r.id}` }, r.title)),
    ),
    players.length
      ? el(
          "optgroup",
          { label: "One player" },
          players.map((p) => el("option", { value: `player:${p.player_id}` }, p.name)),
        )
      : null,
  );
  if (current) select.value = current;
}

async function offerTender() {
  const [kind, id] = $("tender-target").value.split(":");
  const params = {
    code: S.code,
    instrument: $("tender-instrument").value,
    side: $("tender-side").value,
    amount: Number($("tender-amount").value),
    price: Number($("tender-price").value),
    expires_in_s: Number($("tender-expires").value) || 120,
  };
  if (kind === "role") params.role = id;
  else if (kind === "player") params.player_id = Number(id);
  await act($("tender-submit"), "Offer tender", async () => {
    const result = await rpc.call("admin/game/tender", params);
    const n = result && Array.isArray(result.tenders) ? result.tenders.length : 1;
    toast(`Tender offered to ${n} player${n === 1 ? "" : "s"}.`, "ok", 4000);
    await refresh();
  });
}

function renderTenders() {
  const names = new Map(((S.game && S.game.players) || []).map((p) => [p.player_id, p.name]));
  const list = (S.game.tenders || [])
    .slice()
    .sort((a, b) => b.tender_id - a.tender_id)
    .slice(0, 30);
  fillBody(
    $("tenders-table").tBodies[0],
    list.map((t) =>
      el(
        "tr",
        { testid: "tender-row", dataset: { tenderId: t.tender_id, state: t.state } },
        el("td", {}, String(t.tender_id)),
        el("td", {}, names.get(t.player_id) || String(t.player_id)),
        el(
          "td",
          {},
          `${t.side === "sell" ? "sells" : "buys"} ${t.amount} ${fmt.instrumentLabel(t.instrument_name)} @ ${fmt.priceBare(t.price)}`,
        ),
        el(
          "td",
          {},
          t.state === "offered" ? `offered (${fmt.countdown(t.expires_in_ms)})` : t.state,
        ),
      ),
    ),
    "No tenders yet.",
    4,
  );
}

// ---- market view ------------------------------------------------------------------------------

async function loadInstruments() {
  try {
    const list = await rpc.call("public/get_instruments", { currency: "any", kind: "future" });
    const rank = new Map(["H100", "B200", "A100"].map((p, i) => [p, i]));
    for (const i of list) if (!rank.has(i.base_currency)) rank.set(i.base_currency, rank.size);
    S.instruments = list
      .slice()
      .sort(
        (a, b) =>
          rank.get(a.base_currency) - rank.get(b.base_currency) ||
          a.expiration_timestamp - b.expiration_timestamp,
      );
  } catch (err) {
    showError("Contracts", err);
    return;
  }
  S.byProduct = new Map();
  for (const i of S.instruments) {
    if (!S.byProduct.has(i.base_currency)) S.byProduct.set(i.base_currency, []);
    S.byProduct.get(i.base_currency).push(i);
  }
  const products = [...S.byProduct.keys()];
  $("mini-product-tabs").replaceChildren(
    ...products.map((p) =>
      el(
        "button",
        {
          type: "button",
          testid: `mini-product-${p}`,
          "aria-pressed": "false",
          onclick: () => selectProduct(p),
        },
        p,
      ),
    ),
  );
  $("shock-product").append(...products.map((p) => el("option", { value: p }, p)));
  $("tender-instrument").replaceChildren(
    ...S.instruments.map((i) =>
      el(
        "option",
        { value: i.instrument_name },
        `${fmt.instrumentLabel(i.instrument_name)} (${i.instrument_name})`,
      ),
    ),
  );
  prefillTenderPrice();
  if (products.length) selectProduct(products.includes("H100") ? "H100" : products[0]);
}

async function prefillTenderPrice() {
  const name = $("tender-instrument").value;
  if (!name) return;
  try {
    const t = await rpc.call("public/ticker", { instrument_name: name });
    if (t.mark_price > 0) $("tender-price").value = t.mark_price.toFixed(2);
  } catch {
    /* leave the price for the instructor to type */
  }
}

function onIndex(data, channel) {
  if (!data || typeof data.price !== "number") return;
  S.index[channel.replace("deribit_price_index.", "").replace("_usd", "").toUpperCase()] =
    data.price;
  renderIndexValues();
}

function renderIndexValues() {
  const box = $("index-values");
  const products = [...S.byProduct.keys()];
  box.replaceChildren(
    ...products.map((p) =>
      el(
        "div",
        {},
        el("div", { class: "small muted" }, `${p} index`),
        el("span", { class: "big", testid: `index-${p}` }, fmt.price(S.index[p])),
      ),
    ),
  );
  updateCurveIndex();
}

const curve = { chart: null, series: null, indexLine: null };

function selectProduct(p) {
  S.product = p;
  for (const b of $("mini-product-tabs").children)
    b.setAttribute("aria-pressed", String(b.textContent === p));
  if (!curve.chart) {
    curve.chart = makeChart($("mini-curve-chart"), monthAxisOptions());
    curve.series = lineSeries(curve.chart, PALETTE[0], { lineWidth: 3, pointMarkersVisible: true });
    $("mini-curve-legend").replaceChildren(
      legend([
        [PALETTE[0], "futures price by contract month (mid, else last)"],
        [INDEX_COLOR, "index"],
      ]),
    );
  }
  curve.series.setData([]);
  if (curve.indexLine) {
    curve.series.removePriceLine(curve.indexLine);
    curve.indexLine = null;
  }
  pollCurve();
}

async function pollCurve() {
  if (!S.product || rpc.status !== "online") return;
  const product = S.product;
  const chain = S.byProduct.get(product) || [];
  let rows;
  try {
    rows = await rpc.call("public/get_book_summary_by_currency", {
      currency: product,
      kind: "future",
    });
  } catch (err) {
    console.warn("curve poll failed", err);
    return;
  }
  if (product !== S.product) return;
  const byName = new Map(rows.map((r) => [r.instrument_name, r]));
  const data = [];
  for (const inst of chain) {
    const r = byName.get(inst.instrument_name);
    const time = fmt.contractMonthDate(inst.instrument_name, inst);
    // mid of bid and ask, else last, else mark: what the market says the month is worth
    const value = !r ? null : r.mid_price > 0 ? r.mid_price : r.last > 0 ? r.last : r.mark_price;
    if (time && value > 0) data.push({ time, value });
  }
  data.sort((a, b) => (a.time < b.time ? -1 : 1));
  curve.series.setData(data);
  fit(curve.chart);
  updateCurveIndex();
}

function updateCurveIndex() {
  if (!curve.series) return;
  const value = S.index[S.product];
  if (typeof value !== "number") return;
  if (curve.indexLine)
    curve.indexLine.applyOptions({ price: value, title: `index ${fmt.price(value)}` });
  else curve.indexLine = levelLine(curve.series, value, `index ${fmt.price(value)}`);
}

main();
