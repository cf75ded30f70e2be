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
  const member = `"id":${JSON.stringify(from)}`;
  const value = JSON.stringify(to);
  // Last member: `,"id":7}` closing the whole line (trailing whitespace allowed).
  let end = text.length;
  while (end > 0 && isSpace(text.charCodeAt(end - 1))) end--;
  const tailAt = end - member.length - 1;
  if (
    tailAt > 0 && text.charCodeAt(end - 1) === 0x7d /* } */ &&
    text.charCodeAt(tailAt - 1) === 0x2c /* , */ && text.startsWith(member, tailAt)
  ) {
    return text.slice(0, tailAt) + `"id":${value}` + text.slice(end - 1);
  }
  // First member, or second after `"jsonrpc":"2.0"`.
  for (const prefix of HEADS) {
    if (text.startsWith(prefix + member, 0)) {
      const after = prefix.length + member.length;
      const next = text.charCodeAt(after);
      // A later `"id":` could be a duplicate top-level key, and parsers keep the last one.
      if ((next === 0x2c /* , */ || next === 0x7d /* } */) && !text.includes('"id":', after)) {
        return prefix + `"id":${value}` + text.slice(after);
      }
    }
  }
  return undefined;
}

const HEADS = ["{", '{"jsonrpc":"2.0",'];

function isSpace(code: number): boolean {
  return code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09;
}
