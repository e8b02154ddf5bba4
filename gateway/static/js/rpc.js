// JSON-RPC 2.0 client over the gateway's websocket (/ws/api/v2, docs/protocol.md).
//
// - every call gets a fresh integer id and a promise, resolved with `result` or rejected
//   with an RpcError carrying the server's code, message and data.reason;
// - subscriptions: handlers per channel name; public channels through public/subscribe,
//   `user.*` channels through private/subscribe;
// - heartbeats: asks for public/set_heartbeat and answers every `test_request` with
//   public/test;
// - reconnects with exponential backoff (0.5 s doubling to 10 s, with jitter), then logs
//   in again with the stored credentials and subscribes to every channel again (book
//   channels send a fresh snapshot); listeners of "reconnect" reload their state;
// - access tokens expire (900 s): the client logs in again before that, and retries a
//   private call once if the server answers that the token is no longer valid.

const CALL_TIMEOUT_MS = 20000;
const HEARTBEAT_S = 15;
const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 10000;
const AUTH_CODES = new Set([10000, 13004, 13009]);

export class RpcError extends Error {
  constructor(code, message, data) {
    const reason = data && data.reason ? data.reason : "";
    super(reason || message || "error");
    this.name = "RpcError";
    this.code = code;
    this.rpcMessage = message || "";
    this.reason = reason;
    this.param = data && data.param ? data.param : null;
  }

  /** The server's words: its reason if it gave one, then the message and code. */
  describe() {
    if (this.code === undefined || this.code === null) return this.message;
    if (this.reason && this.rpcMessage && this.reason !== this.rpcMessage) {
      return `${this.reason} (${this.rpcMessage}, ${this.code})`;
    }
    return `${this.reason || this.rpcMessage} (${this.code})`;
  }
}

export function defaultUrl() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  return `${scheme}://${location.host}/ws/api/v2`;
}

export class RpcClient {
  constructor(url = defaultUrl()) {
    this.url = url;
    this.ws = null;
    this.nextId = 1;
    this.pending = new Map();
    this.handlers = new Map();
    this.credentials = null;
    this.tokens = null;
    this.listeners = { status: new Set(), reconnect: new Set(), auth: new Set() };
    this.status = "connecting";
    this.attempt = 0;
    this.everConnected = false;
    this.closing = false;
    this.refreshTimer = null;
    this.subscribed = new Set();
    this._newReady();
  }

  _newReady() {
    this.ready = new Promise((resolve) => {
      this._resolveReady = resolve;
    });
  }

  on(event, fn) {
    this.listeners[event].add(fn);
    return () => this.listeners[event].delete(fn);
  }

  _emit(event, value) {
    for (const fn of this.listeners[event]) {
      try {
        fn(value);
      } catch (err) {
        console.warn(`listener of ${event} failed`, err);
      }
    }
  }

  _setStatus(status) {
    this.status = status;
    this._emit("status", status);
  }

  /** Open the connection; resolves once it is usable (logged in if credentials are set). */
  connect() {
    this.closing = false;
    if (!this.ws) this._open();
    return this.ready;
  }

  close() {
    this.closing = true;
    clearTimeout(this.refreshTimer);
    if (this.ws) this.ws.close(1000, "bye");
  }

  _open() {
    this._setStatus(this.everConnected ? "reconnecting" : "connecting");
    const ws = new WebSocket(this.url);
    this.ws = ws;
    ws.onopen = () => this._setup(ws);
    ws.onmessage = (ev) => this._onMessage(ev.data);
    ws.onclose = () => this._onClose(ws);
    ws.onerror = () => {}; // onclose follows and reconnects
  }

  async _setup(ws) {
    try {
      await this._rawCall("public/set_heartbeat", { interval: HEARTBEAT_S });
      if (this.credentials) await this._login();
      this.subscribed = new Set();
      for (let round = 0; round < 5; round++) {
        const channels = [...this.handlers.keys()].filter((c) => !this.subscribed.has(c));
        if (!channels.length) break;
        await this._sendSubscribe(channels);
      }
    } catch (err) {
      console.warn("setting up the connection failed", err);
      if (err instanceof RpcError && AUTH_CODES.has(err.code)) {
        // Credentials no longer valid: stay connected, the page decides what to do.
        this._emit("auth", { ok: false, error: err });
      } else if (ws.readyState === WebSocket.OPEN) {
        ws.close(4000, "setup failed");
        return;
      }
    }
    if (ws !== this.ws) return;
    const reconnected = this.everConnected;
    this.everConnected = true;
    this.attempt = 0;
    this._setStatus("online");
    this._resolveReady();
    if (reconnected) this._emit("reconnect");
  }

  _onClose(ws) {
    if (ws !== this.ws) return;
    this.ws = null;
    for (const [, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new RpcError(null, "connection lost"));
    }
    this.pending.clear();
    clearTimeout(this.refreshTimer);
    this._newReady();
    if (this.closing) {
      this._setStatus("closed");
      return;
    }
    this._setStatus("offline");
    const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** this.attempt);
    this.attempt += 1;
    const delay = base / 2 + Math.random() * (base / 2);
    setTimeout(() => {
      if (!this.closing && !this.ws) this._open();
    }, delay);
  }

  _onMessage(text) {
    let msg;
    try {
      msg = JSON.parse(text);
    } catch {
      console.warn("not JSON from the server", text);
      return;
    }
    if (msg.id !== undefined && msg.id !== null && this.pending.has(msg.id)) {
      const p = this.pending.get(msg.id);
      this.pending.delete(msg.id);
      clearTimeout(p.timer);
      if (msg.error) p.reject(new RpcError(msg.error.code, msg.error.message, msg.error.data));
      else p.resolve(msg.result);
      return;
    }
    if (msg.method === "subscription" && msg.params) {
      const fns = this.handlers.get(msg.params.channel);
      if (!fns) return;
      for (const fn of fns) {
        try {
          fn(msg.params.data, msg.params.channel);
        } catch (err) {
          console.warn(`handler of ${msg.params.channel} failed`, err);
        }
      }
      return;
    }
    if (msg.method === "heartbeat" && msg.params && msg.params.type === "test_request") {
      this._rawCall("public/test", {}).catch(() => {});
    }
  }

  _rawCall(method, params = {}) {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) {
      return Promise.reject(new RpcError(null, "not connected"));
    }
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new RpcError(null, `no answer to ${method} within ${CALL_TIMEOUT_MS / 1000} s`));
      }, CALL_TIMEOUT_MS);
      this.pending.set(id, { resolve, reject, timer });
      ws.send(JSON.stringify({ jsonrpc: "2.0", id, method, params }));
    });
  }

  /** Call `method`; waits for the connection. Rejects with an RpcError. */
  async call(method, params = {}) {
    await this.ready;
    try {
      return await this._rawCall(method, params);
    } catch (err) {
      if (
        err instanceof RpcError &&
        AUTH_CODES.has(err.code) &&
        this.credentials &&
        !method.startsWith("public/")
      ) {
        await this._login();
        return this._rawCall(method, params);
      }
      throw err;
    }
  }

  /** Log in with client_credentials; kept for reconnects and token renewal. */
  async login(clientId, clientSecret) {
    this.credentials = { client_id: clientId, client_secret: clientSecret };
    await this.ready;
    try {
      return await this._login();
    } catch (err) {
      this.credentials = null;
      throw err;
    }
  }

  async _login() {
    const tokens = await this._rawCall("public/auth", {
      grant_type: "client_credentials",
      ...this.credentials,
    });
    this.tokens = tokens;
    clearTimeout(this.refreshTimer);
    const ttl = Number(tokens.expires_in) || 900;
    this.refreshTimer = setTimeout(() => {
      this._login().catch((err) => console.warn("renewing the token failed", err));
    }, ttl * 800);
    this._emit("auth", { ok: true, tokens });
    return tokens;
  }

  get accessToken() {
    return this.tokens ? this.tokens.access_token : null;
  }

  /** Subscribe `handler(data, channel)` to each channel; returns an unsubscribe function. */
  async subscribe(channels, handler) {
    for (const ch of channels) {
      if (!this.handlers.has(ch)) this.handlers.set(ch, new Set());
      this.handlers.get(ch).add(handler);
    }
    const off = () => this.unsubscribe(channels, handler);
    await this.ready;
    const fresh = channels.filter((c) => !this.subscribed.has(c));
    if (fresh.length) await this._sendSubscribe(fresh);
    return off;
  }

  async _sendSubscribe(channels) {
    const priv = channels.filter((c) => c.startsWith("user."));
    const pub = channels.filter((c) => !c.startsWith("user."));
    for (const c of channels) this.subscribed.add(c);
    const got = [];
    try {
      if (pub.length) got.push(...(await this._rawCall("public/subscribe", { channels: pub })));
      if (priv.length) got.push(...(await this._rawCall("private/subscribe", { channels: priv })));
    } catch (err) {
      for (const c of channels) this.subscribed.delete(c);
      throw err;
    }
    return got;
  }

  /** Drop `handler` from the channels; unsubscribes those nobody listens to any more. */
  unsubscribe(channels, handler) {
    const gone = [];
    for (const ch of channels) {
      const fns = this.handlers.get(ch);
      if (!fns) continue;
      fns.delete(handler);
      if (fns.size === 0) {
        this.handlers.delete(ch);
        gone.push(ch);
      }
    }
    for (const c of gone) this.subscribed.delete(c);
    if (gone.length && this.status === "online") {
      const priv = gone.filter((c) => c.startsWith("user."));
      const pub = gone.filter((c) => !c.startsWith("user."));
      if (pub.length) this._rawCall("public/unsubscribe", { channels: pub }).catch(() => {});
      if (priv.length) this._rawCall("private/unsubscribe", { channels: priv }).catch(() => {});
    }
  }
}
