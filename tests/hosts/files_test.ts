import { assertEquals, assertNotEquals, assertRejects } from "../_helpers/assert.ts";
import { backupFile, ChangedUnderneath, writeAtomic } from "../../src/hosts/files.ts";

Deno.test("files: backups are never overwritten, keep the mode; writes follow symlinks and refuse a changed file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "rmcp-mux-files-" });
  try {
    const file = `${dir}/real.json`;
    await Deno.writeTextFile(file, "one", { mode: 0o640 });
    await Deno.chmod(file, 0o640);
    const now = new Date(2026, 0, 2, 3, 4, 5);
    const a = await backupFile(file, now);
    await Deno.writeTextFile(file, "two");
    const b = await backupFile(file, now);
    assertEquals(a, `${file}.rmcp-mux-20260102-030405.bak`);
    assertNotEquals(a, b);
    assertEquals([await Deno.readTextFile(a), await Deno.readTextFile(b)], ["one", "two"]);
    assertEquals((await Deno.stat(a)).mode! & 0o777, 0o640);

    await Deno.symlink(file, `${dir}/link.json`);
    await writeAtomic(`${dir}/link.json`, "three", { expected: "two" });
    assertEquals((await Deno.lstat(`${dir}/link.json`)).isSymlink, true);
    assertEquals(await Deno.readTextFile(file), "three");
    assertEquals((await Deno.stat(file)).mode! & 0o777, 0o640);

    await assertRejects(() => writeAtomic(file, "four", { expected: "two" }), ChangedUnderneath);
    assertEquals(await Deno.readTextFile(file), "three");
    assertEquals([...Deno.readDirSync(dir)].filter((e) => e.name.endsWith(".tmp")), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
