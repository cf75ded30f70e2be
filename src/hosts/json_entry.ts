/**
 * One server entry of a JSON or JSONC file, found and rewritten with
 * jsonc-parser's edit API: only the entry's keys change; comments, trailing
 * commas, key order, indentation and every byte outside the entry stay. Pure.
 *
 * @module
 */

import {
  applyEdits,
  findNodeAtLocation,
  type FormattingOptions,
  modify,
  type Node,
  type ParseError,
  parseTree,
  printParseErrorCode,
} from "jsonc-parser";

/** An entry that cannot be edited safely; the message says why. */
export class EditError extends Error {
  override name = "EditError";
}

/** A file that does not parse: what is wrong and where. */
export class ParseFailure extends Error {
  override name = "ParseFailure";
  constructor(message: string, readonly line?: number, readonly column?: number) {
    super(message);
  }
}

/** A parsed JSONC document. */
export interface JsonDoc {
  text: string;
  tree: Node | undefined;
  value: unknown;
}

/**
 * Parse JSON with comments and trailing commas (what VS Code, Zed and Gemini
 * accept). Throws {@link ParseFailure} naming the first error's line and column.
 */
export function parseJsonc(text: string): JsonDoc {
  const errors: ParseError[] = [];
  const body = text.startsWith("\uFEFF") ? text.slice(1) : text;
  const tree = parseTree(body, errors, { allowTrailingComma: true, disallowComments: false });
  if (errors.length > 0) {
    const first = errors[0]!;
    const before = body.slice(0, first.offset).split("\n");
    const line = before.length;
    const column = before[before.length - 1]!.length + 1;
    throw new ParseFailure(
      `line ${line}, column ${column}: ${describe(printParseErrorCode(first.error))}`,
      line,
      column,
    );
  }
  if (body.trim() === "") return { text, tree: undefined, value: undefined };
  return { text, tree, value: nodeValue(tree) };
}

function describe(code: string): string {
  return code.replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase();
}

function nodeValue(node: Node | undefined): unknown {
  if (node === undefined) return undefined;
  switch (node.type) {
    case "object": {
      const out: Record<string, unknown> = {};
      for (const prop of node.children ?? []) {
        const [key, value] = prop.children ?? [];
        if (key) out[key.value as string] = nodeValue(value);
      }
      return out;
    }
    case "array":
      return (node.children ?? []).map(nodeValue);
    default:
      return node.value;
  }
}

/** The offset shift of a BOM (jsonc-parser saw the text without it). */
function bom(text: string): number {
  return text.startsWith("\uFEFF") ? 1 : 0;
}

/** The source range of the value at `path`, or `undefined`. */
export function jsonRange(
  doc: JsonDoc,
  path: readonly string[],
): { start: number; end: number } | undefined {
  if (doc.tree === undefined) return undefined;
  const node = findNodeAtLocation(doc.tree, [...path]);
  if (node === undefined) return undefined;
  const shift = bom(doc.text);
  return { start: node.offset + shift, end: node.offset + node.length + shift };
}

/** The file's own indentation and line ending, for the keys we write. */
export function formattingOf(text: string): FormattingOptions {
  const eol = text.includes("\r\n") ? "\r\n" : "\n";
  let tabs = 0;
  let unit = 0;
  for (const line of text.split(/\r?\n/)) {
    const indent = /^([ \t]+)["}\]]/.exec(line)?.[1];
    if (!indent) continue;
    if (indent.startsWith("\t")) tabs++;
    else if (unit === 0 || indent.length < unit) unit = indent.length;
  }
  return tabs > 0 && unit === 0
    ? { insertSpaces: false, tabSize: 1, eol }
    : { insertSpaces: true, tabSize: unit || 2, eol };
}

/**
 * Rewrite the object at `path`: remove the keys in `drop` that `set` does
 * not write, then write the keys of `set` (first, in order). Other keys and
 * their comments stay. The edit is made on the entry's text alone, so not a
 * byte outside it can move; the entry keeps its indentation and layout (a
 * one-line entry stays on one line, a one-line array too).
 */
export function rewriteJsonEntry(
  text: string,
  path: readonly string[],
  set: Readonly<Record<string, unknown>>,
  drop: readonly string[],
): string {
  const doc = parseJsonc(text);
  const range = jsonRange(doc, path);
  const current = valueAt(doc.value, path);
  if (!range || current === null || typeof current !== "object" || Array.isArray(current)) {
    throw new EditError(`the entry at ${path.join(".")} is not an object`);
  }
  const formattingOptions = formattingOf(text);
  const eol = formattingOptions.eol!;
  // The entry as a document of its own, its base indentation taken off.
  const lineStart = text.lastIndexOf("\n", range.start - 1) + 1;
  const base = /^[ \t]*/.exec(text.slice(lineStart))![0];
  const lines = text.slice(range.start, range.end).split(/\r?\n/);
  const strip = lines.slice(1).every((l) => l.startsWith(base) || l.trim() === "");
  const entryText = lines.map((l, i) => (i > 0 && strip ? l.slice(base.length) : l)).join(eol);
  const entryDoc = parseJsonc(entryText);
  const keyTexts = new Map<string, string>();
  for (const key of Object.keys(set)) {
    const r = jsonRange(entryDoc, [key]);
    if (r) keyTexts.set(key, entryText.slice(r.start, r.end));
  }
  let out = entryText;
  for (const key of Object.keys(current)) {
    if (drop.includes(key) && !(key in set)) {
      out = applyEdits(out, modify(out, [key], undefined, { formattingOptions }));
    }
  }
  let index = 0;
  for (const [key, value] of Object.entries(set)) {
    const at = index++;
    out = applyEdits(
      out,
      modify(out, [key], value, { formattingOptions, getInsertionIndex: () => at }),
    );
  }
  const spaced = /[:,]\s/.test(entryText) || !entryText.includes('":');
  if (!entryText.includes("\n")) {
    out = compactJson(parseJsonc(out).value, spaced);
  } else {
    for (const [key, value] of Object.entries(set)) {
      const was = keyTexts.get(key);
      if (Array.isArray(value) && was !== undefined && !was.includes("\n")) {
        out = replaceAt(out, [key], (v) => compactJson(v, true));
      }
    }
  }
  const indented = out.split(/\r?\n/).map((l, i) => (i > 0 && strip && l !== "" ? base + l : l))
    .join(eol);
  return text.slice(0, range.start) + indented + text.slice(range.end);
}

function replaceAt(
  text: string,
  path: readonly string[],
  render: (value: unknown) => string,
): string {
  const doc = parseJsonc(text);
  const range = jsonRange(doc, path);
  if (!range) return text;
  return text.slice(0, range.start) + render(valueAt(doc.value, path)) + text.slice(range.end);
}

/** JSON on one line: `{ "a": ["b", "c"] }` (spaced) or `{"a":["b","c"]}`. */
export function compactJson(value: unknown, spaced: boolean): string {
  if (Array.isArray(value)) {
    return `[${value.map((v) => compactJson(v, spaced)).join(spaced ? ", " : ",")}]`;
  }
  if (value !== null && typeof value === "object") {
    const items = Object.entries(value).map(([k, v]) =>
      `${JSON.stringify(k)}:${spaced ? " " : ""}${compactJson(v, spaced)}`
    );
    if (items.length === 0) return "{}";
    return spaced ? `{ ${items.join(", ")} }` : `{${items.join(",")}}`;
  }
  return JSON.stringify(value);
}

/** The value at `path` of plain data. */
export function valueAt(value: unknown, path: readonly string[]): unknown {
  let node = value;
  for (const key of path) {
    if (node === null || typeof node !== "object" || Array.isArray(node)) return undefined;
    if (!Object.hasOwn(node, key)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/** Structural equality of JSON-like data (key order does not matter). */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== "object") return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => sameValue(x, bb[i]));
  }
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  return ka.length === kb.length &&
    ka.every((k) =>
      Object.hasOwn(b as object, k) &&
      sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])
    );
}
