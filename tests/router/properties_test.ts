/**
 * Property-based tests (fast-check) of the routing tables: under any
 * interleaving of clients joining and leaving, requests, answers,
 * cancellations, subscriptions and unsubscriptions, nothing leaks, nothing
 * is answered twice, and nothing cancelled is answered at all.
 */

import fc from "fast-check";
import { assert, assertEquals } from "../_helpers/assert.ts";
import { ClientToServerTable } from "../../src/router/client_to_server.ts";
import {
  call,
  type FakeClient,
  type Msg,
  readyHarness,
  subscribe,
  unsubscribe,
} from "../_helpers/router_harness.ts";

type Op =
  | { op: "join" }
  | { op: "leave"; c: number }
  | { op: "request"; c: number }
  | { op: "answer"; k: number }
  | { op: "cancel"; c: number; k: number }
  | { op: "subscribe"; c: number; u: number }
  | { op: "unsubscribe"; c: number; u: number }
  | { op: "own" };

const ops = fc.array(
  fc.oneof(
    fc.constant<Op>({ op: "join" }),
    fc.record({ op: fc.constant("leave" as const), c: fc.nat() }),
    fc.record({ op: fc.constant("request" as const), c: fc.nat() }),
    fc.record({ op: fc.constant("answer" as const), k: fc.nat() }),
    fc.record({ op: fc.constant("cancel" as const), c: fc.nat(), k: fc.nat() }),
    fc.record({ op: fc.constant("subscribe" as const), c: fc.nat(), u: fc.nat({ max: 2 }) }),
    fc.record({ op: fc.constant("unsubscribe" as const), c: fc.nat(), u: fc.nat({ max: 2 }) }),
    fc.constant<Op>({ op: "own" }),
  ),
  { maxLength: 40 },
);

async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

Deno.test("property: no interleaving leaks a request or a subscription, or answers twice", async () => {
  await fc.assert(
    fc.asyncProperty(ops, async (script) => {
      using h = readyHarness();
      const clients: { fake: FakeClient; alive: boolean; open: Set<number>; seen: Msg[] }[] = [];
      const cancelled = new Set<string>(); // `${client}:${id}`
      let nextId = 1;
      const alive = (c: number) => {
        const live = clients.filter((x) => x.alive);
        return live.length === 0 ? undefined : live[c % live.length];
      };
      const collect = () => {
        for (const x of clients) x.seen.push(...x.fake.take());
      };
      // How many times the server was subscribed to each URI: never negative, never above one.
      const upstreamSubs = new Map<string, number>();
      const answerOwn = () => {
        for (const m of h.upstream.take()) {
          if (m.method === "resources/subscribe" || m.method === "resources/unsubscribe") {
            const n = (upstreamSubs.get(m.params.uri) ?? 0) +
              (m.method === "resources/subscribe" ? 1 : -1);
            assert(n === 0 || n === 1, `server subscribed ${n} times to ${m.params.uri}`);
            upstreamSubs.set(m.params.uri, n);
          }
          if (typeof m.id === "string") h.fromServer({ jsonrpc: "2.0", id: m.id, result: {} });
          else if (m.method === "tools/call") unanswered.push(m);
        }
      };
      const unanswered: Msg[] = [];
      for (const step of script) {
        switch (step.op) {
          case "join":
            clients.push({ fake: h.initialized(), alive: true, open: new Set(), seen: [] });
            break;
          case "leave": {
            const x = alive(step.c);
            if (!x) break;
            h.router.disconnect(x.fake.session);
            x.alive = false;
            x.open.clear();
            break;
          }
          case "request": {
            const x = alive(step.c);
            if (!x) break;
            const id = nextId++;
            h.fromClient(x.fake, call(id));
            x.open.add(id);
            break;
          }
          case "answer": {
            answerOwn();
            if (unanswered.length === 0) break;
            const [m] = unanswered.splice(step.k % unanswered.length, 1);
            h.fromServer({ jsonrpc: "2.0", id: m.id, result: { upstream: m.id } });
            break;
          }
          case "cancel": {
            const x = alive(step.c);
            if (!x || x.open.size === 0) break;
            const id = [...x.open][step.k % x.open.size]!;
            h.fromClient(x.fake, {
              jsonrpc: "2.0",
              method: "notifications/cancelled",
              params: { requestId: id },
            });
            x.open.delete(id);
            cancelled.add(`${clients.indexOf(x)}:${id}`);
            break;
          }
          case "subscribe":
          case "unsubscribe": {
            const x = alive(step.c);
            if (!x) break;
            const make = step.op === "subscribe" ? subscribe : unsubscribe;
            h.fromClient(x.fake, make(`s${nextId++}`, `file:///${step.u}`));
            break;
          }
          case "own":
            answerOwn();
            break;
        }
        await settle();
        collect();
        // Answered requests leave the open set.
        for (const x of clients) {
          for (const m of x.seen) if (typeof m.id === "number") x.open.delete(m.id);
        }
        const open = clients.reduce((n, x) => n + (x.alive ? x.open.size : 0), 0);
        assertEquals(h.router.stats().pendingRequests, open, "one table entry per open request");
      }
      // Everyone leaves; the server answers what the mux still asks.
      for (const x of clients) if (x.alive) h.router.disconnect(x.fake.session);
      for (let i = 0; i < 5; i++) {
        answerOwn();
        await settle();
      }
      collect();
      const stats = h.router.stats();
      assertEquals(
        [stats.pendingRequests, stats.subscriptions, stats.connectedClients],
        [0, 0, 0],
        "nothing left behind",
      );
      assertEquals([...upstreamSubs.values()].filter((n) => n !== 0), [], "server unsubscribed");
      for (const [i, x] of clients.entries()) {
        const ids = x.seen.filter((m) => m.id !== undefined && !m.method).map((m) => m.id);
        assertEquals(ids.length, new Set(ids).size, "no request answered twice");
        for (const id of ids) assert(!cancelled.has(`${i}:${id}`), "a cancelled request answered");
      }
      await h.router.whenIdle();
    }),
    { numRuns: 150 },
  );
});

Deno.test("property: the client→server table's indexes agree under any add/take/removeClient", () => {
  type TableOp =
    | { op: "add"; client: number; id: number }
    | { op: "take"; k: number }
    | { op: "leave"; client: number };
  const tableOps = fc.array(
    fc.oneof(
      fc.record({
        op: fc.constant("add" as const),
        client: fc.nat({ max: 3 }),
        id: fc.nat({ max: 5 }),
      }),
      fc.record({ op: fc.constant("take" as const), k: fc.nat() }),
      fc.record({ op: fc.constant("leave" as const), client: fc.nat({ max: 3 }) }),
    ),
    { maxLength: 60 },
  );
  fc.assert(
    fc.property(tableOps, (script) => {
      const idle: number[] = [];
      const table = new ClientToServerTable<number>({ onClientIdle: (c) => idle.push(c) });
      const model = new Map<number, { client: number; id: number }>(); // by upstream id
      for (const step of script) {
        if (step.op === "add") {
          if (table.hasClientId(step.client, step.id)) continue; // the router refuses reuse
          const entry = table.add({ client: step.client }, step.id, "m", Infinity, undefined, 0);
          model.set(entry.upstreamId, { client: step.client, id: step.id });
        } else if (step.op === "take") {
          const keys = [...model.keys()];
          if (keys.length === 0) continue;
          const upstreamId = keys[step.k % keys.length]!;
          const { client } = model.get(upstreamId)!;
          model.delete(upstreamId);
          assertEquals(table.take(upstreamId)?.upstreamId, upstreamId);
          const left = [...model.values()].some((e) => e.client === client);
          if (!left) assertEquals(idle.at(-1), client, "idle when its last request left");
        } else {
          const had = [...model].filter(([, e]) => e.client === step.client);
          assertEquals(table.removeClient(step.client).length, had.length);
          for (const [upstreamId] of had) model.delete(upstreamId);
        }
        assertEquals(table.size, model.size);
        for (let client = 0; client <= 3; client++) {
          const mine = [...model.values()].filter((e) => e.client === client);
          assertEquals(table.countFor(client), mine.length);
          for (const e of mine) {
            assertEquals(table.findByClientId(client, e.id)?.clientId, e.id);
          }
        }
      }
    }),
    { numRuns: 300 },
  );
});
