/**
 * One server entry of a TOML file (Codex's `[mcp_servers.NAME]`), found and
 * rewritten in place by source ranges: the header line, comments, other keys
 * and every byte outside the entry stay as they were. Pure.
 *
 * @module
 */

import { scanToml, tomlKey, type TomlStatement, tomlValue } from "./toml_scan.ts";
import { EditError } from "./json_entry.ts";

/** Where an entry is: one inline table, or a run of headers and key lines. */
export interface TomlEntryRegion {
  start: number;
  end: number;
  inline: boolean;
  statements: TomlStatement[];
}

/** The line that ends right before `offset` (with its newline). */
function lineBefore(text: string, offset: number): string {
  const start = text.lastIndexOf("\n", offset - 2) + 1;
  return text.slice(start, offset);
}

function startsWith(path: readonly string[], prefix: readonly string[]): boolean {
  return prefix.length <= path.length && prefix.every((p, i) => path[i] === p);
}

/**
 * The region of `container.name` in `text`, or `undefined` when it is not
 * there. Throws {@link EditError} when its parts are split by other tables.
 */
export function locateTomlEntry(
  text: string,
  container: readonly string[],
  name: string,
): TomlEntryRegion | undefined {
  const base = [...container, name];
  const all = scanToml(text);
  const inline = all.find((s) =>
    s.kind === "keyval" && s.path.length === base.length &&
    startsWith(s.path, base)
  );
  if (inline) {
    return { start: inline.valueStart, end: inline.valueEnd, inline: true, statements: [inline] };
  }
  const mine = all.filter((s) =>
    startsWith(s.path, base) && (s.kind !== "keyval" || s.path.length > base.length)
  );
  if (mine.length === 0) return undefined;
  const first = all.indexOf(mine[0]!);
  const last = all.indexOf(mine[mine.length - 1]!);
  const foreign = all.slice(first, last + 1).find((s) => !mine.includes(s));
  if (foreign) {
    throw new EditError(
      `the settings of "${name}" are split by [${foreign.path.join(".")}]; ` +
        "move them together to rewire this entry",
    );
  }
  return {
    start: mine[0]!.lineStart,
    end: mine[mine.length - 1]!.lineEnd,
    inline: false,
    statements: mine,
  };
}

/**
 * Rewrite the entry `container.name`: remove the keys in `drop` (and their
 * sub-tables), write `set` where the first removed key was. Keys not in
 * `drop` — timeouts, tool filters, `enabled` — and comments stay.
 */
export function rewriteTomlEntry(
  text: string,
  container: readonly string[],
  name: string,
  set: Readonly<Record<string, unknown>>,
  drop: readonly string[],
): string {
  const region = locateTomlEntry(text, container, name);
  if (region === undefined) throw new EditError(`no entry "${name}"`);
  const base = [...container, name];
  const eol = text.includes("\r\n") ? "\r\n" : "\n";
  const dropped = (s: TomlStatement) =>
    s.path.length > base.length && drop.includes(s.path[base.length]!) &&
    !(s.kind === "keyval" && s.path.length === base.length);
  if (region.inline) {
    const [statement] = region.statements;
    const kept = (statement!.inline ?? [])
      .filter((item) => !drop.includes(item.key[0]!))
      .map((item) => text.slice(item.start, item.end));
    const fresh = Object.entries(set).map(([k, v]) => `${tomlKey(k)} = ${tomlValue(v)}`);
    const items = [...fresh, ...kept];
    return text.slice(0, region.start) + `{ ${items.join(", ")} }` + text.slice(region.end);
  }
  const statements = region.statements;
  // Where the new keys go: in place of the first removed key written in a
  // table they can be written from, else right after the entry's header.
  const header = statements.find((s) => s.kind === "table" && s.path.length === base.length);
  const anchor = statements.find((s) =>
    s.kind === "keyval" && dropped(s) && s.table.length <= base.length
  );
  let insertAt: number;
  let context: string[];
  let indent = "";
  if (anchor) {
    insertAt = anchor.lineStart;
    context = anchor.table;
    indent = text.slice(anchor.lineStart, anchor.start);
  } else if (header) {
    insertAt = header.lineEnd;
    context = header.path;
    const firstKey = statements.find((s) => s.kind === "keyval" && s.table === header.path);
    if (firstKey) indent = text.slice(firstKey.lineStart, firstKey.start);
  } else {
    const firstKey = statements.find((s) => s.kind === "keyval" && s.table.length <= base.length);
    if (!firstKey) throw new EditError(`cannot tell where "${name}" starts`);
    insertAt = firstKey.lineStart;
    context = firstKey.table;
    indent = text.slice(firstKey.lineStart, firstKey.start);
  }
  const glue = insertAt > 0 && text[insertAt - 1] !== "\n" ? eol : "";
  const lines = glue + Object.entries(set).map(([k, v]) => {
    const key = [...base, k].slice(context.length).map(tomlKey).join(".");
    return `${indent}${key} = ${tomlValue(v)}${eol}`;
  }).join("");
  // What to cut: removed key lines, and removed sub-tables whole (header to
  // their last line, comments between included).
  const cuts: Array<[number, number]> = [];
  for (let i = 0; i < statements.length; i++) {
    const s = statements[i]!;
    if (!dropped(s)) continue;
    if (s.kind === "keyval") {
      cuts.push([s.lineStart, s.lineEnd]);
      continue;
    }
    let j = i;
    while (j + 1 < statements.length && dropped(statements[j + 1]!)) j++;
    // A removed sub-table takes the blank lines before its header with it.
    let from = s.lineStart;
    while (from > 0 && /^\r?\n$/.test(lineBefore(text, from))) {
      from -= lineBefore(text, from).length;
    }
    cuts.push([from, statements[j]!.lineEnd]);
    i = j;
  }
  let out = text;
  // Applied from the end; at one offset the cut goes before the insertion.
  const edits = [
    ...cuts.map(([a, b]) => ({ a, b, text: "" })),
    { a: insertAt, b: insertAt, text: lines },
  ].sort((x, y) => y.a - x.a || (y.b - y.a) - (x.b - x.a));
  for (const edit of edits) out = out.slice(0, edit.a) + edit.text + out.slice(edit.b);
  return out;
}
