/**
 * A daemon's service that stops (`rmcp-mux stop NAME`) or leaves the config
 * file (a reload) while HTTP sessions use it: its mux ends them, so a call in
 * flight gets a JSON-RPC error at once and the session's next request a 404
 * in words — never a hang — while other services' sessions carry on.
 */

import { McpError } from "@modelcontextprotocol/sdk/types.js";
import type { DaemonService } from "../../src/daemon/daemon.ts";
import { ErrorCode } from "../../src/jsonrpc/codes.ts";
import { assert, assertEquals, assertMatch } from "../_helpers/assert.ts";
import { startDashboardDaemon } from "../_helpers/dashboard.ts";
import { connectHttpClient } from "../_helpers/http.ts";
import { fakeServer, FAST } from "../_helpers/mux.ts";
import { literal, TYPED } from "../_helpers/cli.ts";

/** What a rejected call says (the SDK's error for a JSON-RPC error or an HTTP status). */
async function failure(call: Promise<unknown>): Promise<Error> {
  try {
    await call;
  } catch (error) {
    return error as Error;
  }
  throw new Error("the call succeeded");
}

/** The HTTP status of the SDK's error for a refused POST. */
function statusOf(error: Error): unknown {
  return (error as Error & { code?: unknown }).code;
}

Deno.test("a service stopped or removed by a reload ends its HTTP sessions: an error at once, then 404 in words", async () => {
  let file: (dir: string) => DaemonService[] = (dir) => [
    { name: "a", options: { ...FAST, ...fakeServer(), socket: `${dir}/a.sock` } },
    { name: "b", options: { ...FAST, ...fakeServer(), socket: `${dir}/b.sock` } },
  ];
  let dir = "";
  await using f = await startDashboardDaemon((d) => file(dir = d), {
    reload: () => Promise.resolve(file(dir)),
  });
  const base = `${f.origin}/mcp`;
  await using a = await connectHttpClient({ url: `${base}/a`, token: f.token }, "a-client");
  await using b = await connectHttpClient({ url: `${base}/b`, token: f.token }, "b-client");
  assertEquals(f.daemon.status().http!.sessions, 2);

  // A call in flight on b when b stops: answered with an error, not left hanging.
  const { promise: atServer, resolve: reached } = Promise.withResolvers<void>();
  const inFlight = failure(
    b.client.callTool({ name: "sleep", arguments: { ms: 60_000 } }, undefined, {
      timeout: 120_000,
      onprogress: () => reached(), // the server is working on it
    }),
  );
  await atServer;
  await f.daemon.stop("b");
  const stopped = await inFlight;
  assert(stopped instanceof McpError, String(stopped));
  assertEquals((stopped as McpError).code, ErrorCode.ShuttingDown);
  assertMatch(
    stopped.message,
    new RegExp(
      'service "b" was stopped by `rmcp-mux stop b` \\(or the dashboard\\); tools/call was not ' +
        `completed: start the service again with \`${literal(TYPED)} start b\` and send it again$`,
    ),
  );
  assertEquals((stopped as McpError).data, { service: "b", reason: "stop" });
  assertEquals(f.daemon.status().http!.sessions, 1, "b's session is gone from the listener");

  const next = await failure(b.client.listTools());
  assertEquals(statusOf(next), 404);
  assertMatch(next.message, /no running service \\?"b\\?"/);
  assertEquals((await a.client.callTool({ name: "echo", arguments: { text: "on" } })).content, [
    { type: "text", text: "on" },
  ], "a's session is undisturbed");

  // Started again: the old session is not resurrected; it is told to start a new one.
  await f.daemon.start("b");
  const old = await failure(b.client.listTools());
  assertEquals(statusOf(old), 404);
  assertMatch(old.message, /Session not found.*Start a new session with initialize/);

  // a leaves the config file: a reload ends its session the same way, and says so.
  const { promise: atA, resolve: reachedA } = Promise.withResolvers<void>();
  const cut = failure(
    a.client.callTool({ name: "sleep", arguments: { ms: 60_000 } }, undefined, {
      timeout: 120_000,
      onprogress: () => reachedA(),
    }),
  );
  await atA;
  file = (d) => [{ name: "b", options: { ...FAST, ...fakeServer(), socket: `${d}/b.sock` } }];
  const report = await f.daemon.reload();
  assertEquals(report.removed, ["a"]);
  const removed = await cut;
  assertEquals((removed as McpError).code, ErrorCode.ShuttingDown);
  assertMatch(
    removed.message,
    /service "a" was removed from the config by a reload; tools\/call was not completed/,
  );
  assertEquals(f.daemon.status().http!.sessions, 0);
  const gone = await failure(a.client.listTools());
  assertEquals(statusOf(gone), 404);
  assertMatch(gone.message, /no running service \\?"a\\?"; this listener serves: \/mcp\/b/);
});
