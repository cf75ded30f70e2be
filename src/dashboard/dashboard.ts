/**
 * The dashboard as a portable handler: web-standard `Request` in, `Response`
 * out (or `undefined` for paths that are not its own), so any HTTP server can
 * mount it — the daemon's HTTP listener at `/`, `Deno.serve` in tests.
 *
 * Routes: `/` the page, `/assets/*` its files, `/login?code=` the one-time
 * login, `/logout`, `POST /api/key` (the page claims its session's key, once),
 * `/api/status`, `/api/events` (server-sent events),
 * `POST /api/services/NAME/restart|stop|start`, `POST /api/reload`. Every
 * other `/api/*` needs the cookie and the key (header `X-Rmcp-Mux-Key`, or
 * `?key=` for the event stream, which cannot send headers), or the bearer token.
 *
 * @module
 */

import type { DaemonStatus, ServiceStatus } from "../daemon/daemon.ts";
import { describeReload, type ReloadReport } from "../daemon/reload.ts";
import type { ServiceHistory } from "../daemon/history.ts";
import { ASSETS, INDEX_HTML } from "./assets.ts";
import { cookieName, cookieOf, Logins, refusal, SESSION_TTL_MS } from "./auth.ts";
import { EventFeed } from "./events.ts";
import { hintCommand, shellWord } from "../paths/self_command.ts";

/** What the dashboard shows and acts on: a {@link Daemon} fits. */
export interface DashboardDaemon {
  /** Every service's state. */
  status(): DaemonStatus;
  /** Every service's recent throughput, latency and events. */
  history(): Record<string, ServiceHistory>;
  /** Be told of every change; returns the unsubscribe function. */
  subscribe(listener: () => void): () => void;
  /** Restart a service's server process. */
  restart(name: string): Promise<ServiceStatus>;
  /** Stop a service. */
  stop(name: string): Promise<ServiceStatus>;
  /** Start a stopped service. */
  start(name: string): Promise<ServiceStatus>;
  /** Re-read the config file. */
  reload(): Promise<ReloadReport>;
}

/** Settings of {@link createDashboard}. */
export interface DashboardOptions {
  /** The daemon to show. */
  daemon: DashboardDaemon;
  /**
   * Requests this returns true for may use `/api/*` without the browser's
   * session cookie: the daemon passes the HTTP listener's bearer-token check,
   * so scripts can send `Authorization: Bearer TOKEN`.
   */
  authorize?: (request: Request) => boolean;
  /** The clock (ms since epoch), for tests. */
  now?: () => number;
}

/** A one-time login link. */
export interface DashboardLogin {
  /** Open it in a browser: it signs in and shows the dashboard. */
  url: string;
  /** When the link stops working (ms since epoch); it works once. */
  expiresAt: number;
}

const SECURITY_HEADERS: Record<string, string> = {
  // Only the daemon's own files run; nothing is loaded from anywhere else.
  "content-security-policy": "default-src 'none'; script-src 'self'; style-src 'self'; " +
    "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; " +
    "frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "cross-origin-resource-policy": "same-origin",
};

function respond(
  status: number,
  body: BodyInit | null,
  type: string | undefined,
  extra: Record<string, string> = {},
): Response {
  return new Response(body, {
    status,
    headers: {
      ...SECURITY_HEADERS,
      "cache-control": "no-store",
      ...(type ? { "content-type": type } : {}),
      ...extra,
    },
  });
}

function json(status: number, value: unknown, extra?: Record<string, string>): Response {
  return respond(status, JSON.stringify(value), "application/json; charset=utf-8", extra);
}

/** A page saying why there is nothing to see, and what to do. */
function notice(status: number, title: string, text: string): Response {
  const page = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>rmcp-mux: ${title}</title>
<link rel="icon" href="data:,"><link rel="stylesheet" href="/assets/style.css"></head>
<body><header id="header"><h1>rmcp-mux</h1><p class="bad">${title}</p><p>${text}</p></header>
</body></html>
`;
  return respond(status, page, "text/html; charset=utf-8");
}

/** `rmcp-mux dashboard`, as this machine types it (see `hintCommand`), for a page. */
function dashboardCommandHtml(): string {
  return `<code>${html(`${hintCommand()} dashboard`)}</code>`;
}

function html(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;");
}

/** How to stop this daemon, for a reload that needs a restart. */
function shutdownCommand(config: string | null | undefined): string {
  return `${hintCommand()} shutdown` + (config ? ` --config ${shellWord(config)}` : "");
}

function notSignedInPage(): Response {
  const command = dashboardCommandHtml();
  return notice(
    401,
    "Not signed in",
    `Run ${command} (or ${
      command.replace("</code>", " --open</code>")
    }) for a one-time login link.`,
  );
}

function notSignedIn(): Response {
  return json(401, {
    ok: false,
    text: `not signed in: run \`${hintCommand()} dashboard\` for a one-time login link`,
  }, { "www-authenticate": 'Bearer realm="rmcp-mux"' });
}

/** The page's session key: a header on fetches, `?key=` on the event stream. */
function keyOf(request: Request): string {
  return request.headers.get("x-rmcp-mux-key") ??
    new URL(request.url).searchParams.get("key") ?? "";
}

const SERVICE_ACTION = /^\/api\/services\/([^/]+)\/(restart|stop|start)$/;

/** The dashboard: a request handler plus the login codes it accepts. */
export class Dashboard implements AsyncDisposable {
  readonly #daemon: DashboardDaemon;
  readonly #authorize: ((request: Request) => boolean) | undefined;
  readonly #now: () => number;
  readonly #logins: Logins;
  readonly #feed: EventFeed;
  #closed = false;

  /** A dashboard for `options.daemon`; {@link createDashboard} says the same. */
  constructor(options: DashboardOptions) {
    this.#daemon = options.daemon;
    this.#authorize = options.authorize;
    this.#now = options.now ?? Date.now;
    this.#logins = new Logins(this.#now);
    this.#feed = new EventFeed({
      snapshot: () => this.#snapshot(),
      subscribe: (listener) => this.#daemon.subscribe(listener),
      now: this.#now,
    });
  }

  /**
   * A one-time login link for the dashboard served at `origin`
   * (`http://127.0.0.1:7878`): valid once, for two minutes.
   */
  login(origin: string): DashboardLogin {
    const { code, expiresAt } = this.#logins.mintCode();
    return { url: `${origin.replace(/\/+$/, "")}/login?code=${code}`, expiresAt };
  }

  /** Answer a request, or `undefined` when the path is not the dashboard's. */
  handle(request: Request): Promise<Response | undefined> {
    const path = new URL(request.url).pathname;
    const ours = path === "/" || path === "/login" || path === "/logout" ||
      path.startsWith("/assets/") || path.startsWith("/api/");
    if (!ours) return Promise.resolve(undefined);
    return this.#route(request, path);
  }

  /** End every event stream and forget every login. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#feed.close();
    this.#logins.clear();
  }

  /** Same as {@link close}. */
  [Symbol.asyncDispose](): Promise<void> {
    this.close();
    return Promise.resolve();
  }

  async #route(request: Request, path: string): Promise<Response> {
    const refused = refusal(request);
    if (refused) {
      return path.startsWith("/api/")
        ? json(403, { ok: false, text: refused })
        : respond(403, `${refused}\n`, "text/plain; charset=utf-8");
    }
    const method = request.method;
    if (path.startsWith("/assets/")) {
      const asset = ASSETS.get(path.slice("/assets/".length));
      if (!asset) return respond(404, "no such file\n", "text/plain; charset=utf-8");
      if (method !== "GET") return this.#wrongMethod("GET");
      return respond(200, asset.body, asset.type, { "cache-control": "no-cache" });
    }
    if (path === "/login") {
      if (method !== "GET") return this.#wrongMethod("GET");
      return this.#login(request);
    }
    const session = this.#session(request);
    if (path === "/") {
      if (method !== "GET") return this.#wrongMethod("GET");
      return session ? respond(200, INDEX_HTML.body, INDEX_HTML.type) : notSignedInPage();
    }
    if (path === "/logout") {
      if (method !== "POST") return this.#wrongMethod("POST");
      if (session && session !== "token") this.#logins.endSession(session);
      return respond(303, null, undefined, {
        location: "/",
        "set-cookie": `${cookieName(request)}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`,
      });
    }
    if (!session) return notSignedIn();
    if (path === "/api/key") {
      if (method !== "POST") return this.#wrongMethod("POST");
      const key = session === "token" ? undefined : this.#logins.claimKey(session);
      if (!key) {
        return json(409, {
          ok: false,
          text: "this sign-in is in use by another page already: run " +
            `\`${hintCommand()} dashboard\` for a new login link`,
        });
      }
      return json(200, { ok: true, key });
    }
    // The cookie reaches every port of this host; the key only this page.
    if (session !== "token" && !this.#logins.hasSession(session, keyOf(request))) {
      return notSignedIn();
    }
    return await this.#api(request, path);
  }

  async #api(request: Request, path: string): Promise<Response> {
    const method = request.method;
    if (path === "/api/status") {
      if (method !== "GET") return this.#wrongMethod("GET");
      return respond(200, `{"at":${this.#now()},${this.#snapshot().slice(1)}`, "application/json");
    }
    if (path === "/api/events") {
      if (method !== "GET") return this.#wrongMethod("GET");
      const stream = this.#closed ? undefined : this.#feed.open();
      if (!stream) {
        return json(503, { ok: false, text: "too many dashboards open at once; close one" });
      }
      return respond(200, stream, "text/event-stream; charset=utf-8", {
        "x-accel-buffering": "no",
      });
    }
    if (path === "/api/reload") {
      if (method !== "POST") return this.#wrongMethod("POST");
      return await this.#reload();
    }
    const action = path.match(SERVICE_ACTION);
    if (action) {
      if (method !== "POST") return this.#wrongMethod("POST");
      let name: string;
      try {
        name = decodeURIComponent(action[1]!);
      } catch {
        return json(400, { ok: false, text: "the service name in the path is not valid" });
      }
      return await this.#act(action[2] as "restart" | "stop" | "start", name);
    }
    return json(404, { ok: false, text: `no such dashboard endpoint: ${path}` });
  }

  #login(request: Request): Response {
    const code = new URL(request.url).searchParams.get("code") ?? "";
    const opened = code ? this.#logins.redeem(code) : undefined;
    if (!opened) {
      return notice(
        401,
        "This login link was already used or has expired",
        `Links work once, for two minutes. Run ${dashboardCommandHtml()} for a new one.`,
      );
    }
    // The code leaves the address bar at once; the session lives in a cookie scripts cannot read.
    return respond(303, null, undefined, {
      location: "/",
      "set-cookie": `${cookieName(request)}=${opened.session}; HttpOnly; SameSite=Strict; ` +
        `Path=/; Max-Age=${Math.floor(SESSION_TTL_MS / 1000)}`,
    });
  }

  /** The session id, `"token"` for a request `authorize` lets in, or `undefined`. */
  #session(request: Request): string | undefined {
    if (this.#authorize?.(request)) return "token";
    const session = cookieOf(request, cookieName(request));
    return session && this.#logins.hasSession(session) ? session : undefined;
  }

  #wrongMethod(allowed: string): Response {
    return respond(405, `use ${allowed}\n`, "text/plain; charset=utf-8", { allow: allowed });
  }

  #snapshot(): string {
    return JSON.stringify({ daemon: this.#daemon.status(), history: this.#daemon.history() });
  }

  async #act(command: "restart" | "stop" | "start", name: string): Promise<Response> {
    let service: ServiceStatus;
    try {
      service = await this.#daemon[command](name);
    } catch (error) {
      const text = error instanceof Error ? error.message : String(error);
      return json(/unknown service/.test(text) ? 404 : 409, { ok: false, text });
    }
    const phase = service.mux?.server.phase;
    const ok = command === "stop"
      ? service.state === "stopped"
      : service.mux !== undefined && (phase === "running" || phase === "idle");
    return json(200, { ok, text: describeOutcome(command, service), service });
  }

  async #reload(): Promise<Response> {
    let report: ReloadReport;
    try {
      report = await this.#daemon.reload();
    } catch (error) {
      const text = error instanceof Error ? error.message : String(error);
      return json(422, {
        ok: false,
        text: `reload refused, the running configuration stays: ${text}`,
      });
    }
    return json(200, {
      ok: Object.keys(report.errors).length === 0,
      text: describeReload(report, shutdownCommand(this.#daemon.status().config)),
      report,
    });
  }
}

/**
 * A dashboard for `daemon`. Mount `dashboard.handle` on an HTTP server
 * (it answers `undefined` for paths that are not its own) and hand out
 * `dashboard.login(origin).url` to sign a browser in.
 *
 * @example
 * ```ts
 * import { createDashboard, Daemon } from "@rmcp-mux/mux";
 *
 * const dir = await Deno.makeTempDir();
 * await using daemon = await Daemon.start({
 *   services: [{ name: "a", options: { socket: `${dir}/a.sock`, cmd: "a", lazyStart: true } }],
 * });
 * await using dashboard = createDashboard({ daemon });
 * await using server = Deno.serve(
 *   { hostname: "127.0.0.1", port: 0, onListen: () => {} },
 *   async (request) => await dashboard.handle(request) ?? new Response("not found", { status: 404 }),
 * );
 * const origin = `http://127.0.0.1:${server.addr.port}`;
 * console.log(dashboard.login(origin).url); // http://127.0.0.1:…/login?code=…
 * ```
 */
export function createDashboard(options: DashboardOptions): Dashboard {
  return new Dashboard(options);
}

/** `restarted beta: running (pid 123)`; `restarted crashy: failed (exit code 3; …)`. */
export function describeOutcome(
  command: "restart" | "stop" | "start",
  service: ServiceStatus,
): string {
  const verb = { restart: "restarted", stop: "stopped", start: "started" }[command];
  if (!service.mux) {
    return `${verb} ${service.name}: ${service.state}` +
      (service.error ? ` (${service.error})` : "");
  }
  const server = service.mux!.server;
  const why = server.phase === "failed" || server.phase === "restarting"
    ? ` (${server.reason ?? "unknown reason"})`
    : "";
  const pid = server.pid ? ` (pid ${server.pid})` : "";
  return `${verb} ${service.name}: ${server.phase}${why}${pid}`;
}
