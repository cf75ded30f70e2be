/**
 * The proxy's line framing: whole lines are used where they lie, a line cut
 * between reads is carried over (the reader reuses its buffer), an over-long
 * line is discarded up to its newline — across any split of the stream.
 */

import fc from "fast-check";
import { assert, assertEquals, assertStrictEquals } from "../_helpers/assert.ts";
import { LineFramer } from "../../src/proxy/line_framer.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Feed `chunks` to a framer the way the proxy's pumps do: each chunk is
 * copied into one reused read buffer first. Returns the lines seen (no
 * newline) and how many frames reported a discarded line.
 */
function frameAll(chunks: Uint8Array[], max: number): { lines: string[]; skipped: number } {
  const framer = new LineFramer(max);
  const buffer = new Uint8Array(Math.max(1, ...chunks.map((c) => c.length)));
  const lines: string[] = [];
  let skipped = 0;
  for (const chunk of chunks) {
    buffer.fill(0x21); // stale bytes a framer must never hand out
    buffer.set(chunk);
    const data = framer.frame(buffer, chunk.length);
    if (framer.skipped) skipped++;
    const block = decoder.decode(data.subarray(framer.begin, framer.end));
    assert(block === "" || block.endsWith("\n"), "a frame holds whole lines only");
    if (block !== "") lines.push(...block.slice(0, -1).split("\n"));
    framer.keepRest();
  }
  return { lines, skipped };
}

/** Cut `bytes` at the given positions. */
function split(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const cut of [...at, bytes.length]) {
    if (cut > start) chunks.push(bytes.slice(start, cut));
    start = cut;
  }
  return chunks;
}

Deno.test("a chunk of whole lines is framed in place, without a copy", () => {
  const framer = new LineFramer(1024);
  const chunk = encoder.encode('{"a":1}\n{"b":2}\n');
  const data = framer.frame(chunk, chunk.length);
  assertStrictEquals(data, chunk);
  assertEquals([framer.begin, framer.end, framer.skipped], [0, chunk.length, false]);
  framer.keepRest();
});

Deno.test("a line cut between reads is carried over, though the reader reuses its buffer", () => {
  const { lines } = frameAll(
    [encoder.encode('{"a":1}\n{"b"'), encoder.encode(":2}\n{"), encoder.encode('"c":3}\n')],
    1024,
  );
  assertEquals(lines, ['{"a":1}', '{"b":2}', '{"c":3}']);
});

Deno.test("a line over the bound is discarded up to its newline, once; the next lines go on", () => {
  const long = "x".repeat(40);
  const chunks = [encoder.encode(`ok\n${long.slice(0, 20)}`), encoder.encode(long.slice(20))];
  chunks.push(encoder.encode(`${long}\nnext\n`));
  const { lines, skipped } = frameAll(chunks, 16);
  assertEquals(lines, ["ok", "next"]);
  assertEquals(skipped, 1, "reported once, when the line grew past the bound");
});

Deno.test("a read of no bytes frames nothing and keeps what is carried", () => {
  const framer = new LineFramer(64);
  const first = encoder.encode("par");
  framer.frame(first, first.length);
  framer.keepRest();
  framer.frame(new Uint8Array(8), 0);
  assertEquals(framer.end - framer.begin, 0);
  framer.keepRest();
  const rest = encoder.encode("tial\n");
  const data = framer.frame(rest, rest.length);
  assertEquals(decoder.decode(data.subarray(framer.begin, framer.end)), "partial\n");
});

Deno.test("property: any split of a stream of lines within the bound gives back exactly its lines", () => {
  const line = fc.string({
    unit: fc.constantFrom("a", "{", '"', "é", "\r", " ", "😀"),
    maxLength: 40,
  });
  fc.assert(
    fc.property(
      fc.array(line, { maxLength: 30 }),
      fc.array(fc.nat(), { maxLength: 20 }),
      (input, cuts) => {
        const bytes = encoder.encode(input.map((l) => `${l}\n`).join(""));
        assertEquals(frameAll(split(bytes, cuts), 256).lines, input);
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("property: over-long lines never cost a line within the bound, nor reorder them", () => {
  const line = fc.oneof(
    fc.string({ unit: fc.constantFrom("a", "b", "{"), maxLength: 12 }),
    fc.string({ unit: fc.constantFrom("L"), minLength: 17, maxLength: 80 }),
  );
  fc.assert(
    fc.property(
      fc.array(line, { maxLength: 30 }),
      fc.array(fc.nat(), { maxLength: 20 }),
      (input, cuts) => {
        const bytes = encoder.encode(input.map((l) => `${l}\n`).join(""));
        const { lines } = frameAll(split(bytes, cuts), 16);
        // A long line that arrived whole within one read may pass; no short one is lost.
        assertEquals(lines.filter((l) => l.length <= 16), input.filter((l) => l.length <= 16));
        let at = 0;
        for (const seen of lines) {
          at = input.indexOf(seen, at) + 1;
          assert(at > 0, `${JSON.stringify(seen)} is an input line, in order`);
        }
      },
    ),
    { numRuns: 300 },
  );
});
