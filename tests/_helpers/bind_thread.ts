/**
 * A thread of the test process that binds private sockets on request (it runs
 * `bind_worker.ts`); close it with `using`.
 */

import type { BindReply, BindRequest } from "./bind_worker.ts";

export type { BindOutcome } from "./bind_worker.ts";

/** A Worker running `bind_worker.ts`, asked one request at a time. */
export class BindThread implements Disposable {
  #worker = new Worker(new URL("./bind_worker.ts", import.meta.url).href, { type: "module" });

  /** Send `request`; resolves with the worker's answer, rejects if the worker fails. */
  ask<K extends BindRequest["kind"]>(
    request: Extract<BindRequest, { kind: K }>,
  ): Promise<Extract<BindReply, { kind: K }>> {
    return new Promise((resolve, reject) => {
      this.#worker.onmessage = ({ data }: MessageEvent<BindReply>) => {
        resolve(data as Extract<BindReply, { kind: K }>);
      };
      this.#worker.onerror = (event) => {
        event.preventDefault();
        reject(new Error(`bind worker: ${event.message}`));
      };
      this.#worker.postMessage(request);
    });
  }

  /** Stop the thread. */
  [Symbol.dispose](): void {
    this.#worker.terminate();
  }
}
