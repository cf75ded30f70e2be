import { Daemon } from "../../src/daemon/daemon.ts";
import { HISTORY_EVENTS, HISTORY_POINTS, HistoryRecorder } from "../../src/daemon/history.ts";
import type { MuxStatus } from "../../src/server/mux_status.ts";
import { assert, assertEquals } from "../_helpers/assert.ts";
import { fakeServer, FAST } from "../_helpers/mux.ts";

function mux(requestsTotal: number, server: MuxStatus["server"] = { phase: "running", pid: 1 }) {
  return {
    server,
    requestsTotal,
    pendingRequests: 2,
    clients: { connected: 3, active: 3, waiting: 0, max: 64 },
  } as MuxStatus;
}

Deno.test("history points: requests per second over each step, that step's latency", () => {
  const history = new HistoryRecorder();
  const latency = { ratePerSecond: 0, p50Ms: 1.5, p99Ms: 9, count: 3 };
  history.sample(5_000, mux(100), latency);
  history.sample(10_000, mux(150), latency);
  history.sample(15_000, mux(10), undefined); // a new mux counts from zero
  history.sample(20_000, undefined, undefined); // stopped
  const points = history.snapshot().points;
  assertEquals(points.map((p) => p.rate), [0, 50 / 5, 10 / 5, 0]);
  assertEquals(points[1], { at: 10_000, rate: 10, p50Ms: 1.5, p99Ms: 9, inFlight: 2, clients: 3 });
  assertEquals(points[2]!.p50Ms, null);
  history.sample(20_500, mux(100), undefined); // a shorter step: per second of that step
  assertEquals(history.snapshot().points.at(-1)!.rate, 200);
  for (let i = 0; i < HISTORY_POINTS + 5; i++) history.sample(30_000 + i, mux(0), undefined);
  assertEquals(history.snapshot().points.length, HISTORY_POINTS, "bounded");
});

Deno.test("history events: each crash, failure and new process noted once", () => {
  const history = new HistoryRecorder();
  const service = (server: MuxStatus["server"]) => ({
    name: "s",
    socket: "/s.sock",
    state: "running" as const,
    mux: mux(0, server),
  });
  history.observe(1, service({ phase: "starting" }));
  history.observe(2, service({ phase: "running", pid: 7 }));
  history.observe(3, service({ phase: "running", pid: 7 })); // no change
  history.observe(4, service({ phase: "restarting", reason: "exit code 3", attempt: 1 }));
  history.observe(5, service({ phase: "failed", reason: "exit code 3; too many restarts" }));
  history.note(6, "info", "restart requested");
  assertEquals(history.snapshot().events, [
    { at: 2, level: "info", text: "running (pid 7)" },
    { at: 4, level: "error", text: "exited (exit code 3); restart 1" },
    { at: 5, level: "error", text: "failed: exit code 3; too many restarts" },
    { at: 6, level: "info", text: "restart requested" },
  ]);
  for (let i = 0; i < HISTORY_EVENTS + 3; i++) history.note(i, "info", `n${i}`);
  assertEquals(history.snapshot().events.length, HISTORY_EVENTS);
});

Deno.test("the daemon keeps each service's history, says what a command is doing, and tells subscribers", async () => {
  const dir = await Deno.makeTempDir({ prefix: "rmcp-mux-history-" });
  await using daemon = await Daemon.start({
    historyStepMs: 50,
    services: [{ name: "s", options: { ...FAST, ...fakeServer(), socket: `${dir}/s.sock` } }],
  });
  await daemon.server("s")!.waitFor("running");
  const busy: string[] = [];
  let changes = 0;
  const off = daemon.subscribe(() => {
    changes++;
    const b = daemon.status().services[0]!.busy;
    if (b && busy.at(-1) !== b) busy.push(b);
  });
  const stopped = await daemon.stop("s");
  assertEquals([stopped.state, stopped.busy], ["stopped", undefined]);
  assertEquals(busy, ["stopping"]);
  await daemon.restart("s");
  assertEquals(busy, ["stopping", "restarting"]);
  assert(changes > 2);
  // Points keep coming, one per step, for every service.
  await new Promise<void>((resolve) => {
    const done = daemon.subscribe(() => {
      if ((daemon.history().s?.points.length ?? 0) >= 2) {
        done();
        resolve();
      }
    });
  });
  off();
  const texts = daemon.history().s!.events.map((e) => e.text);
  assert(texts.includes("stopped by a command"), texts.join("\n"));
  assert(texts.includes("restart requested"), texts.join("\n"));
  assert(texts.filter((t) => /^running \(pid \d+\)$/.test(t)).length >= 2, texts.join("\n"));
  await daemon.close();
  await Deno.remove(dir, { recursive: true });
});
