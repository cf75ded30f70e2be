/**
 * The product promise: several real SDK clients share one real reference
 * server process through the mux socket, and each gets exactly its own answers.
 */

import { assert, assertEquals } from "../_helpers/assert.ts";
import { connectClient, everythingServer, startMux, textOf } from "../_helpers/mux.ts";

/** Live processes whose command line carries `marker`. */
async function processesWith(marker: string): Promise<number[]> {
  const out = await new Deno.Command("ps", { args: ["-eo", "pid=,stat=,args="] }).output();
  return new TextDecoder().decode(out.stdout).split("\n")
    .map((line) => line.trim().split(/\s+/))
    .filter(([, stat, ...args]) => !stat?.startsWith("Z") && args.includes(marker))
    .map(([pid]) => Number(pid));
}

Deno.test("five SDK clients share one reference server and each gets its own answers", async () => {
  const marker = `--rmcp-mux-test=${crypto.randomUUID()}`;
  await using m = await startMux(everythingServer(marker));
  const clients = await Promise.all(
    [0, 1, 2, 3, 4].map((i) => connectClient(m.socket, `client-${i}`)),
  );
  try {
    // Interleaved calls: every client fires several at once.
    const calls = clients.flatMap(({ client }, i) =>
      [0, 1, 2, 3].map(async (j) => {
        const result = await client.callTool({
          name: "echo",
          arguments: { message: `c${i}-r${j}` },
        });
        return { i, j, text: textOf(result) };
      })
    );
    const results = await Promise.all(calls);
    for (const { i, j, text } of results) assertEquals(text, `Echo: c${i}-r${j}`);
    // Exactly one upstream process served them all.
    const servers = await processesWith(marker);
    assertEquals(servers, [m.mux.status().server.pid]);
    assertEquals(m.mux.status().restarts.total, 0);
    // Every client sees the server as its own.
    for (const { client } of clients) {
      assertEquals(client.getServerVersion()?.name, "mcp-servers/everything");
      assert(client.getInstructions()?.includes("Everything Server"));
    }
  } finally {
    for (const c of clients) await c[Symbol.asyncDispose]();
  }
});

Deno.test("a client leaving mid-request disturbs nobody else", async () => {
  await using m = await startMux(everythingServer());
  await using stayer = await connectClient(m.socket, "stayer");
  const leaver = await connectClient(m.socket, "leaver");
  const abandoned = leaver.client.callTool({
    name: "trigger-long-running-operation",
    arguments: { duration: 1, steps: 2 },
  }).catch((error: Error) => error);
  await leaver[Symbol.asyncDispose]();
  assert((await abandoned) instanceof Error);
  const result = await stayer.client.callTool({ name: "echo", arguments: { message: "still" } });
  assertEquals(textOf(result), "Echo: still");
  await m.mux.waitForStatus((s) => s.clients.connected === 1, { timeoutMs: 10_000 });
});

Deno.test("clients negotiating different protocol versions each get their own", async () => {
  await using m = await startMux(everythingServer());
  const { RawConnection } = await import("../_helpers/mux.ts");
  await using old = await RawConnection.open(m.socket);
  await using current = await RawConnection.open(m.socket);
  assertEquals((await old.initialize("2025-06-18")).protocolVersion, "2025-06-18");
  assertEquals((await current.initialize("2025-11-25")).protocolVersion, "2025-11-25");
  assertEquals((await old.initialize("2024-11-05", "again")).protocolVersion, "2024-11-05");
});

Deno.test("colliding progress tokens each reach their own client only", async () => {
  await using m = await startMux(everythingServer());
  await using a = await connectClient(m.socket, "a");
  await using b = await connectClient(m.socket, "b");
  // Both SDK clients use their request id as the progress token: they collide.
  const run = (c: typeof a) =>
    c.client.callTool(
      { name: "trigger-long-running-operation", arguments: { duration: 0.3, steps: 3 } },
      undefined,
      { onprogress: () => {} },
    );
  await Promise.all([run(a), run(b)]);
  const progressOf = (c: typeof a) =>
    c.transport.received.filter((m) =>
      (m as { method?: string }).method === "notifications/progress"
    );
  for (const c of [a, b]) {
    const progress = progressOf(c);
    // Counted at the transport: exactly this client's three steps, in order.
    assertEquals(
      progress.map((p) => (p as { params: { progress: number } }).params.progress),
      [1, 2, 3],
    );
  }
});
