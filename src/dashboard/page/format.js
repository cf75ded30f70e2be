// @ts-check
/**
 * What the dashboard's numbers and states read like, and the shapes of the
 * snapshot it draws (as `status` reports them). Pure: no DOM.
 *
 * @module
 */

/**
 * @typedef {string | null | undefined | false | unknown[]} Tree
 * An element (`[tag, attributes, ...children]` where children are trees), text, or nothing.
 */

/**
 * @typedef {object} Point
 * @property {number} at
 * @property {number} rate
 * @property {number | null} p50Ms
 * @property {number | null} p99Ms
 * @property {number} inFlight
 * @property {number} clients
 */

/**
 * @typedef {object} Client
 * @property {number} id
 * @property {string | null} name
 * @property {string | null} version
 * @property {string} transport
 * @property {string | null} protocolVersion
 * @property {number} connectedAt
 * @property {number} requests
 * @property {number} [inFlight]
 * @property {boolean} [admitted]
 */

/**
 * @typedef {object} Server
 * @property {string} phase
 * @property {number} [pid]
 * @property {string} [reason]
 * @property {number} [nextAttemptAt]
 * @property {number} [attempt]
 */

/**
 * @typedef {object} Mux
 * @property {Server} server
 * @property {number | null} serverStartedAt
 * @property {{ connected: number, active: number, waiting: number, max: number }} clients
 * @property {number} pendingRequests
 * @property {number} requestsTotal
 * @property {{ ratePerSecond: number, p50Ms: number | null, p99Ms: number | null }} latency
 * @property {{ total: number, recent: number }} restarts
 * @property {string | null} lastExit
 * @property {string[]} stderrTail
 * @property {Client[]} [sessions]
 * @property {string | null} [httpUrl]
 * @property {{ mode: string, processes?: unknown[] }} [isolation]
 * @property {{ upstream: "legacy" | "modern" | null }} [eras]
 */

/**
 * @typedef {object} Service
 * @property {string} name
 * @property {string} socket
 * @property {string} state one word: the server's phase while the mux serves, else "stopped" or "error"
 * @property {string} [error]
 * @property {Mux} [mux]
 * @property {"restarting" | "stopping" | "starting"} [busy]
 */

/**
 * @typedef {object} Snapshot
 * @property {number} at
 * @property {{ pid: number, startedAt: number, config: string | null, services: Service[], http?: { url: string, sessions: number } | null }} daemon
 * @property {Record<string, { points: Point[], events: { at: number, level: string, text: string }[] }>} history
 */

/**
 * @typedef {"restart" | "stop" | "start" | "reload"} Command
 * @typedef {{ command: Command, service?: string }} Action
 * @typedef {{ ok: boolean, text: string }} Outcome
 * @typedef {object} Ui
 * @property {Action | undefined} confirm an action waiting for its confirmation
 * @property {Action | undefined} pending an action sent, not answered yet
 * @property {Record<string, Outcome>} outcomes the last outcome, per service ("" for reload)
 * @property {"connecting" | "live" | "reconnecting" | "signed-out"} link
 */

/** The first revision of the modern (2026) protocol era. */
export const MODERN_PROTOCOL_VERSION = "2026-07-28";

/**
 * `3723000` → `1h 02m`; `42000` → `42s`.
 * @param {number} ms
 */
export function duration(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, "0")}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ${String(m % 60).padStart(2, "0")}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

/**
 * `3.21` → `3.2 ms`; `null` → `–`.
 * @param {number | null | undefined} value
 */
export function millis(value) {
  if (value === null || value === undefined) return "–";
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ms`;
}

/**
 * A service's state in words, and its tone (`ok`, `warn`, `bad`, `off`).
 * @param {Service} service
 * @param {number} now
 * @returns {{ text: string, tone: "ok" | "warn" | "bad" | "off", detail?: string }}
 */
export function stateOf(service, now) {
  if (service.busy) return { text: `${service.busy}…`, tone: "warn" };
  if (!service.mux && service.state === "stopped") return { text: "stopped", tone: "off" };
  if (service.state === "error") {
    return {
      text: "failed",
      tone: "bad",
      detail: `could not start: ${service.error ?? "unknown"}`,
    };
  }
  const server = service.mux?.server;
  switch (server?.phase) {
    case "running":
      return { text: "running", tone: "ok" };
    case "starting":
      return { text: "starting", tone: "warn" };
    case "idle":
      return {
        text: "idle",
        tone: "off",
        detail: server.reason
          ? `${server.reason}; starts when a client needs it`
          : "lazy start: starts when a client needs it",
      };
    case "unresponsive":
      return { text: "unresponsive", tone: "bad", detail: server.reason ?? "it stopped answering" };
    case "restarting": {
      const next = server.nextAttemptAt === undefined
        ? ""
        : `, next try in ${Math.max(0, Math.ceil((server.nextAttemptAt - now) / 1000))} s`;
      return {
        text: `restarting (restart ${server.attempt ?? 1}${next})`,
        tone: "warn",
        ...(server.reason ? { detail: `last exit: ${server.reason}` } : {}),
      };
    }
    case "failed":
      return { text: "failed", tone: "bad", detail: server.reason ?? "unknown reason" };
    case "stopped":
      return { text: "stopped", tone: "off" };
    default:
      return { text: server?.phase ?? "unknown", tone: "warn" };
  }
}

/**
 * A protocol version and its era.
 * @param {string | null} version
 */
export function protocolOf(version) {
  if (!version) return "not initialized";
  return `${version} (${version >= MODERN_PROTOCOL_VERSION ? "modern" : "initialize"} era)`;
}

/**
 * The polyline of a sparkline: `values` scaled into `width`×`height`, the
 * newest at the right; missing values (no answers in a step) drop to zero.
 * @param {(number | null)[]} values
 * @param {number} width
 * @param {number} height
 */
export function sparkPoints(values, width, height) {
  if (values.length === 0) return "";
  const max = Math.max(...values.map((v) => v ?? 0));
  const step = values.length > 1 ? width / (values.length - 1) : 0;
  return values.map((v, i) => {
    const x = values.length > 1 ? i * step : width;
    const y = max > 0 ? height - ((v ?? 0) / max) * (height - 2) - 1 : height - 1;
    return `${round(x)},${round(y)}`;
  }).join(" ");
}

/** @param {number} n */
function round(n) {
  return Math.round(n * 10) / 10;
}
