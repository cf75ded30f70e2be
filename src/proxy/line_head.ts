/**
 * What a JSON-RPC line from the mux is, read from its bytes without parsing
 * it: its `id`, and whether it has a `method` or an `error`. A result can be
 * megabytes; what the proxy needs of it is a few bytes at either end. The
 * members before the one structured member (`params`, `result` or `error`)
 * are read forwards, the members after it backwards from the closing brace;
 * the structured value itself is never read. Anything else (a batch, an
 * unknown or escaped key, two structured members, a fractional id) is
 * "unknown": then the caller parses the line. Pure.
 *
 * Meant for lines the mux wrote (valid JSON-RPC): it does not validate.
 *
 * @module
 */

/** A JSON-RPC id. */
export type Id = string | number;

/** What a line is, as far as its first and last members tell. */
export type HeadKind = "request" | "notification" | "response" | "unknown";

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const MINUS = 0x2d;
const ZERO = 0x30;
const NINE = 0x39;

// Top-level keys of JSON-RPC 2.0; any other makes the line "unknown".
const ID = 1;
const METHOD = 2;
const ERROR = 3;
const RESULT = 4;
const PARAMS = 5;
const JSONRPC = 6;
const OTHER = 0;

const decoder = new TextDecoder();

/** Reads lines; reused, so reading allocates nothing but a string id. */
export class LineHead {
  /** The top-level id of the last line read ("request" and "response" only). */
  id: Id = 0;
  /** The last line read is a response with an `error` member. */
  isError = false;
  #hasId = false;
  #hasMethod = false;
  #structured = OTHER;

  /** Read `bytes[start, end)` (one line, without its newline). */
  read(bytes: Uint8Array, start: number, end: number): HeadKind {
    this.#hasId = false;
    this.#hasMethod = false;
    this.isError = false;
    this.#structured = OTHER;
    let i = skipSpace(bytes, start, end);
    if (i >= end || bytes[i] !== OPEN_BRACE) return "unknown";
    i = skipSpace(bytes, i + 1, end);
    // Forwards, up to the structured member or the closing brace.
    let complete = false;
    while (i < end) {
      const keyEnd = stringEnd(bytes, i, end);
      if (keyEnd === -1) return "unknown";
      const key = keyOf(bytes, i + 1, keyEnd - 1);
      if (key === OTHER) return "unknown";
      i = skipSpace(bytes, keyEnd, end);
      if (bytes[i] !== COLON) return "unknown";
      i = skipSpace(bytes, i + 1, end);
      const first = bytes[i];
      if (first === OPEN_BRACE || first === OPEN_BRACKET) {
        this.#structured = key;
        break;
      }
      const valueEnd = first === QUOTE ? stringEnd(bytes, i, end) : tokenEnd(bytes, i, end);
      if (valueEnd === -1 || !this.#member(key, bytes, i, valueEnd)) return "unknown";
      i = skipSpace(bytes, valueEnd, end);
      if (bytes[i] === COMMA) {
        i = skipSpace(bytes, i + 1, end);
      } else if (bytes[i] === CLOSE_BRACE && skipSpace(bytes, i + 1, end) === end) {
        complete = true;
        break;
      } else {
        return "unknown";
      }
    }
    if (!complete) {
      if (this.#structured === OTHER || !this.#readTail(bytes, i, end)) return "unknown";
    }
    if (this.#structured === ERROR) this.isError = true;
    if (this.#hasMethod) {
      if (this.#structured === RESULT || this.#structured === ERROR) return "unknown";
      return this.#hasId ? "request" : "notification";
    }
    if (this.#structured === PARAMS || !this.#hasId) return "unknown";
    return "response";
  }

  /** Backwards from the closing brace to the structured value that starts at `from`. */
  #readTail(bytes: Uint8Array, from: number, end: number): boolean {
    let j = skipSpaceBack(bytes, from, end);
    if (bytes[j] !== CLOSE_BRACE) return false;
    j = skipSpaceBack(bytes, from, j);
    let tailId = false;
    while (j > from) {
      const last = bytes[j];
      if (last === CLOSE_BRACE || last === CLOSE_BRACKET) return true; // the structured value's end
      const valueStart = last === QUOTE
        ? stringStartBack(bytes, from, j)
        : tokenStartBack(bytes, from, j);
      if (valueStart === -1) return false;
      let k = skipSpaceBack(bytes, from, valueStart);
      if (bytes[k] !== COLON) return false;
      k = skipSpaceBack(bytes, from, k);
      if (bytes[k] !== QUOTE || bytes[k - 1] === BACKSLASH) return false;
      const keyStart = bytes.lastIndexOf(QUOTE, k - 1);
      if (keyStart <= from || escaped(bytes, from, keyStart)) return false;
      const key = keyOf(bytes, keyStart + 1, k);
      if (key === OTHER) return false;
      // Backwards, the first id met is the last in the line: the one a parser keeps.
      if (key !== ID || !tailId) {
        if (!this.#member(key, bytes, valueStart, j + 1)) return false;
        if (key === ID) tailId = true;
      }
      j = skipSpaceBack(bytes, from, keyStart);
      if (bytes[j] !== COMMA) return false;
      j = skipSpaceBack(bytes, from, j);
    }
    return false;
  }

  /** A scalar member: note the id, a method, an error. False when the line needs parsing. */
  #member(key: number, bytes: Uint8Array, start: number, end: number): boolean {
    switch (key) {
      case ID: {
        const first = bytes[start];
        if (first === QUOTE) {
          for (let i = start + 1; i < end - 1; i++) if (bytes[i] === BACKSLASH) return false;
          this.id = decoder.decode(bytes.subarray(start + 1, end - 1));
        } else if (first === MINUS || (first !== undefined && first >= ZERO && first <= NINE)) {
          const id = integerOf(bytes, start, end);
          if (id === undefined) return false;
          this.id = id;
        } else {
          this.#hasId = false; // null, or not an id: the line has no usable id
          return true;
        }
        this.#hasId = true;
        return true;
      }
      case METHOD:
        this.#hasMethod = bytes[start] === QUOTE;
        return true;
      case ERROR:
        this.isError = true;
        return true;
      default:
        return true;
    }
  }
}

/** A small integer written plainly (`-?(0|[1-9][0-9]*)`, up to 15 digits), else undefined. */
function integerOf(bytes: Uint8Array, start: number, end: number): number | undefined {
  const negative = bytes[start] === MINUS;
  const from = negative ? start + 1 : start;
  const digits = end - from;
  if (digits < 1 || digits > 15 || (digits > 1 && bytes[from] === ZERO)) return undefined;
  let value = 0;
  for (let i = from; i < end; i++) {
    const byte = bytes[i]!;
    if (byte < ZERO || byte > NINE) return undefined;
    value = value * 10 + (byte - ZERO);
  }
  return negative ? -value : value;
}

/** Which top-level key `bytes[start, end)` spells (no escapes). */
function keyOf(bytes: Uint8Array, start: number, end: number): number {
  switch (end - start) {
    case 2:
      return bytes[start] === 0x69 && bytes[start + 1] === 0x64 ? ID : OTHER;
    case 5:
      return same(bytes, start, "error") ? ERROR : OTHER;
    case 6:
      if (same(bytes, start, "method")) return METHOD;
      if (same(bytes, start, "result")) return RESULT;
      return same(bytes, start, "params") ? PARAMS : OTHER;
    case 7:
      return same(bytes, start, "jsonrpc") ? JSONRPC : OTHER;
    default:
      return OTHER;
  }
}

function same(bytes: Uint8Array, at: number, word: string): boolean {
  for (let i = 0; i < word.length; i++) {
    if (bytes[at + i] !== word.charCodeAt(i)) return false;
  }
  return true;
}

/** The end (after the closing quote) of the string starting at `start`, or -1. */
function stringEnd(bytes: Uint8Array, start: number, end: number): number {
  if (bytes[start] !== QUOTE) return -1;
  let quote = bytes.indexOf(QUOTE, start + 1);
  while (quote !== -1 && quote < end && escaped(bytes, start, quote)) {
    quote = bytes.indexOf(QUOTE, quote + 1);
  }
  return quote === -1 || quote >= end ? -1 : quote + 1;
}

/** The opening quote of the string whose closing quote is at `last`, or -1. */
function stringStartBack(bytes: Uint8Array, from: number, last: number): number {
  let quote = bytes.lastIndexOf(QUOTE, last - 1);
  while (quote > from && escaped(bytes, from, quote)) quote = bytes.lastIndexOf(QUOTE, quote - 1);
  return quote > from ? quote : -1;
}

/** True when the quote at `at` follows an odd number of backslashes. */
function escaped(bytes: Uint8Array, from: number, at: number): boolean {
  let i = at - 1;
  while (i > from && bytes[i] === BACKSLASH) i--;
  return (at - 1 - i) % 2 === 1;
}

/** The end of a number or literal starting at `start`. */
function tokenEnd(bytes: Uint8Array, start: number, end: number): number {
  let i = start;
  while (i < end && !delimits(bytes[i]!)) i++;
  return i === start ? -1 : i;
}

/** The start of the number or literal whose last byte is at `last`. */
function tokenStartBack(bytes: Uint8Array, from: number, last: number): number {
  let i = last;
  while (i > from && !delimits(bytes[i - 1]!)) i--;
  return i > from ? i : -1;
}

function delimits(byte: number): boolean {
  return byte === COMMA || byte === COLON || byte === CLOSE_BRACE || byte === CLOSE_BRACKET ||
    byte === OPEN_BRACE || byte === OPEN_BRACKET || isSpace(byte) || byte === QUOTE;
}

function skipSpace(bytes: Uint8Array, i: number, end: number): number {
  while (i < end && isSpace(bytes[i]!)) i++;
  return i;
}

/** The last non-space index before `before` (not before `from`). */
function skipSpaceBack(bytes: Uint8Array, from: number, before: number): number {
  let j = before - 1;
  while (j > from && isSpace(bytes[j]!)) j--;
  return j;
}

function isSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}
