/**
 * scan → rewire → unwire through the real CLI, on copies of real host files
 * (comments, trailing commas, tabs, CRLF, remote servers, unknown keys,
 * per-project entries, a file that does not parse) in a temporary HOME.
 */

import { assert, assertEquals, assertMatch } from "../_helpers/assert.ts";
import { MAIN, runCli } from "../_helpers/cli.ts";
import { type HostsHome, hostsHome, LAYOUT } from "../_helpers/hosts_home.ts";

interface Record {
  host: string;
  file: string;
  name: string;
  original: { text: string };
  rewired: { text: string };
  via: string;
  service: string;
}

function records(h: HostsHome): Record[] {
  return JSON.parse(Deno.readTextFileSync(`${h.home}/.local/state/rmcp-mux/hosts.json`)).records;
}

/** `text` with each record's entry text replaced by a marker naming it. */
function outside(text: string, recs: Record[], which: "original" | "rewired"): string {
  let out = text;
  for (const r of recs) {
    const part = r[which].text;
    assert(out.includes(part), `${r.name}: its ${which} text is not in the file`);
    out = out.replace(part, `<<${r.name}>>`);
  }
  return out;
}

const REWIRED = Object.keys(LAYOUT).filter((f) => f !== "broken.json");

Deno.test("scan lists every host file, merges identical servers, reports conflicts, never shows env values", async () => {
  await using h = await hostsHome();
  const r = await runCli(["scan"], { env: h.env });
  assertEquals(r.code, 0, r.stderr);
  assertMatch(r.stdout, /Claude Code\s+~\/\.claude\.json\s+local \(~\/src\/app\)\s+1 server/);
  assertMatch(r.stdout, /Codex\s+~\/\.codex\/config\.toml\s+user\s+4 servers/);
  assertMatch(r.stdout, /~\/src\/app\/\.cursor\/mcp\.json\s+does not parse: line 3, column 34/);
  // One memory service for seven hosts.
  assertMatch(
    r.stdout,
    /memory\s+npx -y @modelcontextprotocol\/server-memory\s+shared\n\s+in: Claude Code \(user\), Claude Desktop \(user\), Codex \(user\), VS Code \(user\), Windsurf \(user\), Gemini CLI \(user\), Junie \(user\)/,
  );
  assertMatch(r.stdout, /Conflict: "github" is defined differently/);
  assertMatch(r.stdout, /playwright\s+npx @playwright\/mcp@latest\s+client/);
  assertMatch(r.stdout, /git\s+uvx mcp-server-git\s+roots/);
  assertMatch(r.stdout, /notion\s+Claude Code \(user\)\s+remote server/);
  assertMatch(r.stdout, /search\s+VS Code \(user\)\s+it uses \$\{input:brave-key\}/);
  assertMatch(r.stdout, /\(env: GITHUB_PERSONAL_ACCESS_TOKEN\)/);
  assert(!r.stdout.includes("ghp_"), "an env value was printed");

  const j = await runCli(["scan", "--json"], { env: h.env });
  const data = JSON.parse(j.stdout);
  const db = data.services.find((s: { name: string }) => s.name === "db");
  assertEquals(db.env, ["DATABASE_URL", "PRICE"]);
  assert(!j.stdout.includes("ghp_"));
});

Deno.test("scan's next step is a command that runs: rmcp-mux when installed, else the Deno on PATH with this main.ts", async () => {
  await using h = await hostsHome(["claude.json"]);
  const installed = await runCli(["scan"], { env: h.env });
  assertEquals(installed.code, 0, installed.stderr);
  assertMatch(
    installed.stdout,
    /\nNext: rmcp-mux rewire --host all --dry-run {2}\(or rmcp-mux wizard\)\n$/,
  );
  // Not installed: only a Deno on PATH (npx's cache bin first, as under `npx -y deno@…`).
  await Deno.remove(`${h.home}/bin/rmcp-mux`);
  const cache = `${h.home}/.npm/_npx/0a1b/node_modules/.bin`;
  await Deno.mkdir(cache, { recursive: true });
  await Deno.symlink(Deno.execPath(), `${cache}/deno`);
  await Deno.symlink(Deno.execPath(), `${h.home}/bin/deno`);
  const bare = await runCli(["scan"], { env: { ...h.env, PATH: `${cache}:${h.env.PATH}` } });
  assertEquals(bare.code, 0, bare.stderr);
  const main = new URL("../../main.ts", import.meta.url).pathname;
  const typed = `${h.home}/bin/deno run -A ${main}`;
  assertEquals(
    bare.stdout.trimEnd().split("\n").at(-1),
    `Next: ${typed} rewire --host all --dry-run  (or ${typed} wizard)`,
  );
});

Deno.test("output into a pipe nobody reads any more (`scan | head`, a closed pipe): exit as usual, no stack trace", async () => {
  await using h = await hostsHome();
  const fifo = `${h.home}/out.fifo`;
  for (
    const args of [["scan"], ["rewire", "--host", "all", "--dry-run"], ["status", "--host", "all"]]
  ) {
    // stdout: a pipe whose only reader is closed before rmcp-mux starts (so every write fails).
    const out = await new Deno.Command("sh", {
      args: [
        "-c",
        'rm -f "$0"; mkfifo "$0"; exec 3<>"$0"; exec 4>"$0"; exec 3<&-; exec "$@" >&4 4>&-',
        fifo,
        Deno.execPath(),
        ...["run", "-A", "--quiet", MAIN, ...args],
      ],
      env: h.env,
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).output();
    // The same exit code and stderr as when its output is read.
    const read = await runCli(args, { env: h.env });
    assert(read.stdout.length > 0);
    assertEquals([out.code, new TextDecoder().decode(out.stderr)], [read.code, read.stderr]);
  }
});

Deno.test("scan --write-config writes one service per unique server, env carried over, 0600", async () => {
  await using h = await hostsHome();
  const config = `${h.home}/.config/rmcp-mux/config.yaml`;
  const r = await runCli(["scan", "--write-config", config], { env: h.env });
  assertEquals(r.code, 0, r.stderr);
  const text = Deno.readTextFileSync(config);
  assertEquals((Deno.statSync(config).mode ?? 0) & 0o777, 0o600);
  assertMatch(
    text,
    new RegExp(`memory:\\n    socket: ${h.home}/run/rmcp-mux/memory.sock\\n    cmd: npx`),
  );
  assertMatch(text, /GITHUB_PERSONAL_ACCESS_TOKEN: ghp_fixtureSecret0123456789/);
  // Gemini's $DB_URL and a literal $ in the mux config's syntax.
  assertMatch(text, /DATABASE_URL: \$\{DB_URL\}/);
  assertMatch(text, /PRICE: costs \$\$5/);
  // A server that needs a process per client is added too; the daemon isolates it per client.
  assertMatch(text, /playwright:\n {4}socket: /);
  // The daemon accepts it.
  const check = await runCli(["config", "check", config], {
    env: { ...h.env, DB_URL: "x", GITHUB_TOKEN: "t" },
  });
  assertEquals(check.code, 0, check.stderr + check.stdout);
  assertMatch(
    check.stdout,
    /playwright\n(?: {2}.*\n)* {2}isolation: client \(known server: it drives a browser/,
  );
  // A second run adds nothing.
  const again = await runCli(["scan", "--write-config", config], { env: h.env });
  assertMatch(again.stdout, /already there; not written/);
  assertEquals(Deno.readTextFileSync(config), text);
});

Deno.test("rewire --dry-run prints diffs with secrets masked and writes nothing", async () => {
  await using h = await hostsHome();
  const r = await runCli(["rewire", "--host", "all", "--dry-run"], { env: h.env });
  assertEquals(r.code, 1, "the broken project file makes the run fail"); // and is reported
  assertMatch(
    r.stderr,
    /src\/app\/\.cursor\/mcp\.json does not parse: line 3, column 34: comma expected; not touched/,
  );
  assertMatch(r.stdout, /would rewire memory \(Codex \(user\)\) → memory via proxy/);
  assertMatch(r.stdout, /-\[mcp_servers\.github\.env\]\n-GITHUB_PERSONAL_ACCESS_TOKEN = "\*\*\*"/);
  assert(!r.stdout.includes("ghp_"), "a secret was shown");
  assertMatch(r.stdout, /dry run: nothing written/);
  for (const f of Object.keys(LAYOUT)) assertEquals(h.read(f), h.original(f), f);
});

Deno.test("dry-run diffs and scan never show a secret: not in context lines, not in arguments, not when unwire restores it", async () => {
  await using h = await hostsHome([]);
  const file = `${h.home}/.claude.json`;
  Deno.writeTextFileSync(
    file,
    [
      "{",
      '  "mcpServers": {',
      '    "memory": { "command": "npx", "args": ["-y", "@modelcontextprotocol/server-memory"] },',
      '    "remote": { "type": "http", "url": "https://x.example/mcp", "headers": { "Authorization": "Bearer sk-live-HEADER" } },',
      '    "other": { "command": "node", "args": ["x.js", "--api-key", "arg-SECRET"], "env": { "K": "sk-env-NEIGHBOUR" } }',
      "  }",
      "}",
      "",
    ].join("\n"),
  );
  const dry = await runCli(["rewire", "--host", "claude-code", "--server", "memory", "--dry-run"], {
    env: h.env,
  });
  assertEquals(dry.code, 0, dry.stderr);
  assertMatch(dry.stdout, / {4}"remote": .*"Authorization": "\*\*\*"/, "the context line is shown");
  assert(!/sk-live-HEADER|sk-env-NEIGHBOUR|arg-SECRET/.test(dry.stdout), dry.stdout);
  for (const json of [false, true]) {
    const scan = await runCli(["scan", ...(json ? ["--json"] : [])], { env: h.env });
    assertEquals(scan.code, 0, scan.stderr);
    assertMatch(scan.stdout, /--api-key/, "scan shows the flag");
    assert(!/sk-env-NEIGHBOUR|arg-SECRET/.test(scan.stdout), scan.stdout);
  }
  assertEquals(
    (await runCli(["rewire", "--host", "claude-code", "--server", "other"], { env: h.env })).code,
    0,
  );
  const undo = await runCli(["unwire", "--host", "claude-code", "--dry-run"], { env: h.env });
  assertEquals(undo.code, 0, undo.stderr);
  assertMatch(undo.stdout, /\+ {4}"other": .*"K": "\*\*\*"/, "the restored entry is shown");
  assert(!/sk-live-HEADER|sk-env-NEIGHBOUR|arg-SECRET/.test(undo.stdout), undo.stdout);
});

Deno.test("the daemon config's dry-run diff hides secrets: a neighbour's env, a new service's key and header arguments", async () => {
  await using h = await hostsHome([]);
  Deno.writeTextFileSync(
    `${h.home}/.claude.json`,
    JSON.stringify({
      mcpServers: {
        k: {
          command: "npx",
          args: ["-y", "some-server", "--api-key", "PLAINVALUE123"],
          env: { GITHUB_TOKEN: "ENVSECRET999" },
        },
        r: {
          command: "npx",
          args: [
            "-y",
            "mcp-remote",
            "https://x.example/sse",
            "--header",
            "Authorization: Bearer HDRSECRET77",
          ],
        },
      },
    }),
  );
  await Deno.mkdir(`${h.home}/.config/rmcp-mux`, { recursive: true });
  Deno.writeTextFileSync(
    `${h.home}/.config/rmcp-mux/config.yaml`,
    "servers:\n  existing:\n    cmd: node\n    args: [x.js]\n    env:\n      EXISTING_TOKEN: NEIGHBOURSECRET42\n",
  );
  for (
    const args of [["rewire", "--host", "all", "--dry-run"], [
      "scan",
      "--write-config",
      `${h.home}/.config/rmcp-mux/config.yaml`,
      "--dry-run",
    ]]
  ) {
    const dry = await runCli(args, { env: h.env });
    assertEquals(dry.code, 0, dry.stderr);
    assertMatch(dry.stdout, /config\.yaml/, "the config diff is shown");
    assertMatch(dry.stdout, /--api-key/);
    assert(
      !/PLAINVALUE123|ENVSECRET999|NEIGHBOURSECRET42|HDRSECRET77/.test(dry.stdout),
      `${args[0]}: ${dry.stdout}`,
    );
  }
});

Deno.test("rewire changes only the selected entries; idempotent; unwire restores every byte", async () => {
  await using h = await hostsHome();
  const r = await runCli(["rewire", "--host", "all"], { env: h.env });
  assertEquals(r.code, 1, "the broken file is reported");
  assertMatch(r.stdout, /rewired memory \(Claude Code \(user\)\) → memory via proxy/);
  assertMatch(r.stdout, /backup: ~\/\.claude\.json\.rmcp-mux-\d{8}-\d{6}\.bak/);
  assertEquals(h.read("broken.json"), h.original("broken.json"), "a broken file was written");
  const recs = records(h);
  assertEquals(
    (Deno.statSync(`${h.home}/.local/state/rmcp-mux/hosts.json`).mode ?? 0) & 0o777,
    0o600,
  );
  for (const fixture of REWIRED) {
    const mine = recs.filter((x) => x.file === h.path(fixture));
    if (mine.length === 0) continue;
    // Everything outside the rewired entries is byte-for-byte what it was.
    assertEquals(
      outside(h.read(fixture), mine, "rewired"),
      outside(h.original(fixture), mine, "original"),
      fixture,
    );
  }
  // Secrets left the host files.
  assert(!h.read("claude.json").includes("ghp_"));
  assert(!h.read("codex.toml").includes("ghp_"));
  // Remote servers are untouched; a server that needs a process per client is shared too (the
  // daemon gives each client its own process).
  assertMatch(h.read("claude.json"), /"url": "https:\/\/mcp\.notion\.com\/mcp"/);
  assert(!h.read("claude.json").includes('"@playwright/mcp@latest"'));
  // Host-side keys stay: Codex timeouts, Gemini trust, Windsurf disabled.
  assertMatch(h.read("codex.toml"), /startup_timeout_sec = 20 # slow first start/);
  assertMatch(h.read("gemini-settings.json"), /"trust": true/);
  // The CRLF file keeps CRLF.
  assert(!/[^\r]\n/.test(h.read("vscode-mcp.json")));

  const after = Object.fromEntries(REWIRED.map((f) => [f, h.read(f)]));
  const again = await runCli(["rewire", "--host", "all"], { env: h.env });
  assertMatch(
    again.stdout,
    /memory \(Codex \(user\)\): already shared via rmcp-mux \(proxy\), unchanged/,
  );
  for (const f of REWIRED) assertEquals(h.read(f), after[f], `second rewire changed ${f}`);

  const u = await runCli(["unwire", "--host", "all"], { env: h.env });
  assertEquals(u.code, 0, u.stdout + u.stderr);
  for (const f of REWIRED) assertEquals(h.read(f), h.original(f), `${f} is not back`);
  assertEquals(records(h), []);
});

Deno.test("unwire keeps a later unrelated edit, and leaves an entry changed since rewiring", async () => {
  await using h = await hostsHome(["claude.json", "codex.toml"]);
  assertEquals((await runCli(["rewire", "--host", "claude-code"], { env: h.env })).code, 0);
  assertEquals((await runCli(["rewire", "--host", "codex"], { env: h.env })).code, 0);
  // The host rewrites its file (Claude Code does, all the time) and the user edits one entry.
  const claude = JSON.parse(h.read("claude.json"));
  claude.numStartups = 43;
  claude.mcpServers.github.timeout = 1;
  Deno.writeTextFileSync(h.path("claude.json"), JSON.stringify(claude, null, 2));
  Deno.writeTextFileSync(
    h.path("codex.toml"),
    h.read("codex.toml") + "\n[features]\nweb_search = true\n",
  );
  const u = await runCli(["unwire", "--host", "claude-code,codex"], { env: h.env });
  assertEquals(u.code, 1, "one entry could not be restored");
  assertMatch(
    u.stdout,
    /github \(Claude Code, .*\): changed since it was rewired; left alone \(the original is in .*\.bak\)/,
  );
  const back = JSON.parse(h.read("claude.json"));
  assertEquals(back.numStartups, 43);
  assertEquals(back.mcpServers.memory.command, "npx");
  assertEquals(back.mcpServers.memory.args, ["-y", "@modelcontextprotocol/server-memory"]);
  assertEquals(back.mcpServers.github.timeout, 1);
  assertEquals(
    h.read("codex.toml"),
    h.original("codex.toml") + "\n[features]\nweb_search = true\n",
  );
  assertEquals(records(h).map((r) => r.name), ["github"]);
});

Deno.test("rewire --via http: Claude Code gets a headersHelper, Codex a token variable, Zed the proxy", async () => {
  await using h = await hostsHome(["claude.json", "codex.toml", "zed-settings.json"]);
  const config = `${h.home}/.config/rmcp-mux/config.yaml`;
  Deno.mkdirSync(`${h.home}/.config/rmcp-mux`, { recursive: true });
  Deno.writeTextFileSync(config, "daemon:\n  http:\n    listen: 127.0.0.1:7300\n");
  const r = await runCli(["rewire", "--host", "claude-code,codex,zed", "--via", "http"], {
    env: h.env,
  });
  assertEquals(r.code, 0, r.stderr);
  const claude = JSON.parse(h.read("claude.json"));
  assertEquals(claude.mcpServers.memory.type, "http");
  assertEquals(claude.mcpServers.memory.url, "http://127.0.0.1:7300/mcp/memory");
  assertMatch(
    claude.mcpServers.memory.headersHelper,
    /cat '.*\/\.local\/state\/rmcp-mux\/http\.token'/,
  );
  assertMatch(
    h.read("codex.toml"),
    /\[mcp_servers\.memory\]\nurl = "http:\/\/127\.0\.0\.1:7300\/mcp\/memory"\nbearer_token_env_var = "RMCP_MUX_TOKEN"\nstartup_timeout_sec = 20/,
  );
  assertMatch(r.stdout, /Codex reads the token from \$RMCP_MUX_TOKEN/);
  assertMatch(h.read("zed-settings.json"), /"command": ".*\/bin\/rmcp-mux"/);
  // Zed's own marker for a custom server (its documented form) stays.
  assertMatch(h.read("zed-settings.json"), /"git": \{\n {6}"source": "custom",\n/);
  assertMatch(r.stdout, /Zed's settings have no variables: .* token in clear: proxy/);
  // The helper prints the header from the token file, as Claude Code will run it.
  Deno.mkdirSync(`${h.home}/.local/state/rmcp-mux`, { recursive: true });
  Deno.writeTextFileSync(`${h.home}/.local/state/rmcp-mux/http.token`, "tok123\n");
  const out = new Deno.Command("sh", { args: ["-c", claude.mcpServers.memory.headersHelper] })
    .outputSync();
  assertEquals(JSON.parse(new TextDecoder().decode(out.stdout)), {
    Authorization: "Bearer tok123",
  });
  // status --host sees them as shared via http; the config has the services.
  const s = await runCli(["status", "--host", "claude-code"], { env: h.env });
  assertMatch(s.stdout, /memory\s+shared via rmcp-mux \(http\)/);
  assertMatch(s.stdout, /notion\s+remote, not shareable/);
});

Deno.test("rewire --via http: each editor's file gets its documented HTTP entry; stdio-only hosts say why they get the proxy", async () => {
  const files = [
    "cursor.json",
    "vscode-mcp.json",
    "windsurf.json",
    "gemini-settings.json",
    "claude_desktop_config.json",
    "junie.json",
  ];
  await using h = await hostsHome(files);
  const config = `${h.home}/.config/rmcp-mux/config.yaml`;
  Deno.mkdirSync(`${h.home}/.config/rmcp-mux`, { recursive: true });
  Deno.writeTextFileSync(config, "daemon:\n  http:\n    listen: 127.0.0.1:7300\n");
  const r = await runCli([
    "rewire",
    "--host",
    "cursor,vscode,windsurf,gemini,claude-desktop,junie",
    "--via",
    "http",
  ], { env: h.env });
  assertEquals(r.code, 0, r.stderr);
  const bearer = { Authorization: "Bearer ${env:RMCP_MUX_TOKEN}" };
  const entry = (file: string, key: string, name: string) => JSON.parse(h.read(file))[key][name];
  assertEquals(entry("cursor.json", "mcpServers", "github"), {
    url: "http://127.0.0.1:7300/mcp/github",
    headers: bearer,
  });
  assertEquals(entry("vscode-mcp.json", "servers", "memory"), {
    type: "http",
    url: "http://127.0.0.1:7300/mcp/memory",
    headers: bearer,
  });
  // Host-side keys stay.
  assertEquals(entry("windsurf.json", "mcpServers", "memory"), {
    disabled: false,
    serverUrl: "http://127.0.0.1:7300/mcp/memory",
    headers: bearer,
  });
  assertEquals(entry("gemini-settings.json", "mcpServers", "memory"), {
    trust: true,
    httpUrl: "http://127.0.0.1:7300/mcp/memory",
    headers: { Authorization: "Bearer ${RMCP_MUX_TOKEN}" },
  });
  for (const label of ["Cursor", "VS Code", "Windsurf", "Gemini CLI"]) {
    assertMatch(r.stdout, new RegExp(`${label} reads the token from \\$RMCP_MUX_TOKEN`));
  }
  // No file holds the token.
  for (const file of files) assert(!/Bearer [A-Za-z0-9_-]{20,}/.test(h.read(file)), file);
  assertMatch(entry("claude_desktop_config.json", "mcpServers", "memory").command, /rmcp-mux$/);
  assertMatch(
    r.stdout,
    /Claude Desktop takes only stdio servers in its file \(remote ones are connectors, reached from Anthropic's cloud, not from this machine\): proxy/,
  );
  assertMatch(entry("junie.json", "mcpServers", "memory").command, /rmcp-mux$/);
  assertMatch(r.stdout, /Junie takes only stdio servers: proxy/);
});

Deno.test("status --host: shared, not shared, and shared but unknown to the daemon", async () => {
  await using h = await hostsHome(["cursor.json", "junie.json"]);
  assertEquals((await runCli(["rewire", "--host", "junie"], { env: h.env })).code, 0);
  const s = await runCli(["status", "--host", "junie,cursor"], { env: h.env });
  assertEquals(s.code, 0, s.stderr);
  assertMatch(
    s.stdout,
    /\(daemon not running; compared with ~\/\.config\/rmcp-mux\/config\.yaml\)/,
  );
  assertMatch(s.stdout, /memory\s+shared via rmcp-mux \(proxy\)\s+— Junie \(user\)/);
  assertMatch(s.stdout, /github\s+not shared\s+— Cursor \(user\)/);
  // The service disappears from the config.
  Deno.writeTextFileSync(`${h.home}/.config/rmcp-mux/config.yaml`, "servers: {}\n");
  const s2 = await runCli(["status", "--host", "junie"], { env: h.env });
  assertMatch(s2.stdout, /memory\s+shared, but the daemon has no such service/);
});

Deno.test("--path FILE --format: any other host's file", async () => {
  await using h = await hostsHome([]);
  const file = `${h.home}/other.json`;
  Deno.writeTextFileSync(file, '{ "servers": { "m": { "command": "npx", "args": ["x"] } } }\n');
  const r = await runCli(["rewire", "--path", file], { env: h.env });
  assertEquals(r.code, 0, r.stderr);
  assertMatch(
    Deno.readTextFileSync(file),
    /^\{ "servers": \{ "m": \{ "type": "stdio", "command": ".*\/bin\/rmcp-mux", "args": \["proxy", "--socket", ".*\/m\.sock", "--config", ".*\/config\.yaml", "--service", "m"\] \} \} \}\n$/,
  );
  assertEquals((await runCli(["unwire", "--path", file], { env: h.env })).code, 0);
  assertEquals(
    Deno.readTextFileSync(file),
    '{ "servers": { "m": { "command": "npx", "args": ["x"] } } }\n',
  );
});

Deno.test("bad requests get one clear line and exit codes", async () => {
  await using h = await hostsHome(["claude.json"]);
  const unknown = await runCli(["rewire", "--host", "emacs"], { env: h.env });
  assertEquals(unknown.code, 1);
  assertMatch(unknown.stderr, /unknown host "emacs": expected one of claude-code, .*, all/);
  const none = await runCli(["rewire"], { env: h.env });
  assertEquals(none.code, 2);
  assertMatch(none.stderr, /rewire: name the host/);
  const server = await runCli(["rewire", "--host", "claude-code", "--server", "nope"], {
    env: h.env,
  });
  assertEquals(server.code, 1);
  assertMatch(server.stderr, /no server "nope" in claude-code's files/);
  const http = await runCli(["rewire", "--host", "claude-code", "--via", "http"], { env: h.env });
  assertEquals(http.code, 1);
  assertMatch(http.stderr, /--via http: .* does not turn the HTTP listener on/);
  const config = `${h.home}/.config/rmcp-mux/config.yaml`;
  Deno.mkdirSync(`${h.home}/.config/rmcp-mux`, { recursive: true });
  Deno.writeTextFileSync(config, "daemon:\n  http:\n    listen: 127.0.0.1:0\n");
  const portZero = await runCli(["rewire", "--host", "claude-code", "--via", "http"], {
    env: h.env,
  });
  assertEquals(portZero.code, 1);
  assertMatch(portZero.stderr, /port 0 \(a new port at every start\).*set a fixed port/);
  const proxyCmd = await runCli(["rewire", "--host", "claude-code", "--proxy-cmd", "x"], {
    env: h.env,
  });
  assertEquals(proxyCmd.code, 2);
  assertMatch(proxyCmd.stderr, /--proxy-cmd\/--proxy-args are gone/);
  assertEquals(h.read("claude.json"), h.original("claude.json"));
});
