/**
 * Scenario 5, notification fan-out with 100 clients (fast fixture):
 *  - progress: every client runs a call that reports progress; each
 *    notification must reach its owner only, with its own token;
 *  - list_changed: the server announces `notifications/tools/list_changed`
 *    and every client must receive every one.
 * Baseline: the same number of notifications delivered to one client over a
 * direct stdio connection and through the byte relay.
 *
 * @module
 */

import type { BenchContext, ScenarioResult } from "../lib/context.ts";
import { fig, num, table } from "../lib/format.ts";
import type { Message, RawClient } from "../lib/ndjson_client.ts";
import type { Managed } from "../lib/proc.ts";
import {
  connectSocket,
  fastServer,
  startDirect,
  startMux,
  startRelay,
  withTimeout,
} from "../lib/servers.ts";
import { ratioFigure, Runs } from "../lib/stats.ts";

const CLIENTS = 100;
const PATHS = ["direct", "relay", "mux"] as const;
type PathId = typeof PATHS[number];

interface Delivery {
  delivered: number;
  expected: number;
  /** Notifications that reached a client they were not meant for (wrong token). */
  wrong: number;
  ms: number;
}

/**
 * `calls` progress calls spread over `clients` (round robin), `count`
 * notifications each, every call with its own token.
 */
async function progressRun(
  clients: RawClient[],
  calls: number,
  count: number,
  tag: string,
): Promise<Delivery> {
  const received = new Map<string, number>();
  let wrong = 0;
  clients.forEach((client, c) => {
    client.onNotification = (m: Message) => {
      if (m.method !== "notifications/progress") return;
      const token = String(m.params?.progressToken);
      // Tokens are `${tag}:${client}:${call}`: one for another client is a routing error.
      if (!token.startsWith(`${tag}:${c}:`)) wrong++;
      else received.set(token, (received.get(token) ?? 0) + 1);
    };
  });
  const t0 = performance.now();
  await withTimeout(
    Promise.all(Array.from({ length: calls }, (_, i) => {
      const c = i % clients.length;
      return clients[c]!.request("tools/call", {
        name: "progress",
        arguments: { count },
        _meta: { progressToken: `${tag}:${c}:${i}` },
      });
    })),
    30_000,
  );
  const ms = performance.now() - t0;
  for (const client of clients) client.onNotification = undefined;
  let delivered = 0;
  for (const n of received.values()) delivered += Math.min(n, count);
  return { delivered, expected: calls * count, wrong, ms };
}

/** The server sends `count` list_changed; each of `clients` must get all of them. */
async function listChangedRun(
  clients: RawClient[],
  count: number,
): Promise<Delivery> {
  let delivered = 0;
  const done = clients.map((client) =>
    new Promise<void>((resolve) => {
      let n = 0;
      client.onNotification = (m: Message) => {
        if (m.method !== "notifications/tools/list_changed") return;
        delivered++;
        if (++n === count) resolve();
      };
    })
  );
  const t0 = performance.now();
  const answer = clients[0]!.request("tools/call", { name: "notify", arguments: { count } });
  let complete = true;
  try {
    await withTimeout(Promise.all([answer, ...done]), 30_000);
  } catch {
    complete = false;
  }
  const ms = performance.now() - t0;
  for (const client of clients) client.onNotification = undefined;
  if (!complete) await new Promise((resolve) => setTimeout(resolve, 100));
  return { delivered, expected: count * clients.length, wrong: 0, ms };
}

/** Run scenario 5. */
export async function fanoutScenario(ctx: BenchContext): Promise<ScenarioResult> {
  const repeats = ctx.quick ? 3 : 5;
  const perCall = ctx.quick ? 100 : 300;
  const listChanged = ctx.quick ? 500 : 2000;
  const upstream = fastServer(ctx);
  const started: Managed[] = [];
  const runs = new Runs();
  let lost = 0;
  let wrong = 0;
  try {
    const direct = await startDirect(upstream);
    started.push(direct.process);
    const relay = await startRelay(ctx, upstream);
    started.push(relay.process);
    const relayClient = await connectSocket(relay.socket, relay.process);
    const mux = await startMux(ctx, upstream);
    started.push(mux.process);
    const muxClients: RawClient[] = [];
    for (let i = 0; i < CLIENTS; i++) muxClients.push(await connectSocket(mux.socket, mux.process));
    const one: Record<PathId, RawClient[]> = {
      direct: [direct.client],
      relay: [relayClient],
      mux: muxClients,
    };
    const check = (d: Delivery) => {
      lost += d.expected - d.delivered;
      wrong += d.wrong;
      return d;
    };
    // Warm-up.
    for (const path of PATHS) {
      await progressRun(one[path], CLIENTS, 5, `warm-${path}`);
      // One connection gets as many list_changed as the mux delivers to all its clients.
      await listChangedRun(one[path], path === "mux" ? 10 : 10 * CLIENTS);
    }
    for (let r = 0; r < repeats; r++) {
      const order = PATHS.map((_, i) => PATHS[(i + r) % PATHS.length]!);
      for (const path of order) {
        const p = check(await progressRun(one[path], CLIENTS, perCall, `${path}-${r}`));
        runs.add(`${path}.progress`, p.delivered / (p.ms / 1000));
        const l = check(
          await listChangedRun(one[path], path === "mux" ? listChanged : listChanged * CLIENTS),
        );
        runs.add(`${path}.listChanged`, l.delivered / (l.ms / 1000));
      }
      ctx.log(`fanout: run ${r + 1}/${repeats} done`);
    }
    for (const c of [direct.client, relayClient, ...muxClients]) c.close();
  } finally {
    await Promise.all(started.map((p) => p.stop()));
  }
  const rows: string[][] = [[
    "deliveries per second",
    "direct, 1 client",
    "relay, 1 client",
    `mux, ${CLIENTS} clients`,
    "mux ÷ direct",
    "mux ÷ relay",
  ]];
  for (const kind of ["progress", "listChanged"] as const) {
    rows.push([
      kind === "progress"
        ? `progress (${CLIENTS} calls × ${perCall}, to owner)`
        : `list_changed (${listChanged} × ${CLIENTS} clients)`,
      fig(runs.get(`direct.${kind}`), "", num),
      fig(runs.get(`relay.${kind}`), "", num),
      fig(runs.get(`mux.${kind}`), "", num),
      fig(ratioFigure(runs.values(`mux.${kind}`), runs.values(`direct.${kind}`)), " ×"),
      fig(ratioFigure(runs.values(`mux.${kind}`), runs.values(`relay.${kind}`)), " ×"),
    ]);
  }
  return {
    name: "fanout",
    title: `5. Notification fan-out (fast fixture, ${CLIENTS} clients)`,
    table: table(rows),
    data: { clients: CLIENTS, perCall, listChanged, repeats, figures: runs.all(), lost, wrong },
    targets: [],
    notes: [
      "Baselines deliver the same number of notifications to one client (direct stdio, relay). " +
      "A delivery is one notification arriving at one client; time runs until the last arrives.",
      `Every delivery checked: ${lost} lost, ${wrong} delivered to the wrong client (progress tokens).`,
    ],
  };
}
