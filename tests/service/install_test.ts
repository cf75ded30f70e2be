/**
 * `service install` against a stand-in for systemd that really starts the
 * daemon (no user bus in tests): a daemon a proxy had started is replaced
 * without a second one in between, the proxy's session goes on, and
 * status/uninstall tell the truth.
 */

import { assert, assertEquals, assertMatch } from "../_helpers/assert.ts";
import { literal, MAIN, runCli, TYPED } from "../_helpers/cli.ts";
import { ROOT, textOf } from "../_helpers/mux.ts";
import { RawProxy } from "../_helpers/proxy_host.ts";
import { installService, serviceStatus, uninstallService } from "../../src/service/service.ts";
import type { Runner } from "../../src/service/service.ts";

const DENO = Deno.execPath();
const FIXTURE = `${ROOT}tests/fixtures/fake_server.ts`;

/** Answers `systemctl --user …` like systemd would, starting the daemon for real. */
class FakeSystemd {
  daemon: Deno.ChildProcess | undefined;
  readonly calls: string[] = [];
  readonly #command: string[];
  readonly #env: Record<string, string>;

  constructor(command: string[], env: Record<string, string>) {
    this.#command = command;
    this.#env = env;
  }

  readonly run: Runner = async (command, args) => {
    this.calls.push([command, ...args].join(" "));
    const ok = (stdout = "") => ({ code: 0, stdout, stderr: "" });
    const verb = args[1];
    if (verb === "restart") {
      await this.stop();
      this.daemon = new Deno.Command(this.#command[0]!, {
        args: this.#command.slice(1),
        env: { ...this.#env, RMCP_MUX_SERVICE: args[2]! }, // as the unit's Environment= says
        stdin: "null",
        stdout: "null",
        stderr: "null",
      }).spawn();
      return ok();
    }
    if (verb === "show") return ok(`${this.daemon?.pid ?? 0}\n`);
    if (verb === "is-enabled") return ok("enabled\n");
    if (verb === "is-active") return ok(this.daemon ? "active\n" : "inactive\n");
    if (verb === "disable") await this.stop();
    return ok();
  };

  async stop(): Promise<void> {
    if (!this.daemon) return;
    this.daemon.kill("SIGTERM");
    await this.daemon.status;
    this.daemon = undefined;
  }
}

Deno.test("service install replaces a proxy-started daemon under the start lock; the session goes on", async () => {
  const dir = await Deno.makeTempDir({ prefix: "rmcp-mux-svc-" });
  // HOME stays the real one: Deno keeps its cache there.
  const env = {
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    XDG_CONFIG_HOME: `${dir}/config`,
    XDG_RUNTIME_DIR: `${dir}/run`,
    XDG_STATE_HOME: `${dir}/state`,
  };
  await Deno.mkdir(`${dir}/run`, { mode: 0o700 });
  const config = `${dir}/mux.yaml`;
  await Deno.writeTextFile(
    config,
    `servers:\n  svc:\n    socket: ${dir}/svc.sock\n    cmd: ${DENO} run -A --quiet ${FIXTURE}\n`,
  );
  const self = { command: DENO, args: ["run", "-A", MAIN] };
  const systemd = new FakeSystemd([DENO, "run", "-A", MAIN, "--config", config], env);
  const options = {
    os: "linux",
    env: { ...env, HOME: Deno.env.get("HOME") ?? dir },
    self,
    config,
    run: systemd.run,
  };
  const proxy = new RawProxy(["proxy", "--service", "svc", "--config", config], env);
  try {
    await proxy.initialize();
    const echo = async (id: string, text: string) => {
      await proxy.send({
        jsonrpc: "2.0",
        id,
        method: "tools/call",
        params: { name: "echo", arguments: { text } },
      });
      return textOf((await proxy.answer(id)).result);
    };
    assertEquals(await echo("a", "before"), "before");
    const started = JSON.parse(
      await Deno.readTextFile(
        `${dir}/run/rmcp-mux/${
          [...Deno.readDirSync(`${dir}/run/rmcp-mux`)].find((e) => e.name.endsWith(".daemon.json"))!
            .name
        }`,
      ),
    ).pid;

    const installed = await installService(options);
    assert(installed.ok, installed.message);
    assertMatch(
      installed.message,
      /^installed .*\/config\/systemd\/user\/rmcp-mux-mux-[0-9a-f]{8}\.service \(systemd user unit\); the daemon runs \(pid \d+\)/,
    );
    assertEquals(await Deno.readTextFile(installed.plan.file), installed.plan.text);
    const status = await runCli(["status", "--config", config, "--json"], { env });
    const pid = JSON.parse(status.stdout).pid;
    assertEquals(pid, systemd.daemon!.pid, "the service manager's daemon runs now");
    assert(pid !== started, "the proxy-started daemon was replaced");
    await proxy.waitForStderr(/reconnected to the mux/);
    assertEquals(await echo("b", "after"), "after", "the proxy's session went on");
    assertEquals(
      proxy.stderrLines.filter((l) => /started the daemon/.test(l)).length,
      1,
      "the proxy never started a second daemon during the switch",
    );

    const running = await serviceStatus(options);
    assert(running.ok, running.message);
    assertMatch(running.message, /: enabled, active; daemon pid \d+, control socket /);

    assertEquals(await proxy.end(), 0);
    const removed = await uninstallService(options);
    assert(removed.ok, removed.message);
    assertMatch(removed.message, /^removed .*; the service is stopped and disabled$/);
    assertEquals(systemd.daemon, undefined);
    const after = await serviceStatus(options);
    assertEquals(after.ok, false);
    assertMatch(
      after.message,
      new RegExp(
        `^not installed \\(no .*\\); install it with "${literal(TYPED)} service install --config /`,
      ),
    );
  } finally {
    await proxy[Symbol.asyncDispose]();
    await systemd.stop();
    await runCli(["shutdown", "--config", config], { env });
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});

Deno.test("service install without a working systemctl: the unit is written, one line says what to run", async () => {
  const dir = await Deno.makeTempDir({ prefix: "rmcp-mux-svc-" });
  try {
    // A systemctl that cannot reach the user manager, as in a container without a session.
    await Deno.mkdir(`${dir}/bin`);
    await Deno.writeTextFile(
      `${dir}/bin/systemctl`,
      '#!/bin/sh\necho "Failed to connect to bus: No medium found" >&2\nexit 1\n',
      { mode: 0o755 },
    );
    const env = {
      PATH: `${dir}/bin:${Deno.env.get("PATH") ?? "/usr/bin:/bin"}`,
      XDG_CONFIG_HOME: `${dir}/config`,
      XDG_RUNTIME_DIR: `${dir}/run`,
      XDG_STATE_HOME: `${dir}/state`,
    };
    const config = `${dir}/mux.yaml`;
    await Deno.writeTextFile(config, `servers:\n  a:\n    socket: ${dir}/a.sock\n    cmd: cat\n`);
    const dry = await runCli(["service", "install", "--config", config, "--dry-run"], { env });
    assertEquals(dry.code, 0, dry.stderr);
    assertMatch(
      dry.stdout,
      /^# .*\/config\/systemd\/user\/rmcp-mux-mux-[0-9a-f]{8}\.service \(not written: --dry-run\)\n/,
    );
    assertMatch(dry.stdout, /\nExecStart=.* --config .*\/mux\.yaml\n/);
    assertMatch(
      dry.stdout,
      /\n# then: systemctl --user daemon-reload && systemctl --user enable rmcp-mux-mux-[0-9a-f]{8}\.service && /,
    );
    assertEquals(
      [...Deno.readDirSync(dir)].map((e) => e.name).sort(),
      ["bin", "mux.yaml"],
      "nothing written",
    );

    const run = await runCli(["service", "install", "--config", config], { env });
    assertEquals(run.code, 1);
    assertEquals(run.stderr.trim().split("\n").length, 1, run.stderr);
    assertMatch(
      run.stderr,
      /^rmcp-mux: service install: wrote .*\.service, but "systemctl --user daemon-reload" failed: Failed to connect to bus: No medium found; fix that, then run: systemctl --user daemon-reload && /,
    );
    const status = await runCli(["service", "status", "--config", config], { env });
    assertEquals(status.code, 1);
    assertMatch(status.stderr, /^rmcp-mux: service status: .*\.service: Failed to connect to bus/);
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});

Deno.test("service install checks the config first: missing, invalid, or a ${VAR} the service would lack is one line, nothing written", async () => {
  const dir = await Deno.makeTempDir({ prefix: "rmcp-mux-svc-" });
  try {
    // A user manager that answers, with the environment a real one has: not the shell's.
    await Deno.mkdir(`${dir}/bin`);
    await Deno.writeTextFile(
      `${dir}/bin/systemctl`,
      `#!/bin/sh\necho "$*" >> "${dir}/calls"\n` +
        `[ "$2" = show-environment ] && printf 'LANG=C.UTF-8\\nPATH=/usr/bin:/bin\\n'\nexit 0\n`,
      { mode: 0o755 },
    );
    const env = {
      PATH: `${dir}/bin:${Deno.env.get("PATH") ?? "/usr/bin:/bin"}`,
      XDG_CONFIG_HOME: `${dir}/config`,
      XDG_RUNTIME_DIR: `${dir}/run`,
      XDG_STATE_HOME: `${dir}/state`,
      RMCP_MUX_TEST_SECRET: "set in this shell only",
    };
    const install = (file: string, ...more: string[]) =>
      runCli(["service", "install", "--config", file, ...more], { env });
    const refused = async (file: string, pattern: RegExp) => {
      const run = await install(file);
      assertEquals(run.code, 1, run.stderr);
      assertEquals(run.stderr.trim().split("\n").length, 1, run.stderr);
      assertMatch(run.stderr, pattern);
    };

    await refused(
      `${dir}/none.yaml`,
      new RegExp(
        "^rmcp-mux: service install: not installed: .*/none\\.yaml does not exist; write it first " +
          `\\("${
            literal(TYPED)
          } scan --write-config .*/none\\.yaml", or see config\\.example\\.yaml\\)\n$`,
      ),
    );

    const broken = `${dir}/broken.yaml`;
    await Deno.writeTextFile(broken, `servers:\n  a:\n    socket: ${dir}/a.sock\n    cmd: 42\n`);
    await refused(
      broken,
      /^rmcp-mux: service install: not installed: .*\/broken\.yaml:4:\d+ servers\.a\.cmd: expected the server command/,
    );

    const secret = `${dir}/secret.yaml`;
    await Deno.writeTextFile(
      secret,
      `servers:\n  a:\n    socket: ${dir}/a.sock\n    cmd: ${DENO} run -A ${FIXTURE}\n` +
        "    env:\n      TOKEN: ${RMCP_MUX_TEST_SECRET}\n",
    );
    await refused(
      secret,
      /^rmcp-mux: service install: not installed: .*\/secret\.yaml:6:\d+ servers\.a\.env\.TOKEN: environment variable RMCP_MUX_TEST_SECRET is not set .*; the service does not see your shell's variables: write the value into .*\/secret\.yaml \(keep it private: chmod 600\), or put RMCP_MUX_TEST_SECRET=… in ~\/\.config\/environment\.d\/rmcp-mux\.conf/,
    );
    const dry = await install(secret, "--dry-run");
    assertEquals(dry.code, 0, dry.stderr);
    assertMatch(
      dry.stdout,
      /\n# warning: the daemon would not start: .*environment variable RMCP_MUX_TEST_SECRET is not set/,
    );
    assertEquals(dry.stdout.includes("set in this shell only"), false, "no value is ever shown");

    assertEquals(
      [...Deno.readDirSync(dir)].map((e) => e.name).sort(),
      ["bin", "broken.yaml", "calls", "secret.yaml"],
      "no unit written, no daemon started",
    );
    assertEquals(
      new Set((await Deno.readTextFile(`${dir}/calls`)).trim().split("\n")),
      new Set(["--user show-environment"]),
      "systemctl was only asked for its environment",
    );
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});

/** Answers `launchctl …` like launchd: bootstrap refuses a loaded label; the daemon runs for real. */
class FakeLaunchd {
  daemon: Deno.ChildProcess | undefined;
  loaded = false;
  readonly #command: string[];
  readonly #env: Record<string, string>;

  constructor(command: string[], env: Record<string, string>) {
    this.#command = command;
    this.#env = env;
  }

  readonly run: Runner = async (_command, args) => {
    const answer = (code: number, stdout = "", stderr = "") => ({ code, stdout, stderr });
    if (args[0] === "print") {
      return this.loaded
        ? answer(0, `state = ${this.daemon ? "running" : "not running"}\n`)
        : answer(113, "", `Could not find service in domain`);
    }
    if (args[0] === "bootstrap") {
      if (this.loaded) return answer(5, "", "Bootstrap failed: 5: Input/output error");
      this.loaded = true;
      this.daemon = new Deno.Command(this.#command[0]!, { // RunAtLoad
        args: this.#command.slice(1),
        env: this.#env,
        stdin: "null",
        stdout: "null",
        stderr: "null",
      }).spawn();
      return answer(0);
    }
    if (args[0] === "bootout") {
      if (!this.loaded) return answer(3, "", "Boot-out failed: 3: No such process");
      await this.stop();
      this.loaded = false;
      return answer(0);
    }
    return answer(0);
  };

  async stop(): Promise<void> {
    if (!this.daemon) return;
    try {
      this.daemon.kill("SIGTERM");
    } catch {
      // It exited by itself (a shutdown through its control socket).
    }
    await this.daemon.status;
    this.daemon = undefined;
  }
}

Deno.test("launchd: installing again (an upgrade) replaces the loaded agent instead of failing", async () => {
  const dir = await Deno.makeTempDir({ prefix: "rmcp-mux-svc-" });
  const env = {
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    XDG_RUNTIME_DIR: `${dir}/run`,
    XDG_STATE_HOME: `${dir}/state`,
  };
  await Deno.mkdir(`${dir}/run`, { mode: 0o700 });
  const config = `${dir}/mux.yaml`;
  await Deno.writeTextFile(
    config,
    `servers:\n  svc:\n    socket: ${dir}/svc.sock\n    cmd: ${DENO} run -A --quiet ${FIXTURE}\n`,
  );
  // HOME for Deno's cache stays the real one; the agent's file goes under `dir` all the same.
  const launchd = new FakeLaunchd([DENO, "run", "-A", MAIN, "--config", config], {
    ...env,
    HOME: Deno.env.get("HOME") ?? dir,
  });
  const options = {
    os: "darwin",
    env: { ...env, HOME: dir },
    self: { command: DENO, args: ["run", "-A", MAIN] },
    config,
    uid: 501,
    run: launchd.run,
  };
  try {
    const first = await installService(options);
    assert(first.ok, first.message);
    assertMatch(
      first.message,
      /\/Library\/LaunchAgents\/dev\.rmcp-mux\..*\.plist \(launchd agent\)/,
    );
    const before = launchd.daemon!.pid;
    const again = await installService(options);
    assert(again.ok, again.message);
    assertMatch(again.message, /the daemon runs \(pid \d+\)/);
    assert(launchd.daemon!.pid !== before, "a new daemon, started by the reloaded agent");
    const status = await serviceStatus(options);
    assert(status.ok, status.message);
    assertMatch(status.message, /: running; daemon pid \d+/);
  } finally {
    await launchd.stop();
    await runCli(["shutdown", "--config", config], { env });
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});
