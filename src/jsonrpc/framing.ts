/**
 * Newline-delimited framing (MCP's stdio framing, reused on the Unix socket).
 *
 * Bytes go in, whole lines come out. `\r\n` is tolerated, blank lines are
 * skipped, and a line longer than the limit is never buffered: its bytes are
 * discarded as they arrive, keeping only a short head and tail so the caller
 * can still recover the request id and answer with an error.
 *
 * @module
 */

import { isId, type JsonRpcId } from "./message.ts";

/** How many bytes of an over-long line's start and end are kept for diagnosis. */
export const OVERSIZE_SAMPLE_BYTES = 256;

/** Events produced by {@link LineDecoder}. */
export type LineEvent =
  | { kind: "line"; text: string }
  | { kind: "invalid_utf8"; bytes: number }
  | { kind: "too_long"; bytes: number; head: string; tail: string };

const NEWLINE = 0x0a;
const CR = 0x0d;

/** Splits a byte stream into UTF-8 lines with a per-line byte limit. */
export class LineDecoder {
  readonly #max: number;
  readonly #decoder = new TextDecoder("utf-8", { fatal: true });
  readonly #lossy = new TextDecoder("utf-8");
  #parts: Uint8Array[] = [];
  #partBytes = 0;
  // While discarding an over-long line: its byte count, head and rolling tail.
  #discarding = false;
  #discarded = 0;
  #head: Uint8Array = new Uint8Array(0);
  #tail: Uint8Array = new Uint8Array(0);

  /** @param maxLineBytes the largest line (without its newline) accepted. */
  constructor(maxLineBytes: number) {
    this.#max = maxLineBytes;
  }

  /** Feed a chunk; `emit` is called once per complete line (or problem). */
  push(chunk: Uint8Array, emit: (event: LineEvent) => void): void {
    let start = this.#pushWhole(chunk, emit);
    while (start < chunk.length) {
      const nl = chunk.indexOf(NEWLINE, start);
      const end = nl === -1 ? chunk.length : nl;
      const piece = chunk.subarray(start, end);
      if (this.#discarding) {
        this.#discard(piece);
      } else if (this.#partBytes + piece.length > this.#max) {
        this.#beginDiscard(piece);
      } else if (nl !== -1 && this.#partBytes === 0) {
        // Fast path: the whole line is inside this chunk, no copy needed.
        this.#emitLine(piece, emit);
      } else if (piece.length > 0) {
        // Copy: the caller may reuse its read buffer.
        this.#parts.push(piece.slice());
        this.#partBytes += piece.length;
      }
      if (nl === -1) break;
      if (this.#discarding) this.#endDiscard(emit);
      else if (this.#partBytes > 0) this.#emitLine(this.#takeParts(), emit);
      start = nl + 1;
    }
  }

  /**
   * Fast path for the common chunk, one or more whole lines (plus perhaps
   * the start of the next): decode them with one call and split the text,
   * instead of one decode per line. Only when nothing is held, the lines
   * fit the limit and the bytes are valid UTF-8; otherwise the line-by-line
   * path does it all. Returns where the line-by-line path takes over.
   */
  #pushWhole(chunk: Uint8Array, emit: (event: LineEvent) => void): number {
    if (this.#discarding || this.#partBytes > 0) return 0;
    const last = chunk.lastIndexOf(NEWLINE);
    if (last <= 0 || last > this.#max) return 0;
    let text: string;
    try {
      text = this.#decoder.decode(chunk.subarray(0, last));
    } catch {
      return 0;
    }
    let from = 0;
    while (from <= text.length) {
      let nl = text.indexOf("\n", from);
      if (nl === -1) nl = text.length;
      let end = nl;
      if (end > from && text.charCodeAt(end - 1) === CR) end--;
      if (end > from) {
        const line = text.slice(from, end);
        if (line.trim() !== "") emit({ kind: "line", text: line });
      }
      from = nl + 1;
    }
    return last + 1;
  }

  /** Flush at end of stream: a final line without a newline still counts. */
  finish(emit: (event: LineEvent) => void): void {
    if (this.#discarding) this.#endDiscard(emit);
    else if (this.#partBytes > 0) this.#emitLine(this.#takeParts(), emit);
  }

  /** Bytes of an incomplete line currently held. */
  get bufferedBytes(): number {
    return this.#partBytes;
  }

  #takeParts(): Uint8Array {
    const parts = this.#parts;
    this.#parts = [];
    const total = this.#partBytes;
    this.#partBytes = 0;
    if (parts.length === 1) return parts[0]!;
    const out = new Uint8Array(total);
    let offset = 0;
    for (const p of parts) {
      out.set(p, offset);
      offset += p.length;
    }
    return out;
  }

  #emitLine(bytes: Uint8Array, emit: (event: LineEvent) => void): void {
    let end = bytes.length;
    if (end > 0 && bytes[end - 1] === CR) end--;
    if (end === 0) return;
    let text: string;
    try {
      text = this.#decoder.decode(end === bytes.length ? bytes : bytes.subarray(0, end));
    } catch {
      emit({ kind: "invalid_utf8", bytes: end });
      return;
    }
    if (text.trim() === "") return;
    emit({ kind: "line", text });
  }

  #beginDiscard(piece: Uint8Array): void {
    const held = this.#takeParts();
    this.#discarding = true;
    this.#discarded = 0;
    this.#head = new Uint8Array(0);
    this.#tail = new Uint8Array(0);
    this.#discard(held);
    this.#discard(piece);
  }

  #discard(piece: Uint8Array): void {
    if (piece.length === 0) return;
    if (this.#head.length < OVERSIZE_SAMPLE_BYTES) {
      const room = OVERSIZE_SAMPLE_BYTES - this.#head.length;
      this.#head = concat(this.#head, piece.subarray(0, room));
    }
    const keep = Math.min(piece.length, OVERSIZE_SAMPLE_BYTES);
    const tail = concat(this.#tail, piece.subarray(piece.length - keep));
    this.#tail = tail.length > OVERSIZE_SAMPLE_BYTES
      ? tail.slice(tail.length - OVERSIZE_SAMPLE_BYTES)
      : tail;
    this.#discarded += piece.length;
  }

  #endDiscard(emit: (event: LineEvent) => void): void {
    const event: LineEvent = {
      kind: "too_long",
      bytes: this.#discarded,
      head: this.#lossy.decode(this.#head),
      tail: this.#lossy.decode(this.#tail),
    };
    this.#discarding = false;
    this.#discarded = 0;
    this.#head = new Uint8Array(0);
    this.#tail = new Uint8Array(0);
    emit(event);
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b.slice();
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

const ID_VALUE = String.raw`(-?\d+(?:\.\d+)?|"(?:[^"\\]|\\.)*")`;
// `{"jsonrpc":"2.0","id":…` or `{"id":…` at the very start: the id is top level.
// The value must end there (`,` or `}`): `"id":5e3` is not id 5.
const HEAD_ID = new RegExp(
  String.raw`^\s*\{\s*(?:"jsonrpc"\s*:\s*"2\.0"\s*,\s*)?"id"\s*:\s*` + ID_VALUE +
    String.raw`(?=\s*[,}])`,
);
// `…,"id":…}` at the very end: the closing brace is the top-level object's.
const TAIL_ID = new RegExp(String.raw`[,{]\s*"id"\s*:\s*` + ID_VALUE + String.raw`\s*\}\s*$`);

/**
 * Recover the top-level request id of a message that was too long to parse,
 * from its first and last bytes. SDKs put the id first (Python, Rust) or last
 * (TypeScript); both are recognised. Returns `null` when unsure.
 */
export function recoverId(head: string, tail: string): JsonRpcId | null {
  const match = HEAD_ID.exec(head) ?? TAIL_ID.exec(tail);
  if (!match) return null;
  try {
    const id: unknown = JSON.parse(match[1]!);
    return isId(id) ? id : null;
  } catch {
    return null;
  }
}
