/**
 * Scenario 3, memory: the mux's RSS idle, per connected idle client (300),
 * with 1,000 clients (each verified with one call), and under load; and the
 * reference server shared through the mux against N separate server
 * processes (N = 1, 4, 16), as one client per server would run it.
 *
 * @module
 */

import type { BenchContext, ScenarioResult, TargetResult } from "../lib/context.ts";
import { bytes, fig, kib, mib, num, table } from "../lib/format.ts";
import { runLoad } from "../lib/load.ts";
import { echoParams, isEcho, RawClient } from "../lib/ndjson_client.ts";
import { pssBytes, rssBytes, sleep, treePssBytes, treeRssBytes } from "../lib/proc.ts";
import {
  connectSocket,
  type Direct,
  fastServer,
  referenceServer,
  startDirect,
  startMux,
} from "../lib/servers.ts";
import { median, ratioFigure, Runs } from "../lib/stats.ts";
import { DEPTH } from "./throughput.ts";

const IDLE_CLIENTS = 300;
const HELD_CLIENTS = 1000;
const SEPARATE = [1, 4, 16];

/** Median of a few readings `gapMs` apart (RSS moves with GC). */
async function settledReading(read: () => number, samples = 5, gapMs = 100): Promise<number> {
  const values: number[] = [];
  for (let i = 0; i < samples; i++) {
    if (i > 0) await sleep(gapMs);
    values.push(read());
  }
  return median(values);
}

/** Connect and initialize `count` clients, `batch` at a time. Failures are counted, not thrown. */
async function connectMany(
  socket: string,
  count: number,
  batch = 50,
): Promise<{ clients: RawClient[]; failures: string[] }> {
  const clients: RawClient[] = [];
  const failures: string[] = [];
  for (let i = 0; i < count; i += batch) {
    const settled = await Promise.allSettled(
      Array.from({ length: Math.min(batch, count - i) }, async () => {
        const client = await RawClient.overSocket(socket);
        try {
          await client.initialize();
        } catch (error) {
          client.close();
          throw error;
        }
        return client;
      }),
    );
    for (const s of settled) {
      if (s.status === "fulfilled") clients.push(s.value);
      else failures.push(String(s.reason));
    }
  }
  return { clients, failures };
}

async function perClient(ctx: BenchContext, repeats: number) {
  const runs = new Runs();
  const problems: string[] = [];
  let heldErrors = 0;
  let heldWrong = 0;
  for (let r = 0; r < repeats; r++) {
    const mux = await startMux(ctx, fastServer(ctx));
    try {
      const first = await connectSocket(mux.socket, mux.process);
      for (let i = 0; i < 200; i++) await first.request("tools/call", echoParams(`warm-${i}`));
      first.close();
      await sleep(500);
      const idle = await settledReading(() => rssBytes(mux.process.pid));
      const idlePss = await settledReading(() => pssBytes(mux.process.pid));
      runs.add("idle", idle);
      runs.add("idlePss", idlePss);

      const t0 = performance.now();
      const some = await connectMany(mux.socket, IDLE_CLIENTS);
      runs.add("connect300Ms", performance.now() - t0);
      await sleep(500);
      const at300 = await settledReading(() => rssBytes(mux.process.pid));
      runs.add("at300", at300);
      runs.add("perClient300", (at300 - idle) / IDLE_CLIENTS);
      runs.add(
        "perClientPss300",
        (await settledReading(() => pssBytes(mux.process.pid)) - idlePss) / IDLE_CLIENTS,
      );

      const more = await connectMany(mux.socket, HELD_CLIENTS - IDLE_CLIENTS);
      const clients = [...some.clients, ...more.clients];
      let errors = some.failures.length + more.failures.length;
      // Every held client still works: one call each, all at once, each answer checked.
      const answers = await Promise.all(
        clients.map((c, i) => c.request("tools/call", echoParams(`held-${r}-${i}`))),
      );
      const wrong = answers.filter((a, i) => !isEcho(a, `held-${r}-${i}`)).length;
      heldWrong += wrong;
      errors += wrong;
      heldErrors += errors;
      runs.add("heldClients", clients.length);
      await sleep(500);
      const at1000 = await settledReading(() => rssBytes(mux.process.pid));
      runs.add("at1000", at1000);
      runs.add("perClient1000", (at1000 - idle) / HELD_CLIENTS);

      // Under load: 128 of the held clients, DEPTH calls in flight each; peak RSS.
      let peak = 0;
      const sampler = setInterval(() => peak = Math.max(peak, rssBytes(mux.process.pid)), 25);
      const load = await runLoad(clients.slice(0, 128), DEPTH, ctx.quick ? 800 : 2_000, `mem-${r}`);
      clearInterval(sampler);
      runs.add("underLoadPeak", peak);
      runs.add("underLoadRate", load.rate);
      heldErrors += load.wrong + load.lost;
      for (const c of clients) c.close();
      problems.push(...mux.process.problems);
      ctx.log(
        `memory: run ${r + 1}/${repeats}: idle ${mib(idle)} MiB, +${
          kib((at300 - idle) / IDLE_CLIENTS)
        } KiB/client (300), ${clients.length} held, ${errors} errors`,
      );
    } finally {
      await mux.process.stop();
    }
  }
  return { runs, heldErrors, heldWrong, problems };
}

async function sharedVsSeparate(ctx: BenchContext, repeats: number) {
  const runs = new Runs();
  const upstream = referenceServer(ctx);
  const max = Math.max(...SEPARATE);
  for (let r = 0; r < repeats; r++) {
    // N separate servers, as N clients each launching their own would run them.
    const separate: Direct[] = [];
    try {
      for (let i = 0; i < max; i += 4) {
        separate.push(
          ...await Promise.all(
            Array.from({ length: Math.min(4, max - i) }, () => startDirect(upstream, "separate")),
          ),
        );
      }
      for (const [i, s] of separate.entries()) {
        const answer = await s.client.request("tools/call", echoParams(`sep-${i}`));
        if (!isEcho(answer, `sep-${i}`)) throw new Error("a separate server answered wrong");
      }
      await sleep(500);
      const rss = separate.map((s) => rssBytes(s.process.pid));
      const pss = separate.map((s) => pssBytes(s.process.pid));
      for (const n of SEPARATE) {
        runs.add(`separate${n}`, rss.slice(0, n).reduce((a, b) => a + b, 0));
        runs.add(`separatePss${n}`, pss.slice(0, n).reduce((a, b) => a + b, 0));
      }
      runs.add("oneServer", median(rss));
    } finally {
      await Promise.all(separate.map((s) => s.process.stop()));
    }
    // One mux and one server for N clients.
    const mux = await startMux(ctx, upstream);
    const clients: RawClient[] = [];
    try {
      for (const n of SEPARATE) {
        while (clients.length < n) clients.push(await connectSocket(mux.socket, mux.process));
        await Promise.all(
          clients.map((c, i) => c.request("tools/call", echoParams(`shared-${i}`))),
        );
        await sleep(300);
        runs.add(`shared${n}`, await settledReading(() => treeRssBytes(mux.process.pid), 3));
        runs.add(`sharedPss${n}`, await settledReading(() => treePssBytes(mux.process.pid), 3));
      }
      runs.add("muxAlone", rssBytes(mux.process.pid));
    } finally {
      for (const c of clients) c.close();
      await mux.process.stop();
    }
    ctx.log(`memory: shared vs separate run ${r + 1}/${repeats} done`);
  }
  return runs;
}

/** Run scenario 3. */
export async function memoryScenario(ctx: BenchContext): Promise<ScenarioResult> {
  const repeats = ctx.quick ? 2 : 5;
  const { runs, heldErrors, heldWrong, problems } = await perClient(ctx, repeats);
  const sepRepeats = ctx.quick ? 1 : 3;
  const sep = await sharedVsSeparate(ctx, sepRepeats);

  const rows: string[][] = [["mux (fast fixture upstream)", "RSS", "per client"]];
  rows.push(["idle, no client", fig(runs.get("idle"), " MiB", mib), "—"]);
  rows.push([
    `${IDLE_CLIENTS} idle clients`,
    fig(runs.get("at300"), " MiB", mib),
    fig(runs.get("perClient300"), " KiB", kib),
  ]);
  rows.push([
    `${HELD_CLIENTS} clients (each made one verified call)`,
    fig(runs.get("at1000"), " MiB", mib),
    fig(runs.get("perClient1000"), " KiB", kib),
  ]);
  rows.push([
    `under load (128 clients × ${DEPTH} in flight), peak`,
    fig(runs.get("underLoadPeak"), " MiB", mib),
    `${num(runs.get("underLoadRate").median)} req/s`,
  ]);
  const sepRows: string[][] = [[
    "reference server, N clients",
    "N separate servers RSS",
    "mux + 1 server RSS",
    "separate ÷ shared",
    "PSS separate / shared",
  ]];
  for (const n of SEPARATE) {
    sepRows.push([
      `N = ${n}`,
      fig(sep.get(`separate${n}`), " MiB", mib),
      fig(sep.get(`shared${n}`), " MiB", mib),
      fig(ratioFigure(sep.values(`separate${n}`), sep.values(`shared${n}`)), " ×"),
      `${mib(sep.get(`separatePss${n}`).median)} / ${mib(sep.get(`sharedPss${n}`).median)} MiB`,
    ]);
  }
  const per = runs.get("perClient300");
  const held = runs.get("heldClients");
  const targets: TargetResult[] = [
    {
      id: "memory-per-client",
      target: "≤ 32 KiB of mux memory per idle connected client (RSS, 300 clients)",
      measured: fig(per, " KiB", kib),
      value: per.median / 1024,
      limit: 32,
      pass: per.median <= 32 * 1024,
    },
    {
      id: "memory-1000-clients",
      target: `${HELD_CLIENTS} clients held without errors (each answered correctly)`,
      measured: `${
        num(held.min)
      } held, ${heldErrors} errors (${heldWrong} wrong answers), ${problems.length} mux warnings`,
      value: heldErrors + problems.length,
      limit: 0,
      pass: held.min === HELD_CLIENTS && heldErrors === 0 && problems.length === 0,
    },
  ];
  return {
    name: "memory",
    title: "3. Memory (RSS from /proc; the mux is its own process)",
    table: [...table(rows), "", ...table(sepRows)],
    data: {
      idleClients: IDLE_CLIENTS,
      heldClients: HELD_CLIENTS,
      mux: runs.all(),
      heldErrors,
      heldWrong,
      muxWarnings: problems.slice(0, 20),
      sharedVsSeparate: sep.all(),
      oneReferenceServerRss: sep.get("oneServer"),
    },
    targets,
    notes: [
      `Per client = (RSS with the clients − idle RSS) ÷ clients; ${repeats} fresh muxes, RSS read 5 times 100 ms apart (median).`,
      `Connecting and initializing ${IDLE_CLIENTS} clients took ${
        num(runs.get("connect300Ms").median)
      } ms (50 at a time).`,
      `Separate servers: the reference server started N times (one per client); shared: the mux process ` +
      `and its one server (process tree). ${sepRepeats} run(s); one reference server ≈ ${
        bytes(sep.get("oneServer").median)
      } RSS, the mux alone ≈ ${bytes(sep.get("muxAlone").median)}.`,
      `The mux runs with --max-active-clients 2048 here (the default 64 would hold clients past it in a wait queue).`,
    ],
  };
}
