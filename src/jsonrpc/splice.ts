/**
 * Rewriting a message's top-level `id` in its original text, so a message the
 * mux does not otherwise change is forwarded without being serialised again
 * (a tool result can be megabytes; its id is a few bytes).
 *
 * Only provably top-level positions are rewritten: the id as the last member
 * (`…,"id":7}` — how the TypeScript SDK writes) or the first one
 * (`{"id":7,…` / `{"jsonrpc":"2.0","id":7,…` — Python and Rust). Anywhere
 * else the caller serialises the parsed message instead. Pure.
 *
 * @module
 */

import type { JsonRpcId } from "./message.ts";

/**
 * `text` with its top-level id `from` replaced by `to`, or `undefined` when
 * the id is not at a position known to be top level (then re-serialise).
 */
export function spliceId(text: string, from: JsonRpcId, to: JsonRpcId): string | undefined {
  // Runs twice per request (there and back): characters are compared in place, without
  // building `"id":<from>` strings or calling the string builtins (their setup dominates here).
  const old = idText(from);
  // Last member: `,"id":7}` closing the whole line (trailing whitespace allowed).
  let end = text.length;
  while (end > 0 && isSpace(text.charCodeAt(end - 1))) end--;
  const tailAt = end - 1 - old.length - MEMBER.length;
  if (
    tailAt > 0 && text.charCodeAt(end - 1) === 0x7d /* } */ &&
    text.charCodeAt(tailAt - 1) === 0x2c /* , */ && matchAt(text, tailAt, MEMBER) &&
    matchAt(text, tailAt + MEMBER.length, old)
  ) {
    return text.slice(0, tailAt + MEMBER.length) + idText(to) + text.slice(end - 1);
  }
  // First member, or second after `"jsonrpc":"2.0"`.
  for (const prefix of HEADS) {
    const idAt = prefix.length + MEMBER.length;
    if (
      matchAt(text, 0, prefix) && matchAt(text, prefix.length, MEMBER) && matchAt(text, idAt, old)
    ) {
      const after = idAt + old.length;
      const next = text.charCodeAt(after);
      // A later `"id":` could be a duplicate top-level key, and parsers keep the last one.
      if ((next === 0x2c /* , */ || next === 0x7d /* } */) && text.indexOf(MEMBER, after) === -1) {
        return text.slice(0, idAt) + idText(to) + text.slice(after);
      }
    }
  }
  return undefined;
}

const MEMBER = '"id":';
const HEADS = ["{", '{"jsonrpc":"2.0",'];

/** An id as JSON text (`String` for numbers: the same text, without the serializer's setup). */
function idText(id: JsonRpcId): string {
  return typeof id === "number" ? String(id) : JSON.stringify(id);
}

/** True when `text` has `part` at `at`. */
function matchAt(text: string, at: number, part: string): boolean {
  if (at < 0 || at + part.length > text.length) return false;
  for (let i = 0; i < part.length; i++) {
    if (text.charCodeAt(at + i) !== part.charCodeAt(i)) return false;
  }
  return true;
}

function isSpace(code: number): boolean {
  return code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09;
}
