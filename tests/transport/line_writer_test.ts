import { assert, assertEquals, assertStrictEquals } from "../_helpers/assert.ts";
import { type ByteSink, connSink, LineWriter } from "../../src/transport/line_writer.ts";

const dec = new TextDecoder();

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
  reject: (error: unknown) => void;
}

function deferred(): Deferred {
  const { promise, resolve, reject } = Promise.withResolvers<void>();
  return { promise, resolve: () => resolve(), reject };
}

/**
 * An in-memory sink: every write() is recorded and stays pending until the
 * test settles it, so the test decides when a write "completes".
 */
class ControlledSink implements ByteSink {
  readonly writes: string[] = [];
  /** The bytes of each write as lent (not copied): they must not change while in flight. */
  readonly lent: Uint8Array[] = [];
  readonly pending: Deferred[] = [];
  closeCalls = 0;
  #writeSeen: (() => void)[] = [];

  write(bytes: Uint8Array): Promise<void> {
    this.writes.push(dec.decode(bytes));
    this.lent.push(bytes);
    const d = deferred();
    this.pending.push(d);
    for (const notify of this.#writeSeen.splice(0)) notify();
    return d.promise;
  }

  close(): void {
    this.closeCalls++;
  }

  /** Resolves once at least `n` writes were started. */
  async waitForWrites(n: number): Promise<void> {
    while (this.writes.length < n) {
      await new Promise<void>((resolve) => this.#writeSeen.push(resolve));
    }
  }

  /** Complete the oldest write still pending. */
  completeNext(): void {
    const d = this.pending.shift();
    if (!d) throw new Error("no write in flight");
    d.resolve();
  }

  failNext(error: unknown): void {
    const d = this.pending.shift();
    if (!d) throw new Error("no write in flight");
    d.reject(error);
  }
}

Deno.test("LineWriter: each line is written newline-terminated, in order", async () => {
  const sink = new ControlledSink();
  const writer = new LineWriter(sink);
  assert(writer.write('{"a":1}'));
  assertStrictEquals(sink.writes.length, 0, "not during the turn that queued it…");
  await sink.waitForWrites(1);
  assertStrictEquals(sink.writes.length, 1, "…but right at its end");
  sink.completeNext();
  await writer.idle();
  assert(writer.write('{"b":2}'));
  await sink.waitForWrites(2);
  sink.completeNext();
  await writer.idle();
  assertEquals(sink.writes, ['{"a":1}\n', '{"b":2}\n']);
  await writer.close();
});

Deno.test("LineWriter: a burst during an in-flight write is coalesced into ONE write", async () => {
  const sink = new ControlledSink();
  const progress: number[] = [];
  const writer = new LineWriter(sink, { onProgress: () => progress.push(sink.writes.length) });
  writer.write("first");
  await sink.waitForWrites(1); // the write starts at the end of the turn
  for (let i = 0; i < 5; i++) writer.write(`burst-${i}`);
  assertStrictEquals(sink.writes.length, 1, "nothing more is written while one write is in flight");
  sink.completeNext();
  await sink.waitForWrites(2);
  assertStrictEquals(sink.writes.length, 2);
  assertStrictEquals(sink.writes[1], "burst-0\nburst-1\nburst-2\nburst-3\nburst-4\n");
  sink.completeNext();
  await writer.idle();
  assertStrictEquals(sink.writes.length, 2, "exactly two writes for six lines");
  assertEquals(progress, [1, 2], "onProgress after each completed write");
  // The bytes as a whole are every line, in order.
  assertStrictEquals(
    sink.writes.join(""),
    ["first", ...Array.from({ length: 5 }, (_, i) => `burst-${i}`)].map((l) => l + "\n").join(""),
  );
  await writer.close();
});

Deno.test("LineWriter: backlog and pending count queued and in-flight lines", async () => {
  const sink = new ControlledSink();
  const writer = new LineWriter(sink);
  assertStrictEquals(writer.backlog, 0);
  assertStrictEquals(writer.pending, 0);
  writer.write("abc"); // 4 chars with newline
  assertStrictEquals(writer.pending, 1);
  assertStrictEquals(writer.backlog, 4);
  await sink.waitForWrites(1); // the write starts at the end of the turn

  writer.write("de"); // queued: 3
  writer.write("f"); // queued: 2
  assertStrictEquals(writer.pending, 3);
  assertStrictEquals(writer.backlog, 9);
  sink.completeNext();
  await sink.waitForWrites(2);
  // "de" and "f" are now in flight together
  assertStrictEquals(writer.pending, 2);
  assertStrictEquals(writer.backlog, 5);
  sink.completeNext();
  await writer.idle();
  assertStrictEquals(writer.pending, 0);
  assertStrictEquals(writer.backlog, 0);
  await writer.close();
});

Deno.test("LineWriter: idle() resolves at once when nothing is queued, else after the writes", async () => {
  const sink = new ControlledSink();
  const writer = new LineWriter(sink);
  await writer.idle(); // nothing written yet
  writer.write("x");
  await sink.waitForWrites(1); // the write starts at the end of the turn
  writer.write("y");
  let idle = false;
  const done = writer.idle().then(() => idle = true);
  sink.completeNext();
  await sink.waitForWrites(2);
  assertStrictEquals(idle, false, "not idle while the second batch is in flight");
  sink.completeNext();
  await done;
  assertStrictEquals(idle, true);
  assertStrictEquals(writer.pending, 0);
  await writer.close();
});

Deno.test("LineWriter: a failing write calls onError once and closes the writer", async () => {
  const sink = new ControlledSink();
  const errors: unknown[] = [];
  const writer = new LineWriter(sink, { onError: (e) => errors.push(e) });
  writer.write("one");
  await sink.waitForWrites(1); // the write starts at the end of the turn
  writer.write("two"); // queued behind the failing write: dropped
  const boom = new Error("EPIPE");
  sink.failNext(boom);
  await writer.idle();
  assertEquals(errors, [boom]);
  assertStrictEquals(writer.closed, true);
  assertStrictEquals(writer.write("three"), false, "write() refuses once the writer failed");
  assertStrictEquals(writer.pending, 0);
  assertStrictEquals(writer.backlog, 0);
  assertStrictEquals(sink.writes.length, 1, "queued lines are not written after a failure");
  await writer.close();
  assertStrictEquals(errors.length, 1, "onError is not called again");
});

Deno.test("LineWriter: close(true) flushes queued lines, then closes the sink", async () => {
  const sink = new ControlledSink();
  const writer = new LineWriter(sink);
  writer.write("a");
  await sink.waitForWrites(1); // the write starts at the end of the turn
  writer.write("b");
  writer.write("c");
  let closed = false;
  const closing = writer.close(true).then(() => closed = true);
  assertStrictEquals(writer.write("late"), false, "no new lines after close()");
  assertStrictEquals(writer.closed, true);
  sink.completeNext();
  await sink.waitForWrites(2);
  assertStrictEquals(sink.closeCalls, 0, "the sink stays open until the queue is flushed");
  assertStrictEquals(closed, false);
  sink.completeNext();
  await closing;
  assertEquals(sink.writes, ["a\n", "b\nc\n"]);
  assertStrictEquals(sink.closeCalls, 1);
});

Deno.test("LineWriter: close() defaults to flushing", async () => {
  const sink = new ControlledSink();
  const writer = new LineWriter(sink);
  writer.write("a");
  await sink.waitForWrites(1); // the write starts at the end of the turn
  writer.write("b");
  const closing = writer.close();
  sink.completeNext();
  await sink.waitForWrites(2);
  sink.completeNext();
  await closing;
  assertEquals(sink.writes, ["a\n", "b\n"]);
  assertStrictEquals(sink.closeCalls, 1);
});

Deno.test("LineWriter: close(false) drops queued lines but lets the in-flight write finish", async () => {
  const sink = new ControlledSink();
  const writer = new LineWriter(sink);
  writer.write("in-flight");
  await sink.waitForWrites(1); // the write starts at the end of the turn
  writer.write("queued-1");
  writer.write("queued-2");
  const closing = writer.close(false);
  assertStrictEquals(writer.pending, 1, "only the in-flight line remains");
  sink.completeNext();
  await closing;
  assertEquals(sink.writes, ["in-flight\n"]);
  assertStrictEquals(sink.closeCalls, 1);
  assertStrictEquals(writer.pending, 0);
});

Deno.test("LineWriter: close is idempotent (the sink is closed once)", async () => {
  const sink = new ControlledSink();
  const writer = new LineWriter(sink);
  await writer.close();
  await writer.close();
  await writer.close(false);
  assertStrictEquals(sink.closeCalls, 1);
  assertStrictEquals(sink.writes.length, 0);
});

Deno.test("LineWriter: a sink whose close() throws does not make close() reject", async () => {
  const writer = new LineWriter({
    write: () => Promise.resolve(),
    close: () => Promise.reject(new Error("already closed by peer")),
  });
  writer.write("x");
  await writer.close();
  assertStrictEquals(writer.closed, true);
});

/** A sink that decodes what it is given at once (the bytes are only lent to it). */
function textSink(): ByteSink & { texts: string[] } {
  const texts: string[] = [];
  return {
    texts,
    write: (b) => {
      texts.push(dec.decode(b));
      return Promise.resolve();
    },
    close: () => {},
  };
}

Deno.test("LineWriter: multi-byte text is written as UTF-8", async () => {
  const sink = textSink();
  const writer = new LineWriter(sink);
  writer.write('{"t":"héllo 😀"}');
  await writer.close();
  assertEquals(sink.texts, ['{"t":"héllo 😀"}\n']);
});

Deno.test("LineWriter: batches short in characters but long in UTF-8, and long ones, arrive intact", async () => {
  const sink = textSink();
  const writer = new LineWriter(sink);
  const lines = ["é".repeat(10_000), "x".repeat(100_000), "ok", `${"😀".repeat(5_000)}z`];
  for (const line of lines) {
    writer.write(line);
    await writer.idle(); // one write each
  }
  await writer.close();
  assertEquals(sink.texts.map((t) => t.length), lines.map((l) => l.length + 1));
  assertEquals(sink.texts, lines.map((l) => l + "\n"));
});

Deno.test("LineWriter: bytes still being written are never reused by another write", async () => {
  // Two writers (two clients), each with a write in flight: neither's bytes may change under it.
  const sink = new ControlledSink();
  const a = new LineWriter(sink);
  const b = new LineWriter(sink);
  a.write("a".repeat(50));
  b.write("b".repeat(50));
  await sink.waitForWrites(2);
  // a's write completes: its buffer may serve the next write, while b's is still in flight.
  sink.completeNext();
  await a.idle();
  a.write("c".repeat(50));
  await sink.waitForWrites(3);
  // (a's first bytes are a's no more: the pool may have lent them out again.)
  assertEquals(sink.lent.slice(1).map((bytes) => dec.decode(bytes)), sink.writes.slice(1));
  sink.completeNext();
  sink.completeNext();
  await Promise.all([a.close(), b.close()]);
});

Deno.test("connSink: a partial write is continued until every byte is written", async () => {
  const received: number[][] = [];
  let closeWrites = 0;
  const conn = {
    write(p: Uint8Array): Promise<number> {
      const n = Math.min(3, p.length); // the kernel takes at most 3 bytes at a time
      received.push([...p.subarray(0, n)]);
      return Promise.resolve(n);
    },
    closeWrite(): Promise<void> {
      closeWrites++;
      return Promise.resolve();
    },
  };
  const sink = connSink(conn);
  const payload = new TextEncoder().encode("hello, world\n");
  await sink.write(payload);
  assertStrictEquals(received.length, 5, "13 bytes in writes of at most 3");
  assertStrictEquals(dec.decode(new Uint8Array(received.flat())), "hello, world\n");
  await sink.close();
  assertStrictEquals(closeWrites, 1);
});

Deno.test("connSink: a write error rejects the write and reaches LineWriter's onError", async () => {
  const failure = new Error("broken pipe");
  const conn = {
    write: (_p: Uint8Array): Promise<number> => Promise.reject(failure),
    closeWrite: () => Promise.resolve(),
  };
  const errors: unknown[] = [];
  const writer = new LineWriter(connSink(conn), { onError: (e) => errors.push(e) });
  writer.write("x");
  await writer.idle();
  assertEquals(errors, [failure]);
  assertStrictEquals(writer.write("y"), false);
  await writer.close();
});

Deno.test("LineWriter + connSink: partial writes keep lines intact and ordered", async () => {
  const out: number[] = [];
  const conn = {
    write(p: Uint8Array): Promise<number> {
      const n = Math.min(2, p.length);
      out.push(...p.subarray(0, n));
      return Promise.resolve(n);
    },
    closeWrite: () => Promise.resolve(),
  };
  const writer = new LineWriter(connSink(conn));
  const lines = ['{"id":1}', '{"id":2}', '{"id":3}'];
  for (const l of lines) writer.write(l);
  await writer.close();
  assertStrictEquals(dec.decode(new Uint8Array(out)), lines.map((l) => l + "\n").join(""));
});

Deno.test("LineWriter: lines queued in the same turn leave in ONE write (one syscall per burst)", async () => {
  const sink = new ControlledSink();
  const writer = new LineWriter(sink);
  for (let i = 0; i < 4; i++) writer.write(`answer-${i}`); // e.g. four answers from one server chunk
  await sink.waitForWrites(1);
  assertEquals(sink.writes, ["answer-0\nanswer-1\nanswer-2\nanswer-3\n"]);
  sink.completeNext();
  await writer.close();
});
