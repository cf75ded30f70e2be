/**
 * The daemon's control socket: newline-delimited JSON-RPC, private to its
 * owner (0600), answering `status`, `restart`, `stop`, `start`, `reload` and
 * `shutdown`.
 *
 * @module
 */

import type { Logger } from "@logtape/logtape";
import type { Daemon } from "../daemon/daemon.ts";
import { ErrorCode } from "../jsonrpc/codes.ts";
import { LineDecoder } from "../jsonrpc/framing.ts";
import {
  classify,
  errorResponse,
  type JsonRpcRequest,
  resultResponse,
} from "../jsonrpc/message.ts";
import { muxLogger } from "../log/logger.ts";
import { listenPrivately, prepareSocketPath } from "../server/socket_path.ts";
import { connSink, LineWriter } from "../transport/line_writer.ts";

/** Methods the control socket answers. */
export type ControlMethod = "status" | "restart" | "stop" | "start" | "reload" | "shutdown";

const SERVICE_METHODS = new Set(["restart", "stop", "start"]);

/** Listens on the control socket and runs commands against a daemon. */
export class ControlServer implements AsyncDisposable {
  readonly #listener: Deno.Listener<Deno.UnixConn, Deno.UnixAddr>;
  readonly #daemon: Daemon;
  readonly #onShutdown: () => void;
  readonly #log: Logger = muxLogger("server");
  readonly #conns = new Set<Deno.UnixConn>();
  readonly #accepting: Promise<void>;
  readonly #handlers = new Set<Promise<void>>();
  #closing: Promise<void> | undefined;
  /** The socket path. */
  readonly path: string;

  private constructor(
    path: string,
    listener: Deno.Listener<Deno.UnixConn, Deno.UnixAddr>,
    daemon: Daemon,
    onShutdown: () => void,
  ) {
    this.path = path;
    this.#listener = listener;
    this.#daemon = daemon;
    this.#onShutdown = onShutdown;
    this.#accepting = this.#accept();
  }

  /**
   * Listen on `path` (refusing a live socket, clearing a stale one) for `daemon`.
   * `onShutdown` is called after a `shutdown` command has been answered.
   *
   * @example
   * ```ts
   * import { callControl, ControlServer, Daemon } from "@rmcp-mux/mux";
   *
   * const dir = await Deno.makeTempDir();
   * await using daemon = await Daemon.start({
   *   services: [{ name: "a", options: { socket: `${dir}/a.sock`, cmd: "a", lazyStart: true } }],
   * });
   * await using control = await ControlServer.start(`${dir}/control.sock`, daemon, () => {});
   * const status = await callControl(control.path, "status");
   * console.log(status.services); // [{ name: "a", state: "running", … }]
   * ```
   */
  static async start(path: string, daemon: Daemon, onShutdown: () => void): Promise<ControlServer> {
    await prepareSocketPath(path);
    const listener = listenPrivately(path);
    return new ControlServer(path, listener, daemon, onShutdown);
  }

  /** Stop listening and close every control connection. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      try {
        this.#listener.close();
      } catch {
        // Already closed.
      }
      await this.#accepting;
      for (const conn of this.#conns) {
        try {
          conn.close();
        } catch {
          // Already closed.
        }
      }
      await Promise.all(this.#handlers);
      await Deno.remove(this.path).catch(() => {});
    })();
    return this.#closing;
  }

  /** Same as {@link close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Last resort for a forced exit, synchronous: remove the socket file. */
  terminateNow(): void {
    try {
      Deno.removeSync(this.path);
    } catch {
      // Already gone.
    }
  }

  async #accept(): Promise<void> {
    while (true) {
      let conn: Deno.UnixConn;
      try {
        conn = await this.#listener.accept();
      } catch {
        return; // closed
      }
      this.#conns.add(conn);
      const handler = this.#serve(conn).finally(() => {
        this.#conns.delete(conn);
        this.#handlers.delete(handler);
      });
      this.#handlers.add(handler);
    }
  }

  async #serve(conn: Deno.UnixConn): Promise<void> {
    const writer = new LineWriter(connSink(conn));
    const decoder = new LineDecoder(1024 * 1024);
    const buffer = new Uint8Array(16 * 1024);
    const work: Promise<void>[] = [];
    try {
      while (true) {
        const n = await conn.read(buffer);
        if (n === null) break;
        decoder.push(buffer.subarray(0, n), (event) => {
          if (event.kind !== "line") {
            writer.write(JSON.stringify(errorResponse(null, ErrorCode.ParseError, "Parse error")));
            return;
          }
          work.push(this.#handle(event.text).then((answer) => void writer.write(answer)));
        });
      }
    } catch {
      // Reset or closed: done.
    }
    await Promise.all(work);
    await writer.close(true);
    try {
      conn.close();
    } catch {
      // Already closed.
    }
  }

  async #handle(text: string): Promise<string> {
    let request: JsonRpcRequest;
    try {
      const msg = classify(JSON.parse(text));
      if (msg.kind !== "request") {
        return JSON.stringify(
          errorResponse(null, ErrorCode.InvalidRequest, "Invalid request: expected a request"),
        );
      }
      request = msg.message;
    } catch {
      return JSON.stringify(errorResponse(null, ErrorCode.ParseError, "Parse error: invalid JSON"));
    }
    const { id, method } = request;
    const service = request.params?.service;
    if (SERVICE_METHODS.has(method) && typeof service !== "string") {
      return JSON.stringify(
        errorResponse(id, ErrorCode.InvalidParams, `${method} needs params.service (a name)`),
      );
    }
    try {
      this.#log.info("Control command: {method}{target}", {
        method,
        target: typeof service === "string" ? ` ${service}` : "",
      });
      switch (method) {
        case "status":
          return JSON.stringify(resultResponse(id, { ...this.#daemon.status() }));
        case "restart":
          return JSON.stringify(
            resultResponse(id, { ...await this.#daemon.restart(service as string) }),
          );
        case "stop":
          return JSON.stringify(
            resultResponse(id, { ...await this.#daemon.stop(service as string) }),
          );
        case "start":
          return JSON.stringify(
            resultResponse(id, { ...await this.#daemon.start(service as string) }),
          );
        case "reload":
          return JSON.stringify(resultResponse(id, { ...await this.#daemon.reload() }));
        case "shutdown":
          queueMicrotask(() => this.#onShutdown());
          return JSON.stringify(resultResponse(id, { shuttingDown: true }));
        default:
          return JSON.stringify(
            errorResponse(
              id,
              ErrorCode.MethodNotFound,
              `unknown control method "${method}"; known: status, restart, stop, start, reload, shutdown`,
            ),
          );
      }
    } catch (error) {
      return JSON.stringify(
        errorResponse(
          id,
          ErrorCode.InvalidParams,
          error instanceof Error ? error.message : String(error),
        ),
      );
    }
  }
}
