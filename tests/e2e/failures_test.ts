/**
 * Every failure is one line: the error paths a new user hits, each as a real
 * `rmcp-mux` process, asserting the line on stderr and the exit code.
 *
 * Unwritable places are under /sys: it refuses new files and directories
 * even to root (tests may run as root, for whom `chmod` means nothing).
 */

import { assert, assertEquals, assertMatch } from "../_helpers/assert.ts";
import { CliProcess, runCli } from "../_helpers/cli.ts";
import { processAlive as processExists } from "../_helpers/process.ts";
import { tempDir } from "../_helpers/temp.ts";
import { fakeArgs, ROOT } from "../_helpers/mux.ts";

const DENO = Deno.execPath();
const FIXTURE = `${ROOT}tests/fixtures/fake_server.ts`;

/** The last line of stderr (logs come before the one line that matters). */
function lastLine(stderr: string): string {
  return stderr.trim().split("\n").pop() ?? "";
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

Deno.test("a socket directory that cannot be created: one line naming it, exit 1", async () => {
  const run = await runCli(["--socket", "/sys/rmcp-mux-test/x.sock", ...fakeArgs()]);
  assertEquals(run.code, 1);
  assertEquals(run.stdout, "");
  assertEquals(run.stderr.trim().split("\n").length, 1, run.stderr);
  assertMatch(
    run.stderr,
    /^rmcp-mux: cannot create the socket directory "\/sys\/rmcp-mux-test": permission denied; choose a path in a directory you own\n$/,
  );
});

Deno.test("a socket in a directory that cannot be written: the real reason, not chmod's, exit 1", async () => {
  const run = await runCli(["--socket", "/sys/rmcp-mux-test.sock", ...fakeArgs()]);
  assertEquals(run.code, 1);
  assertEquals(run.stderr.trim().split("\n").length, 1, run.stderr);
  assertMatch(
    run.stderr,
    /^rmcp-mux: cannot create the socket "\/sys\/rmcp-mux-test\.sock": permission denied in "\/sys"; choose a --socket path in a directory you can write\n$/,
  );
});

Deno.test("a single mux whose command does not exist exits 1 at once with one line", async () => {
  await using dir = await tempDir("rmcp-mux-fail-");
  const socket = `${dir}/none.sock`;
  const run = await runCli(["--socket", socket, "--cmd", "no-such-program-rmcp-mux"]);
  assertEquals(run.code, 1);
  assertEquals(run.stdout, "");
  assertEquals(
    lastLine(run.stderr),
    'rmcp-mux: cannot start the server: command "no-such-program-rmcp-mux" not found in PATH; check --cmd',
  );
  assert(!(await exists(socket)), "the socket is removed");
});

Deno.test("a single mux whose command is not executable exits 1 at once", async () => {
  await using dir = await tempDir("rmcp-mux-fail-");
  const script = `${dir}/server.sh`;
  await Deno.writeTextFile(script, "#!/bin/sh\n", { mode: 0o644 });
  const run = await runCli(["--socket", `${dir}/x.sock`, "--cmd", script]);
  assertEquals(run.code, 1);
  assertMatch(
    lastLine(run.stderr),
    /^rmcp-mux: cannot start the server: command ".*server\.sh" is not executable/,
  );
});

Deno.test("--status-file: a missing directory is created; one that cannot be is one line, exit 1", async () => {
  await using dir = await tempDir("rmcp-mux-fail-");
  const file = `${dir}/new/deeper/status.json`;
  await using mux = new CliProcess([
    "--socket",
    `${dir}/s.sock`,
    "--status-file",
    file,
    ...fakeArgs(),
  ]);
  await mux.waitForLine(/Server initialized/);
  assertEquals(Deno.statSync(`${dir}/new/deeper`).mode! & 0o777, 0o700);
  const status = JSON.parse(await Deno.readTextFile(file));
  assertEquals(status.service, "s");
  mux.child.kill("SIGTERM");
  assertEquals((await mux.child.status).code, 0);

  const bad = await runCli([
    "--socket",
    `${dir}/t.sock`,
    "--status-file",
    "/sys/rmcp-mux-test/status.json",
    ...fakeArgs(),
  ]);
  assertEquals(bad.code, 1);
  assertEquals(bad.stderr.trim().split("\n").length, 1, bad.stderr);
  assertMatch(
    bad.stderr,
    /^rmcp-mux: cannot create the status file directory "\/sys\/rmcp-mux-test": permission denied/,
  );
  assert(!(await exists(`${dir}/t.sock`)), "nothing was left listening");
});

Deno.test("SIGHUP (the terminal closed) stops a single mux: exit 0, socket and server gone", async () => {
  await using dir = await tempDir("rmcp-mux-fail-");
  const socket = `${dir}/hup.sock`;
  const pidFile = `${dir}/pid`;
  await using mux = new CliProcess(["--socket", socket, ...fakeArgs("--pid-file", pidFile)]);
  await mux.waitForLine(/Server initialized/);
  const server = Number((await Deno.readTextFile(pidFile)).split(" ")[0]);
  mux.child.kill("SIGHUP");
  assertEquals((await mux.child.status).code, 0);
  assert(!(await exists(socket)), "the socket is removed");
  assert(!processExists(server), "the server is stopped");
});

Deno.test("Ctrl+C delivered twice at once (group + launcher) is one graceful stop: exit 0, socket gone", async () => {
  await using dir = await tempDir("rmcp-mux-fail-");
  const socket = `${dir}/int.sock`;
  await using mux = new CliProcess(["--socket", socket, ...fakeArgs()]);
  await mux.waitForLine(/Server initialized/);
  mux.child.kill("SIGINT");
  mux.child.kill("SIGINT");
  assertEquals((await mux.child.status).code, 0);
  assert(!(await exists(socket)), "the socket is removed");
});

Deno.test("a second Ctrl+C during a slow stop exits 130 at once, still removing the socket and the server", async () => {
  await using dir = await tempDir("rmcp-mux-fail-");
  const socket = `${dir}/slow.sock`;
  const pidFile = `${dir}/pid`;
  await using mux = new CliProcess([
    "--socket",
    socket,
    ...fakeArgs("--ignore-stdin-eof", "--ignore-sigterm", "--pid-file", pidFile),
  ]);
  await mux.waitForLine(/Server initialized/);
  const server = Number((await Deno.readTextFile(pidFile)).split(" ")[0]);
  mux.child.kill("SIGINT");
  await mux.waitForLine(/Shutting down/);
  // The server ignores stdin EOF and SIGTERM: the graceful stop takes seconds.
  // A person pressing Ctrl+C again comes later than a duplicated delivery.
  await new Promise((resolve) => setTimeout(resolve, 700));
  mux.child.kill("SIGINT");
  assertEquals((await mux.child.status).code, 130);
  assert(!(await exists(socket)), "the socket is removed");
  for (let i = 0; i < 50 && processExists(server); i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert(!processExists(server), "the server's group was killed");
});

Deno.test("a runtime or state directory that cannot be created: one line naming it and the variable to set, exit 1", async () => {
  await using dir = await tempDir("rmcp-mux-fail-");
  const config = `${dir}/mux.yaml`;
  await Deno.writeTextFile(
    config,
    `servers:\n  a:\n    socket: ${dir}/a.sock\n    cmd: ${DENO} run -A --quiet ${FIXTURE}\n`,
  );
  // systemctl that answers (no user bus in tests): the install gets as far as its directories.
  await Deno.mkdir(`${dir}/bin`);
  await Deno.writeTextFile(`${dir}/bin/systemctl`, "#!/bin/sh\nexit 0\n", { mode: 0o755 });
  const env = {
    PATH: `${dir}/bin:${Deno.env.get("PATH") ?? "/usr/bin:/bin"}`,
    XDG_CONFIG_HOME: `${dir}/config`,
    XDG_RUNTIME_DIR: "/sys/rmcp-mux-test-run",
    XDG_STATE_HOME: `${dir}/state`,
  };
  const runtime =
    /^rmcp-mux( proxy)?: (service install: )?cannot create the runtime directory "\/sys\/rmcp-mux-test-run\/rmcp-mux": permission denied; set XDG_RUNTIME_DIR to a directory you own \(unset, ~\/\.rmcp-mux\/run is used\)\n$/;
  for (
    const args of [
      ["--config", config],
      ["service", "install", "--config", config],
      ["proxy", "--service", "a", "--config", config],
    ]
  ) {
    const run = await runCli(args, { env, stdin: "" });
    assertEquals(run.code, 1, `${args.join(" ")}: ${run.stderr}`);
    assertEquals(run.stderr.trim().split("\n").length, 1, run.stderr);
    assertMatch(run.stderr, runtime);
  }
  assertEquals(await exists(`${dir}/config/systemd`), false, "no unit written");

  const state = await runCli(["proxy", "--service", "a", "--config", config], {
    env: { ...env, XDG_RUNTIME_DIR: `${dir}/run`, XDG_STATE_HOME: "/sys/rmcp-mux-test-state" },
    stdin: "",
  });
  assertEquals(state.code, 1, state.stderr);
  assertMatch(
    state.stderr,
    /^rmcp-mux proxy: cannot create the state directory "\/sys\/rmcp-mux-test-state\/rmcp-mux": permission denied; set XDG_STATE_HOME to a directory you own/,
  );
});

Deno.test("daemon mode: a socket that cannot be used names the config's socket: (or daemon.control) to change, not --socket", async () => {
  await using dir = await tempDir("rmcp-mux-fail-");
  const server = `    cmd: ${DENO} run -A --quiet ${FIXTURE}\n`;
  const config = `${dir}/mux.yaml`;
  await Deno.writeTextFile(`${dir}/taken`, "a file, not a socket");
  await Deno.writeTextFile(
    config,
    `servers:\n  a:\n    socket: /sys/rmcp-mux-test.sock\n${server}` +
      `  b:\n    socket: ${dir}/taken\n${server}`,
  );
  const run = await runCli(["--config", config]);
  assertEquals(run.code, 1, run.stderr);
  assertMatch(
    run.stderr,
    new RegExp(
      'Cannot start service a: cannot create the socket "/sys/rmcp-mux-test\\.sock": permission ' +
        `denied in "/sys"; set socket: in ${config} \\(service a\\) to a path in a directory you can write\\n`,
    ),
  );
  assertMatch(
    run.stderr,
    new RegExp(
      `Cannot start service b: "${dir}/taken" exists and is not a socket; refusing to replace it; ` +
        `set socket: in ${config} \\(service b\\) to another path\\n`,
    ),
  );
  assert(!run.stderr.includes("--socket"), run.stderr);
  assertEquals(lastLine(run.stderr), "rmcp-mux: no service could start; see the errors above");

  // --socket for one service overrides the file: then it is --socket to change.
  const flag = await runCli(["--config", config, "--service", "b", "--socket", `${dir}/taken`]);
  assertEquals(flag.code, 1, flag.stderr);
  assertMatch(flag.stderr, /refusing to replace it\. Choose another --socket path\n/);

  // The control socket: daemon.control in the file.
  await Deno.writeTextFile(
    config,
    `daemon:\n  control: ${dir}/taken\nservers:\n  a:\n    socket: ${dir}/a.sock\n${server}`,
  );
  const control = await runCli(["--config", config]);
  assertEquals(control.code, 1, control.stderr);
  assertEquals(
    lastLine(control.stderr),
    `rmcp-mux: "${dir}/taken" exists and is not a socket; refusing to replace it; ` +
      `set daemon.control in ${config} to another path`,
  );
  assertEquals(await exists(`${dir}/a.sock`), false, "the service's socket is removed again");
});

Deno.test("proxy --reconnect-timeout-ms -1: the value is wrong, not missing; exit 2", async () => {
  const run = await runCli(["proxy", "--socket", "/tmp/x.sock", "--reconnect-timeout-ms", "-1"], {
    stdin: "",
  });
  assertEquals(run.code, 2);
  assertEquals(run.stdout, "");
  assertEquals(
    run.stderr.split("\n")[0],
    'rmcp-mux: --reconnect-timeout-ms: expected a whole number ≥ 0, got "-1"',
  );
  const main = await runCli(["health", "--socket", "/tmp/x.sock", "--timeout-ms", "-5"]);
  assertEquals(main.code, 2);
  assertEquals(
    main.stderr.split("\n")[0],
    'rmcp-mux: --timeout-ms: expected a whole number ≥ 1, got "-5"',
  );
});

/** `main.ts` under Deno with only `permissions` (no prompt: stdin is not a terminal). */
async function runWith(permissions: string[], args: string[]) {
  const out = await new Deno.Command(DENO, {
    args: ["run", "--quiet", "--no-prompt", ...permissions, `${ROOT}main.ts`, ...args],
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

Deno.test("run without the permissions it needs: one line saying so (not a stack trace), exit 1", async () => {
  // Deno may read the checkout but not the environment: the line says to run with -A.
  for (const args of [["--version"], ["status"], ["proxy", "--socket", "/tmp/x.sock"]]) {
    const run = await runWith(["--allow-read"], args);
    assertEquals(run.code, 1, `${args.join(" ")}: ${run.stderr}`);
    assertEquals(run.stdout, "");
    assertEquals(
      run.stderr,
      'rmcp-mux: Requires env access to "HOME", run again with the --allow-env flag; rmcp-mux ' +
        "needs all of Deno's permissions: run it with -A (deno run -A …, deno install -g -A …)\n",
    );
  }
  // Nothing allowed at all: not even the code that words errors can load; Deno's reason, one line.
  const none = await runWith([], ["status"]);
  assertEquals(none.code, 1, none.stderr);
  assertMatch(
    none.stderr,
    /^rmcp-mux: Requires read access to ".*", run again with the --allow-read flag; rmcp-mux needs all of Deno's permissions: run it with -A\n$/,
  );
});
