/**
 * A TOML skimmer that knows where things are: every table header and
 * key/value statement with its source range, and the items of inline tables.
 * It does not build values (smol-toml is the authority on what a file
 * means); it exists so a file can be edited in place, byte for byte outside
 * the edited ranges. Pure.
 *
 * @module
 */

/** A table header (`[a.b]` or `[[a.b]]`) or a `key = value` line. */
export interface TomlStatement {
  kind: "table" | "array-table" | "keyval";
  /** Header path, or for a key/value the full path (table path + key path). */
  path: string[];
  /** For a key/value: its key path as written (relative to its table). */
  key: string[];
  /** For a key/value: the table it is in. */
  table: string[];
  /** Start of the line the statement begins on. */
  lineStart: number;
  /** Start of the statement itself (after indentation). */
  start: number;
  /** After the value (or the header's closing bracket). */
  end: number;
  /** After the statement's line, including a comment and the newline (or EOF). */
  lineEnd: number;
  /** For a key/value: the value's range. */
  valueStart: number;
  valueEnd: number;
  /** For a key/value whose value is an inline table: its items. */
  inline?: InlineItem[];
}

/** One `key = value` of an inline table. */
export interface InlineItem {
  key: string[];
  start: number;
  end: number;
}

/** The file cannot be skimmed (it should have failed smol-toml first). */
export class TomlScanError extends Error {
  override name = "TomlScanError";
}

const BARE = /[A-Za-z0-9_-]/;

/**
 * Every statement of `text`, in order. Throws {@link TomlScanError} on text
 * it cannot follow.
 *
 * @example
 * ```ts
 * import { scanToml } from "./toml_scan.ts";
 *
 * const [table, kv] = scanToml('[mcp_servers.x]\ncommand = "npx" # hi\n');
 * console.log(table!.path, kv!.path); // ["mcp_servers","x"] ["mcp_servers","x","command"]
 * ```
 */
export function scanToml(text: string): TomlStatement[] {
  return new Skimmer(text).statements();
}

class Skimmer {
  #t: string;
  #i = 0;
  constructor(text: string) {
    this.#t = text;
  }

  statements(): TomlStatement[] {
    const out: TomlStatement[] = [];
    let table: string[] = [];
    const t = this.#t;
    while (true) {
      const lineStart = this.#i;
      this.#skipBlank();
      if (this.#i >= t.length) break;
      const ch = t[this.#i];
      if (ch === "\n" || (ch === "\r" && t[this.#i + 1] === "\n")) {
        this.#newline();
        continue;
      }
      if (ch === "#") {
        this.#comment();
        this.#endOfLine();
        continue;
      }
      const start = this.#i;
      if (ch === "[") {
        const array = t[this.#i + 1] === "[";
        this.#i += array ? 2 : 1;
        this.#skipBlank();
        const path = this.#key();
        this.#skipBlank();
        this.#expect(array ? "]]" : "]");
        const end = this.#i;
        this.#endOfLine();
        table = path;
        out.push({
          kind: array ? "array-table" : "table",
          path,
          key: [],
          table: [],
          lineStart: lineOf(t, lineStart, start),
          start,
          end,
          lineEnd: this.#i,
          valueStart: end,
          valueEnd: end,
        });
        continue;
      }
      const key = this.#key();
      this.#skipBlank();
      this.#expect("=");
      this.#skipBlank();
      const valueStart = this.#i;
      const inline = this.#value();
      const valueEnd = this.#i;
      this.#endOfLine();
      out.push({
        kind: "keyval",
        path: [...table, ...key],
        key,
        table,
        lineStart: lineOf(t, lineStart, start),
        start,
        end: valueEnd,
        lineEnd: this.#i,
        valueStart,
        valueEnd,
        ...(inline ? { inline } : {}),
      });
    }
    return out;
  }

  #fail(what: string): never {
    const line = this.#t.slice(0, this.#i).split("\n").length;
    throw new TomlScanError(`cannot follow the TOML at line ${line}: ${what}`);
  }

  #skipBlank(): void {
    while (this.#t[this.#i] === " " || this.#t[this.#i] === "\t") this.#i++;
  }

  /** Whitespace, newlines and comments (inside arrays and inline tables). */
  #skipAll(): void {
    while (this.#i < this.#t.length) {
      const ch = this.#t[this.#i];
      if (ch === " " || ch === "\t" || ch === "\n" || ch === "\r") this.#i++;
      else if (ch === "#") this.#comment();
      else break;
    }
  }

  #comment(): void {
    while (this.#i < this.#t.length && this.#t[this.#i] !== "\n") {
      if (this.#t[this.#i] === "\r" && this.#t[this.#i + 1] === "\n") break;
      this.#i++;
    }
  }

  #newline(): void {
    if (this.#t[this.#i] === "\r") this.#i++;
    if (this.#t[this.#i] === "\n") this.#i++;
  }

  /** Optional blanks and comment, then a newline or EOF. */
  #endOfLine(): void {
    this.#skipBlank();
    if (this.#t[this.#i] === "#") this.#comment();
    if (this.#i >= this.#t.length) return;
    const ch = this.#t[this.#i];
    if (ch !== "\n" && ch !== "\r") this.#fail("expected the end of the line");
    this.#newline();
  }

  #expect(token: string): void {
    if (!this.#t.startsWith(token, this.#i)) this.#fail(`expected "${token}"`);
    this.#i += token.length;
  }

  /** A dotted key: bare, "basic" or 'literal' parts. */
  #key(): string[] {
    const parts: string[] = [];
    while (true) {
      this.#skipBlank();
      const ch = this.#t[this.#i];
      if (ch === '"') parts.push(this.#basicString());
      else if (ch === "'") parts.push(this.#literalString());
      else {
        const start = this.#i;
        while (this.#i < this.#t.length && BARE.test(this.#t[this.#i]!)) this.#i++;
        if (this.#i === start) this.#fail("expected a key");
        parts.push(this.#t.slice(start, this.#i));
      }
      this.#skipBlank();
      if (this.#t[this.#i] !== ".") return parts;
      this.#i++;
    }
  }

  #basicString(): string {
    if (this.#t.startsWith('"""', this.#i)) {
      const close = this.#t.indexOf('"""', this.#i + 3);
      let end = close;
      while (end !== -1) {
        // Backslash-escaped quotes do not close; count the backslashes.
        let slashes = 0;
        for (let j = end - 1; this.#t[j] === "\\"; j--) slashes++;
        if (slashes % 2 === 0) break;
        end = this.#t.indexOf('"""', end + 1);
      }
      if (end === -1) this.#fail("unterminated multi-line string");
      let stop = end + 3;
      while (this.#t[stop] === '"' && stop - end < 5) stop++; // up to two quotes belong to the string
      const raw = this.#t.slice(this.#i, stop);
      this.#i = stop;
      return raw;
    }
    this.#i++;
    let out = "";
    while (true) {
      const ch = this.#t[this.#i];
      if (ch === undefined || ch === "\n") this.#fail("unterminated string");
      this.#i++;
      if (ch === '"') return out;
      if (ch === "\\") {
        const esc = this.#t[this.#i++];
        const simple: Record<string, string> = {
          b: "\b",
          t: "\t",
          n: "\n",
          f: "\f",
          r: "\r",
          e: "\x1b",
          '"': '"',
          "\\": "\\",
        };
        if (esc !== undefined && esc in simple) out += simple[esc];
        else if (esc === "u" || esc === "U" || esc === "x") {
          const len = esc === "u" ? 4 : esc === "U" ? 8 : 2;
          out += String.fromCodePoint(parseInt(this.#t.slice(this.#i, this.#i + len), 16));
          this.#i += len;
        } else this.#fail("bad escape in a string");
      } else out += ch;
    }
  }

  #literalString(): string {
    if (this.#t.startsWith("'''", this.#i)) {
      const end = this.#t.indexOf("'''", this.#i + 3);
      if (end === -1) this.#fail("unterminated multi-line string");
      let stop = end + 3;
      while (this.#t[stop] === "'" && stop - end < 5) stop++;
      const raw = this.#t.slice(this.#i, stop);
      this.#i = stop;
      return raw;
    }
    const end = this.#t.indexOf("'", this.#i + 1);
    const nl = this.#t.indexOf("\n", this.#i + 1);
    if (end === -1 || (nl !== -1 && nl < end)) this.#fail("unterminated string");
    const out = this.#t.slice(this.#i + 1, end);
    this.#i = end + 1;
    return out;
  }

  /** Skip one value; returns the items when it is an inline table. */
  #value(): InlineItem[] | undefined {
    const ch = this.#t[this.#i];
    if (ch === '"') this.#basicString();
    else if (ch === "'") this.#literalString();
    else if (ch === "[") {
      this.#i++;
      while (true) {
        this.#skipAll();
        if (this.#t[this.#i] === "]") {
          this.#i++;
          break;
        }
        this.#value();
        this.#skipAll();
        if (this.#t[this.#i] === ",") this.#i++;
        else if (this.#t[this.#i] !== "]") this.#fail('expected "," or "]" in an array');
      }
    } else if (ch === "{") {
      this.#i++;
      const items: InlineItem[] = [];
      while (true) {
        this.#skipAll();
        if (this.#t[this.#i] === "}") {
          this.#i++;
          return items;
        }
        const start = this.#i;
        const key = this.#key();
        this.#skipBlank();
        this.#expect("=");
        this.#skipBlank();
        this.#value();
        items.push({ key, start, end: this.#i });
        this.#skipAll();
        if (this.#t[this.#i] === ",") this.#i++;
        else if (this.#t[this.#i] !== "}") this.#fail('expected "," or "}" in an inline table');
      }
    } else {
      // Numbers, booleans, dates and times; a date and a time may be separated by a space.
      const start = this.#i;
      while (this.#i < this.#t.length && !/[\s,\]}#]/.test(this.#t[this.#i]!)) this.#i++;
      if (
        /^\d{4}-\d{2}-\d{2}$/.test(this.#t.slice(start, this.#i)) &&
        /^ \d{2}:/.test(this.#t.slice(this.#i, this.#i + 4))
      ) {
        this.#i++;
        while (this.#i < this.#t.length && !/[\s,\]}#]/.test(this.#t[this.#i]!)) this.#i++;
      }
      if (this.#i === start) this.#fail("expected a value");
    }
    return undefined;
  }
}

/** The start of the line `offset` is on, given that `from` is at or before it. */
function lineOf(text: string, from: number, offset: number): number {
  const nl = text.lastIndexOf("\n", offset - 1);
  return Math.max(from, nl + 1);
}

/** `name` as a TOML key part: bare when it can be, else a basic string. */
export function tomlKey(name: string): string {
  return /^[A-Za-z0-9_-]+$/.test(name) ? name : tomlString(name);
}

/** A TOML basic string. */
export function tomlString(value: string): string {
  let out = '"';
  for (const ch of value) {
    const code = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === "\\") out += "\\\\";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\t") out += "\\t";
    else if (ch === "\r") out += "\\r";
    else if (code < 0x20 || code === 0x7f) out += `\\u${code.toString(16).padStart(4, "0")}`;
    else out += ch;
  }
  return out + '"';
}

/** A TOML value for JSON-like data (strings, numbers, booleans, arrays, tables inline). */
export function tomlValue(value: unknown): string {
  if (typeof value === "string") return tomlString(value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return `[${value.map(tomlValue).join(", ")}]`;
  if (value !== null && typeof value === "object") {
    const items = Object.entries(value).map(([k, v]) => `${tomlKey(k)} = ${tomlValue(v)}`);
    return items.length === 0 ? "{}" : `{ ${items.join(", ")} }`;
  }
  throw new TypeError(`cannot write ${String(value)} as TOML`);
}
