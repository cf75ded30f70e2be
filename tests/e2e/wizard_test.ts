/**
 * The wizard, driven by keystrokes in a real pseudo-terminal (tmux), from
 * the first question to a verified MCP handshake through the rewired
 * entries of two hosts, against the real reference server.
 */

import { assert, assertEquals, assertMatch } from "../_helpers/assert.ts";
import { runCli } from "../_helpers/cli.ts";
import { hostsHome } from "../_helpers/hosts_home.ts";
import { ROOT } from "../_helpers/mux.ts";

const EVERYTHING = [
  "run",
  "-A",
  "--quiet",
  "npm:@modelcontextprotocol/server-everything@2026.8.31",
  "stdio",
];

function sh(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

class Tmux implements AsyncDisposable {
  readonly socket = `rmcp-mux-test-${crypto.randomUUID().slice(0, 8)}`;
  async run(...args: string[]): Promise<string> {
    const out = await new Deno.Command("tmux", {
      args: ["-L", this.socket, ...args],
      stdout: "piped",
      stderr: "piped",
    })
      .output();
    if (!out.success) throw new Error(`tmux ${args[0]}: ${new TextDecoder().decode(out.stderr)}`);
    return new TextDecoder().decode(out.stdout);
  }
  screen(): Promise<string> {
    return this.run("capture-pane", "-p", "-J", "-S", "-2000", "-t", "w");
  }
  /** Wait (bounded) until the screen shows `pattern`. */
  async waitFor(pattern: RegExp, ms = 120_000): Promise<string> {
    const deadline = Date.now() + ms;
    let screen = "";
    while (Date.now() < deadline) {
      screen = await this.screen();
      if (pattern.test(screen)) return screen;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`the screen never showed ${pattern}:\n${screen}`);
  }
  keys(...keys: string[]): Promise<string> {
    return this.run("send-keys", "-t", "w", ...keys);
  }
  async [Symbol.asyncDispose](): Promise<void> {
    await this.run("kill-server").catch(() => "");
    // tmux leaves its socket file behind.
    const dir = `${Deno.env.get("TMUX_TMPDIR") ?? "/tmp"}/tmux-${Deno.uid()}`;
    await Deno.remove(`${dir}/${this.socket}`).catch(() => {});
  }
}

/**
 * A stand-in for `systemctl --user` (no user bus in tests) that starts the
 * unit's ExecStart for real, so the wizard's service step can be followed end
 * to end. Every call is recorded in `$HOME/systemctl.calls`.
 */
const FAKE_SYSTEMCTL = `#!/bin/sh
echo "$*" >> "$HOME/systemctl.calls"
case "$2" in
  restart)
    cmd=$(sed -n 's/^ExecStart=//p' "$XDG_CONFIG_HOME/systemd/user/$3")
    setsid sh -c "exec $cmd" </dev/null >/dev/null 2>&1 &
    ;;
  show) echo 0 ;;
esac
exit 0
`;

async function wizardRun(service: boolean): Promise<void> {
  await using h = await hostsHome([]);
  const command = Deno.execPath();
  Deno.writeTextFileSync(
    `${h.home}/.claude.json`,
    JSON.stringify(
      {
        numStartups: 3,
        mcpServers: { everything: { type: "stdio", command, args: EVERYTHING, env: {} } },
      },
      null,
      2,
    ) + "\n",
  );
  Deno.mkdirSync(`${h.home}/.codex`);
  Deno.writeTextFileSync(
    `${h.home}/.codex/config.toml`,
    `# mine\n[mcp_servers.everything]\ncommand = ${JSON.stringify(command)}\nargs = ${
      JSON.stringify(EVERYTHING)
    }\n`,
  );
  if (service) Deno.writeTextFileSync(`${h.home}/bin/systemctl`, FAKE_SYSTEMCTL, { mode: 0o755 });
  const config = `${h.home}/.config/rmcp-mux/config.yaml`;
  await using tmux = new Tmux();
  const env = Object.entries(h.env).map(([k, v]) => `${k}=${sh(v)}`).join(" ");
  const line =
    `cd ${sh(ROOT)} && env ${env} ${sh(command)} run -A --quiet ${sh(`${ROOT}main.ts`)} wizard; ` +
    `echo WIZARD-EXIT=$?; sleep 600`;
  await tmux.run("new-session", "-d", "-s", "w", "-x", "220", "-y", "50", line);
  try {
    await tmux.waitFor(/Which hosts should use the shared servers\?/);
    await tmux.keys("Enter");
    await tmux.waitFor(/Which servers should be shared\?/);
    await tmux.keys("Enter");
    await tmux.waitFor(/Apply these changes\?/);
    await tmux.keys("y", "Enter");
    if (service) {
      await tmux.waitFor(/Run the daemon as a user service/);
      await tmux.keys("y", "Enter");
    }
    const screen = await tmux.waitFor(/WIZARD-EXIT=\d+/, 180_000);
    assertMatch(screen, /WIZARD-EXIT=0/, screen);
    if (service) {
      assertMatch(
        screen,
        /Service: installed .*rmcp-mux\.service \(systemd user unit\); the daemon runs/,
      );
      const calls = Deno.readTextFileSync(`${h.home}/systemctl.calls`);
      assertMatch(calls, /--user enable rmcp-mux\.service\n--user restart rmcp-mux\.service/);
      assertMatch(
        Deno.readTextFileSync(`${h.home}/.config/systemd/user/rmcp-mux.service`),
        new RegExp(`ExecStart=${h.home}/bin/rmcp-mux --config ${config}`),
      );
    } else {
      assertMatch(screen, /Started the daemon in the background/);
    }
    assertMatch(screen, /✓ everything \(Claude Code \(user\)\) via proxy: verified: /);
    assertMatch(screen, /✓ everything \(Codex \(user\)\) via proxy: verified: /);
    assertMatch(screen, /Claude Code: start a new Claude Code session/);
    // One service for both hosts, and both files point at it — with what the proxy needs to
    // start the daemon by itself.
    const claude = JSON.parse(Deno.readTextFileSync(`${h.home}/.claude.json`));
    assertEquals(claude.mcpServers.everything.args.slice(-7), [
      "proxy",
      "--socket",
      `${h.home}/run/rmcp-mux/everything.sock`,
      "--config",
      config,
      "--service",
      "everything",
    ]);
    assert(
      Deno.readTextFileSync(`${h.home}/.codex/config.toml`).startsWith(
        "# mine\n[mcp_servers.everything]\n",
      ),
    );
    const health = await runCli(
      ["health", "--socket", `${h.home}/run/rmcp-mux/everything.sock`],
      { env: h.env },
    );
    assertEquals(health.code, 0, health.stderr);
  } finally {
    await runCli(["shutdown", "--config", config], { env: h.env });
  }
}

Deno.test(
  "wizard: pick hosts and servers, apply, start the daemon, verified handshake through each host's entry",
  () => wizardRun(false),
);

Deno.test(
  "wizard with a user service manager: installs the daemon as a service, then verifies",
  () => wizardRun(true),
);

Deno.test("wizard without a terminal points to scan and rewire, exit 2", async () => {
  await using h = await hostsHome(["claude.json"]);
  const r = await runCli(["wizard"], { env: h.env });
  assertEquals(r.code, 2);
  assertMatch(
    r.stderr,
    /the wizard needs a terminal; use `rmcp-mux scan` then `rmcp-mux rewire --host H` instead/,
  );
});
