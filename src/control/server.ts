/**
 * The daemon's control socket: newline-delimited JSON-RPC, private to its
 * owner (0600), answering `status`, `restart`, `stop`, `start`, `reload` and
 * `shutdown`.
 *
 * @module
 */

import type { Logger } from "@logtape/logtape";
import { type Daemon, DaemonError } from "../daemon/daemon.ts";
import { ErrorCode } from "../jsonrpc/codes.ts";
import { LineDecoder } from "../jsonrpc/framing.ts";
import {
  classify,
  errorResponse,
  type JsonRpcRequest,
  resultResponse,
} from "../jsonrpc/message.ts";
import { muxLogger } from "../log/logger.ts";
import { AcceptLoop } from "../server/accept_loop.ts";
import { listenPrivately, prepareSocketPath } from "../server/socket_path.ts";
import { connSink, LineWriter } from "../transport/line_writer.ts";

/** Methods the control socket answers. */
export type ControlMethod = "status" | "restart" | "stop" | "start" | "reload" | "shutdown";

const SERVICE_METHODS = new Set(["restart", "stop", "start"]);

/** A control method added by whoever starts the control server (the dashboard's login, say). */
export type ControlHandler = (
  params: Record<string, unknown> | undefined,
) => Record<string, unknown> | Promise<Record<string, unknown>>;

/** Listens on the control socket and runs commands against a daemon. */
export class ControlServer implements AsyncDisposable {
  readonly #daemon: Daemon;
  readonly #onShutdown: () => void;
  readonly #log: Logger = muxLogger("server");
  readonly #accepting: AcceptLoop<{ conn: Deno.UnixConn; done: Promise<void> }>;
  readonly #methods: Readonly<Record<string, ControlHandler>>;
  #closing: Promise<void> | undefined;
  /** The socket path. */
  readonly path: string;

  private constructor(
    path: string,
    listener: Deno.Listener<Deno.UnixConn, Deno.UnixAddr>,
    daemon: Daemon,
    onShutdown: () => void,
    methods: Readonly<Record<string, ControlHandler>>,
  ) {
    this.path = path;
    this.#methods = methods;
    this.#daemon = daemon;
    this.#onShutdown = onShutdown;
    this.#accepting = new AcceptLoop(listener, {
      log: this.#log,
      serve: (conn) => ({ conn, done: this.#serve(conn) }),
    });
  }

  /**
   * Listen on `path` (refusing a live socket, clearing a stale one) for `daemon`.
   * `onShutdown` is called after a `shutdown` command has been answered.
   * `methods` adds control methods (answered with what they return; a throw
   * becomes an error answer carrying its message).
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
  static async start(
    path: string,
    daemon: Daemon,
    onShutdown: () => void,
    methods: Readonly<Record<string, ControlHandler>> = {},
  ): Promise<ControlServer> {
    await prepareSocketPath(path);
    const listener = listenPrivately(path);
    return new ControlServer(path, listener, daemon, onShutdown, methods);
  }

  /** Stop listening and close every control connection. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.#accepting.close();
      const open = [...this.#accepting.connections];
      for (const { conn } of open) {
        try {
          conn.close();
        } catch {
          // Already closed.
        }
      }
      await Promise.all(open.map((c) => c.done));
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
        default: {
          if (Object.hasOwn(this.#methods, method)) {
            return JSON.stringify(
              resultResponse(id, { ...await this.#methods[method]!(request.params) }),
            );
          }
          const known = ["status", "restart", "stop", "start", "reload", "shutdown"];
          return JSON.stringify(
            errorResponse(
              id,
              ErrorCode.MethodNotFound,
              `unknown control method "${method}"; known: ${
                [...known, ...Object.keys(this.#methods)].join(", ")
              }`,
            ),
          );
        }
      }
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      // A command that cannot be carried out as asked (unknown service, a rejected
      // configuration) is the caller's to fix; anything else is a bug of ours.
      if (error instanceof DaemonError) {
        return JSON.stringify(errorResponse(id, ErrorCode.InvalidParams, message));
      }
      this.#log.error("Control command {method} failed: {error}", { method, error: message });
      return JSON.stringify(
        errorResponse(id, ErrorCode.InternalError, `${method} failed: ${message}`),
      );
    }
  }
}
