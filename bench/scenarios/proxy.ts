/**
 * Scenario 8, the proxy a host starts per session: `rmcp-mux proxy` against
 * a bare Deno stdin→stdout loop, started the same way in the same run
 * (alternating, one at a time, while a mux runs): time from spawn to the
 * first byte of the first answer, and RSS/PSS once started and after
 * bridging 200 requests.
 *
 * @module
 */

import type { BenchContext, ScenarioResult, TargetResult } from "../lib/context.ts";
import { fig, mib, num, table } from "../lib/format.ts";
import { type Managed, pssBytes, rssBytes, sleep, spawn } from "../lib/proc.ts";
import { fastServer, startMux } from "../lib/servers.ts";
import { median, ratioFigure, Runs } from "../lib/stats.ts";

const ROUND_TRIPS = 200;
/** Round trips in all before the last reading: the steady state, once the loop's heap has grown too. */
const LONG_ROUND_TRIPS = 2_000;

interface Reading {
  startMs: number;
  rss: number;
  pss: number;
  rssAfter: number;
  pssAfter: number;
  pssLong: number;
}

const ping = (id: number) => `{"jsonrpc":"2.0","id":${id},"method":"ping"}\n`;

/** Spawn, send a ping at once, time the first byte back; then bridge and read memory. */
async function measure(name: string, ctx: BenchContext, args: string[]): Promise<Reading> {
  const t0 = performance.now();
  const process = spawn(name, ctx.deno, args, { cwd: ctx.root, stdin: "piped", stdout: "piped" });
  const writer = process.child.stdin.getWriter();
  const reader = process.child.stdout.getReader();
  const encoder = new TextEncoder();
  try {
    await writer.write(encoder.encode(ping(0)));
    const first = await reader.read();
    const startMs = performance.now() - t0;
    if (first.done) throw new Error(`${process.describe()} ended before answering`);
    let lines = count(first.value);
    while (lines < 1) lines += count((await reader.read()).value!);
    await sleep(300); // let start-up garbage settle, as a long-lived proxy would
    const rss = settled(process, rssBytes);
    const pss = settled(process, pssBytes);
    // Bridge: round trips one at a time, as a host mostly sends them.
    const roundTrips = async (from: number, to: number) => {
      for (let i = from; i <= to; i++) {
        await writer.write(encoder.encode(ping(i)));
        let got = 0;
        while (got < 1) {
          const chunk = await reader.read();
          if (chunk.done) throw new Error(`${process.describe()} ended while bridging`);
          got += count(chunk.value);
        }
      }
    };
    await roundTrips(1, ROUND_TRIPS);
    await sleep(300);
    const rssAfter = settled(process, rssBytes);
    const pssAfter = settled(process, pssBytes);
    await roundTrips(ROUND_TRIPS + 1, LONG_ROUND_TRIPS);
    await sleep(300);
    return { startMs, rss, pss, rssAfter, pssAfter, pssLong: settled(process, pssBytes) };
  } finally {
    await writer.close().catch(() => {});
    reader.releaseLock();
    await process.stop();
  }
}

function count(bytes: Uint8Array): number {
  let n = 0;
  for (const byte of bytes) if (byte === 10) n++;
  return n;
}

function settled(process: Managed, read: (pid: number) => number): number {
  return median([read(process.pid), read(process.pid), read(process.pid)]);
}

/** Run scenario 8. */
export async function proxyScenario(ctx: BenchContext): Promise<ScenarioResult> {
  const rounds = ctx.quick ? 8 : 20;
  const mux = await startMux(ctx, fastServer(ctx));
  const runs = new Runs();
  try {
    const loopArgs = ["run", "-A", "--quiet", `${ctx.root}bench/fixtures/stdin_loop.ts`];
    const proxyArgs = [
      "run",
      "-A",
      "--quiet",
      `${ctx.root}main.ts`,
      "proxy",
      "--socket",
      mux.socket,
    ];
    // Warm both (module cache, page cache), unmeasured.
    await measure("stdin loop (warm-up)", ctx, loopArgs);
    await measure("rmcp-mux proxy (warm-up)", ctx, proxyArgs);
    for (let round = 0; round < rounds; round++) {
      // Alternate the order so drift on a shared machine hits both alike.
      const order = round % 2 === 0 ? ["loop", "proxy"] : ["proxy", "loop"];
      for (const which of order) {
        const reading = which === "loop"
          ? await measure("stdin loop", ctx, loopArgs)
          : await measure("rmcp-mux proxy", ctx, proxyArgs);
        for (const [key, value] of Object.entries(reading)) runs.add(`${which}.${key}`, value);
      }
    }
    ctx.log(`proxy: ${rounds} rounds done`);
  } finally {
    await mux.process.stop();
  }
  const pssRatio = ratioFigure(runs.values("proxy.pssAfter"), runs.values("loop.pssAfter"));
  const rssRatio = ratioFigure(runs.values("proxy.rssAfter"), runs.values("loop.rssAfter"));
  const longRatio = ratioFigure(runs.values("proxy.pssLong"), runs.values("loop.pssLong"));
  const start = runs.get("proxy.startMs");
  const rows: string[][] = [[
    "",
    "start → first byte",
    "RSS started",
    "PSS started",
    `RSS after ${ROUND_TRIPS} round trips`,
    `PSS after ${ROUND_TRIPS}`,
  ]];
  const labels = [["loop", "bare Deno stdin loop"], ["proxy", "rmcp-mux proxy"]] as const;
  for (const [which, label] of labels) {
    rows.push([
      label,
      fig(runs.get(`${which}.startMs`), " ms"),
      fig(runs.get(`${which}.rss`), " MiB", mib),
      fig(runs.get(`${which}.pss`), " MiB", mib),
      fig(runs.get(`${which}.rssAfter`), " MiB", mib),
      fig(runs.get(`${which}.pssAfter`), " MiB", mib),
    ]);
  }
  rows.push([
    "proxy ÷ loop",
    fig(ratioFigure(runs.values("proxy.startMs"), runs.values("loop.startMs")), " ×"),
    fig(ratioFigure(runs.values("proxy.rss"), runs.values("loop.rss")), " ×"),
    fig(ratioFigure(runs.values("proxy.pss"), runs.values("loop.pss")), " ×"),
    fig(rssRatio, " ×"),
    fig(pssRatio, " ×"),
  ]);
  const targets: TargetResult[] = [
    {
      id: "proxy-pss",
      target:
        `rmcp-mux proxy PSS ≤ 1.15 × a bare Deno stdin loop (after ${ROUND_TRIPS} round trips)`,
      measured: fig(pssRatio, " ×"),
      value: pssRatio.median,
      limit: 1.15,
      pass: pssRatio.median <= 1.15,
    },
    {
      id: "proxy-start",
      target: "rmcp-mux proxy start → first byte of its first answer ≤ 40 ms",
      measured: `${fig(start, " ms")} (bare loop ${fig(runs.get("loop.startMs"), " ms")})`,
      value: start.median,
      limit: 40,
      pass: start.median <= 40,
    },
  ];
  return {
    name: "proxy",
    title: "8. The proxy a host starts per session, against a bare Deno stdin loop",
    table: table(rows),
    data: { rounds, roundTrips: ROUND_TRIPS, ...runs.all() },
    targets,
    notes: [
      `${rounds} rounds, the two alternating, one process at a time, while a mux (fast fixture) runs; ` +
      "both started as `deno run -A --quiet FILE` from the project root (same Deno, same config).",
      "Start → first byte: from spawn to the first byte of the answer to a ping written at once " +
      "(the proxy's goes through the mux). Memory read 300 ms after, and again after " +
      `${ROUND_TRIPS} one-at-a-time round trips; PSS splits shared pages among their users.`,
      `Proxy RSS after bridging: ${mib(runs.get("proxy.rssAfter").median)} MiB; ` +
      `${num(rounds)} rounds.`,
      `After ${num(LONG_ROUND_TRIPS)} round trips (the steady state: the loop's heap has grown ` +
      `too): PSS ${fig(longRatio, " ×")} the loop's (informational; the target is read at ` +
      `${ROUND_TRIPS}).`,
    ],
  };
}
