/**
 * Roots that stay fresh, with the real SDK client and reference server: a
 * client that registers its roots handler after `connect()` first answers
 * "method not found"; the mux asks it again and the server sees its roots.
 */

import { ListRootsRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { assertMatch } from "../_helpers/assert.ts";
import { connectClient, everythingServer, startMux, textOf } from "../_helpers/mux.ts";

type Note = { method?: string; id?: unknown; error?: unknown; params?: { data?: unknown } };

Deno.test("a roots handler registered after connect is seen by the server", async () => {
  await using m = await startMux(everythingServer());
  await using late = await connectClient(m.socket, "late", { roots: { listChanged: true } });
  // The mux asked at once; without a handler yet, the SDK answered with an error.
  const refused = Promise.withResolvers<void>();
  const send = late.transport.send.bind(late.transport);
  late.transport.send = (message: JSONRPCMessage) => {
    if ((message as Note).error) refused.resolve();
    return send(message);
  };
  await refused.promise;
  late.client.setRequestHandler(
    ListRootsRequestSchema,
    () => Promise.resolve({ roots: [{ uri: "file:///late-project", name: "late" }] }),
  );
  const mark = late.transport.received.length;
  await late.client.ping(); // any request (or the server asking) makes the mux ask again
  await late.transport.next(
    (x) =>
      (x as Note).method === "notifications/message" &&
      /Roots updated: 1 root/.test(String((x as Note).params?.data)),
    mark,
  );
  const roots = textOf(await late.client.callTool({ name: "get-roots-list", arguments: {} }));
  assertMatch(roots, /file:\/\/\/late-project/);
});
