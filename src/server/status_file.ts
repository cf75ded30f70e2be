/**
 * `--status-file`: the status snapshot as JSON on disk, for tools that poll a
 * file rather than a socket. Written atomically (a unique temporary file,
 * then rename), at most four times a second, and only when it changed.
 *
 * @module
 */

import type { Logger } from "@logtape/logtape";
import { describeFsError, dirOf, ensurePrivateDir, PathError } from "../paths/private_dir.ts";

/** How often the snapshot is compared with what is on disk. */
export const STATUS_FILE_INTERVAL_MS = 250;

/**
 * Make sure a status file can be written at `path`: its directory is created
 * (`0700`) if missing, and a trial write must succeed. Throws {@link PathError}
 * naming the path, so a bad `--status-file` fails at start instead of never
 * being written.
 */
export async function prepareStatusFile(path: string): Promise<void> {
  await ensurePrivateDir(dirOf(path), "status file");
  const probe = `${path}.${Deno.pid}.probe.tmp`;
  try {
    await Deno.writeTextFile(probe, "", { mode: 0o600 });
  } catch (error) {
    throw new PathError(
      `cannot write the status file "${path}": ${describeFsError(error)}; ` +
        "choose a --status-file path in a directory you can write",
    );
  } finally {
    await Deno.remove(probe).catch(() => {});
  }
}

/** Keeps a JSON file in step with a snapshot function. */
export class StatusFileWriter {
  readonly #path: string;
  readonly #snapshot: () => unknown;
  readonly #log: Logger;
  readonly #timer: ReturnType<typeof setInterval>;
  #written = "";
  #writing: Promise<void> = Promise.resolve();
  #failed = false;
  #closed = false;

  constructor(path: string, snapshot: () => unknown, log: Logger) {
    this.#path = path;
    this.#snapshot = snapshot;
    this.#log = log;
    this.#timer = setInterval(() => this.flush(), STATUS_FILE_INTERVAL_MS);
    this.flush();
  }

  /** Write now if the snapshot changed. Resolves when written. */
  flush(): Promise<void> {
    const text = JSON.stringify(this.#snapshot(), null, 2) + "\n";
    if (text === this.#written) return this.#writing;
    this.#written = text;
    this.#writing = this.#writing.then(() => this.#write(text));
    return this.#writing;
  }

  /** Write the final snapshot and stop. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return this.#writing;
    this.#closed = true;
    clearInterval(this.#timer);
    await this.flush();
  }

  async #write(text: string): Promise<void> {
    // A unique temporary name: several writers may share a directory (or a path, by mistake).
    const tmp = `${this.#path}.${Deno.pid}.${crypto.randomUUID().slice(0, 8)}.tmp`;
    try {
      await Deno.writeTextFile(tmp, text, { mode: 0o600 });
      await Deno.rename(tmp, this.#path);
      this.#failed = false;
    } catch (error) {
      await Deno.remove(tmp).catch(() => {});
      if (!this.#failed) {
        this.#log.warn("Cannot write the status file {path}: {error}", {
          path: this.#path,
          error: error instanceof Error ? error.message : String(error),
        });
      }
      this.#failed = true;
    }
  }
}
