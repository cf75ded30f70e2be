import { assert, assertEquals, assertStrictEquals } from "../_helpers/assert.ts";
import {
  type Candidate,
  chooseClient,
  RELATED_TASK_META,
  relatedTaskOf,
  type Requirement,
  requirementOf,
} from "../../src/router/policy.ts";

const V2024 = "2024-11-05";
const V2025_03 = "2025-03-26";
const V2025_06 = "2025-06-18";
const V2025_11 = "2025-11-25";

/** The requirement for a method, which must exist. */
function need(method: string, params?: Record<string, unknown>): Requirement {
  const requirement = requirementOf(method, params);
  assert(requirement, `${method} should have a requirement`);
  return requirement;
}

const SAMPLING = need("sampling/createMessage", { messages: [], maxTokens: 10 });
const SAMPLING_TOOLS = need("sampling/createMessage", {
  messages: [],
  maxTokens: 10,
  tools: [{ name: "t", inputSchema: { type: "object" } }],
});
const FORM = need("elicitation/create", { message: "?", requestedSchema: { type: "object" } });
const URL_ELICIT = need("elicitation/create", {
  mode: "url",
  message: "?",
  url: "https://x",
  elicitationId: "e1",
});

const SAMPLING_CAPS = { sampling: {} };
const FORM_CAPS = { elicitation: {} };

function candidate(
  client: string,
  fields: Partial<Omit<Candidate<string>, "client">> = {},
): Candidate<string> {
  return {
    client,
    capabilities: SAMPLING_CAPS,
    protocolVersion: V2025_11,
    inFlight: 0,
    lastRequest: 0,
    ...fields,
  };
}

// --- requirementOf ---

Deno.test("sampling without tools is plain sampling", () => {
  assertStrictEquals(SAMPLING.label, "sampling");
  assertStrictEquals(need("sampling/createMessage", undefined).label, "sampling");
  assertStrictEquals(need("sampling/createMessage", { tools: [] }).label, "sampling");
});

Deno.test("sampling with a non-empty tools list needs sampling with tools", () => {
  assertStrictEquals(SAMPLING_TOOLS.label, "sampling with tools");
});

Deno.test("an elicitation without a mode, or in form mode, is a form elicitation", () => {
  assertStrictEquals(FORM.label, "form elicitation");
  assertStrictEquals(
    need("elicitation/create", { mode: "form", message: "?" }).label,
    "form elicitation",
  );
  assertStrictEquals(need("elicitation/create", undefined).label, "form elicitation");
});

Deno.test("an elicitation in url mode is a URL elicitation", () => {
  assertStrictEquals(URL_ELICIT.label, "URL elicitation");
});

Deno.test("other methods are not routed by the policy", () => {
  for (const method of ["roots/list", "ping", "tools/call", "notifications/message", ""]) {
    assertStrictEquals(requirementOf(method, {}), undefined, method);
  }
});

// --- covers ---

Deno.test("sampling needs the sampling capability, at any version", () => {
  assert(SAMPLING.covers({ sampling: {} }, V2024));
  assert(SAMPLING.covers({ sampling: { tools: {} } }, V2025_11));
  assertStrictEquals(SAMPLING.covers({}, V2025_11), false);
  assertStrictEquals(SAMPLING.covers({ elicitation: {} }, V2025_11), false);
  assertStrictEquals(SAMPLING.covers({ sampling: true }, V2025_11), false);
  assertStrictEquals(SAMPLING.covers({ sampling: null }, V2025_11), false);
});

Deno.test("sampling with tools needs sampling.tools and version 2025-11-25", () => {
  assert(SAMPLING_TOOLS.covers({ sampling: { tools: {} } }, V2025_11));
  assertStrictEquals(
    SAMPLING_TOOLS.covers({ sampling: {} }, V2025_11),
    false,
    "no tools capability",
  );
  assertStrictEquals(
    SAMPLING_TOOLS.covers({ sampling: { tools: {} } }, V2025_06),
    false,
    "version too old",
  );
  assertStrictEquals(SAMPLING_TOOLS.covers({ sampling: { tools: true } }, V2025_11), false);
  assertStrictEquals(SAMPLING_TOOLS.covers({}, V2025_11), false);
});

Deno.test("form elicitation needs the elicitation capability and version 2025-06-18", () => {
  assert(FORM.covers({ elicitation: {} }, V2025_06));
  assert(FORM.covers({ elicitation: {} }, V2025_11));
  assertStrictEquals(FORM.covers({ elicitation: {} }, V2025_03), false, "version too old");
  assertStrictEquals(FORM.covers({ elicitation: {} }, V2024), false, "version too old");
  assertStrictEquals(FORM.covers({}, V2025_11), false, "no capability");
  assertStrictEquals(FORM.covers({ sampling: {} }, V2025_11), false, "no capability");
});

Deno.test("elicitation: {} declares form support", () => {
  assert(FORM.covers({ elicitation: {} }, V2025_11));
});

Deno.test("a client declaring form elicitation explicitly is covered for forms", () => {
  assert(FORM.covers({ elicitation: { form: {} } }, V2025_11));
  assert(FORM.covers({ elicitation: { form: {}, url: {} } }, V2025_11));
});

Deno.test("a client declaring only URL elicitation is not sent forms", () => {
  assertStrictEquals(FORM.covers({ elicitation: { url: {} } }, V2025_11), false);
});

Deno.test("URL elicitation needs elicitation.url and version 2025-11-25", () => {
  assert(URL_ELICIT.covers({ elicitation: { url: {} } }, V2025_11));
  assert(URL_ELICIT.covers({ elicitation: { form: {}, url: {} } }, V2025_11));
  assertStrictEquals(URL_ELICIT.covers({ elicitation: { url: {} } }, V2025_06), false, "too old");
  assertStrictEquals(URL_ELICIT.covers({ elicitation: {} }, V2025_11), false, "form only");
  assertStrictEquals(
    URL_ELICIT.covers({ elicitation: { form: {} } }, V2025_11),
    false,
    "form only",
  );
  assertStrictEquals(URL_ELICIT.covers({}, V2025_11), false);
});

// --- relatedTaskOf ---

Deno.test("relatedTaskOf reads the task id from the related-task _meta key", () => {
  assertStrictEquals(RELATED_TASK_META, "io.modelcontextprotocol/related-task");
  assertStrictEquals(
    relatedTaskOf({ _meta: { [RELATED_TASK_META]: { taskId: "task-7" } } }),
    "task-7",
  );
});

Deno.test("a request without a usable related task has none", () => {
  assertStrictEquals(relatedTaskOf(undefined), undefined);
  assertStrictEquals(relatedTaskOf({}), undefined);
  assertStrictEquals(relatedTaskOf({ _meta: {} }), undefined);
  assertStrictEquals(relatedTaskOf({ _meta: null }), undefined);
  assertStrictEquals(relatedTaskOf({ _meta: { [RELATED_TASK_META]: "task-7" } }), undefined);
  assertStrictEquals(relatedTaskOf({ _meta: { [RELATED_TASK_META]: { taskId: 7 } } }), undefined);
  assertStrictEquals(relatedTaskOf({ _meta: { "related-task": { taskId: "task-7" } } }), undefined);
  assertStrictEquals(relatedTaskOf({ taskId: "task-7" }), undefined);
});

// --- chooseClient ---

/** Every choice explains itself. */
function choose(
  candidates: Candidate<string>[],
  requirement: Requirement,
  taskOwner?: string | null,
  cancelled?: (string | undefined)[],
) {
  const choice = chooseClient(candidates, requirement, taskOwner, cancelled);
  assertStrictEquals(typeof choice.reason, "string");
  assert(choice.reason.length > 0, "the reason is not empty");
  return choice;
}

Deno.test("a task's request goes to the task owner even when others are busy", () => {
  const candidates = [
    candidate("a", { inFlight: 3, lastRequest: 9 }),
    candidate("owner", { inFlight: 0, lastRequest: 1 }),
    candidate("b", { inFlight: 1, lastRequest: 10 }),
  ];
  assertStrictEquals(choose(candidates, SAMPLING, "owner").client, "owner");
});

Deno.test("a task's request goes to nobody when its owner is not connected", () => {
  const candidates = [candidate("a", { inFlight: 1 }), candidate("b")];
  assertStrictEquals(choose(candidates, SAMPLING, null).client, undefined);
  assertStrictEquals(choose(candidates, SAMPLING, "gone").client, undefined);
});

Deno.test("a task's request goes to nobody when its owner cannot handle it", () => {
  const candidates = [
    candidate("owner", { capabilities: {} }),
    candidate("able", { inFlight: 1, lastRequest: 5 }),
  ];
  const choice = choose(candidates, SAMPLING, "owner");
  assertStrictEquals(choice.client, undefined);
  assert(choice.reason.includes("sampling"), choice.reason);
});

Deno.test("the only client with a request in flight gets the callback", () => {
  const candidates = [
    candidate("idle", { lastRequest: 50 }),
    candidate("busy", { inFlight: 1, lastRequest: 2 }),
  ];
  assertStrictEquals(choose(candidates, SAMPLING).client, "busy");
});

Deno.test("when the only busy client cannot handle it, nobody does, not an idle able client", () => {
  const candidates = [
    candidate("idle-able", { lastRequest: 50 }),
    candidate("busy", { inFlight: 2, lastRequest: 2, capabilities: {} }),
  ];
  const choice = choose(candidates, SAMPLING);
  assertStrictEquals(choice.client, undefined);
  assert(choice.reason.includes("sampling"), choice.reason);
});

Deno.test("among several busy clients, the able one with the most recent request wins", () => {
  const candidates = [
    candidate("older", { inFlight: 1, lastRequest: 3 }),
    candidate("newest-unable", { inFlight: 1, lastRequest: 9, capabilities: {} }),
    candidate("newer", { inFlight: 4, lastRequest: 7 }),
    candidate("idle-newest", { inFlight: 0, lastRequest: 20 }),
  ];
  assertStrictEquals(choose(candidates, SAMPLING).client, "newer");
});

Deno.test("among several busy clients none of which can handle it, nobody does", () => {
  const candidates = [
    candidate("a", { inFlight: 1, lastRequest: 3, capabilities: {} }),
    candidate("b", { inFlight: 1, lastRequest: 4, capabilities: {} }),
    candidate("idle-able", { lastRequest: 9 }),
  ];
  assertStrictEquals(choose(candidates, SAMPLING).client, undefined);
});

Deno.test("with nobody busy, the most recently active able client gets it", () => {
  const candidates = [
    candidate("old", { lastRequest: 1 }),
    candidate("latest-unable", { lastRequest: 9, capabilities: {} }),
    candidate("recent", { lastRequest: 5 }),
  ];
  assertStrictEquals(choose(candidates, SAMPLING).client, "recent");
});

Deno.test("a client whose version is too old is passed over", () => {
  const candidates = [
    candidate("old-version", {
      lastRequest: 9,
      capabilities: { elicitation: {} },
      protocolVersion: V2025_03,
    }),
    candidate("current", { lastRequest: 1, capabilities: FORM_CAPS, protocolVersion: V2025_06 }),
  ];
  assertStrictEquals(choose(candidates, FORM).client, "current");
});

Deno.test("sampling with tools skips clients that only do plain sampling", () => {
  const candidates = [
    candidate("plain", { lastRequest: 9 }),
    candidate("tools", { lastRequest: 1, capabilities: { sampling: { tools: {} } } }),
  ];
  assertStrictEquals(choose(candidates, SAMPLING_TOOLS).client, "tools");
});

Deno.test("when no client can handle it, nobody does, with a reason naming what was needed", () => {
  const candidates = [candidate("a", { capabilities: {} }), candidate("b", { capabilities: {} })];
  const choice = choose(candidates, URL_ELICIT);
  assertStrictEquals(choice.client, undefined);
  assert(choice.reason.includes("URL elicitation"), choice.reason);
});

Deno.test("with no clients at all, nobody is chosen", () => {
  assertEquals(choose([], SAMPLING).client, undefined);
  assertEquals(choose([], SAMPLING, "owner").client, undefined);
});

Deno.test("while a cancelled request may still run, a question reaches nobody unless it is surely one client's", () => {
  const a = candidate("a", { inFlight: 1, lastRequest: 5 });
  const b = candidate("b", { inFlight: 1, lastRequest: 9 });
  const idle = candidate("idle", { lastRequest: 20 });
  // Only cancelled requests at the server: the question is a cancelled call's.
  const alone = choose([{ ...a, inFlight: 0 }, idle], SAMPLING, undefined, ["a"]);
  assertStrictEquals(alone.client, undefined);
  assert(alone.reason.includes("call that asked was cancelled"), alone.reason);
  // Another client's, or a departed client's, cancelled request: ambiguous.
  const other = choose([a, idle], SAMPLING, undefined, ["b"]);
  assertStrictEquals(other.client, undefined);
  assert(other.reason.includes("of another client"), other.reason);
  const left = choose([a, idle], SAMPLING, undefined, ["a", undefined]);
  assertStrictEquals(left.client, undefined);
  assert(left.reason.includes("of a client that left"), left.reason);
  assertStrictEquals(choose([a, b], SAMPLING, undefined, ["a"]).client, undefined);
  // The one busy client's own cancelled request: the question is that client's either way.
  assertStrictEquals(choose([a, idle], SAMPLING, undefined, ["a", "a"]).client, "a");
  assertStrictEquals(
    choose([{ ...a, capabilities: {} }, idle], SAMPLING, undefined, ["a"]).client,
    undefined,
    "…still only if it can",
  );
  // A task names its owner: unaffected.
  assertStrictEquals(choose([a, b], SAMPLING, "b", ["a"]).client, "b");
});

Deno.test("every kind of choice has a reason", () => {
  const able = candidate("able", { inFlight: 1, lastRequest: 2 });
  const unable = candidate("unable", { capabilities: {} });
  // choose() asserts a non-empty reason for each of these.
  choose([able], SAMPLING, "able");
  choose([able], SAMPLING, null);
  choose([unable], SAMPLING, "unable");
  choose([able, unable], SAMPLING);
  choose([{ ...unable, inFlight: 1 }], SAMPLING);
  choose([able, { ...able, client: "other" }], SAMPLING);
  choose([{ ...able, inFlight: 0 }], SAMPLING);
  choose([unable], SAMPLING);
  choose([{ ...able, inFlight: 0 }], SAMPLING, undefined, ["able"]);
  choose([able], SAMPLING, undefined, ["other"]);
  choose([able], SAMPLING, undefined, [undefined]);
  choose([able, { ...able, client: "other" }], SAMPLING, undefined, ["able"]);
});
