/**
 * `rmcp-mux status` as text: one row per service, states in words
 * ("restarting (next try in 4 s)", "failed: exit code 1…"), and with `-v`
 * each server's last stderr lines. Pure: a snapshot and a clock in, text out.
 *
 * @module
 */

import type { DaemonStatus, ServiceStatus } from "../daemon/daemon.ts";
import type { ClientStatus, MuxStatus } from "../server/mux_status.ts";

/** `3723000` → `1h 02m`; `42000` → `42s`. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, "0")}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ${String(m % 60).padStart(2, "0")}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

/**
 * The state column for one service: its one-word state (as `status --json`
 * gives it), with what a person needs next to it.
 */
export function describeState(service: ServiceStatus, now: number): string {
  if (service.state === "error") return `error: ${service.error ?? "could not start"}`;
  const server = service.mux?.server;
  if (!server) return service.state;
  switch (server.phase) {
    case "idle":
      return `idle (${server.reason ?? "starts on demand"})`;
    case "restarting": {
      const next = server.nextAttemptAt === undefined
        ? ""
        : `, next try in ${Math.max(0, Math.ceil((server.nextAttemptAt - now) / 1000))} s`;
      return `restarting (restart ${server.attempt ?? 1}${next})`;
    }
    case "failed":
      return `failed: ${server.reason ?? "unknown reason"}`;
    default:
      return server.phase;
  }
}

/** `eras: server 2026-07-28; clients 2 legacy, 1 2026-07-28` */
export function describeEras(eras: MuxStatus["eras"]): string {
  const name = (era: "legacy" | "modern") => era === "modern" ? "2026-07-28" : "legacy";
  const server = eras.upstream === null ? "not initialized yet" : name(eras.upstream);
  const c = eras.clients;
  const clients = [
    ...(c.legacy > 0 ? [`${c.legacy} legacy`] : []),
    ...(c.modern > 0 ? [`${c.modern} 2026-07-28`] : []),
    ...(c.unknown > 0 ? [`${c.unknown} not yet known`] : []),
  ];
  return `eras: server ${server}; clients ${clients.length > 0 ? clients.join(", ") : "none"}`;
}

/** Wrap one mux's status as a service row. */
export function serviceOf(mux: MuxStatus): ServiceStatus {
  return { name: mux.service, socket: mux.socket, state: mux.server.phase, mux };
}

/** States that make `status` exit 1: the service is not serving and will not by itself. */
export const FAILING_STATES: readonly ServiceStatus["state"][] = [
  "failed",
  "unresponsive",
  "error",
];

/** The services among `services` in a failing state ({@link FAILING_STATES}). */
export function failingServices(services: readonly ServiceStatus[]): ServiceStatus[] {
  return services.filter((s) => FAILING_STATES.includes(s.state));
}

const ms = (value: number | null | undefined) =>
  value === null || value === undefined
    ? "-"
    : `${value < 10 ? value.toFixed(1) : Math.round(value)}ms`;

/**
 * Text from a server (stderr, exit reasons) made safe for a terminal: control
 * characters — escape sequences could move the cursor or retitle the window —
 * are shown as `\x1b`-style escapes instead of being sent.
 */
export function printable(text: string): string {
  return text.replaceAll("\t", " ").replace(
    // deno-lint-ignore no-control-regex
    /[\x00-\x1f\x7f-\x9f]/g,
    (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`,
  );
}

/** The column titles of the status table. */
export const STATUS_COLUMNS: readonly string[] = [
  "SERVICE",
  "STATE",
  "PID",
  "UPTIME",
  "CLIENTS",
  "IN-FLIGHT",
  "RESTARTS",
  "REQ/S",
  "P50",
  "P99",
];

/** The cells of one service's row in the status table. */
export function statusRow(s: ServiceStatus, now: number): string[] {
  const mux = s.mux;
  return [
    s.name,
    describeState(s, now),
    pidCell(mux),
    mux?.serverStartedAt ? formatDuration(now - mux.serverStartedAt) : "-",
    mux ? `${mux.clients.connected}/${mux.clients.max}` : "-",
    mux ? String(mux.pendingRequests) : "-",
    mux ? `${mux.restarts.recent}/${mux.restarts.total}` : "-",
    mux ? String(mux.latency.ratePerSecond) : "-",
    ms(mux?.latency.p50Ms),
    ms(mux?.latency.p99Ms),
  ];
}

/** Header and rows as aligned lines (the last column is not padded). */
export function alignColumns(header: readonly string[], rows: readonly string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const render = (cells: readonly string[]) =>
    cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!))).join("  ");
  return [header, ...rows].map(render);
}

/** The daemon's title line, if the status came from a daemon. */
export function daemonTitle(
  status: Pick<DaemonStatus, "services"> & Partial<DaemonStatus>,
  now: number,
): string | undefined {
  if (status.pid === undefined || status.startedAt === undefined) return undefined;
  return `rmcp-mux daemon (pid ${status.pid}, up ${formatDuration(now - status.startedAt)})` +
    (status.config ? ` — ${status.config}` : "");
}

/** The status table (and details with `verbose`). */
export function formatStatus(
  status: Pick<DaemonStatus, "services"> & Partial<DaemonStatus>,
  now: number,
  verbose = false,
): string {
  const lines: string[] = [];
  const title = daemonTitle(status, now);
  if (title) lines.push(title);
  lines.push(...alignColumns(STATUS_COLUMNS, status.services.map((s) => statusRow(s, now))));
  if (status.services.length === 0) lines.push("(no services)");
  for (const s of status.services) {
    const mux = s.mux;
    const details: string[] = [];
    if (mux?.server.phase === "unresponsive" && mux.server.reason) {
      details.push(`unresponsive: ${printable(mux.server.reason)}`);
    }
    if (mux?.lastExit) details.push(`last exit: ${printable(mux.lastExit)}`);
    if (mux && (verbose || isolated(mux))) details.push(...isolationLines(mux, now));
    if (mux?.serialized) details.push("serialized: one client's requests at a time (--serialize)");
    for (const warning of mux?.warnings ?? []) details.push(`warning: ${warning}`);
    const eras = mux?.eras;
    if (eras && (verbose || eras.upstream === "modern" || eras.clients.modern > 0)) {
      details.push(describeEras(eras));
    }
    if (mux && mux.clients.waiting > 0) {
      details.push(`${mux.clients.waiting} clients waiting for a slot`);
    }
    if (mux?.httpUrl) details.push(`http: ${mux.httpUrl}`);
    const byTransport = transportSummary(mux?.sessions ?? []);
    if (byTransport) details.push(`clients: ${byTransport}`);
    if (verbose) {
      details.push(`socket: ${s.socket}`);
      details.push(...clientTable(mux?.sessions ?? [], now));
      for (const line of mux?.stderrTail ?? []) details.push(`stderr: ${printable(line)}`);
    }
    if (details.length > 0) {
      lines.push("", `${s.name}:`, ...details.map((d) => `  ${d}`));
    }
  }
  if (status.http) {
    const { sessions } = status.http;
    lines.push(
      "",
      `HTTP: ${status.http.url}/NAME (${sessions} session${sessions === 1 ? "" : "s"})`,
    );
  }
  return lines.join("\n") + "\n";
}

/** The PID column: the process, or how many there are (isolation runs several). */
function pidCell(mux: MuxStatus | undefined): string {
  const processes = mux?.processes ?? [];
  if (processes.length > 1) return `${processes.length} procs`;
  return mux?.server.pid ? String(mux.server.pid) : "-";
}

/** A service split by roots or per client (or not decided yet) shows its processes. */
function isolated(mux: MuxStatus): boolean {
  return mux.isolation !== undefined && mux.isolation.mode !== "shared";
}

/** The isolation mode and why, then one line per process: key, pid, state, clients. */
function isolationLines(mux: MuxStatus, now: number): string[] {
  const isolation = mux.isolation;
  if (!isolation) return [];
  const mode = isolation.mode ?? "not decided yet";
  const lines = [`isolation: ${mode} (${isolation.reason})`];
  if (isolation.mode === "shared") return lines;
  const processes = mux.processes ?? [];
  if (processes.length === 0) return lines;
  const rows = processes.map((p) => [
    p.key ?? "(waiting for its first client)",
    p.pid ? `pid ${p.pid}` : "-",
    describeState({
      name: "",
      socket: "",
      state: p.server.phase,
      mux: { ...mux, server: p.server },
    }, now),
    p.clients.length ? `clients ${p.clients.join(", ")}` : "no clients",
  ]);
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return lines.concat(
    rows.map((cells) =>
      "process " +
      cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join("  ")
    ),
  );
}

/** `2 socket, 1 http, 1 proxy` (empty without clients). */
function transportSummary(sessions: readonly ClientStatus[]): string {
  const counts = new Map<string, number>();
  for (const s of sessions) counts.set(s.transport, (counts.get(s.transport) ?? 0) + 1);
  return ["socket", "http", "proxy"].filter((t) => counts.has(t))
    .map((t) => `${counts.get(t)} ${t}`).join(", ");
}

/** One line per client (with `-v`): who, over what, since when, how busy. */
function clientTable(sessions: readonly ClientStatus[], now: number): string[] {
  if (sessions.length === 0) return [];
  const header = ["CLIENT", "NAME", "VERSION", "TRANSPORT", "PROTOCOL", "CONNECTED", "REQUESTS"];
  const rows = sessions.map((c) => [
    String(c.id),
    c.name ?? "-",
    c.version ?? "-",
    c.transport,
    c.protocolVersion ?? (c.admitted ? "-" : "waiting"),
    formatDuration(now - c.connectedAt),
    c.inFlight > 0 ? `${c.requests} (${c.inFlight} open)` : String(c.requests),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [header, ...rows].map((cells) =>
    cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!))).join("  ")
  );
}
