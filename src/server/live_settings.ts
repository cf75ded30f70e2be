/**
 * What a change of settings costs a running mux: nothing to see (applied
 * live), a new server process (restarted in place, clients stay connected),
 * or a new socket (the mux is recreated, clients reconnect). Pure.
 *
 * @module
 */

import type { ResolvedMuxOptions } from "../config/options.ts";

/** How a mux takes new settings, from least to most disruptive. */
export type ApplyMode = "unchanged" | "live" | "restart" | "recreate";

/**
 * Settings that name the socket or the service, or shape how processes are
 * kept and spoken to (isolation, protocol era, liveness probe): a new mux.
 */
const RECREATE: ReadonlySet<string> = new Set([
  "socket",
  "serviceName",
  "isolation",
  "upstreamEra",
  "heartbeatEnabled",
  "heartbeatTimeoutMs",
  "heartbeatMaxFailures",
  "heartbeatRestart",
]);
/** Settings of the server process: a new process, same socket, same clients. */
const RESTART: ReadonlySet<string> = new Set(["cmd", "args", "cwd", "env", "maxResponseBytes"]);

/** The settings that differ between `before` and `after`, sorted. */
export function changedSettings(before: ResolvedMuxOptions, after: ResolvedMuxOptions): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].filter((key) =>
    stableJson((before as unknown as Record<string, unknown>)[key]) !==
      stableJson((after as unknown as Record<string, unknown>)[key])
  ).sort();
}

/**
 * The least disruptive way to apply `changed` settings.
 *
 * @example
 * ```ts
 * import { applyModeOf } from "./live_settings.ts";
 *
 * applyModeOf(["maxActiveClients", "requestTimeoutMs"]); // "live"
 * applyModeOf(["args", "maxActiveClients"]); // "restart"
 * applyModeOf(["socket"]); // "recreate"
 * ```
 */
export function applyModeOf(changed: readonly string[]): ApplyMode {
  if (changed.length === 0) return "unchanged";
  if (changed.some((key) => RECREATE.has(key))) return "recreate";
  if (changed.some((key) => RESTART.has(key))) return "restart";
  return "live";
}

/** JSON with object keys sorted: equal values compare equal whatever their key order. */
export function stableJson(value: unknown): string {
  return JSON.stringify(
    value,
    (_key, v) =>
      v && typeof v === "object" && !Array.isArray(v)
        ? Object.fromEntries(Object.entries(v).sort(([x], [y]) => x.localeCompare(y)))
        : v,
  ) ?? "undefined";
}
