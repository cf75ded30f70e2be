// @ts-check
/**
 * The dashboard's view, pure: a snapshot, the page's own state and a clock in;
 * element trees out (`[tag, attributes, ...children]`, strings are text).
 * No DOM here, so it runs in tests as it runs in the page; `dom.js` turns the
 * trees into elements — with text nodes only, so nothing a server prints can
 * become markup.
 *
 * @module
 */

/**
 * @typedef {import("./format.js").Tree} Tree
 * @typedef {import("./format.js").Point} Point
 * @typedef {import("./format.js").Client} Client
 * @typedef {import("./format.js").Service} Service
 * @typedef {import("./format.js").Snapshot} Snapshot
 * @typedef {import("./format.js").Command} Command
 * @typedef {import("./format.js").Ui} Ui
 */

import { duration, millis, protocolOf, sparkPoints, stateOf } from "./format.js";

/** @type {Record<Command, "restarting" | "stopping" | "starting">} */
const DOING = { restart: "restarting", stop: "stopping", start: "starting", reload: "starting" };

/**
 * A small chart with its caption: the series, the latest value, the peak.
 * @param {string} label
 * @param {(number | null)[]} values
 * @param {(v: number) => string} show
 * @returns {Tree}
 */
export function sparkline(label, values, show) {
  const width = 160;
  const height = 32;
  const known = values.filter((v) => v !== null);
  const last = values.length ? values[values.length - 1] : null;
  const peak = known.length ? Math.max(...known) : null;
  const caption = `${label}: ${last === null || last === undefined ? "–" : show(last)}` +
    (peak === null ? "" : `, peak ${show(peak)}`);
  return ["figure", { class: "spark" }, [
    "svg",
    {
      viewBox: `0 0 ${width} ${height}`,
      width: String(width),
      height: String(height),
      role: "img",
      "aria-label": caption,
    },
    ["polyline", { points: sparkPoints(values, width, height) }],
  ], ["figcaption", {}, caption]];
}

/**
 * The buttons of a service, or its confirmation question.
 * @param {Service} service
 * @param {Ui} ui
 * @returns {Tree}
 */
function actionsOf(service, ui) {
  const name = service.name;
  if (ui.confirm && ui.confirm.service === name) {
    const command = ui.confirm.command;
    const question = {
      restart: `Restart ${name}? Its clients stay connected.`,
      stop: `Stop ${name}? Its clients are disconnected.`,
      start: `Start ${name}?`,
      reload: "",
    }[command];
    return ["div", { class: "confirm", role: "group" }, ["span", {}, question], [
      "button",
      { "data-action": "confirm", class: command === "stop" ? "danger" : "primary" },
      `Confirm ${command}`,
    ], ["button", { "data-action": "cancel" }, "Cancel"]];
  }
  const busy = Boolean(service.busy) || ui.pending?.service === name;
  const running = service.mux !== undefined; // its mux serves (whatever its server is doing)
  /** @param {Command} command @param {string} label @param {boolean} enabled */
  const button = (command, label, enabled) => [
    "button",
    {
      "data-action": command,
      "data-service": name,
      ...(enabled && !busy ? {} : { disabled: "" }),
    },
    label,
  ];
  return [
    "div",
    { class: "actions" },
    button("restart", "Restart", true),
    button(
      "stop",
      "Stop",
      running,
    ),
    button("start", "Start", !running),
  ];
}

/**
 * One client row.
 * @param {Client} client
 * @param {number} now
 * @returns {Tree}
 */
function clientRow(client, now) {
  const who =
    (client.name ? `${client.name} ${client.version ?? ""}`.trim() : `client ${client.id}`) +
    (client.admitted === false ? " (waiting for a slot)" : "");
  return [
    "tr",
    { "data-client": String(client.id) },
    ["td", {}, who],
    [
      "td",
      {},
      protocolOf(client.protocolVersion),
    ],
    ["td", {}, client.transport],
    ["td", {}, `${duration(now - client.connectedAt)} ago`],
    [
      "td",
      { class: "num", "data-field": "requests" },
      String(client.requests),
    ],
  ];
}

/**
 * A service's card, in sections (each redrawn only when it changes).
 * @param {Service} shown
 * @param {Snapshot["history"][string] | undefined} history
 * @param {Ui} ui
 * @param {number} now
 * @returns {Record<string, Tree>}
 */
export function cardSections(shown, history, ui, now) {
  // A command this page sent is in progress until its answer comes.
  const service = !shown.busy && ui.pending?.service === shown.name
    ? { ...shown, busy: DOING[ui.pending.command] }
    : shown;
  const mux = service.mux;
  const state = stateOf(service, now);
  const points = history?.points ?? [];
  const outcome = ui.outcomes[service.name];
  const clients = mux?.sessions ?? [];
  /** @param {string} label @param {string} value @param {string} field */
  const stat = (
    label,
    value,
    field,
  ) => ["div", { class: "stat" }, ["dt", {}, label], ["dd", { "data-field": field }, value]];
  return {
    head: ["header", {}, ["h2", {}, service.name], [
      "span",
      { class: `badge ${state.tone}`, "data-field": "state" },
      state.text,
    ]],
    detail: [
      "p",
      { class: "detail" },
      state.detail ? ["span", { class: state.tone, "data-field": "reason" }, state.detail] : null,
      ["span", { class: "muted" }, service.socket],
      mux?.httpUrl ? ["span", { class: "muted" }, mux.httpUrl] : null,
      mux?.isolation ? ["span", {}, `isolation: ${isolationOf(mux.isolation)}`] : null,
      mux?.eras?.upstream === "modern" ? ["span", {}, "server speaks MCP 2026-07-28"] : null,
    ],
    stats: [
      "dl",
      { class: "stats" },
      stat("pid", mux?.server.pid ? String(mux.server.pid) : "–", "pid"),
      stat(
        "uptime",
        mux?.serverStartedAt ? duration(now - mux.serverStartedAt) : "–",
        "uptime",
      ),
      stat(
        "restarts",
        mux ? `${mux.restarts.recent} / ${mux.restarts.total}` : "–",
        "restarts",
      ),
      stat("req/s", mux ? String(mux.latency.ratePerSecond) : "–", "rate"),
      stat(
        "p50 / p99",
        mux ? `${millis(mux.latency.p50Ms)} / ${millis(mux.latency.p99Ms)}` : "–",
        "latency",
      ),
      stat("in flight", mux ? String(mux.pendingRequests) : "–", "in-flight"),
      stat(
        "clients",
        mux
          ? `${mux.clients.connected} / ${mux.clients.max}` +
            (mux.clients.waiting ? ` (+${mux.clients.waiting} waiting)` : "")
          : "–",
        "clients",
      ),
    ],
    charts: [
      "div",
      { class: "charts" },
      sparkline(
        "requests/s",
        points.map((p) => p.rate),
        (v) => `${v}`,
      ),
      sparkline("p50 latency", points.map((p) => p.p50Ms), (v) => millis(v)),
    ],
    clients: clients.length === 0
      ? ["p", { class: "muted clients-none" }, "No clients connected."]
      : ["table", { class: "clients" }, [
        "thead",
        {},
        ["tr", {}, ["th", {}, "client"], ["th", {}, "protocol"], ["th", {}, "via"], [
          "th",
          {},
          "connected",
        ], ["th", { class: "num" }, "requests"]],
      ], ["tbody", {}, ...clients.map((c) => clientRow(c, now))]],
    stderr: mux && mux.stderrTail.length > 0
      ? ["details", { class: "stderr", ...(state.tone === "ok" ? {} : { open: "" }) }, [
        "summary",
        {},
        `last stderr (${mux.stderrTail.length} line${mux.stderrTail.length === 1 ? "" : "s"})`,
      ], ["pre", { "data-field": "stderr" }, mux.stderrTail.join("\n")]]
      : null,
    events: (history?.events.length ?? 0) > 0
      ? ["details", { class: "events", ...(state.tone === "bad" ? { open: "" } : {}) }, [
        "summary",
        {},
        "recent events",
      ], [
        "ol",
        {},
        ...[...(history?.events ?? [])].reverse().map((e) => [
          "li",
          { class: e.level === "error" ? "bad" : "" },
          ["time", {}, `${duration(now - e.at)} ago`],
          ` ${e.text}`,
        ]),
      ]]
      : null,
    actions: [
      "div",
      {},
      actionsOf(service, ui),
      outcome
        ? ["p", { class: `outcome ${outcome.ok ? "ok" : "bad"}`, role: "status" }, outcome.text]
        : null,
    ],
  };
}

/**
 * @param {{ mode: string, processes?: unknown[] }} isolation
 */
function isolationOf(isolation) {
  const count = isolation.processes?.length;
  return count === undefined
    ? isolation.mode
    : `${isolation.mode}, ${count} process${count === 1 ? "" : "es"}`;
}

/**
 * The page header: the daemon, the fleet in one line, the link state, reload.
 * @param {Snapshot | undefined} snapshot
 * @param {Ui} ui
 * @param {number} now
 * @returns {Tree}
 */
export function headerOf(snapshot, ui, now) {
  const link = {
    connecting: "connecting…",
    live: "live",
    reconnecting: "reconnecting…",
    "signed-out": "signed out",
  }[ui.link];
  const services = snapshot?.daemon.services ?? [];
  const tones = services.map((s) => stateOf(s, now).tone);
  const count = (/** @type {string} */ tone) => tones.filter((t) => t === tone).length;
  const summary = `${services.length} service${services.length === 1 ? "" : "s"}: ` +
    [
      `${count("ok")} running`,
      count("warn") ? `${count("warn")} restarting or starting` : "",
      count("bad") ? `${count("bad")} failed` : "",
      count("off") ? `${count("off")} stopped or idle` : "",
    ].filter(Boolean).join(", ");
  const outcome = ui.outcomes[""];
  const reload = ui.confirm?.command === "reload"
    ? [
      "div",
      { class: "confirm", role: "group" },
      [
        "span",
        {},
        "Reload the config file? Changed services restart; unchanged ones are not touched.",
      ],
      ["button", { "data-action": "confirm", class: "primary" }, "Confirm reload"],
      [
        "button",
        { "data-action": "cancel" },
        "Cancel",
      ],
    ]
    : ["button", {
      "data-action": "reload",
      ...(ui.pending?.command === "reload" ? { disabled: "" } : {}),
    }, "Reload config"];
  return [
    "div",
    {},
    ["div", { class: "title" }, ["h1", {}, "rmcp-mux"], [
      "span",
      { class: `link ${ui.link}`, "data-field": "link" },
      link,
    ]],
    ui.link === "signed-out"
      ? [
        "p",
        { class: "bad", "data-field": "signed-out" },
        "Signed out (you signed out, the daemon restarted, or the session expired): run " +
        "`rmcp-mux dashboard` " +
        "for a new login link.",
      ]
      : null,
    snapshot
      ? [
        "p",
        { class: "daemon" },
        `daemon pid ${snapshot.daemon.pid} · up ${duration(now - snapshot.daemon.startedAt)}` +
        (snapshot.daemon.config ? ` · ${snapshot.daemon.config}` : "") +
        (snapshot.daemon.http
          ? ` · HTTP ${snapshot.daemon.http.url} (${snapshot.daemon.http.sessions} session` +
            `${snapshot.daemon.http.sessions === 1 ? "" : "s"})`
          : ""),
      ]
      : null,
    snapshot ? ["p", { class: "summary", "data-field": "summary" }, summary] : null,
    [
      "div",
      { class: "reload" },
      reload,
      ui.link === "signed-out" ? null : ["button", { "data-action": "logout" }, "Sign out"],
      outcome
        ? ["pre", { class: `outcome ${outcome.ok ? "ok" : "bad"}`, role: "status" }, outcome.text]
        : null,
    ],
  ];
}
