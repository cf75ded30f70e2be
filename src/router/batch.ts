/**
 * JSON-RPC batches (MCP 2025-03-26 and earlier): each element is routed on its
 * own; the answers are gathered and sent back together as one array.
 *
 * @module
 */

const DROPPED = Symbol("dropped");

/** Collects the answers to one batch and sends them as one array when complete. */
export class BatchReply {
  readonly #slots: unknown[];
  #remaining: number;
  readonly #send: (answers: unknown[]) => void;

  /**
   * @param expected number of answers the batch will get (its requests)
   * @param send called once with every answer, in request order
   */
  constructor(expected: number, send: (answers: unknown[]) => void) {
    this.#slots = new Array(expected);
    this.#remaining = expected;
    this.#send = send;
  }

  /** Record the answer for the element at `index` (ignored if already answered). */
  fill(index: number, message: unknown): void {
    if (this.#slots[index] !== undefined || this.#remaining === 0) return;
    this.#slots[index] = message;
    this.#remaining--;
    if (this.#remaining === 0) this.#send(this.#slots.filter((m) => m !== DROPPED));
  }

  /** The element at `index` will never be answered (the client cancelled it). */
  drop(index: number): void {
    this.fill(index, DROPPED);
  }

  /** Answers still missing. */
  get remaining(): number {
    return this.#remaining;
  }
}
