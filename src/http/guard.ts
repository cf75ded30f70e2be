/**
 * Who may talk to the listener: DNS-rebinding protection (the `Host` must
 * name the loopback listener, an `Origin` must be the listener's own) and
 * the bearer token. Pure: headers in, a refusal (or none) out.
 *
 * @module
 */

import { ErrorCode } from "../jsonrpc/codes.ts";
import { hostPort, isLoopback } from "./options.ts";
import { hintCommand } from "../paths/self_command.ts";

/** An HTTP refusal: status, JSON-RPC error code and message, extra headers. */
export interface Refusal {
  status: number;
  code: number;
  message: string;
  headers?: Record<string, string>;
}

/** Settings of a {@link RequestGuard}. */
export interface GuardOptions {
  /** The bound hostname and port (after port 0 was resolved). */
  hostname: string;
  port: number;
  /** Check `Host` (loopback listeners): only the listener's loopback names pass. */
  checkHost: boolean;
  /** The bearer token, or `undefined` for `--http-auth none`. */
  token: string | undefined;
}

/** Checks a request's `Host`, `Origin` and `Authorization`. */
export class RequestGuard {
  readonly #hosts: ReadonlySet<string>;
  readonly #origins: ReadonlySet<string>;
  readonly #checkHost: boolean;
  readonly #token: Uint8Array | undefined;
  /** The token as text, for the fast path of {@link checkToken}. */
  readonly #tokenText: string | undefined;

  constructor(options: GuardOptions) {
    const names = new Set(["localhost", "127.0.0.1", "[::1]"]);
    if (isLoopback(options.hostname) || !options.checkHost) {
      names.add(hostPort(options.hostname, options.port).replace(/:\d+$/, ""));
    }
    const hosts = new Set<string>();
    const origins = new Set<string>();
    for (const name of names) {
      const withPort = `${name}:${options.port}`.toLowerCase();
      hosts.add(withPort);
      if (options.port === 80) hosts.add(name);
      origins.add(`http://${withPort}`);
      origins.add(`https://${withPort}`);
      if (options.port === 80) origins.add(`http://${name}`);
      if (options.port === 443) origins.add(`https://${name}`);
    }
    this.#hosts = hosts;
    this.#origins = origins;
    this.#checkHost = options.checkHost;
    this.#token = options.token === undefined ? undefined : new TextEncoder().encode(options.token);
    this.#tokenText = options.token;
  }

  /**
   * Host and Origin: a refusal (403) for a request a web page could have
   * forged. HTTP/2 has no `Host` header (its `:authority` is the URL's host):
   * pass the request's `url` so that it is checked instead.
   */
  checkOrigin(headers: Headers, url?: string): Refusal | undefined {
    const host = (headers.get("host") ?? (url === undefined ? undefined : authorityOf(url)))
      ?.toLowerCase();
    if (this.#checkHost && (host === undefined || !this.#hosts.has(host))) {
      return {
        status: 403,
        code: ErrorCode.InvalidRequest,
        message: `Forbidden: Host "${host ?? ""}" is not this listener's loopback address ` +
          "(DNS-rebinding protection); connect to the URL rmcp-mux printed",
      };
    }
    const origin = headers.get("origin");
    if (origin !== null && !this.#origins.has(origin.toLowerCase())) {
      return {
        status: 403,
        code: ErrorCode.InvalidRequest,
        message: `Forbidden: Origin "${origin}" may not use this listener (only its own ` +
          "origin may: a web page cannot reach your MCP servers)",
      };
    }
    return undefined;
  }

  /** The bearer token: a refusal (401) when it is missing or wrong. */
  checkToken(headers: Headers): Refusal | undefined {
    if (this.#token === undefined) return undefined;
    const header = headers.get("authorization") ?? "";
    // Every request carries it: the usual form (`Bearer <token>`, one space) is compared
    // in place, without a regex or an encoding; anything else takes the general path.
    if (sameTextAt(header, 7, this.#tokenText!) && /^bearer $/i.test(header.slice(0, 7))) {
      return undefined;
    }
    const match = /^Bearer +(\S+) *$/i.exec(header);
    const unauthorized = (message: string): Refusal => ({
      status: 401,
      code: ErrorCode.InvalidRequest,
      message,
      headers: { "www-authenticate": 'Bearer realm="rmcp-mux"' },
    });
    if (!match) {
      return unauthorized(
        "Unauthorized: send the header Authorization: Bearer <token> (print the token with " +
          `"${hintCommand()} http token")`,
      );
    }
    if (!sameBytes(new TextEncoder().encode(match[1]!), this.#token)) {
      return unauthorized(
        `Unauthorized: wrong bearer token (print the current one with "${hintCommand()} http token")`,
      );
    }
    return undefined;
  }

  /** True when `origin` is one the listener answers CORS requests for. */
  allowsOrigin(origin: string): boolean {
    return this.#origins.has(origin.toLowerCase());
  }
}

/** The `host[:port]` of an absolute URL (cheaper than `new URL`); `undefined` if there is none. */
function authorityOf(url: string): string | undefined {
  const start = url.indexOf("//");
  if (start === -1) return undefined;
  const end = url.indexOf("/", start + 2);
  return url.slice(start + 2, end === -1 ? undefined : end) || undefined;
}

/**
 * True when `text` from `offset` on is exactly `expected`, in time that depends on
 * the length only, not on where the characters differ.
 */
function sameTextAt(text: string, offset: number, expected: string): boolean {
  if (text.length - offset !== expected.length) return false;
  let diff = 0;
  for (let i = 0; i < expected.length; i++) {
    diff |= text.charCodeAt(offset + i) ^ expected.charCodeAt(i);
  }
  return diff === 0;
}

/** Compare in time that depends on the length only, not on where the bytes differ. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
