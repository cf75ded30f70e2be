import { assert, assertEquals, assertStrictEquals } from "../_helpers/assert.ts";
import {
  RESTART_JITTER,
  type RestartDecision,
  RestartPolicy,
  type RestartPolicyOptions,
} from "../../src/upstream/restart_policy.ts";

const MIN = 60_000;

function policy(overrides: Partial<RestartPolicyOptions> = {}): RestartPolicy {
  return new RestartPolicy({
    initialMs: 1_000,
    maxMs: 30_000,
    maxRestarts: 0,
    windowMs: 10 * MIN,
    healthyMs: 30_000,
    random: () => 0.5, // no jitter
    ...overrides,
  });
}

function delayOf(d: RestartDecision): number {
  if (d.action !== "restart") throw new Error(`expected a restart, got: ${d.reason}`);
  return d.delayMs;
}

Deno.test("RestartPolicy: delays double from initialMs and are capped at maxMs", () => {
  const p = policy();
  const delays: number[] = [];
  for (let i = 0; i < 8; i++) delays.push(delayOf(p.onExit(i * 100, 10)));
  assertEquals(delays, [1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
});

Deno.test("RestartPolicy: many consecutive crashes never overflow the cap", () => {
  const p = policy({ maxMs: 5_000 });
  let last = 0;
  for (let i = 0; i < 2_000; i++) last = delayOf(p.onExit(i, 0));
  assertStrictEquals(last, 5_000);
});

Deno.test("RestartPolicy: jitter is ±20 % and never above maxMs", () => {
  assertStrictEquals(RESTART_JITTER, 0.2);
  // random 0 → 80 % of the base delay
  const low = policy({ random: () => 0 });
  assertEquals([1, 2, 3].map((i) => delayOf(low.onExit(i, 0))), [800, 1600, 3200]);
  // random just below 1 → just below 120 %
  const high = policy({ random: () => 0.999999 });
  assertEquals([1, 2, 3].map((i) => delayOf(high.onExit(i, 0))), [1200, 2400, 4800]);
  // at the cap, the upper jitter is clipped to maxMs, the lower one still applies
  const capped = policy({ maxMs: 3_000, random: () => 0.999999 });
  const cappedDelays = [1, 2, 3, 4].map((i) => delayOf(capped.onExit(i, 0)));
  assertEquals(cappedDelays, [1200, 2400, 3000, 3000]);
  const cappedLow = policy({ maxMs: 3_000, random: () => 0 });
  assertEquals([1, 2, 3].map((i) => delayOf(cappedLow.onExit(i, 0))), [800, 1600, 2400]);
});

Deno.test("RestartPolicy: every delay stays within the jitter bounds for any random value", () => {
  for (const r of [0, 0.1, 0.25, 0.5, 0.75, 0.9, 0.9999]) {
    const p = policy({ random: () => r });
    let base = 1_000;
    for (let i = 0; i < 7; i++) {
      const d = delayOf(p.onExit(i, 0));
      assert(
        d >= Math.round(base * 0.8) && d <= Math.round(base * 1.2),
        `r=${r} base=${base}: ${d}`,
      );
      assert(d <= 30_000, `r=${r}: ${d} above maxMs`);
      base = Math.min(30_000, base * 2);
    }
  }
});

Deno.test("RestartPolicy: an uptime of at least healthyMs resets the doubling", () => {
  const p = policy();
  assertStrictEquals(delayOf(p.onExit(1, 10)), 1000);
  assertStrictEquals(delayOf(p.onExit(2, 10)), 2000);
  assertStrictEquals(delayOf(p.onExit(3, 10)), 4000);
  // ran exactly healthyMs: back to the first delay
  assertStrictEquals(delayOf(p.onExit(40_000, 30_000)), 1000);
  assertStrictEquals(delayOf(p.onExit(40_100, 10)), 2000);
  // just short of healthy: keeps doubling
  assertStrictEquals(delayOf(p.onExit(70_000, 29_999)), 4000);
});

Deno.test("RestartPolicy: the 6th exit within the window fails with a readable reason", () => {
  const p = policy({ maxRestarts: 5 });
  for (let i = 1; i <= 5; i++) {
    const d = p.onExit(i * 1_000, 100);
    assertStrictEquals(d.action, "restart");
    if (d.action === "restart") assertStrictEquals(d.attempt, i);
  }
  const sixth = p.onExit(6_000, 100);
  if (sixth.action !== "fail") throw new Error("the 6th exit should fail the service");
  assert(sixth.reason.includes("6 times"), sixth.reason);
  assert(sixth.reason.includes("--max-restarts 5"), sixth.reason);
  assert(sixth.reason.includes("10 min"), sixth.reason);
  assertStrictEquals(p.total, 5, "a refused restart is not counted");
  assertStrictEquals(p.recent, 5);
});

Deno.test("RestartPolicy: exits spread wider than the window never fail", () => {
  const p = policy({ maxRestarts: 3, windowMs: 10 * MIN });
  // one crash every 4 minutes: at most 3 in any 10-minute window... never 4
  for (let i = 0; i < 50; i++) {
    const d = p.onExit(i * 4 * MIN, 100);
    assertStrictEquals(d.action, "restart", `exit ${i}: ${d.action === "fail" ? d.reason : ""}`);
    assert(p.recent <= 3);
  }
  assertStrictEquals(p.total, 50);
});

Deno.test("RestartPolicy: old exits leave the sliding window", () => {
  const p = policy({ maxRestarts: 2, windowMs: 1_000 });
  assertStrictEquals(p.onExit(0, 0).action, "restart");
  assertStrictEquals(p.onExit(500, 0).action, "restart");
  assertStrictEquals(p.onExit(900, 0).action, "fail");
  // at t=1000 the exit at t=0 has left the window
  const d = p.onExit(1_000, 0);
  assertStrictEquals(d.action, "restart");
  assertStrictEquals(p.recent, 2);
  if (d.action === "restart") assertStrictEquals(d.attempt, 2);
});

Deno.test("RestartPolicy: maxRestarts 0 means unlimited", () => {
  const p = policy({ maxRestarts: 0 });
  for (let i = 0; i < 1_000; i++) assertStrictEquals(p.onExit(i, 0).action, "restart");
  assertStrictEquals(p.total, 1_000);
  assertStrictEquals(p.recent, 1_000);
});

Deno.test("RestartPolicy: reset() forgets the window and the doubling", () => {
  const p = policy({ maxRestarts: 2 });
  delayOf(p.onExit(1, 0));
  assertStrictEquals(delayOf(p.onExit(2, 0)), 2000);
  assertStrictEquals(p.onExit(3, 0).action, "fail");
  p.reset();
  assertStrictEquals(p.recent, 0);
  const d = p.onExit(4, 0);
  assertEquals(d, { action: "restart", delayMs: 1000, attempt: 1 });
  assertStrictEquals(p.total, 3, "total counts every restart since start, across resets");
});

Deno.test("RestartPolicy: total and recent counters", () => {
  const p = policy({ windowMs: 1_000 });
  assertStrictEquals(p.total, 0);
  assertStrictEquals(p.recent, 0);
  p.onExit(0, 0);
  p.onExit(100, 0);
  assertStrictEquals(p.total, 2);
  assertStrictEquals(p.recent, 2);
  p.onExit(5_000, 0); // the first two left the window
  assertStrictEquals(p.total, 3);
  assertStrictEquals(p.recent, 1);
});

Deno.test("RestartPolicy: uses Math.random when no random source is given", () => {
  const p = new RestartPolicy({
    initialMs: 1_000,
    maxMs: 30_000,
    maxRestarts: 0,
    windowMs: MIN,
    healthyMs: 1_000,
  });
  const d = delayOf(p.onExit(0, 0));
  assert(d >= 800 && d <= 1200, `${d}`);
});
