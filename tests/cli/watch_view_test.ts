import {
  INITIAL_UI,
  KEYS_HELP,
  onKey,
  onOutcome,
  parseKeys,
  renderWatch,
  type WatchUi,
} from "../../src/cli/watch_view.ts";
import type { ServiceStatus } from "../../src/daemon/daemon.ts";
import type { MuxStatus } from "../../src/server/mux_status.ts";
import { assert, assertEquals, assertMatch } from "../_helpers/assert.ts";

const NOW = 1_800_000_000_000;
const NAMES = ["alpha", "beta", "gamma"];

function service(name: string, server: MuxStatus["server"], extra: Partial<MuxStatus> = {}) {
  const mux: MuxStatus = {
    service: name,
    socket: `/run/${name}.sock`,
    httpUrl: null,
    server,
    startedAt: NOW - 60_000,
    serverStartedAt: server.pid ? NOW - 30_000 : null,
    clients: { connected: 1, active: 1, waiting: 0, max: 64 },
    pendingRequests: 0,
    queueDepth: 0,
    requestsTotal: 0,
    latency: { ratePerSecond: 0, p50Ms: null, p99Ms: null, count: 0 },
    subscriptions: 0,
    restarts: { total: 0, recent: 0 },
    lastExit: null,
    stderrTail: [],
    sessions: [],
    eras: { upstream: "legacy", clients: { legacy: 1, modern: 0, unknown: 0 } },
    serialized: false,
    warnings: [],
    isolation: {
      mode: "shared",
      source: "default",
      reason: "-",
      maxProcesses: 16,
      idleTimeoutMs: 0,
    },
    processes: [],
    ...extra,
  };
  return { name, socket: mux.socket, state: server.phase, mux } satisfies ServiceStatus;
}

const FLEET = {
  pid: 7,
  startedAt: NOW - 120_000,
  config: "/etc/mux.yaml",
  control: null,
  services: [
    service("alpha", { phase: "running", pid: 101 }),
    service("beta", { phase: "failed", reason: "exit code 3; it exited 6 times" }, {
      lastExit: "exit code 3",
      httpUrl: "http://127.0.0.1:7300/mcp/beta",
      stderrTail: ["line 1", "boom \x1b]0;owned\x07 <b>", "line 3"],
    }),
    service("gamma", { phase: "restarting", attempt: 2, nextAttemptAt: NOW + 4_000 }),
  ],
};

const SCREEN = { width: 120, height: 30, color: false };

Deno.test("keys: arrows in both cursor modes, Ctrl+C, Esc and letters", () => {
  assertEquals(parseKeys("\x1b[A\x1bOB\x1b[Cjk"), ["up", "down", "other", "j", "k"]);
  assertEquals(parseKeys("\x03\x1b\rS"), ["ctrl-c", "escape", "enter", "S"]);
});

Deno.test("selection moves with arrows and j/k, and wraps around", () => {
  let ui: WatchUi = INITIAL_UI;
  const press = (key: string) => (ui = onKey(ui, key, NAMES, true).ui);
  press("down");
  assertEquals(ui.selected, "beta");
  press("j");
  press("j");
  assertEquals(ui.selected, "alpha", "wraps past the last");
  press("k");
  assertEquals(ui.selected, "gamma", "wraps past the first");
  press("up");
  assertEquals(ui.selected, "beta");
});

Deno.test("an action waits for y; any other key cancels it", () => {
  const asked = onKey({ ...INITIAL_UI, selected: "beta" }, "r", NAMES, true);
  assertEquals(asked.ui.confirm, { command: "restart", service: "beta" });
  assertEquals(asked.run, undefined, "nothing runs before the confirmation");
  const cancelled = onKey(asked.ui, "n", NAMES, true);
  assertEquals([cancelled.run, cancelled.ui.confirm, cancelled.ui.message?.text], [
    undefined,
    undefined,
    "cancelled",
  ]);
  const confirmed = onKey(asked.ui, "y", NAMES, true);
  assertEquals(confirmed.run, { command: "restart", service: "beta" });
  assertEquals(confirmed.ui.message?.text, "restarting beta…");
  // While it runs, another action is refused with the reason.
  const again = onKey(confirmed.ui, "s", NAMES, true);
  assertEquals(again.ui.confirm, undefined);
  assertEquals(again.ui.message, { text: "still restarting beta; wait for it", ok: false });
  const done = onOutcome(confirmed.ui, { text: "restarted beta: running (pid 9)", ok: true });
  assertEquals(done.busy, undefined);
  assertEquals(onKey(done, "S", NAMES, true).ui.confirm, { command: "start", service: "beta" });
  assertEquals(onKey(done, "l", NAMES, true).ui.confirm, { command: "reload" });
});

Deno.test("q, Esc and Ctrl+C quit; Esc and q during a confirmation only cancel it", () => {
  assert(onKey(INITIAL_UI, "q", NAMES, true).quit);
  assert(onKey(INITIAL_UI, "escape", NAMES, true).quit);
  const asked = onKey(INITIAL_UI, "s", NAMES, true).ui;
  assertEquals(onKey(asked, "escape", NAMES, true).quit, undefined);
  assertEquals(onKey(asked, "q", NAMES, true).quit, undefined);
  assert(onKey(asked, "ctrl-c", NAMES, true).quit);
});

Deno.test("without controls (a single mux) an action key says why instead", () => {
  const { ui, run } = onKey(INITIAL_UI, "r", ["one"], "keys act on a daemon");
  assertEquals([run, ui.confirm, ui.message], [undefined, undefined, {
    text: "keys act on a daemon",
    ok: false,
  }]);
});

Deno.test("the screen: selected row marked, details of the selection, keys and the question", () => {
  const ui = onKey({ ...INITIAL_UI, selected: "beta" }, "r", NAMES, true).ui;
  const lines = renderWatch(FLEET, ui, NOW, SCREEN);
  assertMatch(lines[0]!, /^rmcp-mux daemon \(pid 7, up 2m 00s\) — \/etc\/mux\.yaml/);
  assertMatch(lines[1]!, /^ {2}SERVICE\s+STATE\s+PID/);
  assertMatch(lines[2]!, /^ {2}alpha\s+running\s+101/);
  assertMatch(lines[3]!, /^› beta\s+failed: exit code 3/);
  assertMatch(lines[4]!, /^ {2}gamma\s+restarting \(restart 2, next try in 4 s\)/);
  const text = lines.join("\n");
  assertMatch(text, /^beta: failed: exit code 3; it exited 6 times$/m);
  assertMatch(text, /^ {2}last exit: exit code 3$/m);
  assertMatch(text, /^ {2}http: http:\/\/127\.0\.0\.1:7300\/mcp\/beta$/m, "where hosts connect");
  // A server's escape sequences are shown, never sent to the terminal.
  assertMatch(text, /^ {2}stderr: boom \\x1b\]0;owned\\x07 <b>$/m);
  assert(!text.includes("\x1b"), "no escape code without colour");
  assertEquals(lines.at(-2), KEYS_HELP);
  assertEquals(lines.at(-1), "Restart beta? y to confirm, any other key cancels");
});

Deno.test("the screen fits: lines cut to the width, the oldest stderr lines dropped first", () => {
  const lines = renderWatch(FLEET, { ...INITIAL_UI, selected: "beta" }, NOW, {
    width: 40,
    height: 14,
    color: false,
  });
  assertEquals(lines.length, 14);
  assert(lines.every((l) => [...l].length <= 40), lines.join("\n"));
  const stderr = lines.filter((l) => l.startsWith("  stderr: "));
  assertEquals(stderr, ["  stderr: line 3"]);
});

Deno.test("colour: the selection in reverse video, failures in red; an error replaces the table", () => {
  const lines = renderWatch(FLEET, { ...INITIAL_UI, selected: "beta" }, NOW, {
    ...SCREEN,
    color: true,
  });
  assert(lines[3]!.startsWith("\x1b[7;31m› beta"), JSON.stringify(lines[3]));
  const down = renderWatch("no such socket", INITIAL_UI, NOW, SCREEN);
  assertEquals(down[0], "cannot read the status: no such socket");
});

Deno.test("a command in progress shows as the state, whoever sent it", () => {
  const busy = {
    ...FLEET,
    services: [{ ...service("alpha", { phase: "running", pid: 1 }), busy: "restarting" as const }],
  };
  const lines = renderWatch(busy, INITIAL_UI, NOW, SCREEN);
  assertMatch(lines[2]!, /^› alpha\s+restarting…\s+1\s/);
});

Deno.test("more services than rows: the table scrolls to keep the selection in view", () => {
  const names = Array.from({ length: 30 }, (_, i) => `svc${String(i).padStart(2, "0")}`);
  const many = { services: names.map((n) => service(n, { phase: "running", pid: 1 })) };
  const lines = renderWatch(many, { ...INITIAL_UI, selected: "svc20" }, NOW, {
    width: 100,
    height: 12,
    color: false,
  });
  assert(lines.length <= 12, lines.join("\n"));
  const rows = lines.filter((l) => /^[› ] svc\d\d/.test(l));
  assert(rows.some((l) => l.startsWith("› svc20")), lines.join("\n"));
  assert(rows.length >= 5 && rows.length < 30, lines.join("\n"));
});
