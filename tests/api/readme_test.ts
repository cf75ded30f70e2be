/**
 * The README's examples are code that works: every TypeScript block runs
 * against this package, every YAML block is a valid config file.
 */

import { parseConfig } from "../../src/config/parse.ts";
import { assert, assertEquals } from "../_helpers/assert.ts";
import { ROOT } from "../_helpers/mux.ts";

const README = await Deno.readTextFile(`${ROOT}README.md`);
const blocks = (lang: string) =>
  [...README.matchAll(new RegExp("```" + lang + "\\n([\\s\\S]*?)```", "g"))].map((m) => m[1]!);

Deno.test("README: every TypeScript example runs", async () => {
  const examples = blocks("ts");
  assert(examples.length > 0);
  for (const [i, code] of examples.entries()) {
    const dir = await Deno.makeTempDir({ prefix: "rmcp-mux-readme-" });
    const source = code
      .replaceAll('"jsr:@rmcp-mux/mux"', JSON.stringify(`${ROOT}src/mod.ts`))
      .replaceAll("/tmp/rmcp-mux/", `${dir}/`);
    await Deno.writeTextFile(`${dir}/example.ts`, source);
    const run = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--quiet", "--config", `${ROOT}deno.json`, `${dir}/example.ts`],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(run.stderr);
    assertEquals(run.code, 0, `README example ${i + 1} failed:\n${stderr}`);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("README: every YAML example is a valid config file", () => {
  const examples = blocks("yaml");
  assert(examples.length > 0);
  for (const text of examples) {
    const config = parseConfig(text, "README.yaml", {
      env: { GITHUB_TOKEN: "t" },
      home: "/home/me",
    });
    assert(config.services.length > 0);
  }
});

Deno.test("README: installing from a clone gives an rmcp-mux that works from any directory", async () => {
  const line = README.match(/^deno install -g -A -n rmcp-mux (.*main\.ts)$/m);
  assert(line, "the README shows how to install from a clone");
  const dir = await Deno.makeTempDir({ prefix: "rmcp-mux-install-" });
  try {
    const denoDir = Deno.execPath().slice(0, Deno.execPath().lastIndexOf("/"));
    // The launcher runs `deno` from PATH, as on a user's machine.
    const env = { PATH: `${denoDir}:${Deno.env.get("PATH") ?? ""}` };
    const args = ["install", "-g", "-A", "-n", "rmcp-mux", "--root", dir, ...line[1]!.split(" ")];
    const install = await new Deno.Command(Deno.execPath(), { args, cwd: ROOT, env }).output();
    assertEquals(install.code, 0, new TextDecoder().decode(install.stderr));
    const config = `${dir}/mux.yaml`;
    await Deno.writeTextFile(
      config,
      `servers:\n  memory:\n    socket: ${dir}/m.sock\n    cmd: npx\n`,
    );
    const check = await new Deno.Command(`${dir}/bin/rmcp-mux`, {
      args: ["config", "check", config],
      cwd: dir,
      env,
    }).output();
    const stderr = new TextDecoder().decode(check.stderr);
    assertEquals(check.code, 0, stderr);
    assert(new TextDecoder().decode(check.stdout).includes("memory"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
