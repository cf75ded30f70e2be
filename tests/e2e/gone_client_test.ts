/**
 * `rmcp-mux proxy` half-closes its connection when its host closes its stdin
 * and waits for the answers it is owed; a host that shuts down then kills it
 * (MCP stdio: close stdin, then SIGTERM, then SIGKILL). The mux must notice
 * that second step although the server sends nothing meanwhile: the call is
 * cancelled upstream, and under `--serialize` the next client's turn comes.
 * Real processes: `rmcp-mux proxy`, the fixture servers (`stubborn_server.ts`
 * reports the cancels it gets), real SDK clients on the socket.
 */

import { assertEquals } from "../_helpers/assert.ts";
import { connectClient, fakeServer, ROOT, startMux, textOf } from "../_helpers/mux.ts";
import { RawProxy } from "../_helpers/proxy_host.ts";
import { GONE_PROBE_MS } from "../../src/server/connection.ts";

const stubbornServer = {
  cmd: Deno.execPath(),
  args: ["run", "-A", "--quiet", `${ROOT}tests/fixtures/stubborn_server.ts`],
  cwd: ROOT,
};

/** What the stubborn server's `cancels` tool answers. */
type Cancels = { cancels: { requestId: unknown; reason?: string }[]; waited: boolean };

/** Send the stubborn server's `work` call through the proxy; resolves once the server has it. */
async function work(proxy: RawProxy, args: Record<string, unknown>): Promise<void> {
  await proxy.send({
    jsonrpc: "2.0",
    id: "work",
    method: "tools/call",
    params: { name: "work", arguments: args, _meta: { progressToken: "arrived" } },
  });
  await proxy.message((message) => message.method === "notifications/progress");
}

Deno.test("a proxy killed after its host closed its stdin: the mux cancels its silent call upstream", async () => {
  await using m = await startMux(stubbornServer);
  await using watcher = await connectClient(m.socket, "watcher");
  await using proxy = new RawProxy(["proxy", "--socket", m.socket]);
  await proxy.initialize("dying-host");
  await work(proxy, { ask: "sampling" });
  await proxy.closeStdin(); // the host shuts down: stdin first…
  await proxy.kill("SIGKILL"); // …then the proxy is killed
  const got: Cancels = JSON.parse(
    textOf(await watcher.client.callTool({ name: "cancels", arguments: {} })),
  );
  assertEquals(got.cancels.length, 1, "the server got one cancel: the killed proxy's call");
  assertEquals(typeof got.cancels[0]!.requestId, "number", "under the mux's own id");
});

Deno.test("a proxy whose host closed its stdin still gets its answer; the mux's probes never reach the host", async () => {
  await using m = await startMux(fakeServer());
  await using proxy = new RawProxy(["proxy", "--socket", m.socket]);
  await proxy.initialize("leaving-host");
  // Silent for a few probe periods: the mux probes the half-closed proxy meanwhile.
  const ms = 3 * GONE_PROBE_MS;
  await proxy.send({
    jsonrpc: "2.0",
    id: "sleep",
    method: "tools/call",
    params: { name: "sleep", arguments: { ms } },
  });
  await proxy.closeStdin();
  const answer = await proxy.answer("sleep");
  assertEquals(textOf(answer.result), `slept ${ms}`);
  const rest = await proxy.rest();
  assertEquals(rest, [], "nothing more, and no blank line, reached the host");
  assertEquals((await proxy.child.status).code, 0, "the proxy ended once the answer was out");
});

Deno.test("--serialize: the next client's call goes up once a killed proxy's call is cancelled", async () => {
  await using m = await startMux(stubbornServer, { serialize: true });
  await using proxy = new RawProxy(["proxy", "--socket", m.socket]);
  await proxy.initialize("dying-host");
  // `late`: the server answers the cancelled call (after its question), which ends the turn.
  await work(proxy, { ask: "sampling", late: true });
  await using next = await connectClient(m.socket, "next");
  const cancels = next.client.callTool({ name: "cancels", arguments: {} });
  await next.client.ping(); // the mux has read the call: it waits for the proxy's turn
  await proxy.closeStdin();
  await proxy.kill("SIGKILL");
  const got: Cancels = JSON.parse(textOf(await cancels));
  assertEquals(got.cancels.length, 1, "the killed proxy's call was cancelled upstream");
  assertEquals(got.waited, false, "the next call reached the server only after that cancel");
});
