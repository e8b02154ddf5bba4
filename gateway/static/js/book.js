// A local order book kept from a book.{instrument} channel (docs/protocol.md GW-6):
// a snapshot, then changes chained by prev_change_id; a gap asks for a resubscribe.

import { ticks } from "./format.js";

export class LocalBook {
  constructor(instrument, onGap) {
    this.instrument = instrument;
    this.onGap = onGap;
    this.bids = new Map(); // tick index → [price, amount]
    this.asks = new Map();
    this.changeId = null;
  }

  /** Apply one book message; returns false (and calls onGap) on a gap. */
  apply(msg) {
    if (msg.type === "snapshot") {
      this.bids.clear();
      this.asks.clear();
    } else if (this.changeId === null || msg.prev_change_id !== this.changeId) {
      this.changeId = null;
      if (this.onGap) this.onGap();
      return false;
    }
    for (const [action, price, amount] of msg.bids || [])
      this._set(this.bids, action, price, amount);
    for (const [action, price, amount] of msg.asks || [])
      this._set(this.asks, action, price, amount);
    this.changeId = msg.change_id;
    return true;
  }

  _set(side, action, price, amount) {
    const key = ticks(price);
    if (action === "delete" || amount === 0) side.delete(key);
    else side.set(key, [price, amount]);
  }

  bestBid() {
    let best = null;
    for (const key of this.bids.keys()) if (best === null || key > best) best = key;
    return best; // tick index or null
  }

  bestAsk() {
    let best = null;
    for (const key of this.asks.keys()) if (best === null || key < best) best = key;
    return best;
  }

  bidAt(tick) {
    const level = this.bids.get(tick);
    return level ? level[1] : 0;
  }

  askAt(tick) {
    const level = this.asks.get(tick);
    return level ? level[1] : 0;
  }
}
