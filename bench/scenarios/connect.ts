/**
 * Scenario 4, connect-to-ready: how long a new client waits for its
 * `initialize` answer from a warm mux (over the socket, and through a fresh
 * `rmcp-mux proxy` process as a host would start it) against cold-starting
 * its own server process.
 *
 * @module
 */

import type { BenchContext, ScenarioResult, TargetResult } from "../lib/context.ts";
import { fig, table, usAsMs } from "../lib/format.ts";
import { RawClient } from "../lib/ndjson_client.ts";
import {
  connectSocket,
  fastServer,
  referenceServer,
  startDirect,
  startMux,
  startProxy,
  type Upstream,
  withTimeout,
} from "../lib/servers.ts";
import { type Figure, percentile, ratioFigure, Runs } from "../lib/stats.ts";

const CASES = ["warmSocket", "warmProxy", "coldFast", "coldReference"] as const;
type CaseId = typeof CASES[number];
const LABELS: Record<CaseId, string> = {
  warmSocket: "warm mux, new socket client",
  warmProxy: "warm mux, new `rmcp-mux proxy` process",
  coldFast: "cold start of its own fast fixture",
  coldReference: "cold start of its own reference server",
};

async function timeWarmSocket(socket: string): Promise<number> {
  const t0 = performance.now();
  const client = await RawClient.overSocket(socket);
  await withTimeout(client.initialize(), 10_000);
  const us = (performance.now() - t0) * 1000;
  client.close();
  return us;
}

async function timeProxy(ctx: BenchContext, socket: string): Promise<number> {
  const t0 = performance.now();
  const proxy = startProxy(ctx, socket);
  try {
    await withTimeout(proxy.client.initialize(), 30_000, proxy.process);
    return (performance.now() - t0) * 1000;
  } finally {
    proxy.client.close();
    await proxy.process.stop();
  }
}

async function timeCold(upstream: Upstream): Promise<number> {
  const t0 = performance.now();
  const direct = await startDirect(upstream, "cold");
  const us = (performance.now() - t0) * 1000;
  direct.client.close();
  await direct.process.stop();
  return us;
}

/** Run scenario 4. */
export async function connectScenario(ctx: BenchContext): Promise<ScenarioResult> {
  const repeats = ctx.quick ? 3 : 5;
  const counts: Record<CaseId, number> = ctx.quick
    ? { warmSocket: 100, warmProxy: 4, coldFast: 4, coldReference: 3 }
    : { warmSocket: 500, warmProxy: 12, coldFast: 12, coldReference: 8 };
  const reference = referenceServer(ctx);
  const mux = await startMux(ctx, reference);
  const runs = new Runs();
  try {
    // Warm-up: the mux's handshake with its server, Deno's module cache for proxy and servers.
    (await connectSocket(mux.socket, mux.process)).close();
    for (let i = 0; i < 20; i++) await timeWarmSocket(mux.socket);
    await timeProxy(ctx, mux.socket);
    await timeCold(fastServer(ctx));
    await timeCold(reference);
    for (let r = 0; r < repeats; r++) {
      for (const id of CASES) {
        const samples: number[] = [];
        for (let i = 0; i < counts[id]; i++) {
          switch (id) {
            case "warmSocket":
              samples.push(await timeWarmSocket(mux.socket));
              break;
            case "warmProxy":
              samples.push(await timeProxy(ctx, mux.socket));
              break;
            case "coldFast":
              samples.push(await timeCold(fastServer(ctx)));
              break;
            case "coldReference":
              samples.push(await timeCold(reference));
              break;
          }
        }
        runs.add(`${id}.p50`, percentile(samples, 50));
        runs.add(`${id}.p99`, percentile(samples, 99));
      }
      ctx.log(`connect: run ${r + 1}/${repeats} done`);
    }
  } finally {
    await mux.process.stop();
  }
  const p50 = (id: CaseId) => runs.values(`${id}.p50`);
  const speedup: Record<CaseId, Figure> = Object.fromEntries(
    CASES.map((id) => [id, ratioFigure(p50("coldReference"), p50(id))]),
  ) as Record<CaseId, Figure>;
  const rows: string[][] = [[
    "a new client's initialize answer",
    "p50 ms",
    "p99 ms",
    "cold reference ÷ this",
  ]];
  for (const id of CASES) {
    rows.push([
      LABELS[id],
      fig(runs.get(`${id}.p50`), "", usAsMs),
      fig(runs.get(`${id}.p99`), "", usAsMs),
      id === "coldReference" ? "1 (baseline)" : fig(speedup[id], " ×"),
    ]);
  }
  const warm = runs.get("warmSocket.p50");
  const targets: TargetResult[] = [{
    id: "connect-warm-initialize",
    target: "a new client's initialize answered in ≤ 2 ms (p50) from a warm mux",
    measured: `${fig(warm, " ms", usAsMs)} (cold reference server: ${
      usAsMs(runs.get("coldReference.p50").median)
    } ms)`,
    value: warm.median / 1000,
    limit: 2,
    pass: warm.median <= 2000,
  }];
  return {
    name: "connect",
    title: "4. Connect-to-ready (connect → initialize answered)",
    table: table(rows),
    data: { counts, repeats, figures: runs.all(), speedupOverColdReference: speedup },
    targets,
    notes: [
      `Per run: ${counts.warmSocket} socket clients, ${counts.warmProxy} proxies, ${counts.coldFast} / ${counts.coldReference} cold starts (fast / reference); ${repeats} runs.`,
      "The proxy time includes starting the Deno process that runs `main.ts proxy` (what a host does per session).",
    ],
  };
}
