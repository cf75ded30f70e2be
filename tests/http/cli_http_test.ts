/**
 * The HTTP listener from the command line: `--http` on a single mux, and
 * `daemon.http` in a config file; `rmcp-mux http token`; `status` shows the
 * URL and each client's transport.
 */

import { assert, assertEquals, assertMatch } from "../_helpers/assert.ts";
import { CliProcess, runCli } from "../_helpers/cli.ts";
import { connectHttpClient } from "../_helpers/http.ts";
import { modernPost, modernRequest } from "../_helpers/modern_http.ts";
import { ROOT, textOf } from "../_helpers/mux.ts";

const FIXTURE = `${ROOT}tests/fixtures/fake_server.ts`;
const DENO = Deno.execPath();

Deno.test("--http on one mux: the printed URL serves SDK clients with the token `http token` prints", async () => {
  const dir = await Deno.makeTempDir({ prefix: "rmcp-mux-http-cli-" });
  const env = { XDG_STATE_HOME: `${dir}/state`, HOME: dir, PATH: Deno.env.get("PATH") ?? "" };
  try {
    const printed = await runCli(["http", "token"], { env });
    assertEquals(printed.code, 0, printed.stderr);
    const token = printed.stdout.trim();
    assertMatch(token, /^[A-Za-z0-9_-]{43}$/);
    assertEquals((await Deno.stat(`${dir}/state/rmcp-mux/http.token`)).mode! & 0o777, 0o600);
    const socket = `${dir}/tools.sock`;
    await using mux = new CliProcess(
      ["--socket", socket, "--cmd", DENO, "--http", "127.0.0.1:0", "--", "run", "-A", FIXTURE],
      env,
    );
    const line = await mux.waitForLine(/serving tools over HTTP at http:\/\/127\.0\.0\.1:\d+\/mcp/);
    const base = /(http:\/\/127\.0\.0\.1:\d+\/mcp)/.exec(line)![1]!;
    // The single mux answers at /mcp and at /mcp/tools.
    for (const url of [base, `${base}/tools`]) {
      await using c = await connectHttpClient({ url, token }, "cli-client");
      const result = await c.client.callTool({ name: "echo", arguments: { text: url } });
      assertEquals(textOf(result), url);
      const status = await runCli(["status", "--socket", socket, "-v"], { env });
      assertEquals(status.code, 0, status.stderr);
      assertMatch(status.stdout, new RegExp(`http: ${base}/tools`));
      // (the status command is a probe, not a client: it is not counted)
      assertMatch(status.stdout, /clients: 1 http\n/);
      assertMatch(status.stdout, /\d+\s+cli-client\s+1\.0\.0\s+http\s+2025-11-25/);
    }
    const refused = await fetch(base, { method: "POST", body: "{}" });
    assertEquals(refused.status, 401);
    await refused.body?.cancel();
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});

Deno.test("--http on one mux with settings that cannot work: one clear line, and no server started", async () => {
  const dir = await Deno.makeTempDir({ prefix: "rmcp-mux-http-cli-" });
  const env = { XDG_STATE_HOME: `${dir}/state`, HOME: dir, PATH: Deno.env.get("PATH") ?? "" };
  try {
    const server = ["--cmd", DENO, "--", "run", "-A", FIXTURE];
    for (
      const [flags, said] of [
        [["--http", "0.0.0.0:0"], /^rmcp-mux: refusing to listen on 0\.0\.0\.0:0: not a loopback/],
        [
          ["--http", "0.0.0.0:0", "--http-allow-remote", "--http-auth", "none"],
          /^rmcp-mux: refusing --http-auth none on 0\.0\.0\.0:0/,
        ],
      ] as const
    ) {
      const run = await runCli(["--socket", `${dir}/x.sock`, ...flags, ...server], { env });
      assertEquals(run.code, 1, run.stderr);
      assertMatch(run.stderr, said);
      assertEquals(run.stderr.trim().split("\n").length, 1, `one line: ${run.stderr}`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});

Deno.test("daemon.http: one listener for every service at /mcp/NAME; bad settings are one clear line", async () => {
  const dir = await Deno.makeTempDir({ prefix: "rmcp-mux-http-daemon-" });
  const env = { XDG_STATE_HOME: `${dir}/state`, HOME: dir, PATH: Deno.env.get("PATH") ?? "" };
  try {
    const config = `${dir}/config.yaml`;
    await Deno.writeTextFile(
      config,
      `daemon:
  http:
    listen: 127.0.0.1:0
    auth: none
servers:
  one: { socket: ${dir}/one.sock, cmd: ${DENO} run -A --quiet ${FIXTURE} }
  two: { socket: ${dir}/two.sock, cmd: ${DENO} run -A --quiet ${FIXTURE} }
`,
    );
    await using daemon = new CliProcess(["--config", config], env);
    const line = await daemon.waitForLine(/HTTP listening on http:\/\/127\.0\.0\.1:\d+\/mcp/);
    const base = /(http:\/\/127\.0\.0\.1:\d+\/mcp)/.exec(line)![1]!;
    await daemon.waitForLine(/Daemon running 2 services/);
    for (const name of ["one", "two"]) {
      await using c = await connectHttpClient({ url: `${base}/${name}`, token: "" }, name);
      assertEquals(
        textOf(await c.client.callTool({ name: "echo", arguments: { text: name } })),
        name,
      );
    }
    // A client of MCP 2026-07-28 (no session) is served at the same URL.
    const modern = await modernPost(
      `${base}/two`,
      "",
      modernRequest(1, "tools/call", { name: "echo", arguments: { text: "sessionless" } }),
    );
    assertEquals(modern.status, 200);
    assertEquals(modern.messages[0]?.result?.resultType, "complete");
    assertEquals(textOf(modern.messages[0]?.result), "sessionless");
    const ambiguous = await fetch(base, { method: "POST", body: "{}" });
    assertEquals(ambiguous.status, 404);
    assertMatch(await ambiguous.text(), /use one of: \/mcp\/one, \/mcp\/two/);
    const status = await runCli(["status", "--config", config, "--json"], { env });
    const json = JSON.parse(status.stdout);
    assertEquals(json.http.url, base);
    assertEquals(json.services[0].mux.httpUrl, `${base}/one`);
    // Remote without the explicit flag: refused before anything starts. (Another file: one
    // daemon per config file, and this one's daemon is running.)
    const other = `${dir}/remote.yaml`;
    await Deno.writeTextFile(
      other,
      (await Deno.readTextFile(config)).replace("127.0.0.1:0", "0.0.0.0:0"),
    );
    const remote = await runCli(["--config", other, "--control", `${dir}/other.sock`], { env });
    assertEquals(remote.code, 1);
    assertMatch(remote.stderr, /refusing to listen on 0\.0\.0\.0:0: not a loopback address/);
    assert(!remote.stderr.includes("    at "), "no stack trace");
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});
