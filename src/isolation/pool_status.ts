/**
 * A service's processes as status shows them, and the one state that sums
 * them up (the worst wins: one failed process makes the service `failed`).
 * Pure.
 *
 * @module
 */

import type { ServerPhase, ServerState } from "../router/server_state.ts";
import type { ClientSession } from "../router/session.ts";
import type { IsolationMode } from "./known_servers.ts";
import type { IsolationSource } from "./mode.ts";
import type { Pool } from "./pool.ts";

/** One process of a service. */
export interface ProcessStatus {
  /**
   * What it serves: `shared`; a set of roots (their URIs, sorted, space
   * separated) or `no roots`; `client N`; `null` while it waits for its
   * first client.
   */
  key: string | null;
  /** Its process id while it runs. */
  pid: number | null;
  /** Its process state. */
  server: ServerState;
  /** When its current process started (ms since epoch). */
  startedAt: number | null;
  /** The clients bound to it (their numbers, as in the logs). */
  clients: number[];
  /** Its restarts: total, and within the restart window. */
  restarts: { total: number; recent: number };
}

/** How a service is split between clients, and why. */
export interface IsolationStatus {
  /** `null` until the server's first `initialize` decides it (its stated preference, or shared). */
  mode: IsolationMode | null;
  /** Where the mode came from (`null` while undecided). */
  source: IsolationSource | null;
  /** Why, in words. */
  reason: string;
  /** Most processes at once (`roots`/`client`). */
  maxProcesses: number;
  /** A process without clients is stopped after this long; 0: never. */
  idleTimeoutMs: number;
}

/** Worst first: the state a service shows when its processes differ. */
const SEVERITY: readonly ServerPhase[] = [
  "failed",
  "unresponsive",
  "restarting",
  "starting",
  "running",
  "idle",
  "stopped",
];

/**
 * The service's state from its processes': the worst one's. No process at
 * all is `idle` (with `idleReason`, e.g. "stopped after 10 min without
 * clients", when the last one was stopped for that).
 */
export function summarize(states: readonly ServerState[], idleReason?: string): ServerState {
  if (states.length === 0) {
    return idleReason ? { phase: "idle", reason: idleReason } : { phase: "idle" };
  }
  let worst = states[0]!;
  for (const state of states) {
    if (SEVERITY.indexOf(state.phase) < SEVERITY.indexOf(worst.phase)) worst = state;
  }
  if (states.length === 1) return { ...worst };
  // Several processes: no single pid speaks for the service.
  const { pid: _pid, ...rest } = worst;
  return rest;
}

/** The figures of a service, summed over its processes. */
export interface PoolFigures {
  server: ServerState;
  serverStartedAt: number | null;
  clients: { connected: number; active: number };
  pendingRequests: number;
  queueDepth: number;
  subscriptions: number;
  restarts: { total: number; recent: number };
  lastExit: string | null;
  stderrTail: string[];
  warnings: string[];
  /** The server's protocol era (the first process's to know it), and clients' per era. */
  eras: {
    upstream: "legacy" | "modern" | null;
    clients: { legacy: number; modern: number; unknown: number };
  };
  processes: ProcessStatus[];
  /** Every client, waiting ones first, then by process (probes not counted). */
  sessions: ClientSession[];
}

/** Sum up a pool's processes (and the clients still in its lobby) for status. */
export function poolFigures(pool: Pool): PoolFigures {
  const units = pool.units;
  const figures: PoolFigures = {
    server: summarize(units.map((u) => u.state), pool.idleNote),
    serverStartedAt: null,
    clients: { connected: 0, active: 0 },
    pendingRequests: 0,
    queueDepth: 0,
    subscriptions: 0,
    restarts: { total: 0, recent: 0 },
    lastExit: null,
    stderrTail: [],
    warnings: [],
    eras: { upstream: null, clients: { legacy: 0, modern: 0, unknown: 0 } },
    processes: [],
    sessions: pool.waiting.filter((s) => s.counted && !s.closed),
  };
  for (const s of figures.sessions) {
    figures.clients.connected++;
    if (s.admitted) figures.clients.active++;
    figures.eras.clients[s.era ?? "unknown"]++;
  }
  let latest = -Infinity;
  for (const unit of units) {
    const stats = unit.router.stats();
    const started = unit.supervisor.startedAt;
    figures.clients.connected += stats.connectedClients;
    figures.clients.active += stats.activeClients;
    figures.pendingRequests += stats.pendingRequests;
    figures.queueDepth += stats.queueDepth;
    figures.subscriptions += stats.subscriptions;
    figures.eras.upstream ??= stats.upstreamEra;
    for (const era of ["legacy", "modern", "unknown"] as const) {
      figures.eras.clients[era] += stats.clientEras[era];
    }
    const restarts = unit.supervisor.restarts;
    figures.restarts.total += restarts.total;
    figures.restarts.recent += restarts.recent;
    if (started !== undefined) {
      figures.serverStartedAt = Math.min(figures.serverStartedAt ?? Infinity, started);
    }
    // The most recently (re)started process speaks for the last exit and stderr.
    if (unit.supervisor.lastExit && (started ?? Infinity) >= latest) {
      latest = started ?? Infinity;
      figures.lastExit = unit.supervisor.lastExit;
      figures.stderrTail = [...unit.supervisor.stderrTail];
    }
    for (const warning of unit.router.warnings()) {
      if (!figures.warnings.includes(warning)) figures.warnings.push(warning);
    }
    const clients = unit.router.clients().filter((s) => s.counted);
    figures.sessions.push(...clients);
    figures.processes.push({
      key: unit.key,
      pid: unit.state.pid ?? null,
      server: { ...unit.state },
      startedAt: started ?? null,
      clients: clients.map((s) => s.id),
      restarts,
    });
  }
  if (figures.stderrTail.length === 0 && units.length > 0) {
    figures.stderrTail = [...units[units.length - 1]!.supervisor.stderrTail];
  }
  return figures;
}
