/**
 * The one accept loop of every socket the mux listens on (client sockets,
 * the control socket): accepts until closed, tracks the connections it
 * opened, and survives accept errors (out of file descriptors, say) by
 * backing off instead of spinning or giving up.
 *
 * @module
 */

import type { Logger } from "@logtape/logtape";
import { delay } from "../async/wait.ts";

/** First pause after a failed accept; doubled per failure in a row. */
export const ACCEPT_RETRY_MS = 50;
/** Longest pause between accept attempts. */
export const ACCEPT_RETRY_MAX_MS = 2_000;

/** What an accepted connection becomes: something that says when it is done. */
export interface Served {
  readonly done: Promise<unknown>;
}

/** Settings of an {@link AcceptLoop}. */
export interface AcceptLoopOptions<T extends Served> {
  log: Logger;
  /** Start serving one connection. */
  serve: (conn: Deno.UnixConn) => T;
  /** Called when a connection opens or ends. */
  onChange?: () => void;
}

/** Accepts connections on a listener until {@link AcceptLoop.close}. */
export class AcceptLoop<T extends Served> {
  readonly #listener: Deno.Listener<Deno.UnixConn, Deno.UnixAddr>;
  readonly #o: AcceptLoopOptions<T>;
  readonly #connections = new Set<T>();
  readonly #stop = new AbortController();
  readonly #done: Promise<void>;

  constructor(
    listener: Deno.Listener<Deno.UnixConn, Deno.UnixAddr>,
    options: AcceptLoopOptions<T>,
  ) {
    this.#listener = listener;
    this.#o = options;
    this.#done = this.#run();
  }

  /** The connections open now. */
  get connections(): ReadonlySet<T> {
    return this.#connections;
  }

  /** Stop accepting (connections already open are left alone). Idempotent. */
  async close(): Promise<void> {
    this.#stop.abort();
    try {
      this.#listener.close();
    } catch {
      // Already closed.
    }
    await this.#done;
  }

  async #run(): Promise<void> {
    const stopped = this.#stop.signal;
    let retryMs = ACCEPT_RETRY_MS;
    while (!stopped.aborted) {
      let conn: Deno.UnixConn;
      try {
        conn = await this.#listener.accept();
      } catch (error) {
        if (stopped.aborted || error instanceof Deno.errors.BadResource) return;
        this.#o.log.warn("accept failed: {error}; retrying in {ms} ms", {
          error: String(error),
          ms: retryMs,
        });
        await delay(retryMs, stopped);
        retryMs = Math.min(retryMs * 2, ACCEPT_RETRY_MAX_MS);
        continue;
      }
      retryMs = ACCEPT_RETRY_MS;
      if (stopped.aborted) {
        conn.close();
        return;
      }
      const served = this.#o.serve(conn);
      this.#connections.add(served);
      this.#o.onChange?.();
      const ended = () => {
        this.#connections.delete(served);
        this.#o.onChange?.();
      };
      served.done.then(ended, ended);
    }
  }
}
