/**
 * The command line's last line of defence (`src/cli/fatal.ts`, which
 * `main.ts` calls for any error nothing handled, thrown or from a forgotten
 * promise): one line, never a stack trace unless asked for.
 */

import { assert, assertEquals, assertMatch } from "../_helpers/assert.ts";
import { DEBUG_ENV, fatalText } from "../../src/cli/fatal.ts";
import { VERSION } from "../../src/version.ts";

function bug(): Error {
  try {
    (undefined as unknown as { services: string[] }).services.map(String);
  } catch (error) {
    return error as Error;
  }
  throw new Error("unreachable");
}

Deno.test("an internal error is one line: what, that it is a bug to report, the version, how to see more", () => {
  const text = fatalText(bug(), false);
  assertEquals(text.split("\n"), [
    "rmcp-mux: internal error: TypeError: Cannot read properties of undefined (reading " +
    `'services') — please report it with the command you ran (rmcp-mux ${VERSION}; ` +
    `${DEBUG_ENV}=1 shows where it failed)`,
    "",
  ]);
});

Deno.test(`${DEBUG_ENV}=1: the same line, then the stack`, () => {
  const error = bug();
  const text = fatalText(error, true);
  const [line, ...stack] = text.trimEnd().split("\n");
  assertMatch(line!, /^rmcp-mux: internal error: TypeError: .* \(rmcp-mux \d+\.\d+\.\d+\)$/);
  assertEquals(stack.join("\n"), error.stack);
  assertMatch(stack.join("\n"), /at bug \(.*fatal_test\.ts/);
});

Deno.test("whatever was thrown, the message is one bounded line", () => {
  const multi = fatalText(new Error("first\n  second\n\nthird"), false);
  assertMatch(multi, /^rmcp-mux: internal error: first second third — /);
  assertEquals(multi.split("\n").length, 2);
  assertMatch(fatalText("a string", false), /^rmcp-mux: internal error: a string — /);
  assertMatch(fatalText({ code: 7 }, false), /^rmcp-mux: internal error: \{"code":7\} — /);
  assertMatch(fatalText(undefined, false), /^rmcp-mux: internal error: undefined — /);
  assertMatch(fatalText(new Error(""), false), /^rmcp-mux: internal error: \(no message\) — /);
  const circular: Record<string, unknown> = {};
  circular.self = circular;
  assertMatch(fatalText(circular, false), /^rmcp-mux: internal error: \[object Object\] — /);
  const huge = fatalText(new Error("x".repeat(10_000)), false);
  assert(huge.length < 1_200, `${huge.length} characters`);
  assertMatch(huge, /x… — please report/);
});

Deno.test("a permission Deno refused is not a bug: the line says to run with -A", () => {
  const refused = new Deno.errors.NotCapable(
    'Requires net access to "127.0.0.1:7300", run again with the --allow-net flag',
  );
  assertEquals(
    fatalText(refused, true),
    'rmcp-mux: Requires net access to "127.0.0.1:7300", run again with the --allow-net flag; ' +
      "rmcp-mux needs all of Deno's permissions: run it with -A (deno run -A …, deno install -g -A …)\n",
  );
});
