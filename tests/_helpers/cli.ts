/**
 * Running `main.ts` as a real subprocess, and reading its stderr line by line.
 */

import { ROOT } from "./mux.ts";
import { LineReader } from "./ndjson.ts";
import { hintCommand } from "../../src/paths/self_command.ts";

export const MAIN = `${ROOT}main.ts`;

/**
 * How hints name rmcp-mux in the tests' own environment (the PATH, Deno and
 * main.ts every CLI process and daemon of the tests share): `rmcp-mux` only
 * when it is installed on PATH, else e.g. `/usr/local/bin/deno run -A …/main.ts`.
 */
export const TYPED: string = hintCommand();

/** `text` as a regular expression source that matches it literally. */
export function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * The runtime directory of every process the tests start (and of the tests
 * themselves): daemons record themselves there, and a test that kills one
 * must not leave its record and lock in the user's real `$XDG_RUNTIME_DIR`.
 * A test that needs its own passes `XDG_RUNTIME_DIR` explicitly.
 */
export const TEST_RUNTIME_DIR: string = (() => {
  const dir = `${Deno.env.get("TMPDIR") ?? "/tmp"}/rmcp-mux-tests-${Deno.uid() ?? "user"}`;
  Deno.mkdirSync(dir, { recursive: true, mode: 0o700 });
  Deno.env.set("XDG_RUNTIME_DIR", dir);
  return dir;
})();

/** Run the CLI to completion. */
export async function runCli(
  args: string[],
  options: { stdin?: string; env?: Record<string, string> } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", MAIN, ...args],
    env: options.env,
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    cwd: ROOT,
  }).spawn();
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(options.stdin));
    await writer.close();
  }
  const out = await child.output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

/** A CLI process kept running, with its stderr readable line by line. */
export class CliProcess implements AsyncDisposable {
  readonly child: Deno.ChildProcess;
  readonly lines: string[] = [];
  readonly #stderr: LineReader;

  constructor(args: string[], env?: Record<string, string>) {
    this.child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--quiet", MAIN, ...args],
      env,
      stdin: "null",
      stdout: "null",
      stderr: "piped",
      cwd: ROOT,
    }).spawn();
    this.#stderr = LineReader.of(this.child.stderr);
  }

  /** Read stderr until a line matches; returns it. Throws if stderr ends first. */
  async waitForLine(pattern: RegExp): Promise<string> {
    while (true) {
      const line = await this.#stderr.next();
      if (line === null) {
        throw new Error(`stderr ended before ${pattern}; got:\n${this.lines.join("\n")}`);
      }
      this.lines.push(line);
      if (pattern.test(line)) return line;
    }
  }

  /** Drain the rest of stderr (after the process exits). */
  rest(): Promise<string> {
    return this.#stderr.rest();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    try {
      this.child.kill("SIGKILL");
    } catch {
      // Already exited.
    }
    await this.rest().catch(() => "");
    await this.child.status;
  }
}
