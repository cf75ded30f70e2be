/**
 * Reload that disconnects no one, through the real CLI with hosts attached
 * the way hosts attach (`rmcp-mux proxy`): a new command is a new server
 * behind the same connection, a new socket is followed by a `--service`
 * proxy, `restart NAME` drains a call in flight, daemon settings say
 * whether they applied, and after a daemon
 * killed with SIGKILL the new mux asks the host for its roots again.
 */

import { assert, assertEquals, assertMatch } from "../_helpers/assert.ts";
import { CliProcess, literal, runCli, TYPED } from "../_helpers/cli.ts";
import { ROOT, textOf } from "../_helpers/mux.ts";
import { type Note, ProxyHost, RawProxy } from "../_helpers/proxy_host.ts";
import { sandbox } from "../_helpers/temp.ts";
import { ListRootsRequestSchema } from "@modelcontextprotocol/sdk/types.js";

const DENO = Deno.execPath();
const FIXTURE = `${ROOT}tests/fixtures/fake_server.ts`;

function fixture(socket: string, ...flags: string[]): string {
  return `servers:\n  svc:\n    socket: ${socket}\n` +
    `    cmd: ${[DENO, "run", "-A", "--quiet", FIXTURE, ...flags].join(" ")}\n`;
}

async function call(proxy: RawProxy, id: string, name: string, args = {}): Promise<string> {
  await proxy.send({ jsonrpc: "2.0", id, method: "tools/call", params: { name, arguments: args } });
  return textOf((await proxy.answer(id)).result);
}

const serverPid = async (proxy: RawProxy, id: string) =>
  JSON.parse(await call(proxy, id, "stats")).pid as number;

async function exists(path: string): Promise<boolean> {
  return await Deno.lstat(path).then(() => true, () => false);
}

Deno.test("reload with a proxy attached: a new command is a new server on the same connection; a new socket is followed", async () => {
  await using box = await sandbox("rmcp-mux-reload-");
  const config = `${box.dir}/mux.yaml`;
  const first = `${box.dir}/svc.sock`;
  await Deno.writeTextFile(config, fixture(first));
  await using daemon = new CliProcess(["--config", config], box.env);
  await daemon.waitForLine(/Daemon running 1 services/);
  await using proxy = new RawProxy(["proxy", "--service", "svc", "--config", config], box.env);
  await proxy.initialize();
  const before = await serverPid(proxy, "p1");

  // Only the command changes: the server is restarted in place.
  await Deno.writeTextFile(config, fixture(first, "--no-list-changed"));
  const restarted = await runCli(["reload", "--config", config], { env: box.env });
  assertEquals(restarted.code, 0, restarted.stderr);
  assertMatch(restarted.stdout, /; restarted in place: svc; new socket: none;/);
  assertMatch(restarted.stdout, /\n {2}svc: args changed/);
  const after = await serverPid(proxy, "p2");
  assert(after !== before, "a new server process");
  assertEquals(proxy.stderrLines, [], "the proxy never lost the mux");

  // Only the socket changes: the mux moves; the proxy asks the daemon where it went.
  const moved = `${box.dir}/moved.sock`;
  await Deno.writeTextFile(config, fixture(moved, "--no-list-changed"));
  const recreated = await runCli(["reload", "--config", config], { env: box.env });
  assertEquals(recreated.code, 0, recreated.stderr);
  assertMatch(recreated.stdout, /; new socket: svc;/);
  await proxy.waitForStderr(/reconnected to the mux/);
  assertEquals(await call(proxy, "e", "echo", { text: "moved" }), "moved");
  assertEquals(await exists(first), false, "the old socket is gone");
  assertEquals(await exists(moved), true);
  assertEquals(await proxy.end(), 0);
  assertEquals((await runCli(["shutdown", "--config", config], { env: box.env })).code, 0);
  assertEquals((await daemon.child.status).code, 0);
});

Deno.test("restart NAME through the CLI drains a call in flight through a proxy: it is answered, not failed", async () => {
  await using box = await sandbox("rmcp-mux-reload-");
  const config = `${box.dir}/mux.yaml`;
  await Deno.writeTextFile(config, fixture(`${box.dir}/svc.sock`));
  await using daemon = new CliProcess(["--config", config], box.env);
  await daemon.waitForLine(/Daemon running 1 services/);
  await using proxy = new RawProxy(["proxy", "--service", "svc", "--config", config], box.env);
  await proxy.initialize();
  const before = await serverPid(proxy, "p1");
  await proxy.send({
    jsonrpc: "2.0",
    id: "slow",
    method: "tools/call",
    params: { name: "sleep", arguments: { ms: 1000 }, _meta: { progressToken: "t" } },
  });
  // Its first progress notification: the old process is working on it.
  await proxy.message((m) => m.method === "notifications/progress");
  const restart = await runCli(["restart", "svc", "--config", config], { env: box.env });
  assertEquals(restart.code, 0, restart.stderr);
  assertMatch(restart.stdout, /^restarted svc: running \(pid \d+\)/);
  assertEquals(textOf((await proxy.answer("slow")).result), "slept 1000", "drained, not cut");
  assert((await serverPid(proxy, "p2")) !== before, "then a new server process");
  assertEquals(proxy.stderrLines, [], "the proxy never lost the mux");
  assertEquals(await proxy.end(), 0);
  assertEquals((await runCli(["shutdown", "--config", config], { env: box.env })).code, 0);
  assertEquals((await daemon.child.status).code, 0);
});

Deno.test("reload: a daemon.http change is reported as needing a daemon restart; a new status file is applied in place", async () => {
  await using box = await sandbox("rmcp-mux-reload-");
  const config = `${box.dir}/mux.yaml`;
  const server = fixture(`${box.dir}/svc.sock`);
  await Deno.writeTextFile(config, `daemon:\n  http:\n    listen: 127.0.0.1:0\n${server}`);
  await using daemon = new CliProcess(["--config", config], box.env);
  await daemon.waitForLine(/Daemon running 1 services/);
  const statusFile = `${box.dir}/status/now.json`;
  await Deno.writeTextFile(
    config,
    `daemon:\n  http:\n    listen: 127.0.0.1:0\n    session_idle_ms: 5000\n` +
      `  status_file: ${statusFile}\n${server}`,
  );
  const reload = await runCli(["reload", "--config", config], { env: box.env });
  assertEquals(reload.code, 0, reload.stderr);
  assertMatch(reload.stdout, /; unchanged: svc\n/);
  assertMatch(reload.stdout, /\n {2}daemon: daemon\.status_file applied in place\n/);
  assertMatch(
    reload.stdout,
    new RegExp(
      "\n {2}needs a daemon restart: daemon\\.http changed \\(the HTTP listener keeps its settings\\) " +
        `\\(${literal(TYPED)} shutdown --config ${literal(config)}, then start it again\\)\n`,
    ),
  );
  // The new status file is written (atomically, on change): wait for it to name the service.
  for (let i = 0; !(await exists(statusFile)); i++) {
    assert(i < 200, "the status file was never written");
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  const status = JSON.parse(await Deno.readTextFile(statusFile));
  assertEquals(status.services.map((s: { name: string }) => s.name), ["svc"]);
  assertEquals((await runCli(["shutdown", "--config", config], { env: box.env })).code, 0);
  assertEquals((await daemon.child.status).code, 0);
});

Deno.test("after a daemon kill -9 the new mux asks the host for its roots again, through the proxy", async () => {
  await using box = await sandbox("rmcp-mux-reload-");
  const config = `${box.dir}/mux.yaml`;
  await Deno.writeTextFile(
    config,
    `servers:\n  everything:\n    socket: ${box.dir}/everything.sock\n    cmd: ${DENO}\n` +
      `    args: [run, -A, --quiet, "npm:@modelcontextprotocol/server-everything@2026.8.31", stdio]\n` +
      `    cwd: ${ROOT}\n`,
  );
  // Shut down last, once the host is gone: the proxy would start the daemon again before that.
  await using _daemon = {
    [Symbol.asyncDispose]: async () => {
      await runCli(["shutdown", "--config", config], { env: box.env });
    },
  };
  // The proxy starts the daemon, and starts it again after the kill.
  await using host = await ProxyHost.start(
    ["proxy", "--service", "everything", "--config", config],
    {
      env: box.env,
      capabilities: { roots: { listChanged: true } },
      setup: (client) =>
        client.setRequestHandler(
          ListRootsRequestSchema,
          () => Promise.resolve({ roots: [{ uri: "file:///my-project", name: "mine" }] }),
        ),
    },
  );
  const roots = async () =>
    textOf(await host.client.callTool({ name: "get-roots-list", arguments: {} }));
  // The server logs each roots list it receives (it may get an empty one first, while the mux
  // is still asking the host).
  const rootsReceived = (from: number) =>
    host.transport.next(
      (m) =>
        (m as Note).method === "notifications/message" &&
        /Roots updated: 1 root/.test(String((m as Note).params?.data)),
      from,
    );
  await rootsReceived(0);
  assertMatch(await roots(), /file:\/\/\/my-project/);

  const since = host.transport.received.length;
  const first = await daemonPid(config, box.env);
  Deno.kill(first, "SIGKILL");
  await host.waitForStderr(/reconnected to the mux/);
  assert((await daemonPid(config, box.env)) !== first, "a new daemon");
  // A new server process, which never heard of the host: its roots come from the host again.
  await rootsReceived(since);
  assertMatch(await roots(), /file:\/\/\/my-project/);
});

async function daemonPid(config: string, env: Record<string, string>): Promise<number> {
  const status = await runCli(["status", "--config", config, "--json"], { env });
  assertEquals(status.code, 0, status.stderr);
  return JSON.parse(status.stdout).pid;
}
