/**
 * A client that half-closes its connection is still owed its answers. One
 * that said it is `rmcp-mux proxy` is probed meanwhile with an empty line
 * every `GONE_PROBE_MS`, so that its going away for good is noticed even
 * while the server says nothing; any other client is left alone (an empty
 * line could upset it). Raw sockets to a mux in this process, real fixture
 * servers behind it.
 */

import { assertEquals } from "../_helpers/assert.ts";
import { connectClient, fakeServer, ROOT, startMux, textOf } from "../_helpers/mux.ts";
import { encodeLine, LineReader, socketDuplex } from "../_helpers/ndjson.ts";
import { HELLO_LINE } from "../../src/proxy/proxy.ts";
import { GONE_PROBE_MS } from "../../src/server/connection.ts";

const stubbornServer = {
  cmd: Deno.execPath(),
  args: ["run", "-A", "--quiet", `${ROOT}tests/fixtures/stubborn_server.ts`],
  cwd: ROOT,
};

const initialize = {
  jsonrpc: "2.0",
  id: "init",
  method: "initialize",
  params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "raw" } },
};
const initialized = { jsonrpc: "2.0", method: "notifications/initialized" };

/** A raw connection: what it sends, and every line it gets (blank ones too). */
async function open(socket: string) {
  const conn = await Deno.connect({ transport: "unix", path: socket });
  const io = socketDuplex(conn);
  const lines = new LineReader(() => io.read());
  return {
    conn,
    lines,
    send: (...messages: unknown[]) => io.write(messages.map((m) => encodeLine(m)).reduce(join)),
    [Symbol.dispose]: () => io.close(),
  };
}

function join(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** The lines from the connection up to the end of the stream. */
async function linesToEnd(lines: LineReader): Promise<string[]> {
  const all: string[] = [];
  for (let line = await lines.next(); line !== null; line = await lines.next()) all.push(line);
  return all;
}

Deno.test("a half-closed proxy connection owed an answer is probed with empty lines; once it is gone its call is cancelled upstream", async () => {
  await using m = await startMux(stubbornServer);
  await using watcher = await connectClient(m.socket, "watcher");
  using proxy = await open(m.socket);
  await proxy.send(HELLO_LINE, initialize, initialized, {
    jsonrpc: "2.0",
    id: "work",
    method: "tools/call",
    params: { name: "work", arguments: { ask: "sampling" }, _meta: { progressToken: 1 } },
  });
  while (!(await proxy.lines.next())?.includes("notifications/progress")) {
    // The initialize answer, then the progress that says the server has the call.
  }
  await proxy.conn.closeWrite();
  assertEquals(await proxy.lines.next(), "", "a probe: one empty line");
  assertEquals(await proxy.lines.next(), "", "and another, while the answer is owed");
  proxy.conn.close(); // the proxy is gone: the next probe fails
  const got = JSON.parse(textOf(await watcher.client.callTool({ name: "cancels" })));
  assertEquals(got.cancels.length, 1, "the server got the cancel");
});

Deno.test("a proxy whose hello does not say it drops empty lines (an older one) is never probed", async () => {
  await using m = await startMux(fakeServer());
  using older = await open(m.socket);
  const ms = 3 * GONE_PROBE_MS; // silent for a few probe periods
  const hello = { jsonrpc: "2.0", method: "rmcp-mux/hello", params: { transport: "proxy" } };
  await older.send(hello, initialize, initialized, {
    jsonrpc: "2.0",
    id: "sleep",
    method: "tools/call",
    params: { name: "sleep", arguments: { ms } },
  });
  await older.conn.closeWrite();
  const lines = await linesToEnd(older.lines);
  assertEquals(lines.length, 2, `the two answers, no empty line: ${JSON.stringify(lines)}`);
  assertEquals(textOf(JSON.parse(lines[1]!).result), `slept ${ms}`);
});

Deno.test("a raw client that pipelines initialize and a call, then half-closes at once, gets both answers and no probe", async () => {
  await using m = await startMux(fakeServer());
  using raw = await open(m.socket);
  const ms = 3 * GONE_PROBE_MS; // silent for a few probe periods
  await raw.send(initialize, initialized, {
    jsonrpc: "2.0",
    id: "sleep",
    method: "tools/call",
    params: { name: "sleep", arguments: { ms } },
  });
  await raw.conn.closeWrite();
  const lines = await linesToEnd(raw.lines);
  assertEquals(lines.length, 2, `the two answers, nothing else: ${JSON.stringify(lines)}`);
  assertEquals(JSON.parse(lines[0]!).id, "init");
  assertEquals(textOf(JSON.parse(lines[1]!).result), `slept ${ms}`);
});
