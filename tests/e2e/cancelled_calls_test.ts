/**
 * A cancel is advisory: a server may go on with a cancelled call and ask a
 * question for it. Real SDK clients through the mux, the fixture
 * `stubborn_server.ts` (a real process that ignores cancels): the question
 * never reaches another client's handler; the server gets the mux's own
 * answer (sampling an error, elicitation `cancel`).
 */

import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
} from "@modelcontextprotocol/sdk/types.js";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { assertEquals, assertMatch, assertRejects } from "../_helpers/assert.ts";
import { connectClient, ROOT, startMux, type TestClient, textOf } from "../_helpers/mux.ts";

const stubbornServer = {
  cmd: Deno.execPath(),
  args: ["run", "-A", "--quiet", `${ROOT}tests/fixtures/stubborn_server.ts`],
  cwd: ROOT,
};

const CAPS = { sampling: {}, elicitation: { form: {} } };

/** A client whose sampling and elicitation handlers record that they ran. */
function connect(socket: string, name: string, ran: string[]): Promise<TestClient> {
  return connectClient(socket, name, CAPS, {
    setup: (client: Client) => {
      client.setRequestHandler(CreateMessageRequestSchema, () => {
        ran.push(`${name}: sampling`);
        return Promise.resolve({
          model: name,
          role: "assistant",
          content: { type: "text", text: `${name} saw it` },
        });
      });
      client.setRequestHandler(ElicitRequestSchema, () => {
        ran.push(`${name}: elicitation`);
        return Promise.resolve({ action: "accept", content: { ok: true } });
      });
    },
  });
}

/** Call a tool and resolve `arrived` once the server reports it has the call. */
function callArriving(
  c: TestClient,
  name: string,
  args: Record<string, unknown> = {},
  signal?: AbortSignal,
): { arrived: Promise<void>; result: Promise<unknown> } {
  const arrived = Promise.withResolvers<void>();
  const result = c.client.callTool({ name, arguments: args }, undefined, {
    signal,
    onprogress: () => arrived.resolve(),
  });
  result.catch(() => {}); // awaited by the test when it matters
  return { arrived: arrived.promise, result };
}

Deno.test("a call its client cancelled asks for sampling: no other client's handler runs, the server gets an error", async () => {
  await using m = await startMux(stubbornServer);
  const ran: string[] = [];
  await using a = await connect(m.socket, "a", ran);
  await using b = await connect(m.socket, "b", ran);
  // b is busy at the server: without the grace, the only client "with a request in flight".
  const park = callArriving(b, "park");
  await park.arrived;
  const abort = new AbortController();
  const work = callArriving(a, "work", { ask: "sampling" }, abort.signal);
  await work.arrived;
  abort.abort("the user changed their mind");
  await assertRejects(() => work.result);
  const answers = JSON.parse(textOf(await park.result));
  assertEquals(ran, [], "no handler ran: the question belonged to the cancelled call");
  assertEquals(answers.length, 1);
  assertEquals(answers[0].error.code, -32603);
  assertMatch(answers[0].error.message, /call that asked may have been cancelled/);
});

Deno.test("--serialize: a cancelled call's elicitation is answered cancel; the next client's turn waits until the server is done with it", async () => {
  await using m = await startMux(stubbornServer, { serialize: true });
  const ran: string[] = [];
  await using a = await connect(m.socket, "a", ran);
  await using b = await connect(m.socket, "b", ran);
  const abort = new AbortController();
  const work = callArriving(a, "work", { ask: "elicitation", late: true }, abort.signal);
  await work.arrived;
  // b's call waits for a's turn; the mux answers ping itself, after reading the call.
  const park = callArriving(b, "park");
  await b.client.ping();
  abort.abort("the user changed their mind");
  await assertRejects(() => work.result);
  // b's call goes up only once the server answered the cancelled call (after asking).
  const answers = JSON.parse(textOf(await park.result));
  assertEquals(ran, [], "neither handler ran");
  assertEquals(answers, [{ result: { action: "cancel" } }]);
});
