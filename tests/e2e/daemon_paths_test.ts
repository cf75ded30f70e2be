/**
 * Runtime paths: the control socket nobody named lives in the runtime
 * directory (never beside the config), one daemon per config file, and
 * every admin command finds the running daemon from its record — whatever
 * the file says now.
 */

import { assert, assertEquals, assertMatch } from "../_helpers/assert.ts";
import { CliProcess, literal, runCli, TYPED } from "../_helpers/cli.ts";
import { RawConnection, ROOT } from "../_helpers/mux.ts";

const FIXTURE = `${ROOT}tests/fixtures/fake_server.ts`;
const DENO = Deno.execPath();

interface Sandbox extends AsyncDisposable {
  dir: string;
  env: Record<string, string>;
  run: string;
}

/** A temp dir with its own runtime and state directories. */
async function sandbox(): Promise<Sandbox> {
  const dir = await Deno.makeTempDir({ prefix: "rmcp-mux-paths-" });
  const run = `${dir}/xdg-run`;
  await Deno.mkdir(run, { mode: 0o700 });
  return {
    dir,
    run,
    env: { XDG_RUNTIME_DIR: run, XDG_STATE_HOME: `${dir}/xdg-state` },
    [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }).catch(() => {}),
  };
}

function service(dir: string, name: string): string {
  return `  ${name}:\n    socket: ${dir}/${name}.sock\n    cmd: ${DENO} run -A --quiet ${FIXTURE}\n`;
}

Deno.test("the control socket lives in the runtime directory (0700), never beside a read-only config", async () => {
  await using box = await sandbox();
  const confDir = `${box.dir}/etc`;
  await Deno.mkdir(confDir);
  const config = `${confDir}/fleet.yaml`;
  await Deno.writeTextFile(config, `servers:\n${service(box.dir, "a")}`);
  await Deno.chmod(confDir, 0o500);
  await using daemon = new CliProcess(["--config", config], box.env);
  const line = await daemon.waitForLine(/Daemon running 1 services; control socket/);
  assertMatch(
    line,
    new RegExp(`control socket ${box.run}/rmcp-mux/fleet-[0-9a-f]{8}\\.control\\.sock`),
  );
  assertEquals(Deno.statSync(`${box.run}/rmcp-mux`).mode! & 0o777, 0o700);
  assertEquals([...Deno.readDirSync(confDir)].map((e) => e.name), ["fleet.yaml"]);
  const status = await runCli(["status", "--config", config, "--json"], { env: box.env });
  assertEquals(status.code, 0, status.stderr);
  assertEquals(JSON.parse(status.stdout).services[0].name, "a");
  assertEquals((await runCli(["shutdown", "--config", config], { env: box.env })).code, 0);
  assertEquals((await daemon.child.status).code, 0);
  // The record and the lock go with the daemon.
  const left = [...Deno.readDirSync(`${box.run}/rmcp-mux`)].map((e) => e.name);
  assertEquals(left, []);
  await Deno.chmod(confDir, 0o700);
});

Deno.test("a server without socket: listens at <runtime dir>/<name>.sock (0600 in a 0700 dir), and proxy --service finds it", async () => {
  await using box = await sandbox();
  const config = `${box.dir}/mux.yaml`;
  await Deno.writeTextFile(config, `servers:\n  a:\n    cmd: ${DENO} run -A --quiet ${FIXTURE}\n`);
  await using daemon = new CliProcess(["--config", config], box.env);
  await daemon.waitForLine(/Daemon running 1 services/);
  const socket = `${box.run}/rmcp-mux/a.sock`;
  assertEquals(Deno.statSync(`${box.run}/rmcp-mux`).mode! & 0o777, 0o700);
  assertEquals(Deno.statSync(socket).mode! & 0o777, 0o600);
  await using client = await RawConnection.open(socket);
  await client.initialize();
  // A host's entry names only the service: the proxy asks the daemon where it is.
  const init = JSON.stringify({
    jsonrpc: "2.0",
    id: 1,
    method: "initialize",
    params: {
      protocolVersion: "2025-11-25",
      capabilities: {},
      clientInfo: { name: "h", version: "1" },
    },
  });
  const proxy = await runCli(["proxy", "--service", "a", "--config", config], {
    env: box.env,
    stdin: `${init}\n`,
  });
  assertEquals(proxy.code, 0, proxy.stderr);
  assertEquals(JSON.parse(proxy.stdout.split("\n")[0]!).id, 1);
  assertEquals((await runCli(["shutdown", "--config", config], { env: box.env })).code, 0);
  assertEquals((await daemon.child.status).code, 0);
});

Deno.test("admin commands follow the running daemon after daemon.control changes in the file", async () => {
  await using box = await sandbox();
  const config = `${box.dir}/mux.yaml`;
  await Deno.writeTextFile(
    config,
    `daemon:\n  control: ${box.dir}/first.sock\nservers:\n${service(box.dir, "a")}`,
  );
  await using daemon = new CliProcess(["--config", config], box.env);
  await daemon.waitForLine(/control socket .*first\.sock/);
  await using client = await RawConnection.open(`${box.dir}/a.sock`);
  await client.initialize();
  await Deno.writeTextFile(
    config,
    `daemon:\n  control: ${box.dir}/second.sock\n  log_level: debug\n` +
      `servers:\n${service(box.dir, "a")}` +
      "    max_active_clients: 7\n",
  );
  const status = await runCli(["status", "--config", config, "--json"], { env: box.env });
  assertEquals(status.code, 0, status.stderr);
  assertEquals(JSON.parse(status.stdout).control, `${box.dir}/first.sock`);
  const reload = await runCli(["reload", "--config", config], { env: box.env });
  assertEquals(reload.code, 0, reload.stderr);
  assertMatch(
    reload.stdout,
    /^reloaded; .*applied in place: a; restarted in place: none; new socket: none/,
  );
  assertMatch(reload.stdout, /\n {2}a: maxActiveClients changed/);
  assertMatch(reload.stdout, /\n {2}daemon: daemon\.log_level applied in place/);
  assertMatch(
    reload.stdout,
    /\n {2}needs a daemon restart: daemon\.control is now .*second\.sock \(the daemon listens on .*first\.sock\)/,
  );
  await client.send({ jsonrpc: "2.0", id: "still", method: "ping" });
  assertEquals((await client.answer("still")).result, {}, "the limit change disconnected no one");
  const shutdown = await runCli(["shutdown", "--config", config], { env: box.env });
  assertEquals(shutdown.code, 0, shutdown.stderr);
  assertEquals((await daemon.child.status).code, 0);
});

Deno.test("one daemon per config file: a second one says which is running, exit 1", async () => {
  await using box = await sandbox();
  const config = `${box.dir}/one.yaml`;
  await Deno.writeTextFile(config, `servers:\n${service(box.dir, "a")}`);
  await using first = new CliProcess(["--config", config], box.env);
  await first.waitForLine(/Daemon running/);
  const second = await runCli(["--config", config], { env: box.env });
  assertEquals(second.code, 1);
  assertEquals(second.stderr.trim().split("\n").length, 1, second.stderr);
  const hint = new RegExp(
    `^rmcp-mux: a daemon for .*one\\.yaml is already running \\(pid ${first.child.pid}, ` +
      `control socket .*one-[0-9a-f]{8}\\.control\\.sock\\); see it with "(${literal(TYPED)} ` +
      `status --config .*one\\.yaml)" or stop it with "(${
        literal(TYPED)
      } shutdown --config .*)"\n$`,
  ).exec(second.stderr);
  assert(hint, second.stderr);
  // The commands it names work, typed into a shell as they are (here: Deno with this main.ts).
  const status = await new Deno.Command("sh", {
    args: ["-c", hint[1]!],
    env: box.env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(status.code, 0, new TextDecoder().decode(status.stderr));
  assertMatch(new TextDecoder().decode(status.stdout), /^rmcp-mux daemon \(pid \d+/);
  const shutdown = await new Deno.Command("sh", { args: ["-c", hint[2]!], env: box.env }).output();
  assertEquals(shutdown.code, 0);
  assertEquals((await first.child.status).code, 0);
});

Deno.test("no daemon running: admin commands say so in one line and how to start one", async () => {
  await using box = await sandbox();
  const config = `${box.dir}/idle.yaml`;
  await Deno.writeTextFile(config, `servers:\n${service(box.dir, "a")}`);
  for (const args of [["status"], ["reload"], ["restart", "a"]]) {
    const run = await runCli([...args, "--config", config], { env: box.env });
    assertEquals(run.code, 1);
    assertEquals(run.stderr.trim().split("\n").length, 1, run.stderr);
    assertMatch(
      run.stderr,
      new RegExp(
        "^rmcp-mux: no daemon is running for .*idle\\.yaml \\(.*idle-[0-9a-f]{8}\\.control\\.sock: " +
          `no such socket \\(is the mux running\\?\\)\\); start it with "${
            literal(TYPED)
          } --config ` +
          `${literal(config)}" or "${literal(TYPED)} service install --config ${
            literal(config)
          }"\n$`,
      ),
    );
  }
});

Deno.test("a daemon killed with SIGKILL leaves no lock behind: the next one starts", async () => {
  await using box = await sandbox();
  const config = `${box.dir}/crash.yaml`;
  await Deno.writeTextFile(config, `servers:\n${service(box.dir, "a")}`);
  const first = new CliProcess(["--config", config], box.env);
  await first.waitForLine(/Daemon running/);
  first.child.kill("SIGKILL");
  await first[Symbol.asyncDispose]();
  await using second = new CliProcess(["--config", config], box.env);
  await second.waitForLine(/Daemon running 1 services/);
  const status = await runCli(["status", "--config", config, "--json"], { env: box.env });
  assertEquals(JSON.parse(status.stdout).pid, second.child.pid);
  assert((await runCli(["shutdown", "--config", config], { env: box.env })).code === 0);
  assertEquals((await second.child.status).code, 0);
});
