/**
 * What one mux reports: its clients, its server processes, its numbers and
 * what a person should know, as one snapshot (`status`, the dashboard, the
 * status file), assembled from the pool's figures (`isolation/pool_status.ts`).
 *
 * @module
 */

import type { ResolvedMuxOptions } from "../config/options.ts";
import type { Pool } from "../isolation/pool.ts";
import { type IsolationStatus, poolFigures, type ProcessStatus } from "../isolation/pool_status.ts";
import type { LatencySummary } from "../router/metrics.ts";
import type { ServerState } from "../router/server_state.ts";
import type { ClientTransport } from "../router/session.ts";
import type { Semaphore } from "./semaphore.ts";

/** One connected client, as status shows it. */
export interface ClientStatus {
  /** The client's number in this mux (as in the logs: `client 3`). */
  id: number;
  /** `clientInfo.name` from its `initialize` (`null` before it). */
  name: string | null;
  /** `clientInfo.version` from its `initialize`. */
  version: string | null;
  /** How it is connected: its own socket connection, `rmcp-mux proxy`, or an HTTP session. */
  transport: ClientTransport;
  /** The protocol version it was given (`null` before `initialize`; 2026-07-28 for a modern client). */
  protocolVersion: string | null;
  /** Its protocol era, set by its first request (`null` before one). */
  era: "legacy" | "modern" | null;
  /** When it connected (ms since epoch). */
  connectedAt: number;
  /** Requests it sent since it connected. */
  requests: number;
  /** Its requests not answered yet. */
  inFlight: number;
  /** False while it waits for a slot (`--max-active-clients`). */
  admitted: boolean;
}

/** A point-in-time view of one mux. */
export interface MuxStatus {
  /** Service name. */
  service: string;
  /** Socket path. */
  socket: string;
  /** The service's Streamable HTTP endpoint, when an HTTP listener serves it. */
  httpUrl: string | null;
  /** Server process state (with several processes: the worst one's, without a pid). */
  server: ServerState;
  /** When the mux started (ms since epoch). */
  startedAt: number;
  /** When the current server process started (ms since epoch). */
  serverStartedAt: number | null;
  /** Clients connected, served, waiting for a slot, and the limit. */
  clients: { connected: number; active: number; waiting: number; max: number };
  /** Requests in flight upstream (or held for it). */
  pendingRequests: number;
  /** Messages queued toward the server. */
  queueDepth: number;
  /** Requests answered since start. */
  requestsTotal: number;
  /** Rate and latency of the answers of the last minute. */
  latency: LatencySummary;
  /** Resource URIs clients are subscribed to. */
  subscriptions: number;
  /** Server restarts: total since start, and within the restart window. */
  restarts: { total: number; recent: number };
  /** Why the previous server process ended. */
  lastExit: string | null;
  /** The server's last stderr lines. */
  stderrTail: string[];
  /**
   * Protocol eras: the server's (`null` before its first handshake) and
   * how many connected clients speak each (`unknown`: not pinned yet).
   */
  eras: {
    upstream: "legacy" | "modern" | null;
    clients: { legacy: number; modern: number; unknown: number };
  };
  /** Every connected client, in the order they connected (probes are not clients). */
  sessions: ClientStatus[];
  /** One client's requests upstream at a time (`--serialize`). */
  serialized: boolean;
  /** Things a person should know, e.g. "roots from 2 projects are merged; consider isolation: roots". */
  warnings: string[];
  /** How the server is split between clients, and why. */
  isolation: IsolationStatus;
  /** Each server process: what it serves (its key), pid, state, clients. */
  processes: ProcessStatus[];
}

/** What a mux's snapshot is made of. */
export interface MuxStatusParts {
  options: ResolvedMuxOptions;
  /** The service's Streamable HTTP endpoint, if served. */
  httpUrl: string | null;
  /** When the mux started (ms since epoch). */
  startedAt: number;
  pool: Pool;
  /** The client slots (`maxActiveClients`). */
  semaphore: Semaphore;
}

/** A snapshot of one mux. */
export function muxStatus(parts: MuxStatusParts): MuxStatus {
  const { options, httpUrl, startedAt, pool, semaphore } = parts;
  const figures = poolFigures(pool);
  const decision = pool.decision;
  return {
    service: options.serviceName,
    socket: options.socket,
    httpUrl,
    server: figures.server,
    startedAt,
    serverStartedAt: figures.serverStartedAt,
    clients: {
      ...figures.clients,
      waiting: semaphore.waiting,
      max: semaphore.permits,
    },
    pendingRequests: figures.pendingRequests,
    queueDepth: figures.queueDepth,
    requestsTotal: pool.latencies.total,
    latency: pool.latencies.summary(Date.now()),
    subscriptions: figures.subscriptions,
    restarts: figures.restarts,
    lastExit: figures.lastExit,
    stderrTail: figures.stderrTail,
    serialized: options.serialize,
    warnings: figures.warnings,
    eras: figures.eras,
    sessions: figures.sessions.map((session) => ({
      id: session.id,
      name: stringOrNull((session.hello?.clientInfo ?? session.modernInfo)?.name),
      version: stringOrNull((session.hello?.clientInfo ?? session.modernInfo)?.version),
      transport: session.transport,
      protocolVersion: session.protocolVersion ?? null,
      era: session.era ?? null,
      connectedAt: session.connectedAt,
      requests: session.requests,
      inFlight: session.openRequests,
      admitted: session.admitted,
    })),
    isolation: {
      mode: decision?.mode ?? null,
      source: decision?.source ?? null,
      reason: decision?.reason ??
        "decided when the server first starts (it may state a preference in initialize)",
      maxProcesses: options.maxProcesses,
      idleTimeoutMs: pool.idleTimeoutMs,
    },
    processes: figures.processes,
  };
}

function stringOrNull(value: unknown): string | null {
  return typeof value === "string" ? value : null;
}
