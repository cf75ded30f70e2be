import { assertEquals } from "../_helpers/assert.ts";
import {
  MRTR_MAX_ROUNDS,
  planRound,
  retryParams,
  shimFailure,
} from "../../src/router/mrtr_shim.ts";

const id = () => "elicit-1";

Deno.test("planRound: each input request is a leg; URL elicitations get an elicitationId", () => {
  const round = planRound(
    {
      resultType: "input_required",
      inputRequests: {
        a: { method: "elicitation/create", params: { mode: "form", message: "m" } },
        b: {
          method: "elicitation/create",
          params: { mode: "url", message: "go", url: "https://x" },
        },
        c: { method: "sampling/createMessage", params: { messages: [], maxTokens: 1 } },
        d: { method: "roots/list" },
      },
      requestState: "s1",
    },
    1,
    id,
  );
  assertEquals(round, {
    kind: "ask",
    requestState: "s1",
    legs: [
      { key: "a", method: "elicitation/create", params: { mode: "form", message: "m" } },
      {
        key: "b",
        method: "elicitation/create",
        params: { mode: "url", message: "go", url: "https://x", elicitationId: "elicit-1" },
      },
      { key: "c", method: "sampling/createMessage", params: { messages: [], maxTokens: 1 } },
      { key: "d", method: "roots/list" },
    ],
  });
});

Deno.test("planRound: state-only rounds pause; bad shapes and too many rounds fail", () => {
  assertEquals(planRound({ requestState: "x" }, 1, id), { kind: "pause", requestState: "x" });
  assertEquals(planRound({ inputRequests: {}, requestState: "x" }, 1, id), {
    kind: "pause",
    requestState: "x",
  });
  assertEquals(planRound({}, 1, id).kind, "fail");
  assertEquals(planRound({ inputRequests: { k: { method: "tools/call" } } }, 1, id).kind, "fail");
  assertEquals(planRound({ inputRequests: [] }, 1, id).kind, "fail");
  assertEquals(planRound({ requestState: 5 }, 1, id).kind, "fail");
  const last = planRound({ inputRequests: { k: { method: "roots/list" } } }, MRTR_MAX_ROUNDS, id);
  assertEquals(last.kind, "ask");
  const over = planRound(
    { inputRequests: { k: { method: "roots/list" } } },
    MRTR_MAX_ROUNDS + 1,
    id,
  );
  assertEquals(over.kind, "fail");
});

Deno.test("retryParams: the call's params, this round's answers, requestState as it came", () => {
  const original = { name: "t", arguments: { a: 1 }, _meta: { progressToken: 3 } };
  assertEquals(retryParams(original, { k: { action: "accept" } }, "state\u2028é"), {
    name: "t",
    arguments: { a: 1 },
    _meta: { progressToken: 3 },
    inputResponses: { k: { action: "accept" } },
    requestState: "state\u2028é",
  });
  assertEquals(retryParams(original, undefined, "s"), { ...original, requestState: "s" });
  assertEquals(
    retryParams(
      { ...original, inputResponses: { old: 1 }, requestState: "old" },
      { k: 1 },
      undefined,
    ),
    {
      ...original,
      inputResponses: { k: 1 },
    },
  );
});

Deno.test("shimFailure: a tool error for tools/call, -32603 otherwise", () => {
  const tool = shimFailure("tools/call", 4, "no answer");
  assertEquals((tool as unknown as { result: { isError: boolean } }).result.isError, true);
  const prompt = shimFailure("prompts/get", 5, "no answer");
  assertEquals((prompt as unknown as { error: { code: number } }).error.code, -32603);
});
