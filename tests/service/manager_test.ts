/**
 * The service of a config as its manager knows it: installed only when its
 * unit runs that very file; started with kickstart (a launchd agent that is
 * not loaded is loaded); its state and last words read from the manager.
 */

import { assertEquals } from "../_helpers/assert.ts";
import {
  exitReason,
  installedService,
  managerState,
  restartCommand,
  restartCommandOf,
  type Runner,
  serviceUnit,
  startCommand,
  startCommandOf,
  startThroughManager,
} from "../../src/service/manager.ts";
import { planService } from "../../src/service/service.ts";

/** A runner that answers from a table and records the calls. */
function runner(answers: Record<string, { code: number; stdout?: string; stderr?: string }>) {
  const calls: string[] = [];
  const run: Runner = (command, args) => {
    const line = [command, ...args].join(" ");
    calls.push(line);
    const answer = answers[line] ?? { code: 0 };
    return Promise.resolve({ stdout: "", stderr: "", ...answer });
  };
  return { run, calls };
}

Deno.test("the service of a config: plain rmcp-mux for the default file, named after others; none on other systems", () => {
  const env = { HOME: "/home/ada" };
  const plain = serviceUnit("/home/ada/.config/rmcp-mux/config.yaml", { os: "linux", env })!;
  assertEquals(plain.unit, "rmcp-mux.service");
  assertEquals(plain.isDefault, true);
  assertEquals(startCommand(plain), ["systemctl", "--user", "start", "rmcp-mux.service"]);
  assertEquals(restartCommand(plain), ["systemctl", "--user", "restart", "rmcp-mux.service"]);
  const mac = serviceUnit("/srv/fleet.yaml", { os: "darwin", env, uid: 501 })!;
  assertEquals(mac.isDefault, false);
  assertEquals(startCommand(mac), ["launchctl", "kickstart", `gui/501/${mac.unit}`]);
  assertEquals(restartCommand(mac), ["launchctl", "kickstart", "-k", `gui/501/${mac.unit}`]);
  assertEquals(serviceUnit("/srv/fleet.yaml", { os: "windows", env }), undefined);
  assertEquals(restartCommandOf("rmcp-mux.service"), "systemctl --user restart rmcp-mux.service");
  assertEquals(startCommandOf("rmcp-mux.service"), "systemctl --user start rmcp-mux.service");
  assertEquals(
    startCommandOf("dev.rmcp-mux.daemon", 501),
    "launchctl kickstart gui/501/dev.rmcp-mux.daemon",
  );
  assertEquals(
    restartCommandOf("dev.rmcp-mux.daemon", 501),
    "launchctl kickstart -k gui/501/dev.rmcp-mux.daemon",
  );
});

Deno.test("installed: only a unit that runs that very config file counts", async () => {
  const dir = await Deno.makeTempDir({ prefix: "rmcp-mux-mgr-" });
  try {
    for (const os of ["linux", "darwin"]) {
      const env = { HOME: dir, XDG_RUNTIME_DIR: dir, PATH: "/usr/bin" };
      const config = `${dir}/my 100% "odd" & <config>.yaml`;
      const where = { os, env, uid: 501 };
      const plan = planService({
        ...where,
        self: { command: "/usr/local/bin/rmcp-mux", args: [] },
        config,
      });
      assertEquals(await installedService(config, where), undefined, `${os}: no unit yet`);
      await Deno.mkdir(plan.file.slice(0, plan.file.lastIndexOf("/")), { recursive: true });
      await Deno.writeTextFile(plan.file, plan.text);
      assertEquals((await installedService(config, where))?.file, plan.file, os);
      // The same file name, written for another config (edited by hand, say): not this one's.
      const other = plan.text.replaceAll("&lt;config&gt;", "&lt;other&gt;")
        .replaceAll("<config>", "<other>");
      await Deno.writeTextFile(plan.file, other);
      assertEquals(await installedService(config, where), undefined, `${os}: another config`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("start through the manager: a launchd agent that is not loaded is loaded; a failure is one line", async () => {
  const mac = serviceUnit("/srv/fleet.yaml", {
    os: "darwin",
    env: { HOME: "/Users/ada" },
    uid: 501,
  })!;
  const target = `gui/501/${mac.unit}`;
  const unloaded = runner({
    [`launchctl kickstart ${target}`]: { code: 113, stderr: "Could not find service" },
  });
  assertEquals(await startThroughManager(mac, unloaded.run), undefined);
  assertEquals(unloaded.calls, [
    `launchctl kickstart ${target}`,
    `launchctl bootstrap gui/501 ${mac.file}`,
  ]);
  const noGui = runner({
    [`launchctl kickstart ${target}`]: { code: 113, stderr: "Could not find service" },
    [`launchctl bootstrap gui/501 ${mac.file}`]: { code: 125, stderr: "Domain does not support" },
  });
  assertEquals(
    await startThroughManager(mac, noGui.run),
    `"launchctl kickstart ${target}" failed: Could not find service`,
  );

  const linux = serviceUnit("/srv/fleet.yaml", { os: "linux", env: { HOME: "/home/ada" } })!;
  const noBus = runner({
    [`systemctl --user restart ${linux.unit}`]: {
      code: 1,
      stderr: "Failed to connect to bus: No medium found\n",
    },
  });
  assertEquals(
    await startThroughManager(linux, noBus.run, true),
    `"systemctl --user restart ${linux.unit}" failed: Failed to connect to bus: No medium found`,
  );
});

Deno.test("the manager's account: running, stopped cleanly, failed; the daemon's own last words", async () => {
  const linux = serviceUnit("/srv/fleet.yaml", { os: "linux", env: { HOME: "/home/ada" } })!;
  const state = (stdout: string) =>
    managerState(
      linux,
      runner({ [`systemctl --user is-active ${linux.unit}`]: { code: 3, stdout } }).run,
    );
  assertEquals(await state("active\n"), "running");
  assertEquals(await state("inactive\n"), "stopped");
  assertEquals(await state("failed\n"), "failed");
  assertEquals(await state("activating\n"), "failed", "waiting to be restarted after a failure");
  assertEquals(await state(""), "unknown");
  const journal = runner({
    [`journalctl --user -u ${linux.unit} -n 50 -o cat --no-pager`]: {
      code: 0,
      stdout: "Started rmcp-mux.\nrmcp-mux: /srv/fleet.yaml:4:10 servers.a.cmd: expected the " +
        `server command\n${linux.unit}: Main process exited, code=exited, status=1/FAILURE\n`,
    },
  });
  assertEquals(
    await exitReason(linux, "/nonexistent.log", journal.run),
    "/srv/fleet.yaml:4:10 servers.a.cmd: expected the server command",
  );

  const mac = serviceUnit("/srv/fleet.yaml", {
    os: "darwin",
    env: { HOME: "/Users/ada" },
    uid: 501,
  })!;
  const print = (code: number, stdout: string) =>
    managerState(mac, runner({ [`launchctl print gui/501/${mac.unit}`]: { code, stdout } }).run);
  assertEquals(await print(0, "\tstate = running\n"), "running");
  assertEquals(await print(0, "\tstate = not running\n\tlast exit code = 0\n"), "stopped");
  assertEquals(await print(0, "\tstate = not running\n\tlast exit code = 1\n"), "failed");
  assertEquals(await print(0, "\tstate = spawn scheduled\n"), "unknown");
  assertEquals(await print(113, ""), "stopped", "not loaded: starting it loads it");
});
