import { assertEquals, assertRejects } from "../_helpers/assert.ts";
import { ensurePrivateDir, ensurePrivateDirSync, PathError } from "../../src/paths/private_dir.ts";

const modeOf = (path: string) => Deno.statSync(path).mode! & 0o777;

Deno.test("private directories are 0700 all the way down, even under a narrowed umask", async () => {
  const root = await Deno.makeTempDir();
  // A socket bind narrows the umask to 0177 for an instant; a directory made then
  // would be 0600 (no search bit) and nothing could be created inside it.
  const previous = Deno.umask(0o177);
  try {
    await ensurePrivateDir(`${root}/a/b/c`, "state");
    ensurePrivateDirSync(`${root}/x/y`, "runtime");
  } finally {
    Deno.umask(previous);
  }
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
