/**
 * Writing a host's file safely: a timestamped backup beside it that is never
 * overwritten, then an atomic replace that keeps the file's mode, follows a
 * symlink to its target, and refuses when the file changed since it was read.
 *
 * @module
 */

/** The file changed between reading it and writing it (the host wrote it meanwhile). */
export class ChangedUnderneath extends Error {
  override name = "ChangedUnderneath";
}

/** The real path of `file` (a symlink's target), or `file` when it does not exist. */
export async function realFile(file: string): Promise<string> {
  try {
    return await Deno.realPath(file);
  } catch {
    return file;
  }
}

function stamp(now: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}-` +
    `${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}`;
}

/**
 * Copy `file` to `<file>.rmcp-mux-<YYYYMMDD-HHMMSS>.bak` (then `-2`, `-3`…):
 * created exclusively, so an earlier backup is never overwritten; same mode
 * as the file. Returns the backup's path.
 */
export async function backupFile(file: string, now: Date = new Date()): Promise<string> {
  const data = await Deno.readFile(file);
  const mode = (await Deno.stat(file)).mode ?? 0o600;
  const base = `${file}.rmcp-mux-${stamp(now)}`;
  for (let n = 1; n <= 1000; n++) {
    const path = n === 1 ? `${base}.bak` : `${base}-${n}.bak`;
    let handle: Deno.FsFile;
    try {
      handle = await Deno.open(path, { write: true, createNew: true, mode: mode & 0o777 });
    } catch (error) {
      if (error instanceof Deno.errors.AlreadyExists) continue;
      throw error;
    }
    try {
      let done = 0;
      while (done < data.length) done += await handle.write(data.subarray(done));
      await handle.sync();
    } finally {
      handle.close();
    }
    await Deno.chmod(path, mode & 0o777);
    return path;
  }
  throw new Error(`cannot create a backup of ${file}: 1000 backups this second already exist`);
}

/**
 * Replace `file` with `text` atomically (a temporary file beside it, then a
 * rename). `expected` is the text the change was computed from: when the
 * file no longer holds it, nothing is written and {@link ChangedUnderneath}
 * is thrown. The file keeps its mode (`mode` for a new file).
 */
export async function writeAtomic(
  file: string,
  text: string,
  options: { expected?: string; mode?: number } = {},
): Promise<void> {
  const target = await realFile(file);
  let mode = options.mode ?? 0o600;
  try {
    mode = (await Deno.stat(target)).mode ?? mode;
  } catch {
    // A new file.
  }
  const slash = target.lastIndexOf("/");
  const dir = target.slice(0, slash) || "/";
  const temp = `${dir}/.${target.slice(slash + 1)}.rmcp-mux-${crypto.randomUUID().slice(0, 8)}.tmp`;
  const handle = await Deno.open(temp, { write: true, createNew: true, mode: mode & 0o777 });
  try {
    const bytes = new TextEncoder().encode(text);
    let done = 0;
    while (done < bytes.length) done += await handle.write(bytes.subarray(done));
    await handle.sync();
  } catch (error) {
    handle.close();
    await Deno.remove(temp).catch(() => {});
    throw error;
  }
  handle.close();
  try {
    await Deno.chmod(temp, mode & 0o777);
    if (options.expected !== undefined) {
      let now: string | undefined;
      try {
        now = await Deno.readTextFile(target);
      } catch {
        now = undefined;
      }
      if (now !== options.expected) {
        throw new ChangedUnderneath(`${file} changed while it was being rewired; run again`);
      }
    }
    await Deno.rename(temp, target);
  } catch (error) {
    await Deno.remove(temp).catch(() => {});
    throw error;
  }
}
