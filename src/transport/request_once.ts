/**
 * One request over a Unix socket, one answer: connect, send a JSON-RPC
 * request with id 1, read lines until the answer to id 1 arrives, or the
 * peer closes, or time runs out.
 *
 * @module
 */

import { LineDecoder } from "../jsonrpc/framing.ts";
import { wait } from "../async/wait.ts";
import { connectUnix } from "./unix_client.ts";

/** How a one-shot request ended. */
export type OnceOutcome =
  | { kind: "answer"; message: Record<string, unknown> }
  | { kind: "closed" }
  | { kind: "timeout" };

/**
 * Send `method` to the socket at `path`. Throws `ConnectError` when the socket
 * cannot be reached; every other ending is an {@link OnceOutcome}.
 */
export async function requestOnce(
  path: string,
  method: string,
  params: Record<string, unknown> | undefined,
  timeoutMs: number,
): Promise<OnceOutcome> {
  const conn = await connectUnix(path);
  try {
    const request = { jsonrpc: "2.0", id: 1, method, ...(params ? { params } : {}) };
    await conn.write(new TextEncoder().encode(JSON.stringify(request) + "\n"));
    const answer = readAnswer(conn);
    if (!(await wait(answer, timeoutMs))) return { kind: "timeout" };
    const message = await answer;
    return message ? { kind: "answer", message } : { kind: "closed" };
  } finally {
    try {
      conn.close();
    } catch {
      // Already closed.
    }
  }
}

async function readAnswer(conn: Deno.UnixConn): Promise<Record<string, unknown> | null> {
  const decoder = new LineDecoder(64 * 1024 * 1024);
  const buffer = new Uint8Array(64 * 1024);
  let answer: Record<string, unknown> | null = null;
  try {
    while (answer === null) {
      const n = await conn.read(buffer);
      if (n === null) return null;
      decoder.push(buffer.subarray(0, n), (event) => {
        if (event.kind !== "line" || answer !== null) return;
        try {
          const value = JSON.parse(event.text);
          if (value?.id === 1 && !value.method) answer = value;
        } catch {
          // Not ours.
        }
      });
    }
  } catch {
    return null; // closed after a timeout
  }
  return answer;
}
