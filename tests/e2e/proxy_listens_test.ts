/**
 * A 2026-07-28 host's `subscriptions/listen` streams through `rmcp-mux
 * proxy` go on when the proxy reconnects: the real SDK v2 client pinned to
 * 2026-07-28, launched as hosts launch servers, keeps receiving resource
 * updates across a `restart NAME`, a daemon kill -9 and a graceful daemon
 * restart; a stream the host ended is not sent again; when the mux does not
 * come back, every open stream ends clearly. And the proxy says
 * "reconnected" only once the mux answers on the new connection: a socket
 * that accepts and resets (a dying daemon's) costs the host nothing.
 */

import { assert, assertEquals, assertMatch } from "../_helpers/assert.ts";
import { CliProcess, runCli } from "../_helpers/cli.ts";
import { ModernProxyHost, type Received } from "../_helpers/modern_proxy_host.ts";
import { ROOT } from "../_helpers/mux.ts";
import { RawProxy } from "../_helpers/proxy_host.ts";
import { type Sandbox, sandbox } from "../_helpers/temp.ts";

const DENO = Deno.execPath();
const MODERN = `${ROOT}tests/fixtures/modern_server.ts`;
const URI = "fixture://counter";
const LISTEN = "subscriptions/listen";
const ACK = "notifications/subscriptions/acknowledged";
const UPDATED = "notifications/resources/updated";
const SUBSCRIPTION_ID = "io.modelcontextprotocol/subscriptionId";

/** A single mux in front of the modern-only fixture. */
function singleMux(box: Sandbox, socket: string): CliProcess {
  const server = ["--cmd", DENO, "--", "run", "-A", "--quiet", MODERN, "--reject-legacy"];
  return new CliProcess(["--socket", socket, ...server], box.env);
}

/** Wait until the server behind `socket` is up (a pinned host's probe needs it). */
async function serverUp(socket: string, env: Record<string, string>): Promise<void> {
  const health = await runCli(["health", "--socket", socket, "--timeout-ms", "60000"], { env });
  assertEquals(health.code, 0, health.stderr);
}

/** `touch` the counter, and the update the host gets for its stream `id`. */
async function touched(host: ModernProxyHost, id: unknown): Promise<Received> {
  const since = host.received.length;
  await host.client.callTool({ name: "touch", arguments: { uri: URI } });
  const update = await host.next((m) => m.method === UPDATED, since);
  assertEquals(update.params?._meta?.[SUBSCRIPTION_ID], id, "tagged with the host's own id");
  return update;
}

const count = (lines: string[], pattern: RegExp) => lines.filter((l) => pattern.test(l)).length;

Deno.test("a 2026-07-28 host's stream through the proxy goes on across restart NAME, a daemon kill -9 and a graceful daemon restart", async () => {
  await using box = await sandbox("rmcp-mux-listens-");
  const config = `${box.dir}/mux.yaml`;
  const socket = `${box.dir}/modern.sock`;
  await Deno.writeTextFile(
    config,
    `servers:\n  modern:\n    socket: ${socket}\n    cmd: ${DENO}\n` +
      `    args: [run, -A, --quiet, "${MODERN}", --reject-legacy]\n    cwd: ${ROOT}\n`,
  );
  const first = new CliProcess(["--config", config], box.env);
  await first.waitForLine(/Daemon running 1 services/);
  await serverUp(socket, box.env);
  await using host = await ModernProxyHost.start(["proxy", "--socket", socket], { env: box.env });
  const counter = await host.client.listen({ resourceSubscriptions: [URI] });
  const tools = await host.client.listen({ toolsListChanged: true });
  assertEquals(counter.honoredFilter, { resourceSubscriptions: [URI] });
  const [counterId, toolsId] = host.sent.filter((m) => m.method === LISTEN).map((m) => m.id);
  let ended: string | undefined;
  void counter.closed.then((cause) => ended = cause);
  await touched(host, counterId);

  // 1. restart NAME: the socket stays, the mux sends the stream to the new server itself.
  const restart = await runCli(["restart", "modern", "--config", config], { env: box.env });
  assertEquals(restart.code, 0, restart.stderr);
  await touched(host, counterId);
  assertEquals(count(host.stderr, /lost the mux/), 0, "never disconnected");

  // 2. The daemon killed: the streams stay open. The host ends one while the proxy reconnects.
  first.child.kill("SIGKILL");
  await first[Symbol.asyncDispose]();
  await host.waitForStderr(/lost the mux .*; reconnecting for up to 30 s/);
  await tools.close();
  assertEquals(await tools.closed, "local");
  const second = new CliProcess(["--config", config], box.env);
  await second.waitForLine(/Daemon running 1 services/);
  await host.waitForStderr(/reconnected to the mux/);
  // The ended stream was not sent again: a tools change reaches nobody (it would come before
  // the update that the later touch causes, on the same stream of lines).
  const since = host.received.length;
  await host.client.callTool({ name: "add-tool", arguments: { name: "later" } });
  await touched(host, counterId);
  assertEquals(host.notifications("notifications/tools/list_changed", since), []);
  assertEquals(
    host.received.filter((m) => m.id === toolsId),
    [],
    "no answer for the host's ended stream",
  );

  // 3. A graceful daemon restart: the mux ends every stream as it stops; the proxy keeps that
  // from the host and listens again on the next daemon.
  const lostBefore = host.stderr.length;
  second.child.kill("SIGTERM");
  assertEquals((await second.child.status).code, 0);
  await second[Symbol.asyncDispose]();
  await host.waitForStderr(/lost the mux/, lostBefore);
  await using third = new CliProcess(["--config", config], box.env);
  await third.waitForLine(/Daemon running 1 services/);
  await host.waitForStderr(/reconnected to the mux/, lostBefore);
  await touched(host, counterId);

  assertEquals(ended, undefined, "the host's stream never ended");
  assertEquals(host.received.filter((m) => m.id === counterId), [], "no end, no error");
  assertEquals(host.notifications(ACK).length, 2, "one per stream: those sent again are kept back");
  assertEquals(count(host.stderr, /reconnected to the mux/), 2);
  assertEquals((await runCli(["shutdown", "--config", config], { env: box.env })).code, 0);
  assertEquals((await third.child.status).code, 0);
});

Deno.test("streams open when the proxy gives up end clearly: an error after a kill -9, the mux's graceful end after a shutdown", async () => {
  await using box = await sandbox("rmcp-mux-listens-");
  const socket = `${box.dir}/modern.sock`;
  const args = ["proxy", "--socket", socket, "--reconnect-timeout-ms", "300"];

  // Killed: the mux sent nothing; the stream gets the proxy's error when time runs out.
  const killed = singleMux(box, socket);
  await killed.waitForLine(/Listening on/);
  await serverUp(socket, box.env);
  {
    await using host = await ModernProxyHost.start(args, { env: box.env });
    const stream = await host.client.listen({ resourceSubscriptions: [URI] });
    const id = host.sent.find((m) => m.method === LISTEN)!.id;
    killed.child.kill("SIGKILL");
    await killed[Symbol.asyncDispose]();
    assertEquals(await stream.closed, "remote");
    const end = await host.next((m) => m.id === id);
    assertEquals(end.error?.code, -32000);
    assertMatch(
      end.error!.message,
      /^rmcp-mux proxy: the subscriptions\/listen stream ended: the mux did not come back within 0\.3 s \(.*\)\. Listen again$/,
    );
    await host.waitForStderr(/gave up: the mux did not come back within 0\.3 s/);
  }

  // Shut down: the mux's graceful end, kept back while the proxy tried, then delivered.
  const stopped = singleMux(box, socket);
  await stopped.waitForLine(/Listening on/);
  await serverUp(socket, box.env);
  {
    await using host = await ModernProxyHost.start(args, { env: box.env });
    const stream = await host.client.listen({ resourceSubscriptions: [URI] });
    const id = host.sent.find((m) => m.method === LISTEN)!.id;
    stopped.child.kill("SIGTERM");
    assertEquals((await stopped.child.status).code, 0);
    await stopped[Symbol.asyncDispose]();
    assertEquals(await stream.closed, "graceful");
    const end = await host.next((m) => m.id === id);
    assertEquals(end.result?.resultType, "complete");
    await host.waitForStderr(/gave up: the mux did not come back within 0\.3 s/);
  }
});

Deno.test("the proxy is back only once the mux answers: a socket that accepts and resets costs the host nothing", async () => {
  await using box = await sandbox("rmcp-mux-listens-");
  const socket = `${box.dir}/modern.sock`;
  const first = singleMux(box, socket);
  await first.waitForLine(/Listening on/);
  await serverUp(socket, box.env);
  // A 2026-07-28 host: no initialize to replay, so nothing but the proxy's ping stands between
  // a new connection and what the host sent meanwhile.
  await using proxy = new RawProxy(["proxy", "--socket", socket], box.env);
  const envelope = {
    "io.modelcontextprotocol/protocolVersion": "2026-07-28",
    "io.modelcontextprotocol/clientInfo": { name: "raw-modern-host", version: "1" },
    "io.modelcontextprotocol/clientCapabilities": {},
  };
  const toolsList = (id: number) => ({
    jsonrpc: "2.0",
    id,
    method: "tools/list",
    params: { _meta: envelope },
  });
  await proxy.send(toolsList(1));
  assert((await proxy.answer(1)).result);
  first.child.kill("SIGTERM");
  assertEquals((await first.child.status).code, 0);
  await first[Symbol.asyncDispose]();
  await proxy.waitForStderr(/lost the mux/);
  // Sent while nothing listens: held.
  await proxy.send(toolsList(2));

  // A dying daemon's socket: it accepts, reads the proxy's first two lines, and resets.
  const dying = Deno.listen({ transport: "unix", path: socket });
  const conn = await dying.accept();
  let seen = "";
  const buffer = new Uint8Array(4096);
  while (seen.split("\n").length < 3) {
    const n = await conn.read(buffer);
    if (n === null) break;
    seen += new TextDecoder().decode(buffer.subarray(0, n));
  }
  conn.close();
  dying.close();
  await Deno.remove(socket).catch(() => {}); // (whether Deno removed it or not)
  assert(!seen.includes("tools/list"), `held until the mux answers; the socket got: ${seen}`);
  assertMatch(seen, /"method":"ping"/, "the proxy asks the mux to answer first");

  await using second = singleMux(box, socket);
  await second.waitForLine(/Listening on/);
  const answer = await proxy.answer(2);
  assert(answer.result, `answered by the mux that came back: ${JSON.stringify(answer)}`);
  await proxy.waitForStderr(/reconnected to the mux/);
  assertEquals(count(proxy.stderrLines, /reconnected to the mux/), 1, "not for the reset socket");
  assertEquals(count(proxy.stderrLines, /lost the mux/), 1, "one loss, one reconnect");
});
