import { assertEquals } from "../_helpers/assert.ts";
import { FakeClock } from "../_helpers/fake_clock.ts";
import { Sweeper } from "../../src/router/sweeper.ts";

Deno.test("sweeper: one timer, for the earliest deadline; re-armed for the next one", () => {
  const clock = new FakeClock(1_000);
  const deadlines = [1_500, 1_200];
  const sweeps: number[] = [];
  const sweeper = new Sweeper(clock, (now) => {
    sweeps.push(now);
    return Math.min(...deadlines.filter((d) => d > now), Infinity);
  });
  sweeper.arm(1_500);
  sweeper.arm(1_200);
  sweeper.arm(1_300); // later than what is armed: nothing changes
  assertEquals(clock.armed, 1);
  clock.advance(199);
  assertEquals(sweeps, []);
  clock.advance(1);
  assertEquals(sweeps, [1_200]);
  clock.advance(300);
  assertEquals(sweeps, [1_200, 1_500]);
  assertEquals(clock.armed, 0, "nothing left to expire: no timer");
  sweeper.close();
});

Deno.test("sweeper: close cancels the timer for good", () => {
  const clock = new FakeClock();
  let swept = 0;
  const sweeper = new Sweeper(clock, () => (swept++, Infinity));
  sweeper.arm(10);
  sweeper.close();
  sweeper.arm(5);
  assertEquals(clock.armed, 0);
  clock.advance(100);
  assertEquals(swept, 0);
});
