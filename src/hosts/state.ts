/**
 * What rewiring changed, kept in the mux's state directory (not in the
 * hosts' files): each rewired entry's original text and value, so `unwire`
 * can put it back exactly. The file is private (0600): originals hold the
 * servers' environment, secrets included.
 *
 * @module
 */

import { ensurePrivateDir } from "../paths/private_dir.ts";
import { writeAtomic } from "./files.ts";
import type { FileFormat, HostId, Location } from "./types.ts";

/** One rewired entry. */
export interface RewireRecord {
  host: HostId;
  /** The file, as its real path. */
  file: string;
  format: FileFormat;
  container: string[];
  scope: Location["scope"];
  project?: string;
  style?: Location["style"];
  name: string;
  /** The entry before the first rewire: its exact source text and its value. */
  original: { text: string; value: unknown };
  /** The entry as rewire last wrote it. */
  rewired: { text: string; value: unknown };
  via: "proxy" | "http";
  service: string;
  /** When it was (last) rewired. */
  at: string;
  /** The backup made before the first rewire. */
  backup?: string;
}

interface StateFile {
  version: 1;
  records: RewireRecord[];
}

/** The path of the records. */
export function recordsPath(stateDir: string): string {
  return `${stateDir}/hosts.json`;
}

/** The identity of an entry: file, map and name. */
export function recordKey(r: Pick<RewireRecord, "file" | "container" | "name">): string {
  return JSON.stringify([r.file, r.container, r.name]);
}

/** The records (none when the file does not exist). Throws with the path when it is unreadable. */
export async function loadRecords(stateDir: string): Promise<RewireRecord[]> {
  const path = recordsPath(stateDir);
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
  try {
    const data = JSON.parse(text) as StateFile;
    if (data.version !== 1 || !Array.isArray(data.records)) throw new Error("unknown layout");
    return data.records;
  } catch (error) {
    throw new Error(
      `${path} is damaged (${(error as Error).message}): move it away to start over; ` +
        "the backups beside each host file still hold the originals",
    );
  }
}

/** Save `records` (atomically, 0600, in a 0700 directory). */
export async function saveRecords(stateDir: string, records: RewireRecord[]): Promise<void> {
  await ensurePrivateDir(stateDir, "state");
  const data: StateFile = { version: 1, records };
  await writeAtomic(recordsPath(stateDir), JSON.stringify(data, null, 2) + "\n", { mode: 0o600 });
}

/** `records` with `updates` replacing entries of the same key (or added). */
export function mergeRecords(records: RewireRecord[], updates: RewireRecord[]): RewireRecord[] {
  const byKey = new Map(records.map((r) => [recordKey(r), r]));
  for (const u of updates) byKey.set(recordKey(u), u);
  return [...byKey.values()];
}
