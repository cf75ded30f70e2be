import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { SerialGate } from "../../src/router/serial_gate.ts";

Deno.test("nobody is active on a fresh gate", () => {
  const gate = new SerialGate<string, number>();
  strictEqual(gate.active, undefined);
  strictEqual(gate.waiting, 0);
});

Deno.test("the first client is let through and becomes active", () => {
  const gate = new SerialGate<string, number>();
  strictEqual(gate.offer("a", 1), true);
  strictEqual(gate.active, "a");
  strictEqual(gate.waiting, 0);
});

Deno.test("the active client's further requests pass too", () => {
  const gate = new SerialGate<string, number>();
  gate.offer("a", 1);
  gate.offer("b", 10);
  strictEqual(gate.offer("a", 2), true);
  strictEqual(gate.offer("a", 3), true);
  strictEqual(gate.active, "a");
  strictEqual(gate.waiting, 1);
});

Deno.test("other clients are queued while one is active", () => {
  const gate = new SerialGate<string, number>();
  gate.offer("a", 1);
  strictEqual(gate.offer("b", 10), false);
  strictEqual(gate.offer("c", 20), false);
  strictEqual(gate.offer("b", 11), false);
  strictEqual(gate.waiting, 3);
  strictEqual(gate.active, "a");
});

Deno.test("a release by a client that is not active does nothing", () => {
  const gate = new SerialGate<string, number>();
  gate.offer("a", 1);
  gate.offer("b", 10);
  strictEqual(gate.release("b"), undefined);
  strictEqual(gate.release("stranger"), undefined);
  strictEqual(gate.active, "a");
  strictEqual(gate.waiting, 1);
});

Deno.test("releasing hands over to the earliest waiting client with all its queued items in order", () => {
  const gate = new SerialGate<string, number>();
  gate.offer("a", 1);
  gate.offer("b", 10);
  gate.offer("c", 20);
  gate.offer("b", 11);
  gate.offer("c", 21);
  gate.offer("b", 12);
  deepStrictEqual(gate.release("a"), { client: "b", items: [10, 11, 12] });
  strictEqual(gate.active, "b");
  // c keeps its place and its items.
  strictEqual(gate.waiting, 2);
  deepStrictEqual(gate.release("b"), { client: "c", items: [20, 21] });
  strictEqual(gate.active, "c");
  strictEqual(gate.waiting, 0);
});

Deno.test("the order of waiting clients is their arrival order, not their name", () => {
  const gate = new SerialGate<string, number>();
  gate.offer("a", 1);
  gate.offer("z", 26);
  gate.offer("m", 13);
  deepStrictEqual(gate.release("a")?.client, "z");
  deepStrictEqual(gate.release("z")?.client, "m");
});

Deno.test("the new active client's later requests pass while the others still wait", () => {
  const gate = new SerialGate<string, number>();
  gate.offer("a", 1);
  gate.offer("b", 10);
  gate.offer("c", 20);
  gate.release("a");
  strictEqual(gate.offer("b", 11), true);
  strictEqual(gate.offer("a", 2), false, "the former active client now queues");
  deepStrictEqual(gate.release("b"), { client: "c", items: [20] });
  deepStrictEqual(gate.release("c"), { client: "a", items: [2] });
});

Deno.test("releasing with nobody waiting clears the active client", () => {
  const gate = new SerialGate<string, number>();
  gate.offer("a", 1);
  strictEqual(gate.release("a"), undefined);
  strictEqual(gate.active, undefined);
  // The next comer goes straight through.
  strictEqual(gate.offer("b", 10), true);
  strictEqual(gate.active, "b");
});

Deno.test("drop returns a departed waiting client's items and leaves the active one", () => {
  const gate = new SerialGate<string, number>();
  gate.offer("a", 1);
  gate.offer("b", 10);
  gate.offer("c", 20);
  gate.offer("b", 11);
  deepStrictEqual(gate.drop("b"), { items: [10, 11], next: undefined });
  strictEqual(gate.active, "a");
  strictEqual(gate.waiting, 1);
  deepStrictEqual(gate.release("a"), { client: "c", items: [20] });
});

Deno.test("drop of the active client hands over to the next waiting client", () => {
  const gate = new SerialGate<string, number>();
  gate.offer("a", 1);
  gate.offer("b", 10);
  gate.offer("b", 11);
  gate.offer("c", 20);
  deepStrictEqual(gate.drop("a"), { items: [], next: { client: "b", items: [10, 11] } });
  strictEqual(gate.active, "b");
  strictEqual(gate.waiting, 1);
});

Deno.test("drop of the active client with nobody waiting leaves the gate free", () => {
  const gate = new SerialGate<string, number>();
  gate.offer("a", 1);
  deepStrictEqual(gate.drop("a"), { items: [], next: undefined });
  strictEqual(gate.active, undefined);
  strictEqual(gate.offer("b", 10), true);
});

Deno.test("drop of an unknown client changes nothing", () => {
  const gate = new SerialGate<string, number>();
  gate.offer("a", 1);
  gate.offer("b", 10);
  deepStrictEqual(gate.drop("stranger"), { items: [], next: undefined });
  strictEqual(gate.active, "a");
  strictEqual(gate.waiting, 1);
});

Deno.test("clients are compared by identity", () => {
  const a = { name: "a" };
  const gate = new SerialGate<{ name: string }, string>();
  gate.offer(a, "x");
  strictEqual(gate.offer({ name: "a" }, "y"), false);
  strictEqual(gate.release({ name: "a" }), undefined);
  strictEqual(gate.active, a);
});
