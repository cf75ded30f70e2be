/**
 * Scenario 6, peers on the same work and machine: the reference server
 * behind `supergateway` (one shared child, SSE) and behind `mcp-proxy` (one
 * shared child, Streamable HTTP), against the mux and a direct stdio
 * connection. Every path is driven by the MCP SDK client over its own
 * transport, so the client's cost is the same everywhere. Peers are dev
 * tooling, installed into bench/.peers (git-ignored) when missing.
 *
 * @module
 */

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { BenchContext, ScenarioResult, TargetResult } from "../lib/context.ts";
import { fig, mib, num, pct, table, usAsMs } from "../lib/format.ts";
import {
  freePort,
  type Managed,
  rssBytes,
  sleep,
  spawn,
  treeRssBytes,
  waitForPort,
} from "../lib/proc.ts";
import { LineTransport } from "../lib/sdk_transport.ts";
import { echoParams } from "../lib/ndjson_client.ts";
import {
  referenceServer,
  startDirect,
  startHttpMux,
  startMux,
  withTimeout,
} from "../lib/servers.ts";
import { type Figure, percentile, ratioFigure, Runs } from "../lib/stats.ts";

/** Peer versions, pinned. */
export const PEERS = { supergateway: "4.0.0", "mcp-proxy": "6.7.19" } as const;
const CLIENTS = 16;
const DEPTH = 4;

type PathId = "direct" | "mux" | "mux-http" | "supergateway" | "mcp-proxy";
const PATHS: PathId[] = ["direct", "mux", "mux-http", "supergateway", "mcp-proxy"];
const LABELS: Record<PathId, string> = {
  direct: "direct stdio (own server per client)",
  mux: "rmcp-mux (Unix socket)",
  "mux-http": "rmcp-mux (Streamable HTTP)",
  supergateway: `supergateway ${PEERS.supergateway} (SSE, shared child)`,
  "mcp-proxy": `mcp-proxy ${PEERS["mcp-proxy"]} (Streamable HTTP)`,
};

interface PathSetup {
  id: PathId;
  /** A new initialized SDK client. */
  connect(): Promise<Client>;
  /** Memory of what serves `CLIENTS` clients, bytes. */
  memory(): number | Promise<number>;
  /** Processes to stop. */
  processes: Managed[];
}

function peersDir(ctx: BenchContext): string {
  return `${ctx.root}bench/.peers`;
}

function installedVersion(ctx: BenchContext, name: string): string | undefined {
  try {
    const json = Deno.readTextFileSync(`${peersDir(ctx)}/node_modules/${name}/package.json`);
    return (JSON.parse(json) as { version?: string }).version;
  } catch {
    return undefined;
  }
}

/** Install the peers into bench/.peers unless the pinned versions are there. */
async function ensurePeers(ctx: BenchContext): Promise<string | undefined> {
  const missing = Object.entries(PEERS).filter(([name, v]) => installedVersion(ctx, name) !== v);
  if (missing.length === 0) return undefined;
  const specs = Object.entries(PEERS).map(([name, v]) => `${name}@${v}`);
  ctx.log(`peers: npm install --prefix bench/.peers ${specs.join(" ")}`);
  try {
    const out = await new Deno.Command("npm", {
      args: ["install", "--prefix", peersDir(ctx), "--no-audit", "--no-fund", ...specs],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) {
      return `npm install failed: ${new TextDecoder().decode(out.stderr).trim().slice(-500)}`;
    }
  } catch (error) {
    return `npm could not be run: ${error}`;
  }
  return undefined;
}

async function nodeVersion(): Promise<string> {
  try {
    const out = await new Deno.Command("node", { args: ["--version"], stderr: "null" }).output();
    return new TextDecoder().decode(out.stdout).trim();
  } catch {
    return "(node not found)";
  }
}

async function sdkClient(transport: Transport): Promise<Client> {
  const client = new Client({ name: "bench-sdk-client", version: "1.0.0" }, { capabilities: {} });
  await withTimeout(client.connect(transport), 30_000);
  return client;
}

function textOf(result: unknown): string | undefined {
  return (result as { content?: { text?: string }[] }).content?.[0]?.text;
}

/** Sequential SDK echo calls; µs each. */
async function sdkSequential(client: Client, count: number, tag: string) {
  const samples: number[] = [];
  let wrong = 0;
  for (let i = 0; i < count; i++) {
    const message = `${tag}-${i}`;
    const t0 = performance.now();
    try {
      const result = await client.callTool({ name: "echo", arguments: { message } }, undefined, {
        timeout: 15_000,
      });
      if (textOf(result) !== `Echo: ${message}`) wrong++;
    } catch {
      wrong++;
    }
    samples.push((performance.now() - t0) * 1000);
  }
  return { samples, wrong };
}

/** Closed-loop SDK load: `depth` calls in flight per client for `durationMs`. */
async function sdkLoad(clients: Client[], depth: number, durationMs: number, tag: string) {
  let ok = 0;
  let wrong = 0;
  let lost = 0;
  const latencies: number[] = [];
  const start = performance.now();
  const end = start + durationMs;
  let last = start;
  const caller = async (client: Client, name: string) => {
    let seq = 0;
    while (performance.now() < end) {
      const message = `${name}.${seq++}`;
      const t0 = performance.now();
      try {
        const result = await client.callTool({ name: "echo", arguments: { message } }, undefined, {
          timeout: 15_000,
        });
        if (textOf(result) === `Echo: ${message}`) ok++;
        else wrong++;
      } catch (error) {
        if (String(error).includes("timed out")) lost++;
        else wrong++;
      }
      const t1 = performance.now();
      latencies.push((t1 - t0) * 1000);
      last = t1;
    }
  };
  const callers: Promise<void>[] = [];
  clients.forEach((client, c) => {
    for (let d = 0; d < depth; d++) callers.push(caller(client, `${tag}.${c}.${d}`));
  });
  await Promise.all(callers);
  const elapsed = (last - start) / 1000;
  return { ok, wrong, lost, rate: ok / elapsed, p99: percentile(latencies, 99) };
}

async function setUp(ctx: BenchContext, id: PathId): Promise<PathSetup> {
  const upstream = referenceServer(ctx);
  const serverLine = [upstream.cmd, ...upstream.args];
  const node = (script: string, args: string[], name: string) =>
    spawn(name, "node", [`${peersDir(ctx)}/node_modules/${script}`, ...args], { cwd: ctx.root });
  switch (id) {
    case "direct": {
      const servers: Managed[] = [];
      return {
        id,
        connect: () => {
          const process = spawn("reference server (direct, SDK)", upstream.cmd, upstream.args, {
            cwd: upstream.cwd,
            stdin: "piped",
            stdout: "piped",
          });
          servers.push(process);
          return sdkClient(LineTransport.child(process));
        },
        // One own server per client: CLIENTS × the RSS of a fresh one that answered a call.
        memory: async () => {
          const fresh = await startDirect(upstream, "memory probe");
          try {
            await fresh.client.request("tools/call", echoParams("probe"));
            await sleep(300);
            return CLIENTS * rssBytes(fresh.process.pid);
          } finally {
            fresh.client.close();
            await fresh.process.stop();
          }
        },
        processes: servers,
      };
    }
    case "mux": {
      const mux = await startMux(ctx, upstream);
      return {
        id,
        connect: () => sdkClient(LineTransport.socket(mux.socket)),
        memory: () => treeRssBytes(mux.process.pid),
        processes: [mux.process],
      };
    }
    case "mux-http": {
      const mux = await startHttpMux(ctx, upstream);
      const headers = { authorization: `Bearer ${mux.token}` };
      return {
        id,
        connect: () =>
          sdkClient(
            new StreamableHTTPClientTransport(new URL(mux.url), { requestInit: { headers } }),
          ),
        memory: () => treeRssBytes(mux.process.pid),
        processes: [mux.process],
      };
    }
    case "supergateway": {
      const port = freePort();
      const process = node("supergateway/dist/index.js", [
        "--stdio",
        serverLine.map((a) => `'${a}'`).join(" "),
        "--port",
        String(port),
        "--logLevel",
        "none",
      ], "supergateway");
      await waitForPort(port, process);
      return {
        id,
        connect: () => sdkClient(new SSEClientTransport(new URL(`http://127.0.0.1:${port}/sse`))),
        memory: () => treeRssBytes(process.pid),
        processes: [process],
      };
    }
    case "mcp-proxy": {
      const port = freePort();
      const process = node("mcp-proxy/dist/bin/mcp-proxy.mjs", [
        "--port",
        String(port),
        "--host",
        "127.0.0.1",
        "--server",
        "stream",
        "--",
        ...serverLine,
      ], "mcp-proxy");
      await waitForPort(port, process);
      return {
        id,
        connect: () =>
          sdkClient(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${port}/mcp`))),
        memory: () => treeRssBytes(process.pid),
        processes: [process],
      };
    }
  }
}

/** Run scenario 6. */
export async function peersScenario(ctx: BenchContext): Promise<ScenarioResult> {
  const repeats = ctx.quick ? 3 : 5;
  const calls = ctx.quick ? 150 : 500;
  const loadRepeats = ctx.quick ? 2 : 3;
  const loadMs = ctx.quick ? 800 : 2_000;
  const installError = await ensurePeers(ctx);
  const unavailable: Partial<Record<PathId, string>> = {};
  if (installError) {
    unavailable.supergateway = installError;
    unavailable["mcp-proxy"] = installError;
  }
  const setups = new Map<PathId, PathSetup>();
  const single = new Map<PathId, Client>();
  const many = new Map<PathId, Client[]>();
  const runs = new Runs();
  const bad: Record<string, { wrong: number; lost: number }> = {};
  try {
    for (const id of PATHS) {
      if (unavailable[id]) continue;
      try {
        ctx.log(`peers: starting ${id}`);
        const setup = await setUp(ctx, id);
        setups.set(id, setup);
        single.set(id, await setup.connect());
        await sdkSequential(single.get(id)!, 50, `warm-${id}`);
      } catch (error) {
        const tail = setups.get(id)?.processes.map((p) => p.stderrTail.slice(-5).join(" | "));
        unavailable[id] = `could not run on Node ${await nodeVersion()}: ${
          String(error).split("\n")[0]
        }${tail?.length ? ` (${tail.join("; ")})` : ""}`;
        ctx.log(`peers: ${id} unavailable: ${unavailable[id]}`);
        for (const p of setups.get(id)?.processes ?? []) await p.stop();
        setups.delete(id);
      }
    }
    const ids = PATHS.filter((id) => setups.has(id));
    for (const id of ids) bad[id] = { wrong: 0, lost: 0 };
    for (let r = 0; r < repeats; r++) {
      for (const id of ids.map((_, i) => ids[(i + r) % ids.length]!)) {
        const result = await sdkSequential(single.get(id)!, calls, `${id}-${r}`);
        bad[id]!.wrong += result.wrong;
        runs.add(`${id}.p50`, percentile(result.samples, 50));
        runs.add(`${id}.p99`, percentile(result.samples, 99));
      }
      ctx.log(`peers: latency run ${r + 1}/${repeats} done`);
    }
    for (const id of ids) {
      // Direct: the same load on its one connection (the server is per client).
      many.set(id, [single.get(id)!]);
      if (id !== "direct") {
        for (let i = 1; i < CLIENTS; i++) many.get(id)!.push(await setups.get(id)!.connect());
      }
      const depth = id === "direct" ? CLIENTS * DEPTH : DEPTH;
      await sdkLoad(many.get(id)!, depth, 300, `warm-load-${id}`);
    }
    for (let r = 0; r < loadRepeats; r++) {
      for (const id of ids.map((_, i) => ids[(i + r) % ids.length]!)) {
        const depth = id === "direct" ? CLIENTS * DEPTH : DEPTH;
        const result = await sdkLoad(many.get(id)!, depth, loadMs, `${id}-load-${r}`);
        runs.add(`${id}.rate`, result.rate);
        runs.add(`${id}.loadP99`, result.p99);
        bad[id]!.wrong += result.wrong;
        bad[id]!.lost += result.lost;
      }
      ctx.log(`peers: load run ${r + 1}/${loadRepeats} done`);
    }
    await sleep(300);
    for (const id of ids) runs.add(`${id}.memory`, await setups.get(id)!.memory());
  } finally {
    for (const clients of [...many.values(), ...single.values()].flat()) {
      await withTimeout(clients.close(), 3_000).catch(() => {});
    }
    for (const setup of setups.values()) await Promise.all(setup.processes.map((p) => p.stop()));
  }

  const ratio = (id: PathId, key: string): Figure =>
    ratioFigure(runs.values(`${id}.${key}`), runs.values(`direct.${key}`));
  const rows: string[][] = [[
    "reference server via",
    "p50 ms",
    "p99 ms",
    "p50 × direct",
    `req/s (${CLIENTS} × ${DEPTH})`,
    "÷ direct",
    "wrong/lost",
    `RSS, ${CLIENTS} clients`,
  ]];
  for (const id of PATHS) {
    if (unavailable[id]) {
      rows.push([LABELS[id], "—", "—", "—", "—", "—", "—", "unavailable (see note)"]);
      continue;
    }
    rows.push([
      LABELS[id],
      fig(runs.get(`${id}.p50`), "", usAsMs),
      fig(runs.get(`${id}.p99`), "", usAsMs),
      id === "direct" ? "1 (baseline)" : fig(ratio(id, "p50"), " ×"),
      fig(runs.get(`${id}.rate`), "", num),
      id === "direct" ? "1 (baseline)" : fig(ratio(id, "rate"), " ×"),
      `${bad[id]?.wrong ?? 0}/${bad[id]?.lost ?? 0}`,
      `${mib(runs.get(`${id}.memory`).median)} MiB${id === "direct" ? " (16 servers)" : ""}`,
    ]);
  }
  const notes = [
    `SDK clients (@modelcontextprotocol/sdk) on every path; latency: ${calls} sequential calls × ${repeats} runs; ` +
    `load: ${CLIENTS} clients × ${DEPTH} in flight (direct: one connection × ${
      CLIENTS * DEPTH
    }), ${loadMs} ms × ${loadRepeats} runs.`,
    `Memory after the load, ${CLIENTS} clients connected: the serving process tree (proxy or mux + its one ` +
    `server); direct = ${CLIENTS} × the RSS of a fresh server that answered one call (one server per client).`,
    "supergateway's SSE mode sends every line of its one child to every session and does not rewrite ids, " +
    "so with several clients a client can take another client's answer for its own: counted as wrong.",
    "wrong = an answer that was not the echo of its own request (e.g. another client's answer), or an error.",
  ];
  for (const [id, why] of Object.entries(unavailable)) notes.push(`${id}: ${why}`);
  return {
    name: "peers",
    title: "6. Peers: same reference server, same machine, SDK clients",
    table: table(rows),
    data: {
      versions: PEERS,
      clients: CLIENTS,
      depth: DEPTH,
      figures: runs.all(),
      errors: bad,
      unavailable,
    },
    targets: httpTargets(
      runs,
      PATHS.filter((id) => !unavailable[id] && runs.values(`${id}.p50`).length > 0),
    ),
    notes,
  };
}

/** The HTTP path against the socket path and mcp-proxy, measured side by side. */
function httpTargets(runs: Runs, ids: PathId[]): TargetResult[] {
  if (!ids.includes("mux-http") || !ids.includes("mux")) return [];
  const targets: TargetResult[] = [];
  const p50 = ratioFigure(runs.values("mux-http.p50"), runs.values("mux.p50"));
  targets.push({
    id: "http-latency",
    target: "HTTP p50 ≤ 1.3 × the mux socket's p50 (SDK clients, reference server)",
    measured: `${fig(p50, " ×")} (${fig(runs.get("mux-http.p50"), " ms", usAsMs)} vs ${
      fig(runs.get("mux.p50"), " ms", usAsMs)
    })`,
    value: p50.median,
    limit: 1.3,
    pass: p50.median <= 1.3,
  });
  const ofSocket = ratioFigure(runs.values("mux-http.rate"), runs.values("mux.rate"));
  targets.push({
    id: "http-throughput-socket",
    target: `HTTP throughput at ${CLIENTS} sessions ≥ 80 % of the socket path's (SDK clients)`,
    measured: `${fig(ofSocket, "", pct)} (${num(runs.get("mux-http.rate").median)} vs ${
      num(runs.get("mux.rate").median)
    } req/s)`,
    value: ofSocket.median,
    limit: 0.8,
    pass: ofSocket.median >= 0.8,
  });
  if (ids.includes("mcp-proxy")) {
    const ofPeer = ratioFigure(runs.values("mux-http.rate"), runs.values("mcp-proxy.rate"));
    targets.push({
      id: "http-throughput-mcp-proxy",
      target: `HTTP throughput at ${CLIENTS} sessions ≥ 10 × mcp-proxy's Streamable HTTP`,
      measured: fig(ofPeer, " ×"),
      value: ofPeer.median,
      limit: 10,
      pass: ofPeer.median >= 10,
    });
  }
  return targets;
}
