// A student's membership of a game, kept in sessionStorage (per browser tab) so a reload
// of /play logs the same player in again (public/game/join, then public/auth).

import { loadJson, saveJson } from "./ui.js";

const KEY = "flopex.player";

/** The stored player ({code, name, player_id, client_id, client_secret, role, …}) or null. */
export function storedPlayer(code = null) {
  const player = loadJson(sessionStorage, KEY);
  if (!player || !player.client_id || !player.client_secret) return null;
  if (code && player.code !== code) return null;
  return player;
}

export function forgetPlayer() {
  saveJson(sessionStorage, KEY, null);
}

export function normalizeCode(code) {
  return String(code || "")
    .trim()
    .toUpperCase();
}

/** Join game `code` as `name`; keeps the answer (with its API key) for this tab. */
export async function joinGame(rpc, code, name) {
  const result = await rpc.call("public/game/join", {
    code: normalizeCode(code),
    name: name.trim(),
  });
  const player = {
    ...result,
    code: result.code || normalizeCode(code),
    name: result.name || name.trim(),
  };
  saveJson(sessionStorage, KEY, player);
  return player;
}
