/**
 * The proxy stays lean: what `deno run main.ts proxy` loads at start-up
 * (the code graph Deno builds: static imports and literal dynamic imports)
 * is `main.ts` and one generated module, made from sources that hold no
 * router, no config parser, no logging library, no npm package and no Node
 * module; that module is what `deno task bundle` makes of them today; and
 * every module the CLI loads lazily is embedded by `deno task compile`.
 */

import { leanStartBundle } from "../../src/cli/write_lean_start.ts";
import { assert, assertEquals } from "../_helpers/assert.ts";
import { ROOT } from "../_helpers/mux.ts";

interface InfoModule {
  specifier: string;
  dependencies?: { specifier: string; code?: { specifier: string } }[];
}

/** Modules Deno loads at start-up for `entry` (code dependencies only, dynamic literals included). */
async function startupGraph(entry: string): Promise<string[]> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", entry],
    cwd: ROOT,
    stdout: "piped",
    stderr: "null",
  }).output();
  const info = JSON.parse(new TextDecoder().decode(out.stdout)) as { modules: InfoModule[] };
  const bySpecifier = new Map(info.modules.map((m) => [m.specifier, m]));
  const seen = new Set<string>();
  const stack = [new URL(entry, `file://${ROOT}`).href];
  while (stack.length > 0) {
    const specifier = stack.pop()!;
    if (seen.has(specifier)) continue;
    seen.add(specifier);
    for (const dep of bySpecifier.get(specifier)?.dependencies ?? []) {
      if (dep.code) stack.push(dep.code.specifier);
    }
  }
  return [...seen].map((s) => s.replace(`file://${ROOT}`, "")).sort();
}

Deno.test("the proxy's start-up graph: main.ts and the generated start-up module", async () => {
  assertEquals(await startupGraph("main.ts"), ["main.ts", "src/cli/lean_start.bundle.js"]);
});

Deno.test("the start-up module is what `deno task bundle` makes of its sources today", async () => {
  const committed = await Deno.readTextFile(`${ROOT}src/cli/lean_start.bundle.js`);
  assert(
    committed === await leanStartBundle(),
    "src/cli/lean_start.bundle.js is stale: run `deno task bundle` and commit the result",
  );
});

Deno.test("the start-up module's sources: the proxy's own few modules, no router, config parser, logger, npm or node", async () => {
  const graph = await startupGraph("src/cli/lean_start.ts");
  assertEquals(graph, [
    "src/cli/lean_start.ts",
    "src/cli/proxy_args.ts",
    "src/cli/proxy_command.ts",
    "src/cli/rust_compat.ts",
    "src/cli/stderr.ts",
    "src/jsonrpc/mux_methods.ts",
    "src/proxy/bridge.ts",
    "src/proxy/host_hold.ts",
    "src/proxy/line_framer.ts",
    "src/proxy/line_head.ts",
    "src/proxy/open_listens.ts",
    "src/proxy/proxy.ts",
    "src/proxy/reconnect.ts",
    "src/proxy/session_mirror.ts",
    "src/proxy/session_setup.ts",
    "src/proxy/stdio.ts",
    "src/transport/unix_client.ts",
    "src/version.ts",
  ]);
});

Deno.test("every module the CLI loads lazily is embedded by deno task compile", async () => {
  const config = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`));
  const compile: string = config.tasks.compile.command;
  const lazy: string[] = [];
  for (const [file, base] of [["main.ts", ""], ["src/cli/proxy_command.ts", "src/cli/"]]) {
    const text = await Deno.readTextFile(`${ROOT}${file}`);
    for (const match of text.matchAll(/load<\w+>\(\s*"\.\/([^"]+)"/g)) {
      lazy.push(`${base}${match[1]}`);
    }
  }
  assert(lazy.length >= 7, `found ${lazy.join(", ")}`);
  for (const path of new Set(lazy)) {
    const targets = compile.split("deno compile").length - 1;
    const included = compile.split(`--include ${path} `).length - 1;
    assertEquals(
      included,
      targets,
      `${path} is --include'd in each of the ${targets} compile targets`,
    );
  }
});
