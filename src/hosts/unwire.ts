/**
 * Unwiring: each recorded entry goes back to its original text, only where
 * it still is exactly what rewire wrote. Edits elsewhere in the file since
 * then are kept; an entry changed since is reported and left alone. Pure
 * planning; writing goes through the same backup and atomic write as rewire.
 *
 * @module
 */

import { parseHostText } from "./discover.ts";
import { entryRegion, fileValue } from "./entry.ts";
import { sameValue, valueAt } from "./json_entry.ts";
import type { RewireRecord } from "./state.ts";

/** What happens to one record. */
export interface UnwireOutcome {
  record: RewireRecord;
  action: "restore" | "gone" | "changed" | "broken";
  note?: string;
}

/** One file to write. */
export interface UnwireFile {
  file: string;
  before: string;
  after: string;
  restored: RewireRecord[];
}

/** Plan restoring `records`; `texts` holds each file's current text (absent: the file is gone). */
export function planUnwire(
  records: readonly RewireRecord[],
  texts: ReadonlyMap<string, string | undefined>,
): { outcomes: UnwireOutcome[]; files: UnwireFile[] } {
  const outcomes: UnwireOutcome[] = [];
  const files: UnwireFile[] = [];
  const byFile = new Map<string, RewireRecord[]>();
  for (const r of records) byFile.set(r.file, [...(byFile.get(r.file) ?? []), r]);
  for (const [file, list] of byFile) {
    const before = texts.get(file);
    if (before === undefined) {
      for (const record of list) {
        outcomes.push({ record, action: "gone", note: "the file is gone" });
      }
      continue;
    }
    const read = parseHostText(before, list[0]!.format);
    if (read.status === "broken") {
      for (const record of list) {
        outcomes.push({ record, action: "broken", note: `${file} ${read.error}; not written` });
      }
      continue;
    }
    const edits: Array<{ start: number; end: number; text: string; record: RewireRecord }> = [];
    for (const record of list) {
      const region = entryRegion(before, record.format, record.container, record.name);
      if (!region) {
        outcomes.push({
          record,
          action: "gone",
          note: "no longer in the file (removed or renamed)",
        });
      } else if (!sameValue(region.value, record.rewired.value)) {
        outcomes.push({
          record,
          action: "changed",
          note: "changed since it was rewired; left alone" +
            (record.backup ? ` (the original is in ${record.backup})` : ""),
        });
      } else {
        edits.push({ start: region.start, end: region.end, text: record.original.text, record });
      }
    }
    if (edits.length === 0) continue;
    let after = before;
    for (const edit of [...edits].sort((a, b) => b.start - a.start)) {
      after = after.slice(0, edit.start) + edit.text + after.slice(edit.end);
    }
    // The safety net: the restored entries hold their original values, nothing else moved.
    const value = fileValue(after, list[0]!.format);
    const ok = edits.every((e) =>
      sameValue(valueAt(value, [...e.record.container, e.record.name]), e.record.original.value)
    );
    if (!ok) {
      for (const e of edits) {
        outcomes.push({
          record: e.record,
          action: "broken",
          note: "cannot restore it exactly; not written",
        });
      }
      continue;
    }
    for (const e of edits) outcomes.push({ record: e.record, action: "restore" });
    files.push({ file, before, after, restored: edits.map((e) => e.record) });
  }
  return { outcomes, files };
}
