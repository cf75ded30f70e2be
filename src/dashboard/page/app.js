/**
 * The dashboard page: one event stream from the daemon (a snapshot whenever
 * something changes), a redraw every second for the clocks, and the actions —
 * each asked for, confirmed, sent, and answered inline.
 *
 * @module
 */

import { patch } from "./dom.js";
import { stateOf } from "./format.js";
import { cardSections, headerOf } from "./view.js";

/** A card's parts, top to bottom; each is redrawn only when it changed. */
const PARTS = ["head", "detail", "stats", "charts", "actions", "clients", "stderr", "events"];
const DOING = { restart: "restarting", stop: "stopping", start: "starting", reload: "reloading" };

const ui = {
  confirm: undefined,
  pending: undefined,
  outcomes: {},
  link: "connecting",
};
let snapshot;
/** The daemon's clock minus ours, so durations read the same as in a terminal. */
let skew = 0;

const header = document.getElementById("header");
const cards = document.getElementById("cards");

const now = () => Date.now() + skew;

/**
 * The session's key: claimed once from the daemon right after the login and
 * kept in this origin's storage. The cookie alone opens nothing, since
 * browsers send it to every port of this host; storage stays with this port.
 */
const KEY_ITEM = "rmcp-mux-key";
let sessionKey = localStorage.getItem(KEY_ITEM) ?? "";

/** Claim the key of the session the cookie names (works once per login). */
async function claimKey() {
  try {
    const response = await fetch("/api/key", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    if (!response.ok) return false;
    sessionKey = (await response.json()).key;
    localStorage.setItem(KEY_ITEM, sessionKey);
    return true;
  } catch {
    return false;
  }
}

function signedOut() {
  ui.link = "signed-out";
  render();
}

function render() {
  patch(header, headerOf(snapshot, ui, now()));
  if (!snapshot) return;
  const seen = new Set();
  let previous = null;
  for (const service of snapshot.daemon.services) {
    seen.add(service.name);
    let card = [...cards.children].find((c) => c.dataset.service === service.name);
    if (!card) {
      card = document.createElement("article");
      card.className = "card";
      card.dataset.service = service.name;
      for (const part of PARTS) {
        const div = document.createElement("div");
        div.dataset.part = part;
        card.append(div);
      }
    }
    const place = previous ? previous.nextSibling : cards.firstChild;
    if (card !== place) cards.insertBefore(card, place);
    card.dataset.tone = stateOf(service, now()).tone;
    const sections = cardSections(service, snapshot.history[service.name], ui, now());
    for (const part of PARTS) {
      patch(card.querySelector(`[data-part="${part}"]`), sections[part]);
    }
    previous = card;
  }
  for (const card of [...cards.children]) {
    if (!seen.has(card.dataset.service)) card.remove();
  }
}

async function send(action) {
  const key = action.service ?? "";
  const url = action.command === "reload"
    ? "/api/reload"
    : `/api/services/${encodeURIComponent(action.service)}/${action.command}`;
  let outcome;
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", "x-rmcp-mux-key": sessionKey },
      body: "{}",
    });
    if (response.status === 401) ui.link = "signed-out";
    const type = response.headers.get("content-type") ?? "";
    outcome = type.startsWith("application/json")
      ? await response.json()
      : { ok: false, text: `${response.status} ${response.statusText}` };
  } catch (error) {
    outcome = { ok: false, text: `the daemon did not answer: ${error.message}` };
  }
  ui.pending = undefined;
  ui.outcomes[key] = { ok: Boolean(outcome.ok), text: String(outcome.text) };
  render();
}

document.addEventListener("click", (event) => {
  const button = event.target.closest?.("button[data-action]");
  if (!button) return;
  const what = button.dataset.action;
  if (what === "logout") {
    localStorage.removeItem(KEY_ITEM);
    sessionKey = "";
    void fetch("/logout", { method: "POST", redirect: "manual" }).finally(() => {
      source?.close();
      signedOut();
    });
    return;
  }
  if (what === "cancel") {
    ui.confirm = undefined;
  } else if (what === "confirm") {
    const action = ui.confirm;
    if (!action) return;
    ui.confirm = undefined;
    ui.pending = action;
    ui.outcomes[action.service ?? ""] = {
      ok: true,
      text: `${DOING[action.command]} ${action.service ?? "the config file"}…`,
    };
    void send(action);
  } else {
    const service = button.closest("article")?.dataset.service;
    ui.confirm = what === "reload" ? { command: what } : { command: what, service };
    delete ui.outcomes[service ?? ""];
  }
  render();
  // The confirmation takes the focus, so Enter confirms and Escape cancels.
  document.querySelector('button[data-action="confirm"]')?.focus();
});

document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && ui.confirm) {
    ui.confirm = undefined;
    render();
  }
});

/** The event stream now open, if any. */
let source;

async function listen() {
  if (!sessionKey && !(await claimKey())) return signedOut();
  source = new EventSource(`/api/events?key=${encodeURIComponent(sessionKey)}`);
  source.addEventListener("snapshot", (event) => {
    snapshot = JSON.parse(event.data);
    skew = snapshot.at - Date.now();
    ui.link = "live";
    render();
  });
  source.addEventListener("error", async () => {
    if (source.readyState !== EventSource.CLOSED) {
      ui.link = "reconnecting"; // the browser retries by itself
      render();
      return;
    }
    // Refused, not dropped: signed out (a daemon restart forgets sessions), or gone for now.
    try {
      const probe = await fetch("/api/status", { headers: { "x-rmcp-mux-key": sessionKey } });
      if (probe.status === 401) {
        // A new login (another link opened) has a key of its own to claim.
        if (await claimKey()) return listen();
        return signedOut();
      }
    } catch {
      // Not reachable: try again below.
    }
    ui.link = "reconnecting";
    render();
    setTimeout(listen, 2000);
  });
}

void listen();
setInterval(render, 1000);
render();
