/**
 * Run as its own process (so other test modules, threads of the test process,
 * cannot change the umask it watches): two threads each bind, close and remove
 * `count` private sockets in `<dir>/0` and `<dir>/1` while the main thread
 * watches the process umask. Prints one JSON line: the umask before, every
 * value seen meanwhile, the umask after, and what is left in the directories.
 *
 * Usage: deno run -A concurrent_binds.ts DIR COUNT
 */

import { BindThread } from "./bind_thread.ts";

/** The process umask, read without changing it (`Deno.umask()` sets 0 for an instant). */
async function umask(): Promise<number> {
  const status = await Deno.readTextFile("/proc/self/status");
  const value = status.match(/^Umask:\s*([0-7]+)$/m)?.[1];
  if (value === undefined) throw new Error("no Umask line in /proc/self/status");
  return parseInt(value, 8);
}

const [dir, count] = [Deno.args[0]!, Number(Deno.args[1])];
const before = await umask();
const seen = new Set<number>();
using first = new BindThread();
using second = new BindThread();
let done = false;
const churning = Promise.all([first, second].map((thread, i) => {
  Deno.mkdirSync(`${dir}/${i}`);
  return thread.ask({ kind: "churn", dir: `${dir}/${i}`, count });
})).finally(() => done = true);
while (!done) seen.add(await umask());
await churning;
const after = await umask();
const left = [0, 1].flatMap((i) => [...Deno.readDirSync(`${dir}/${i}`)].map((e) => e.name));
console.log(JSON.stringify({ before, seen: [...seen], after, left }));
