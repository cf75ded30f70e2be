import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { Semaphore } from "../../src/server/semaphore.ts";

/** Long enough never to fire during a test: waits end by release or abort. */
const FOREVER = 60_000;

Deno.test("Semaphore: tryAcquire takes permits up to the limit", () => {
  const sem = new Semaphore(3);
  strictEqual(sem.permits, 3);
  strictEqual(sem.inUse, 0);
  ok(sem.tryAcquire());
  ok(sem.tryAcquire());
  ok(sem.tryAcquire());
  strictEqual(sem.inUse, 3);
  strictEqual(sem.tryAcquire(), false, "no fourth permit");
  strictEqual(sem.inUse, 3);
  sem.release();
  strictEqual(sem.inUse, 2);
  ok(sem.tryAcquire(), "a released permit can be taken again");
});

Deno.test("Semaphore: release without waiters never goes below zero", () => {
  const sem = new Semaphore(1);
  sem.release();
  strictEqual(sem.inUse, 0);
  ok(sem.tryAcquire());
  strictEqual(sem.tryAcquire(), false, "an extra release did not create a second permit");
});

Deno.test("Semaphore: acquire returns at once when a permit is free", async () => {
  const sem = new Semaphore(1);
  strictEqual(await sem.acquire(FOREVER), true);
  strictEqual(sem.inUse, 1);
  strictEqual(sem.waiting, 0);
});

Deno.test("Semaphore: a waiter gets the permit when it is released", async () => {
  const sem = new Semaphore(1);
  ok(sem.tryAcquire());
  const waiter = sem.acquire(FOREVER);
  strictEqual(sem.waiting, 1);
  sem.release();
  strictEqual(await waiter, true);
  strictEqual(sem.inUse, 1, "the permit passed straight to the waiter");
  strictEqual(sem.waiting, 0);
  sem.release();
  strictEqual(sem.inUse, 0);
});

Deno.test("Semaphore: waiters are served first in, first out", async () => {
  const sem = new Semaphore(1);
  ok(sem.tryAcquire());
  const order: string[] = [];
  const waiters = ["a", "b", "c"].map((name) =>
    sem.acquire(FOREVER).then((granted) => {
      order.push(name);
      return granted;
    })
  );
  strictEqual(sem.waiting, 3);
  sem.release();
  strictEqual(await waiters[0], true);
  deepStrictEqual(order, ["a"]);
  strictEqual(sem.waiting, 2);
  sem.release();
  strictEqual(await waiters[1], true);
  deepStrictEqual(order, ["a", "b"]);
  sem.release();
  strictEqual(await waiters[2], true);
  deepStrictEqual(order, ["a", "b", "c"]);
  strictEqual(sem.inUse, 1);
  sem.release();
  strictEqual(sem.inUse, 0);
});

Deno.test("Semaphore: a newcomer cannot jump the queue when a permit is handed over", async () => {
  const sem = new Semaphore(1);
  ok(sem.tryAcquire());
  const waiter = sem.acquire(FOREVER);
  sem.release();
  strictEqual(sem.tryAcquire(), false, "the released permit belongs to the waiter");
  strictEqual(await waiter, true);
  sem.release();
});

Deno.test("Semaphore: acquire times out with false and the waiter is removed", async () => {
  const sem = new Semaphore(1);
  ok(sem.tryAcquire());
  const result = sem.acquire(1);
  strictEqual(sem.waiting, 1);
  strictEqual(await result, false);
  strictEqual(sem.waiting, 0);
  strictEqual(sem.inUse, 1, "the holder still holds its permit");
  // the timed-out waiter does not take the next release
  sem.release();
  strictEqual(sem.inUse, 0);
  ok(sem.tryAcquire());
});

Deno.test("Semaphore: a timed-out waiter leaves the others in line", async () => {
  const sem = new Semaphore(1);
  ok(sem.tryAcquire());
  const patient = sem.acquire(FOREVER);
  const impatient = sem.acquire(0);
  strictEqual(sem.waiting, 2);
  strictEqual(await impatient, false);
  strictEqual(sem.waiting, 1);
  sem.release();
  strictEqual(await patient, true);
  strictEqual(sem.inUse, 1);
  sem.release();
});

Deno.test("Semaphore: an abort ends the wait with false and removes the waiter", async () => {
  const sem = new Semaphore(1);
  ok(sem.tryAcquire());
  const controller = new AbortController();
  const result = sem.acquire(FOREVER, controller.signal);
  strictEqual(sem.waiting, 1);
  controller.abort();
  strictEqual(await result, false);
  strictEqual(sem.waiting, 0);
  strictEqual(sem.inUse, 1);
  sem.release();
  strictEqual(sem.inUse, 0);
});

Deno.test("Semaphore: an already-aborted signal does not wait at all", async () => {
  const sem = new Semaphore(1);
  ok(sem.tryAcquire());
  const result = sem.acquire(FOREVER, AbortSignal.abort());
  strictEqual(sem.waiting, 0, "an aborted caller must not queue for a permit");
  strictEqual(await result, false);
  sem.release();
  strictEqual(sem.inUse, 0, "the permit was not handed to the aborted caller");
});

Deno.test("Semaphore: a release racing with an abort never loses or duplicates a permit", async () => {
  // Release at every point of the abandoned waiter's unwinding, one microtask
  // apart: whether the waiter ends up with the permit or not, the count must
  // match, and the permit must be usable afterwards.
  let sawLateGrant = false;
  for (let ticks = 0; ticks < 40; ticks++) {
    const sem = new Semaphore(1);
    ok(sem.tryAcquire());
    const controller = new AbortController();
    const result = sem.acquire(FOREVER, controller.signal);
    controller.abort();
    for (let i = 0; i < ticks; i++) await Promise.resolve();
    const waitingAtRelease = sem.waiting;
    sem.release(); // the holder leaves at the same moment
    const granted = await result;
    if (!granted && waitingAtRelease === 1) sawLateGrant = true;
    strictEqual(sem.waiting, 0, `ticks=${ticks}`);
    strictEqual(sem.inUse, granted ? 1 : 0, `ticks=${ticks} granted=${granted}`);
    if (granted) sem.release();
    strictEqual(sem.inUse, 0, `ticks=${ticks}`);
    ok(sem.tryAcquire(), `ticks=${ticks}: the permit is free again`);
    strictEqual(sem.tryAcquire(), false, `ticks=${ticks}: and there is only one`);
  }
  ok(sawLateGrant, "the permit was handed to a waiter that had already given up at least once");
});

Deno.test("Semaphore: a permit handed to a waiter that gave up passes on to the next", async () => {
  let sawHandOver = false;
  for (let ticks = 0; ticks < 40; ticks++) {
    const sem = new Semaphore(1);
    ok(sem.tryAcquire());
    const controller = new AbortController();
    const quitter = sem.acquire(FOREVER, controller.signal);
    const next = sem.acquire(FOREVER);
    controller.abort();
    for (let i = 0; i < ticks; i++) await Promise.resolve();
    const waitingAtRelease = sem.waiting;
    sem.release();
    const quitterGot = await quitter;
    if (!quitterGot) {
      // the permit went (directly or passed on) to the next waiter
      strictEqual(await next, true, `ticks=${ticks}`);
      if (waitingAtRelease === 2) sawHandOver = true;
      strictEqual(sem.inUse, 1);
      sem.release();
    } else {
      strictEqual(sem.waiting, 1);
      sem.release();
      strictEqual(await next, true);
      sem.release();
    }
    strictEqual(sem.inUse, 0, `ticks=${ticks}`);
    strictEqual(sem.waiting, 0, `ticks=${ticks}`);
  }
  ok(sawHandOver, "the hand-over path was exercised");
});

Deno.test("Semaphore: waiting counts callers in line", async () => {
  const sem = new Semaphore(2);
  ok(sem.tryAcquire());
  ok(sem.tryAcquire());
  strictEqual(sem.waiting, 0);
  const a = sem.acquire(FOREVER);
  const b = sem.acquire(FOREVER);
  strictEqual(sem.waiting, 2);
  sem.release();
  await a;
  strictEqual(sem.waiting, 1);
  sem.release();
  await b;
  strictEqual(sem.waiting, 0);
  strictEqual(sem.inUse, 2);
  sem.release();
  sem.release();
  strictEqual(sem.inUse, 0);
});

Deno.test("setPermits: more permits admit waiters at once; fewer wait for holders to leave", async () => {
  const sem = new Semaphore(1);
  ok(sem.tryAcquire());
  const waiting = sem.acquire(FOREVER);
  sem.setPermits(2);
  strictEqual(await waiting, true, "the raised limit admits the waiter");
  strictEqual(sem.inUse, 2);
  sem.setPermits(1);
  const third = sem.acquire(FOREVER);
  sem.release(); // 2 → 1 in use: still at the new limit, the waiter keeps waiting
  strictEqual(sem.waiting, 1);
  sem.release(); // now under it: the permit passes on
  strictEqual(await third, true);
  strictEqual(sem.inUse, 1);
  sem.release();
});
