import { assert, assertEquals, assertStrictEquals } from "../_helpers/assert.ts";
import {
  LineDecoder,
  type LineEvent,
  OVERSIZE_SAMPLE_BYTES,
  recoverId,
} from "../../src/jsonrpc/framing.ts";

const enc = new TextEncoder();
const bytes = (s: string) => enc.encode(s);

/** Feed `chunks` to a fresh decoder; return the events (optionally with finish()). */
function decode(
  chunks: (string | Uint8Array)[],
  { max = 1024, finish = true } = {},
): LineEvent[] {
  const decoder = new LineDecoder(max);
  const events: LineEvent[] = [];
  const emit = (e: LineEvent) => events.push(e);
  for (const c of chunks) decoder.push(typeof c === "string" ? bytes(c) : c, emit);
  if (finish) decoder.finish(emit);
  return events;
}

const line = (text: string): LineEvent => ({ kind: "line", text });

Deno.test("LineDecoder: several lines in one chunk come out in order", () => {
  assertEquals(decode(['{"a":1}\n{"b":2}\n{"c":3}\n']), [
    line('{"a":1}'),
    line('{"b":2}'),
    line('{"c":3}'),
  ]);
});

Deno.test("LineDecoder: a line split across many chunks is reassembled", () => {
  assertEquals(decode(['{"jsonrpc":', '"2.0",', '"id":1', "}", "\n"]), [
    line('{"jsonrpc":"2.0","id":1}'),
  ]);
  // a chunk that ends one line and starts the next
  assertEquals(decode(['{"a"', ':1}\n{"b"', ":2}\n"]), [line('{"a":1}'), line('{"b":2}')]);
});

Deno.test("LineDecoder: byte-by-byte input gives the same lines", () => {
  const text = '{"x":"héllo ✓ 😀"}\n{"y":2}\r\n\n  \n{"z":3}\n';
  const all = bytes(text);
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < all.length; i++) chunks.push(all.subarray(i, i + 1));
  assertEquals(decode(chunks), [line('{"x":"héllo ✓ 😀"}'), line('{"y":2}'), line('{"z":3}')]);
});

Deno.test("LineDecoder: \\r\\n line endings are tolerated", () => {
  assertEquals(decode(['{"a":1}\r\n{"b":2}\r', "\n"]), [line('{"a":1}'), line('{"b":2}')]);
});

Deno.test("LineDecoder: blank and whitespace-only lines are skipped", () => {
  assertEquals(decode(["\n\n  \n\t\r\n\r\n", '{"a":1}\n', "   \n"]), [line('{"a":1}')]);
});

Deno.test("LineDecoder: a final line without newline is emitted only on finish()", () => {
  const decoder = new LineDecoder(1024);
  const events: LineEvent[] = [];
  const emit = (e: LineEvent) => events.push(e);
  decoder.push(bytes('{"a":1}\n{"b":'), emit);
  decoder.push(bytes("2}"), emit);
  assertEquals(events, [line('{"a":1}')]);
  assertStrictEquals(decoder.bufferedBytes, 7);
  decoder.finish(emit);
  assertEquals(events, [line('{"a":1}'), line('{"b":2}')]);
  assertStrictEquals(decoder.bufferedBytes, 0);
  // finishing again emits nothing more
  decoder.finish(emit);
  assertStrictEquals(events.length, 2);
});

Deno.test("LineDecoder: a multi-byte UTF-8 character split across chunks decodes intact", () => {
  const all = bytes('{"t":"é😀"}\n');
  const e = all.indexOf(0xc3); // first byte of é
  const emoji = all.indexOf(0xf0); // first byte of 😀
  const chunks = [
    all.subarray(0, e + 1),
    all.subarray(e + 1, emoji + 2),
    all.subarray(emoji + 2, emoji + 3),
    all.subarray(emoji + 3),
  ];
  assertEquals(decode(chunks), [line('{"t":"é😀"}')]);
});

Deno.test("LineDecoder: invalid UTF-8 gives invalid_utf8 and the next line still works", () => {
  const bad = new Uint8Array([0x7b, 0xff, 0xfe, 0x7d, 0x0a]); // {\xff\xfe}\n
  assertEquals(decode([bad, '{"ok":true}\n']), [
    { kind: "invalid_utf8", bytes: 4 },
    line('{"ok":true}'),
  ]);
  // the same when the bad line was buffered across chunks, and with \r\n
  assertEquals(
    decode([new Uint8Array([0x7b, 0xc3]), new Uint8Array([0x28, 0x7d, 0x0d, 0x0a]), "{}\n"]),
    [{ kind: "invalid_utf8", bytes: 4 }, line("{}")],
  );
  // a truncated multi-byte sequence at end of stream is invalid too
  assertEquals(decode([new Uint8Array([0x7b, 0xe2, 0x9c])]), [
    { kind: "invalid_utf8", bytes: 3 },
  ]);
});

Deno.test("LineDecoder: a line of exactly the limit is accepted, one byte more is not", () => {
  const max = 32;
  const exact = "x".repeat(max);
  assertEquals(decode([exact + "\n"], { max }), [line(exact)]);
  const events = decode([exact + "y\n"], { max });
  assertStrictEquals(events.length, 1);
  assertStrictEquals(events[0]!.kind, "too_long");
});

Deno.test("LineDecoder: an over-long line gives exactly one too_long with count, head and tail", () => {
  const max = 1000;
  const body = "H".repeat(300) + "m".repeat(5000) + "T".repeat(300);
  const text = `${body}\n{"after":1}\n`;
  // feed in 97-byte chunks so the line spans many pushes
  const all = bytes(text);
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < all.length; i += 97) chunks.push(all.subarray(i, i + 97));
  const events = decode(chunks, { max });
  assertStrictEquals(events.length, 2);
  const tooLong = events[0]!;
  if (tooLong.kind !== "too_long") throw new Error(`expected too_long, got ${tooLong.kind}`);
  assertStrictEquals(tooLong.bytes, body.length);
  assertStrictEquals(tooLong.head, "H".repeat(OVERSIZE_SAMPLE_BYTES));
  assertStrictEquals(tooLong.tail, "T".repeat(OVERSIZE_SAMPLE_BYTES));
  // the line after an over-long one decodes normally
  assertEquals(events[1], line('{"after":1}'));
});

Deno.test("LineDecoder: an over-long line in a single chunk, and one ending at finish()", () => {
  const max = 100;
  const body = "a".repeat(150);
  const single = decode([`${body}\n{"n":2}\n`], { max });
  assertEquals(single, [
    { kind: "too_long", bytes: 150, head: body, tail: body },
    line('{"n":2}'),
  ]);
  // no newline at all: reported at end of stream, once
  const atEnd = decode(["b".repeat(60), "b".repeat(60)], { max });
  assertEquals(atEnd, [{
    kind: "too_long",
    bytes: 120,
    head: "b".repeat(120),
    tail: "b".repeat(120),
  }]);
});

Deno.test("LineDecoder: memory stays bounded while an over-long line is discarded", () => {
  const max = 64;
  const decoder = new LineDecoder(max);
  const events: LineEvent[] = [];
  const emit = (e: LineEvent) => events.push(e);
  const chunk = bytes("z".repeat(10));
  for (let i = 0; i < 10_000; i++) {
    decoder.push(chunk, emit);
    assert(decoder.bufferedBytes <= max, `bufferedBytes ${decoder.bufferedBytes} > ${max}`);
  }
  assertStrictEquals(events.length, 0, "nothing reported before the line ends");
  decoder.push(bytes('\n{"id":1}\n'), emit);
  assertStrictEquals(events.length, 2);
  const first = events[0]!;
  if (first.kind !== "too_long") throw new Error("expected too_long");
  assertStrictEquals(first.bytes, 100_000);
  assert(first.head.length <= OVERSIZE_SAMPLE_BYTES && first.tail.length <= OVERSIZE_SAMPLE_BYTES);
  assertEquals(events[1], line('{"id":1}'));
  assertStrictEquals(decoder.bufferedBytes, 0);
});

Deno.test("LineDecoder: the head/tail of an over-long line let recoverId find the id", () => {
  const max = 200;
  const big = "q".repeat(5000);
  const first = `{"jsonrpc":"2.0","id":42,"method":"tools/call","params":{"blob":"${big}"}}`;
  const last = `{"method":"tools/call","params":{"blob":"${big}"},"jsonrpc":"2.0","id":"abc"}`;
  const events = decode([first + "\n", last + "\n"], { max });
  assertStrictEquals(events.length, 2);
  const ids = events.map((e) => e.kind === "too_long" ? recoverId(e.head, e.tail) : undefined);
  assertEquals(ids, [42, "abc"]);
});

Deno.test("LineDecoder: reusing the caller's buffer between pushes does not corrupt held lines", () => {
  const decoder = new LineDecoder(1024);
  const events: LineEvent[] = [];
  const emit = (e: LineEvent) => events.push(e);
  const buffer = new Uint8Array(8);
  const input = bytes('{"alpha":"beta","n":12345}\n{"second":true}\n{"third":3}');
  // emulate a read loop: copy into the same buffer, push a view of it, overwrite
  for (let i = 0; i < input.length; i += buffer.length) {
    const n = Math.min(buffer.length, input.length - i);
    buffer.set(input.subarray(i, i + n));
    decoder.push(buffer.subarray(0, n), emit);
    buffer.fill(0x21); // scribble over it, as the next read would
  }
  decoder.finish(emit);
  assertEquals(events, [
    line('{"alpha":"beta","n":12345}'),
    line('{"second":true}'),
    line('{"third":3}'),
  ]);
});

Deno.test("LineDecoder: buffer reuse does not corrupt the head/tail of an over-long line", () => {
  const decoder = new LineDecoder(16);
  const events: LineEvent[] = [];
  const emit = (e: LineEvent) => events.push(e);
  const buffer = new Uint8Array(5);
  const input = bytes("0123456789abcdefghijklmnopqrstuvwxyz\n");
  for (let i = 0; i < input.length; i += buffer.length) {
    const n = Math.min(buffer.length, input.length - i);
    buffer.set(input.subarray(i, i + n));
    decoder.push(buffer.subarray(0, n), emit);
    buffer.fill(0x21);
  }
  assertEquals(events, [{
    kind: "too_long",
    bytes: 36,
    head: "0123456789abcdefghijklmnopqrstuvwxyz",
    tail: "0123456789abcdefghijklmnopqrstuvwxyz",
  }]);
});

Deno.test("recoverId: id first, as the Python and Rust SDKs write it", () => {
  assertStrictEquals(
    recoverId('{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"a', ""),
    5,
  );
  assertStrictEquals(recoverId('{"id":"req-7","jsonrpc":"2.0","method":"x"', ""), "req-7");
  assertStrictEquals(recoverId('{ "jsonrpc" : "2.0" , "id" : -3 , "method":', ""), -3);
  assertStrictEquals(recoverId('{"jsonrpc":"2.0","id":"a\\"b","method":"x"', ""), 'a"b');
});

Deno.test("recoverId: id last, as the TypeScript SDK writes it", () => {
  const head = '{"method":"tools/call","params":{"name":"echo","arguments":{"text":"xxxx';
  assertStrictEquals(recoverId(head, 'xxxx"}},"jsonrpc":"2.0","id":"abc"}'), "abc");
  assertStrictEquals(recoverId(head, 'xxxx"}},"jsonrpc":"2.0","id":17}'), 17);
  // trailing whitespace or a CR after the closing brace
  assertStrictEquals(recoverId(head, 'xx"}},"jsonrpc":"2.0","id":17} \r'), 17);
});

Deno.test("recoverId: an id nested inside params is never taken", () => {
  const head = '{"jsonrpc":"2.0","method":"tools/call","params":{"blob":"xxxx';
  assertStrictEquals(recoverId(head, 'xxxx","params":{"id":9}}'), null);
  assertStrictEquals(recoverId(head, 'xxxx","x":1,"id":9}}'), null);
  assertStrictEquals(recoverId(head, 'xxxx","x":{"id":9} }'), null);
  // a nested id at the start of params is not a top-level id either
  assertStrictEquals(recoverId('{"method":"x","params":{"id":9,"blob":"xxxx', 'xxxx"}}'), null);
});

Deno.test("recoverId: null when there is no usable id", () => {
  assertStrictEquals(recoverId('{"jsonrpc":"2.0","method":"x","params":{"a":"', '"}}'), null);
  assertStrictEquals(recoverId("", ""), null);
  assertStrictEquals(recoverId('{"jsonrpc":"2.0","id":null,"method":"x"', '"x"}'), null);
  assertStrictEquals(recoverId("not json at all", "still not"), null);
});

Deno.test("recoverId: a number id that is not read to its end is not guessed", () => {
  // 5e3 is 5000: answering with id 5 could settle some other request
  assertStrictEquals(recoverId('{"id":5e3,"method":"x","params":{"a":"', '"}}'), null);
  assertStrictEquals(recoverId('{"jsonrpc":"2.0","id":1.5E+2,"method":"x"', '"}}'), null);
  // a head cut right after the digits may have cut the number short
  assertStrictEquals(recoverId('{"jsonrpc":"2.0","id":12', '"}}'), null);
  // whitespace before the comma is fine
  assertStrictEquals(recoverId('{"jsonrpc":"2.0","id":12 ,"method":"x"', '"}}'), 12);
});
