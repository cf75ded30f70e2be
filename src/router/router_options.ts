/**
 * What a router is given and what it reports: its settings (the router
 * keeps a copy that `configure` changes live, read at each use by the
 * upstream link and the timeouts) and the counters behind `status`.
 *
 * @module
 */

import type { Logger } from "@logtape/logtape";
import type { Clock } from "./clock.ts";
import type { UpstreamEraSetting } from "./eras.ts";
import type { LivenessSettings } from "./liveness.ts";
import type { LatencySummary, LatencyWindow } from "./metrics.ts";
import type { RootsPolicy } from "./roots_feature.ts";

/**
 * Settings of a router (`router.ts`); timeouts, `serialize` and `cancelGraceMs`
 * may change live (`configure`).
 */
export interface RouterOptions {
  /** Service name, for logs and error messages. */
  service: string;
  /** Give up on a request after this long without an answer or progress; 0 = never. */
  requestTimeoutMs: number;
  /** How long the upstream may take to answer the mux's `initialize`. */
  initTimeoutMs: number;
  /** Name and version the mux introduces itself with upstream. */
  clientInfo: { name: string; version: string };
  /** Only one client's requests upstream at a time (exact callback attribution). */
  serialize?: boolean;
  /**
   * How long a request nobody waits for any more (cancelled, timed out, its
   * client gone) counts as still at the server; 0 = not at all. Default
   * `CANCEL_GRACE_MS` (`cancelled_calls.ts`).
   */
  cancelGraceMs?: number;
  /** Which protocol era to speak to the server (default `auto`). */
  upstreamEra?: UpstreamEraSetting;
  /** Unguessable ids (URL elicitation ids, MRTR handles); default `crypto.randomUUID`. */
  newId?: () => string;
  /** Override `MAX_PENDING` (`client_messages.ts`). */
  maxPending?: number;
  /** Override `MAX_QUEUE` (`upstream_options.ts`). */
  maxQueue?: number;
  /** Called when the upstream must be restarted (e.g. it never answered `initialize`). */
  onUpstreamBroken?: (reason: string) => void;
  /** Called each time a new upstream process finished initializing. */
  onUpstreamReady?: () => void;
  /** Called when a client needs the server and none is attached (used for lazy start). */
  onDemand?: () => void;
  /** Numbers for new sessions (a pool's routers share one counter); default: the router's own. */
  nextSessionId?: () => number;
  /** A latency window shared by a pool's routers (they report as one service). */
  latencies?: LatencyWindow;
  /** What clients' roots mean: merged for the server (default), or handed to a pool. */
  roots?: RootsPolicy;
  /** The last client left (probes do not count): for idle shutdown. */
  onIdle?: () => void;
  /** The liveness probe (pings a silent server with requests in flight); off when absent. */
  liveness?: LivenessSettings;
  /** The liveness probe's pings went unanswered: the server is unresponsive. */
  onUnresponsive?: (reason: string) => void;
  /** An unresponsive server answered again. */
  onResponsive?: () => void;
  /** The status snapshot answered to `rmcp-mux/status` (default: the router's counters). */
  status?: () => Record<string, unknown>;
  /** Time and timers (default: the system clock); tests pass a fake one. */
  clock?: Clock;
  /** Logger (defaults to the `rmcp-mux.router` category). */
  logger?: Logger;
}

/** Counters for status and health. */
export interface RouterStats {
  connectedClients: number;
  activeClients: number;
  pendingRequests: number;
  queueDepth: number;
  upstreamReady: boolean;
  subscriptions: number;
  /** Answers since start. */
  requestsTotal: number;
  /** The server's protocol era (`null` before its first handshake). */
  upstreamEra: "legacy" | "modern" | null;
  /** Connected clients by protocol era (`unknown`: not pinned yet). */
  clientEras: { legacy: number; modern: number; unknown: number };
  /** Rate and latency of the last minute's answers. */
  latency: LatencySummary;
}
