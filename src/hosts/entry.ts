/**
 * One server entry of a host file, whatever the format: where it is, what
 * it holds, and rewriting it. Pure.
 *
 * @module
 */

import { parse as parseToml } from "smol-toml";
import { jsonRange, parseJsonc, rewriteJsonEntry, valueAt } from "./json_entry.ts";
import { locateTomlEntry, rewriteTomlEntry } from "./toml_entry.ts";
import type { FileFormat } from "./types.ts";

/** An entry's source range and value. */
export interface EntryRegion {
  start: number;
  end: number;
  value: unknown;
}

/** The value of the whole file. */
export function fileValue(text: string, format: FileFormat): unknown {
  return format === "toml" ? parseToml(text) : parseJsonc(text).value ?? {};
}

/** Where `container.name` is in `text`, or `undefined`. */
export function entryRegion(
  text: string,
  format: FileFormat,
  container: readonly string[],
  name: string,
): EntryRegion | undefined {
  if (format === "toml") {
    const value = valueAt(parseToml(text), [...container, name]);
    if (value === undefined) return undefined;
    const region = locateTomlEntry(text, container, name);
    return region ? { start: region.start, end: region.end, value } : undefined;
  }
  const doc = parseJsonc(text);
  const range = jsonRange(doc, [...container, name]);
  if (!range) return undefined;
  return { ...range, value: valueAt(doc.value, [...container, name]) };
}

/** `text` with entry `container.name`'s keys `drop` removed and `set` written. */
export function rewriteEntry(
  text: string,
  format: FileFormat,
  container: readonly string[],
  name: string,
  set: Readonly<Record<string, unknown>>,
  drop: readonly string[],
): string {
  return format === "toml"
    ? rewriteTomlEntry(text, container, name, set, drop)
    : rewriteJsonEntry(text, [...container, name], set, drop);
}
