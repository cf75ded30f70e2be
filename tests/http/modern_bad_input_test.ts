/**
 * MCP 2026-07-28 over HTTP, refused: headers that disagree with the body
 * (400 + HeaderMismatch -32020), a missing token or a foreign Origin, what
 * the revision does not have (client notifications, a GET stream, DELETE),
 * unknown methods and versions, the limit on requests held open, and
 * `client` isolation. Each is a clear HTTP status with a JSON-RPC error
 * body naming what to do; the mux keeps serving everyone else.
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
import { modernServer, textOf } from "../_helpers/mux.ts";

type Answer = Awaited<ReturnType<typeof modernPost>>;

/** The error of a refused POST. */
function errorOf(answer: Answer): { code: number; message: string; data?: unknown } {
  const error = answer.messages[0]?.error;
  assert(error, `a JSON-RPC error body: ${answer.text}`);
  return error;
}

const echo = (id: number | string = 1, text = "hi") =>
  modernRequest(id, "tools/call", { name: "echo", arguments: { text } });

async function ready() {
  const m = await startHttpMux(modernServer("--reject-legacy"));
  await m.mux.waitFor("running", { timeoutMs: 30_000 });
  return m;
}

Deno.test("a request with the transport's headers is answered as JSON, without a session", async () => {
  await using m = await ready();
  const answer = await modernPost(m.url, m.token, echo(7, "plain"));
  assertEquals(answer.status, 200);
  assertEquals(answer.headers.get("content-type"), "application/json");
  assertEquals(answer.headers.get("mcp-session-id"), null, "no session is minted");
  const [message] = answer.messages as Recorded[];
  assertEquals(message?.id, 7);
  assertEquals(message?.result?.resultType, "complete");
  assertEquals(textOf(message?.result), "plain");
  // A session id of a 2025 client on such a request is no session of ours: refused as one.
  const stale = await modernPost(m.url, m.token, echo(8), { "mcp-session-id": "nope" });
  assertEquals(stale.status, 404);
});

Deno.test("headers that disagree with the body: 400 with HeaderMismatch (-32020) naming the header", async () => {
  await using m = await ready();
  const cases: [string, Record<string, unknown>, Record<string, string | null>, RegExp][] = [
    [
      "Mcp-Method differs",
      echo(),
      { "mcp-method": "tools/list" },
      /Mcp-Method header value 'tools\/list' does not match body value 'tools\/call'/,
    ],
    ["Mcp-Method missing", echo(), { "mcp-method": null }, /Mcp-Method header is missing/],
    [
      "Mcp-Name differs",
      echo(),
      { "mcp-name": "other" },
      /Mcp-Name header value 'other' does not match body value 'echo'/,
    ],
    ["Mcp-Name missing", echo(), { "mcp-name": null }, /Mcp-Name header is missing/],
    [
      "Mcp-Name badly encoded",
      echo(),
      { "mcp-name": "=?base64?not base64?=" },
      /Mcp-Name header value .* is malformed/,
    ],
    [
      "resources/read names another URI",
      modernRequest(2, "resources/read", { uri: "fixture://counter" }),
      { "mcp-name": "fixture://other" },
      /Mcp-Name header value 'fixture:\/\/other' does not match body value 'fixture:\/\/counter'/,
    ],
    [
      "MCP-Protocol-Version missing",
      echo(),
      { "mcp-protocol-version": null },
      /MCP-Protocol-Version header is missing/,
    ],
    [
      "MCP-Protocol-Version differs from the envelope",
      modernRequest(3, "tools/list", { _meta: envelope() }),
      { "mcp-protocol-version": "2026-09-01" },
      /MCP-Protocol-Version header value '2026-09-01' does not match body value '2026-07-28'/,
    ],
  ];
  for (const [what, body, headers, message] of cases) {
    const answer = await modernPost(m.url, m.token, body, headers);
    assertEquals(answer.status, 400, what);
    const error = errorOf(answer);
    assertEquals(error.code, ErrorCode.HeaderMismatch, what);
    assertMatch(error.message, message, what);
    assertEquals(answer.messages[0]?.id, body.id, `${what}: the request's id`);
  }
  // The same name in the Base64 form decodes to the body's value: accepted.
  const encoded = await modernPost(m.url, m.token, echo(9, "b64"), {
    "mcp-name": `=?base64?${btoa("echo")}?=`,
  });
  assertEquals([encoded.status, textOf(encoded.messages[0]?.result)], [200, "b64"]);
  assertEquals(m.listener.requests, 0, "nothing was started for a refused request");
});

Deno.test("Mcp-Param-* headers are checked against a listed tool's x-mcp-header parameters", async () => {
  await using m = await ready();
  const call = (args: Record<string, unknown>) =>
    modernRequest(5, "tools/call", { name: "forecast", arguments: args });
  // Before the mux has seen the tool's schema it cannot know what to check: it passes.
  const unseen = await modernPost(m.url, m.token, call({ region: "eu" }));
  assertEquals(unseen.status, 200);
  const list = await modernPost(m.url, m.token, modernRequest(4, "tools/list"));
  assertEquals(list.status, 200);
  const cases: [string, Record<string, unknown>, Record<string, string>, number, RegExp?][] = [
    ["missing", { region: "eu" }, {}, 400, /Mcp-Param-Region header is missing/],
    [
      "differs",
      { region: "eu" },
      { "mcp-param-region": "us" },
      400,
      /'us' does not match body value 'eu'/,
    ],
    [
      "set without a value",
      { region: "eu" },
      { "mcp-param-region": "eu", "mcp-param-days": "2" },
      400,
      /Mcp-Param-Days is set, but the body has no value at arguments.days/,
    ],
    [
      "integer differs",
      { region: "eu", days: 3 },
      { "mcp-param-region": "eu", "mcp-param-days": "4" },
      400,
      /'4' does not match body value 3/,
    ],
    [
      "matches",
      { region: "eu", days: 3 },
      { "mcp-param-region": "eu", "mcp-param-days": "3.0" },
      200,
    ],
    ["matches, Base64", { region: "Zürich" }, {
      "mcp-param-region": `=?base64?${
        btoa(String.fromCharCode(...new TextEncoder().encode("Zürich")))
      }?=`,
    }, 200],
  ];
  for (const [what, args, headers, status, message] of cases) {
    const answer = await modernPost(m.url, m.token, call(args), headers);
    assertEquals(answer.status, status, `${what}: ${answer.text}`);
    if (message) {
      assertEquals(errorOf(answer).code, ErrorCode.HeaderMismatch, what);
      assertMatch(errorOf(answer).message, message, what);
    }
  }
});

Deno.test("the token and the Origin check guard 2026-07-28 requests too", async () => {
  await using m = await ready();
  const none = await modernPost(m.url, "", echo());
  assertEquals(none.status, 401);
  assertMatch(errorOf(none).message, /Authorization: Bearer <token>/);
  const wrong = await modernPost(m.url, "not-the-token", echo());
  assertEquals(wrong.status, 401);
  const foreign = await modernPost(m.url, m.token, echo(), { origin: "https://evil.example.com" });
  assertEquals(foreign.status, 403);
  assertMatch(
    errorOf(foreign).message,
    /Origin "https:\/\/evil.example.com" may not use this listener/,
  );
  assertEquals(m.mux.status().clients.connected, 0, "no client was opened for them");
});

Deno.test("what 2026-07-28 does not have over HTTP, unknown methods and versions: clear refusals", async () => {
  await using m = await ready();
  const note = {
    jsonrpc: "2.0",
    method: "notifications/cancelled",
    params: { requestId: 1, _meta: envelope() },
  };
  const cancelled = await modernPost(m.url, m.token, note);
  assertEquals(cancelled.status, 400);
  assertMatch(errorOf(cancelled).message, /cancel a request by closing its response stream/);
  const response = await modernPost(m.url, m.token, { jsonrpc: "2.0", id: 1, result: {} }, {
    "mcp-protocol-version": "2026-07-28",
  });
  assertEquals(response.status, 400);
  assertMatch(errorOf(response).message, /sends no responses/);
  const batch = await modernPost(
    m.url,
    m.token,
    [echo(1), echo(2)] as unknown as Record<string, unknown>,
    {
      "mcp-protocol-version": "2026-07-28",
    },
  );
  assertEquals(batch.status, 400);
  assertMatch(errorOf(batch).message, /batches are not part of MCP 2026-07-28/);
  for (const method of ["GET", "DELETE"]) {
    const r = await fetch(m.url, {
      method,
      headers: modernHeaders(m.token, {}, { "mcp-protocol-version": "2026-07-28" }),
    });
    const body = await r.json();
    assertEquals(r.status, 405, method);
    assertEquals(r.headers.get("allow"), "POST");
    assertMatch(
      body.error.message,
      method === "GET" ? /POST subscriptions\/listen/ : /no sessions to DELETE/,
    );
  }
  // Not a method of 2026-07-28 (ping), and one the server does not have: 404 with -32601.
  for (const method of ["ping", "no/such-method"]) {
    const answer = await modernPost(m.url, m.token, modernRequest(6, method));
    assertEquals(answer.status, 404, method);
    assertEquals(errorOf(answer).code, ErrorCode.MethodNotFound, method);
  }
  // A revision the mux does not serve: 400 with -32022 and the versions it does.
  const future = {
    ...echo(),
    params: {
      name: "echo",
      arguments: { text: "x" },
      _meta: envelope({ "io.modelcontextprotocol/protocolVersion": "2027-01-01" }),
    },
  };
  const unsupported = await modernPost(m.url, m.token, future);
  assertEquals(unsupported.status, 400);
  assertEquals(errorOf(unsupported).code, ErrorCode.UnsupportedProtocolVersion);
  assert((errorOf(unsupported).data as { supported: string[] }).supported.includes("2026-07-28"));
  // The header names 2026-07-28, the body carries no envelope: -32602 naming the key.
  const bare = { jsonrpc: "2.0", id: 11, method: "tools/list", params: {} };
  const noEnvelope = await modernPost(m.url, m.token, bare, {
    "mcp-protocol-version": "2026-07-28",
  });
  assertEquals(noEnvelope.status, 400);
  assertEquals(errorOf(noEnvelope).code, ErrorCode.InvalidParams);
  assertMatch(
    errorOf(noEnvelope).message,
    /io\.modelcontextprotocol\/protocolVersion"\] is required/,
  );
  // Too large: 413 before anything else.
  const big = echo(12, "x".repeat(m.mux.options.maxRequestBytes));
  assertEquals((await modernPost(m.url, m.token, big)).status, 413);
  // After all that, a good request still works.
  assertEquals((await modernPost(m.url, m.token, echo(13))).status, 200);
});

Deno.test("a browser on the listener's own origin may send the 2026-07-28 headers (CORS preflight)", async () => {
  await using m = await ready();
  const origin = new URL(m.url).origin;
  const r = await fetch(m.url, {
    method: "OPTIONS",
    headers: {
      origin,
      "access-control-request-method": "POST",
      "access-control-request-headers": "mcp-method, mcp-name, mcp-param-region, x-other",
    },
  });
  await r.body?.cancel();
  assertEquals(r.status, 204);
  assertEquals(r.headers.get("access-control-allow-origin"), origin);
  const allowed = r.headers.get("access-control-allow-headers")!.split(", ");
  for (const h of ["mcp-protocol-version", "mcp-method", "mcp-name", "mcp-param-region"]) {
    assert(allowed.includes(h), `${h} in ${allowed}`);
  }
  assert(!allowed.includes("x-other"));
});

Deno.test("a malformed %-escape in /mcp/NAME is a 400, not a crash", async () => {
  await using m = await ready();
  const base = new URL(m.url);
  for (const path of ["/mcp/%E0%A4%A", "/mcp/%", "/mcp/a%zz"]) {
    const r = await fetch(new URL(path, base), {
      method: "POST",
      headers: modernHeaders(m.token, echo()),
      body: JSON.stringify(echo()),
    });
    const body = await r.json();
    assertEquals(r.status, 400, path);
    assertMatch(body.error.message, /malformed %-escape; use one of: \/mcp\/svc/);
  }
  assertEquals((await modernPost(m.url, m.token, echo())).status, 200);
});

Deno.test("http.max_requests bounds the 2026-07-28 requests held open: one more gets 503 naming it", async () => {
  await using m = await startHttpMux(modernServer("--reject-legacy"), {}, { maxRequests: 1 });
  await m.mux.waitFor("running", { timeoutMs: 30_000 });
  const listen = modernRequest("l1", "subscriptions/listen", {
    notifications: { toolsListChanged: true },
  });
  const held = await fetch(m.url, {
    method: "POST",
    headers: modernHeaders(m.token, listen),
    body: JSON.stringify(listen),
  });
  assertEquals(held.headers.get("content-type"), "text/event-stream");
  const reader = held.body!.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  while (!seen.includes("notifications/subscriptions/acknowledged")) {
    seen += (await reader.read()).value;
  }
  assertEquals(m.listener.requests, 1);
  const refused = await modernPost(m.url, m.token, echo());
  assertEquals(refused.status, 503);
  assertEquals(refused.headers.get("retry-after"), "5");
  assertEquals(errorOf(refused).code, ErrorCode.TooManyClients);
  assertMatch(errorOf(refused).message, /http\.max_requests 1.*--http-max-requests/);
  await reader.cancel();
  await m.mux.waitForStatus((s) => s.eras.clients.modern === 0, { timeoutMs: 20_000 });
  assertEquals((await modernPost(m.url, m.token, echo())).status, 200, "room again once it closed");
});

Deno.test("client isolation: a 2026-07-28 request gets no process of its own; -32022 points to initialize", async () => {
  await using m = await startHttpMux(modernServer(), { isolation: "client" });
  const answer = await modernPost(m.url, m.token, echo());
  assertEquals(answer.status, 400);
  const error = errorOf(answer);
  assertEquals(error.code, ErrorCode.UnsupportedProtocolVersion);
  assertMatch(error.message, /isolation: client.*start a session with initialize/);
  assert(!(error.data as { supported: string[] }).supported.includes("2026-07-28"));
  const status = m.mux.status();
  assert(!status.processes.some((p) => p.key !== null), "no process was given to it");
  assertEquals(status.sessions, [], "and no client is left");
});
