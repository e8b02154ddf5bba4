// Small DOM helpers shared by the pages: element builder, toasts, tables, storage.
//
// Text from the server (names, headlines, messages) always goes in as text, never HTML.

import { RpcError } from "./rpc.js";

/** el("div", {class: "x", testid: "y", onclick: f}, child, "text", …). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "testid") node.dataset.testid = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on") && typeof value === "function") {
      node.addEventListener(key.slice(2), value);
    } else if (value === true) node.setAttribute(key, "");
    else node.setAttribute(key, String(value));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(node, child);
    else node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function $(testid, root = document) {
  return root.querySelector(`[data-testid="${testid}"]`);
}

export function setText(testid, text, root = document) {
  const node = $(testid, root);
  if (node) node.textContent = text;
  return node;
}

/** Replace the rows of a <tbody>; shows `empty` as one row when there are none. */
export function fillBody(tbody, rows, empty, columns) {
  tbody.replaceChildren();
  if (!rows.length) {
    tbody.append(el("tr", { class: "empty" }, el("td", { colspan: columns, text: empty })));
    return;
  }
  tbody.append(...rows);
}

// ---- toasts ---------------------------------------------------------------------

function toastArea() {
  let area = $("toast-area");
  if (!area) {
    area = el("div", {
      class: "toast-area",
      testid: "toast-area",
      role: "status",
      "aria-live": "polite",
    });
    document.body.append(area);
  }
  return area;
}

/** Show a message for a few seconds; kind is "error", "ok" or "info". Click to dismiss. */
export function toast(message, kind = "info", ms = 8000) {
  const node = el(
    "div",
    {
      class: `toast toast-${kind}`,
      testid: "toast",
      role: kind === "error" ? "alert" : "status",
      dataset: { kind },
      title: "click to dismiss",
    },
    message,
  );
  node.addEventListener("click", () => node.remove());
  const area = toastArea();
  area.prepend(node);
  while (area.children.length > 5) area.lastElementChild.remove();
  setTimeout(() => node.remove(), ms);
  return node;
}

/** Text of an error for a person: the server's own words for an RpcError. */
export function errorText(err) {
  if (err instanceof RpcError) return err.describe();
  return err && err.message ? err.message : String(err);
}

/** Show a refusal or failure: `what` says what was being done ("Buy 5 H100 Mar 27"). */
export function showError(what, err) {
  const text = errorText(err);
  toast(what ? `${what}: ${text}` : text, "error", 10000);
}

// ---- connection indicator -------------------------------------------------------

export function bindConnection(rpc, node) {
  const labels = {
    connecting: "connecting…",
    online: "connected",
    offline: "offline — reconnecting",
    reconnecting: "reconnecting…",
    closed: "closed",
  };
  const show = (status) => {
    node.textContent = labels[status] || status;
    node.dataset.status = status;
  };
  show(rpc.status);
  rpc.on("status", show);
}

// ---- storage and URL ------------------------------------------------------------

export function loadJson(storage, key) {
  try {
    const raw = storage.getItem(key);
    return raw ? JSON.parse(raw) : null;
  } catch {
    return null;
  }
}

export function saveJson(storage, key, value) {
  try {
    if (value === null || value === undefined) storage.removeItem(key);
    else storage.setItem(key, JSON.stringify(value));
  } catch {
    /* storage full or disabled: the page still works until reload */
  }
}

/** Parameters of the URL fragment: "#client_id=a&client_secret=b" → {client_id, client_secret}. */
export function hashParams() {
  return Object.fromEntries(new URLSearchParams(location.hash.replace(/^#/, "")));
}

export function queryParam(name) {
  return new URLSearchParams(location.search).get(name);
}

/** Run an async action from a button: disables it meanwhile, shows a refusal as a toast. */
export async function act(button, what, fn) {
  if (button) button.disabled = true;
  try {
    return await fn();
  } catch (err) {
    showError(what, err);
    return undefined;
  } finally {
    if (button) button.disabled = false;
  }
}
