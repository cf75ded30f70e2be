/**
 * `rmcp-mux proxy`: the stdio bridge MCP hosts launch in place of a server.
 * It relays lines between stdio and a mux socket, and survives the mux going
 * away (a reload, a restart, an upgrade): it reconnects for a bounded time,
 * replays the host's handshake and set-up ({@link SessionMirror}), answers
 * requests the lost connection owed with a clear error, holds new ones
 * until it is back, and sends the host's open `subscriptions/listen`
 * streams again so that they go on. The mux is back once it has answered a
 * `ping` on the new connection (a socket that accepts and resets, as a
 * dying daemon's may, is not the mux back). The host sees one session
 * throughout. Lean on purpose:
 * no router, no config parser, no logging library — hosts start many.
 *
 * This module is its face; the bridge itself is in `bridge.ts`, the hold of
 * host lines in `host_hold.ts`, the reconnect loop in `reconnect.ts`.
 *
 * @module
 */

import { connectUnix } from "../transport/unix_client.ts";
import { Bridge } from "./bridge.ts";
import { DEFAULT_RECONNECT_MS } from "./reconnect.ts";

export { ConnectError } from "../transport/unix_client.ts";
export { HELLO_LINE, MAX_LINE_BYTES } from "./bridge.ts";
export { MAX_HELD_BYTES } from "./host_hold.ts";
export { DEFAULT_RECONNECT_MS };

/** Streams to bridge; default to the process's stdin and stdout. */
export interface ProxyOptions {
  /** Where the host's messages come from (default: this process's stdin, read directly). */
  stdin?: ReadableStream<Uint8Array>;
  /** Where the mux's messages go (default: this process's stdout, written directly). */
  stdout?: WritableStream<Uint8Array>;
  /** Aborting ends the bridge. */
  signal?: AbortSignal;
  /**
   * How long to keep trying to reconnect after the mux went away, ms (default
   * {@link DEFAULT_RECONNECT_MS}); 0: never, end at once.
   */
  reconnectMs?: number;
  /** Opens a connection to the mux (default: the Unix socket at the given path). */
  connect?: () => Promise<Deno.Conn>;
  /** One line for a person when the connection is lost or back (the CLI prints it on stderr). */
  onNotice?: (line: string) => void;
}

/**
 * Why the bridge ended: stdin closed, the mux closed the connection (with
 * reconnecting off), the mux did not come back within the reconnect time,
 * or the signal aborted it.
 */
export type ProxyEnd = "stdin-closed" | "mux-closed" | "unreachable" | "aborted";

/**
 * Bridge stdio and the mux at `socketPath` until stdin ends (then the answers
 * still owed are relayed first) or the mux is gone for longer than the
 * reconnect time. Throws `ConnectError` if the socket cannot be reached at
 * the start.
 *
 * @example Bridge two in-memory streams to a mux (a host would pass none: stdio)
 * ```ts
 * import { MuxConfig, runProxy, spawnMuxServer } from "@rmcp-mux/mux";
 *
 * const dir = await Deno.makeTempDir();
 * await using mux = await spawnMuxServer(new MuxConfig(`${dir}/s.sock`, "any").withLazyStart());
 * const ping = new TextEncoder().encode('{"jsonrpc":"2.0","id":1,"method":"ping"}\n');
 * let output = "";
 * const end = await runProxy(mux.socketPath, {
 *   stdin: ReadableStream.from([ping]),
 *   stdout: new WritableStream({ write: (chunk) => void (output += new TextDecoder().decode(chunk)) }),
 * });
 * console.log(end, output); // stdin-closed {"jsonrpc":"2.0","id":1,"result":{}}
 * ```
 */
export async function runProxy(socketPath: string, options: ProxyOptions = {}): Promise<ProxyEnd> {
  const connect = options.connect ?? (() => connectUnix(socketPath));
  const first = await connect();
  return await new Bridge(options, connect).run(first);
}
