import { assertEquals, assertRejects } from "../_helpers/assert.ts";
import { ensurePrivateDir, PathError } from "../../src/paths/private_dir.ts";

const modeOf = (path: string) => Deno.statSync(path).mode! & 0o777;

Deno.test("private directories are 0700 all the way down, even under a narrowed umask", async () => {
  const root = await Deno.makeTempDir();
  // Under umask 0177 a directory made with mode 0700 would be 0600 (no search
  // bit) and nothing could be created inside it. The umask is narrowed in a
  // process of its own: other test modules are threads of this one.
  const module = new URL("../../src/paths/private_dir.ts", import.meta.url).href;
  const code = `
    import { ensurePrivateDir, ensurePrivateDirSync } from ${JSON.stringify(module)};
    Deno.umask(0o177);
    await ensurePrivateDir(${JSON.stringify(`${root}/a/b/c`)}, "state");
    ensurePrivateDirSync(${JSON.stringify(`${root}/x/y`)}, "runtime");
  `;
  const run = await new Deno.Command(Deno.execPath(), { args: ["eval", code], stderr: "piped" })
    .output();
  assertEquals(run.code, 0, new TextDecoder().decode(run.stderr));
  for (const dir of ["a", "a/b", "a/b/c", "x", "x/y"]) {
    assertEquals(modeOf(`${root}/${dir}`), 0o700, dir);
  }
  await Deno.remove(root, { recursive: true });
});

Deno.test("an existing directory is left as it is; a file in the way is one clear error", async () => {
  const root = await Deno.makeTempDir();
  Deno.chmodSync(root, 0o755);
  await ensurePrivateDir(root, "state");
  assertEquals(modeOf(root), 0o755);
  Deno.writeTextFileSync(`${root}/file`, "");
  await assertRejects(
    () => ensurePrivateDir(`${root}/file/sub`, "state"),
    PathError,
    `cannot create the state directory "${root}/file/sub"`,
  );
  await Deno.remove(root, { recursive: true });
});
