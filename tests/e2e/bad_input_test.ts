/**
 * Bad input over the real socket: every mistake gets a clear JSON-RPC error,
 * the connection stays usable, and nobody else is affected.
 */

import { ErrorCode } from "../../src/jsonrpc/codes.ts";
import { assert, assertEquals, assertMatch } from "../_helpers/assert.ts";
import { fakeServer, RawConnection, startMux, textOf } from "../_helpers/mux.ts";

type Answer = { id: unknown; error?: { code: number; message: string }; result?: unknown };

Deno.test("invalid JSON and invalid UTF-8 get -32700 with id null; the connection stays usable", async () => {
  await using m = await startMux(fakeServer());
  await using raw = await RawConnection.open(m.socket);
  await raw.initialize();
  await raw.write("{this is not json\n");
  const parse = (await raw.next()) as Answer;
  assertEquals([parse.id, parse.error?.code], [null, ErrorCode.ParseError]);
  await raw.write(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d, 0x0a]));
  const utf8 = (await raw.next()) as Answer;
  assertEquals([utf8.id, utf8.error?.code], [null, ErrorCode.ParseError]);
  assertMatch(utf8.error!.message, /not valid UTF-8/);
  await raw.send({ jsonrpc: "2.0", id: 3, method: "ping" });
  assertEquals((await raw.answer(3)).result, {});
});

Deno.test("JSON that is not JSON-RPC gets -32600, with its id when it has one", async () => {
  await using m = await startMux(fakeServer());
  await using raw = await RawConnection.open(m.socket);
  await raw.initialize();
  await raw.send({ id: 5, method: "tools/list" }); // no "jsonrpc"
  const invalid = (await raw.next()) as Answer;
  assertEquals([invalid.id, invalid.error?.code], [5, ErrorCode.InvalidRequest]);
  assertMatch(invalid.error!.message, /"jsonrpc" member must be exactly "2.0"/);
  await raw.write("42\n");
  const scalar = (await raw.next()) as Answer;
  assertEquals([scalar.id, scalar.error?.code], [null, ErrorCode.InvalidRequest]);
});

Deno.test("an over-long line is answered by id, its rest discarded, and the connection goes on", async () => {
  await using m = await startMux(fakeServer(), { maxRequestBytes: 1024 });
  await using raw = await RawConnection.open(m.socket);
  await raw.initialize();
  // The TypeScript SDK writes the id last; the mux recovers it from the tail.
  const huge = JSON.stringify({
    method: "tools/call",
    params: { name: "echo", arguments: { text: "x".repeat(200_000) } },
    jsonrpc: "2.0",
    id: "huge",
  });
  await raw.write(huge + "\n");
  const answer = (await raw.answer("huge")) as Answer;
  assertEquals(answer.error?.code, ErrorCode.MessageTooLarge);
  assertMatch(answer.error!.message, /\d+ bytes exceeds the mux's limit.*--max-request-bytes/);
  await raw.send({
    jsonrpc: "2.0",
    id: "small",
    method: "tools/call",
    params: { name: "echo", arguments: { text: "fits" } },
  });
  assertEquals(textOf((await raw.answer("small")).result), "fits");
});

Deno.test("a 2025-03-26 client's batch is answered as one array; newer clients get -32600", async () => {
  await using m = await startMux(fakeServer());
  await using old = await RawConnection.open(m.socket);
  await old.initialize("2025-03-26");
  await old.send([
    {
      jsonrpc: "2.0",
      id: 1,
      method: "tools/call",
      params: { name: "echo", arguments: { text: "a" } },
    },
    { jsonrpc: "2.0", id: 2, method: "ping" },
    { jsonrpc: "2.0", method: "notifications/whatever" },
  ]);
  const batch = (await old.next()) as Answer[];
  assert(Array.isArray(batch));
  assertEquals(batch.map((a) => a.id), [1, 2]);
  assertEquals(textOf(batch[0]!.result), "a");

  await using current = await RawConnection.open(m.socket);
  await current.initialize("2025-11-25");
  await current.send([{ jsonrpc: "2.0", id: 1, method: "ping" }]);
  const refused = (await current.next()) as Answer;
  assertEquals(refused.error?.code, ErrorCode.InvalidRequest);
  assertMatch(refused.error!.message, /batches are not part of MCP 2025-11-25/);
});

Deno.test("a server printing junk on stdout still serves (junk is logged and skipped)", async () => {
  await using m = await startMux(fakeServer("--junk"));
  await using raw = await RawConnection.open(m.socket);
  const init = await raw.initialize();
  assertEquals((init.serverInfo as { name: string }).name, "fake-server");
  await raw.send({
    jsonrpc: "2.0",
    id: 1,
    method: "tools/call",
    params: { name: "echo", arguments: { text: "clean" } },
  });
  assertEquals(textOf((await raw.answer(1)).result), "clean");
});

Deno.test("one client's garbage never reaches another client", async () => {
  await using m = await startMux(fakeServer());
  await using bad = await RawConnection.open(m.socket);
  await using good = await RawConnection.open(m.socket);
  await bad.initialize();
  await good.initialize();
  await bad.write("garbage\n[]\n{}\n");
  for (let i = 0; i < 3; i++) assert(((await bad.next()) as Answer).error);
  await good.send({ jsonrpc: "2.0", id: "g", method: "ping" });
  // The very next line the good client sees is its own answer.
  assertEquals(await good.next(), { jsonrpc: "2.0", id: "g", result: {} });
});
