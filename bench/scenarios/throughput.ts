/**
 * Scenario 2, throughput under concurrency: 1, 16 and 128 clients, each
 * with several echo calls in flight, through the mux; the same total load
 * (clients × depth requests in flight) on one direct stdio connection and on
 * one connection through the byte relay. Every answer is verified.
 *
 * @module
 */

import type { BenchContext, ScenarioResult, TargetResult } from "../lib/context.ts";
import { fig, num, pct, table, usAsMs } from "../lib/format.ts";
import { runLoad } from "../lib/load.ts";
import type { RawClient } from "../lib/ndjson_client.ts";
import { cpuMs, type Managed } from "../lib/proc.ts";
import {
  connectSocket,
  fastServer,
  referenceServer,
  startDirect,
  startMinimalRouter,
  startMux,
  startRelay,
  type Upstream,
} from "../lib/servers.ts";
import { type Figure, figure, percentile, ratioFigure, Runs } from "../lib/stats.ts";

/** Requests each client keeps in flight. */
export const DEPTH = 4;
const LEVELS = [1, 16, 128];
const PATHS = ["direct", "relay", "router", "mux"] as const;
type PathId = typeof PATHS[number];

interface LevelResult {
  clients: number;
  inFlight: number;
  rate: Record<PathId, Figure>;
  p99Us: Record<PathId, Figure>;
  muxOverDirect: Figure;
  muxOverRelay: Figure;
  /** Mux rate ÷ the minimal router's (same clients, same connections): the floor. */
  muxOverRouter: Figure;
  relayOverDirect: Figure;
  /** CPU time of the mux / relay process per 1,000 requests, ms. */
  cpuMsPer1k: { mux: Figure; relay: Figure; router: Figure };
  wrong: Record<PathId, number>;
  lost: Record<PathId, number>;
}

interface UpstreamThroughput {
  upstream: string;
  durationMs: number;
  repeats: number;
  levels: LevelResult[];
  /** 16 clients through the relay, each with its own connection and server process. */
  relayEach16: { rate: Figure; muxOverIt: Figure; wrongOrLost: number };
}

async function measure(ctx: BenchContext, upstream: Upstream): Promise<UpstreamThroughput> {
  const durationMs = ctx.quick ? 400 : 2_000;
  const warmupMs = ctx.quick ? 200 : 500;
  const repeats = ctx.quick ? 3 : 5;
  const started: Managed[] = [];
  try {
    ctx.log(`throughput/${upstream.id}: starting direct, relay, minimal router, mux`);
    const direct = await startDirect(upstream);
    started.push(direct.process);
    const relay = await startRelay(ctx, upstream);
    started.push(relay.process);
    const relayClient = await connectSocket(relay.socket, relay.process);
    const router = await startMinimalRouter(ctx, upstream);
    started.push(router.process);
    const mux = await startMux(ctx, upstream);
    started.push(mux.process);
    const muxClients: RawClient[] = [];
    const routerClients: RawClient[] = [];
    for (let i = 0; i < Math.max(...LEVELS); i++) {
      muxClients.push(await connectSocket(mux.socket, mux.process));
      routerClients.push(await connectSocket(router.socket, router.process));
    }
    const levels: LevelResult[] = [];
    for (const clients of LEVELS) {
      const inFlight = clients * DEPTH;
      const load = (path: PathId, ms: number, tag: string) =>
        path === "mux" || path === "router"
          ? runLoad((path === "mux" ? muxClients : routerClients).slice(0, clients), DEPTH, ms, tag)
          : runLoad([path === "direct" ? direct.client : relayClient], inFlight, ms, tag);
      const owner = (path: PathId) =>
        path === "mux" ? mux.process : path === "router" ? router.process : relay.process;
      for (const path of PATHS) await load(path, warmupMs, `warm-${path}-${clients}`);
      const runs = new Runs();
      const wrong = { direct: 0, relay: 0, router: 0, mux: 0 };
      const lost = { direct: 0, relay: 0, router: 0, mux: 0 };
      for (let r = 0; r < repeats; r++) {
        const order = PATHS.map((_, i) => PATHS[(i + r) % PATHS.length]!);
        for (const path of order) {
          const cpu0 = path === "direct" ? 0 : cpuMs(owner(path).pid);
          const result = await load(path, durationMs, `${path}-${clients}-${r}`);
          if (path !== "direct") {
            const used = cpuMs(owner(path).pid) - cpu0;
            runs.add(`${path}.cpu`, used / ((result.ok + result.wrong) / 1000));
          }
          runs.add(`${path}.rate`, result.rate);
          runs.add(`${path}.p99`, percentile(result.latencies, 99));
          wrong[path] += result.wrong;
          lost[path] += result.lost;
        }
      }
      const rate = (p: PathId) => runs.values(`${p}.rate`);
      const level: LevelResult = {
        clients,
        inFlight,
        rate: Object.fromEntries(PATHS.map((p) => [p, runs.get(`${p}.rate`)])) as Record<
          PathId,
          Figure
        >,
        p99Us: Object.fromEntries(PATHS.map((p) => [p, runs.get(`${p}.p99`)])) as Record<
          PathId,
          Figure
        >,
        muxOverDirect: ratioFigure(rate("mux"), rate("direct")),
        muxOverRelay: ratioFigure(rate("mux"), rate("relay")),
        muxOverRouter: ratioFigure(rate("mux"), rate("router")),
        relayOverDirect: ratioFigure(rate("relay"), rate("direct")),
        cpuMsPer1k: {
          mux: runs.get("mux.cpu"),
          relay: runs.get("relay.cpu"),
          router: runs.get("router.cpu"),
        },
        wrong,
        lost,
      };
      levels.push(level);
      ctx.log(
        `throughput/${upstream.id}: ${clients} clients: mux ${num(level.rate.mux.median)}/s, ` +
          `router ${num(level.rate.router.median)}/s, ` +
          `relay ${num(level.rate.relay.median)}/s, direct ${num(level.rate.direct.median)}/s`,
      );
    }
    // Context for the 16-client figures: with 16 clients of its own, the relay (which cannot
    // route) gives each one its own connection and its own server process.
    const each = await Promise.all(
      Array.from({ length: 16 }, () => connectSocket(relay.socket, relay.process)),
    );
    await runLoad(each, DEPTH, warmupMs, "warm-each");
    const eachRates: number[] = [];
    const muxRates: number[] = [];
    let eachBad = 0;
    for (let r = 0; r < repeats; r++) {
      const e = await runLoad(each, DEPTH, durationMs, `each-${r}`);
      eachRates.push(e.rate);
      eachBad += e.wrong + e.lost;
      muxRates.push((await runLoad(muxClients.slice(0, 16), DEPTH, durationMs, `m16-${r}`)).rate);
    }
    for (const client of [direct.client, relayClient, ...muxClients, ...routerClients, ...each]) {
      client.close();
    }
    const relayEach16 = {
      rate: figure(eachRates),
      muxOverIt: ratioFigure(muxRates, eachRates),
      wrongOrLost: eachBad,
    };
    return { upstream: upstream.id, durationMs, repeats, levels, relayEach16 };
  } finally {
    await Promise.all(started.map((p) => p.stop()));
  }
}

/** Run scenario 2. */
export async function throughputScenario(ctx: BenchContext): Promise<ScenarioResult> {
  const results = [
    await measure(ctx, fastServer(ctx)),
    await measure(ctx, referenceServer(ctx)),
  ];
  const rows: string[][] = [[
    "upstream / clients × depth",
    "direct req/s",
    "relay req/s",
    "router req/s",
    "mux req/s",
    "mux ÷ router",
    "mux ÷ relay",
    "p99 ms direct / relay / router / mux",
    "CPU ms/1k req relay / router / mux",
    "wrong+lost",
  ]];
  const targets: TargetResult[] = [];
  for (const r of results) {
    const name = r.upstream === "fast" ? "fast fixture" : "reference server";
    for (const level of r.levels) {
      const bad = PATHS.reduce((n, p) => n + level.wrong[p] + level.lost[p], 0);
      rows.push([
        `${name}: ${level.clients} × ${DEPTH}`,
        fig(level.rate.direct, "", num),
        fig(level.rate.relay, "", num),
        fig(level.rate.router, "", num),
        fig(level.rate.mux, "", num),
        fig(level.muxOverRouter, " ×"),
        fig(level.muxOverRelay, " ×"),
        PATHS.map((p) => usAsMs(level.p99Us[p].median)).join(" / "),
        [level.cpuMsPer1k.relay, level.cpuMsPer1k.router, level.cpuMsPer1k.mux]
          .map((f) => num(f.median)).join(" / "),
        String(bad),
      ]);
    }
    for (const level of r.levels.filter((l) => l.clients >= 16)) {
      const bad = PATHS.reduce((n, p) => n + level.wrong[p] + level.lost[p], 0);
      targets.push({
        id: `throughput-router-${level.clients}-${r.upstream}`,
        target: `mux throughput at ${level.clients} clients ≥ 1.0 × the minimal router's (${name})`,
        measured: `${fig(level.muxOverRouter, " ×")}, ${bad} wrong/lost`,
        value: level.muxOverRouter.median,
        limit: 1.0,
        pass: level.muxOverRouter.median >= 1.0 && bad === 0,
      });
    }
    const at16 = r.levels.find((l) => l.clients === 16)!;
    const bad16 = PATHS.reduce((n, p) => n + at16.wrong[p] + at16.lost[p], 0);
    targets.push({
      id: `throughput-16-${r.upstream}`,
      target: `mux throughput at 16 clients ≥ 80 % of the relay's, all verified (${name})`,
      measured: `${fig(at16.muxOverRelay, "", pct)} of the relay's rate, ${bad16} wrong/lost`,
      value: at16.muxOverRelay.median,
      limit: 0.8,
      pass: at16.muxOverRelay.median >= 0.8 && bad16 === 0,
    });
  }
  const totalBad = results.flatMap((r) => r.levels).reduce(
    (n, l) => n + PATHS.reduce((m, p) => m + l.wrong[p] + l.lost[p], 0),
    0,
  );
  return {
    name: "throughput",
    title: `2. Throughput under concurrency (closed loop, ${DEPTH} calls in flight per client)`,
    table: table(rows),
    data: { depth: DEPTH, results },
    targets,
    notes: [
      `Direct and relay carry the same total load on one connection (clients × ${DEPTH} in flight); ` +
      "the mux and the minimal router get it from that many separate clients, one connection each.",
      `Each run ${results[0]!.durationMs} ms after a warm-up, ${
        results[0]!.repeats
      } runs per cell, paths interleaved. CPU: the relay's, router's or mux's own process time per 1,000 requests.`,
      `Every answer checked against its request: ${totalBad} wrong or lost in total.`,
      ...results.map((r) =>
        `For context, 16 clients through the relay with a connection and a server process each ` +
        `(${r.upstream === "fast" ? "fast fixture" : "reference server"}): ${
          fig(r.relayEach16.rate, " req/s", num)
        }; the mux (16 clients, one server) does ${fig(r.relayEach16.muxOverIt, " ×")} that` +
        (r.relayEach16.wrongOrLost ? ` (${r.relayEach16.wrongOrLost} wrong/lost)` : "") + "."
      ),
    ],
  };
}
