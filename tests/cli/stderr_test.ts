import { assert, assertEquals } from "../_helpers/assert.ts";

// redirectStderr changes the process's stderr target for good, so it runs in a child process.
Deno.test("a log file that grows past its limit while running is moved to .old and started afresh", async () => {
  const dir = await Deno.makeTempDir({ prefix: "rmcp-mux-log-" });
  try {
    const log = `${dir}/daemon.log`;
    await Deno.writeTextFile(log, "x".repeat(90) + "\n"); // left by an earlier run
    const script = `
      import { redirectStderr, writeStderr } from "${new URL(
      "../../src/cli/stderr.ts",
      import.meta.url,
    )}";
      redirectStderr(${JSON.stringify(log)}, 100);
      for (let i = 0; i < 5; i++) writeStderr("line " + i + " " + "y".repeat(30) + "\\n");
    `;
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["eval", script],
      stderr: "piped",
    }).output();
    assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
    const current = await Deno.readTextFile(log);
    const old = await Deno.readTextFile(`${log}.old`);
    assert(current.length <= 100, `the live file stays within its limit: ${current.length}`);
    assert(old.length <= 100, `so does the previous one: ${old.length}`);
    assert(current.endsWith(`line 4 ${"y".repeat(30)}\n`), "the newest line is in the live file");
    assert(!old.includes("x".repeat(90)), "the oldest content rotated out");
    assertEquals((await Deno.stat(log)).mode! & 0o777, 0o600);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
