import { assertEquals } from "../_helpers/assert.ts";
import { AcceptLoop } from "../../src/server/accept_loop.ts";
import { muxLogger } from "../../src/log/logger.ts";

/** A listener whose accepts are scripted: an error, or a (fake) connection. */
function scriptedListener(script: ("error" | "conn")[]) {
  let closed: (() => void) | undefined;
  const closedPromise = new Promise<never>((_, reject) => {
    closed = () => reject(new Deno.errors.BadResource("listener closed"));
  });
  closedPromise.catch(() => {});
  const listener = {
    accept(): Promise<Deno.UnixConn> {
      const next = script.shift();
      if (next === "error") return Promise.reject(new Error("Too many open files (os error 24)"));
      if (next === "conn") return Promise.resolve({ close() {} } as unknown as Deno.UnixConn);
      return closedPromise;
    },
    close() {
      closed?.();
    },
  };
  return listener as unknown as Deno.Listener<Deno.UnixConn, Deno.UnixAddr>;
}

Deno.test("accept loop: an accept error is retried, not the end of accepting", async () => {
  const served: Deno.UnixConn[] = [];
  let serving!: () => void;
  const twoServed = new Promise<void>((resolve) => serving = resolve);
  const loop = new AcceptLoop(scriptedListener(["conn", "error", "error", "conn"]), {
    log: muxLogger("server"),
    serve: (conn) => {
      served.push(conn);
      if (served.length === 2) serving();
      return { done: new Promise<void>(() => {}) };
    },
  });
  await twoServed;
  assertEquals(loop.connections.size, 2, "both connections are tracked");
  await loop.close();
});

Deno.test("accept loop: a connection that ends is no longer tracked", async () => {
  let end!: () => void;
  let changes = 0;
  let changed!: () => void;
  const ended = new Promise<void>((resolve) => changed = resolve);
  const loop = new AcceptLoop(scriptedListener(["conn"]), {
    log: muxLogger("server"),
    serve: () => ({ done: new Promise<void>((resolve) => end = resolve) }),
    onChange: () => {
      if (++changes === 2) changed();
    },
  });
  while (loop.connections.size === 0) await Promise.resolve();
  end();
  await ended;
  assertEquals(loop.connections.size, 0);
  await loop.close();
});
