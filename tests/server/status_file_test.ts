import { assertEquals } from "../_helpers/assert.ts";
import { fakeServer, RawConnection, startMux } from "../_helpers/mux.ts";

Deno.test("--status-file: JSON written atomically, on change, and a final snapshot at stop", async () => {
  const dir = await Deno.makeTempDir({ prefix: "rmcp-mux-status-" });
  const file = `${dir}/status.json`;
  const m = await startMux(fakeServer(), { statusFile: file });
  await m.mux.waitFor("running", { timeoutMs: 10_000 });
  const watcher = Deno.watchFs(dir);
  const raw = await RawConnection.open(m.socket);
  await raw.initialize();
  // Every rename is an event; readers racing the writer only ever see whole documents.
  const read = async () => JSON.parse(await Deno.readTextFile(file));
  if ((await read()).clients.connected !== 1) {
    for await (const _event of watcher) {
      if ((await read()).clients.connected === 1) break;
    }
  }
  watcher.close();
  await raw[Symbol.asyncDispose]();
  await m[Symbol.asyncDispose]();
  const final = JSON.parse(await Deno.readTextFile(file));
  assertEquals(final.server.phase, "stopped");
  const leftovers = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.endsWith(".tmp"));
  assertEquals(leftovers, [], "no temporary files left behind");
  assertEquals(Deno.statSync(file).mode! & 0o777, 0o600);
  await Deno.remove(dir, { recursive: true });
});
