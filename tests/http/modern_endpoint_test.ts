/**
 * The 2026-07-28 endpoint driven directly (web-standard `Request`s, a real
 * mux, a fake clock): a call parked for its retry is let go when the retry
 * does not come in time, as the bridge's own handle would be.
 */

import { ModernEndpoint } from "../../src/http/modern_endpoint.ts";
import { muxLogger } from "../../src/log/logger.ts";
import { MRTR_HANDLE_TTL_MS } from "../../src/router/mrtr_bridge.ts";
import type { JsonRpcRequest } from "../../src/jsonrpc/message.ts";
import { assertEquals } from "../_helpers/assert.ts";
import { envelope, modernHeaders } from "../_helpers/modern_http.ts";
import { everythingServer, startMux } from "../_helpers/mux.ts";

Deno.test("a call parked for its retry is ended after MRTR_HANDLE_TTL_MS: the server's call is cancelled", async () => {
  await using t = await startMux(everythingServer());
  await t.mux.waitFor("running", { timeoutMs: 30_000 });
  let now = 1_000_000;
  const modern = new ModernEndpoint({ maxRequests: 4, log: muxLogger("http"), now: () => now });
  try {
    const body = {
      jsonrpc: "2.0" as const,
      id: 1,
      method: "tools/call",
      params: {
        name: "trigger-elicitation-request",
        arguments: {},
        _meta: envelope({ "io.modelcontextprotocol/clientCapabilities": { elicitation: {} } }),
      },
    };
    const text = JSON.stringify(body);
    const request = new Request("http://127.0.0.1/mcp", {
      method: "POST",
      headers: modernHeaders("", body),
      body: text,
    });
    const response = await modern.post(request, t.mux, body as JsonRpcRequest, text, body);
    const answer = await response.json();
    assertEquals(answer.result.resultType, "input_required");
    assertEquals(modern.size, 1, "parked");
    assertEquals(t.mux.status().pendingRequests, 1, "the server's call is held");
    now += MRTR_HANDLE_TTL_MS - 1;
    modern.sweep();
    assertEquals(modern.size, 1, "not yet");
    now += 1;
    modern.sweep();
    assertEquals(modern.size, 0, "let go");
    await t.mux.waitForStatus((s) => s.pendingRequests === 0 && s.sessions.length === 0, {
      timeoutMs: 20_000,
    });
  } finally {
    modern.close();
  }
});
