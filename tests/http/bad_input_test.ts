/**
 * Security and bad input over HTTP: every refusal is a clear HTTP status with
 * a JSON-RPC error body; nothing crashes and other sessions never notice.
 */

import { ErrorCode } from "../../src/jsonrpc/codes.ts";
import { assert, assertEquals, assertMatch } from "../_helpers/assert.ts";
import {
  connectHttpClient,
  eventually,
  messagesOf,
  postHeaders,
  rawPost,
  rawSession,
  startHttpMux,
} from "../_helpers/http.ts";
import { fakeServer, textOf } from "../_helpers/mux.ts";
import { literal, TYPED } from "../_helpers/cli.ts";

type ErrorBody = { jsonrpc: string; id: unknown; error: { code: number; message: string } };

function errorOf(text: string): ErrorBody["error"] {
  const body = JSON.parse(text) as ErrorBody;
  assertEquals(body.jsonrpc, "2.0");
  return body.error;
}

const ping = (id: unknown = 1) => JSON.stringify({ jsonrpc: "2.0", id, method: "ping" });
const initialize = JSON.stringify({
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "x" } },
});

Deno.test("the token is required: 401 without it or with a wrong one, and the SDK client works with it", async () => {
  await using m = await startHttpMux(fakeServer());
  assert(m.token.length >= 43, "256 random bits");
  const mode = (await Deno.stat(m.listener.tokenFile!)).mode! & 0o777;
  assertEquals(mode, 0o600);
  const none = await rawPost(m.url, initialize, postHeaders(""));
  assertEquals(none.status, 401);
  assertEquals(none.headers.get("www-authenticate"), 'Bearer realm="rmcp-mux"');
  assertMatch(
    errorOf(none.text).message,
    new RegExp(
      `Authorization: Bearer <token> \\(print the token with "${literal(TYPED)} http token"\\)$`,
    ),
  );
  const wrong = await rawPost(m.url, initialize, postHeaders("not-the-token"));
  assertEquals(wrong.status, 401);
  assertMatch(errorOf(wrong.text).message, /wrong bearer token/);
  const get = await fetch(m.url, { headers: { accept: "text/event-stream" } });
  assertEquals(get.status, 401);
  await get.body?.cancel();
  await using c = await connectHttpClient(m);
  assertEquals(textOf(await c.client.callTool({ name: "echo", arguments: { text: "in" } })), "in");
  // A load balancer's health probe needs no token.
  const health = await fetch(new URL("/healthz", m.url));
  assertEquals([health.status, await health.text()], [200, '{"status":"ok"}']);
});

Deno.test("DNS rebinding: a foreign Host or Origin gets 403; the listener's own pass", async () => {
  await using m = await startHttpMux(fakeServer(), {}, { auth: "none" });
  const port = new URL(m.url).port;
  // fetch() will not send a Host of our choosing: write the request by hand.
  const post = async (extra: Record<string, string>) => {
    const headers = { host: `127.0.0.1:${port}`, ...postHeaders("", extra) };
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: Number(port) });
    const head = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join("");
    await conn.write(
      new TextEncoder().encode(
        `POST /mcp/svc HTTP/1.1\r\n${head}content-length: ${initialize.length}\r\n` +
          `connection: close\r\n\r\n${initialize}`,
      ),
    );
    const text = await new Response(conn.readable).text();
    const [statusLine = "", rest = ""] = text.split("\r\n\r\n", 2).length === 2
      ? [text.slice(0, text.indexOf("\r\n\r\n")), text.slice(text.indexOf("\r\n\r\n") + 4)]
      : [text, ""];
    const status = Number(statusLine.split(" ")[1]);
    const allowOrigin = /access-control-allow-origin: (\S+)/i.exec(statusLine)?.[1] ?? null;
    return { status, body: rest, allowOrigin };
  };
  const foreign: Record<string, string>[] = [
    { host: "evil.example.com" },
    { host: `evil.example.com:${port}` },
    { origin: "http://evil.example.com" },
    { origin: `http://localhost:${Number(port) + 1}` },
  ];
  for (const extra of foreign) {
    const response = await post(extra);
    assertEquals(response.status, 403, JSON.stringify(extra));
    assertMatch(errorOf(response.body).message, /^Forbidden/);
  }
  for (const host of [`127.0.0.1:${port}`, `localhost:${port}`]) {
    const response = await post({ host, origin: `http://${host}` });
    assertEquals(response.status, 200, host);
    assertEquals(response.allowOrigin, `http://${host}`);
  }
});

Deno.test("bad input: each gets its HTTP status and a JSON-RPC error; another session is undisturbed", async () => {
  await using m = await startHttpMux(fakeServer(), { maxRequestBytes: 4096 });
  await using bystander = await connectHttpClient(m, "bystander");
  const session = await rawSession(m.url, m.token);
  const inSession = postHeaders(m.token, { "mcp-session-id": session });
  const cases: [
    string,
    string | Uint8Array<ArrayBuffer>,
    Record<string, string>,
    number,
    number,
  ][] = [
    ["malformed JSON", "{not json", inSession, 400, ErrorCode.ParseError],
    [
      "invalid UTF-8",
      new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]),
      inSession,
      400,
      ErrorCode.ParseError,
    ],
    ["not JSON-RPC", '{"hello":"world"}', inSession, 400, ErrorCode.InvalidRequest],
    ["a JSON string", '"ping"', inSession, 400, ErrorCode.InvalidRequest],
    ["a batch (2025-11-25)", `[${ping(1)},${ping(2)}]`, inSession, 400, ErrorCode.InvalidRequest],
    ["no session id", ping(), postHeaders(m.token), 400, ErrorCode.InvalidRequest],
    [
      "an unknown session id",
      ping(),
      postHeaders(m.token, { "mcp-session-id": "no-such-session" }),
      404,
      ErrorCode.InvalidRequest,
    ],
    [
      "a garbage protocol version header",
      ping(),
      { ...inSession, "mcp-protocol-version": "garbage\u00e9" },
      400,
      ErrorCode.InvalidRequest,
    ],
    [
      "wrong content type",
      ping(),
      { ...inSession, "content-type": "text/plain" },
      415,
      ErrorCode.InvalidRequest,
    ],
    [
      "an Accept without event streams",
      ping(),
      { ...inSession, accept: "application/json" },
      406,
      ErrorCode.InvalidRequest,
    ],
    [
      "an oversized body",
      JSON.stringify({ jsonrpc: "2.0", id: 9, method: "ping", params: { pad: "x".repeat(5000) } }),
      inSession,
      413,
      ErrorCode.MessageTooLarge,
    ],
  ];
  for (const [what, body, headers, status, code] of cases) {
    const response = await rawPost(m.url, body, headers);
    assertEquals(response.status, status, what);
    assertEquals(response.headers.get("content-type"), "application/json", what);
    const error = errorOf(response.text);
    assertEquals(error.code, code, what);
    assert(error.message.length > 10, what);
  }
  const put = await fetch(m.url, { method: "PUT", headers: inSession, body: ping() });
  assertEquals(put.status, 405);
  assertEquals(put.headers.get("allow"), "GET, POST, DELETE");
  errorOf(await put.text());
  const get = await fetch(m.url, { headers: { ...inSession, accept: "application/json" } });
  assertEquals(get.status, 406);
  errorOf(await get.text());
  const noPath = await fetch(new URL("/elsewhere", m.url), { method: "POST", headers: inSession });
  assertEquals(noPath.status, 404);
  assertMatch(errorOf(await noPath.text()).message, /use one of: \/mcp\/svc/);
  // The session that sent all that still works, and so does everyone else.
  const ok = await rawPost(m.url, ping("after"), inSession);
  assertEquals(ok.status, 200);
  assertEquals(messagesOf(ok.text, ok.headers.get("content-type"))[0]?.result, {});
  assertEquals(
    textOf(await bystander.client.callTool({ name: "echo", arguments: { text: "ok" } })),
    "ok",
  );
});

Deno.test("a body sent without Content-Length (chunked) is read; past the limit it gets 413", async () => {
  await using m = await startHttpMux(fakeServer(), { maxRequestBytes: 4096 });
  const session = await rawSession(m.url, m.token);
  const headers = postHeaders(m.token, { "mcp-session-id": session });
  const streamed = (text: string) => {
    const bytes = new TextEncoder().encode(text);
    // Two chunks, so that the body has no declared length.
    return new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes.slice(0, 5));
        controller.enqueue(bytes.slice(5));
        controller.close();
      },
    });
  };
  const ok = await fetch(m.url, { method: "POST", headers, body: streamed(ping("chunked")) });
  const text = await ok.text();
  assertEquals(ok.status, 200);
  assertEquals(messagesOf(text, ok.headers.get("content-type"))[0]?.id, "chunked");
  const big = JSON.stringify({
    jsonrpc: "2.0",
    id: 2,
    method: "ping",
    params: { pad: "x".repeat(5000) },
  });
  const refused = await fetch(m.url, { method: "POST", headers, body: streamed(big) });
  assertEquals(refused.status, 413);
  assertEquals(errorOf(await refused.text()).code, ErrorCode.MessageTooLarge);
});

Deno.test("DELETE ends a session: 404 after it; a 2025-03-26 session's batch is answered as one array", async () => {
  await using m = await startHttpMux(fakeServer());
  const old = await rawSession(m.url, m.token, "2025-03-26");
  const headers = postHeaders(m.token, { "mcp-session-id": old });
  const batch = await rawPost(m.url, `[${ping(1)},${ping("two")}]`, headers);
  assertEquals(batch.status, 200);
  const answers = JSON.parse(batch.text) as { id: unknown; result: unknown }[];
  assertEquals(answers.map((a) => a.id).sort(), [1, "two"]);
  const deleted = await fetch(m.url, { method: "DELETE", headers });
  assertEquals(deleted.status, 200);
  await deleted.body?.cancel();
  await m.mux.waitForStatus((s) => s.clients.connected === 0, { timeoutMs: 10_000 });
  const after = await rawPost(m.url, ping(), headers);
  assertEquals(after.status, 404);
  assertMatch(errorOf(after.text).message, /Session not found.*initialize/);
});

Deno.test("http.max_sessions: one more session gets 503 naming the limit; a freed slot is reused", async () => {
  await using m = await startHttpMux(fakeServer(), {}, { maxSessions: 2 });
  const a = await rawSession(m.url, m.token);
  await rawSession(m.url, m.token);
  const refused = await rawPost(m.url, initialize, postHeaders(m.token));
  assertEquals(refused.status, 503);
  assertEquals(errorOf(refused.text).code, ErrorCode.TooManyClients);
  assertMatch(errorOf(refused.text).message, /http\.max_sessions 2/);
  const deleted = await fetch(m.url, {
    method: "DELETE",
    headers: postHeaders(m.token, { "mcp-session-id": a }),
  });
  await deleted.body?.cancel();
  await rawSession(m.url, m.token);
});

Deno.test("an SSE stream that drops mid-call is resumed with Last-Event-ID and gets its answer", async () => {
  await using m = await startHttpMux(fakeServer());
  const session = await rawSession(m.url, m.token);
  const headers = postHeaders(m.token, { "mcp-session-id": session });
  const response = await fetch(m.url, {
    method: "POST",
    headers,
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: "slow",
      method: "tools/call",
      params: { name: "sleep", arguments: { ms: 600 }, _meta: { progressToken: "t" } },
    }),
  });
  assertEquals(response.headers.get("content-type"), "text/event-stream");
  // Read up to the first progress event, then drop the connection.
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!/"progressToken":"t"/.test(text)) text += (await reader.read()).value ?? "";
  await reader.cancel();
  const ids = [...text.matchAll(/^id: (\S+)$/gm)].map((match) => match[1]!);
  assert(ids.length >= 2, "a priming event, then the progress event");
  assert(text.startsWith(`id: ${ids[0]}\nretry: `), "the priming event comes first");
  const resumed = await fetch(m.url, {
    headers: { ...headers, accept: "text/event-stream", "last-event-id": ids.at(-1)! },
  });
  assertEquals(resumed.status, 200);
  const rest = messagesOf(await resumed.text(), "text/event-stream");
  const answer = rest.find((msg) => msg.id === "slow");
  assert(answer && "result" in answer, "the answer arrives on the resumed stream");
  assert(rest.every((msg) => msg.id === "slow" || msg.method === "notifications/progress"));
  // The stream is finished: resuming it again gets 204, nothing more to say.
  const again = await fetch(m.url, {
    headers: { ...headers, accept: "text/event-stream", "last-event-id": ids.at(-1)! },
  });
  assertEquals(again.status, 204);
  await again.body?.cancel();
});

Deno.test("a cancelled request's POST ends at once, without an answer, and the session can go idle", async () => {
  await using m = await startHttpMux(fakeServer());
  const session = await rawSession(m.url, m.token);
  const headers = postHeaders(m.token, { "mcp-session-id": session });
  const pending = fetch(m.url, {
    method: "POST",
    headers,
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 7,
      method: "tools/call",
      params: { name: "sleep", arguments: { ms: 60_000 } },
    }),
  });
  await eventually(() => m.mux.status().pendingRequests === 1, 10_000, "the call upstream");
  const cancel = await rawPost(
    m.url,
    JSON.stringify({
      jsonrpc: "2.0",
      method: "notifications/cancelled",
      params: { requestId: 7, reason: "no longer needed" },
    }),
    headers,
  );
  assertEquals(cancel.status, 202);
  const ended = await pending;
  assertEquals(ended.status, 200);
  assertEquals(ended.headers.get("content-type"), "text/event-stream");
  assertEquals(await ended.text(), "", "no answer, no event id to resume from");
  await eventually(() => m.mux.status().pendingRequests === 0, 10_000, "the upstream cancel");
});

Deno.test("--max-active-clients counts HTTP sessions too: one over the limit waits, then gets -32004", async () => {
  await using m = await startHttpMux(fakeServer(), { maxActiveClients: 1, clientWaitMs: 200 });
  await using first = await connectHttpClient(m, "first");
  const refused = await rawPost(m.url, initialize, postHeaders(m.token));
  assertEquals(refused.status, 200);
  const [answer] = messagesOf(refused.text, refused.headers.get("content-type"));
  assertEquals((answer?.error as { code: number }).code, ErrorCode.TooManyClients);
  assertMatch((answer?.error as { message: string }).message, /--max-active-clients 1/);
  // The refused session is gone; the served one never noticed.
  const session = refused.headers.get("mcp-session-id")!;
  const after = await rawPost(m.url, ping(), postHeaders(m.token, { "mcp-session-id": session }));
  assertEquals(after.status, 404);
  assertEquals(
    textOf(await first.client.callTool({ name: "echo", arguments: { text: "1" } })),
    "1",
  );
});
