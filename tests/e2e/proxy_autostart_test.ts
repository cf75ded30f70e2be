/**
 * `rmcp-mux proxy --service NAME --config FILE` starts the daemon when none
 * answers: ten proxies racing start exactly one, detached in its own session
 * and logging to the state directory; a killed daemon is started again by
 * the proxies' reconnect; and every way it can fail is one line.
 */

import { assert, assertEquals, assertMatch } from "../_helpers/assert.ts";
import { Client as ModernClient } from "@modelcontextprotocol/client";
import { StdioClientTransport as ModernStdio } from "@modelcontextprotocol/client/stdio";
import { MAIN, runCli } from "../_helpers/cli.ts";
import { ROOT, textOf } from "../_helpers/mux.ts";
import { processAlive as processExists } from "../_helpers/process.ts";
import { RawProxy } from "../_helpers/proxy_host.ts";

const DENO = Deno.execPath();
const FIXTURE = `${ROOT}tests/fixtures/fake_server.ts`;

interface Sandbox extends AsyncDisposable {
  dir: string;
  env: Record<string, string>;
  config: string;
}

/** A config with one fixture service, and private runtime and state directories. */
async function sandbox(): Promise<Sandbox> {
  const dir = await Deno.makeTempDir({ prefix: "rmcp-mux-auto-" });
  await Deno.mkdir(`${dir}/run`, { mode: 0o700 });
  const config = `${dir}/mux.yaml`;
  await Deno.writeTextFile(
    config,
    `servers:\n  svc:\n    socket: ${dir}/svc.sock\n    cmd: ${DENO} run -A --quiet ${FIXTURE}\n` +
      "    restart_backoff_ms: 20\n",
  );
  const env = { XDG_RUNTIME_DIR: `${dir}/run`, XDG_STATE_HOME: `${dir}/state` };
  return {
    dir,
    env,
    config,
    async [Symbol.asyncDispose]() {
      // Whatever a test left running: the daemon it started.
      await runCli(["shutdown", "--config", config], { env });
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

async function daemonPid(box: Sandbox): Promise<number> {
  const status = await runCli(["status", "--config", box.config, "--json"], { env: box.env });
  assertEquals(status.code, 0, status.stderr);
  return JSON.parse(status.stdout).pid;
}

/** Processes running a daemon for `config` (from `ps`). */
async function daemonsFor(config: string): Promise<number> {
  const out = await new Deno.Command("ps", { args: ["-eo", "stat=,args="] }).output();
  return new TextDecoder().decode(out.stdout).split("\n").filter((line) =>
    line.includes(`--config ${config} --log-file`) && !line.trim().startsWith("Z")
  ).length;
}

async function echo(proxy: RawProxy, id: string, text: string): Promise<string> {
  await proxy.send({
    jsonrpc: "2.0",
    id,
    method: "tools/call",
    params: { name: "echo", arguments: { text } },
  });
  return textOf((await proxy.answer(id)).result);
}

Deno.test("ten proxies racing start exactly one daemon, detached, logging to the state directory; ten sessions work", async () => {
  await using box = await sandbox();
  const args = ["proxy", "--service", "svc", "--config", box.config];
  const proxies = Array.from({ length: 10 }, () => new RawProxy(args, box.env));
  try {
    await Promise.all(proxies.map((p, i) => p.initialize(`host-${i}`)));
    const answers = await Promise.all(proxies.map((p, i) => echo(p, `e${i}`, `session ${i}`)));
    assertEquals(answers, proxies.map((_, i) => `session ${i}`));
    assertEquals(await daemonsFor(box.config), 1, "exactly one daemon");
    const pid = await daemonPid(box);
    // Its own session: it is not in any proxy's process group, and outlives them.
    const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" "); // state ppid pgrp session …
    assertEquals(Number(fields[3]), pid, "the daemon leads its own session");
    const log = await Deno.readTextFile(`${box.dir}/state/rmcp-mux/${logName(box)}`);
    assertMatch(log, /Daemon running 1 services/);
    const codes = await Promise.all(proxies.map((p) => p.end()));
    assertEquals(codes, proxies.map(() => 0));
    const notices = (await Promise.all(proxies.map((p) => p.stderr()))).join("");
    assertEquals(notices.match(/started the daemon/g)?.length, 1, notices);
    assert(processExists(pid), "the daemon outlives the proxies that started it");
  } finally {
    await Promise.all(proxies.map((p) => p[Symbol.asyncDispose]()));
  }
});

function logName(box: Sandbox): string {
  for (const entry of Deno.readDirSync(`${box.dir}/state/rmcp-mux`)) {
    if (/^mux-[0-9a-f]{8}\.log$/.test(entry.name)) return entry.name;
  }
  throw new Error("no daemon log in the state directory");
}

Deno.test("a daemon killed with SIGKILL is started again by the proxy; the session goes on", async () => {
  await using box = await sandbox();
  await using proxy = new RawProxy(["proxy", "--service", "svc", "--config", box.config], box.env);
  await proxy.initialize();
  assertEquals(await echo(proxy, "a", "before"), "before");
  const first = await daemonPid(box);
  Deno.kill(first, "SIGKILL");
  await proxy.waitForStderr(/lost the mux/);
  assertEquals(await echo(proxy, "b", "after"), "after", "held, then answered by a new daemon");
  const second = await daemonPid(box);
  assert(second !== first, "a new daemon");
  assertEquals(await proxy.end(), 0);
});

Deno.test("auto-start failures are one line each, exit 1", async () => {
  await using box = await sandbox();
  const run = (...args: string[]) => runCli(["proxy", ...args], { env: box.env, stdin: "" });

  const missing = await run("--service", "svc", "--config", `${box.dir}/none.yaml`);
  assertEquals(missing.code, 1);
  assertEquals(missing.stderr.trim().split("\n").length, 1, missing.stderr);
  assertMatch(
    missing.stderr,
    /^rmcp-mux proxy: no daemon for .*none\.yaml is running and the file does not exist; create it/,
  );

  const broken = `${box.dir}/broken.yaml`;
  await Deno.writeTextFile(
    broken,
    `servers:\n  svc:\n    socket: ${box.dir}/b.sock\n    cmd: 42\n`,
  );
  const bad = await run("--service", "svc", "--config", broken);
  assertEquals(bad.code, 1);
  assertMatch(
    bad.stderr.trim().split("\n").at(-1)!,
    /^rmcp-mux proxy: the daemon for .*broken\.yaml exited at start \(exit code 1\): .*broken\.yaml:4:\d+ servers\.svc\.cmd/,
  );

  const unknown = await run("--service", "nope", "--config", box.config);
  assertEquals(unknown.code, 1);
  assertMatch(
    unknown.stderr.trim().split("\n").at(-1)!,
    /^rmcp-mux proxy: no service "nope" in .*mux\.yaml; it runs: svc$/,
  );

  const usage = await run("--config", box.config);
  assertEquals(usage.code, 2);
  assertMatch(usage.stderr, /^rmcp-mux: proxy: with --config, name the service/);
});

Deno.test("the form rewired host entries use (--socket S --config F --service N) starts the daemon too", async () => {
  await using box = await sandbox();
  await using proxy = new RawProxy(
    ["proxy", "--socket", `${box.dir}/svc.sock`, "--config", box.config, "--service", "svc"],
    box.env,
  );
  await proxy.initialize();
  assertEquals(await echo(proxy, "a", "rewired"), "rewired");
  assertEquals(await proxy.end(), 0);
});

Deno.test("--socket S --config F (no service named) starts the daemon; a socket no service has is one line at once", async () => {
  await using box = await sandbox();
  await using proxy = new RawProxy(
    ["proxy", "--socket", `${box.dir}/svc.sock`, "--config", box.config],
    box.env,
  );
  await proxy.initialize();
  assertEquals(await echo(proxy, "a", "by socket"), "by socket");
  assertEquals(await proxy.end(), 0);
  assertMatch(proxy.stderrLines.join("\n"), /started the daemon/);

  // A typo in the host's --socket: the daemon runs, and no service of it will ever listen there.
  const typo = await runCli(
    ["proxy", "--socket", `${box.dir}/svc-typo.sock`, "--config", box.config],
    { env: box.env, stdin: "" },
  );
  assertEquals(typo.code, 1);
  assertEquals(typo.stderr.trim().split("\n").length, 1, typo.stderr);
  assertMatch(
    typo.stderr,
    /^rmcp-mux proxy: no service of .*mux\.yaml listens on .*svc-typo\.sock; its services: svc \(.*\/svc\.sock\); fix the host's --socket or the config, or name the service \(--service NAME\)\n$/,
  );
});

Deno.test("a host pinned to 2026-07-28 is served through a proxy that starts the daemon: the proxy bridges once the server is up", async () => {
  await using box = await sandbox();
  // A server slower to start than the daemon is to answer: the host's probe must not reach the
  // mux before the server is up (it would get -32601, which a pinned client cannot fall back from).
  await Deno.writeTextFile(
    box.config,
    `servers:\n  svc:\n    socket: ${box.dir}/svc.sock\n` +
      `    cmd: ${DENO} run -A --quiet ${FIXTURE} --slow-init 1500\n`,
  );
  const client = new ModernClient({ name: "pinned-host", version: "2" }, {
    versionNegotiation: { mode: { pin: "2026-07-28" } },
  });
  await client.connect(
    new ModernStdio({
      command: DENO,
      args: ["run", "-A", "--quiet", MAIN, "proxy", "--config", box.config, "--service", "svc"],
      cwd: ROOT,
      env: { ...Deno.env.toObject(), ...box.env },
      stderr: "pipe",
    }),
  );
  try {
    const result = await client.callTool({ name: "echo", arguments: { text: "first launch" } });
    assertEquals(textOf(result), "first launch");
  } finally {
    await client.close();
  }
});
