import { EventFeed, MAX_EVENT_STREAMS } from "../../src/dashboard/events.ts";
import { assert, assertEquals } from "../_helpers/assert.ts";

/** A feed over a value the test changes, counting subscriptions. */
function feedOf() {
  let value = 1;
  let listener: (() => void) | undefined;
  let snapshots = 0;
  const feed = new EventFeed({
    snapshot: () => {
      snapshots++;
      return JSON.stringify({ value });
    },
    subscribe: (l) => {
      listener = l;
      return () => listener = undefined;
    },
    now: () => 42,
  });
  return {
    feed,
    set(next: number) {
      value = next;
      listener?.();
    },
    get subscribed() {
      return listener !== undefined;
    },
    get snapshots() {
      return snapshots;
    },
  };
}

/** Reads server-sent events off a stream. */
function eventsOf(stream: ReadableStream<Uint8Array>) {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  return {
    async next(): Promise<string> {
      while (true) {
        const end = buffer.indexOf("\n\n");
        if (end !== -1) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = frame.split("\n").find((l) => l.startsWith("data: "));
          if (data) return data.slice("data: ".length);
          continue; // retry: or a comment
        }
        const { value, done } = await reader.read();
        if (done) throw new Error("the stream ended");
        buffer += value;
      }
    },
    cancel: () => reader.cancel(),
  };
}

Deno.test("a viewer gets the snapshot at once, then each change; repeats are not sent", async () => {
  const source = feedOf();
  const events = eventsOf(source.feed.open()!);
  assertEquals(JSON.parse(await events.next()), { at: 42, value: 1 });
  assert(source.subscribed, "listening while someone watches");
  source.set(1); // no change: nothing to send
  source.set(2);
  assertEquals(JSON.parse(await events.next()), { at: 42, value: 2 });
  source.set(3);
  source.set(4); // coalesced with 3: the next frame says 4
  assertEquals(JSON.parse(await events.next()), { at: 42, value: 4 });
  await events.cancel();
  assertEquals(source.feed.size, 0);
  assert(!source.subscribed, "nothing runs when nobody watches");
});

Deno.test("many viewers share one snapshot per change; the limit is named", async () => {
  const source = feedOf();
  const viewers = Array.from({ length: MAX_EVENT_STREAMS }, () => eventsOf(source.feed.open()!));
  assertEquals(source.feed.open(), undefined, "one too many");
  for (const v of viewers) await v.next();
  const before = source.snapshots;
  source.set(7);
  for (const v of viewers) assertEquals(JSON.parse(await v.next()).value, 7);
  // One snapshot serves every viewer (a once-a-second tick may add one), never one each.
  assert(source.snapshots - before <= 2, `${source.snapshots - before} snapshots`);
  source.feed.close();
  for (const v of viewers) await v.cancel();
  assert(!source.subscribed);
});
