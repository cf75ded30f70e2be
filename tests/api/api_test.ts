/**
 * The library as an embedder uses it: the README's example, two muxes in one
 * process (the Rust docs' "multiple mux instances"), and cleanup with
 * `await using` that leaves no socket and no process behind.
 */

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { MuxConfig, runMuxServer, spawnMuxServer } from "../../src/mod.ts";
import { assert, assertEquals, assertRejects } from "../_helpers/assert.ts";
import { fakeServer, FAST } from "../_helpers/mux.ts";
import { processAlive } from "../_helpers/process.ts";
import { UnixSocketTransport } from "../_helpers/socket_transport.ts";

async function echoThrough(socket: string, text: string): Promise<string> {
  const client = new Client({ name: "embedder", version: "1" });
  await client.connect(new UnixSocketTransport(socket));
  try {
    const result = await client.callTool({ name: "echo", arguments: { text } });
    return (result.content as { text: string }[])[0]!.text;
  } finally {
    await client.close();
  }
}

const fake = fakeServer();

Deno.test("two spawnMuxServer in one process, side by side, each with its own server", async () => {
  const dir = await Deno.makeTempDir({ prefix: "rmcp-mux-api-" });
  const base = (name: string) =>
    new MuxConfig(`${dir}/${name}.sock`, fake.cmd).withArgs(fake.args!).with(FAST);
  let pids: number[];
  {
    await using one = await spawnMuxServer(base("one").withEnvVar("WHO", "one"));
    await using two = await spawnMuxServer(base("two"));
    assertEquals([one.service, two.service], ["one", "two"]);
    assertEquals(await echoThrough(one.socketPath, "to one"), "to one");
    assertEquals(await echoThrough(two.socketPath, "to two"), "to two");
    pids = [one.status().server.pid!, two.status().server.pid!];
    assert(pids[0] !== pids[1]);
    assert(one.running && two.running);
  }
  // `await using` stopped both: no socket, no process.
  for (const name of ["one", "two"]) {
    await assertRejects(() => Deno.lstat(`${dir}/${name}.sock`));
  }
  for (const pid of pids) assert(!processAlive(pid), `server ${pid} is gone`);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("MuxHandle: shutdown, wait and running", async () => {
  const dir = await Deno.makeTempDir({ prefix: "rmcp-mux-api-" });
  const handle = await spawnMuxServer({ socket: `${dir}/h.sock`, ...fake, ...FAST });
  const waited = handle.wait();
  await handle.shutdown();
  await waited;
  assertEquals(handle.running, false);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("runMuxServer serves until its signal aborts, then cleans up", async () => {
  const dir = await Deno.makeTempDir({ prefix: "rmcp-mux-api-" });
  const stop = new AbortController();
  const config = new MuxConfig({ socket: `${dir}/r.sock`, ...fake, ...FAST });
  // The socket appears (a filesystem event) once the mux listens.
  const watcher = Deno.watchFs(dir);
  const running = runMuxServer(config, { signal: stop.signal });
  for await (const event of watcher) {
    if (event.paths.some((p) => p.endsWith("/r.sock"))) break;
  }
  watcher.close();
  assertEquals(await echoThrough(`${dir}/r.sock`, "ran"), "ran");
  stop.abort();
  await running;
  await assertRejects(() => Deno.lstat(`${dir}/r.sock`));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("MuxConfig honours env: the server sees what withEnv set", async () => {
  const dir = await Deno.makeTempDir({ prefix: "rmcp-mux-api-" });
  const everything = await import("../_helpers/mux.ts").then((m) => m.everythingServer());
  await using mux = await spawnMuxServer(
    new MuxConfig(`${dir}/env.sock`, everything.cmd).withArgs(everything.args!)
      .withCwd(everything.cwd!).withEnv({ RMCP_MUX_SECRET_TEST: "hunter2" }),
  );
  const client = new Client({ name: "env", version: "1" });
  await client.connect(new UnixSocketTransport(mux.socketPath));
  try {
    const result = await client.callTool({ name: "get-env", arguments: {} });
    const text = (result.content as { text: string }[])[0]!.text;
    assert(
      text.includes('"RMCP_MUX_SECRET_TEST": "hunter2"'),
      "the Rust crate dropped env; not us",
    );
  } finally {
    await client.close();
  }
  await Deno.remove(dir, { recursive: true }).catch(() => {});
});
