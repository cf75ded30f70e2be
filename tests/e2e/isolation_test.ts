/**
 * Servers that must not be shared, with real servers and real SDK clients:
 * `roots` isolation keeps each project's files in its own process, `client`
 * isolation gives each client its own process, idle processes stop by
 * themselves.
 */

import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { ListRootsRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { assert, assertEquals, assertMatch } from "../_helpers/assert.ts";
import {
  connectClient,
  fakeServer,
  filesystemServer,
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
  // A new client gets a new process of its own.
  await using again = await connectClient(m.socket, "four");
  assert(!pids.includes(await pidOf(again)));
});
