/**
 * Every limit is bounded and named: client slots, slow readers, timeouts.
 */

import { ErrorCode } from "../../src/jsonrpc/codes.ts";
import { assert, assertEquals, assertMatch } from "../_helpers/assert.ts";
import { fakeServer, RawConnection, startMux, textOf } from "../_helpers/mux.ts";

type Answer = { id: unknown; error?: { code: number; message: string }; result?: unknown };

const sleepCall = (id: unknown, ms: number, progress = false) => ({
  jsonrpc: "2.0",
  id,
  method: "tools/call",
  params: {
    name: "sleep",
    arguments: { ms },
    ...(progress ? { _meta: { progressToken: `p-${id}` } } : {}),
  },
});

Deno.test("over --max-active-clients: a client waits, then gets an error naming the limit", async () => {
  await using m = await startMux(fakeServer(), { maxActiveClients: 1, clientWaitMs: 200 });
  await using first = await RawConnection.open(m.socket);
  await first.initialize();
  await using second = await RawConnection.open(m.socket);
  // It may still ping while it waits.
  await second.send({ jsonrpc: "2.0", id: "p", method: "ping" });
  assertEquals((await second.answer("p")).result, {});
  await second.send({
    jsonrpc: "2.0",
    id: "i",
    method: "initialize",
    params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: {} },
  });
  const refused = (await second.answer("i")) as Answer;
  assertEquals(refused.error?.code, ErrorCode.TooManyClients);
  assertMatch(refused.error!.message, /--max-active-clients 1/);
  assertMatch(refused.error!.message, /Raise --max-active-clients/);
  assertEquals(await second.next(), null, "the refused connection is closed");
  // The served client never noticed.
  await first.send({ jsonrpc: "2.0", id: 1, method: "ping" });
  assertEquals((await first.answer(1)).result, {});
});

Deno.test("a waiting client is admitted as soon as a slot frees up", async () => {
  await using m = await startMux(fakeServer(), { maxActiveClients: 1, clientWaitMs: 10_000 });
  const first = await RawConnection.open(m.socket);
  await first.initialize();
  await using second = await RawConnection.open(m.socket);
  await second.send({
    jsonrpc: "2.0",
    id: "i",
    method: "initialize",
    params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: {} },
  });
  await first[Symbol.asyncDispose]();
  const admitted = (await second.answer("i")) as Answer;
  assertEquals((admitted.result as { protocolVersion: string }).protocolVersion, "2025-11-25");
});

Deno.test("a client that stops reading is disconnected; others keep being served", async () => {
  await using m = await startMux(fakeServer(), { maxClientBacklogBytes: 256 * 1024 });
  await using stalled = await RawConnection.open(m.socket);
  await stalled.initialize();
  await using healthy = await RawConnection.open(m.socket);
  await healthy.initialize();
  // Ask, in one write, for far more than the socket buffers and the bound hold; never read.
  const asks = Array.from({ length: 40 }, (_, i) =>
    JSON.stringify({
      jsonrpc: "2.0",
      id: i,
      method: "tools/call",
      params: { name: "big", arguments: { bytes: 200_000 } },
    }) + "\n");
  await stalled.write(asks.join(""));
  // Once the server has handled all 40, their answers have been routed (stdout is ordered).
  for (let round = 0;; round++) {
    await healthy.send({
      jsonrpc: "2.0",
      id: `stats-${round}`,
      method: "tools/call",
      params: { name: "stats", arguments: {} },
    });
    const stats = JSON.parse(textOf((await healthy.answer(`stats-${round}`)).result));
    if (stats.calls.big === 40) break;
  }
  await healthy.send({
    jsonrpc: "2.0",
    id: "h",
    method: "tools/call",
    params: { name: "echo", arguments: { text: "fine" } },
  });
  assertEquals(textOf((await healthy.answer("h")).result), "fine");
  // Reading now, the stalled client finds its connection closed after what was buffered.
  let answers = 0;
  while ((await stalled.next()) !== null) answers++;
  assert(answers < 40, `expected the stalled client to be cut off, got ${answers} answers`);
  await m.mux.waitForStatus((s) => s.clients.connected === 1, { timeoutMs: 10_000 });
});

Deno.test("a request without an answer fails after --request-timeout-ms; progress keeps it alive", async () => {
  await using m = await startMux(fakeServer(), { requestTimeoutMs: 300 });
  await using raw = await RawConnection.open(m.socket);
  await raw.initialize();
  await raw.send(sleepCall("slow", 5_000));
  await raw.send(sleepCall("chatty", 900, true));
  const slow = (await raw.answer("slow")) as Answer;
  assertEquals(slow.error?.code, ErrorCode.RequestTimeout);
  assertMatch(slow.error!.message, /did not answer tools\/call within 0.3 s/);
  // Progress every 20 ms renews the deadline: it completes after three timeouts' worth.
  const chatty = (await raw.answer("chatty")) as Answer;
  assertEquals(textOf(chatty.result), "slept 900");
});

Deno.test("a half-closed client still gets the answers it is owed", async () => {
  await using m = await startMux(fakeServer());
  await using raw = await RawConnection.open(m.socket);
  await raw.initialize();
  await raw.send(sleepCall("owed", 150));
  await raw.closeWrite();
  const answer = (await raw.answer("owed")) as Answer;
  assertEquals(textOf(answer.result), "slept 150");
  assertEquals(await raw.next(), null, "then the mux closes the connection");
});
