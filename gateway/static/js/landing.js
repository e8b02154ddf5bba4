// Landing page (/): join a game with its code and a display name, then go to /play.
//
// data-testid: join-form, join-code, join-name, join-submit, join-status,
//   join-resume (link back to /play when this tab already joined), instructor-link,
//   instructor-link-2, toast (refusals, e.g. "name taken").
// Calls: public/game/join.

import { joinGame, normalizeCode, storedPlayer } from "./player.js";
import { RpcClient } from "./rpc.js";
import { $, queryParam, showError } from "./ui.js";

const form = $("join-form");
const codeInput = $("join-code");
const nameInput = $("join-name");
const status = $("join-status");

const given = normalizeCode(queryParam("code"));
const stored = storedPlayer();
if (given) codeInput.value = given;
else if (stored) codeInput.value = stored.code;
if (stored && (!given || given === stored.code)) {
  status.textContent = `You joined ${stored.code} as ${stored.name}: `;
  const back = document.createElement("a");
  back.href = `/play?code=${encodeURIComponent(stored.code)}`;
  back.textContent = "back to your screen";
  back.dataset.testid = "join-resume";
  status.append(back);
}
(given ? nameInput : codeInput).focus();

let rpc = null;

form.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const code = normalizeCode(codeInput.value);
  const name = nameInput.value.trim();
  if (!code || !name) return;
  const button = $("join-submit");
  button.disabled = true;
  status.textContent = "Joining…";
  try {
    rpc = rpc || new RpcClient();
    await rpc.connect();
    const player = await joinGame(rpc, code, name);
    status.textContent = `Joined as ${player.name}.`;
    rpc.close();
    location.assign(`/play?code=${encodeURIComponent(player.code)}`);
  } catch (err) {
    status.textContent = "";
    showError(`Could not join ${code}`, err);
    button.disabled = false;
  }
});
