import { describeState, formatDuration, formatStatus } from "../../src/cli/status_view.ts";
import type { ServiceStatus } from "../../src/daemon/daemon.ts";
import type { MuxStatus } from "../../src/server/mux_status.ts";
import { assert, assertEquals, assertMatch } from "../_helpers/assert.ts";

const NOW = 1_800_000_000_000;

function mux(overrides: Partial<MuxStatus> = {}): MuxStatus {
  return {
    service: "svc",
    socket: "/run/svc.sock",
    httpUrl: null,
    server: { phase: "running", pid: 4242 },
    startedAt: NOW - 7_500_000,
    serverStartedAt: NOW - 3_723_000,
    clients: { connected: 3, active: 3, waiting: 0, max: 64 },
    pendingRequests: 2,
    queueDepth: 0,
    requestsTotal: 120,
    latency: { ratePerSecond: 1.5, p50Ms: 3.2, p99Ms: 41.7, count: 90 },
    subscriptions: 1,
    restarts: { total: 4, recent: 1 },
    lastExit: "killed by SIGKILL",
    stderrTail: ["Starting server", "ready"],
    serialized: false,
    warnings: [],
    eras: { upstream: "legacy", clients: { legacy: 3, modern: 0, unknown: 0 } },
    sessions: [],
    isolation: {
      mode: "shared",
      source: "default",
      reason: "-",
      maxProcesses: 16,
      idleTimeoutMs: 0,
    },
    processes: [],
    ...overrides,
  };
}

const service = (name: string, m?: MuxStatus, extra: Partial<ServiceStatus> = {}) => ({
  name,
  socket: `/run/${name}.sock`,
  state: m?.server.phase ?? "stopped",
  ...(m ? { mux: { ...m, service: name } } : {}),
  ...extra,
});

Deno.test("durations read like a person would say them", () => {
  assertEquals(
    [formatDuration(42_000), formatDuration(125_000), formatDuration(3_723_000)],
    ["42s", "2m 05s", "1h 02m"],
  );
  assertEquals(formatDuration(3 * 86_400_000 + 3_600_000), "3d 1h");
});

Deno.test("states say what is going on: restarting with the next try, failed with the reason", () => {
  const restarting = service(
    "r",
    mux({
      server: {
        phase: "restarting",
        nextAttemptAt: NOW + 3_400,
        attempt: 2,
        reason: "exit code 1",
      },
    }),
  );
  assertEquals(describeState(restarting, NOW), "restarting (restart 2, next try in 4 s)");
  const failed = service("f", mux({ server: { phase: "failed", reason: "exit code 3; …" } }));
  assertEquals(describeState(failed, NOW), "failed: exit code 3; …");
  assertEquals(
    describeState(service("l", mux({ server: { phase: "idle" } })), NOW),
    "idle (starts on demand)",
  );
  assertEquals(
    describeState(
      service(
        "i",
        mux({ server: { phase: "idle", reason: "stopped after 10 min without clients" } }),
      ),
      NOW,
    ),
    "idle (stopped after 10 min without clients)",
  );
  assertEquals(
    describeState(service("u", mux({ server: { phase: "unresponsive", pid: 7 } })), NOW),
    "unresponsive",
  );
  assertEquals(describeState(service("s", undefined, { state: "stopped" }), NOW), "stopped");
  assertEquals(
    describeState(service("e", undefined, { state: "error", error: "socket in use" }), NOW),
    "error: socket in use",
  );
});

Deno.test("the status table: one aligned row per service, figures where known", () => {
  const text = formatStatus(
    {
      pid: 99,
      startedAt: NOW - 7_500_000,
      config: "/home/me/.config/rmcp-mux/config.yaml",
      control: null,
      services: [service("github", mux()), service("memory", undefined, { state: "stopped" })],
    },
    NOW,
  );
  const lines = text.split("\n");
  assertEquals(
    lines[0],
    "rmcp-mux daemon (pid 99, up 2h 05m) — /home/me/.config/rmcp-mux/config.yaml",
  );
  assertMatch(
    lines[1]!,
    /^SERVICE\s+STATE\s+PID\s+UPTIME\s+CLIENTS\s+IN-FLIGHT\s+RESTARTS\s+REQ\/S\s+P50\s+P99$/,
  );
  assertMatch(
    lines[2]!,
    /^github\s+running\s+4242\s+1h 02m\s+3\/64\s+2\s+1\/4\s+1\.5\s+3\.2ms\s+42ms$/,
  );
  assertMatch(lines[3]!, /^memory\s+stopped\s+-\s+-\s+-\s+-\s+-\s+-\s+-\s+-$/);
  assertMatch(text, /github:\n {2}last exit: killed by SIGKILL/);
  assertEquals(text.includes("stderr:"), false, "stderr lines only with -v");
  const verbose = formatStatus({ services: [service("github", mux())] }, NOW, true);
  assertMatch(verbose, / {2}stderr: Starting server\n {2}stderr: ready/);
});

Deno.test("eras are shown when either side is modern, or with -v", () => {
  const legacy = formatStatus({ services: [service("old", mux())] }, NOW);
  assertEquals(legacy.includes("eras:"), false);
  const mixed = mux({
    eras: { upstream: "modern", clients: { legacy: 2, modern: 1, unknown: 0 } },
  });
  assertMatch(
    formatStatus({ services: [service("new", mixed)] }, NOW),
    /eras: server 2026-07-28; clients 2 legacy, 1 2026-07-28/,
  );
  assertMatch(
    formatStatus({ services: [service("old", mux())] }, NOW, true),
    /eras: server legacy; clients 3 legacy/,
  );
});

Deno.test("clients by transport, the HTTP URL, and with -v one line per client", () => {
  const sessions: MuxStatus["sessions"] = [
    {
      id: 1,
      name: "claude-code",
      version: "2.1.0",
      transport: "http",
      protocolVersion: "2025-11-25",
      era: "legacy",
      connectedAt: NOW - 302_000,
      requests: 12,
      inFlight: 1,
      admitted: true,
    },
    {
      id: 2,
      name: "codex",
      version: "0.9",
      transport: "proxy",
      protocolVersion: "2025-06-18",
      era: "legacy",
      connectedAt: NOW - 42_000,
      requests: 3,
      inFlight: 0,
      admitted: true,
    },
  ];
  const m = mux({ sessions, httpUrl: "http://127.0.0.1:7300/mcp/svc" });
  const text = formatStatus({ services: [service("svc", m)] }, NOW);
  assertMatch(text, / {2}http: http:\/\/127\.0\.0\.1:7300\/mcp\/svc\n {2}clients: 1 http, 1 proxy/);
  assertEquals(text.includes("TRANSPORT"), false);
  const verbose = formatStatus({ services: [service("svc", m)] }, NOW, true);
  assertMatch(verbose, / {2}CLIENT\s+NAME\s+VERSION\s+TRANSPORT\s+PROTOCOL\s+CONNECTED\s+REQUESTS/);
  assertMatch(
    verbose,
    / {2}1\s+claude-code\s+2\.1\.0\s+http\s+2025-11-25\s+5m 02s\s+12 \(1 open\)/,
  );
  assertMatch(verbose, / {2}2\s+codex\s+0\.9\s+proxy\s+2025-06-18\s+42s\s+3/);
  // The daemon's listener: its sessions counted in words that agree with the number.
  const http = (sessions: number) =>
    formatStatus({
      services: [service("svc", m)],
      http: { url: "http://127.0.0.1:7300/mcp", sessions },
    }, NOW);
  assertMatch(http(1), /\nHTTP: http:\/\/127\.0\.0\.1:7300\/mcp\/NAME \(1 session\)/);
  assertMatch(http(2), /\(2 sessions\)/);
});

Deno.test("status: an isolated service says its mode and why, and lists its processes", () => {
  const files = mux({
    server: { phase: "running" },
    isolation: {
      mode: "roots",
      source: "known",
      reason: "known server: it serves files under each client's roots",
      maxProcesses: 16,
      idleTimeoutMs: 600_000,
    },
    processes: [
      {
        key: "file:///home/me/a",
        pid: 101,
        server: { phase: "running", pid: 101 },
        startedAt: NOW - 1000,
        clients: [1, 3],
        restarts: { total: 0, recent: 0 },
      },
      {
        key: "file:///home/me/b",
        pid: 102,
        server: { phase: "running", pid: 102 },
        startedAt: NOW - 1000,
        clients: [2],
        restarts: { total: 0, recent: 0 },
      },
    ],
    lastExit: null,
  });
  const text = formatStatus({ services: [service("files", files)] }, NOW);
  assertMatch(text, /^files {4}running {2}2 procs/m);
  assertMatch(
    text,
    /\n {2}isolation: roots \(known server: it serves files under each client's roots\)\n/,
  );
  assertMatch(text, /\n {2}process file:\/\/\/home\/me\/a {2}pid 101 {2}running {2}clients 1, 3\n/);
  assertMatch(text, /\n {2}process file:\/\/\/home\/me\/b {2}pid 102 {2}running {2}clients 2\n/);
  // A shared service says nothing about isolation unless asked (-v).
  const plain = formatStatus({ services: [service("memory", mux({ lastExit: null }))] }, NOW);
  assert(!plain.includes("isolation"), plain);
  assertMatch(
    formatStatus({ services: [service("memory", mux({ lastExit: null }))] }, NOW, true),
    /isolation: shared \(-\)/,
  );
});

Deno.test("status: a serialized service says so (one client's requests at a time)", () => {
  const text = formatStatus(
    { services: [service("memory", mux({ serialized: true, lastExit: null }))] },
    NOW,
  );
  assertMatch(text, /\nmemory:\n {2}serialized: one client's requests at a time \(--serialize\)\n/);
  const plain = formatStatus({ services: [service("memory", mux({ lastExit: null }))] }, NOW);
  assert(!plain.includes("serialized"), plain);
});
