/**
 * Per-client log levels. The upstream is set to the most verbose level any
 * client asked for; each client then gets `notifications/message` only at or
 * above its own level. A client that never set a level is not filtered: it
 * gets what the server sends. Pure bookkeeping.
 *
 * @module
 */

/** MCP (RFC 5424) log levels, most verbose first. */
export const MCP_LOG_LEVELS = [
  "debug",
  "info",
  "notice",
  "warning",
  "error",
  "critical",
  "alert",
  "emergency",
] as const;

/** One MCP log level. */
export type McpLogLevel = typeof MCP_LOG_LEVELS[number];

/** True for a valid level name. */
export function isMcpLogLevel(value: unknown): value is McpLogLevel {
  return typeof value === "string" && (MCP_LOG_LEVELS as readonly string[]).includes(value);
}

/** Levels asked for by each client. */
export class LevelTable<C> {
  readonly #levels = new Map<C, McpLogLevel>();

  /** Record a client's level; returns the new upstream level if it changed. */
  set(client: C, level: McpLogLevel): McpLogLevel | undefined {
    const before = this.effective();
    this.#levels.set(client, level);
    const after = this.effective();
    return after !== before ? after : undefined;
  }

  /** Forget a client (it left); returns the new upstream level if it changed. */
  remove(client: C): McpLogLevel | undefined {
    const before = this.effective();
    if (!this.#levels.delete(client)) return undefined;
    const after = this.effective();
    return after !== undefined && after !== before ? after : undefined;
  }

  /** Undo a `set` the upstream refused. */
  restore(client: C, previous: McpLogLevel | undefined): void {
    if (previous === undefined) this.#levels.delete(client);
    else this.#levels.set(client, previous);
  }

  /** The level a client asked for, if any. */
  get(client: C): McpLogLevel | undefined {
    return this.#levels.get(client);
  }

  /** The most verbose level any client asked for (`undefined`: none asked). */
  effective(): McpLogLevel | undefined {
    let best: number | undefined;
    for (const level of this.#levels.values()) {
      const rank = MCP_LOG_LEVELS.indexOf(level);
      if (best === undefined || rank < best) best = rank;
    }
    return best === undefined ? undefined : MCP_LOG_LEVELS[best];
  }

  /** Should this client see a message at `level`? */
  accepts(client: C, level: unknown): boolean {
    const own = this.#levels.get(client);
    if (own === undefined) return true;
    if (!isMcpLogLevel(level)) return true; // unknown levels are not filtered away
    return MCP_LOG_LEVELS.indexOf(level) >= MCP_LOG_LEVELS.indexOf(own);
  }
}
