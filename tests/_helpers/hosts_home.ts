/**
 * A temporary home directory laid out like a real machine with MCP hosts
 * configured: the fixture files of tests/fixtures/hosts/ copied to where each
 * host keeps them, with `/home/u` replaced by the temp home. HOME and XDG_*
 * point into it, so nothing outside is read or written.
 */

import { ROOT } from "./mux.ts";

const FIXTURES = `${ROOT}tests/fixtures/hosts/`;

/** Where each fixture goes, relative to the home directory. */
export const LAYOUT: Readonly<Record<string, string>> = {
  "claude.json": ".claude.json",
  "project.mcp.json": "src/app/.mcp.json",
  "codex.toml": ".codex/config.toml",
  "cursor.json": ".cursor/mcp.json",
  "vscode-settings.json": ".config/Code/User/settings.json",
  "vscode-mcp.json": ".config/Code/User/mcp.json",
  "zed-settings.json": ".config/zed/settings.json",
  "gemini-settings.json": ".gemini/settings.json",
  "claude_desktop_config.json": ".config/Claude/claude_desktop_config.json",
  "windsurf.json": ".codeium/windsurf/mcp_config.json",
  "junie.json": ".junie/mcp/mcp.json",
  "broken.json": "src/app/.cursor/mcp.json",
};

/** A fixture's text as laid out in `home`. */
export function fixtureText(name: string, home: string): string {
  return Deno.readTextFileSync(`${FIXTURES}${name}`).replaceAll("/home/u", home);
}

/** A temp home with the given fixtures (default: all) in place. */
export interface HostsHome extends AsyncDisposable {
  home: string;
  env: Record<string, string>;
  /** The absolute path of a fixture in this home. */
  path(fixture: string): string;
  /** The fixture's original text in this home. */
  original(fixture: string): string;
  read(fixture: string): string;
}

/** Build a home. `PATH` starts with `$HOME/bin`, where `rmcp-mux` runs this checkout. */
export async function hostsHome(
  fixtures: readonly string[] = Object.keys(LAYOUT),
): Promise<HostsHome> {
  const home = await Deno.realPath(await Deno.makeTempDir({ prefix: "rmcp-mux-hosts-" }));
  for (const name of fixtures) {
    const target = `${home}/${LAYOUT[name]}`;
    await Deno.mkdir(target.slice(0, target.lastIndexOf("/")), { recursive: true });
    await Deno.writeTextFile(target, fixtureText(name, home));
  }
  // An "installed" rmcp-mux: what rewired entries will run (wherever Deno lives, even in CI's npx cache).
  await Deno.mkdir(`${home}/bin`);
  await Deno.writeTextFile(
    `${home}/bin/rmcp-mux`,
    `#!/bin/sh\nexec '${Deno.execPath()}' run -A --quiet '${ROOT}main.ts' "$@"\n`,
    { mode: 0o755 },
  );
  const env: Record<string, string> = {
    HOME: home,
    XDG_CONFIG_HOME: `${home}/.config`,
    XDG_STATE_HOME: `${home}/.local/state`,
    XDG_RUNTIME_DIR: `${home}/run`,
    PATH: `${home}/bin:/usr/bin:/bin`,
    NO_COLOR: "1",
  };
  // Deno's own cache stays where it is (it would follow HOME otherwise).
  env.DENO_DIR = Deno.env.get("DENO_DIR") ?? `${Deno.env.get("HOME")}/.cache/deno`;
  return {
    home,
    env,
    path: (fixture) => `${home}/${LAYOUT[fixture]}`,
    original: (fixture) => fixtureText(fixture, home),
    read: (fixture) => Deno.readTextFileSync(`${home}/${LAYOUT[fixture]}`),
    async [Symbol.asyncDispose]() {
      await Deno.remove(home, { recursive: true }).catch(() => {});
    },
  };
}
