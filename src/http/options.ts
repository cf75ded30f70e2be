/**
 * Settings of the Streamable HTTP listener, their defaults, and the listen
 * address (`127.0.0.1:7300`, `[::1]:0`, `7300`). Pure.
 *
 * @module
 */

/** `token`: every request needs `Authorization: Bearer <token>`; `none`: no check (loopback only). */
export type HttpAuth = "token" | "none";

/** Settings of one HTTP listener (one per daemon, or per single mux). */
export interface HttpOptions {
  /** Address to listen on: `HOST:PORT`, `[IPv6]:PORT` or `PORT` (loopback). Port 0 picks a free one. */
  listen: string;
  /** Default `token`. `none` is refused on a non-loopback address. */
  auth?: HttpAuth;
  /** Allow a non-loopback address (then Host is not checked; TLS is a reverse proxy's job). Default false. */
  allowRemote?: boolean;
  /** End a session with no request and no open stream for this long. Default 30 min. */
  sessionIdleMs?: number;
  /** HTTP sessions held at once, over every service. Default 1024. */
  maxSessions?: number;
  /**
   * MCP 2026-07-28 requests (POSTs without a session) held open at once, over
   * every service: calls in flight, listens, calls waiting for their retry.
   * Default 1024.
   */
  maxRequests?: number;
  /** The bearer token's file. Default `$XDG_STATE_HOME/rmcp-mux/http.token` (or `~/.local/state/…`). */
  tokenFile?: string;
}

/** Defaults of {@link HttpOptions}. */
export const HTTP_DEFAULTS = {
  auth: "token",
  allowRemote: false,
  sessionIdleMs: 30 * 60_000,
  maxSessions: 1024,
  maxRequests: 1024,
} as const;

/** {@link HttpOptions} with defaults filled in and the address parsed. */
export interface ResolvedHttpOptions {
  listen: ListenAddress;
  auth: HttpAuth;
  allowRemote: boolean;
  sessionIdleMs: number;
  maxSessions: number;
  maxRequests: number;
  tokenFile: string | undefined;
}

/** Where to listen. */
export interface ListenAddress {
  /** Host name or address as Deno.serve takes it (IPv6 without brackets). */
  hostname: string;
  /** Port; 0 = any free port. */
  port: number;
  /** True for 127.0.0.0/8, ::1 and `localhost`. */
  loopback: boolean;
}

/** An HTTP setting that cannot work; the message says what to change. */
export class HttpOptionError extends Error {
  /** Always `"HttpOptionError"`. */
  override name = "HttpOptionError";
}

/**
 * Parse a listen address. A bare port means `127.0.0.1:PORT`.
 *
 * @example
 * ```ts
 * import { parseListenAddress } from "./options.ts";
 * parseListenAddress("127.0.0.1:7300"); // { hostname: "127.0.0.1", port: 7300, loopback: true }
 * parseListenAddress("[::1]:0").hostname; // "::1"
 * ```
 */
export function parseListenAddress(text: string): ListenAddress {
  const value = text.trim();
  let hostname: string;
  let portText: string;
  const bracketed = /^\[([0-9a-fA-F:.]+)\]:(\d+)$/.exec(value);
  if (/^\d+$/.test(value)) {
    hostname = "127.0.0.1";
    portText = value;
  } else if (bracketed) {
    hostname = bracketed[1]!;
    portText = bracketed[2]!;
  } else {
    const colon = value.lastIndexOf(":");
    hostname = value.slice(0, colon);
    portText = value.slice(colon + 1);
    if (colon <= 0 || hostname.includes(":") || !/^[\w.-]+$/.test(hostname)) {
      throw new HttpOptionError(
        `listen: expected HOST:PORT (e.g. 127.0.0.1:7300, [::1]:7300 or 7300), got "${text}"`,
      );
    }
  }
  const port = /^\d+$/.test(portText) ? Number(portText) : NaN;
  if (!(port >= 0 && port <= 65535)) {
    throw new HttpOptionError(`listen: expected a port from 0 to 65535, got "${portText}"`);
  }
  return { hostname, port, loopback: isLoopback(hostname) };
}

/** True for `localhost`, 127.0.0.0/8 and ::1. */
export function isLoopback(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, "");
  return host === "localhost" || /^127(\.\d{1,3}){3}$/.test(host) || host === "::1" ||
    host === "0:0:0:0:0:0:0:1";
}

/** `host:port` as it appears in a URL or a Host header (IPv6 in brackets). */
export function hostPort(hostname: string, port: number): string {
  return `${hostname.includes(":") ? `[${hostname}]` : hostname}:${port}`;
}

/**
 * Fill in defaults and check the combination: a non-loopback address needs
 * `allowRemote`, and `auth: "none"` is for loopback only.
 *
 * @example
 * ```ts
 * import { resolveHttpOptions } from "./options.ts";
 * resolveHttpOptions({ listen: "7300" }).auth; // "token"
 * ```
 */
export function resolveHttpOptions(options: HttpOptions): ResolvedHttpOptions {
  const listen = parseListenAddress(options.listen);
  const auth = options.auth ?? HTTP_DEFAULTS.auth;
  if (auth !== "token" && auth !== "none") {
    throw new HttpOptionError(`auth: expected token or none, got "${String(auth)}"`);
  }
  const allowRemote = options.allowRemote ?? HTTP_DEFAULTS.allowRemote;
  const sessionIdleMs = options.sessionIdleMs ?? HTTP_DEFAULTS.sessionIdleMs;
  const maxSessions = options.maxSessions ?? HTTP_DEFAULTS.maxSessions;
  const maxRequests = options.maxRequests ?? HTTP_DEFAULTS.maxRequests;
  for (
    const [key, value, min] of [
      ["sessionIdleMs", sessionIdleMs, 1],
      ["maxSessions", maxSessions, 1],
      ["maxRequests", maxRequests, 1],
    ] as const
  ) {
    if (!Number.isSafeInteger(value) || value < min) {
      throw new HttpOptionError(`${key}: expected a whole number ≥ ${min}, got ${value}`);
    }
  }
  if (!listen.loopback && !allowRemote) {
    throw new HttpOptionError(
      `refusing to listen on ${hostPort(listen.hostname, listen.port)}: not a loopback ` +
        "address. Use 127.0.0.1 (the default), or allow remote clients explicitly with " +
        "--http-allow-remote (daemon.http.allow_remote) and put TLS in front of it",
    );
  }
  if (!listen.loopback && auth === "none") {
    throw new HttpOptionError(
      `refusing --http-auth none on ${hostPort(listen.hostname, listen.port)}: without a ` +
        "token, anyone who can reach that address could use your servers. Keep the token " +
        "(the default) for a non-loopback address",
    );
  }
  return {
    listen,
    auth,
    allowRemote,
    sessionIdleMs,
    maxSessions,
    maxRequests,
    tokenFile: options.tokenFile,
  };
}
