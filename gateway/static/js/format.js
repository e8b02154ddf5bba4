// Formatting of prices, money, amounts, instruments and times for the pages.
//
// Prices on the wire are dollars per GPU-hour with a tick of $0.01; amounts are
// contracts of 730 GPU-hours (one GPU for a month).

export const CONTRACT_HOURS = 730;
export const TICK = 0.01;

const usdFormat = new Intl.NumberFormat("en-US", {
  style: "currency",
  currency: "USD",
  minimumFractionDigits: 2,
  maximumFractionDigits: 2,
});
const intFormat = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const MONTH_INDEX = Object.fromEntries(MONTHS.map((m, i) => [m.toUpperCase(), i]));

function isNum(x) {
  return typeof x === "number" && Number.isFinite(x);
}

/** "$2.41" (a price per GPU-hour), "—" when there is none. */
export function price(p) {
  return isNum(p) && p > 0 ? `$${p.toFixed(2)}` : "—";
}

/** "2.41" without the dollar sign (ladder cells). */
export function priceBare(p) {
  return isNum(p) ? p.toFixed(2) : "—";
}

/** "$2.41/GPU-h". */
export function pricePerHour(p) {
  return isNum(p) && p > 0 ? `$${p.toFixed(2)}/GPU-h` : "—";
}

/** "$12,345.67"; "—" for null. */
export function usd(x) {
  return isNum(x) ? usdFormat.format(x) : "—";
}

/** "+$1,234.00" / "−$56.00" (P&L, scores). */
export function signedUsd(x) {
  if (!isNum(x)) return "—";
  if (x > 0) return `+${usdFormat.format(x)}`;
  if (x < 0) return `−${usdFormat.format(-x)}`;
  return usdFormat.format(0);
}

/** CSS class for a signed number: "pos", "neg" or "". */
export function signClass(x) {
  return !isNum(x) || x === 0 ? "" : x > 0 ? "pos" : "neg";
}

/** "12" contracts as a plain integer with thousands separators. */
export function amount(n) {
  return isNum(n) ? intFormat.format(n) : "—";
}

/** "3 contracts (2,190 GPU-h)". */
export function contracts(n) {
  if (!isNum(n)) return "—";
  const word = Math.abs(n) === 1 ? "contract" : "contracts";
  return `${intFormat.format(n)} ${word} (${intFormat.format(n * CONTRACT_HOURS)} GPU-h)`;
}

/** Dollar value of `amount` contracts at `p` $/GPU-h. */
export function notional(p, n) {
  return p * n * CONTRACT_HOURS;
}

/** "45%" from 0.45. */
export function percent(x) {
  return isNum(x) ? `${Math.round(x * 100)}%` : "—";
}

/** Split "H100-31MAR27" into {product, year, month (0-11), label "Mar 2027", short "Mar 27"}. */
export function parseInstrument(name) {
  const m = /^([A-Z0-9]+)-(\d{1,2})([A-Z]{3})(\d{2})$/.exec(name || "");
  if (!m) return { product: (name || "").split("-")[0], label: name, short: name };
  const month = MONTH_INDEX[m[3]];
  const year = 2000 + Number(m[4]);
  return {
    product: m[1],
    year,
    month,
    label: `${MONTHS[month]} ${year}`,
    short: `${MONTHS[month]} ${m[4]}`,
  };
}

/** "H100 Mar 2027" for an instrument name. */
export function instrumentLabel(name) {
  const p = parseInstrument(name);
  return p.year ? `${p.product} ${p.label}` : name;
}

/** The instrument's contract month as a "YYYY-MM-01" date (a chart coordinate). */
export function contractMonthDate(name, instrument) {
  if (instrument && typeof instrument.delivery_start === "string") {
    return `${instrument.delivery_start.slice(0, 7)}-01`;
  }
  const p = parseInstrument(name);
  if (!p.year) return null;
  return `${p.year}-${String(p.month + 1).padStart(2, "0")}-01`;
}

export function monthLabelOfDate(isoDate) {
  const [y, m] = isoDate.split("-").map(Number);
  return `${MONTHS[m - 1]} '${String(y).slice(2)}`;
}

/** "30 Nov 14:03" (venue time, UTC) from ms since the epoch. On the game clock a
 * trading day passes in seconds, so the day matters and the seconds do not. */
export function time(ms) {
  if (!isNum(ms)) return "—";
  const d = new Date(ms);
  const day = d.toLocaleDateString("en-GB", { timeZone: "UTC", day: "numeric", month: "short" });
  const hm = d.toLocaleTimeString("en-GB", {
    timeZone: "UTC",
    hour: "2-digit",
    minute: "2-digit",
    hour12: false,
  });
  return `${day} ${hm}`;
}

/** "2026-11-22" (UTC) from ms since the epoch. */
export function date(ms) {
  return isNum(ms) ? new Date(ms).toISOString().slice(0, 10) : "—";
}

/** "4:05" from milliseconds (never negative). */
export function countdown(ms) {
  if (!isNum(ms)) return "—";
  const s = Math.max(0, Math.ceil(ms / 1000));
  const m = Math.floor(s / 60);
  return `${m}:${String(s % 60).padStart(2, "0")}`;
}

/** Round a price to the tick grid (floating-point safe). */
export function roundTick(p) {
  return Math.round(p / TICK) * TICK;
}

/** Integer tick index of a price (for keys and arithmetic). */
export function ticks(p) {
  return Math.round(p / TICK);
}

export function humanize(word) {
  if (typeof word !== "string") return "";
  const s = word.replace(/_/g, " ");
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** "Round 2 of 4: the glut arrives" from a game state's round, rounds_total, round_title. */
export function roundLabel(g) {
  const of = g.rounds_total ? ` of ${g.rounds_total}` : "";
  const title =
    typeof g.round_title === "string" ? g.round_title.replace(/^round\s*\d+\s*[:.-]?\s*/i, "") : "";
  return `Round ${g.round}${of}${title ? `: ${title}` : ""}`;
}
