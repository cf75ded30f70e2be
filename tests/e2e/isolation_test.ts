/**
 * Servers that must not be shared, with real servers and real SDK clients:
 * `roots` isolation keeps each project's files in its own process, `client`
 * isolation gives each client its own process, idle processes stop by
 * themselves.
 */

import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { ListRootsRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { assert, assertEquals, assertMatch } from "../_helpers/assert.ts";
import { formatStatus, serviceOf } from "../../src/cli/status_view.ts";
import { checkHealth } from "../../src/health/check.ts";
import { runCli } from "../_helpers/cli.ts";
import { connectHttpClient, startHttpMux } from "../_helpers/http.ts";
import {
  connectClient,
  fakeServer,
  filesystemServer,
  RawConnection,
  startMux,
  type TestClient,
  textOf,
} from "../_helpers/mux.ts";

/** A project directory with one secret file. */
async function project(name: string, secret: string): Promise<string> {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: `rmcp-mux-${name}-` }));
  await Deno.writeTextFile(`${dir}/secret.txt`, secret);
  return dir;
}

const rootsOf = (dir: string) => (c: Client) =>
  c.setRequestHandler(
    ListRootsRequestSchema,
    () => Promise.resolve({ roots: [{ uri: `file://${dir}`, name: dir }] }),
  );

function inProject(socket: string, name: string, dir: string): Promise<TestClient> {
  return connectClient(socket, name, { roots: { listChanged: true } }, { setup: rootsOf(dir) });
}

/**
 * The filesystem server applies roots asynchronously after fetching them (as
 * it would behind no mux at all): ask until it lists `dir`.
 */
async function allowedOnceReady(c: TestClient, dir: string): Promise<string> {
  for (let attempt = 0;; attempt++) {
    const text = textOf(
      await c.client.callTool({ name: "list_allowed_directories", arguments: {} }),
    );
    if (text.includes(dir) || attempt === 100) return text;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function read(c: TestClient, path: string): Promise<string> {
  const result = await c.client.callTool({ name: "read_text_file", arguments: { path } });
  return textOf(result);
}

Deno.test("roots isolation: each project sees and reads only its own files; same roots share a process", async () => {
  const a = await project("a", "alpha secret");
  const b = await project("b", "bravo secret");
  await using m = await startMux(filesystemServer());
  const isolation = m.mux.status().isolation;
  assertEquals([isolation.mode, isolation.source], ["roots", "known"]);
  assertMatch(isolation.reason, /^known server: it serves files under each client's roots$/);

  await using ca = await inProject(m.socket, "a", a);
  await using cb = await inProject(m.socket, "b", b);
  assertEquals(await allowedOnceReady(ca, a), `Allowed directories:\n${a}`);
  assertEquals(await allowedOnceReady(cb, b), `Allowed directories:\n${b}`);
  assertEquals(await read(ca, `${a}/secret.txt`), "alpha secret");
  assertEquals(await read(cb, `${b}/secret.txt`), "bravo secret");
  assertMatch(await read(cb, `${a}/secret.txt`), /Access denied/, "b never reads a's files");
  assertMatch(await read(ca, `${b}/secret.txt`), /Access denied/);

  // A third client in project a shares a's process (and sees only a's roots).
  await using cc = await inProject(m.socket, "c", a);
  assertEquals(await allowedOnceReady(cc, a), `Allowed directories:\n${a}`);
  const processes = m.mux.status().processes;
  assertEquals(processes.length, 2);
  const [ida, idb, idc] = [1, 2, 3];
  const of = (id: number) => processes.find((p) => p.clients.includes(id))!;
  assertEquals(of(ida).pid, of(idc).pid, "same roots, same process");
  assert(of(ida).pid !== of(idb).pid, "other roots, other process");
  assertEquals(of(ida).key, `file://${a}`);
  assertEquals(of(idb).key, `file://${b}`);
  for (const dir of [a, b]) await Deno.remove(dir, { recursive: true });
});

Deno.test("client isolation: one process per client; all stopped after the idle timeout once they leave", async () => {
  await using m = await startMux(fakeServer(), { isolation: "client", idleTimeoutMs: 300 });
  const pidOf = async (c: TestClient) => {
    const stats = textOf(await c.client.callTool({ name: "stats", arguments: {} }));
    return (JSON.parse(stats) as { pid: number }).pid;
  };
  const clients = [
    await connectClient(m.socket, "one"),
    await connectClient(m.socket, "two"),
    await connectClient(m.socket, "three"),
  ];
  const pids = await Promise.all(clients.map(pidOf));
  assertEquals(new Set(pids).size, 3, "a process each");
  const status = m.mux.status();
  assertEquals(status.isolation.mode, "client");
  assertEquals(status.processes.map((p) => p.pid).sort(), [...pids].sort());
  assertEquals(status.processes.map((p) => p.clients.length), [1, 1, 1]);
  for (const c of clients) await c[Symbol.asyncDispose]();
  const idle = await m.mux.waitFor((s) => s.phase === "idle", { timeoutMs: 20_000 });
  assertEquals(idle.reason, "stopped after 300 ms without clients");
  assertEquals(m.mux.status().processes, []);
  const health = await checkHealth(m.socket);
  assertEquals(
    [health.ok, health.message],
    [true, 'OK: server "svc" is idle (stopped after 300 ms without clients; starts on demand)'],
  );
  const row = formatStatus({ services: [serviceOf(m.mux.status())] }, Date.now());
  assertMatch(row, /^svc +idle \(stopped after 300 ms without clients\)/m);
  // A new client gets a new process of its own.
  await using again = await connectClient(m.socket, "four");
  assert(!pids.includes(await pidOf(again)));
});

Deno.test("the server's own preference (capabilities.experimental) decides when the config says nothing", async () => {
  await using m = await startMux(fakeServer("--isolation", "client"));
  await using _one = await connectClient(m.socket, "one");
  await using _two = await connectClient(m.socket, "two");
  const isolation = m.mux.status().isolation;
  assertEquals([isolation.mode, isolation.source], ["client", "server"]);
  assertMatch(isolation.reason, /io\.github\.rmcp-mux\/isolation/);
  const pids = m.mux.status().processes.map((p) => p.pid);
  assertEquals(new Set(pids).size, 2);
  // The configuration wins over the server's wish.
  await using configured = await startMux(fakeServer("--isolation", "client"), {
    isolation: "shared",
  });
  await using _three = await connectClient(configured.socket, "three");
  await using _four = await connectClient(configured.socket, "four");
  assertEquals(configured.mux.status().processes.length, 1);
  assertEquals(configured.mux.status().isolation.source, "config");
});

Deno.test("max_processes: a client beyond the limit gets an error naming it; an idle process makes room", async () => {
  await using m = await startMux(fakeServer(), {
    isolation: "client",
    maxProcesses: 2,
    idleTimeoutMs: 60_000,
  });
  await using _one = await connectClient(m.socket, "one");
  const two = await connectClient(m.socket, "two");
  const refused = await connectClient(m.socket, "three").then(
    () => "connected",
    (error: unknown) => String(error),
  );
  assertMatch(
    refused,
    /Too many processes: service "svc" already runs 2 processes \(max_processes 2, isolation client\)/,
  );
  // Once a client leaves, its idle process is stopped to make room for the next one.
  await two[Symbol.asyncDispose]();
  await m.mux.waitForStatus((s) => s.processes.some((p) => p.clients.length === 0), {
    timeoutMs: 30_000,
  });
  await using _four = await connectClient(m.socket, "four");
  const processes = m.mux.status().processes;
  assertEquals(processes.length, 2);
  assert(processes.every((p) => p.clients.length === 1));
});

Deno.test("roots isolation: a client whose roots change moves to the process for them, never taking its roots along", async () => {
  const a = await project("a", "alpha secret");
  const b = await project("b", "bravo secret");
  await using m = await startMux(filesystemServer(), { isolation: "roots" });
  await using stay = await inProject(m.socket, "stay", a);
  let current = a;
  await using mover = await connectClient(m.socket, "mover", { roots: { listChanged: true } }, {
    setup: (c) =>
      c.setRequestHandler(
        ListRootsRequestSchema,
        () => Promise.resolve({ roots: [{ uri: `file://${current}` }] }),
      ),
  });
  assertEquals(await allowedOnceReady(mover, a), `Allowed directories:\n${a}`);
  const before = m.mux.status().processes;
  assertEquals(before.length, 1, "same roots, one process");
  current = b;
  await mover.client.sendRootsListChanged();
  const moved = await m.mux.waitForStatus((s) =>
    s.processes.length === 2 &&
    s.processes.every((p) => p.clients.length === 1), { timeoutMs: 30_000 });
  const pidOf = (id: number) => moved.processes.find((p) => p.clients.includes(id))?.pid;
  assert(pidOf(1) !== pidOf(2), "the mover has a process of its own now");
  assertEquals(await allowedOnceReady(mover, b), `Allowed directories:\n${b}`);
  assertEquals(
    await allowedOnceReady(stay, a),
    `Allowed directories:\n${a}`,
    "b never reached a's",
  );
  assertMatch(await read(mover, `${a}/secret.txt`), /Access denied/);
  // Alone in its process, a client whose roots change still moves: the process that held b's
  // roots never serves a's.
  const heldB = pidOf(2);
  current = a;
  await stay[Symbol.asyncDispose]();
  await mover.client.sendRootsListChanged();
  const back = await m.mux.waitForStatus(
    (s) => s.processes.some((p) => p.key === `file://${a}` && p.clients.includes(2)),
    { timeoutMs: 30_000 },
  );
  assert(back.processes.find((p) => p.clients.includes(2))!.pid !== heldB);
  assertEquals(back.processes.find((p) => p.pid === heldB)?.key, `file://${b}`);
  for (const dir of [a, b]) await Deno.remove(dir, { recursive: true });
});

Deno.test("roots isolation: a roots handler registered after connect is picked up (moved off the no-roots process)", async () => {
  const a = await project("a", "alpha secret");
  await using m = await startMux(filesystemServer(), { isolation: "roots" });
  await using _early = await inProject(m.socket, "early", a);
  await using late = await connectClient(m.socket, "late", { roots: { listChanged: true } });
  const noRoots = await m.mux.waitForStatus(
    (s) => s.processes.some((p) => p.key === "no roots" && p.clients.includes(2)),
    { timeoutMs: 30_000 },
  );
  assertEquals(noRoots.processes.length, 2);
  rootsOf(a)(late.client);
  await late.client.ping(); // its next request: the mux asks it again
  await m.mux.waitForStatus(
    (s) => s.processes.some((p) => p.key === `file://${a}` && p.clients.includes(2)),
    { timeoutMs: 30_000 },
  );
  assertEquals(await allowedOnceReady(late, a), `Allowed directories:\n${a}`);
  await Deno.remove(a, { recursive: true });
});

Deno.test("HTTP sessions get isolation too: an HTTP client and a socket client, a process each", async () => {
  await using m = await startHttpMux(fakeServer(), { isolation: "client" });
  await using http = await connectHttpClient(m, "over-http");
  await using socket = await connectClient(m.socket, "over-socket");
  const pid = async (c: { client: Client }) =>
    (JSON.parse(textOf(await c.client.callTool({ name: "stats", arguments: {} }))) as {
      pid: number;
    }).pid;
  const [viaHttp, viaSocket] = [await pid(http), await pid(socket)];
  assert(viaHttp !== viaSocket);
  const status = m.mux.status();
  assertEquals(status.processes.length, 2);
  assertEquals(status.sessions.map((s) => s.transport).sort(), ["http", "socket"]);
});

Deno.test("shared isolation: clients of two projects on a roots-using server are warned about in status", async () => {
  const a = await project("a", "alpha secret");
  const b = await project("b", "bravo secret");
  await using m = await startMux(filesystemServer(), { isolation: "shared" });
  await using ca = await inProject(m.socket, "a", a);
  await using _cb = await inProject(m.socket, "b", b);
  // Both projects' roots reached the one server: each client sees the other's files.
  assertMatch(await allowedOnceReady(ca, b), new RegExp(`${a}\n${b}|${b}\n${a}`));
  assertEquals(m.mux.status().warnings, [
    "roots from 2 projects are merged; consider isolation: roots",
  ]);
  for (const dir of [a, b]) await Deno.remove(dir, { recursive: true });
});

Deno.test("config check says which isolation each service runs, and why", async () => {
  const dir = await Deno.makeTempDir({ prefix: "rmcp-mux-isolation-config-" });
  const config = `${dir}/mux.yaml`;
  await Deno.writeTextFile(
    config,
    [
      "servers:",
      `  files: { socket: ${dir}/f.sock, cmd: npx -y @modelcontextprotocol/server-filesystem }`,
      `  browser: { socket: ${dir}/b.sock, cmd: npx -y @playwright/mcp, max_processes: 4 }`,
      `  memory: { socket: ${dir}/m.sock, cmd: npx -y @modelcontextprotocol/server-memory }`,
      `  shell: { socket: ${dir}/s.sock, cmd: my-shell-mcp, isolation: client, idle_timeout_ms: 0 }`,
    ].join("\n"),
  );
  const run = await runCli(["config", "check", config]);
  assertEquals(run.code, 0, run.stderr);
  const lines = run.stdout.split("\n").filter((l) => l.includes("isolation:"));
  assertEquals(lines, [
    "  isolation: client (known server: it drives a browser whose pages and logins belong to " +
    "one client), at most 4 processes, each stopped after 10 min without clients",
    "  isolation: roots (known server: it serves files under each client's roots), at most 16 " +
    "processes, each stopped after 10 min without clients",
    "  isolation: shared unless the server asks for roots or client isolation when it starts " +
    '(capabilities.experimental["io.github.rmcp-mux/isolation"])',
    "  isolation: client (set by isolation: in the configuration), at most 16 processes",
  ]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("shared with idle_timeout_ms: the one process stops without clients and starts again on demand", async () => {
  await using m = await startMux(fakeServer(), { idleTimeoutMs: 300 });
  const first = await connectClient(m.socket, "first");
  const before = m.mux.status().server.pid;
  await first[Symbol.asyncDispose]();
  const idle = await m.mux.waitFor("idle", { timeoutMs: 20_000 });
  assertEquals(idle.reason, "stopped after 300 ms without clients");
  assertEquals(m.mux.status().isolation.mode, "shared");
  await using again = await connectClient(m.socket, "again");
  const echo = await again.client.callTool({ name: "echo", arguments: { text: "back" } });
  assertEquals(textOf(echo), "back");
  const after = m.mux.status().server.pid;
  assert(after !== undefined && after !== before, "a new process, started on demand");
});

Deno.test("roots isolation: a process that served one project never serves a newcomer, even when its client's roots change", async () => {
  // The filesystem server keeps its last directories when told an empty (or invalid) list:
  // a process that served b must not become the "no roots" process a stranger joins.
  const b = await project("b", "bravo secret");
  await using m = await startMux(filesystemServer(), { isolation: "roots" });
  let roots = [{ uri: `file://${b}` }];
  await using owner = await connectClient(m.socket, "owner", { roots: { listChanged: true } }, {
    setup: (c) => c.setRequestHandler(ListRootsRequestSchema, () => Promise.resolve({ roots })),
  });
  assertEquals(await allowedOnceReady(owner, b), `Allowed directories:\n${b}`);
  const served = m.mux.status().processes[0]!.pid;
  roots = []; // the owner closes its workspace folder
  await owner.client.sendRootsListChanged();
  await m.mux.waitForStatus(
    (s) => s.processes.some((p) => p.key === "no roots" && p.clients.includes(1)),
    { timeoutMs: 30_000 },
  );
  await using stranger = await connectClient(m.socket, "stranger");
  const seen = textOf(
    await stranger.client.callTool({ name: "list_allowed_directories", arguments: {} }),
  );
  assert(!seen.includes(b), `a stranger saw another project's directory: ${seen}`);
  assertMatch(await read(stranger, `${b}/secret.txt`), /Access denied/);
  const strangers = m.mux.status().processes.find((p) => p.clients.includes(2))!;
  assert(strangers.pid !== served, "the stranger got the process that served b");
  await Deno.remove(b, { recursive: true });
});

Deno.test("idle stop: a client waiting for the service's first handshake gets a new process when the one restarting is stopped", async () => {
  // `roots`: a client's initialize waits for the service's handshake. The first process crashed
  // before giving it and waits out a long backoff; the idle stop removes it then, and nothing
  // started another: the initialize waited forever.
  const dir = await Deno.makeTempDir({ prefix: "rmcp-mux-idle-" });
  const broken = `${dir}/broken`;
  await Deno.writeTextFile(broken, "");
  await using m = await startMux(fakeServer("--crash-if-exists", broken), {
    isolation: "roots",
    lazyStart: true,
    idleTimeoutMs: 100,
    restartBackoffMs: 60_000,
    restartBackoffMaxMs: 60_000,
  });
  await using raw = await RawConnection.open(m.socket);
  const answered = raw.initialize();
  answered.catch(() => {}); // awaited below (a failure before then is the waitFor's)
  await m.mux.waitFor("restarting", { timeoutMs: 10_000 });
  await Deno.remove(dir, { recursive: true }); // fixed: the next process starts
  await m.mux.waitFor("running", { timeoutMs: 30_000 });
  assertEquals(((await answered).serverInfo as { name: string }).name, "fake-server");
});
