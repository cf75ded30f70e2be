/**
 * The host's open `subscriptions/listen` streams (MCP 2026-07-28), as
 * `rmcp-mux proxy` keeps them across connections to the mux. A stream is a
 * request the mux answers only when it ends, so losing the connection is not
 * its end: the proxy sends the request again on the next connection and the
 * host's stream goes on (the spec asks a stdio client to listen again after
 * a reconnect; the host never saw one). Pure: lines in, lines out.
 *
 * - Open from the host's request until the mux's final answer, a
 *   server-sent `notifications/cancelled` for it, or the host's own cancel.
 * - The end the mux sends because it stops (marked {@link MUX_STOPPING_META},
 *   or the -32006 "shutting down" error) is kept back: dropped when the
 *   stream is sent again, delivered only if the mux does not come back.
 * - The acknowledgement of a stream sent again is kept from the host: the
 *   spec makes it a stream's first message, and the host has had it.
 *
 * @module
 */

import { MUX_STOPPING_META } from "../jsonrpc/mux_methods.ts";
import type { Id } from "./line_head.ts";

/** The 2026-07-28 stream request. */
export const LISTEN_METHOD = "subscriptions/listen";
const LISTEN_ACK = "notifications/subscriptions/acknowledged";
const CANCELLED = "notifications/cancelled";
const SUBSCRIPTION_ID = "io.modelcontextprotocol/subscriptionId";
/** The mux's "shutting down" error code (`ErrorCode.ShuttingDown`). */
const SHUTTING_DOWN_CODE = -32006;

interface Stream {
  /** The request, as the host sent it. */
  text: string;
  /** The host has its acknowledgement. */
  acked: boolean;
  /** Sent again: its next acknowledgement is not the host's. */
  swallowAck: boolean;
  /** The end the mux sent as it stopped. */
  stopping?: string;
}

/** What to do with the mux's answer to a stream's request. */
export type StreamAnswer = "forward" | "keep";

/** The host's open streams, by the id of their request. */
export class OpenListens {
  readonly #streams = new Map<Id, Stream>();

  /** Streams open. */
  get size(): number {
    return this.#streams.size;
  }

  /** Is `id` an open stream's request? */
  has(id: Id): boolean {
    return this.#streams.has(id);
  }

  /** The host opened stream `id` with the line `text`. */
  open(id: Id, text: string): void {
    this.#streams.set(id, { text, acked: false, swallowAck: false });
  }

  /** Stream `id` ended (the host or the server cancelled it). False: no such stream. */
  forget(id: unknown): boolean {
    return isId(id) && this.#streams.delete(id);
  }

  /**
   * The mux's answer to stream `id` (`text`, the whole line): "keep" it
   * from the host if the mux sent it because it stops, else the stream
   * ended ("forward").
   */
  answer(id: Id, result: unknown, error: unknown, text: string): StreamAnswer {
    const stream = this.#streams.get(id);
    if (stream === undefined) return "forward";
    const stopping = error !== undefined
      ? (error as { code?: unknown } | null)?.code === SHUTTING_DOWN_CODE
      : objectOf(objectOf(result)?._meta)?.[MUX_STOPPING_META] === true;
    if (!stopping) {
      this.#streams.delete(id);
      return "forward";
    }
    stream.stopping = text;
    return "keep";
  }

  /** A notification from the mux: false to keep it from the host. */
  note(method: unknown, params: unknown): boolean {
    if (method === CANCELLED) {
      this.forget(objectOf(params)?.requestId); // the server ended the stream
      return true;
    }
    if (method !== LISTEN_ACK) return true;
    const id = objectOf(objectOf(params)?._meta)?.[SUBSCRIPTION_ID];
    const stream = isId(id) ? this.#streams.get(id) : undefined;
    if (stream === undefined) return true;
    if (stream.swallowAck) {
      stream.swallowAck = false;
      return false;
    }
    stream.acked = true;
    return true;
  }

  /** The lines that open every stream again on a new connection, as the host sent them. */
  reopen(): string[] {
    const lines: string[] = [];
    for (const stream of this.#streams.values()) {
      stream.stopping = undefined;
      stream.swallowAck = stream.acked;
      lines.push(stream.text);
    }
    return lines;
  }

  /**
   * The mux is not coming back: each stream's end for the host — the
   * graceful end the mux sent as it stopped, else an error saying `why` —
   * built by `error(id)`. The streams are forgotten.
   */
  end(error: (id: Id) => string): string[] {
    const answers: string[] = [];
    for (const [id, stream] of this.#streams) answers.push(stream.stopping ?? error(id));
    this.#streams.clear();
    return answers;
  }
}

function isId(value: unknown): value is Id {
  return typeof value === "string" || (typeof value === "number" && Number.isFinite(value));
}

function objectOf(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === "object" ? value as Record<string, unknown> : undefined;
}
