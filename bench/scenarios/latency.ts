/**
 * Scenario 1, round trip overhead: the same client calls a trivial tool
 * (a) directly over stdio, (b) through the mux socket, (c) through
 * `rmcp-mux proxy` (two hops), and through the byte relay baseline, one
 * request at a time. Two upstreams: the fast fixture (the mux's own cost
 * shows) and the reference server (what a user sees).
 *
 * @module
 */

import type { BenchContext, ScenarioResult, TargetResult } from "../lib/context.ts";
import { fig, table, usAsMs } from "../lib/format.ts";
import { echoParams, isEcho, type RawClient } from "../lib/ndjson_client.ts";
import type { Managed } from "../lib/proc.ts";
import {
  connectSocket,
  fastServer,
  referenceServer,
  startDirect,
  startMinimalRouter,
  startMux,
  startProxy,
  startRelay,
  type Upstream,
  withTimeout,
} from "../lib/servers.ts";
import { diffFigure, type Figure, percentile, ratioFigure, Runs } from "../lib/stats.ts";

const PATHS = ["direct", "relay", "router", "mux", "proxy"] as const;
type PathId = typeof PATHS[number];

const LABELS: Record<PathId, string> = {
  direct: "(a) direct stdio",
  relay: "byte relay (baseline)",
  router: "minimal router (baseline)",
  mux: "(b) rmcp-mux socket",
  proxy: "(c) rmcp-mux proxy",
};

/** Sequential echo calls; latencies in µs. */
export async function sequentialCalls(
  client: RawClient,
  count: number,
  tag: string,
): Promise<{ samples: number[]; wrong: number }> {
  const samples: number[] = [];
  let wrong = 0;
  for (let i = 0; i < count; i++) {
    const message = `${tag}-${i}`;
    const t0 = performance.now();
    const answer = await client.request("tools/call", echoParams(message));
    samples.push((performance.now() - t0) * 1000);
    if (!isEcho(answer, message)) wrong++;
  }
  return { samples, wrong };
}

interface UpstreamLatency {
  upstream: string;
  iterations: number;
  repeats: number;
  p50Us: Record<PathId, Figure>;
  p99Us: Record<PathId, Figure>;
  ratioToDirect: Record<PathId, Figure>;
  addedUs: Record<PathId, Figure>;
  muxAddedOverRelayAdded: Figure;
  /** The mux's added latency ÷ the minimal router's: what the mux costs above the floor. */
  muxAddedOverRouterAdded: Figure;
  proxyAddedOverRelayAdded: Figure;
  wrong: number;
}

async function measure(ctx: BenchContext, upstream: Upstream): Promise<UpstreamLatency> {
  const fast = upstream.id === "fast";
  const iterations = ctx.quick ? (fast ? 1000 : 500) : (fast ? 3000 : 1500);
  const warmup = ctx.quick ? (fast ? 300 : 100) : (fast ? 1000 : 300);
  const repeats = ctx.quick ? 5 : 9;
  const started: Managed[] = [];
  try {
    ctx.log(`latency/${upstream.id}: starting direct, relay, minimal router, mux, proxy`);
    const direct = await startDirect(upstream);
    started.push(direct.process);
    const relay = await startRelay(ctx, upstream);
    started.push(relay.process);
    const router = await startMinimalRouter(ctx, upstream);
    started.push(router.process);
    const mux = await startMux(ctx, upstream);
    started.push(mux.process);
    const proxy = startProxy(ctx, mux.socket);
    started.push(proxy.process);
    const clients: Record<PathId, RawClient> = {
      direct: direct.client,
      relay: await connectSocket(relay.socket, relay.process),
      router: await connectSocket(router.socket, router.process),
      mux: await connectSocket(mux.socket, mux.process),
      proxy: proxy.client,
    };
    await withTimeout(proxy.client.initialize(), 30_000, proxy.process);
    for (const path of PATHS) await sequentialCalls(clients[path], warmup, `warm-${path}`);
    const runs = new Runs();
    let wrong = 0;
    for (let r = 0; r < repeats; r++) {
      // Round robin, one call per path in turn (order rotated each round): every path sees
      // the same machine state, so drift (GC, CPU frequency, neighbours) cancels out.
      const samples: Record<PathId, number[]> = {
        direct: [],
        relay: [],
        router: [],
        mux: [],
        proxy: [],
      };
      for (let i = 0; i < iterations; i++) {
        for (let k = 0; k < PATHS.length; k++) {
          const path = PATHS[(i + k) % PATHS.length]!;
          const message = `${path}-${r}-${i}`;
          const t0 = performance.now();
          const answer = await clients[path].request("tools/call", echoParams(message));
          samples[path].push((performance.now() - t0) * 1000);
          if (!isEcho(answer, message)) wrong++;
        }
      }
      for (const path of PATHS) {
        runs.add(`${path}.p50`, percentile(samples[path], 50));
        runs.add(`${path}.p99`, percentile(samples[path], 99));
      }
      ctx.log(`latency/${upstream.id}: run ${r + 1}/${repeats} done`);
    }
    for (const client of Object.values(clients)) client.close();
    const p50 = (path: PathId) => runs.values(`${path}.p50`);
    const added = (path: PathId) => diffFigure(p50(path), p50("direct"));
    const addedRuns = (path: PathId) => p50(path).map((v, i) => v - p50("direct")[i]!);
    return {
      upstream: upstream.id,
      iterations,
      repeats,
      p50Us: Object.fromEntries(PATHS.map((p) => [p, runs.get(`${p}.p50`)])) as Record<
        PathId,
        Figure
      >,
      p99Us: Object.fromEntries(PATHS.map((p) => [p, runs.get(`${p}.p99`)])) as Record<
        PathId,
        Figure
      >,
      ratioToDirect: Object.fromEntries(
        PATHS.map((p) => [p, ratioFigure(p50(p), p50("direct"))]),
      ) as Record<PathId, Figure>,
      addedUs: Object.fromEntries(PATHS.map((p) => [p, added(p)])) as Record<PathId, Figure>,
      muxAddedOverRelayAdded: ratioFigure(addedRuns("mux"), addedRuns("relay")),
      muxAddedOverRouterAdded: ratioFigure(addedRuns("mux"), addedRuns("router")),
      proxyAddedOverRelayAdded: ratioFigure(addedRuns("proxy"), addedRuns("relay")),
      wrong,
    };
  } finally {
    await Promise.all(started.map((p) => p.stop()));
  }
}

/** Run scenario 1. */
export async function latencyScenario(ctx: BenchContext): Promise<ScenarioResult> {
  const results = [
    await measure(ctx, fastServer(ctx)),
    await measure(ctx, referenceServer(ctx)),
  ];
  const rows: string[][] = [[
    "upstream / path",
    "p50 ms",
    "p99 ms",
    "p50 × direct",
    "added p50 ms",
  ]];
  const targets: TargetResult[] = [];
  for (const r of results) {
    const name = r.upstream === "fast" ? "fast fixture" : "reference server";
    for (const path of PATHS) {
      rows.push([
        `${name}: ${LABELS[path]}`,
        fig(r.p50Us[path], "", usAsMs),
        fig(r.p99Us[path], "", usAsMs),
        path === "direct" ? "1 (baseline)" : fig(r.ratioToDirect[path], " ×"),
        path === "direct" ? "—" : fig(r.addedUs[path], "", usAsMs),
      ]);
    }
    const floor = r.muxAddedOverRouterAdded;
    targets.push({
      id: `latency-mux-router-${r.upstream}`,
      target: `mux adds ≤ 1.05 × what the minimal router adds (p50, ${name})`,
      measured: `${fig(floor, " ×")} (mux +${usAsMs(r.addedUs.mux.median)} ms, router +${
        usAsMs(r.addedUs.router.median)
      } ms)`,
      value: floor.median,
      limit: 1.05,
      pass: floor.median <= 1.05 && r.wrong === 0,
    });
    const mux = r.muxAddedOverRelayAdded;
    targets.push({
      id: `latency-mux-${r.upstream}`,
      target: `mux adds ≤ 1.5 × what the relay adds (p50, ${name})`,
      measured: `${fig(mux, " ×")} (mux +${usAsMs(r.addedUs.mux.median)} ms, relay +${
        usAsMs(r.addedUs.relay.median)
      } ms)`,
      value: mux.median,
      limit: 1.5,
      pass: mux.median <= 1.5 && r.wrong === 0,
    });
    const proxy = r.proxyAddedOverRelayAdded;
    targets.push({
      id: `latency-proxy-${r.upstream}`,
      target: `rmcp-mux proxy (two hops) adds ≤ 2.5 × what the relay adds (p50, ${name})`,
      measured: `${fig(proxy, " ×")} (proxy +${usAsMs(r.addedUs.proxy.median)} ms)`,
      value: proxy.median,
      limit: 2.5,
      pass: proxy.median <= 2.5 && r.wrong === 0,
    });
  }
  const wrong = results.reduce((n, r) => n + r.wrong, 0);
  return {
    name: "latency",
    title: "1. Round trip overhead (one request at a time, tools/call echo)",
    table: table(rows),
    data: { results },
    targets,
    notes: [
      `Iterations per run: fast ${results[0]!.iterations}, reference ${results[1]!.iterations}; ${
        results[0]!.repeats
      } runs each; the paths take turns call by call. Figures: median over runs (min–max).`,
      "added = this path's p50 − direct p50 (per run); the targets compare it with the minimal " +
      "router's (the floor of any mux in this runtime) and the relay's (the floor of one hop).",
      `Every answer verified: ${wrong} wrong.`,
    ],
  };
}
