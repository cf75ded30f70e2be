import { assertEquals, assertStrictEquals } from "../_helpers/assert.ts";
import { type Root, RootsUnion } from "../../src/router/roots.ts";

const root = (uri: string, name?: string): Root => name === undefined ? { uri } : { uri, name };

Deno.test("with no client roots the union is empty", () => {
  const roots = new RootsUnion<string>();
  assertEquals(roots.union(), []);
});

Deno.test("the union lists every client's roots, in the order clients reported them", () => {
  const roots = new RootsUnion<string>();
  roots.set("a", [root("file:///a1"), root("file:///a2")]);
  roots.set("b", [root("file:///b1")]);
  assertEquals(roots.union(), [root("file:///a1"), root("file:///a2"), root("file:///b1")]);
});

Deno.test("a client reporting again keeps its place in the union", () => {
  const roots = new RootsUnion<string>();
  roots.set("a", [root("file:///a1")]);
  roots.set("b", [root("file:///b1")]);
  roots.set("a", [root("file:///a2")]);
  assertEquals(roots.union(), [root("file:///a2"), root("file:///b1")]);
});

Deno.test("a URI shared by two clients appears once, as the first client described it", () => {
  const roots = new RootsUnion<string>();
  roots.set("a", [root("file:///shared", "from a")]);
  roots.set("b", [root("file:///shared", "from b"), root("file:///b")]);
  assertEquals(roots.union(), [root("file:///shared", "from a"), root("file:///b")]);
});

Deno.test("a URI repeated within one client's roots appears once", () => {
  const roots = new RootsUnion<string>();
  roots.set("a", [root("file:///x", "first"), root("file:///x", "second")]);
  assertEquals(roots.union(), [root("file:///x", "first")]);
});

Deno.test("roots keep their extra fields in the union", () => {
  const roots = new RootsUnion<string>();
  const rich = { uri: "file:///r", name: "r", _meta: { k: 1 } };
  roots.set("a", [rich]);
  assertEquals(roots.union(), [rich]);
});

Deno.test("set reports a change when a client adds new roots", () => {
  const roots = new RootsUnion<string>();
  assertStrictEquals(roots.set("a", [root("file:///a")]), true);
  assertStrictEquals(roots.set("b", [root("file:///b")]), true);
});

Deno.test("set reports no change when a client reports the same roots again", () => {
  const roots = new RootsUnion<string>();
  roots.set("a", [root("file:///a", "A")]);
  assertStrictEquals(roots.set("a", [root("file:///a", "A")]), false);
});

Deno.test("set reports a change when only a root's name changes", () => {
  const roots = new RootsUnion<string>();
  roots.set("a", [root("file:///a", "old")]);
  assertStrictEquals(roots.set("a", [root("file:///a", "new")]), true);
});

Deno.test("set reports no change when a client only adds roots already in the union", () => {
  const roots = new RootsUnion<string>();
  roots.set("a", [root("file:///shared")]);
  assertStrictEquals(roots.set("b", [root("file:///shared")]), false);
});

Deno.test("set reports no change for a client with no roots", () => {
  const roots = new RootsUnion<string>();
  roots.set("a", [root("file:///a")]);
  assertStrictEquals(roots.set("b", []), false);
});

Deno.test("set reports a change when a client drops its roots", () => {
  const roots = new RootsUnion<string>();
  roots.set("a", [root("file:///a")]);
  assertStrictEquals(roots.set("a", []), true);
  assertEquals(roots.union(), []);
});

Deno.test("remove reports a change when the client's roots leave the union", () => {
  const roots = new RootsUnion<string>();
  roots.set("a", [root("file:///a")]);
  roots.set("b", [root("file:///b")]);
  assertStrictEquals(roots.remove("a"), true);
  assertEquals(roots.union(), [root("file:///b")]);
});

Deno.test("remove reports no change when another client still has the same roots", () => {
  const roots = new RootsUnion<string>();
  roots.set("a", [root("file:///shared")]);
  roots.set("b", [root("file:///shared")]);
  assertStrictEquals(roots.remove("b"), false);
  assertEquals(roots.union(), [root("file:///shared")]);
});

Deno.test("removing the first of two clients sharing a URI lets the second's description show", () => {
  const roots = new RootsUnion<string>();
  roots.set("a", [root("file:///shared", "from a")]);
  roots.set("b", [root("file:///shared", "from b")]);
  assertStrictEquals(roots.remove("a"), true);
  assertEquals(roots.union(), [root("file:///shared", "from b")]);
});

Deno.test("remove of an unknown client reports no change", () => {
  const roots = new RootsUnion<string>();
  roots.set("a", [root("file:///a")]);
  assertStrictEquals(roots.remove("stranger"), false);
  assertEquals(roots.union(), [root("file:///a")]);
});

Deno.test("roots without a string uri are ignored", () => {
  const roots = new RootsUnion<string>();
  const bad = [
    { name: "no uri" },
    { uri: 42, name: "numeric uri" },
    null,
    root("file:///good"),
  ] as unknown as Root[];
  assertStrictEquals(roots.set("a", bad), true);
  assertEquals(roots.union(), [root("file:///good")]);
});

Deno.test("a client reporting only invalid roots does not change the union", () => {
  const roots = new RootsUnion<string>();
  assertStrictEquals(roots.set("a", [{ name: "no uri" }] as unknown as Root[]), false);
  assertEquals(roots.union(), []);
});
