/**
 * Text → plain data, by file extension: YAML (`yaml`), JSON (`JSON.parse`,
 * with `yaml` for positions and duplicate keys) and TOML (`smol-toml`).
 * Syntax errors become {@link ConfigError}s with line:column.
 *
 * @module
 */

import { LineCounter, parseDocument } from "yaml";
import { parse as parseToml } from "smol-toml";
import { ConfigError, type ConfigIssue } from "./errors.ts";
import { documentLocator, type Locate, noPositions, type Position } from "./locate.ts";

/** A config file format. */
export type ConfigFormat = "yaml" | "json" | "toml";

/** The extensions each format is read from. */
export const EXTENSIONS: Readonly<Record<string, ConfigFormat>> = {
  ".yaml": "yaml",
  ".yml": "yaml",
  ".json": "json",
  ".toml": "toml",
};

/** A parsed file: its data and where each key is. */
export interface Source {
  format: ConfigFormat;
  value: unknown;
  locate: Locate;
}

/** The format a path's extension names; throws {@link ConfigError} for any other extension. */
export function formatOf(path: string): ConfigFormat {
  const dot = path.lastIndexOf(".");
  const slash = path.lastIndexOf("/");
  const ext = dot > slash ? path.slice(dot).toLowerCase() : "";
  const format = EXTENSIONS[ext];
  if (format === undefined) {
    throw new ConfigError([{
      file: path,
      message: `unsupported config file type ${ext === "" ? "(no extension)" : `"${ext}"`}: ` +
        `expected ${Object.keys(EXTENSIONS).join(", ")}`,
    }]);
  }
  return format;
}

/** Parse `text` as the format `path`'s extension names. Throws {@link ConfigError} on syntax errors. */
export function readSource(text: string, path: string): Source {
  const format = formatOf(path);
  const body = text.startsWith("\uFEFF") ? text.slice(1) : text;
  switch (format) {
    case "yaml":
      return readYaml(body, path);
    case "json":
      return readJson(body, path);
    case "toml":
      return readToml(body, path);
  }
}

function readYaml(text: string, file: string): Source {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, merge: true });
  const duplicates = doc.errors.filter((e) => e.code === "DUPLICATE_KEY");
  if (duplicates.length > 0) {
    throw new ConfigError(duplicates.map((error) => ({
      file,
      ...at(lines, error.pos[0]),
      message: duplicateKey(text, error.pos[0]),
    })));
  }
  const syntax = doc.errors[0];
  if (syntax !== undefined) {
    // Only the first: the parser's recovery turns one mistake into a cascade.
    const offset = syntax.pos[0];
    const hint = text[offset] === "{" && text[offset - 1] === "$"
      ? ` (inside { } or [ ], quote values that use \${…}: '\${HOME}/x')`
      : "";
    throw new ConfigError([{
      file,
      ...at(lines, offset),
      message: `YAML syntax error: ${firstLine(syntax.message)}${hint}`,
    }]);
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    throw new ConfigError([{
      file,
      message: `YAML error: ${firstLine((error as Error).message)}`,
    }]);
  }
  return { format: "yaml", value, locate: documentLocator(doc, lines) };
}

function readJson(text: string, file: string): Source {
  const lines = new LineCounter();
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ConfigError([jsonSyntaxIssue(text, file, (error as Error).message)]);
  }
  // JSON.parse is the authority on JSON; the yaml document only supplies
  // positions, and refuses duplicate keys JSON.parse would silently merge.
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const duplicates = doc.errors.filter((e) => e.code === "DUPLICATE_KEY");
  if (duplicates.length > 0) {
    throw new ConfigError(duplicates.map((error) => ({
      file,
      ...at(lines, error.pos[0]),
      message: duplicateKey(text, error.pos[0]),
    })));
  }
  return { format: "json", value, locate: documentLocator(doc, lines) };
}

function jsonSyntaxIssue(text: string, file: string, raw: string): ConfigIssue {
  // V8: `Unexpected token } in JSON at position 14 (line 3 column 3)` and variants.
  const lineCol = /\(line (\d+) column (\d+)\)/.exec(raw);
  const offset = /at position (\d+)/.exec(raw);
  let where: Partial<Position> = {};
  if (lineCol) where = { line: Number(lineCol[1]), column: Number(lineCol[2]) };
  else if (offset) {
    const lines = new LineCounter();
    parseDocument(text, { lineCounter: lines });
    where = at(lines, Number(offset[1]));
  } else if (/end of (JSON )?input/i.test(raw)) {
    const all = text.split("\n");
    where = { line: all.length, column: (all.at(-1)?.length ?? 0) + 1 };
  }
  const message = raw
    .replace(/\s*\(line \d+ column \d+\)/, "")
    .replace(/,? ?(in JSON )?at position \d+/, "")
    .replace(/^JSON\.parse: /, "")
    .replace(/ in JSON$/, "")
    .replace(/^\w/, (c) => c.toLowerCase());
  return { file, ...where, message: `JSON syntax error: ${firstLine(message)}` };
}

function readToml(text: string, file: string): Source {
  try {
    return { format: "toml", value: parseToml(text), locate: noPositions };
  } catch (error) {
    const { line, column, message } = error as { line?: number; column?: number; message: string };
    const where = typeof line === "number" && typeof column === "number" ? { line, column } : {};
    const cleaned = firstLine(message).replace(/^Invalid TOML document: /, "");
    throw new ConfigError([{ file, ...where, message: `TOML syntax error: ${cleaned}` }]);
  }
}

function duplicateKey(text: string, start: number): string {
  // The error points at the repeated key; read it (quoted, or plain up to ":").
  const rest = text.slice(start);
  const key = /^"(?:[^"\\]|\\.)*"|^'[^']*'|^[^:\n,{}]+/.exec(rest)?.[0].trim() ?? "";
  const shown = key === "" || key.length > 60 ? "" : ` ${/^["']/.test(key) ? key : `"${key}"`}`;
  return `duplicate key${shown}: each key may appear once in a mapping`;
}

function at(lines: LineCounter, offset: number): Position {
  const { line, col } = lines.linePos(offset);
  return { line, column: col };
}

function firstLine(text: string): string {
  return (text.split("\n")[0] ?? "").replace(/ at line \d+, column \d+:?$/, "").trim();
}
