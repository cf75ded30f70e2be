import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { SubscriptionTable } from "../../src/router/subscriptions.ts";

const URI = "file:///notes.txt";
const OTHER = "file:///other.txt";

/** A table where `clients` are subscribed to `uri` (the upstream accepted). */
function subscribed(uri: string, ...clients: string[]): SubscriptionTable<string> {
  const table = new SubscriptionTable<string>();
  for (const client of clients) table.subscribe(client, uri);
  table.confirm(uri);
  return table;
}

Deno.test("the first subscriber to a URI is forwarded to the upstream", () => {
  const table = new SubscriptionTable<string>();
  deepStrictEqual(table.subscribe("a", URI), { action: "forward" });
});

Deno.test("a subscribe for a URI that is already subscribed is answered locally", () => {
  const table = subscribed(URI, "a");
  deepStrictEqual(table.subscribe("b", URI), { action: "answer" });
  deepStrictEqual([...table.subscribersOf(URI)].sort(), ["a", "b"]);
});

Deno.test("a subscriber subscribing again is answered locally and counted once", () => {
  const table = subscribed(URI, "a");
  deepStrictEqual(table.subscribe("a", URI), { action: "answer" });
  deepStrictEqual([...table.subscribersOf(URI)], ["a"]);
  // One unsubscribe is enough to end it: the upstream hears about it.
  deepStrictEqual(table.unsubscribe("a", URI), { action: "forward" });
});

Deno.test("subscriptions to different URIs are counted separately", () => {
  const table = subscribed(URI, "a");
  deepStrictEqual(table.subscribe("a", OTHER), { action: "forward" });
});

Deno.test("a subscribe while the first one is in flight waits for its outcome", () => {
  const table = new SubscriptionTable<string>();
  table.subscribe("a", URI);
  deepStrictEqual(table.subscribe("b", URI), { action: "wait" });
  deepStrictEqual(table.subscribe("c", URI), { action: "wait" });
  // Nobody is subscribed before the upstream answers.
  strictEqual(table.subscribersOf(URI).size, 0);
  strictEqual(table.has("a", URI), false);
});

Deno.test("confirm subscribes and returns everyone who waited, in arrival order", () => {
  const table = new SubscriptionTable<string>();
  table.subscribe("a", URI);
  table.subscribe("b", URI);
  table.subscribe("c", URI);
  deepStrictEqual(table.confirm(URI), ["a", "b", "c"]);
  deepStrictEqual([...table.subscribersOf(URI)].sort(), ["a", "b", "c"]);
  strictEqual(table.has("b", URI), true);
  // Later subscribes are answered locally, no longer waiting.
  deepStrictEqual(table.subscribe("d", URI), { action: "answer" });
});

Deno.test("rollback leaves nobody subscribed and returns who waited", () => {
  const table = new SubscriptionTable<string>();
  table.subscribe("a", URI);
  table.subscribe("b", URI);
  deepStrictEqual(table.rollback(URI), ["a", "b"]);
  strictEqual(table.subscribersOf(URI).size, 0);
  strictEqual(table.has("a", URI), false);
  deepStrictEqual(table.activeUris(), []);
  strictEqual(table.size, 0);
});

Deno.test("after a rollback the next subscribe is forwarded again", () => {
  const table = new SubscriptionTable<string>();
  table.subscribe("a", URI);
  table.rollback(URI);
  deepStrictEqual(table.subscribe("a", URI), { action: "forward" });
});

Deno.test("confirm or rollback of a URI with nothing in flight returns nobody", () => {
  const table = new SubscriptionTable<string>();
  deepStrictEqual(table.confirm(URI), []);
  deepStrictEqual(table.rollback(URI), []);
  deepStrictEqual(table.activeUris(), []);
});

Deno.test("unsubscribe is forwarded only when the last subscriber leaves", () => {
  const table = subscribed(URI, "a", "b");
  deepStrictEqual(table.unsubscribe("a", URI), { action: "answer" });
  deepStrictEqual([...table.subscribersOf(URI)], ["b"]);
  deepStrictEqual(table.unsubscribe("b", URI), { action: "forward" });
  strictEqual(table.subscribersOf(URI).size, 0);
  deepStrictEqual(table.activeUris(), []);
});

Deno.test("an unsubscribing client stops getting updates at once even if others stay", () => {
  const table = subscribed(URI, "a", "b");
  table.unsubscribe("a", URI);
  strictEqual(table.has("a", URI), false);
  strictEqual(table.subscribersOf(URI).has("a"), false);
});

Deno.test("an unsubscribe from a client that never subscribed is answered locally", () => {
  const table = subscribed(URI, "a");
  deepStrictEqual(table.unsubscribe("stranger", URI), { action: "answer" });
  deepStrictEqual(table.unsubscribe("a", OTHER), { action: "answer" });
  // The real subscriber is untouched.
  deepStrictEqual([...table.subscribersOf(URI)], ["a"]);
});

Deno.test("a second unsubscribe after the last one is answered locally", () => {
  const table = subscribed(URI, "a");
  deepStrictEqual(table.unsubscribe("a", URI), { action: "forward" });
  deepStrictEqual(table.unsubscribe("a", URI), { action: "answer" });
});

Deno.test("after the last unsubscribe, a new subscribe is forwarded again", () => {
  const table = subscribed(URI, "a");
  table.unsubscribe("a", URI);
  deepStrictEqual(table.subscribe("b", URI), { action: "forward" });
});

Deno.test("release returns only the URIs nobody watches any more", () => {
  const table = new SubscriptionTable<string>();
  table.subscribe("a", URI);
  table.subscribe("b", URI);
  table.confirm(URI);
  table.subscribe("a", OTHER);
  table.confirm(OTHER);
  deepStrictEqual(table.release("a"), [OTHER]);
  deepStrictEqual([...table.subscribersOf(URI)], ["b"]);
  deepStrictEqual(table.activeUris(), [URI]);
});

Deno.test("release of a client with no subscriptions orphans nothing", () => {
  const table = subscribed(URI, "a");
  deepStrictEqual(table.release("stranger"), []);
  deepStrictEqual([...table.subscribersOf(URI)], ["a"]);
});

Deno.test("a client that left while waiting is not subscribed by the confirm", () => {
  const table = new SubscriptionTable<string>();
  table.subscribe("a", URI);
  table.subscribe("b", URI);
  deepStrictEqual(table.release("b"), []);
  deepStrictEqual(table.confirm(URI), ["a"]);
  deepStrictEqual([...table.subscribersOf(URI)], ["a"]);
});

Deno.test("when everyone who asked left before the confirm, nobody is subscribed", () => {
  const table = new SubscriptionTable<string>();
  table.subscribe("a", URI);
  table.release("a");
  // The caller sees an empty list and can unsubscribe upstream again.
  deepStrictEqual(table.confirm(URI), []);
  strictEqual(table.subscribersOf(URI).size, 0);
  deepStrictEqual(table.activeUris(), []);
});

Deno.test("a client that left while waiting is not among those told of a rollback", () => {
  const table = new SubscriptionTable<string>();
  table.subscribe("a", URI);
  table.subscribe("b", URI);
  table.release("a");
  deepStrictEqual(table.rollback(URI), ["b"]);
});

Deno.test("subscribersOf an unknown URI is empty", () => {
  const table = new SubscriptionTable<string>();
  strictEqual(table.subscribersOf("file:///nothing").size, 0);
});

Deno.test("activeUris lists every URI with a subscriber, for re-subscribing after a restart", () => {
  const table = new SubscriptionTable<string>();
  table.subscribe("a", URI);
  table.confirm(URI);
  table.subscribe("b", OTHER);
  table.confirm(OTHER);
  table.subscribe("c", "file:///pending.txt"); // in flight: not yet active
  deepStrictEqual(table.activeUris().sort(), [URI, OTHER].sort());
  strictEqual(table.size, 2);
});

Deno.test("subscribers can be objects, compared by identity", () => {
  const a = { name: "a" };
  const twin = { name: "a" };
  const table = new SubscriptionTable<{ name: string }>();
  table.subscribe(a, URI);
  table.confirm(URI);
  strictEqual(table.has(a, URI), true);
  strictEqual(table.has(twin, URI), false);
  deepStrictEqual(table.unsubscribe(twin, URI), { action: "answer" });
  deepStrictEqual(table.unsubscribe(a, URI), { action: "forward" });
});

Deno.test("an unsubscribe while the first subscribe is in flight is not lost", () => {
  const t = new SubscriptionTable<string>();
  deepStrictEqual(t.subscribe("a", "u"), { action: "forward" });
  deepStrictEqual(t.subscribe("b", "u"), { action: "wait" });
  deepStrictEqual(t.unsubscribe("b", "u"), { action: "answer" });
  deepStrictEqual(t.confirm("u"), ["a"]);
  deepStrictEqual(t.has("b", "u"), false);
  t.subscribe("c", "v");
  t.unsubscribe("c", "v");
  deepStrictEqual(t.confirm("v"), [], "nobody is left: the caller unsubscribes upstream");
  deepStrictEqual(t.activeUris(), ["u"]);
});
