/**
 * Once the daemon is installed as a user service, the service owns it:
 * proxies start it through `systemctl --user start` (here a stand-in on PATH
 * that reads the unit and runs it for real), ten racing proxies make one
 * start request, a service manager that cannot be reached means a direct
 * start and one line saying why, the service's daemon takes over from a
 * daemon started outside it, and `shutdown`, `reload` and `service restart`
 * say what a user of a service needs to know.
 */

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { assert, assertEquals, assertMatch } from "../_helpers/assert.ts";
import { literal, MAIN, runCli, TYPED } from "../_helpers/cli.ts";
import { type FakeSystemd, installFakeSystemd } from "../_helpers/fake_systemd.ts";
import { ROOT, textOf } from "../_helpers/mux.ts";
import { processAlive } from "../_helpers/process.ts";
import { RawProxy } from "../_helpers/proxy_host.ts";
import { planService } from "../../src/service/service.ts";

const DENO = Deno.execPath();
const FIXTURE = `${ROOT}tests/fixtures/fake_server.ts`;

interface Sandbox extends AsyncDisposable {
  dir: string;
  env: Record<string, string>;
  config: string;
  /** `rmcp-mux-mux-<hash>.service` */
  unit: string;
  systemd: FakeSystemd;
  /** The daemon's record (pid, control, managedBy), read from the runtime directory. */
  record(): Promise<{ pid: number; control: string; managedBy?: string } | undefined>;
}

/** A config with one fixture service, its user service "installed", and systemctl stand-ins. */
async function sandbox(): Promise<Sandbox> {
  const dir = await Deno.makeTempDir({ prefix: "rmcp-mux-owned-" });
  await Deno.mkdir(`${dir}/run`, { mode: 0o700 });
  const systemd = await installFakeSystemd(dir);
  const config = `${dir}/mux.yaml`;
  await Deno.writeTextFile(
    config,
    `servers:\n  svc:\n    socket: ${dir}/svc.sock\n    cmd: ${DENO} run -A --quiet ${FIXTURE}\n`,
  );
  // HOME stays the real one: Deno keeps its cache there.
  const env = {
    PATH: `${systemd.bin}:${Deno.env.get("PATH") ?? "/usr/bin:/bin"}`,
    XDG_CONFIG_HOME: `${dir}/config`,
    XDG_RUNTIME_DIR: `${dir}/run`,
    XDG_STATE_HOME: `${dir}/state`,
  };
  const plan = planService({
    os: "linux",
    env: { ...env, HOME: Deno.env.get("HOME") ?? dir },
    self: { command: DENO, args: ["run", "-A", "--quiet", MAIN] },
    config,
  });
  await Deno.mkdir(`${dir}/config/systemd/user`, { recursive: true });
  await Deno.writeTextFile(plan.file, plan.text);
  return {
    dir,
    env,
    config,
    unit: `${plan.name}.service`,
    systemd,
    record: async () => {
      const name = [...Deno.readDirSync(`${dir}/run/rmcp-mux`)].find((e) =>
        e.name.endsWith(".daemon.json")
      )?.name;
      if (!name) return undefined;
      return JSON.parse(
        await Deno.readTextFile(`${dir}/run/rmcp-mux/${name}`).catch(() => "null"),
      ) ??
        undefined;
    },
    async [Symbol.asyncDispose]() {
      await runCli(["shutdown", "--config", config], { env });
      await systemd.stopAll();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

/** Daemon processes running `config` (the service's or a detached one), from `ps`. */
async function daemonsFor(config: string): Promise<number[]> {
  const out = await new Deno.Command("ps", { args: ["-eo", "pid=,stat=,args="] }).output();
  const daemon = new RegExp(`^\\S*deno run -A (--quiet )?\\S*main\\.ts --config ${config}( |$)`);
  return new TextDecoder().decode(out.stdout).split("\n").map((l) => l.trim().split(/\s+/))
    .filter(([, stat, ...args]) => !stat?.startsWith("Z") && daemon.test(args.join(" ")))
    .map(([pid]) => Number(pid));
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

const startCalls = async (box: Sandbox) =>
  (await box.systemd.calls()).filter((c) => c === `systemctl --user start ${box.unit}`);

Deno.test("with the service installed, the proxy starts the daemon through systemctl --user start; an SDK client's session works", async () => {
  await using box = await sandbox();
  const transport = new StdioClientTransport({
    command: DENO,
    args: ["run", "-A", "--quiet", MAIN, "proxy", "--service", "svc", "--config", box.config],
    cwd: ROOT,
    env: box.env,
    stderr: "pipe",
  });
  let stderr = "";
  transport.stderr?.on("data", (chunk: Uint8Array) => stderr += new TextDecoder().decode(chunk));
  const client = new Client({ name: "host-of-a-service", version: "1" });
  await client.connect(transport);
  try {
    assertEquals(client.getServerVersion()?.name, "fake-server");
    const result = await client.callTool({ name: "echo", arguments: { text: "via the unit" } });
    assertEquals(textOf(result), "via the unit");
  } finally {
    await client.close();
  }
  assertEquals(await startCalls(box), [`systemctl --user start ${box.unit}`]);
  const record = await box.record();
  assertEquals(record?.managedBy, box.unit, "the daemon that runs is the service's");
  assertEquals(await daemonsFor(box.config), [record!.pid], "and no other");
  assertMatch(
    stderr,
    new RegExp(
      `^rmcp-mux proxy: started the daemon for .*/mux\\.yaml through its service ` +
        `\\(systemctl --user start ${box.unit}; logs: journalctl --user -u ${box.unit}\\)\\n$`,
    ),
  );
});

Deno.test("ten proxies racing with the service installed make one start request: one daemon, ten sessions", async () => {
  await using box = await sandbox();
  const args = ["proxy", "--service", "svc", "--config", box.config];
  const proxies = Array.from({ length: 10 }, () => new RawProxy(args, box.env));
  try {
    await Promise.all(proxies.map((p, i) => p.initialize(`host-${i}`)));
    const answers = await Promise.all(proxies.map((p, i) => echo(p, `e${i}`, `session ${i}`)));
    assertEquals(answers, proxies.map((_, i) => `session ${i}`));
    assertEquals((await startCalls(box)).length, 1, (await box.systemd.calls()).join("\n"));
    const record = await box.record();
    assertEquals(record?.managedBy, box.unit);
    assertEquals(await daemonsFor(box.config), [record!.pid], "exactly one daemon");
    assertEquals(await Promise.all(proxies.map((p) => p.end())), proxies.map(() => 0));
    const notices = (await Promise.all(proxies.map((p) => p.stderr()))).join("");
    assertEquals(notices.match(/started the daemon/g)?.length, 1, notices);
  } finally {
    await Promise.all(proxies.map((p) => p[Symbol.asyncDispose]()));
  }
});

Deno.test("systemctl cannot reach the user manager: the proxy starts the daemon itself and says why; systemctl --user restart later hands it to the service", async () => {
  await using box = await sandbox();
  await box.systemd.fail("Failed to connect to bus: No medium found");
  await using proxy = new RawProxy(["proxy", "--service", "svc", "--config", box.config], box.env);
  await proxy.initialize();
  assertEquals(await echo(proxy, "a", "without systemd"), "without systemd");
  assertEquals(proxy.stderrLines.length, 1, proxy.stderrLines.join("\n"));
  assertMatch(
    proxy.stderrLines[0]!,
    new RegExp(
      `^rmcp-mux proxy: started the daemon for .*/mux\\.yaml \\(pid \\d+; log .*\\.log\\) ` +
        `outside its service ${box.unit}: "systemctl --user start ${box.unit}" failed: ` +
        "Failed to connect to bus: No medium found$",
    ),
  );
  const outside = (await box.record())!;
  assertEquals(outside.managedBy, undefined);
  const log = await Deno.readTextFile(
    `${box.dir}/state/rmcp-mux/${
      [...Deno.readDirSync(`${box.dir}/state/rmcp-mux`)].find((e) => e.name.endsWith(".log"))!.name
    }`,
  );
  assertMatch(
    log,
    new RegExp(
      `rmcp-mux: note: .*/mux\\.yaml is installed as the user service ${box.unit}, and this ` +
        `daemon runs outside it; "${
          literal(TYPED)
        } service restart --config .*/mux\\.yaml" hands it to the service`,
    ),
  );

  // The user manager is back (a login): restarting the unit makes the service's daemon take over.
  await box.systemd.fail(undefined);
  const restarted = await box.systemd.systemctl(box.env, "--user", "restart", box.unit);
  assertEquals(restarted.code, 0, restarted.stderr);
  await proxy.waitForStderr(/reconnected to the mux/);
  assertEquals(await echo(proxy, "b", "now the service's"), "now the service's");
  const owned = (await box.record())!;
  assertEquals(owned.managedBy, box.unit);
  assert(owned.pid !== outside.pid && !processAlive(outside.pid), "the outside daemon is gone");
  assertEquals(await daemonsFor(box.config), [owned.pid]);
  assertMatch(
    await box.systemd.journal(box.unit),
    new RegExp(
      `rmcp-mux: the daemon for .*/mux\\.yaml started outside the service ${box.unit} ` +
        `\\(pid ${outside.pid}\\) is asked to stop: the service runs it from now on; its clients reconnect`,
    ),
  );
  assertEquals(await proxy.end(), 0);
});

Deno.test("shutdown, reload, a second daemon and service restart say what a service's user needs; restart keeps the session", async () => {
  await using box = await sandbox();
  await using proxy = new RawProxy(["proxy", "--service", "svc", "--config", box.config], box.env);
  await proxy.initialize();
  assertEquals(await echo(proxy, "a", "first"), "first");
  const first = (await box.record())!;
  assertEquals(first.managedBy, box.unit);

  // By hand, beside it: one line naming it and how to restart it.
  const beside = await runCli(["--config", box.config], { env: box.env });
  assertEquals(beside.code, 1);
  assertEquals(beside.stderr.trim().split("\n").length, 1, beside.stderr);
  assertMatch(
    beside.stderr,
    new RegExp(
      `^rmcp-mux: a daemon for .*/mux\\.yaml is already running as the user service ${box.unit} ` +
        `\\(pid ${first.pid}, control socket .*\\); see it with "${
          literal(TYPED)
        } status --config .*", ` +
        `restart it with "${literal(TYPED)} service restart --config .*/mux\\.yaml"\\n$`,
    ),
  );

  // A daemon setting a reload cannot apply: the hint restarts the service.
  const text = await Deno.readTextFile(box.config);
  await Deno.writeTextFile(box.config, `daemon:\n  control: ${box.dir}/run/new.sock\n${text}`);
  const reload = await runCli(["reload", "--config", box.config], { env: box.env });
  assertEquals(reload.code, 0, reload.stderr);
  assertMatch(
    reload.stdout,
    new RegExp(
      `\\n {2}needs a daemon restart: daemon\\.control is now .*/new\\.sock ` +
        `\\(the daemon listens on .*\\) \\(systemctl --user restart ${box.unit}\\)\\n`,
    ),
  );

  const restart = await runCli(["service", "restart", "--config", box.config], { env: box.env });
  assertEquals(restart.code, 0, restart.stderr);
  assertMatch(
    restart.stdout,
    new RegExp(
      `^restarted ${box.unit}; the daemon runs \\(pid \\d+, was ${first.pid}\\); ` +
        `logs: journalctl --user -u ${box.unit}\\n$`,
    ),
  );
  const second = (await box.record())!;
  assertEquals(second.control, `${box.dir}/run/new.sock`, "the restart applied daemon.control");
  assertEquals(second.managedBy, box.unit);
  await proxy.waitForStderr(/reconnected to the mux/);
  assertEquals(await echo(proxy, "b", "after the restart"), "after the restart");

  // A broken file: refused before anything stops.
  await Deno.writeTextFile(
    box.config,
    `servers:\n  svc:\n    socket: ${box.dir}/svc.sock\n    cmd: 42\n`,
  );
  const refused = await runCli(["service", "restart", "--config", box.config], { env: box.env });
  assertEquals(refused.code, 1);
  assertEquals(refused.stderr.trim().split("\n").length, 1, refused.stderr);
  assertMatch(
    refused.stderr,
    /^rmcp-mux: service restart: not restarted \(the running daemon stays\): .*mux\.yaml:4:\d+ servers\.svc\.cmd/,
  );
  assertEquals((await box.record())?.pid, second.pid);
  await Deno.writeTextFile(box.config, `daemon:\n  control: ${box.dir}/run/new.sock\n${text}`);

  // shutdown works, and says the service keeps it stopped until a proxy needs it.
  const shutdown = await runCli(["shutdown", "--control", second.control], { env: box.env });
  assertEquals(shutdown.code, 0, shutdown.stderr);
  assertEquals(
    shutdown.stdout,
    "daemon shutting down\n" +
      `it is the daemon of the user service ${box.unit}: it stays stopped until a proxy needs ` +
      `it or "systemctl --user start ${box.unit}"; to restart it (an upgrade, say), use ` +
      `"${TYPED} service restart --config ${box.config}" instead\n`,
  );
  // The proxy needed it: its reconnect started it again, through the service.
  await proxy.waitForStderr(/lost the mux/, 2);
  await proxy.waitForStderr(/reconnected to the mux/, 2);
  assertEquals(await echo(proxy, "c", "after shutdown"), "after shutdown");
  const third = (await box.record())!;
  assertEquals(third.managedBy, box.unit);
  assertEquals(await daemonsFor(box.config), [third.pid]);
  // The first start, then the reconnect's: once more if it met the old daemon still stopping.
  assert((await startCalls(box)).length >= 2, (await box.systemd.calls()).join("\n"));
  assertEquals(await proxy.end(), 0);
});

Deno.test("the service's daemon exits at start: the proxy says why at once, in the daemon's words", async () => {
  await using box = await sandbox();
  await Deno.writeTextFile(
    box.config,
    `servers:\n  svc:\n    socket: ${box.dir}/svc.sock\n    cmd: 42\n`,
  );
  const run = await runCli(["proxy", "--service", "svc", "--config", box.config], {
    env: box.env,
    stdin: "",
  });
  assertEquals(run.code, 1);
  const lines = run.stderr.trim().split("\n");
  assertMatch(lines[0]!, /^rmcp-mux proxy: started the daemon for .* through its service/);
  assertEquals(lines.length, 2, run.stderr);
  assertMatch(
    lines[1]!,
    new RegExp(
      `^rmcp-mux proxy: the daemon for .*/mux\\.yaml \\(service ${box.unit}\\) exited at start: ` +
        `.*mux\\.yaml:4:\\d+ servers\\.svc\\.cmd: .*; see journalctl --user -u ${box.unit}$`,
    ),
  );
  assertEquals(await daemonsFor(box.config), [], "and nothing was started beside it");
});
