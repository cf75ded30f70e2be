/**
 * A service's recent past, kept by the daemon so any viewer can draw it: a
 * bounded ring of throughput/latency points (one per step) and of notable
 * events (crashes, failures, commands). Pure: snapshots and times in.
 *
 * @module
 */

import type { LatencySummary } from "../router/metrics.ts";
import type { MuxStatus } from "../server/mux_status.ts";
import type { ServiceStatus } from "./daemon_status.ts";

/** One history point every this many ms. */
export const HISTORY_STEP_MS = 5_000;
/** Points kept per service (72 × 5 s: the last six minutes). */
export const HISTORY_POINTS = 72;
/** Events kept per service. */
export const HISTORY_EVENTS = 20;

/** Throughput and latency over one step. */
export interface HistoryPoint {
  /** End of the step (ms since epoch). */
  at: number;
  /** Requests answered per second during the step. */
  rate: number;
  /** Median latency during the step, ms (`null`: nothing answered). */
  p50Ms: number | null;
  /** 99th percentile latency during the step, ms. */
  p99Ms: number | null;
  /** Requests in flight at the end of the step. */
  inFlight: number;
  /** Clients connected at the end of the step. */
  clients: number;
}

/** Something that happened to a service. */
export interface ServiceEvent {
  /** When (ms since epoch). */
  at: number;
  /** `error` for crashes and failures; `info` for the rest. */
  level: "info" | "error";
  /** What happened, in words. */
  text: string;
}

/** The recent past of one service. */
export interface ServiceHistory {
  /** Oldest first. */
  points: HistoryPoint[];
  /** Oldest first. */
  events: ServiceEvent[];
}

/** Records one service's history. */
export class HistoryRecorder {
  readonly #points: HistoryPoint[] = [];
  readonly #events: ServiceEvent[] = [];
  #lastTotal: number | undefined;
  #lastAt: number | undefined;
  #lastSeen: string | undefined;

  /**
   * Add a point for the step ending at `now`. `latency` covers that step;
   * the rate comes from the change in requests answered since the last point
   * (a mux started afresh counts from zero).
   */
  sample(now: number, mux: MuxStatus | undefined, latency: LatencySummary | undefined): void {
    const total = mux?.requestsTotal ?? 0;
    const previous = this.#lastTotal ?? total;
    const answered = total >= previous ? total - previous : total;
    const seconds = (now - (this.#lastAt ?? now - HISTORY_STEP_MS)) / 1000;
    this.#lastTotal = total;
    this.#lastAt = now;
    push(this.#points, HISTORY_POINTS, {
      at: now,
      rate: seconds > 0 ? Math.round((answered / seconds) * 100) / 100 : 0,
      p50Ms: latency?.p50Ms ?? null,
      p99Ms: latency?.p99Ms ?? null,
      inFlight: mux?.pendingRequests ?? 0,
      clients: mux?.clients.connected ?? 0,
    });
  }

  /** Look at the service's state and note a transition worth remembering. */
  observe(now: number, service: ServiceStatus): void {
    const { key, event } = transition(service);
    if (key === this.#lastSeen) return;
    this.#lastSeen = key;
    if (event) push(this.#events, HISTORY_EVENTS, { at: now, ...event });
  }

  /** Note an event from outside (a command). */
  note(now: number, level: ServiceEvent["level"], text: string): void {
    push(this.#events, HISTORY_EVENTS, { at: now, level, text });
  }

  /** A copy of what is kept. */
  snapshot(): ServiceHistory {
    return { points: [...this.#points], events: [...this.#events] };
  }
}

function push<T>(ring: T[], max: number, item: T): void {
  ring.push(item);
  if (ring.length > max) ring.splice(0, ring.length - max);
}

/** A key that changes exactly when the state does, and what to note when it does. */
function transition(
  service: ServiceStatus,
): { key: string; event?: Omit<ServiceEvent, "at"> } {
  if (service.state === "stopped") return { key: "stopped" };
  if (service.state === "error") {
    const text = `could not start: ${service.error ?? "unknown reason"}`;
    return { key: `error ${text}`, event: { level: "error", text } };
  }
  const server = service.mux?.server;
  switch (server?.phase) {
    case "restarting":
      return {
        key: `restarting ${server.attempt} ${server.nextAttemptAt}`,
        event: {
          level: "error",
          text: `exited (${server.reason ?? "unknown reason"}); restart ${server.attempt ?? 1}`,
        },
      };
    case "failed":
      return {
        key: `failed ${server.reason}`,
        event: { level: "error", text: `failed: ${server.reason ?? "unknown reason"}` },
      };
    case "running":
      return {
        key: `running ${server.pid}`,
        event: { level: "info", text: `running (pid ${server.pid})` },
      };
    default:
      return { key: server?.phase ?? "none" };
  }
}
