import { assert, assertStrictEquals } from "../_helpers/assert.ts";
import { MAX_OWNED_IDS, OwnerTable } from "../../src/router/ownership.ts";

Deno.test("an id's owner is the client it was recorded for", () => {
  const table = new OwnerTable<string>();
  table.set("task-1", "a");
  table.set("task-2", "b");
  assertStrictEquals(table.owner("task-1"), "a");
  assertStrictEquals(table.owner("task-2"), "b");
  assertStrictEquals(table.size, 2);
});

Deno.test("an unknown id has no owner", () => {
  const table = new OwnerTable<string>();
  table.set("task-1", "a");
  assertStrictEquals(table.owner("task-2"), undefined);
  assertStrictEquals(table.owner(""), undefined);
});

Deno.test("setting an id again hands it to the new client", () => {
  const table = new OwnerTable<string>();
  table.set("task-1", "a");
  table.set("task-1", "b");
  assertStrictEquals(table.owner("task-1"), "b");
  assertStrictEquals(table.size, 1);
});

Deno.test("delete forgets one id only", () => {
  const table = new OwnerTable<string>();
  table.set("task-1", "a");
  table.set("task-2", "a");
  table.delete("task-1");
  assertStrictEquals(table.owner("task-1"), undefined);
  assertStrictEquals(table.owner("task-2"), "a");
  table.delete("never-set"); // harmless
  assertStrictEquals(table.size, 1);
});

Deno.test("release forgets everything a departed client owned, and nothing else", () => {
  const table = new OwnerTable<string>();
  table.set("t1", "a");
  table.set("t2", "b");
  table.set("t3", "a");
  table.release("a");
  assertStrictEquals(table.owner("t1"), undefined);
  assertStrictEquals(table.owner("t3"), undefined);
  assertStrictEquals(table.owner("t2"), "b");
  assertStrictEquals(table.size, 1);
});

Deno.test("clear forgets every id (the server that issued them is gone)", () => {
  const table = new OwnerTable<string>();
  table.set("t1", "a");
  table.set("t2", "b");
  table.clear();
  assertStrictEquals(table.size, 0);
  assertStrictEquals(table.owner("t1"), undefined);
  assertStrictEquals(table.owner("t2"), undefined);
});

Deno.test("owners are compared by identity, so a lookalike client owns nothing", () => {
  const a = { id: 1 };
  const table = new OwnerTable<{ id: number }>();
  table.set("t1", a);
  table.release({ id: 1 });
  assertStrictEquals(table.owner("t1"), a);
});

Deno.test("past the limit the oldest id is forgotten", () => {
  const table = new OwnerTable<string>(3);
  table.set("t1", "a");
  table.set("t2", "a");
  table.set("t3", "a");
  table.set("t4", "b");
  assertStrictEquals(table.size, 3);
  assertStrictEquals(table.owner("t1"), undefined);
  assertStrictEquals(table.owner("t2"), "a");
  assertStrictEquals(table.owner("t3"), "a");
  assertStrictEquals(table.owner("t4"), "b");
});

Deno.test("re-setting an id makes it the newest, so it outlives older ones", () => {
  const table = new OwnerTable<string>(3);
  table.set("t1", "a");
  table.set("t2", "a");
  table.set("t3", "a");
  table.set("t1", "a"); // refreshed: t2 is now the oldest
  table.set("t4", "a");
  assertStrictEquals(table.owner("t1"), "a");
  assertStrictEquals(table.owner("t2"), undefined);
  assertStrictEquals(table.owner("t3"), "a");
  assertStrictEquals(table.size, 3);
});

Deno.test("re-setting an id at the limit forgets nothing", () => {
  const table = new OwnerTable<string>(2);
  table.set("t1", "a");
  table.set("t2", "a");
  table.set("t2", "b");
  assertStrictEquals(table.size, 2);
  assertStrictEquals(table.owner("t1"), "a");
  assertStrictEquals(table.owner("t2"), "b");
});

Deno.test("the default limit is MAX_OWNED_IDS", () => {
  assert(MAX_OWNED_IDS > 0);
  const table = new OwnerTable<number>();
  for (let i = 0; i <= MAX_OWNED_IDS; i++) table.set(`t${i}`, i);
  assertStrictEquals(table.size, MAX_OWNED_IDS);
  assertStrictEquals(table.owner("t0"), undefined);
  assertStrictEquals(table.owner("t1"), 1);
  assertStrictEquals(table.owner(`t${MAX_OWNED_IDS}`), MAX_OWNED_IDS);
});
