/** Status figures (`metrics.ts`): the rate says what is happening now, percentiles the last minute. */

import { LatencyWindow, METRICS_SAMPLES } from "../../src/router/metrics.ts";
import { assertEquals } from "../_helpers/assert.ts";

Deno.test("metrics: REQ/S counts the last 10 s; p50/p99 the last minute", () => {
  const window = new LatencyWindow();
  const now = 1_000_000;
  // A quiet minute, then a burst: 640 answers in the last 10 s.
  for (let i = 0; i < 40; i++) window.record(now - 50_000 + i * 500, 100);
  for (let i = 0; i < 640; i++) window.record(now - 9_990 + i * 15, 2);
  const summary = window.summary(now);
  assertEquals(summary.ratePerSecond, 64, "the rate of now, not a minute's average (11.33)");
  assertEquals(summary.count, 680);
  assertEquals([summary.p50Ms, summary.p99Ms], [2, 100]);
  // A minute later, nothing is left of either.
  assertEquals(window.summary(now + 60_000), {
    ratePerSecond: 0,
    p50Ms: null,
    p99Ms: null,
    count: 0,
  });
  assertEquals(window.total, 680);
});

Deno.test("metrics: a full ring spanning less than 10 s rates over the span it covers", () => {
  const window = new LatencyWindow();
  const now = 5_000_000;
  for (let i = 0; i < METRICS_SAMPLES; i++) {
    window.record(now - 2_000 + (i * 2_000) / METRICS_SAMPLES, 1);
  }
  const rate = window.summary(now).ratePerSecond;
  assertEquals(Math.round(rate / 100), Math.round(METRICS_SAMPLES / 2 / 100), String(rate));
});
