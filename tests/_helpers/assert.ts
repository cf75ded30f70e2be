/**
 * The one assertion vocabulary of the tests: `node:assert/strict` under the
 * names of Deno's standard library (which JSR would give us, were it reachable).
 * `assertRejects`/`assertThrows` take std's third argument too: a text the
 * error's message must include (node's would be a failure message, silently
 * checking nothing).
 */

import assert from "node:assert/strict";

export {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  notDeepStrictEqual as assertNotEquals,
  notStrictEqual as assertNotStrictEquals,
  ok as assert,
  strictEqual as assertStrictEquals,
} from "node:assert/strict";

// deno-lint-ignore no-explicit-any
type ErrorClass = new (...args: any[]) => Error;
type Expected = RegExp | ErrorClass | ((error: unknown) => boolean) | object;

function checkMessage(error: unknown, msgIncludes: string): void {
  const message = error instanceof Error ? error.message : String(error);
  assert.ok(
    message.includes(msgIncludes),
    `expected the error message to include ${JSON.stringify(msgIncludes)}, got ${
      JSON.stringify(message)
    }`,
  );
}

/** Asserts that `fn` rejects (with `expected`, and a message including `msgIncludes`). */
export async function assertRejects(
  fn: (() => Promise<unknown>) | Promise<unknown>,
  expected?: Expected,
  msgIncludes?: string,
): Promise<void> {
  let caught: unknown = undefined;
  await assert.rejects(async () => {
    try {
      await (typeof fn === "function" ? fn() : fn);
    } catch (error) {
      caught = error;
      throw error;
    }
  }, expected as RegExp);
  if (msgIncludes !== undefined) checkMessage(caught, msgIncludes);
}

/** Asserts that `fn` throws (with `expected`, and a message including `msgIncludes`). */
export function assertThrows(fn: () => unknown, expected?: Expected, msgIncludes?: string): void {
  let caught: unknown = undefined;
  assert.throws(() => {
    try {
      fn();
    } catch (error) {
      caught = error;
      throw error;
    }
  }, expected as RegExp);
  if (msgIncludes !== undefined) checkMessage(caught, msgIncludes);
}
