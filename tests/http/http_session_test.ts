/**
 * One HTTP session's streams, without a network: a client that stops reading
 * its event stream is cut off at the bound (`maxClientBacklogBytes`), with a
 * log line — the backlog never grows without limit.
 */

import type { Logger } from "@logtape/logtape";
import { ErrorCode } from "../../src/jsonrpc/codes.ts";
import { HttpSession } from "../../src/http/http_session.ts";
import { assert, assertEquals, assertMatch } from "../_helpers/assert.ts";

/** A logger that keeps its warnings. */
function recordingLog(warnings: string[]): Logger {
  const keep = (message: string, props?: Record<string, unknown>) =>
    warnings.push(message.replace(/\{(\w+)\}/g, (_, k) => String(props?.[k])));
  return { warn: keep, info: () => {}, debug: () => {}, error: keep } as unknown as Logger;
}

Deno.test("a GET stream whose client stops reading is closed past the bound, with a log line", async () => {
  const warnings: string[] = [];
  const bound = 4096;
  const session = new HttpSession("5e551011-0000-4000-8000-000000000000", "svc", {
    now: () => 0,
    log: recordingLog(warnings),
    maxQueuedBytes: bound,
    onEnd: () => {},
  });
  const response = await session.openGet().response;
  assertEquals(response.headers.get("content-type"), "text/event-stream");
  // The server keeps talking; the client reads nothing.
  const line = JSON.stringify({
    jsonrpc: "2.0",
    method: "notifications/message",
    params: { level: "info", data: "x".repeat(200) },
  });
  for (let i = 0; i < 200; i++) session.send(line); // ≈ 50 KiB: far past the bound
  assertEquals(warnings.length, 1, warnings.join("\n"));
  assertMatch(
    warnings[0]!,
    /HTTP session 5e551011 of svc is not reading its get stream: more than 4096 bytes queued; closed that stream/,
  );
  // What was queued before the cut is still delivered, then the stream ends (no hang).
  const text = await response.text();
  assert(text.length <= bound + line.length + 64, `${text.length} bytes reached the client`);
  assertMatch(text, /notifications\/message/);
  assert(session.idle, "no stream of the client is open any more");
  session.end(ErrorCode.InternalError, "test over");
});
