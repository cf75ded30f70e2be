/** What clients are told when the mux stops (`upstream_failures.ts`): one message per reason. */

import { assertEquals } from "../_helpers/assert.ts";
import { ErrorCode } from "../../src/jsonrpc/codes.ts";
import type { CloseReason } from "../../src/router/upstream_failures.ts";
import { call, readyHarness } from "../_helpers/router_harness.ts";
import { TYPED } from "../_helpers/cli.ts";

const CAUSES: Record<CloseReason, string> = {
  stop: 'service "svc" was stopped by `rmcp-mux stop svc` (or the dashboard); ',
  removed: 'service "svc" was removed from the config by a reload; ',
  recreated: 'service "svc" was restarted by a reload that changed its socket or settings; ',
  shutdown: "rmcp-mux is shutting down; ",
};

const ADVICE: Record<CloseReason, string> = {
  // What to run: as this machine types it (plain `rmcp-mux` only when that is installed).
  stop: `: start the service again with \`${TYPED} start svc\` and send it again`,
  removed: `: the service is gone until the config names it again and \`${TYPED} reload\` runs`,
  recreated: ": connect to the service again and send it again",
  shutdown: ": send it again once rmcp-mux is back",
};

for (const reason of Object.keys(CAUSES) as CloseReason[]) {
  Deno.test(`stopping (${reason}): open and later requests get -32006 saying why`, async () => {
    using h = readyHarness();
    const a = h.initialized();
    h.fromClient(a, call(1));
    await h.upstream.next((m) => m.method === "tools/call");
    h.router.close(reason);
    const open = a.answer(1).error;
    assertEquals(open.code, ErrorCode.ShuttingDown);
    assertEquals(open.message, `${CAUSES[reason]}tools/call was not completed${ADVICE[reason]}`);
    assertEquals(open.data, { service: "svc", reason });
    h.fromClient(a, call(2, "echo"));
    const later = a.answer(2).error;
    assertEquals(later.code, ErrorCode.ShuttingDown);
    assertEquals(later.message, `${CAUSES[reason]}tools/call was not sent${ADVICE[reason]}`);
    h.router.close("shutdown"); // idempotent: the first reason stays
    h.fromClient(a, call(3));
    assertEquals(a.answer(3).error.data, { service: "svc", reason });
  });
}

Deno.test("stopping: a mux closed without a reason is shutting down", () => {
  using h = readyHarness();
  const a = h.initialized();
  h.router.close();
  h.fromClient(a, call(1));
  assertEquals(a.answer(1).error.data, { service: "svc", reason: "shutdown" });
});
