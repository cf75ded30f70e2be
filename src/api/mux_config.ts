/**
 * `MuxConfig`: the settings of one mux as a small immutable builder, in the
 * spirit of the Rust crate's `MuxConfig::new(socket, cmd).with_…()`. Every
 * `with…` returns a new config; the original is never changed.
 *
 * @module
 */

import { type MuxOptions, serviceNameFromSocket } from "../config/options.ts";
import type { UpstreamEraSetting } from "../router/eras.ts";

/**
 * Settings of one mux.
 *
 * @example
 * ```ts
 * import { MuxConfig } from "@rmcp-mux/mux";
 *
 * const base = new MuxConfig("/tmp/rmcp-mux-example/memory.sock", "npx")
 *   .withArgs(["-y", "@modelcontextprotocol/server-memory"])
 *   .withMaxClients(10);
 * const debug = base.withEnv({ DEBUG: "1" }).withServiceName("memory-debug");
 * console.log(base.serviceName, debug.serviceName); // memory memory-debug
 * console.log(base.options.env); // undefined: `base` was not changed
 * ```
 */
export class MuxConfig {
  /** The settings, as a plain object (what `MuxServer.start` takes). */
  readonly options: Readonly<MuxOptions>;

  /** From a socket and a command, or from a plain options object. */
  constructor(socketOrOptions: string | MuxOptions, cmd?: string) {
    const options = typeof socketOrOptions === "string"
      ? { socket: socketOrOptions, cmd: cmd ?? "" }
      : { ...socketOrOptions };
    this.options = Object.freeze(options);
  }

  /** The service name: the one set, else the socket file name up to its first dot. */
  get serviceName(): string {
    return this.options.serviceName ?? serviceNameFromSocket(this.options.socket);
  }

  /** Server arguments. */
  withArgs(args: readonly string[]): MuxConfig {
    return this.#with({ args: [...args] });
  }

  /** Environment variables for the server, merged over the mux's own (replaces earlier ones). */
  withEnv(env: Readonly<Record<string, string>>): MuxConfig {
    return this.#with({ env: { ...env } });
  }

  /** One more environment variable for the server. */
  withEnvVar(name: string, value: string): MuxConfig {
    return this.#with({ env: { ...this.options.env, [name]: value } });
  }

  /** The server's working directory. */
  withCwd(cwd: string): MuxConfig {
    return this.#with({ cwd });
  }

  /** Clients served at once (the Rust crate's name for `maxActiveClients`). */
  withMaxClients(count: number): MuxConfig {
    return this.#with({ maxActiveClients: count });
  }

  /** Name in logs, errors and status. */
  withServiceName(name: string): MuxConfig {
    return this.#with({ serviceName: name });
  }

  /** Start the server only when a client first needs it. */
  withLazyStart(lazy = true): MuxConfig {
    return this.#with({ lazyStart: lazy });
  }

  /** One client's requests upstream at a time (exact attribution of server callbacks). */
  withSerialize(serialize = true): MuxConfig {
    return this.#with({ serialize });
  }

  /** Which MCP era to speak to the server: `auto` (default), `legacy` or `modern`. */
  withUpstreamEra(era: UpstreamEraSetting): MuxConfig {
    return this.#with({ upstreamEra: era });
  }

  /** Largest message a client may send, bytes. */
  withMaxRequestBytes(bytes: number): MuxConfig {
    return this.#with({ maxRequestBytes: bytes });
  }

  /** Fail requests unanswered (and without progress) for this long; 0 = never. */
  withRequestTimeout(ms: number): MuxConfig {
    return this.#with({ requestTimeoutMs: ms });
  }

  /**
   * How long a cancelled, timed-out or abandoned request still counts as at
   * the server (its questions reach no client; with serialize the next turn
   * waits); 0 = no grace. 0 to `MAX_CANCEL_GRACE_MS`, default 5 s.
   *
   * @example
   * ```ts
   * import { MuxConfig } from "@rmcp-mux/mux";
   *
   * const config = new MuxConfig("/tmp/rmcp-mux-example/memory.sock", "npx")
   *   .withSerialize()
   *   .withCancelGrace(1_000); // the next turn waits at most 1 s after a cancel
   * console.log(config.options.cancelGraceMs); // 1000
   * ```
   */
  withCancelGrace(ms: number): MuxConfig {
    return this.#with({ cancelGraceMs: ms });
  }

  /** First and largest restart delay, ms. */
  withRestartBackoff(initialMs: number, maxMs: number): MuxConfig {
    return this.#with({ restartBackoffMs: initialMs, restartBackoffMaxMs: maxMs });
  }

  /** Restarts allowed within the restart window; 0 = unlimited. */
  withMaxRestarts(count: number): MuxConfig {
    return this.#with({ maxRestarts: count });
  }

  /** Keep a JSON status snapshot at this path. */
  withStatusFile(path: string): MuxConfig {
    return this.#with({ statusFile: path });
  }

  /** Any other settings, merged over these. */
  with(options: Partial<MuxOptions>): MuxConfig {
    return this.#with(options);
  }

  #with(change: Partial<MuxOptions>): MuxConfig {
    return new MuxConfig({ ...this.options, ...change });
  }
}
