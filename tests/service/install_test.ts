/**
 * `service install` against a stand-in for systemd that really starts the
 * daemon (no user bus in tests): a daemon a proxy had started is replaced
 * without a second one in between, the proxy's session goes on, and
 * status/uninstall tell the truth.
 */

import { assert, assertEquals, assertMatch } from "../_helpers/assert.ts";
import { MAIN, runCli } from "../_helpers/cli.ts";
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
        env: this.#env,
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
      /^not installed \(no .*\); install it with "rmcp-mux service install --config /,
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
    await Deno.writeTextFile(config, "servers: {}\n");
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
