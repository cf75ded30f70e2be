/**
 * Scenario 7, Streamable HTTP memory: what an HTTP session costs the mux
 * (idle, without a GET stream), what a held SSE stream costs it next to a
 * bare `Deno.serve` holding the same streams, 1,000 sessions held, and N
 * host sessions of the reference server via HTTP, via `rmcp-mux proxy` and
 * as N private servers (process trees, RSS and PSS). Latency and throughput
 * over HTTP are in `peers`, where every path is driven by the SDK client.
 *
 * @module
 */

import type { BenchContext, ScenarioResult, TargetResult } from "../lib/context.ts";
import { fig, kib, mib, num, table } from "../lib/format.ts";
import { HttpSessionClient } from "../lib/http_client.ts";
import { echoParams, isEcho } from "../lib/ndjson_client.ts";
import {
  freePort,
  pssBytes,
  rssBytes,
  sleep,
  spawn,
  treePssBytes,
  treeRssBytes,
  waitForPort,
} from "../lib/proc.ts";
import {
  type Direct,
  fastServer,
  referenceServer,
  startDirect,
  startHttpMux,
  startMux,
  startProxy,
  withTimeout,
} from "../lib/servers.ts";
import { median, ratioFigure, Runs } from "../lib/stats.ts";

const SESSIONS = 300;
const HELD = 1000;
const HOSTS = 16;

async function settled(read: () => number, samples = 5, gapMs = 100): Promise<number> {
  const values: number[] = [];
  for (let i = 0; i < samples; i++) {
    if (i > 0) await sleep(gapMs);
    values.push(read());
  }
  return median(values);
}

/** `count` tasks, `batch` at a time; failures counted. */
async function inBatches<T>(count: number, batch: number, task: (i: number) => Promise<T>) {
  const done: T[] = [];
  let failures = 0;
  for (let i = 0; i < count; i += batch) {
    const results = await Promise.allSettled(
      Array.from({ length: Math.min(batch, count - i) }, (_, j) => task(i + j)),
    );
    for (const r of results) r.status === "fulfilled" ? done.push(r.value) : failures++;
  }
  return { done, failures };
}

async function sessions(ctx: BenchContext, runs: Runs, r: number) {
  const mux = await startHttpMux(ctx, fastServer(ctx));
  const clients: HttpSessionClient[] = [];
  let errors = 0;
  try {
    const warm = await HttpSessionClient.open(mux.url, mux.token);
    for (let i = 0; i < 100; i++) await warm.echo(`warm-${i}`);
    await warm.close();
    await sleep(500);
    const idle = await settled(() => rssBytes(mux.process.pid));
    // One after the other, over one keep-alive connection (see http_client.ts).
    const opened = await inBatches(SESSIONS, 1, () => HttpSessionClient.open(mux.url, mux.token));
    clients.push(...opened.done);
    errors += opened.failures;
    await sleep(500);
    const at300 = await settled(() => rssBytes(mux.process.pid));
    runs.add("perSession", (at300 - idle) / SESSIONS);
    const held = await inBatches(clients.length, 50, (i) => clients[i]!.hold());
    errors += held.failures;
    await sleep(500);
    const streams = await settled(() => rssBytes(mux.process.pid));
    runs.add("perStream", (streams - at300) / SESSIONS);
    const more = await inBatches(
      HELD - SESSIONS,
      50,
      () => HttpSessionClient.open(mux.url, mux.token),
    );
    clients.push(...more.done);
    errors += more.failures;
    const answers = await inBatches(clients.length, 100, (i) => clients[i]!.echo(`held-${r}-${i}`));
    errors += answers.failures;
    errors += answers.done.filter((text, i) => text !== `Echo: held-${r}-${i}`).length;
    runs.add("held", clients.length);
    runs.add("heldErrors", errors);
    runs.add("at1000", await settled(() => rssBytes(mux.process.pid), 3));
    ctx.log(
      `http: run ${r + 1}: +${kib((at300 - idle) / SESSIONS)} KiB/session, +${
        kib((streams - at300) / SESSIONS)
      } KiB/stream, ${clients.length} held, ${errors} errors`,
    );
    return mux.process.problems;
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await mux.process.stop();
  }
}

async function bareStreams(ctx: BenchContext, runs: Runs) {
  const port = freePort();
  const bare = spawn("bare Deno.serve (SSE)", ctx.deno, [
    "run",
    "-A",
    `${ctx.root}bench/lib/bare_sse.ts`,
    String(port),
  ]);
  const readers: ReadableStreamDefaultReader<Uint8Array>[] = [];
  try {
    await waitForPort(port, bare);
    // Warm it like the mux: some requests first.
    for (let i = 0; i < 20; i++) {
      const response = await fetch(`http://127.0.0.1:${port}/`);
      const reader = response.body!.getReader();
      await reader.read();
      await reader.cancel();
    }
    await sleep(500);
    const idle = await settled(() => rssBytes(bare.pid));
    await inBatches(SESSIONS, 50, async () => {
      const response = await fetch(`http://127.0.0.1:${port}/`);
      const reader = response.body!.getReader();
      await reader.read();
      readers.push(reader);
    });
    await sleep(500);
    runs.add("barePerStream", (await settled(() => rssBytes(bare.pid)) - idle) / SESSIONS);
  } finally {
    await Promise.all(readers.map((r) => r.cancel().catch(() => {})));
    await bare.stop();
  }
}

/** N host sessions of the reference server: via HTTP, via `rmcp-mux proxy`, as N servers. */
async function hostSessions(ctx: BenchContext, runs: Runs) {
  const upstream = referenceServer(ctx);
  const http = await startHttpMux(ctx, upstream);
  const clients: HttpSessionClient[] = [];
  try {
    for (let i = 0; i < HOSTS; i++) {
      const client = await withTimeout(HttpSessionClient.open(http.url, http.token), 60_000);
      await client.hold();
      if (await client.echo(`host-${i}`) !== `Echo: host-${i}`) throw new Error("wrong answer");
      clients.push(client);
    }
    await sleep(500);
    runs.add("hostsHttp", await settled(() => treeRssBytes(http.process.pid), 3));
    runs.add("hostsHttpPss", await settled(() => treePssBytes(http.process.pid), 3));
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await http.process.stop();
  }
  const mux = await startMux(ctx, upstream);
  const proxies: Direct[] = [];
  try {
    for (let i = 0; i < HOSTS; i++) {
      const proxy = startProxy(ctx, mux.socket);
      proxies.push(proxy);
      await withTimeout(proxy.client.initialize(), 60_000, proxy.process);
      const answer = await proxy.client.request("tools/call", echoParams(`proxy-${i}`));
      if (!isEcho(answer, `proxy-${i}`)) throw new Error("a proxy answered wrong");
    }
    await sleep(500);
    const sum = (read: (pid: number) => number) =>
      proxies.reduce((total, p) => total + read(p.process.pid), 0);
    runs.add("hostsProxy", await settled(() => treeRssBytes(mux.process.pid) + sum(rssBytes), 3));
    runs.add(
      "hostsProxyPss",
      await settled(() => treePssBytes(mux.process.pid) + sum(pssBytes), 3),
    );
  } finally {
    await Promise.all(proxies.map((p) => p.process.stop()));
    await mux.process.stop();
  }
  const separate: Direct[] = [];
  try {
    for (let i = 0; i < HOSTS; i += 4) {
      separate.push(
        ...await Promise.all(
          Array.from({ length: Math.min(4, HOSTS - i) }, () => startDirect(upstream, "private")),
        ),
      );
    }
    for (const [i, s] of separate.entries()) {
      if (!isEcho(await s.client.request("tools/call", echoParams(`own-${i}`)), `own-${i}`)) {
        throw new Error("a private server answered wrong");
      }
    }
    await sleep(500);
    runs.add("hostsOwn", separate.reduce((t, s) => t + rssBytes(s.process.pid), 0));
    runs.add("hostsOwnPss", separate.reduce((t, s) => t + pssBytes(s.process.pid), 0));
  } finally {
    await Promise.all(separate.map((s) => s.process.stop()));
  }
}

/** Run scenario 7. */
export async function httpScenario(ctx: BenchContext): Promise<ScenarioResult> {
  const repeats = ctx.quick ? 1 : 3;
  const runs = new Runs();
  const problems: string[] = [];
  for (let r = 0; r < repeats; r++) {
    problems.push(...await sessions(ctx, runs, r));
    await bareStreams(ctx, runs);
  }
  await hostSessions(ctx, runs);
  ctx.log("http: host sessions done");

  const perSession = runs.get("perSession");
  const perStream = runs.get("perStream");
  const streamRatio = ratioFigure(runs.values("perStream"), runs.values("barePerStream"));
  const held = runs.get("held");
  const heldErrors = runs.values("heldErrors").reduce((a, b) => a + b, 0);
  const rows: string[][] = [["mux over HTTP (fast fixture upstream)", "per unit", "baseline"]];
  rows.push([`idle HTTP session, no GET stream (${SESSIONS})`, fig(perSession, " KiB", kib), "—"]);
  rows.push([
    `held SSE stream (GET), ${SESSIONS}`,
    fig(perStream, " KiB", kib),
    `bare Deno.serve: ${fig(runs.get("barePerStream"), " KiB", kib)} (× ${fig(streamRatio)})`,
  ]);
  rows.push([
    `${HELD} sessions, each one verified call`,
    `${num(held.min)} held, ${heldErrors} errors`,
    fig(runs.get("at1000"), " MiB RSS", mib),
  ]);
  const hostRows: string[][] = [[
    `reference server, ${HOSTS} host sessions`,
    "process tree RSS",
    "PSS",
    "processes",
  ]];
  hostRows.push([
    "via HTTP (mux + 1 server)",
    `${mib(runs.get("hostsHttp").median)} MiB`,
    `${mib(runs.get("hostsHttpPss").median)} MiB`,
    "2",
  ]);
  hostRows.push([
    "via rmcp-mux proxy (mux + 1 server + proxies)",
    `${mib(runs.get("hostsProxy").median)} MiB`,
    `${mib(runs.get("hostsProxyPss").median)} MiB`,
    String(2 + HOSTS),
  ]);
  hostRows.push([
    `${HOSTS} private servers`,
    `${mib(runs.get("hostsOwn").median)} MiB`,
    `${mib(runs.get("hostsOwnPss").median)} MiB`,
    String(HOSTS),
  ]);
  const targets: TargetResult[] = [
    {
      id: "http-memory-per-session",
      target:
        `≤ 32 KiB of mux memory per idle HTTP session without a GET stream (RSS, ${SESSIONS})`,
      measured: fig(perSession, " KiB", kib),
      value: perSession.median / 1024,
      limit: 32,
      pass: perSession.median <= 32 * 1024,
    },
    {
      id: "http-memory-per-stream",
      target: "mux memory per held SSE stream ≤ 1.2 × a bare Deno.serve's (same run)",
      measured: `${fig(streamRatio, " ×")} (${fig(perStream, " KiB", kib)} vs ${
        fig(runs.get("barePerStream"), " KiB", kib)
      })`,
      value: streamRatio.median,
      limit: 1.2,
      pass: streamRatio.median <= 1.2,
    },
    {
      id: "http-1000-sessions",
      target: `${HELD} HTTP sessions held without errors (each answered correctly)`,
      measured: `${num(held.min)} held, ${heldErrors} errors, ${problems.length} mux warnings`,
      value: heldErrors + problems.length,
      limit: 0,
      pass: held.min === HELD && heldErrors === 0 && problems.length === 0,
    },
  ];
  return {
    name: "http",
    title: "7. Streamable HTTP: memory per session and per stream, 1,000 sessions, host sessions",
    table: [...table(rows), "", ...table(hostRows)],
    data: { sessions: SESSIONS, held: HELD, hosts: HOSTS, figures: runs.all(), problems },
    targets,
    notes: [
      `Per session = (RSS with ${SESSIONS} initialized sessions − idle RSS) ÷ ${SESSIONS}; per stream = ` +
      `(RSS once each of them holds its GET stream − before) ÷ ${SESSIONS}; the bare Deno.serve holds ` +
      `${SESSIONS} SSE streams the same way. ${repeats} run(s); RSS read 5 times 100 ms apart (median).`,
      `Host sessions: each opens a session (and its GET stream, like the SDK client) or starts a proxy, ` +
      `and makes one verified call; memory of the whole process tree, proxies included.`,
      "HTTP latency and throughput (SDK clients, next to the socket path and mcp-proxy) are in scenario 6.",
    ],
  };
}
