/**
 * Complete lines out of a byte stream read in chunks, for the proxy's two
 * pumps. The common case costs nothing: a chunk of whole lines is used where
 * it lies. Only a line cut between two reads is carried over, in a buffer
 * that is reused (and given back once it held a large line). A line longer
 * than the bound is discarded up to its newline. Plus the few helpers that
 * handle lines as bytes. Pure.
 *
 * @module
 */

const NEWLINE = 0x0a;
/** A carry buffer larger than this is not kept once empty. */
const KEEP_CARRY_BYTES = 64 * 1024;
const EMPTY = new Uint8Array(0);
const encoder = new TextEncoder();

/**
 * Frames one stream. Per chunk: {@link frame}, use the lines in
 * `[begin, end)` of what it returns, then {@link keepRest} before the next
 * read (the reader may reuse its buffer).
 *
 * @example
 * ```ts
 * import { LineFramer } from "./line_framer.ts";
 *
 * const framer = new LineFramer(1024);
 * const chunk = new TextEncoder().encode('{"a":1}\n{"b"');
 * const data = framer.frame(chunk, chunk.length);
 * new TextDecoder().decode(data.subarray(framer.begin, framer.end)); // '{"a":1}\n'
 * framer.keepRest(); // '{"b"' waits for the rest of its line
 * ```
 */
export class LineFramer {
  readonly #max: number;
  #carry: Uint8Array = EMPTY;
  #carried = 0;
  #skipping = false;
  #data: Uint8Array = EMPTY;
  #restEnd = 0;
  /** Where the complete lines (each with its newline) start in the last frame. */
  begin = 0;
  /** Where they end: the partial line after it is kept by {@link keepRest}. */
  end = 0;
  /** The last frame started discarding a line over the bound. */
  skipped = false;

  /** @param max the longest line kept, in bytes (without its newline) */
  constructor(max: number) {
    this.#max = max;
  }

  /** Frame `chunk[0, length)` after what was carried; returns the bytes `begin`/`end` index. */
  frame(chunk: Uint8Array, length: number): Uint8Array {
    this.skipped = false;
    if (length === 0) {
      this.#restEnd = this.#carried; // nothing new: keep what is carried as it is
      return this.#frameNothing(this.#carry);
    }
    let data = chunk;
    let size = length;
    if (this.#carried > 0) {
      size = this.#carried + length;
      this.#reserve(size);
      this.#carry.set(length === chunk.length ? chunk : chunk.subarray(0, length), this.#carried);
      data = this.#carry;
    }
    this.#carried = 0;
    let begin = 0;
    if (this.#skipping) {
      const nl = data.indexOf(NEWLINE);
      if (nl === -1 || nl >= size) {
        this.#restEnd = 0; // still inside the over-long line: nothing kept
        return this.#frameNothing(data);
      }
      this.#skipping = false; // the over-long line ends here
      begin = nl + 1;
    }
    const last = data.lastIndexOf(NEWLINE, size - 1);
    const end = last >= begin ? last + 1 : begin;
    if (size - end > this.#max) {
      this.#skipping = true;
      this.skipped = true;
      this.#restEnd = end;
    } else {
      this.#restEnd = size;
    }
    this.#data = data;
    this.begin = begin;
    this.end = end;
    return data;
  }

  /** Keep the partial line after the last frame's complete ones (copied). */
  keepRest(): void {
    const data = this.#data;
    const rest = this.#restEnd - this.end;
    if (rest > 0) {
      if (data === this.#carry) {
        data.copyWithin(0, this.end, this.#restEnd);
      } else {
        this.#reserve(rest);
        this.#carry.set(data.subarray(this.end, this.#restEnd));
      }
    } else if (this.#carry.length > KEEP_CARRY_BYTES) {
      this.#carry = EMPTY; // a large line is through: give its buffer back
    }
    this.#carried = rest;
    this.#data = EMPTY;
  }

  #frameNothing(data: Uint8Array): Uint8Array {
    this.#data = data;
    this.begin = 0;
    this.end = 0;
    return data;
  }

  /** Make the carry buffer hold `size` bytes, keeping what it carries. */
  #reserve(size: number): void {
    if (this.#carry.length >= size) return;
    const grown = new Uint8Array(Math.max(size, this.#carry.length * 2, 4096));
    grown.set(this.#carry.subarray(0, this.#carried));
    this.#carry = grown;
  }
}

/** `texts` as lines (each with its newline), in one buffer. */
export function encodeLines(texts: readonly string[]): Uint8Array {
  return encoder.encode(texts.join("\n") + "\n");
}

/** `parts` in one buffer. */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** The non-empty lines of `data[begin, end)`, each with its newline (views). */
export function nonEmptyLines(data: Uint8Array, begin: number, end: number): Uint8Array[] {
  const lines: Uint8Array[] = [];
  for (let start = begin, nl = 0; start < end; start = nl + 1) {
    nl = data.indexOf(NEWLINE, start);
    if (nl > start) lines.push(data.subarray(start, nl + 1));
  }
  return lines;
}
