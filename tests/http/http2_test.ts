/**
 * The listener over HTTP/2 (cleartext, prior knowledge: what a proxy in
 * front may speak to it). HTTP/2 has no `Host` header; its `:authority` is
 * checked in its place, so DNS-rebinding protection holds and loopback
 * clients pass.
 */

import http2 from "node:http2";
import { assertEquals, assertMatch } from "../_helpers/assert.ts";
import { postHeaders } from "../_helpers/http.ts";
import { startHttpMux } from "../_helpers/http.ts";
import { fakeServer } from "../_helpers/mux.ts";

/** One HTTP/2 request on its own connection: status, headers and body. */
function h2(
  port: number,
  headers: Record<string, string>,
  body?: string,
): Promise<{ status: number; headers: http2.IncomingHttpHeaders; text: string }> {
  const { promise, resolve, reject } = Promise.withResolvers<
    { status: number; headers: http2.IncomingHttpHeaders; text: string }
  >();
  const session = http2.connect(`http://127.0.0.1:${port}`);
  session.on("error", reject);
  const request = session.request(headers, { endStream: body === undefined });
  let response: http2.IncomingHttpHeaders = {};
  let text = "";
  request.setEncoding("utf8");
  request.on("response", (h) => response = h);
  request.on("data", (chunk: string) => text += chunk);
  request.on("error", reject);
  request.on("end", () => {
    session.close(() => resolve({ status: Number(response[":status"]), headers: response, text }));
  });
  if (body !== undefined) request.end(body);
  return promise;
}

Deno.test("HTTP/2 (cleartext): served like HTTP/1.1; its :authority is checked like a Host", async () => {
  await using m = await startHttpMux(fakeServer());
  const port = m.listener.port;
  const health = await h2(port, { ":method": "GET", ":path": "/healthz" });
  assertEquals([health.status, health.text], [200, '{"status":"ok"}']);

  const initialize = JSON.stringify({
    jsonrpc: "2.0",
    id: 1,
    method: "initialize",
    params: {
      protocolVersion: "2025-11-25",
      capabilities: {},
      clientInfo: { name: "h2", version: "1" },
    },
  });
  const post = (authority: string) =>
    h2(port, {
      ":method": "POST",
      ":path": "/mcp",
      ":authority": authority,
      ...postHeaders(m.token),
    }, initialize);
  const opened = await post(`127.0.0.1:${port}`);
  assertEquals(opened.status, 200, opened.text);
  assertMatch(String(opened.headers["mcp-session-id"]), /^[0-9a-f-]{36}$/);
  assertMatch(opened.text, /"serverInfo":\{"name":"fake-server"/);

  // A DNS-rebinding page reaches the port under its own name: refused over HTTP/2 as well.
  const rebound = await post(`rebind.example:${port}`);
  assertEquals(rebound.status, 403);
  assertMatch(
    rebound.text,
    /Host \\"rebind\.example:\d+\\" is not this listener's loopback address/,
  );
});
