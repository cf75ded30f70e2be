/**
 * MCP 2026-07-28 over HTTP on the wire (raw POSTs): requests of different
 * clients with the same id never meet, progress and log lines ride the
 * stream of their own request under its own token, a legacy server's
 * question comes back as `input_required` whose handle opens only that
 * call, and open listens end gracefully when the listener stops.
 */

import { ErrorCode } from "../../src/jsonrpc/codes.ts";
import { assert, assertEquals, assertMatch } from "../_helpers/assert.ts";
import { startHttpMux } from "../_helpers/http.ts";
import {
  envelope,
  modernHeaders,
  modernPost,
  modernRequest,
  type Recorded,
} from "../_helpers/modern_http.ts";
import { everythingServer, modernServer, textOf } from "../_helpers/mux.ts";

async function ready(server = modernServer("--reject-legacy")) {
  const m = await startHttpMux(server);
  await m.mux.waitFor("running", { timeoutMs: 30_000 });
  return m;
}

Deno.test("many clients' requests with the same id at once: each gets its own answer", async () => {
  await using m = await ready();
  const texts = Array.from({ length: 24 }, (_, i) => `client-${i}`);
  const answers = await Promise.all(texts.map((text) =>
    modernPost(
      m.url,
      m.token,
      modernRequest(1, "tools/call", { name: "echo", arguments: { text } }),
    )
  ));
  for (const [i, answer] of answers.entries()) {
    assertEquals(answer.status, 200);
    assertEquals(answer.messages.length, 1);
    assertEquals(answer.messages[0]?.id, 1);
    assertEquals(textOf(answer.messages[0]?.result), texts[i]);
  }
  assertEquals(m.listener.requests, 0);
});

Deno.test("progress and log lines ride the request's own stream, under its own token, then the answer", async () => {
  await using m = await ready();
  const slow = {
    jsonrpc: "2.0",
    id: "s1",
    method: "tools/call",
    params: { name: "slow", arguments: { steps: 2 }, _meta: { ...envelope(), progressToken: 1 } },
  };
  const logged = {
    jsonrpc: "2.0",
    id: "g1",
    method: "tools/call",
    params: {
      name: "log",
      arguments: { level: "info", text: "hello" },
      _meta: envelope({ "io.modelcontextprotocol/logLevel": "debug" }),
    },
  };
  // Two at once, both with token 1 in their own numbering: nothing crosses over.
  const [a, b] = await Promise.all([
    modernPost(m.url, m.token, slow),
    modernPost(m.url, m.token, { ...slow, id: "s2" }),
  ]);
  for (const [answer, id] of [[a, "s1"], [b, "s2"]] as const) {
    assertEquals(answer.headers.get("content-type"), "text/event-stream");
    const progress = answer.messages.filter((x) => x.method === "notifications/progress");
    assertEquals(progress.map((p) => p.params?.progressToken), [1, 1]);
    assertEquals(progress.map((p) => p.params?.progress), [1, 2]);
    const last = answer.messages.at(-1) as Recorded;
    assertEquals(last.id, id, "the answer ends the stream");
    assertEquals(textOf(last.result), "done after 2");
  }
  const log = await modernPost(m.url, m.token, logged);
  const line = log.messages.find((x) => x.method === "notifications/message");
  assertEquals(line?.params?.data, "hello");
  assertEquals((log.messages.at(-1) as Recorded).id, "g1");
});

Deno.test("a legacy server's question over HTTP: input_required with a handle that opens that call only", async () => {
  await using m = await ready(everythingServer());
  const caps = { "io.modelcontextprotocol/clientCapabilities": { elicitation: { form: {} } } };
  const call = (id: string, name: string, extra: Record<string, unknown> = {}) => ({
    jsonrpc: "2.0",
    id,
    method: "tools/call",
    params: { name, arguments: {}, ...extra, _meta: envelope(caps) },
  });
  const first = await modernPost(m.url, m.token, call("c1", "trigger-elicitation-request"));
  const asked = first.messages[0]?.result as {
    resultType: string;
    inputRequests: Record<string, { method: string }>;
    requestState: string;
  };
  assertEquals(asked.resultType, "input_required");
  const [key, question] = Object.entries(asked.inputRequests)[0]!;
  assertEquals(question.method, "elicitation/create");
  assertEquals(m.listener.requests, 1, "the server's call is held for the retry");
  const answer = { inputResponses: { [key]: { action: "accept", content: { name: "raw" } } } };

  const unknown = await modernPost(
    m.url,
    m.token,
    call("c2", "trigger-elicitation-request", { ...answer, requestState: "not-a-handle" }),
  );
  assertEquals(unknown.messages[0]?.error?.code, ErrorCode.InvalidParams);
  assertMatch(unknown.messages[0]!.error!.message, /requestState is unknown or expired/);

  const stolen = await modernPost(
    m.url,
    m.token,
    call("c3", "echo", { ...answer, requestState: asked.requestState }),
  );
  assertEquals(stolen.messages[0]?.id, "c3");
  assertEquals(stolen.messages[0]?.error?.code, ErrorCode.InvalidParams);
  assertMatch(stolen.messages[0]!.error!.message, /belongs to another call/);
  assertEquals(m.listener.requests, 1, "still held for its own retry");

  const retry = await modernPost(
    m.url,
    m.token,
    call("c4", "trigger-elicitation-request", { ...answer, requestState: asked.requestState }),
  );
  assertEquals(retry.messages.at(-1)?.id, "c4");
  assertMatch(textOf(retry.messages.at(-1)?.result), /- Name: raw\b/);
  assertEquals(m.listener.requests, 0);
  assertEquals(m.mux.status().pendingRequests, 0);
});

Deno.test("open listens end with their graceful result when the listener stops", async () => {
  await using m = await ready();
  const listen = modernRequest("l1", "subscriptions/listen", {
    notifications: { toolsListChanged: true },
  });
  const response = await fetch(m.url, {
    method: "POST",
    headers: modernHeaders(m.token, listen),
    body: JSON.stringify(listen),
  });
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("acknowledged")) text += (await reader.read()).value;
  await m.listener.close();
  while (true) {
    const { done, value } = await reader.read();
    if (done) break;
    text += value;
  }
  const messages = text.split("\n").filter((l) => l.startsWith("data: ")).map((l) =>
    JSON.parse(l.slice(6))
  );
  const last = messages.at(-1);
  assertEquals(last.id, "l1");
  assertEquals(last.result.resultType, "complete");
  assertEquals(last.result._meta["io.modelcontextprotocol/subscriptionId"], "l1");
  assert(messages[0].method === "notifications/subscriptions/acknowledged");
});
