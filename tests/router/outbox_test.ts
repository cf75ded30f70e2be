import { assert, assertEquals } from "../_helpers/assert.ts";
import { Outbox } from "../../src/router/outbox.ts";

interface Session {
  closed: boolean;
}
interface Entry {
  sent: boolean;
}

function outbox(live: { entries?: Set<Entry>; own?: Set<string> } = {}) {
  return new Outbox<Session, Entry>({
    entry: (entry) => live.entries?.has(entry) ?? true,
    own: (id) => live.own?.has(id) ?? true,
  });
}

Deno.test("outbox: held messages go out in arrival order; requests are marked sent", () => {
  const box = outbox();
  const a: Session = { closed: false };
  const entry: Entry = { sent: false };
  box.hold({ line: "1", entry, session: a });
  box.hold({ line: "2", session: a });
  box.hold({ line: "3", internalId: "rmcp-mux:1" });
  assertEquals(box.size, 3);
  const sent: string[] = [];
  box.flush((message) => sent.push(message.line));
  assertEquals(sent, ["1", "2", "3"]);
  assert(entry.sent);
  assertEquals(box.size, 0);
});

Deno.test("outbox: what stopped mattering while held is dropped at flush", () => {
  const cancelled: Entry = { sent: false };
  const kept: Entry = { sent: false };
  const gone: Session = { closed: true };
  const box = outbox({ entries: new Set([kept]), own: new Set(["rmcp-mux:2"]) });
  box.hold({ line: "cancelled", entry: cancelled });
  box.hold({ line: "from a closed session", session: gone });
  box.hold({ line: "own, already failed", internalId: "rmcp-mux:1" });
  box.hold({ line: "kept", entry: kept });
  box.hold({ line: "own, open", internalId: "rmcp-mux:2" });
  const sent: string[] = [];
  box.flush((message) => sent.push(message.line));
  assertEquals(sent, ["kept", "own, open"]);
  assertEquals([cancelled.sent, kept.sent], [false, true]);
});

Deno.test("outbox: dropClient removes one client's messages only; clear returns the rest", () => {
  const box = outbox();
  const a: Session = { closed: false };
  const b: Session = { closed: false };
  box.hold({ line: "a1", session: a });
  box.hold({ line: "b1", session: b });
  box.hold({ line: "a2", session: a });
  box.dropClient(a);
  assertEquals(box.size, 1);
  assertEquals(box.clear().map((m) => m.line), ["b1"]);
  assertEquals(box.size, 0);
});

Deno.test("outbox: readers waiting for room are woken together", async () => {
  const box = outbox();
  let woken = 0;
  const waits = [box.waitForRoom(), box.waitForRoom()].map((p) => p.then(() => woken++));
  box.wakeReaders();
  await Promise.all(waits);
  assertEquals(woken, 2);
});
