/**
 * `rmcp-mux status --watch` as a person uses it: in a real terminal (tmux),
 * select a service, restart it behind a confirmation, quit; and piped, plain
 * snapshots without escape codes.
 */

import { assert, assertEquals, assertMatch, assertNotEquals } from "../_helpers/assert.ts";
import { CliProcess, MAIN, runCli } from "../_helpers/cli.ts";
import { ROOT } from "../_helpers/mux.ts";
import { TmuxSession } from "../_helpers/tmux.ts";

const FIXTURE = `${ROOT}tests/fixtures/fake_server.ts`;
const DENO = Deno.execPath();

async function fleet(): Promise<{ dir: string; config: string } & AsyncDisposable> {
  const dir = await Deno.makeTempDir({ prefix: "rmcp-mux-watch-" });
  const config = `${dir}/mux.yaml`;
  const one = (name: string, flags = "") =>
    `  ${name}:\n    socket: ${dir}/${name}.sock\n    cmd: ${DENO} run -A --quiet ${FIXTURE} ${flags}\n`;
  await Deno.writeTextFile(
    config,
    `defaults:\n  restart_backoff_ms: 20\n  restart_backoff_max_ms: 100\nservers:\n` +
      one("alpha") + one("beta") + one("crashy", "--crash-on-start"),
  );
  return {
    dir,
    config,
    [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }).catch(() => {}),
  };
}

async function pidOf(config: string, name: string): Promise<number | undefined> {
  // Only this service: crashy's failure would make status exit 1.
  const run = await runCli(["status", "--config", config, "--json", name]);
  assertEquals(run.code, 0, run.stderr);
  const status = JSON.parse(run.stdout) as {
    services: { name: string; mux?: { server: { pid?: number } } }[];
  };
  return status.services.find((s) => s.name === name)?.mux?.server.pid;
}

Deno.test("status --watch in a terminal: select with j/k, restart behind a confirmation, quit with q", async () => {
  await using files = await fleet();
  await using daemon = new CliProcess(["--config", files.config]);
  await daemon.waitForLine(/Daemon running 3 services/);
  await using term = await TmuxSession.start(
    [DENO, "run", "-A", "--quiet", MAIN, "status", "--watch", "--config", files.config],
    { width: 140, height: 35, cwd: ROOT },
  );
  // The fleet, the first service selected, the keys.
  await term.waitFor(/^› alpha\s+running\s+\d+/m);
  await term.waitFor(/^ {2}beta\s+running\s+\d+/m);
  const screen = await term.waitFor(/^ {2}crashy\s+(restarting|starting|failed)/m);
  assertMatch(
    screen,
    /↑\/↓ or j\/k select {2}r restart {2}s stop {2}S start {2}l reload {2}q quit/,
  );
  const betaPid = await pidOf(files.config, "beta");
  const alphaPid = await pidOf(files.config, "alpha");
  assert(betaPid !== undefined);

  // Select beta; a stop asked and cancelled does nothing.
  await term.sendKeys("j");
  await term.waitFor(/^› beta/m);
  await term.sendKeys("s");
  await term.waitFor(/^Stop beta\? y to confirm, any other key cancels$/m);
  await term.sendKeys("n");
  await term.waitFor(/^cancelled$/m);
  assertEquals(await pidOf(files.config, "beta"), betaPid);

  // Restart it: confirmed, the outcome inline, a new process, its neighbour untouched.
  await term.sendKeys("r");
  await term.waitFor(/^Restart beta\? y to confirm/m);
  await term.sendKeys("y");
  const done = await term.waitFor(/^restarted beta: running \(pid (\d+)\)$/m);
  const newPid = Number(done.match(/^restarted beta: running \(pid (\d+)\)$/m)![1]);
  assertNotEquals(newPid, betaPid);
  assertEquals(await pidOf(files.config, "beta"), newPid);
  assertEquals(await pidOf(files.config, "alpha"), alphaPid);
  await term.waitFor(new RegExp(`^› beta\\s+running\\s+${newPid}\\s`, "m"));

  // Up past the top wraps to the last; the crash loop's stderr is shown for it.
  await term.sendKeys("k", "k");
  await term.waitFor(/^› crashy/m);
  await term.waitFor(/^ {2}stderr: fake server: crashing on start as asked$/m);

  await term.sendKeys("q");
  assertEquals(await term.exitStatus(), 0);
  await runCli(["shutdown", "--config", files.config]);
  assertEquals((await daemon.child.status).code, 0);
});

Deno.test("status --watch piped: one plain snapshot per interval, not one escape code", async () => {
  await using files = await fleet();
  await using daemon = new CliProcess(["--config", files.config]);
  await daemon.waitForLine(/Daemon running 3 services/);
  const watch = new Deno.Command(DENO, {
    args: ["run", "-A", "--quiet", MAIN, "status", "--watch", "--config", files.config],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    cwd: ROOT,
  }).spawn();
  let text = "";
  const reader = watch.stdout.pipeThrough(new TextDecoderStream()).getReader();
  while ((text.match(/^\(at .+\)$/gm) ?? []).length < 2) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  watch.kill("SIGINT");
  while (!(await reader.read()).done) { /* drain */ }
  const status = await watch.status;
  await watch.stderr.cancel();
  assertEquals(status.code, 0, "Ctrl+C ends it cleanly");
  assert(!text.includes("\x1b"), `no escape codes:\n${JSON.stringify(text)}`);
  const snapshots = text.split(/^\(at .+\)$/m).filter((s) => s.trim() !== "");
  assert(snapshots.length >= 2, text);
  for (const snapshot of snapshots.slice(0, 2)) {
    assertMatch(snapshot, /^SERVICE\s+STATE/m);
    assertMatch(snapshot, /^alpha\s+running/m);
  }
  await runCli(["shutdown", "--config", files.config]);
  await daemon.child.status;
});
