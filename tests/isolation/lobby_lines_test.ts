/**
 * Lines a client sends before its service has decided how to isolate it
 * (the server's first handshake) are all kept, in order — including what a
 * proxy sends first (`rmcp-mux/hello`), which is taken and never held.
 */

import { assertEquals } from "../_helpers/assert.ts";
import { fakeServer, RawConnection, startMux, textOf } from "../_helpers/mux.ts";
import { TYPED } from "../_helpers/cli.ts";

Deno.test("pipelined before the isolation decision: initialize, initialized and a call all arrive", async () => {
  // Written at once, right after the mux starts: before its server has answered its handshake.
  await using m = await startMux(fakeServer());
  await using conn = await RawConnection.open(m.socket);
  const lines = [
    { jsonrpc: "2.0", method: "rmcp-mux/hello", params: { transport: "proxy" } },
    {
      jsonrpc: "2.0",
      id: "init",
      method: "initialize",
      params: {
        protocolVersion: "2025-11-25",
        capabilities: {},
        clientInfo: { name: "p", version: "1" },
      },
    },
    { jsonrpc: "2.0", method: "notifications/initialized" },
    {
      jsonrpc: "2.0",
      id: "call",
      method: "tools/call",
      params: { name: "echo", arguments: { text: "kept" } },
    },
  ];
  await conn.write(lines.map((l) => JSON.stringify(l)).join("\n") + "\n");
  // A lost line is a request never answered: bounded, so that shows as a failure, not a hang.
  assertEquals((await bounded(conn.answer("init"), "initialize")).id, "init");
  assertEquals(textOf((await bounded(conn.answer("call"), "the call")).result), "kept");
  const session = m.mux.status().sessions[0]!;
  assertEquals(session.transport, "proxy", "the hello said so");
});

async function bounded<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} was never answered (lost)`)), 20_000);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

Deno.test("a client that half-closes while its request waits for the isolation decision still gets the answer", async () => {
  await using m = await startMux(fakeServer());
  await using conn = await RawConnection.open(m.socket);
  const call = {
    jsonrpc: "2.0",
    id: 7,
    method: "tools/call",
    params: { name: "echo", arguments: { text: "owed" } },
  };
  await conn.write(JSON.stringify(call) + "\n");
  await conn.closeWrite();
  assertEquals(textOf((await bounded(conn.answer(7), "the call")).result), "owed");
});

Deno.test("a client still waiting for its process when the service is removed is told why (-32006)", async () => {
  // The server never answers its handshake: the client's initialize waits in the lobby.
  await using m = await startMux(fakeServer("--no-init"), { isolation: "roots" });
  await using conn = await RawConnection.open(m.socket);
  await conn.send({
    jsonrpc: "2.0",
    id: "init",
    method: "initialize",
    params: {
      protocolVersion: "2025-11-25",
      capabilities: {},
      clientInfo: { name: "w", version: "1" },
    },
  });
  await conn.send({ jsonrpc: "2.0", id: "ping", method: "ping" });
  // Answered by the lobby at once, after it took the initialize (lines are read in order).
  assertEquals((await conn.answer("ping")).result, {});
  await m.mux.close("removed");
  const init = (await conn.answer("init")).error as Record<string, unknown>;
  assertEquals(init, {
    code: -32006,
    message: 'service "svc" was removed from the config by a reload; the request was not ' +
      `completed: the service is gone until the config names it again and \`${TYPED} reload\` runs`,
    data: { service: "svc", reason: "removed" },
  });
});
