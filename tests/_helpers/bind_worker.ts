/**
 * A Worker (a thread of the test process) that binds private sockets on
 * request, so tests can run binds in two threads at once. Messages in:
 * `{ kind: "bind", paths }` (answers each path's outcome, keeps the winners
 * listening), `{ kind: "churn", dir, count }` (binds, closes and removes
 * `count` sockets in `dir`), `{ kind: "close" }` (closes and removes the
 * sockets it holds). Each is answered with one message of the same kind.
 */

import { listenPrivately } from "../../src/server/socket_path.ts";

/** One path's outcome: bound, or the error's message. */
export type BindOutcome = { ok: true } | { ok: false; error: string };

/** A message to the worker. */
export type BindRequest =
  | { kind: "bind"; paths: string[] }
  | { kind: "churn"; dir: string; count: number }
  | { kind: "close" };

/** The worker's answer. */
export type BindReply =
  | { kind: "bind"; outcomes: BindOutcome[] }
  | { kind: "churn" }
  | { kind: "close" };

const scope = self as unknown as {
  postMessage(message: BindReply): void;
  onmessage: ((event: MessageEvent<BindRequest>) => void) | null;
};

const held: { path: string; listener: Deno.Listener }[] = [];

scope.onmessage = ({ data }) => {
  if (data.kind === "bind") {
    const outcomes = data.paths.map((path): BindOutcome => {
      try {
        held.push({ path, listener: listenPrivately(path) });
        return { ok: true };
      } catch (error) {
        return { ok: false, error: (error as Error).message };
      }
    });
    scope.postMessage({ kind: "bind", outcomes });
  } else if (data.kind === "churn") {
    for (let i = 0; i < data.count; i++) {
      const path = `${data.dir}/${i}.sock`;
      listenPrivately(path).close();
      removeSocket(path);
    }
    scope.postMessage({ kind: "churn" });
  } else {
    for (const { path, listener } of held.splice(0)) {
      listener.close();
      removeSocket(path);
    }
    scope.postMessage({ kind: "close" });
  }
};

/** Remove a socket as the servers do at close (Deno itself unlinks one bound at its path). */
function removeSocket(path: string): void {
  try {
    Deno.removeSync(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}
