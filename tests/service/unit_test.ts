/**
 * The service units, rendered for both platforms; the systemd one checked by
 * systemd itself (`systemd-analyze --user verify`).
 */

import { assert, assertEquals, assertMatch } from "../_helpers/assert.ts";
import { planService } from "../../src/service/service.ts";
import { renderLaunchdPlist, systemdWord } from "../../src/service/unit.ts";

const SPEC = {
  name: "rmcp-mux",
  command: [Deno.execPath(), "run", "-A", "/src/rmcp mux/main.ts", "--config", "/h/100%$x.yaml"],
  config: "/h/100%$x.yaml",
  workingDirectory: "/home/ada",
  path: "/usr/local/bin:/usr/bin:/bin",
  logFile: "/home/ada/.local/state/rmcp-mux/daemon.log",
};

Deno.test("systemd words: spaces quoted, % and $ doubled, plain words as they are", () => {
  assertEquals(systemdWord("/usr/bin/deno"), "/usr/bin/deno");
  assertEquals(systemdWord("/src/rmcp mux/main.ts"), '"/src/rmcp mux/main.ts"');
  assertEquals(systemdWord("/h/100%$x.yaml"), "/h/100%%$$x.yaml");
  assertEquals(systemdWord('say "hi"'), '"say \\"hi\\""');
  assertEquals(systemdWord(""), '""');
});

Deno.test("the systemd user unit passes systemd-analyze verify without a warning", async () => {
  const which = await new Deno.Command("sh", {
    args: ["-c", "command -v systemd-analyze"],
    stdout: "piped",
  }).output();
  assert(
    which.success,
    "systemd-analyze is not installed: apt-get install systemd (.ci/run installs it in CI)",
  );
  const dir = await Deno.makeTempDir({ prefix: "rmcp-mux-unit-" });
  try {
    await Deno.mkdir(`${dir}/run`, { mode: 0o700 });
    const plan = planService({
      os: "linux",
      env: { HOME: dir, PATH: "/usr/local/bin:/usr/bin:/bin", XDG_RUNTIME_DIR: `${dir}/run` },
      self: { command: Deno.execPath(), args: ["run", "-A", "/src/rmcp mux/main.ts"] },
      config: `${dir}/my 100% config.yaml`,
    });
    assertEquals(plan.manager, "systemd");
    assertMatch(
      plan.file,
      new RegExp(`^${dir}/\\.config/systemd/user/rmcp-mux-my-100-config-[0-9a-f]{8}\\.service$`),
    );
    const unit = `${dir}/${plan.name}.service`;
    await Deno.writeTextFile(unit, plan.text);
    const out = await new Deno.Command("systemd-analyze", {
      args: ["--user", "verify", unit],
      env: { XDG_RUNTIME_DIR: `${dir}/run`, HOME: dir },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const said = new TextDecoder().decode(out.stderr) + new TextDecoder().decode(out.stdout);
    assertEquals(out.code, 0, said);
    assertEquals(said.trim(), "", "no warning either");
    assertMatch(
      plan.text,
      /^ExecStart=\S+deno run -A "\/src\/rmcp mux\/main\.ts" --config ".*\/my 100%% config\.yaml"$/m,
    );
    assertMatch(plan.text, /^Restart=on-failure$/m);
    // The daemon knows the service runs it (commands say so; it takes over from one outside).
    assertMatch(
      plan.text,
      /^Environment=RMCP_MUX_SERVICE=rmcp-mux-my-100-config-[0-9a-f]{8}\.service$/m,
    );
    assertMatch(plan.text, /^KillMode=mixed$/m);
    assertMatch(plan.text, /^WantedBy=default\.target$/m);
    assertEquals(plan.enable.at(-1), ["systemctl", "--user", "restart", `${plan.name}.service`]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the default config file's service is plain rmcp-mux; others are named after theirs", () => {
  const env = { HOME: "/home/ada", PATH: "/usr/bin" };
  const self = { command: "/usr/local/bin/rmcp-mux", args: [] };
  const plain = planService({ os: "linux", env, self });
  assertEquals(plain.name, "rmcp-mux");
  assertEquals(plain.file, "/home/ada/.config/systemd/user/rmcp-mux.service");
  assertEquals(plain.logs, "journalctl --user -u rmcp-mux.service");
  const other = planService({ os: "linux", env, self, config: "/srv/fleet.yaml" });
  assertMatch(other.name, /^rmcp-mux-fleet-[0-9a-f]{8}$/);
  const xdg = planService({ os: "linux", env: { ...env, XDG_CONFIG_HOME: "/cfg" }, self });
  assertEquals(xdg.file, "/cfg/systemd/user/rmcp-mux.service");
});

Deno.test("the launchd agent: label, arguments escaped, kept alive, logs in the state directory", () => {
  const plan = planService({
    os: "darwin",
    env: { HOME: "/Users/ada", PATH: "/opt/homebrew/bin:/usr/bin" },
    self: { command: "/opt/homebrew/bin/rmcp-mux", args: [] },
    config: "/Users/ada/a&b <x>.yaml",
    uid: 501,
  });
  assertEquals(plan.manager, "launchd");
  assertMatch(
    plan.file,
    /^\/Users\/ada\/Library\/LaunchAgents\/dev\.rmcp-mux\.a-b-x-[0-9a-f]{8}\.plist$/,
  );
  assertMatch(
    plan.text,
    /<key>ProgramArguments<\/key>\n {2}<array>\n {4}<string>\/opt\/homebrew\/bin\/rmcp-mux<\/string>\n {4}<string>--config<\/string>\n {4}<string>\/Users\/ada\/a&amp;b &lt;x&gt;\.yaml<\/string>\n {2}<\/array>/,
  );
  assertMatch(
    plan.text,
    /<key>KeepAlive<\/key>\n {2}<dict>\n {4}<key>SuccessfulExit<\/key>\n {4}<false\/>/,
  );
  assertMatch(
    plan.text,
    /<key>StandardErrorPath<\/key>\n {2}<string>\/Users\/ada\/\.local\/state\/rmcp-mux\/a-b-x-[0-9a-f]{8}\.log<\/string>/,
  );
  assertEquals(plan.enable, [["launchctl", "bootstrap", "gui/501", plan.file]]);
  assertMatch(
    plan.text,
    /<key>RMCP_MUX_SERVICE<\/key>\n {4}<string>dev\.rmcp-mux\.a-b-x-[0-9a-f]{8}<\/string>/,
  );
  // Well formed: every element closed.
  for (const tag of ["dict", "array", "plist"]) {
    assertEquals(plan.text.split(`<${tag}`).length, plan.text.split(`</${tag}>`).length, tag);
  }
  assertEquals(
    renderLaunchdPlist({ ...SPEC, name: "rmcp-mux" }).includes("dev.rmcp-mux.daemon"),
    true,
  );
});

Deno.test("no service manager on other systems: a clear error", () => {
  let message = "";
  try {
    planService({ os: "windows", env: { HOME: "/h" }, self: { command: "/x", args: [] } });
  } catch (error) {
    message = (error as Error).message;
  }
  assertMatch(
    message,
    /^service: no supported service manager on windows \(systemd on Linux, launchd on macOS\)/,
  );
});
