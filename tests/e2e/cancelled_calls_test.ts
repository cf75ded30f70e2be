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
import { CliProcess, runCli } from "../_helpers/cli.ts";
import { connectClient, ROOT, startMux, type TestClient, textOf } from "../_helpers/mux.ts";
import { tempDir } from "../_helpers/temp.ts";

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

// ── --cancel-grace-ms / cancel_grace_ms, through the real CLI ──────────────

/**
 * Under `--serialize`, a cancels its `work` while b's `park` waits for a's
 * turn; the server goes on with the cancelled call and asks for sampling.
 * Returns whose handlers ran and what the server was answered.
 */
async function cancelWhileNextWaits(socket: string): Promise<{ ran: string[]; answers: unknown }> {
  const ran: string[] = [];
  await using a = await connect(socket, "a", ran);
  await using b = await connect(socket, "b", ran);
  const abort = new AbortController();
  const work = callArriving(a, "work", { ask: "sampling" }, abort.signal);
  await work.arrived;
  const park = callArriving(b, "park");
  await b.client.ping(); // the mux has read b's call: it waits for a's turn
  abort.abort("the user changed their mind");
  await assertRejects(() => work.result);
  return { ran, answers: JSON.parse(textOf(await park.result)) };
}

/** With no grace: b's turn starts with the cancel, and b is asked the cancelled call's question. */
function assertNoGrace({ ran, answers }: { ran: string[]; answers: unknown }): void {
  assertEquals(ran, ["b: sampling"], "what 0 gives up: the question reached the next client");
  assertEquals((answers as { result: { model: string } }[])[0]?.result.model, "b");
}

Deno.test("--cancel-grace-ms 0 --serialize: the next turn starts with the cancel (no 5 s hold); bad values exit 2", async () => {
  await using dir = await tempDir("rmcp-mux-grace-");
  const socket = `${dir}/stubborn.sock`;
  await using mux = new CliProcess([
    "--socket",
    socket,
    "--serialize",
    "--cancel-grace-ms",
    "0",
    "--cmd",
    stubbornServer.cmd,
    "--",
    ...stubbornServer.args,
  ]);
  await mux.waitForLine(/Server initialized: stubborn-server/);
  assertNoGrace(await cancelWhileNextWaits(socket));
  for (const bad of ["60001", "5s"]) {
    const run = await runCli(["--socket", socket, "--cmd", "x", "--cancel-grace-ms", bad]);
    assertEquals(run.code, 2);
    assertMatch(
      run.stderr,
      new RegExp(
        `^rmcp-mux: --cancel-grace-ms: expected a whole number from 0 to 60000, got "${bad}"\n`,
      ),
    );
  }
});

Deno.test("cancel_grace_ms: a daemon reload applies it live, to the next cancel", async () => {
  await using dir = await tempDir("rmcp-mux-grace-");
  const config = `${dir}/mux.yaml`;
  const file = (extra: string) =>
    `servers:\n  stubborn:\n    socket: ${dir}/stubborn.sock\n    serialize: true\n` +
    `    cmd: ${stubbornServer.cmd}\n    args: ${JSON.stringify(stubbornServer.args)}\n${extra}`;
  await Deno.writeTextFile(config, file(""));
  await using daemon = new CliProcess(["--config", config]);
  await daemon.waitForLine(/Server initialized: stubborn-server/);
  await Deno.writeTextFile(config, file("    cancel_grace_ms: 0\n"));
  const reload = await runCli(["reload", "--config", config]);
  assertEquals(reload.code, 0, reload.stderr);
  assertMatch(reload.stdout, /applied in place: stubborn;/);
  assertMatch(reload.stdout, /\n {2}stubborn: cancelGraceMs changed/);
  assertNoGrace(await cancelWhileNextWaits(`${dir}/stubborn.sock`));
  assertEquals((await runCli(["shutdown", "--config", config])).code, 0);
});
