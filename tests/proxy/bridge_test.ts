/**
 * The proxy's mux → host pump passes over empty lines: the mux probes a
 * half-closed proxy with them (is it still there?), and a host would take
 * one for a broken message. A real socket stands in for the mux; the host's
 * side is a pair of streams.
 */

import { assertEquals } from "../_helpers/assert.ts";
import { tempDir } from "../_helpers/temp.ts";
import { HELLO_LINE, runProxy } from "../../src/proxy/proxy.ts";

const note = (data: string) =>
  JSON.stringify({
    jsonrpc: "2.0",
    method: "notifications/message",
    params: { level: "info", data },
  });

/**
 * Run the proxy against a stand-in mux that, once it has the hello, writes
 * each of `writes` (one socket write each); the host then closes stdin, and
 * the stand-in closes once the proxy half-closed. Returns what reached the host.
 */
async function hostSees(writes: string[]): Promise<string> {
  await using dir = await tempDir("rmcp-mux-bridge-");
  const path = `${dir}/mux.sock`;
  using listener = Deno.listen({ transport: "unix", path });
  const encoder = new TextEncoder();
  const stdin = Promise.withResolvers<void>();
  const mux = (async () => {
    const conn = await listener.accept();
    const buffer = new Uint8Array(64 * 1024);
    let got = "";
    while (!got.includes("\n")) {
      const n = await conn.read(buffer);
      if (n === null) break;
      got += new TextDecoder().decode(buffer.subarray(0, n));
    }
    assertEquals(got, HELLO_LINE + "\n");
    for (const text of writes) await conn.write(encoder.encode(text));
    stdin.resolve(); // the host is done
    while (await conn.read(buffer) !== null) { /* until the proxy half-closes */ }
    conn.close();
  })();
  let output = "";
  const decoder = new TextDecoder();
  const end = await runProxy(path, {
    stdin: new ReadableStream({ start: (c) => void stdin.promise.then(() => c.close()) }),
    stdout: new WritableStream({ write: (chunk) => void (output += decoder.decode(chunk)) }),
    reconnectMs: 0,
  });
  await mux;
  assertEquals(end, "stdin-closed");
  return output;
}

Deno.test("bridge: an empty line from the mux alone reaches no host", async () => {
  assertEquals(await hostSees(["\n"]), "");
});

Deno.test("bridge: empty lines among the mux's messages are dropped, the messages kept in order", async () => {
  const output = await hostSees([`\n${note("a")}\n\n\n${note("b")}\n\n`, `${note("c")}\n\n`]);
  assertEquals(output, `${note("a")}\n${note("b")}\n${note("c")}\n`);
});
