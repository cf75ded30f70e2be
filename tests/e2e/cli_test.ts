/**
 * The command line as users run it: a real `rmcp-mux` process.
 */

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { assert, assertEquals, assertMatch } from "../_helpers/assert.ts";
import { CliProcess, MAIN, runCli, TYPED } from "../_helpers/cli.ts";
import { fakeArgs, fakeServer, ROOT, startMux, textOf } from "../_helpers/mux.ts";
import { processAlive } from "../_helpers/process.ts";
import { tempDir } from "../_helpers/temp.ts";
import { PINNED_DENO, shellWord } from "../../src/paths/self_command.ts";

Deno.test("SIGTERM: exit 0, no socket file, no server process, no grandchild", async () => {
  await using dir = await tempDir("rmcp-mux-cli-");
  const socket = `${dir}/mux.sock`;
  const pidFile = `${dir}/pids`;
  await using mux = new CliProcess([
    "--socket",
    socket,
    ...fakeArgs("--grandchild", "--pid-file", pidFile),
  ]);
  await mux.waitForLine(/Server initialized: fake-server/);
  const [server, grandchild] = (await Deno.readTextFile(pidFile)).split(" ").map(Number);
  assert(processAlive(server!) && processAlive(grandchild!));
  assertEquals(Deno.statSync(socket).mode! & 0o777, 0o600, "the socket is private");
  mux.child.kill("SIGTERM");
  const status = await mux.child.status;
  assertEquals(status.code, 0);
  await assertGone(socket);
  assert(!processAlive(server!), "the server was stopped");
  assert(!processAlive(grandchild!), "its grandchild too");
});

Deno.test("the socket directory is created private (0700)", async () => {
  await using dir = await tempDir("rmcp-mux-cli-");
  const socket = `${dir}/nested/deeper/mux.sock`;
  await using _m = await startMux(fakeServer(), { socket });
  assertEquals(Deno.statSync(`${dir}/nested/deeper`).mode! & 0o777, 0o700);
});

Deno.test("a live mux on the socket: a second one refuses to start", async () => {
  await using m = await startMux(fakeServer());
  const second = await runCli(["--socket", m.socket, ...fakeArgs()]);
  assertEquals(second.code, 1);
  assertMatch(second.stderr, /Another rmcp-mux is already listening on ".*svc\.sock"/);
  // The first one still serves.
  await m.mux.waitFor("running", { timeoutMs: 10_000 });
  assertEquals((await runCli(["health", "--socket", m.socket])).code, 0);
});

Deno.test("a stale socket is removed; a non-socket path is never replaced", async () => {
  await using dir = await tempDir("rmcp-mux-cli-");
  const stale = `${dir}/stale.sock`;
  // A socket whose listener is gone without cleanup (as after a crash).
  const listener = Deno.listen({ transport: "unix", path: stale });
  const copy = `${dir}/copy.sock`;
  await Deno.link(stale, copy);
  listener.close();
  await using m = await startMux(fakeServer(), { socket: copy });
  await m.mux.waitFor("running", { timeoutMs: 10_000 });
  const file = `${dir}/file.sock`;
  await Deno.writeTextFile(file, "precious");
  const refused = await runCli(["--socket", file, ...fakeArgs()]);
  assertEquals(refused.code, 1);
  assertMatch(refused.stderr, /exists and is not a socket; refusing to replace it/);
  assertEquals(await Deno.readTextFile(file), "precious");
});

Deno.test("health: 0 when up, 1 with one line saying why otherwise", async () => {
  await using dir = await tempDir("rmcp-mux-cli-");
  const missing = await runCli(["health", "--socket", `${dir}/none.sock`]);
  assertEquals(missing.code, 1);
  assertEquals(missing.stderr.trim().split("\n").length, 1);
  assertMatch(missing.stderr, /no mux at .*none\.sock: no such socket/);

  await using up = await startMux(fakeServer());
  await up.mux.waitFor("running", { timeoutMs: 10_000 });
  const ok = await runCli(["health", "--socket", up.socket]);
  assertEquals(ok.code, 0);
  assertMatch(ok.stdout, /OK: server "svc" is up \(pid \d+, ping \d+ ms\)/);
  const json = await runCli(["health", "--socket", up.socket, "--json"]);
  assertEquals(JSON.parse(json.stdout).ok, true);

  await using failed = await startMux(fakeServer("--crash-on-start"), {
    socket: `${dir}/failed.sock`,
    maxRestarts: 1,
  });
  await failed.mux.waitFor("failed", { timeoutMs: 10_000 });
  const bad = await runCli(["health", "--socket", failed.socket]);
  assertEquals(bad.code, 1);
  assertMatch(bad.stderr, /^server "failed" failed: exit code 3/);
});

Deno.test("proxy: the SDK's own stdio transport talks to the mux through it", async () => {
  await using m = await startMux(fakeServer());
  const transport = new StdioClientTransport({
    command: Deno.execPath(),
    args: ["run", "-A", "--quiet", MAIN, "proxy", "--socket", m.socket],
    cwd: ROOT,
    stderr: "pipe",
  });
  const client = new Client({ name: "via-proxy", version: "1.0.0" });
  await client.connect(transport);
  try {
    assertEquals(client.getServerVersion()?.name, "fake-server");
    const result = await client.callTool({ name: "echo", arguments: { text: "through" } });
    assertEquals(textOf(result), "through");
  } finally {
    await client.close();
  }
});

Deno.test("proxy: answers still owed are relayed after stdin ends, then it exits 0", async () => {
  await using m = await startMux(fakeServer());
  const input = [
    { jsonrpc: "2.0", id: 1, method: "ping" },
    {
      jsonrpc: "2.0",
      id: 2,
      method: "tools/call",
      params: { name: "sleep", arguments: { ms: 100 } },
    },
  ].map((msg) => JSON.stringify(msg) + "\n").join("");
  const run = await runCli(["proxy", "--socket", m.socket], { stdin: input });
  assertEquals(run.code, 0);
  assertEquals(run.stderr, "");
  const answers = run.stdout.trim().split("\n").map((l) => JSON.parse(l));
  assertEquals(answers.map((a) => a.id), [1, 2]);
  assertEquals(textOf(answers[1].result), "slept 100");
});

Deno.test("proxy: no mux on the path → exit 1, one stderr line, nothing on stdout", async () => {
  await using dir = await tempDir("rmcp-mux-cli-");
  const run = await runCli(["proxy", "--socket", `${dir}/nothing.sock`], { stdin: "" });
  assertEquals(run.code, 1);
  assertEquals(run.stdout, "");
  assertEquals(run.stderr.trim().split("\n").length, 1);
  assertMatch(run.stderr, /rmcp-mux proxy: cannot connect to .*nothing\.sock: no such socket/);
});

Deno.test("usage errors exit 2 with a clear message; --help and --version exit 0", async () => {
  const bad = await runCli(["--socket", "/tmp/x.sock", "--cmd", "x", "--max-restarts", "five"]);
  assertEquals(bad.code, 2);
  assertMatch(bad.stderr, /--max-restarts: expected a whole number ≥ 0, got "five"/);
  const unknown = await runCli(["--bogus"]);
  assertEquals(unknown.code, 2);
  assertMatch(unknown.stderr, /unknown option --bogus/);
  const help = await runCli(["--help"]);
  assertEquals(help.code, 0);
  assertMatch(help.stdout, /rmcp-mux proxy --socket PATH/);
  const version = await runCli(["--version"]);
  assertMatch(version.stdout, /^rmcp-mux \d+\.\d+\.\d+/);
});

Deno.test("usage lines name rmcp-mux as it runs here: plain only when installed, else the whole command", async () => {
  const expected = (typed: string) =>
    `rmcp-mux: stop: name one service, e.g. ${typed} stop github\n` +
    `Run "${typed} --help" for usage.\n`;
  // The tests' environment (from a checkout: Deno with this main.ts, unless rmcp-mux is installed).
  const here = await runCli(["stop"]);
  assertEquals(here.code, 2);
  assertEquals(here.stderr, expected(TYPED));
  // The command it names runs, typed into a shell as it is.
  const help = await new Deno.Command("sh", { args: ["-c", `${TYPED} --help`], stdout: "piped" })
    .output();
  assertEquals(help.code, 0);
  assertMatch(new TextDecoder().decode(help.stdout), /^rmcp-mux \d+\.\d+\.\d+ — .*\n\nUsage:/);
  // Installed on PATH: plain `rmcp-mux`.
  await using dir = await tempDir("rmcp-mux-cli-");
  await Deno.writeTextFile(
    `${dir}/rmcp-mux`,
    `#!/bin/sh\nexec '${Deno.execPath()}' run -A --quiet '${MAIN}' "$@"\n`,
    { mode: 0o755 },
  );
  const installed = await runCli(["stop"], {
    env: { PATH: `${dir}:${Deno.env.get("PATH") ?? "/usr/bin:/bin"}` },
  });
  assertEquals(installed.stderr, expected("rmcp-mux"));
  // Not installed, no Deno on PATH but npx (as under `npx -y deno@…`): npx runs it.
  await Deno.remove(`${dir}/rmcp-mux`);
  await Deno.symlink("/bin/true", `${dir}/npx`);
  const npx = await runCli(["stop"], { env: { PATH: dir } });
  assertEquals(npx.stderr, expected(`${dir}/npx -y deno@${PINNED_DENO} run -A ${shellWord(MAIN)}`));
});

Deno.test("logs go to stderr tagged with the service; the server's stderr is captured", async () => {
  await using dir = await tempDir("rmcp-mux-cli-");
  await using mux = new CliProcess([
    "--socket",
    `${dir}/logs.sock`,
    "--service-name",
    "tagged",
    "--log-format",
    "text",
    ...fakeArgs("--crash-on-start"),
  ]);
  const line = await mux.waitForLine(/crashing on start/);
  assertMatch(line, /INFO {2}\[tagged stderr\] fake server: crashing on start as asked/);
});

async function assertGone(path: string): Promise<void> {
  try {
    await Deno.lstat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw error;
  }
  throw new Error(`${path} still exists`);
}
