import { MuxToServerTable } from "../../src/router/mux_to_server.ts";
import { assert, assertEquals } from "../_helpers/assert.ts";

Deno.test("the mux's own requests resolve with the server's answer, once", async () => {
  const own = new MuxToServerTable();
  const { id, answer } = own.add("ping", 1_000, 0);
  assert(id.startsWith("rmcp-mux:"), "ids live in the mux's own namespace");
  assert(own.resolve(id, { jsonrpc: "2.0", id, result: {} }));
  assertEquals((await answer).id, id);
  assertEquals(own.resolve(id, { jsonrpc: "2.0", id, result: {} }), false, "already answered");
});

Deno.test("an unanswered request fails at its deadline, naming its timeout", async () => {
  const own = new MuxToServerTable();
  const { answer } = own.add("resources/subscribe", 2_500, 1_000);
  assertEquals(own.expire(3_499), 3_500, "not yet: the next deadline is reported");
  own.expire(3_500);
  const failed = await answer;
  assert("error" in failed);
  assertEquals(failed.error.message, "no answer to resources/subscribe within 2.5 s");
});

Deno.test("failAll answers every open request (the server is gone)", async () => {
  const own = new MuxToServerTable();
  const answers = [own.add("a", 0, 0).answer, own.add("b", 0, 0).answer];
  assertEquals(own.expire(1e15), Infinity, "0 means no timeout");
  own.failAll(-32000, "server exited");
  for (const answer of await Promise.all(answers)) {
    assert("error" in answer && answer.error.message === "server exited");
  }
});
