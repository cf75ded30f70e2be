/**
 * An exclusive advisory lock on a file (`flock`): the atomic primitive that
 * picks exactly one owner among racing processes. The OS releases it when
 * its owner dies, even by `kill -9`, so a lock is never left stale.
 *
 * @module
 */

/** A held lock. Release it with {@link FileLock.release} or `using`. */
export class FileLock implements Disposable {
  readonly #file: Deno.FsFile;
  readonly #path: string;
  #released = false;

  private constructor(file: Deno.FsFile, path: string) {
    this.#file = file;
    this.#path = path;
  }

  /** The lock file. */
  get path(): string {
    return this.#path;
  }

  /**
   * Take the lock on `path` (created `0600` if missing) if nobody holds it.
   * Resolves `undefined` at once when another process (or handle) holds it.
   *
   * @example
   * ```ts
   * import { FileLock } from "./file_lock.ts";
   *
   * const path = `${await Deno.makeTempDir()}/demo.lock`;
   * using first = await FileLock.tryAcquire(path);
   * console.log(first !== undefined, await FileLock.tryAcquire(path)); // true undefined
   * ```
   */
  static async tryAcquire(path: string): Promise<FileLock | undefined> {
    // A holder may remove the file as it releases: retry if the file we locked
    // is no longer the one at `path` (then a newcomer would lock another file).
    for (let attempt = 0; attempt < 10; attempt++) {
      const file = await Deno.open(path, { read: true, write: true, create: true, mode: 0o600 });
      let locked = false;
      try {
        locked = await file.tryLock(true);
        if (locked && sameFile(file, path)) return new FileLock(file, path);
      } catch (error) {
        file.close();
        throw error;
      }
      file.close();
      if (!locked) return undefined;
    }
    return undefined;
  }

  /**
   * Release the lock; with `remove`, delete the lock file first (while still
   * holding it, so no newcomer can lock a file that is about to vanish
   * unnoticed). Idempotent.
   */
  release(remove = false): void {
    if (this.#released) return;
    this.#released = true;
    if (remove) {
      try {
        Deno.removeSync(this.#path);
      } catch {
        // Already gone.
      }
    }
    try {
      this.#file.close(); // closing the last handle releases the flock
    } catch {
      // Already closed.
    }
  }

  /** Same as {@link release} without removing the file. */
  [Symbol.dispose](): void {
    this.release();
  }
}

function sameFile(file: Deno.FsFile, path: string): boolean {
  try {
    const held = file.statSync();
    const now = Deno.statSync(path);
    return held.ino === now.ino && held.dev === now.dev;
  } catch {
    return false;
  }
}
