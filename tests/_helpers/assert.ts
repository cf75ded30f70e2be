/**
 * The one assertion vocabulary of the tests: `node:assert/strict` under the
 * names of Deno's standard library (which JSR would give us, were it reachable).
 */
export {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  notDeepStrictEqual as assertNotEquals,
  notStrictEqual as assertNotStrictEquals,
  ok as assert,
  rejects as assertRejects,
  strictEqual as assertStrictEquals,
  throws as assertThrows,
} from "node:assert/strict";
