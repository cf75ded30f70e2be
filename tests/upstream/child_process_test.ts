import { assert, assertEquals } from "../_helpers/assert.ts";
import { wait } from "../../src/async/wait.ts";
import type { LineEvent } from "../../src/jsonrpc/framing.ts";
import { ChildProcess } from "../../src/upstream/child_process.ts";

/** Line `[key, char, count]`: `{"key":"charcharchar…"}` (built on both sides: too long for argv). */
type Spec = [string, string, number];
const build = ([key, char, count]: Spec) => `{"${key}":"${char.repeat(count)}"}`;

/**
 * A program that writes the lines of `specs` to stdout in pieces of `piece`
 * bytes (so lines start and end anywhere in a read), then `done` to stderr.
 */
const WRITER = `
const [piece, specs] = JSON.parse(Deno.args[0]);
const build = ${build.toString()};
const bytes = new TextEncoder().encode(specs.map((s) => build(s) + "\\n").join(""));
for (let at = 0; at < bytes.length;) {
  at += Deno.stdout.writeSync(bytes.subarray(at, Math.min(at + piece, bytes.length)));
}
console.error("done");
`;

async function readAll(piece: number, specs: Spec[]): Promise<LineEvent[]> {
  const events: LineEvent[] = [];
  const stderr: string[] = [];
  const child = ChildProcess.spawn(
    {
      command: Deno.execPath(),
      args: ["eval", WRITER, JSON.stringify([piece, specs])],
    },
    {
      maxLineBytes: 1024 * 1024,
      onStdout: (event) => events.push(event),
      onStderr: (line) => stderr.push(line),
    },
  );
  // A reader that stopped would leave the writer blocked on a full pipe: fail, do not hang.
  const finished = await wait(child.exited, 30_000);
  if (!finished) await child.stop({ graceMs: 0, termMs: 1_000 });
  assert(finished, "the program never finished writing: its stdout stopped being read");
  assertEquals([(await child.exited).code, stderr], [0, ["done"]]);
  return events;
}

Deno.test("stdout lines longer than one read, cut anywhere, arrive whole and unchanged", async () => {
  // Each long line spans several 64 KiB reads of the one reused buffer; the short ones share reads.
  const specs: Spec[] = [
    ["a", "a", 150_000],
    ["short", "1", 1],
    ["b", "é", 70_000],
    ["short", "2", 1],
    ["c", "c", 65_527],
    ["short", "3", 1],
  ];
  const lines = specs.map(build);
  for (const piece of [7_001, 65_536, 200_000]) {
    const events = await readAll(piece, specs);
    // Compared by summary: a diff of 150 kB strings would take minutes to print.
    const seen = events.map((e, i) =>
      e.kind !== "line"
        ? e.kind
        : e.text === lines[i]
        ? "same"
        : `${e.text.length} chars, different`
    );
    assertEquals(seen, lines.map(() => "same"), `pieces of ${piece}`);
  }
});
