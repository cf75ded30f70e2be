/**
 * Hosts over Streamable HTTP: real SDK clients (`StreamableHTTPClientTransport`)
 * and socket clients share one real reference server through one mux, and
 * every routing rule holds for the HTTP sessions.
 */

import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { assert, assertEquals, assertMatch } from "../_helpers/assert.ts";
import {
  connectHttpClient,
  eventually,
  postHeaders,
  rawPost,
  rawSession,
  startHttpMux,
} from "../_helpers/http.ts";
import {
  connectClient,
  everythingServer,
  fakeServer,
  RawConnection,
  textOf,
} from "../_helpers/mux.ts";

type Note = { method?: string; params?: Record<string, unknown>; id?: unknown };

/** Live processes whose command line carries `marker`. */
async function processesWith(marker: string): Promise<number[]> {
  const out = await new Deno.Command("ps", { args: ["-eo", "pid=,stat=,args="] }).output();
  return new TextDecoder().decode(out.stdout).split("\n")
    .map((line) => line.trim().split(/\s+/))
    .filter(([, stat, ...args]) => !stat?.startsWith("Z") && args.includes(marker))
    .map(([pid]) => Number(pid));
}

function answersSampling(client: Client, model: string, calls: string[] = []) {
  client.setRequestHandler(CreateMessageRequestSchema, () => {
    calls.push(model);
    return Promise.resolve({
      model,
      role: "assistant",
      content: { type: "text", text: `answer from ${model}` },
    });
  });
}

Deno.test("HTTP sessions and socket clients share one reference server, each with its own answers", async () => {
  const marker = `--rmcp-mux-test=${crypto.randomUUID()}`;
  await using m = await startHttpMux(everythingServer(marker));
  const http = await Promise.all([0, 1, 2].map((i) => connectHttpClient(m, `http-${i}`)));
  const socket = await Promise.all([0, 1].map((i) => connectClient(m.socket, `socket-${i}`)));
  try {
    const everyone = [...http, ...socket].map((c, i) => ({ client: c.client, i }));
    const results = await Promise.all(
      everyone.flatMap(({ client, i }) =>
        [0, 1, 2, 3].map(async (j) => ({
          i,
          j,
          text: textOf(
            await client.callTool({ name: "echo", arguments: { message: `c${i}-r${j}` } }),
          ),
        }))
      ),
    );
    for (const { i, j, text } of results) assertEquals(text, `Echo: c${i}-r${j}`);
    assertEquals(await processesWith(marker), [m.mux.status().server.pid]);
    for (const { client } of everyone) {
      assertEquals(client.getServerVersion()?.name, "mcp-servers/everything");
    }
    const sessions = m.mux.status().sessions;
    assertEquals(
      sessions.map((s) => `${s.name}:${s.transport}`).sort(),
      ["http-0:http", "http-1:http", "http-2:http", "socket-0:socket", "socket-1:socket"],
    );
    assert(sessions.every((s) => s.requests >= 4 && s.protocolVersion === "2025-11-25"));
    assertEquals(m.mux.status().httpUrl, m.url);
  } finally {
    for (const c of [...http, ...socket]) await c[Symbol.asyncDispose]();
  }
  // DELETE (the SDK's terminateSession) ends the HTTP sessions at once.
  await m.mux.waitForStatus((s) => s.clients.connected === 0, { timeoutMs: 10_000 });
  assertEquals(m.listener.sessions, 0);
});

Deno.test("progress over HTTP reaches its own session, even when tokens collide with a socket client's", async () => {
  await using m = await startHttpMux(everythingServer());
  await using h = await connectHttpClient(m, "h");
  await using s = await connectClient(m.socket, "s");
  const call = (client: Client) =>
    client.callTool(
      { name: "trigger-long-running-operation", arguments: { duration: 0.3, steps: 3 } },
      undefined,
      { onprogress: () => {} },
    );
  // Both SDK clients use their request id as the progress token: the same one.
  const [rh, rs] = await Promise.all([call(h.client), call(s.client)]);
  assertMatch(textOf(rh), /Long running operation completed/);
  assertMatch(textOf(rs), /Long running operation completed/);
  // Counted at the transports (the SDK's onprogress may miss one that shares a chunk with the reply).
  const tokens = (notes: { params?: Record<string, unknown> }[]) =>
    notes.map((n) => n.params?.progress);
  assertEquals(tokens(h.received.notifications("notifications/progress")), [1, 2, 3]);
  assertEquals(tokens(s.transport.notifications("notifications/progress")), [1, 2, 3]);
});

Deno.test("a cancel over HTTP stops the call upstream; the session goes on", async () => {
  await using m = await startHttpMux(everythingServer());
  await using h = await connectHttpClient(m, "h");
  const abort = new AbortController();
  let started!: () => void;
  const atServer = new Promise<void>((resolve) => started = resolve);
  const cancelled = h.client.callTool(
    { name: "trigger-long-running-operation", arguments: { duration: 30, steps: 60 } },
    undefined,
    { signal: abort.signal, onprogress: () => started() },
  ).then(() => "answered", () => "rejected");
  await atServer;
  abort.abort("changed my mind");
  assertEquals(await cancelled, "rejected");
  // The mux forgot it (cancelled upstream); the session is still good.
  await eventually(() => m.mux.status().pendingRequests === 0, 10_000, "the call to be cancelled");
  const echo = await h.client.callTool({ name: "echo", arguments: { message: "still here" } });
  assertEquals(textOf(echo), "Echo: still here");
});

Deno.test("sampling and elicitation reach the HTTP session that caused them", async () => {
  await using m = await startHttpMux(everythingServer());
  const calls: string[] = [];
  await using h = await connectHttpClient(m, "h", { sampling: {}, elicitation: {} }, {
    setup: (c) => {
      answersSampling(c, "model-http", calls);
      c.setRequestHandler(
        ElicitRequestSchema,
        () => Promise.resolve({ action: "accept", content: { name: "Hattie" } }),
      );
    },
  });
  await using s = await connectClient(m.socket, "s", { sampling: {} }, {
    setup: (c) => answersSampling(c, "model-socket", calls),
  });
  // One after the other: with both in flight at once, only --serialize attributes exactly.
  const fromHttp = await h.client.callTool({
    name: "trigger-sampling-request",
    arguments: { prompt: "p" },
  });
  const fromSocket = await s.client.callTool({
    name: "trigger-sampling-request",
    arguments: { prompt: "p" },
  });
  assertMatch(textOf(fromHttp), /model-http/);
  assertMatch(textOf(fromSocket), /model-socket/);
  assertEquals(calls.sort(), ["model-http", "model-socket"]);
  const elicited = await h.client.callTool({ name: "trigger-elicitation-request", arguments: {} });
  assertMatch(textOf(elicited), /Hattie/);
  // The server's request travelled on the stream of the call that caused it.
  assert(h.received.messages.some((msg) => (msg as Note).method === "sampling/createMessage"));
});

Deno.test("resource updates reach a subscribed HTTP session on its GET stream, and nobody else", async () => {
  await using m = await startHttpMux(everythingServer());
  await using h = await connectHttpClient(m, "h");
  await using other = await connectHttpClient(m, "other");
  const uri = "demo://resource/static/document/features.md";
  await h.client.subscribeResource({ uri });
  await h.client.callTool({ name: "toggle-subscriber-updates", arguments: {} });
  const updated = (x: unknown) => (x as Note).method === "notifications/resources/updated";
  const update = await h.received.next(updated);
  assertEquals((update as Note).params?.uri, uri);
  await other.client.ping();
  assertEquals(other.received.messages.filter(updated).length, 0);
  await h.client.unsubscribeResource({ uri });
  await h.client.callTool({ name: "toggle-subscriber-updates", arguments: {} });
  assertEquals(m.mux.status().subscriptions, 0);
});

Deno.test("a session that vanishes without DELETE is reaped: its call cancelled, its subscription released", async () => {
  await using m = await startHttpMux(everythingServer(), {}, { sessionIdleMs: 400 });
  await using stayer = await connectHttpClient(m, "stayer");
  const id = await rawSession(m.url, m.token);
  const headers = postHeaders(m.token, { "mcp-session-id": id });
  const subscribed = await rawPost(
    m.url,
    JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "resources/subscribe",
      params: { uri: "demo://resource/static/document/features.md" },
    }),
    headers,
  );
  assertEquals(subscribed.status, 200);
  assertEquals(m.mux.status().subscriptions, 1);
  // A call whose client then goes away without a word.
  const abort = new AbortController();
  const call = fetch(m.url, {
    method: "POST",
    headers,
    signal: abort.signal,
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 2,
      method: "tools/call",
      params: { name: "trigger-long-running-operation", arguments: { duration: 60, steps: 1 } },
    }),
  }).then((r) => r.body?.cancel(), () => {});
  await eventually(() => m.mux.status().pendingRequests === 1, 10_000, "the call upstream");
  abort.abort();
  await call;
  // Reaped: the session, its in-flight call and its subscription are gone.
  const status = await eventually(
    () => {
      const now = m.mux.status();
      return now.sessions.every((c) => c.name !== "raw") && now;
    },
    20_000,
    "the abandoned session to be reaped",
  );
  assertEquals(status.pendingRequests, 0);
  assertEquals(status.subscriptions, 0);
  const gone = await rawPost(
    m.url,
    JSON.stringify({ jsonrpc: "2.0", id: 3, method: "ping" }),
    headers,
  );
  assertEquals(gone.status, 404);
  assertMatch(JSON.parse(gone.text).error.message, /Session not found/);
  // The session with an open GET stream was never idle, so it stays.
  assertEquals(
    textOf(await stayer.client.callTool({ name: "echo", arguments: { message: "x" } })),
    "Echo: x",
  );
});

Deno.test("a server killed mid-request: the HTTP session gets the error at once and carries on", async () => {
  await using m = await startHttpMux(fakeServer());
  await using h = await connectHttpClient(m, "h");
  const first = (await m.mux.waitFor("running", { timeoutMs: 20_000 })).pid!;
  let atServer!: () => void;
  const progressed = new Promise<void>((resolve) => atServer = resolve);
  const inFlight = h.client.callTool(
    { name: "sleep", arguments: { ms: 60_000 } },
    undefined,
    { onprogress: () => atServer() },
  ).then(() => null, (error: Error) => error);
  await progressed;
  Deno.kill(first, "SIGKILL");
  const error = await inFlight;
  assert(error instanceof Error, "the request fails, it does not hang");
  assertMatch(error.message, /exited/);
  await m.mux.waitFor((s) => s.phase === "running" && s.pid !== first, { timeoutMs: 20_000 });
  const echo = await h.client.callTool({ name: "echo", arguments: { text: "again" } });
  assertEquals(textOf(echo), "again");
});

Deno.test("status tells the transports apart: socket, http, and proxy (which says so first)", async () => {
  await using m = await startHttpMux(fakeServer());
  await using h = await connectHttpClient(m, "over-http");
  await using plain = await RawConnection.open(m.socket);
  await plain.initialize();
  await using proxied = await RawConnection.open(m.socket);
  // What `rmcp-mux proxy` sends as its very first line (tests/router: never forwarded nor answered).
  await proxied.send({ jsonrpc: "2.0", method: "rmcp-mux/hello", params: { transport: "proxy" } });
  await proxied.initialize("2025-06-18");
  await h.client.ping();
  const transports = m.mux.status().sessions.map((s) => `${s.name}:${s.transport}`).sort();
  assertEquals(transports, ["over-http:http", "raw:proxy", "raw:socket"]);
});
