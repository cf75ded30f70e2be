/**
 * Which isolation mode a service runs, and why, in this order: the
 * configuration (`isolation:`, `--isolation`), the built-in table of
 * well-known servers, the server's own preference (declared in its
 * `initialize` result), else `shared`. Pure.
 *
 * A server declares its preference in `capabilities.experimental` under
 * {@link ISOLATION_CAPABILITY}:
 *
 * ```json
 * { "capabilities": { "experimental": { "io.github.rmcp-mux/isolation": { "mode": "client" } } } }
 * ```
 *
 * @module
 */

import { isolationFor, type IsolationMode } from "./known_servers.ts";

/** The `capabilities.experimental` key under which a server states the isolation it needs. */
export const ISOLATION_CAPABILITY = "io.github.rmcp-mux/isolation";

/** Where a service's mode came from. */
export type IsolationSource = "config" | "known" | "server" | "default";

/** The mode a service runs, and a sentence saying why. */
export interface IsolationDecision {
  mode: IsolationMode;
  source: IsolationSource;
  /** E.g. "set by isolation: in the configuration", "known server: serves files under…". */
  reason: string;
}

const MODES: readonly string[] = ["shared", "roots", "client"];

/**
 * The mode known before the server runs: from the configuration, else from
 * the table when it names the server. `undefined`: ask the server.
 *
 * @example
 * ```ts
 * import { decideBeforeStart } from "./mode.ts";
 *
 * decideBeforeStart(undefined, "npx", ["-y", "@playwright/mcp"])?.mode; // "client"
 * decideBeforeStart("shared", "npx", ["-y", "@playwright/mcp"])?.mode; // "shared"
 * decideBeforeStart(undefined, "my-server", []); // undefined: the server is asked
 * ```
 */
export function decideBeforeStart(
  configured: IsolationMode | undefined,
  command: string,
  args: readonly string[],
): IsolationDecision | undefined {
  if (configured !== undefined) {
    return { mode: configured, source: "config", reason: "set by isolation: in the configuration" };
  }
  const known = isolationFor(command, args);
  if (known.mode === "shared") return undefined;
  return { mode: known.mode, source: "known", reason: `known server: it ${known.reason}` };
}

/**
 * The mode from the server's `initialize` result: its stated preference,
 * else `shared`.
 *
 * @example
 * ```ts
 * import { decideFromServer } from "./mode.ts";
 *
 * const result = {
 *   capabilities: { experimental: { "io.github.rmcp-mux/isolation": { mode: "roots" } } },
 * };
 * decideFromServer(result).mode; // "roots"
 * decideFromServer({ capabilities: {} }).mode; // "shared"
 * ```
 */
export function decideFromServer(initResult: Record<string, unknown> | null): IsolationDecision {
  const capabilities = initResult?.capabilities as Record<string, unknown> | undefined;
  const experimental = capabilities?.experimental as Record<string, unknown> | undefined;
  const wish = experimental?.[ISOLATION_CAPABILITY] as { mode?: unknown } | undefined;
  if (typeof wish?.mode === "string" && MODES.includes(wish.mode)) {
    return {
      mode: wish.mode as IsolationMode,
      source: "server",
      reason: `the server asks for it (capabilities.experimental["${ISOLATION_CAPABILITY}"])`,
    };
  }
  return {
    mode: "shared",
    source: "default",
    reason: "not a known per-roots or per-client server, and it states no preference",
  };
}

/** `600000` → "10 min", `90000` → "90 s". */
export function describeSpan(ms: number): string {
  if (ms >= 120_000 && ms % 60_000 === 0) return `${ms / 60_000} min`;
  if (ms >= 1_000) return `${Math.round(ms / 100) / 10} s`;
  return `${ms} ms`;
}
