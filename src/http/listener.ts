/**
 * The HTTP listener (`--http ADDR`, `daemon.http.listen`): `Deno.serve`
 * (HTTP/1.1 and HTTP/2) in front of every service of a daemon, service NAME
 * at `/mcp/NAME` (and at `/mcp` when it serves exactly one), behind the
 * DNS-rebinding checks and the bearer token. `GET /healthz` answers `ok`
 * without a token, for load balancers. A service that stops (or leaves the
 * config) needs nothing from the listener: its mux closes every client it
 * opened, HTTP sessions and 2026-07-28 requests included, and the path then
 * answers 404.
 *
 * @module
 */

import type { Logger } from "@logtape/logtape";
import { ErrorCode } from "../jsonrpc/codes.ts";
import { muxLogger } from "../log/logger.ts";
import { type HttpService, McpEndpoint } from "./endpoint.ts";
import { RequestGuard } from "./guard.ts";
import { ModernEndpoint } from "./modern_endpoint.ts";
import { hostPort, type HttpOptions, resolveHttpOptions } from "./options.ts";
import { SessionTable } from "./session_table.ts";
import { errorReply } from "./wire.ts";
import { defaultTokenFile, loadOrCreateToken } from "./token.ts";

/** The services a listener serves, looked up on every request (a daemon's change over time). */
export interface HttpServices {
  /** The running service called `name`, if any. */
  get(name: string): HttpService | undefined;
  /** Names of the services (for `/mcp` and for error messages). */
  names(): string[];
  /**
   * Pages at the listener's other paths (the daemon's dashboard at `/`): asked
   * after the Host/Origin checks and before the token check (a page has its
   * own sign-in); `undefined` passes the request on.
   */
  app?(request: Request): Promise<Response | undefined>;
}

/** A running HTTP listener. Close it with {@link HttpListener.close} or `await using`. */
export class HttpListener implements AsyncDisposable {
  readonly #server: Deno.HttpServer<Deno.NetAddr>;
  readonly #table: SessionTable;
  readonly #modern: ModernEndpoint;
  readonly #base: string;
  readonly #log: Logger;
  readonly #tokenFile: string | undefined;
  readonly #guard: RequestGuard;
  #closing: Promise<void> | undefined;

  private constructor(
    server: Deno.HttpServer<Deno.NetAddr>,
    table: SessionTable,
    modern: ModernEndpoint,
    base: string,
    log: Logger,
    tokenFile: string | undefined,
    guard: RequestGuard,
  ) {
    this.#server = server;
    this.#table = table;
    this.#modern = modern;
    this.#base = base;
    this.#log = log;
    this.#tokenFile = tokenFile;
    this.#guard = guard;
  }

  /**
   * Listen. With `auth: "token"` (the default) the token file is read, or
   * created on first start. Throws {@link HttpOptionError} for settings that
   * cannot work (a non-loopback address without `allowRemote`), and the
   * address's error when it cannot be bound.
   *
   * @example
   * ```ts ignore
   * const listener = await HttpListener.start({ listen: "127.0.0.1:0", auth: "none" }, {
   *   get: (name) => (name === mux.service ? mux : undefined),
   *   names: () => [mux.service],
   * });
   * console.log(listener.urlFor(mux.service)); // http://127.0.0.1:41234/mcp/tools
   * ```
   */
  static async start(
    options: HttpOptions,
    services: HttpServices,
    env: { now?: () => number; dirs?: { HOME?: string; XDG_STATE_HOME?: string } } = {},
  ): Promise<HttpListener> {
    const resolved = resolveHttpOptions(options);
    const log = muxLogger("http");
    let token: string | undefined;
    let tokenFile: string | undefined;
    if (resolved.auth === "token") {
      tokenFile = resolved.tokenFile ?? defaultTokenFile(
        env.dirs ?? {
          HOME: Deno.env.get("HOME"),
          XDG_STATE_HOME: Deno.env.get("XDG_STATE_HOME"),
        },
      );
      token = await loadOrCreateToken(tokenFile);
    }
    const now = env.now ?? Date.now;
    const table = new SessionTable({
      maxSessions: resolved.maxSessions,
      sessionIdleMs: resolved.sessionIdleMs,
      log,
      now,
    });
    const modern = new ModernEndpoint({ maxRequests: resolved.maxRequests, log, now });
    const endpoint = new McpEndpoint(table, modern, log, now);
    const { hostname } = resolved.listen;
    const ref: { guard?: RequestGuard } = {};
    const server = Deno.serve({
      hostname,
      port: resolved.listen.port,
      onListen: () => {},
      onError: (error) => {
        log.error("HTTP request failed: {error}", { error: String(error) });
        return errorReply(500, ErrorCode.InternalError, "Internal error in rmcp-mux");
      },
    }, (request) => route(request, ref.guard!, endpoint, services));
    const port = server.addr.port;
    ref.guard = new RequestGuard({
      hostname,
      port,
      checkHost: resolved.listen.loopback,
      token,
    });
    const base = `http://${hostPort(hostname, port)}`;
    if (!resolved.listen.loopback) {
      log.warn(
        "HTTP listener on {address} accepts remote clients (--http-allow-remote): traffic is " +
          "plain HTTP; put a TLS-terminating reverse proxy in front of it",
        { address: hostPort(hostname, port) },
      );
    }
    if (resolved.auth === "none") {
      log.warn(
        "HTTP listener on {address} has no token (--http-auth none): any local " +
          "process can use these servers",
        { address: hostPort(hostname, port) },
      );
    }
    log.info("HTTP listening on {url} ({auth})", {
      url: `${base}/mcp`,
      auth: tokenFile ? `bearer token in ${tokenFile}` : "no token",
    });
    return new HttpListener(server, table, modern, base, log, tokenFile, ref.guard);
  }

  /** `http://HOST:PORT` (the port resolved when 0 was asked for). */
  get url(): string {
    return this.#base;
  }

  /** The bound port. */
  get port(): number {
    return this.#server.addr.port;
  }

  /** The token file in use (`undefined` with `auth: "none"`). */
  get tokenFile(): string | undefined {
    return this.#tokenFile;
  }

  /** The endpoint of a service: `…/mcp/NAME`. */
  urlFor(service: string): string {
    return `${this.#base}/mcp/${encodeURIComponent(service)}`;
  }

  /** True when the listener has a token and `headers` carry it (`Authorization: Bearer …`). */
  hasToken(headers: Headers): boolean {
    return this.#tokenFile !== undefined && this.#guard.checkToken(headers) === undefined;
  }

  /** HTTP sessions held. */
  get sessions(): number {
    return this.#table.size;
  }

  /** MCP 2026-07-28 requests held open (calls in flight, listens, calls waiting for their retry). */
  get requests(): number {
    return this.#modern.size;
  }

  /** End every session, then stop listening. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#table.close("the mux is shutting down");
      this.#modern.close();
      await this.#server.shutdown();
      this.#log.debug("HTTP listener closed");
    })();
    return this.#closing;
  }

  /** Same as {@link close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

async function route(
  request: Request,
  guard: RequestGuard,
  endpoint: McpEndpoint,
  services: HttpServices,
): Promise<Response> {
  const refused = guard.checkOrigin(request.headers, request.url);
  if (refused) return errorReply(refused.status, refused.code, refused.message, refused.headers);
  const path = pathOf(request.url);
  const origin = request.headers.get("origin");
  if (request.method === "OPTIONS") {
    return preflight(origin, request.headers.get("access-control-request-headers"));
  }
  if (path === "/healthz" && request.method === "GET") {
    return new Response('{"status":"ok"}', { headers: { "content-type": "application/json" } });
  }
  if (services.app && path !== "/mcp" && !path.startsWith("/mcp/")) {
    const page = await services.app(request);
    if (page) return page;
  }
  const unauthorized = guard.checkToken(request.headers);
  if (unauthorized) {
    await request.body?.cancel().catch(() => {});
    return withCors(
      errorReply(
        unauthorized.status,
        unauthorized.code,
        unauthorized.message,
        unauthorized.headers,
      ),
      origin,
    );
  }
  const service = resolve(path, services);
  if (service instanceof Response) {
    await request.body?.cancel().catch(() => {});
    return withCors(service, origin);
  }
  return withCors(await endpoint.handle(request, service), origin);
}

function resolve(path: string, services: HttpServices): HttpService | Response {
  // The list of endpoints is only for the error messages: built when one is needed.
  const list = () => services.names().map((n) => `/mcp/${n}`).join(", ") || "none";
  if (path === "/mcp") {
    const names = services.names();
    const only = names.length === 1 ? services.get(names[0]!) : undefined;
    if (only) return only;
    return errorReply(
      404,
      ErrorCode.InvalidRequest,
      `Not found: /mcp serves a single service, and this listener serves ${names.length}; ` +
        `use one of: ${list()}`,
    );
  }
  const match = /^\/mcp\/([^/]+)$/.exec(path);
  let name: string | undefined;
  try {
    name = match ? decodeURIComponent(match[1]!) : undefined;
  } catch {
    return errorReply(
      400,
      ErrorCode.InvalidRequest,
      `Bad request: the path ${path.slice(0, 200)} has a malformed %-escape; use one of: ${list()}`,
    );
  }
  const service = name === undefined ? undefined : services.get(name);
  if (!service) {
    return errorReply(
      404,
      ErrorCode.InvalidRequest,
      name === undefined
        ? `Not found: ${path || "/"} is not an MCP endpoint; use one of: ${list()}`
        : `Not found: no running service "${name}"; this listener serves: ${list()}`,
    );
  }
  return service;
}

/** Headers a browser client may send: the transports' own, and 2026-07-28's `Mcp-Param-*`. */
const CORS_HEADERS = "authorization, content-type, accept, mcp-session-id, mcp-protocol-version, " +
  "last-event-id, mcp-method, mcp-name";

/** Origins allowed by the guard get CORS answers (a browser client on the listener's own origin). */
function preflight(origin: string | null, requested: string | null): Response {
  // `Mcp-Param-{Name}` names are the server's choice: each one asked for is allowed.
  const params = (requested ?? "").split(",").map((h) => h.trim().toLowerCase())
    .filter((h) => /^mcp-param-[!#$%&'*+\-.^_`|~0-9a-z]+$/.test(h));
  return withCors(
    new Response(null, {
      status: 204,
      headers: {
        "access-control-allow-methods": "GET, POST, DELETE",
        "access-control-allow-headers": [CORS_HEADERS, ...params].join(", "),
        "access-control-max-age": "600",
      },
    }),
    origin,
  );
}

function withCors(response: Response, origin: string | null): Response {
  if (origin === null) return response;
  response.headers.set("access-control-allow-origin", origin);
  response.headers.set("access-control-expose-headers", "mcp-session-id");
  response.headers.set("vary", "origin");
  return response;
}

/** The path of an absolute URL, without trailing slashes (cheaper than `new URL`). */
function pathOf(url: string): string {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  if (start === -1) return "";
  let end = url.length;
  const query = url.indexOf("?", start);
  if (query !== -1) end = query;
  const hash = url.indexOf("#", start);
  if (hash !== -1 && hash < end) end = hash;
  while (end > start && url.charCodeAt(end - 1) === 0x2f) end--;
  return url.slice(start, end);
}
