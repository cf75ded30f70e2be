import {
  duration,
  millis,
  protocolOf,
  sparkPoints,
  stateOf,
} from "../../src/dashboard/page/format.js";
import { cardSections, headerOf } from "../../src/dashboard/page/view.js";
import { assert, assertEquals } from "../_helpers/assert.ts";

const NOW = 1_800_000_000_000;
const UI = { confirm: undefined, pending: undefined, outcomes: {}, link: "live" as const };

function service(server: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return {
    name: "github",
    socket: "/run/github.sock",
    state: "running" as const,
    mux: {
      server: server as { phase: string },
      serverStartedAt: NOW - 65_000,
      clients: { connected: 1, active: 1, waiting: 0, max: 64 },
      pendingRequests: 0,
      requestsTotal: 9,
      latency: { ratePerSecond: 1.5, p50Ms: 3.21, p99Ms: 41.7 },
      restarts: { total: 2, recent: 1 },
      lastExit: null,
      stderrTail: ["<script>alert(1)</script>"],
      sessions: [{
        id: 3,
        name: "claude-code",
        version: "2.1.0",
        transport: "socket",
        protocolVersion: "2025-06-18",
        connectedAt: NOW - 5_000,
        requests: 12,
      }],
    },
    ...extra,
  };
}

/** All the text in a tree, in order. */
function textOf(tree: unknown): string {
  if (typeof tree === "string") return tree;
  if (!Array.isArray(tree)) return "";
  const children = typeof tree[0] === "string" ? tree.slice(2) : tree;
  return children.map(textOf).join(" ");
}

Deno.test("states in words, with their tone", () => {
  assertEquals(stateOf(service({ phase: "running", pid: 1 }), NOW), {
    text: "running",
    tone: "ok",
  });
  assertEquals(
    stateOf(
      service({
        phase: "restarting",
        attempt: 2,
        nextAttemptAt: NOW + 3_500,
        reason: "exit code 1",
      }),
      NOW,
    ),
    {
      text: "restarting (restart 2, next try in 4 s)",
      tone: "warn",
      detail: "last exit: exit code 1",
    },
  );
  assertEquals(stateOf(service({ phase: "failed", reason: "exit code 3" }), NOW), {
    text: "failed",
    tone: "bad",
    detail: "exit code 3",
  });
  assertEquals(stateOf(service({ phase: "idle" }), NOW).text, "idle");
  assertEquals(stateOf({ name: "x", socket: "/x", state: "stopped" }, NOW).text, "stopped");
  assertEquals(stateOf({ name: "x", socket: "/x", state: "error", error: "socket in use" }, NOW), {
    text: "failed",
    tone: "bad",
    detail: "could not start: socket in use",
  });
  assertEquals(
    stateOf(service({ phase: "running" }, { busy: "restarting" }), NOW).text,
    "restarting…",
  );
});

Deno.test("a card says when the server stopped answering, and its isolation mode with its processes", () => {
  const hung = service({ phase: "unresponsive", pid: 7, reason: "3 pings unanswered" });
  assertEquals(stateOf(hung, NOW), {
    text: "unresponsive",
    tone: "bad",
    detail: "3 pings unanswered",
  });
  const isolated = (processes: unknown[] | undefined) => {
    const s = service({ phase: "running", pid: 7 });
    (s.mux as Record<string, unknown>).isolation = { mode: "roots", processes };
    return textOf(cardSections(s, undefined, UI, NOW).detail);
  };
  assert(isolated([{}, {}]).includes("isolation: roots, 2 processes"), isolated([{}, {}]));
  assert(/isolation: roots, 1 process(?!es)/.test(isolated([{}])), isolated([{}]));
  assert(isolated(undefined).includes("isolation: roots"), isolated(undefined));
});

Deno.test("numbers read like a person would say them", () => {
  assertEquals([duration(42_000), duration(125_000), duration(3_723_000)], [
    "42s",
    "2m 05s",
    "1h 02m",
  ]);
  assertEquals([millis(3.21), millis(41.7), millis(null)], ["3.2 ms", "42 ms", "–"]);
  assertEquals(protocolOf("2025-06-18"), "2025-06-18 (initialize era)");
  assertEquals(protocolOf("2026-07-28"), "2026-07-28 (modern era)");
  assertEquals(protocolOf(null), "not initialized");
});

Deno.test("sparkline: scaled into the box, newest at the right, gaps at zero", () => {
  assertEquals(sparkPoints([0, 5, 10], 100, 22), "0,21 50,11 100,1");
  assertEquals(sparkPoints([null, 0], 100, 22), "0,21 100,21");
  assertEquals(sparkPoints([], 100, 22), "");
});

Deno.test("a card: stats, clients with their era and transport, stderr as plain text", () => {
  const card = cardSections(service({ phase: "running", pid: 4242 }), undefined, UI, NOW);
  const stats = textOf(card.stats);
  for (const part of ["4242", "1m 05s", "1 / 2", "1.5", "3.2 ms / 42 ms", "1 / 64"]) {
    assert(stats.includes(part), `${part} in ${stats}`);
  }
  const clients = textOf(card.clients);
  for (
    const part of ["claude-code 2.1.0", "2025-06-18 (initialize era)", "socket", "5s ago", "12"]
  ) {
    assert(clients.includes(part), `${part} in ${clients}`);
  }
  // The stderr line is one text child of a <pre>: dom.js makes it a text node.
  const pre = (card.stderr as unknown[])[3] as unknown[];
  assertEquals(pre, ["pre", { "data-field": "stderr" }, "<script>alert(1)</script>"]);
  assertEquals(textOf((card.stderr as unknown[])[2]), "last stderr (1 line)");
});

Deno.test("a card's actions: buttons, then the question, then the outcome", () => {
  const s = service({ phase: "running", pid: 1 });
  assert(textOf(cardSections(s, undefined, UI, NOW).actions).includes("Restart"));
  const asking = { ...UI, confirm: { command: "restart" as const, service: "github" } };
  const question = textOf(cardSections(s, undefined, asking, NOW).actions);
  assert(question.includes("Restart github? Its clients stay connected."), question);
  assert(question.includes("Confirm restart") && question.includes("Cancel"), question);
  const done = {
    ...UI,
    outcomes: { github: { ok: true, text: "restarted github: running (pid 2)" } },
  };
  assert(textOf(cardSections(s, undefined, done, NOW).actions).includes("restarted github"));
});

Deno.test("the header sums up the fleet", () => {
  const snapshot = {
    at: NOW,
    daemon: {
      pid: 7,
      startedAt: NOW - 120_000,
      config: "/etc/mux.yaml",
      services: [service({ phase: "running" }), service({ phase: "failed", reason: "x" })],
    },
    history: {},
  };
  const text = textOf(headerOf(snapshot, UI, NOW));
  assert(text.includes("2 services: 1 running, 1 failed"), text);
  assert(text.includes("daemon pid 7 · up 2m 00s · /etc/mux.yaml"), text);
  const out = textOf(headerOf(undefined, { ...UI, link: "signed-out" }, NOW));
  assert(out.includes("run `rmcp-mux dashboard` for a new login link"), out);
});
