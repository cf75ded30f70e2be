/**
 * The MCP conformance suite (@modelcontextprotocol/conformance 0.1.16, every
 * server scenario, run under Deno) against the mux's HTTP endpoint in front
 * of our stdio fixture server, and against that fixture served over HTTP by
 * the SDK itself: every scenario that passes without the mux passes through it.
 */

import { assert, assertEquals } from "../_helpers/assert.ts";
import { startHttpMux } from "../_helpers/http.ts";
import { ROOT } from "../_helpers/mux.ts";

const FIXTURE = `${ROOT}tests/fixtures/conformance_server.ts`;
const SUITE = "npm:@modelcontextprotocol/conformance@0.1.16";

/** Every server scenario of 0.1.16 (`conformance list --server`). */
const SCENARIOS = [
  "server-initialize",
  "logging-set-level",
  "ping",
  "completion-complete",
  "tools-list",
  "tools-call-simple-text",
  "tools-call-image",
  "tools-call-audio",
  "tools-call-embedded-resource",
  "tools-call-mixed-content",
  "tools-call-with-logging",
  "tools-call-error",
  "tools-call-with-progress",
  "tools-call-sampling",
  "tools-call-elicitation",
  "json-schema-2020-12",
  "elicitation-sep1034-defaults",
  "server-sse-polling",
  "server-sse-multiple-streams",
  "elicitation-sep1330-enums",
  "resources-list",
  "resources-read-text",
  "resources-read-binary",
  "resources-templates-read",
  "resources-subscribe",
  "resources-unsubscribe",
  "prompts-list",
  "prompts-get-simple",
  "prompts-get-with-args",
  "prompts-get-embedded-resource",
  "prompts-get-with-image",
  "dns-rebinding-protection",
];

type Check = {
  id: string;
  status: "SUCCESS" | "FAILURE" | "WARNING" | "INFO";
  errorMessage?: string;
};

/** Run every scenario against `url`; per scenario, its checks. */
async function runSuite(url: string, dir: string): Promise<Map<string, Check[]>> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", SUITE, "server", "--url", url, "--suite", "all", "-o", dir],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const results = new Map<string, Check[]>();
  for await (const entry of Deno.readDir(dir)) {
    const name = /^server-(.+)-\d{4}-\d\d-\d\dT/.exec(entry.name)?.[1];
    if (!name) continue;
    results.set(name, JSON.parse(await Deno.readTextFile(`${dir}/${entry.name}/checks.json`)));
  }
  if (results.size === 0) {
    throw new Error(
      `the suite ran nothing:\n${new TextDecoder().decode(out.stdout)}\n${
        new TextDecoder().decode(out.stderr)
      }`,
    );
  }
  return results;
}

const passed = (checks: Check[] | undefined) =>
  checks !== undefined && checks.every((c) => c.status !== "FAILURE");

Deno.test("the MCP conformance suite passes through the mux wherever it passes against the server itself", async () => {
  await using m = await startHttpMux(
    { cmd: Deno.execPath(), args: ["run", "-A", "--quiet", FIXTURE], cwd: ROOT },
    {},
    { auth: "none" },
  );
  const direct = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", FIXTURE, "--http", "0"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "null",
  }).spawn();
  try {
    const reader = direct.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let first = "";
    while (!first.includes("\n")) first += (await reader.read()).value ?? "";
    await reader.cancel();
    const port = /listening (\d+)/.exec(first)![1];
    const viaMux = await runSuite(m.url, `${m.dir}/via-mux`);
    const itself = await runSuite(`http://127.0.0.1:${port}/mcp`, `${m.dir}/direct`);
    assertEquals([...viaMux.keys()].sort(), [...SCENARIOS].sort(), "every server scenario ran");
    const failures = (results: Map<string, Check[]>) =>
      SCENARIOS.filter((s) => !passed(results.get(s))).map((s) =>
        `${s}: ${
          results.get(s)?.filter((c) => c.status === "FAILURE").map((c) =>
            `${c.id} ${c.errorMessage ?? ""}`
          ).join("; ")
        }`
      );
    const regressions = SCENARIOS.filter((s) => passed(itself.get(s)) && !passed(viaMux.get(s)));
    assertEquals(
      regressions,
      [],
      `passing without the mux, failing through it:\n${failures(viaMux).join("\n")}`,
    );
    // Our fixture implements every scenario: all of them pass, both ways.
    assertEquals(failures(itself), [], "the fixture itself");
    assertEquals(failures(viaMux), [], "through the mux");
    const dns = viaMux.get("dns-rebinding-protection")!;
    assert(dns.length >= 2 && dns.every((c) => c.status === "SUCCESS"), JSON.stringify(dns));
  } finally {
    direct.kill("SIGTERM");
    await direct.status;
  }
});
