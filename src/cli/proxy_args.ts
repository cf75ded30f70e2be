/**
 * The `proxy` command line, parsed without an option library: hosts start a
 * proxy per session, so its start-up loads as little as possible.
 *
 * @module
 */

/** What `rmcp-mux proxy` is asked to do. */
export interface ProxyCommand {
  kind: "proxy";
  /** The mux socket to bridge to (`--socket`); tried first when `service` is given too. */
  socket?: string;
  /** The daemon's config file (`--config`): started when nobody answers. */
  config?: string;
  /** A service of that daemon (`--service`): its socket is asked of the daemon. */
  service?: string;
  /** How long to try to reconnect after losing the mux, ms (0: never; default: the proxy's). */
  reconnectMs?: number;
}

/** A `proxy` command line that cannot be run; the message says what is wrong. */
export class ProxyUsageError extends Error {
  override name = "ProxyUsageError";
}

const VALUE_FLAGS = new Set(["--socket", "--config", "--service", "--reconnect-timeout-ms"]);

/**
 * Parse the arguments after `proxy`. `home` expands a leading `~`. Returns
 * `"help"` for `-h`/`--help`. Throws {@link ProxyUsageError}.
 *
 * @example
 * ```ts
 * import { parseProxyArgs } from "./proxy_args.ts";
 *
 * parseProxyArgs(["--service", "memory", "--config", "~/mux.yaml"], "/home/ada");
 * // { kind: "proxy", service: "memory", config: "/home/ada/mux.yaml" }
 * ```
 */
export function parseProxyArgs(
  args: readonly string[],
  home: string | undefined,
): ProxyCommand | "help" {
  const values = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "-h" || arg === "--help") return "help";
    const eq = arg.startsWith("--") ? arg.indexOf("=") : -1;
    const flag = eq === -1 ? arg : arg.slice(0, eq);
    if (!flag.startsWith("-")) throw new ProxyUsageError(`proxy: unexpected argument "${arg}"`);
    if (!VALUE_FLAGS.has(flag)) throw new ProxyUsageError(`unknown option ${flag}`);
    let value = eq === -1 ? args[++i] : arg.slice(eq + 1);
    // A negative number is a (wrong) value, said so below, not a missing one.
    const number = flag === "--reconnect-timeout-ms" && /^-[\d.]/.test(value ?? "");
    if (value === undefined || (eq === -1 && value.startsWith("-") && value !== "-" && !number)) {
      throw new ProxyUsageError(`${flag} needs a value`);
    }
    if (flag !== "--service" && flag !== "--reconnect-timeout-ms") value = expandHome(value, home);
    values.set(flag, value);
  }
  const command: ProxyCommand = { kind: "proxy" };
  const raw = values.get("--reconnect-timeout-ms");
  if (raw !== undefined) {
    if (!/^\d+$/.test(raw) || !Number.isSafeInteger(Number(raw))) {
      throw new ProxyUsageError(
        `--reconnect-timeout-ms: expected a whole number ≥ 0, got "${raw}"`,
      );
    }
    command.reconnectMs = Number(raw);
  }
  const socket = values.get("--socket");
  const config = values.get("--config");
  const service = values.get("--service");
  if (socket === undefined && service === undefined) {
    throw new ProxyUsageError(
      config === undefined
        ? "proxy: --socket PATH is required (or --service NAME [--config FILE])"
        : "proxy: with --config, name the service (--service NAME) or its socket (--socket PATH)",
    );
  }
  if (socket !== undefined) command.socket = socket;
  if (config !== undefined) command.config = config;
  if (service !== undefined) command.service = service;
  return command;
}

function expandHome(path: string, home: string | undefined): string {
  if (!home) return path;
  if (path === "~") return home;
  return path.startsWith("~/") ? home.replace(/\/$/, "") + path.slice(1) : path;
}
