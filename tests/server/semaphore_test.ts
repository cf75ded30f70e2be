import { assert, assertEquals, assertStrictEquals } from "../_helpers/assert.ts";
import { Semaphore } from "../../src/server/semaphore.ts";

/** Long enough never to fire during a test: waits end by release or abort. */
const FOREVER = 60_000;

Deno.test("Semaphore: tryAcquire takes permits up to the limit", () => {
  const sem = new Semaphore(3);
  assertStrictEquals(sem.permits, 3);
  assertStrictEquals(sem.inUse, 0);
  assert(sem.tryAcquire());
  assert(sem.tryAcquire());
  assert(sem.tryAcquire());
  assertStrictEquals(sem.inUse, 3);
  assertStrictEquals(sem.tryAcquire(), false, "no fourth permit");
  assertStrictEquals(sem.inUse, 3);
  sem.release();
  assertStrictEquals(sem.inUse, 2);
  assert(sem.tryAcquire(), "a released permit can be taken again");
});

Deno.test("Semaphore: release without waiters never goes below zero", () => {
  const sem = new Semaphore(1);
  sem.release();
  assertStrictEquals(sem.inUse, 0);
  assert(sem.tryAcquire());
  assertStrictEquals(sem.tryAcquire(), false, "an extra release did not create a second permit");
});

Deno.test("Semaphore: acquire returns at once when a permit is free", async () => {
  const sem = new Semaphore(1);
  assertStrictEquals(await sem.acquire(FOREVER), true);
  assertStrictEquals(sem.inUse, 1);
  assertStrictEquals(sem.waiting, 0);
});

Deno.test("Semaphore: a waiter gets the permit when it is released", async () => {
  const sem = new Semaphore(1);
  assert(sem.tryAcquire());
  const waiter = sem.acquire(FOREVER);
  assertStrictEquals(sem.waiting, 1);
  sem.release();
  assertStrictEquals(await waiter, true);
  assertStrictEquals(sem.inUse, 1, "the permit passed straight to the waiter");
  assertStrictEquals(sem.waiting, 0);
  sem.release();
  assertStrictEquals(sem.inUse, 0);
});

Deno.test("Semaphore: waiters are served first in, first out", async () => {
  const sem = new Semaphore(1);
  assert(sem.tryAcquire());
  const order: string[] = [];
  const waiters = ["a", "b", "c"].map((name) =>
    sem.acquire(FOREVER).then((granted) => {
      order.push(name);
      return granted;
    })
  );
  assertStrictEquals(sem.waiting, 3);
  sem.release();
  assertStrictEquals(await waiters[0], true);
  assertEquals(order, ["a"]);
  assertStrictEquals(sem.waiting, 2);
  sem.release();
  assertStrictEquals(await waiters[1], true);
  assertEquals(order, ["a", "b"]);
  sem.release();
  assertStrictEquals(await waiters[2], true);
  assertEquals(order, ["a", "b", "c"]);
  assertStrictEquals(sem.inUse, 1);
  sem.release();
  assertStrictEquals(sem.inUse, 0);
});

Deno.test("Semaphore: a newcomer cannot jump the queue when a permit is handed over", async () => {
  const sem = new Semaphore(1);
  assert(sem.tryAcquire());
  const waiter = sem.acquire(FOREVER);
  sem.release();
  assertStrictEquals(sem.tryAcquire(), false, "the released permit belongs to the waiter");
  assertStrictEquals(await waiter, true);
  sem.release();
});

Deno.test("Semaphore: acquire times out with false and the waiter is removed", async () => {
  const sem = new Semaphore(1);
  assert(sem.tryAcquire());
  const result = sem.acquire(1);
  assertStrictEquals(sem.waiting, 1);
  assertStrictEquals(await result, false);
  assertStrictEquals(sem.waiting, 0);
  assertStrictEquals(sem.inUse, 1, "the holder still holds its permit");
  // the timed-out waiter does not take the next release
  sem.release();
  assertStrictEquals(sem.inUse, 0);
  assert(sem.tryAcquire());
});

Deno.test("Semaphore: a timed-out waiter leaves the others in line", async () => {
  const sem = new Semaphore(1);
  assert(sem.tryAcquire());
  const patient = sem.acquire(FOREVER);
  const impatient = sem.acquire(0);
  assertStrictEquals(sem.waiting, 2);
  assertStrictEquals(await impatient, false);
  assertStrictEquals(sem.waiting, 1);
  sem.release();
  assertStrictEquals(await patient, true);
  assertStrictEquals(sem.inUse, 1);
  sem.release();
});

Deno.test("Semaphore: an abort ends the wait with false and removes the waiter", async () => {
  const sem = new Semaphore(1);
  assert(sem.tryAcquire());
  const controller = new AbortController();
  const result = sem.acquire(FOREVER, controller.signal);
  assertStrictEquals(sem.waiting, 1);
  controller.abort();
  assertStrictEquals(await result, false);
  assertStrictEquals(sem.waiting, 0);
  assertStrictEquals(sem.inUse, 1);
  sem.release();
  assertStrictEquals(sem.inUse, 0);
});

Deno.test("Semaphore: an already-aborted signal does not wait at all", async () => {
  const sem = new Semaphore(1);
  assert(sem.tryAcquire());
  const result = sem.acquire(FOREVER, AbortSignal.abort());
  assertStrictEquals(sem.waiting, 0, "an aborted caller must not queue for a permit");
  assertStrictEquals(await result, false);
  sem.release();
  assertStrictEquals(sem.inUse, 0, "the permit was not handed to the aborted caller");
});

Deno.test("Semaphore: a release racing with an abort never loses or duplicates a permit", async () => {
  // Release at every point of the abandoned waiter's unwinding, one microtask
  // apart: whether the waiter ends up with the permit or not, the count must
  // match, and the permit must be usable afterwards.
  let sawLateGrant = false;
  for (let ticks = 0; ticks < 40; ticks++) {
    const sem = new Semaphore(1);
    assert(sem.tryAcquire());
    const controller = new AbortController();
    const result = sem.acquire(FOREVER, controller.signal);
    controller.abort();
    for (let i = 0; i < ticks; i++) await Promise.resolve();
    const waitingAtRelease = sem.waiting;
    sem.release(); // the holder leaves at the same moment
    const granted = await result;
    if (!granted && waitingAtRelease === 1) sawLateGrant = true;
    assertStrictEquals(sem.waiting, 0, `ticks=${ticks}`);
    assertStrictEquals(sem.inUse, granted ? 1 : 0, `ticks=${ticks} granted=${granted}`);
    if (granted) sem.release();
    assertStrictEquals(sem.inUse, 0, `ticks=${ticks}`);
    assert(sem.tryAcquire(), `ticks=${ticks}: the permit is free again`);
    assertStrictEquals(sem.tryAcquire(), false, `ticks=${ticks}: and there is only one`);
  }
  assert(sawLateGrant, "the permit was handed to a waiter that had already given up at least once");
});

Deno.test("Semaphore: a permit handed to a waiter that gave up passes on to the next", async () => {
  let sawHandOver = false;
  for (let ticks = 0; ticks < 40; ticks++) {
    const sem = new Semaphore(1);
    assert(sem.tryAcquire());
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
      assertStrictEquals(await next, true, `ticks=${ticks}`);
      if (waitingAtRelease === 2) sawHandOver = true;
      assertStrictEquals(sem.inUse, 1);
      sem.release();
    } else {
      assertStrictEquals(sem.waiting, 1);
      sem.release();
      assertStrictEquals(await next, true);
      sem.release();
    }
    assertStrictEquals(sem.inUse, 0, `ticks=${ticks}`);
    assertStrictEquals(sem.waiting, 0, `ticks=${ticks}`);
  }
  assert(sawHandOver, "the hand-over path was exercised");
});

Deno.test("Semaphore: waiting counts callers in line", async () => {
  const sem = new Semaphore(2);
  assert(sem.tryAcquire());
  assert(sem.tryAcquire());
  assertStrictEquals(sem.waiting, 0);
  const a = sem.acquire(FOREVER);
  const b = sem.acquire(FOREVER);
  assertStrictEquals(sem.waiting, 2);
  sem.release();
  await a;
  assertStrictEquals(sem.waiting, 1);
  sem.release();
  await b;
  assertStrictEquals(sem.waiting, 0);
  assertStrictEquals(sem.inUse, 2);
  sem.release();
  sem.release();
  assertStrictEquals(sem.inUse, 0);
});

Deno.test("setPermits: more permits admit waiters at once; fewer wait for holders to leave", async () => {
  const sem = new Semaphore(1);
  assert(sem.tryAcquire());
  const waiting = sem.acquire(FOREVER);
  sem.setPermits(2);
  assertStrictEquals(await waiting, true, "the raised limit admits the waiter");
  assertStrictEquals(sem.inUse, 2);
  sem.setPermits(1);
  const third = sem.acquire(FOREVER);
  sem.release(); // 2 → 1 in use: still at the new limit, the waiter keeps waiting
  assertStrictEquals(sem.waiting, 1);
  sem.release(); // now under it: the permit passes on
  assertStrictEquals(await third, true);
  assertStrictEquals(sem.inUse, 1);
  sem.release();
});
