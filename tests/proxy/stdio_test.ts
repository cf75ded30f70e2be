/**
 * The proxy's own stdout: written synchronously (see `rawOutput`), every byte
 * out in order across short writes, a full non-blocking pipe waited out,
 * any other failure reported.
 */

import { assertEquals, assertRejects } from "../_helpers/assert.ts";
import { rawOutput, STDOUT_RETRY_MS, type SyncSink, writeAll } from "../../src/proxy/stdio.ts";

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (chunks: Uint8Array[]) => chunks.map((c) => new TextDecoder().decode(c)).join("");

/** A stdout that takes at most `max` bytes per write and refuses the writes numbered in `refuse`. */
function sink(max: number, refuse: Set<number> = new Set(), fail?: Error) {
  const written: Uint8Array[] = [];
  let calls = 0;
  const s: SyncSink & { written: Uint8Array[]; calls: () => number } = {
    written,
    calls: () => calls,
    writeSync(chunk) {
      calls++;
      if (fail) throw fail;
      if (refuse.has(calls)) throw new Deno.errors.WouldBlock("Resource temporarily unavailable");
      const n = Math.min(max, chunk.length);
      written.push(chunk.slice(0, n));
      return n;
    },
  };
  return s;
}

Deno.test("the proxy's stdout: a short write is continued until every byte is out, in order", async () => {
  const out = sink(3);
  await writeAll(rawOutput(out), bytes('{"jsonrpc":"2.0","id":1,"result":{}}\n'));
  assertEquals(text(out.written), '{"jsonrpc":"2.0","id":1,"result":{}}\n');
});

Deno.test("the proxy's stdout: a full non-blocking pipe (WouldBlock) is tried again, nothing lost", async () => {
  // A host can hand its server a stdout in non-blocking mode; a full pipe then refuses
  // writes with EAGAIN (seen with a Python parent). Before, that ended the proxy.
  const out = sink(4, new Set([2, 3]));
  const started = performance.now();
  await writeAll(rawOutput(out), bytes("0123456789\n"));
  assertEquals(text(out.written), "0123456789\n");
  assertEquals(out.calls(), 5); // 4 bytes, refused, refused, 4 bytes, 3 bytes
  // Two refusals, each followed by a wait (not a busy loop).
  const waited = performance.now() - started;
  if (waited < STDOUT_RETRY_MS - 1) throw new Error(`retried after ${waited} ms: a busy loop`);
});

Deno.test("the proxy's stdout: any other failure (the host is gone) is the write's error", async () => {
  const out = sink(4, new Set(), new Deno.errors.BrokenPipe("Broken pipe (os error 32)"));
  await assertRejects(() => writeAll(rawOutput(out), bytes("x\n")), Deno.errors.BrokenPipe);
});
