/**
 * How the benchmark starts what it measures: the two upstream servers, the
 * mux (as its own process, like in production), the `rmcp-mux proxy`
 * bridge, and the byte relay baseline.
 *
 * @module
 */

import type { BenchContext } from "./context.ts";
import { RawClient } from "./ndjson_client.ts";
import { freePort, type Managed, spawn, waitForPort, waitForSocket } from "./proc.ts";

/** The reference server package (pinned like in deno.json). */
export const REFERENCE_PACKAGE = "@modelcontextprotocol/server-everything@2026.8.31";

/** An MCP server program. */
export interface Upstream {
  /** "fast" or "reference". */
  id: string;
  /** Label for tables. */
  label: string;
  cmd: string;
  args: string[];
  cwd: string;
}

/** The benchmark's own minimal server: the transports' cost is what shows. */
export function fastServer(ctx: BenchContext): Upstream {
  return {
    id: "fast",
    label: "fast fixture",
    cmd: ctx.deno,
    args: ["run", "-A", "--quiet", `${ctx.root}bench/fixtures/fast_server.ts`],
    cwd: ctx.root,
  };
}

/** The MCP reference server, run by Deno from the project root. */
export function referenceServer(ctx: BenchContext): Upstream {
  return {
    id: "reference",
    label: "reference server",
    cmd: ctx.deno,
    args: ["run", "-A", "--quiet", `npm:${REFERENCE_PACKAGE}`, "stdio"],
    cwd: ctx.root,
  };
}

/** The server as its own client's private process, spoken to over stdio. */
export interface Direct {
  process: Managed;
  client: RawClient;
}

/** Start `upstream` with piped stdio and a raw client on it (initialized). */
export async function startDirect(upstream: Upstream, name = "direct"): Promise<Direct> {
  const process = spawn(`${upstream.label} (${name})`, upstream.cmd, upstream.args, {
    cwd: upstream.cwd,
    stdin: "piped",
    stdout: "piped",
  });
  const client = RawClient.overChild(process);
  await withTimeout(client.initialize(), 60_000, process);
  return { process, client };
}

/** A process listening on a socket (the mux or the relay). */
export interface Listening {
  process: Managed;
  socket: string;
}

/** Options of {@link startMux}. */
export interface MuxProcessOptions {
  /** `--max-active-clients` (the default 64 would make clients past it wait). */
  maxActiveClients?: number;
  /** `--log-level` (default: the mux's own default, info). */
  logLevel?: string;
  /** Also serve over Streamable HTTP on this 127.0.0.1 port (with a token). */
  httpPort?: number;
}

/** A mux serving over HTTP too: its endpoint and bearer token. */
export interface HttpListening extends Listening {
  url: string;
  token: string;
}

/** Run `rmcp-mux` as its own process in front of `upstream`; resolves once it listens. */
export async function startMux(
  ctx: BenchContext,
  upstream: Upstream,
  options: MuxProcessOptions = {},
): Promise<Listening> {
  const socket = ctx.socketPath(`mux-${upstream.id}`);
  const args = [
    "run",
    "-A",
    `${ctx.root}main.ts`,
    "--socket",
    socket,
    "--max-active-clients",
    String(options.maxActiveClients ?? 2048),
    ...(options.logLevel ? ["--log-level", options.logLevel] : []),
    ...(options.httpPort === undefined ? [] : [
      "--http",
      `127.0.0.1:${options.httpPort}`,
      "--http-max-sessions",
      String(options.maxActiveClients ?? 2048),
    ]),
    "--cmd",
    upstream.cmd,
    "--",
    ...upstream.args,
  ];
  const process = spawn(`rmcp-mux (${upstream.label})`, ctx.deno, args, {
    cwd: upstream.cwd,
    // The HTTP token file goes to the benchmark's temporary directory.
    env: { ...Deno.env.toObject(), XDG_STATE_HOME: `${ctx.tmp}/state` },
  });
  await waitForSocket(socket, process);
  return { process, socket };
}

/** The mux with an HTTP listener on a free port; resolves once both listen. */
export async function startHttpMux(
  ctx: BenchContext,
  upstream: Upstream,
  options: Omit<MuxProcessOptions, "httpPort"> = {},
): Promise<HttpListening> {
  const port = freePort();
  const mux = await startMux(ctx, upstream, { ...options, httpPort: port });
  await waitForPort(port, mux.process);
  const token = (await Deno.readTextFile(`${ctx.tmp}/state/rmcp-mux/http.token`)).trim();
  return { ...mux, url: `http://127.0.0.1:${port}/mcp`, token };
}

/** Run the byte relay baseline as its own process in front of `upstream`. */
export async function startRelay(ctx: BenchContext, upstream: Upstream): Promise<Listening> {
  const socket = ctx.socketPath(`relay-${upstream.id}`);
  const process = spawn(
    `relay (${upstream.label})`,
    ctx.deno,
    ["run", "-A", `${ctx.root}bench/lib/relay.ts`, socket, upstream.cmd, ...upstream.args],
    { cwd: upstream.cwd },
  );
  await waitForSocket(socket, process);
  return { process, socket };
}

/**
 * Run the minimal router baseline (`minimal_router.ts`: parse, rewrite the
 * id, serialize, batch per tick, nothing else) as its own process.
 */
export async function startMinimalRouter(
  ctx: BenchContext,
  upstream: Upstream,
): Promise<Listening> {
  const socket = ctx.socketPath(`router-${upstream.id}`);
  const process = spawn(
    `minimal router (${upstream.label})`,
    ctx.deno,
    ["run", "-A", `${ctx.root}bench/lib/minimal_router.ts`, socket, upstream.cmd, ...upstream.args],
    { cwd: upstream.cwd },
  );
  await waitForSocket(socket, process);
  return { process, socket };
}

/** `rmcp-mux proxy --socket …` with a raw client on its stdio (not initialized). */
export function startProxy(ctx: BenchContext, socket: string): Direct {
  const process = spawn("rmcp-mux proxy", ctx.deno, [
    "run",
    "-A",
    `${ctx.root}main.ts`,
    "proxy",
    "--socket",
    socket,
  ], { cwd: ctx.root, stdin: "piped", stdout: "piped" });
  return { process, client: RawClient.overChild(process) };
}

/** A raw client on a socket, initialized. */
export async function connectSocket(socket: string, owner: Managed): Promise<RawClient> {
  const client = await RawClient.overSocket(socket);
  await withTimeout(client.initialize(), 60_000, owner);
  return client;
}

/** Reject with the owner's stderr tail if `promise` takes longer than `ms`. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, owner?: Managed): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(new Error(`timed out after ${ms} ms${owner ? `: ${owner.describe()}` : ""}`)),
          ms,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
