/**
 * Closed-loop load: every client keeps `depth` echo calls in flight for a
 * fixed time; every answer is checked against its request.
 *
 * @module
 */

import { CONNECTION_LOST, echoParams, isEcho, type Message } from "./ndjson_client.ts";

/**
 * A client the load and latency loops can drive: the raw line client (socket,
 * stdio) and the raw HTTP session client both are one.
 */
export interface CallClient {
  /** Send a request; resolves with its answer (a connection-lost error when the connection is gone). */
  request(method: string, params?: Record<string, unknown>): Promise<Message>;
  /** Requests sent and not answered yet. */
  readonly inFlight: number;
  /** Close its connection(s). */
  close(): void;
}

/** What one load run produced. */
export interface LoadResult {
  /** Answers that were the right echo of their own request. */
  ok: number;
  /** Answers that were errors or not the echo of their request. */
  wrong: number;
  /** Requests never answered (within the drain time after the run). */
  lost: number;
  /** From the start to the last answer, ms. */
  elapsedMs: number;
  /** Verified answers per second. */
  rate: number;
  /** Every request's latency, µs. */
  latencies: number[];
}

/**
 * Run `depth` callers per client for `durationMs`, then wait (at most
 * `drainMs`) for the answers still owed.
 */
export async function runLoad(
  clients: CallClient[],
  depth: number,
  durationMs: number,
  tag: string,
  drainMs = 15_000,
): Promise<LoadResult> {
  let ok = 0;
  let wrong = 0;
  let lostCalls = 0;
  const latencies: number[] = [];
  const start = performance.now();
  const end = start + durationMs;
  let last = start;
  const caller = async (client: CallClient, name: string) => {
    let seq = 0;
    while (performance.now() < end) {
      const message = `${name}.${seq++}`;
      const t0 = performance.now();
      const answer = await client.request("tools/call", echoParams(message));
      if (answer.error?.code === CONNECTION_LOST) {
        // The connection is gone: this request and this caller are lost.
        lostCalls++;
        return;
      }
      const t1 = performance.now();
      latencies.push((t1 - t0) * 1000);
      last = t1;
      if (isEcho(answer, message)) ok++;
      else wrong++;
    }
  };
  const callers: Promise<void>[] = [];
  clients.forEach((client, c) => {
    for (let d = 0; d < depth; d++) callers.push(caller(client, `${tag}.${c}.${d}`));
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const drained = await Promise.race([
    Promise.all(callers).then(() => true),
    new Promise<boolean>((resolve) =>
      timer = setTimeout(() => resolve(false), durationMs + drainMs)
    ),
  ]);
  clearTimeout(timer);
  const lost = lostCalls + (drained ? 0 : clients.reduce((n, c) => n + c.inFlight, 0));
  const elapsedMs = last - start;
  return { ok, wrong, lost, elapsedMs, rate: ok / (elapsedMs / 1000), latencies };
}
