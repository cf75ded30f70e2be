/**
 * One 2026-07-28 POST's response: JSON when the answer comes alone and
 * soon (with the transport's statuses for the protocol's own errors), an
 * event stream without event ids otherwise, and a client that closes the
 * stream is noticed.
 */

import { answerStatus, ModernCall } from "../../src/http/modern_call.ts";
import { assertEquals } from "../_helpers/assert.ts";

const env = (gone: string[] = []) => ({
  now: () => 0,
  maxQueuedBytes: 1024,
  onGone: (_call: ModernCall, stalled: boolean) => void gone.push(stalled ? "stalled" : "gone"),
});

const answer = (id: number) =>
  JSON.stringify({ jsonrpc: "2.0", id, result: { resultType: "complete" } });
const error = (code: number) =>
  JSON.stringify({ jsonrpc: "2.0", id: 1, error: { code, message: "no" } });

Deno.test("modern call: an answer alone is JSON; protocol errors get their HTTP status", async () => {
  const call = new ModernCall(1, "tools/call", env());
  call.deliver(answer(1), true);
  const response = await call.response;
  assertEquals(response.headers.get("content-type"), "application/json");
  assertEquals(await response.text(), answer(1));
  assertEquals(call.answered, true);
  assertEquals(
    [-32601, -32020, -32021, -32022, -32600, -32602, -32603, -32004].map((c) =>
      answerStatus(error(c))
    ),
    [404, 400, 400, 400, 400, 200, 200, 503],
  );
  assertEquals(answerStatus(answer(1)), 200);
});

Deno.test("modern call: something before the answer makes an event stream without event ids", async () => {
  const call = new ModernCall(1, "tools/call", env());
  call.deliver(
    '{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":1}}',
    false,
  );
  call.deliver(answer(1), true);
  const response = await call.response;
  assertEquals(response.headers.get("content-type"), "text/event-stream");
  assertEquals(response.headers.get("x-accel-buffering"), "no");
  const text = await response.text();
  assertEquals(text.includes("id:"), false, "no resuming in 2026-07-28");
  assertEquals(text.split("\n\n").filter((e) => e.startsWith("data: ")).length, 2);
});

Deno.test("modern call: a slow answer starts the stream; a client that closes it is noticed", async () => {
  const gone: string[] = [];
  const call = new ModernCall(1, "tools/call", env(gone), { waitMs: 0 });
  const response = await call.response;
  assertEquals(response.headers.get("content-type"), "text/event-stream");
  await response.body!.cancel();
  assertEquals(gone, ["gone"]);
  call.deliver(answer(1), true); // too late: nothing breaks
  call.close();
});

Deno.test("modern call: closed before anything: an empty stream, and no timer is left behind", async () => {
  const call = new ModernCall(1, "subscriptions/listen", env());
  call.close();
  const response = await call.response;
  assertEquals(await response.text(), "");
  assertEquals(call.done, true);
});

Deno.test("modern call: a quiet stream gets a keep-alive comment, a busy one does not", async () => {
  let now = 0;
  const call = new ModernCall(1, "subscriptions/listen", { ...env(), now: () => now });
  call.deliver('{"jsonrpc":"2.0","method":"notifications/subscriptions/acknowledged"}', false);
  const reader = (await call.response).body!.pipeThrough(new TextDecoderStream()).getReader();
  assertEquals((await reader.read()).value?.startsWith("data: "), true);
  now = 14_999;
  call.keepalive(15_000);
  now = 15_000;
  call.keepalive(15_000);
  assertEquals((await reader.read()).value, ": keepalive\n\n");
  call.close();
  assertEquals((await reader.read()).done, true);
});
