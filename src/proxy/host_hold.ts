/**
 * The host's lines `rmcp-mux proxy` holds while it has no mux: sent on once
 * it is back, or each held request answered with an error if it does not
 * come back. Bounded by {@link MAX_HELD_BYTES}: beyond it the bridge stops
 * reading stdin until the mux is back. A cancel of a request still held
 * sends neither; so does a cancel of an open stream the next mux has not
 * seen. Pure: bytes in, bytes and lines out.
 *
 * @module
 */

import { concat } from "./line_framer.ts";
import { errorAnswer, type HostMessage, type SessionMirror } from "./session_mirror.ts";

/** Bytes of host messages held while reconnecting; beyond it stdin is not read until back. */
export const MAX_HELD_BYTES = 8 * 1024 * 1024;

const decoder = new TextDecoder();

/** Host lines held for the next connection; see the module doc. */
export class HostHold {
  readonly #mirror: SessionMirror;
  #held: { message: HostMessage; bytes: Uint8Array }[] = [];
  #bytes = 0;

  /** @param mirror the session the held lines belong to */
  constructor(mirror: SessionMirror) {
    this.#mirror = mirror;
  }

  /** Over {@link MAX_HELD_BYTES}: read no more from the host until the hold is emptied. */
  get full(): boolean {
    return this.#bytes > MAX_HELD_BYTES;
  }

  /** Hold the host line `data[start, nl)` (`nl`: its newline), copied: the caller reuses `data`. */
  add(data: Uint8Array, start: number, nl: number): void {
    const text = decoder.decode(data.subarray(start, nl));
    const message = this.#mirror.inspectHost(text);
    if (!this.#mirror.keep(message)) return;
    // A cancel of a request still held: neither is sent.
    const cancel = message.notifications.find((n) => n.method === "notifications/cancelled");
    const target = cancel?.params?.requestId;
    if (cancel && message.requests.length === 0 && message.notifications.length === 1) {
      // An open stream the next mux has not seen: it is not sent again, nor the cancel.
      if (this.#mirror.listens.forget(target)) return;
      const index = this.#held.findIndex((h) => h.message.requests.some((r) => r.id === target));
      if (index !== -1) {
        this.#bytes -= this.#held[index]!.bytes.length;
        this.#held.splice(index, 1);
        return;
      }
    }
    const bytes = data.slice(start, nl + 1);
    this.#held.push({ message, bytes });
    this.#bytes += bytes.length;
  }

  /**
   * The mux is back: the held lines in one buffer, in the order they came
   * (null: none), recorded in the session as sent. The hold is emptied.
   */
  release(): Uint8Array | null {
    const held = this.#held;
    this.#held = [];
    this.#bytes = 0;
    if (held.length === 0) return null;
    for (const { message } of held) this.#mirror.sent(message);
    return concat(held.map((h) => h.bytes));
  }

  /** The mux is not coming back (`why`): an error answer for each held request. The hold is emptied. */
  fail(why: string): string[] {
    const answers: string[] = [];
    for (const { message } of this.#held) {
      for (const request of message.requests) {
        answers.push(errorAnswer(request.id, `rmcp-mux proxy: ${request.method} not sent: ${why}`));
      }
    }
    this.#held = [];
    this.#bytes = 0;
    return answers;
  }
}
