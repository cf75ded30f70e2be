import { assertEquals, assertStrictEquals } from "../_helpers/assert.ts";
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
  assertEquals(table.subscribe("a", URI), { action: "forward" });
});

Deno.test("a subscribe for a URI that is already subscribed is answered locally", () => {
  const table = subscribed(URI, "a");
  assertEquals(table.subscribe("b", URI), { action: "answer" });
  assertEquals([...table.subscribersOf(URI)].sort(), ["a", "b"]);
});

Deno.test("a subscriber subscribing again is answered locally and counted once", () => {
  const table = subscribed(URI, "a");
  assertEquals(table.subscribe("a", URI), { action: "answer" });
  assertEquals([...table.subscribersOf(URI)], ["a"]);
  // One unsubscribe is enough to end it: the upstream hears about it.
  assertEquals(table.unsubscribe("a", URI), { action: "forward" });
});

Deno.test("subscriptions to different URIs are counted separately", () => {
  const table = subscribed(URI, "a");
  assertEquals(table.subscribe("a", OTHER), { action: "forward" });
});

Deno.test("a subscribe while the first one is in flight waits for its outcome", () => {
  const table = new SubscriptionTable<string>();
  table.subscribe("a", URI);
  assertEquals(table.subscribe("b", URI), { action: "wait" });
  assertEquals(table.subscribe("c", URI), { action: "wait" });
  // Nobody is subscribed before the upstream answers.
  assertStrictEquals(table.subscribersOf(URI).size, 0);
  assertStrictEquals(table.has("a", URI), false);
});

Deno.test("confirm subscribes and returns everyone who waited, in arrival order", () => {
  const table = new SubscriptionTable<string>();
  table.subscribe("a", URI);
  table.subscribe("b", URI);
  table.subscribe("c", URI);
  assertEquals(table.confirm(URI), ["a", "b", "c"]);
  assertEquals([...table.subscribersOf(URI)].sort(), ["a", "b", "c"]);
  assertStrictEquals(table.has("b", URI), true);
  // Later subscribes are answered locally, no longer waiting.
  assertEquals(table.subscribe("d", URI), { action: "answer" });
});

Deno.test("rollback leaves nobody subscribed and returns who waited", () => {
  const table = new SubscriptionTable<string>();
  table.subscribe("a", URI);
  table.subscribe("b", URI);
  assertEquals(table.rollback(URI), ["a", "b"]);
  assertStrictEquals(table.subscribersOf(URI).size, 0);
  assertStrictEquals(table.has("a", URI), false);
  assertEquals(table.activeUris(), []);
  assertStrictEquals(table.size, 0);
});

Deno.test("after a rollback the next subscribe is forwarded again", () => {
  const table = new SubscriptionTable<string>();
  table.subscribe("a", URI);
  table.rollback(URI);
  assertEquals(table.subscribe("a", URI), { action: "forward" });
});

Deno.test("confirm or rollback of a URI with nothing in flight returns nobody", () => {
  const table = new SubscriptionTable<string>();
  assertEquals(table.confirm(URI), []);
  assertEquals(table.rollback(URI), []);
  assertEquals(table.activeUris(), []);
});

Deno.test("unsubscribe is forwarded only when the last subscriber leaves", () => {
  const table = subscribed(URI, "a", "b");
  assertEquals(table.unsubscribe("a", URI), { action: "answer" });
  assertEquals([...table.subscribersOf(URI)], ["b"]);
  assertEquals(table.unsubscribe("b", URI), { action: "forward" });
  assertStrictEquals(table.subscribersOf(URI).size, 0);
  assertEquals(table.activeUris(), []);
});

Deno.test("an unsubscribing client stops getting updates at once even if others stay", () => {
  const table = subscribed(URI, "a", "b");
  table.unsubscribe("a", URI);
  assertStrictEquals(table.has("a", URI), false);
  assertStrictEquals(table.subscribersOf(URI).has("a"), false);
});

Deno.test("an unsubscribe from a client that never subscribed is answered locally", () => {
  const table = subscribed(URI, "a");
  assertEquals(table.unsubscribe("stranger", URI), { action: "answer" });
  assertEquals(table.unsubscribe("a", OTHER), { action: "answer" });
  // The real subscriber is untouched.
  assertEquals([...table.subscribersOf(URI)], ["a"]);
});

Deno.test("a second unsubscribe after the last one is answered locally", () => {
  const table = subscribed(URI, "a");
  assertEquals(table.unsubscribe("a", URI), { action: "forward" });
  assertEquals(table.unsubscribe("a", URI), { action: "answer" });
});

Deno.test("after the last unsubscribe, a new subscribe is forwarded again", () => {
  const table = subscribed(URI, "a");
  table.unsubscribe("a", URI);
  assertEquals(table.subscribe("b", URI), { action: "forward" });
});

Deno.test("release returns only the URIs nobody watches any more", () => {
  const table = new SubscriptionTable<string>();
  table.subscribe("a", URI);
  table.subscribe("b", URI);
  table.confirm(URI);
  table.subscribe("a", OTHER);
  table.confirm(OTHER);
  assertEquals(table.release("a"), [OTHER]);
  assertEquals([...table.subscribersOf(URI)], ["b"]);
  assertEquals(table.activeUris(), [URI]);
});

Deno.test("release of a client with no subscriptions orphans nothing", () => {
  const table = subscribed(URI, "a");
  assertEquals(table.release("stranger"), []);
  assertEquals([...table.subscribersOf(URI)], ["a"]);
});

Deno.test("a client that left while waiting is not subscribed by the confirm", () => {
  const table = new SubscriptionTable<string>();
  table.subscribe("a", URI);
  table.subscribe("b", URI);
  assertEquals(table.release("b"), []);
  assertEquals(table.confirm(URI), ["a"]);
  assertEquals([...table.subscribersOf(URI)], ["a"]);
});

Deno.test("when everyone who asked left before the confirm, nobody is subscribed", () => {
  const table = new SubscriptionTable<string>();
  table.subscribe("a", URI);
  table.release("a");
  // The caller sees an empty list and can unsubscribe upstream again.
  assertEquals(table.confirm(URI), []);
  assertStrictEquals(table.subscribersOf(URI).size, 0);
  assertEquals(table.activeUris(), []);
});

Deno.test("a client that left while waiting is not among those told of a rollback", () => {
  const table = new SubscriptionTable<string>();
  table.subscribe("a", URI);
  table.subscribe("b", URI);
  table.release("a");
  assertEquals(table.rollback(URI), ["b"]);
});

Deno.test("subscribersOf an unknown URI is empty", () => {
  const table = new SubscriptionTable<string>();
  assertStrictEquals(table.subscribersOf("file:///nothing").size, 0);
});

Deno.test("activeUris lists every URI with a subscriber, for re-subscribing after a restart", () => {
  const table = new SubscriptionTable<string>();
  table.subscribe("a", URI);
  table.confirm(URI);
  table.subscribe("b", OTHER);
  table.confirm(OTHER);
  table.subscribe("c", "file:///pending.txt"); // in flight: not yet active
  assertEquals(table.activeUris().sort(), [URI, OTHER].sort());
  assertStrictEquals(table.size, 2);
});

Deno.test("subscribers can be objects, compared by identity", () => {
  const a = { name: "a" };
  const twin = { name: "a" };
  const table = new SubscriptionTable<{ name: string }>();
  table.subscribe(a, URI);
  table.confirm(URI);
  assertStrictEquals(table.has(a, URI), true);
  assertStrictEquals(table.has(twin, URI), false);
  assertEquals(table.unsubscribe(twin, URI), { action: "answer" });
  assertEquals(table.unsubscribe(a, URI), { action: "forward" });
});

Deno.test("an unsubscribe while the first subscribe is in flight is not lost", () => {
  const t = new SubscriptionTable<string>();
  assertEquals(t.subscribe("a", "u"), { action: "forward" });
  assertEquals(t.subscribe("b", "u"), { action: "wait" });
  assertEquals(t.unsubscribe("b", "u"), { action: "answer" });
  assertEquals(t.confirm("u"), ["a"]);
  assertEquals(t.has("b", "u"), false);
  t.subscribe("c", "v");
  t.unsubscribe("c", "v");
  assertEquals(t.confirm("v"), [], "nobody is left: the caller unsubscribes upstream");
  assertEquals(t.activeUris(), ["u"]);
});
