import { assertEquals } from "../_helpers/assert.ts";
import {
  BACKOFF_MS,
  nextBackoff,
  type ReconnectHooks,
  Reconnector,
} from "../../src/proxy/reconnect.ts";

interface Conn {
  n: number;
}

/** A bridge as the loop sees it: what it waits for, and what the loop did. */
class FakeBridge {
  waiting: "connection" | "answer" | null = "connection";
  notices: string[] = [];
  attached: Conn[] = [];
  closed: Conn[] = [];
  attempts = 0;
  onAttach: (conn: Conn) => void = () => {};
  onClose: (conn: Conn) => void = () => {};
  readonly gaveUp: Promise<string>;
  #gaveUp!: (why: string) => void;

  constructor(readonly connect: () => Promise<Conn>) {
    this.gaveUp = new Promise((resolve) => this.#gaveUp = resolve);
  }

  hooks(): ReconnectHooks<Conn> {
    return {
      connect: () => {
        this.attempts++;
        return this.connect();
      },
      waitingFor: () => this.waiting,
      attach: (conn) => {
        this.waiting = "answer";
        this.attached.push(conn);
        this.onAttach(conn);
      },
      close: (conn) => {
        this.closed.push(conn);
        this.onClose(conn);
      },
      notice: (line) => void this.notices.push(line),
      giveUp: (why) => {
        this.waiting = null; // the bridge ends
        this.#gaveUp(why);
      },
    };
  }
}

Deno.test("reconnect backoff: from the first delay, doubling, up to the largest", () => {
  const delays = [BACKOFF_MS[0] as number];
  while (delays.length < 8) delays.push(nextBackoff(delays.at(-1)!));
  assertEquals(delays, [25, 50, 100, 200, 400, 800, 1000, 1000]);
});

Deno.test("reconnect: a mux that stays away: the attempts' last error in the give-up line", async () => {
  const bridge = new FakeBridge(() => Promise.reject(new Error("connection refused")));
  const reconnector = new Reconnector(120, bridge.hooks());
  reconnector.lost("killed", false);
  const why = await bridge.gaveUp;
  assertEquals(why, "the mux did not come back within 0.12 s (connection refused)");
  assertEquals(bridge.notices, [
    "lost the mux (killed); reconnecting for up to 0.12 s",
    `gave up: ${why}`,
  ]);
  assertEquals(bridge.attached, []);
});

Deno.test("reconnect: back once the mux answers on the new connection; the loop's wait ends", async () => {
  let connects = 0;
  const bridge = new FakeBridge(() => Promise.resolve({ n: ++connects }));
  const reconnector = new Reconnector(30_000, bridge.hooks());
  const attached = new Promise<void>((resolve) => bridge.onAttach = () => resolve());
  reconnector.lost("reload", false);
  await attached;
  bridge.waiting = null; // the mux answered: the bridge replays and goes on
  reconnector.back();
  assertEquals(bridge.notices, [
    "lost the mux (reload); reconnecting for up to 30 s",
    "reconnected to the mux",
  ]);
  assertEquals(bridge.attached, [{ n: 1 }]);
  // The 30 s wait was cleared: the test's timer sanitizer would fail otherwise.
});

Deno.test("reconnect: connections accepted and closed unanswered are tried again, and named if time runs out", async () => {
  let connects = 0;
  const bridge = new FakeBridge(() => Promise.resolve({ n: ++connects }));
  const reconnector = new Reconnector(150, bridge.hooks());
  bridge.onAttach = () =>
    queueMicrotask(() => {
      bridge.waiting = "connection"; // as the bridge does when it loses an unconfirmed one
      reconnector.lost("connection reset", true);
    });
  reconnector.lost("killed", false);
  const why = await bridge.gaveUp;
  assertEquals(
    why,
    "the mux did not come back within 0.15 s " +
      "(the mux accepted a connection and closed it (connection reset))",
  );
  assertEquals(bridge.attached.length, bridge.attempts, "each connection was tried");
  assertEquals(bridge.notices.length, 2, "no new 'lost' line for an unconfirmed connection");
});

Deno.test("reconnect: a connection the mux never answers on ends it at the deadline", async () => {
  const bridge = new FakeBridge(() => Promise.resolve({ n: 1 }));
  const reconnector = new Reconnector(100, bridge.hooks());
  reconnector.lost("killed", false);
  const why = await bridge.gaveUp;
  assertEquals(
    why,
    "the mux did not come back within 0.1 s (the mux accepted a connection but never answered on it)",
  );
  assertEquals(bridge.attempts, 1);
});

Deno.test("reconnect: a connection made after the bridge ended is closed, not used", async () => {
  let connected!: (conn: Conn) => void;
  const bridge = new FakeBridge(() => new Promise((resolve) => connected = resolve));
  const reconnector = new Reconnector(30_000, bridge.hooks());
  const closed = new Promise((resolve) => bridge.onClose = resolve);
  reconnector.lost("killed", false);
  bridge.waiting = null; // the host went away meanwhile
  reconnector.wake();
  connected({ n: 1 });
  await closed;
  assertEquals(bridge.closed, [{ n: 1 }]);
  assertEquals(bridge.attached, []);
  assertEquals(bridge.notices, ["lost the mux (killed); reconnecting for up to 30 s"]);
});
