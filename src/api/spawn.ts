/**
 * Running a mux from a program: `runMuxServer` (until a signal aborts it)
 * and `spawnMuxServer` (returns a handle). Several muxes run side by side in
 * one process.
 *
 * @module
 */

import type { MuxOptions } from "../config/options.ts";
import { MuxServer } from "../server/mux_server.ts";
import type { MuxStatus } from "../server/mux_status.ts";
import { MuxConfig } from "./mux_config.ts";

/** A running mux started by {@link spawnMuxServer}. */
export class MuxHandle implements AsyncDisposable {
  readonly #server: MuxServer;
  #running = true;

  /** @internal */
  constructor(server: MuxServer) {
    this.#server = server;
    server.closed.then(() => this.#running = false);
  }

  /** The service name. */
  get service(): string {
    return this.#server.service;
  }

  /** The socket clients connect to. */
  get socketPath(): string {
    return this.#server.socketPath;
  }

  /** False once it has stopped. */
  get running(): boolean {
    return this.#running;
  }

  /** The mux's state. */
  status(): MuxStatus {
    return this.#server.status();
  }

  /** The underlying server (restart, waitFor, …). */
  get server(): MuxServer {
    return this.#server;
  }

  /** Stop it: connections closed, server process stopped, socket removed. */
  shutdown(): Promise<void> {
    return this.#server.close();
  }

  /** Resolves when it has stopped (after {@link shutdown}). */
  wait(): Promise<void> {
    return this.#server.closed;
  }

  /** Same as {@link shutdown}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown();
  }
}

/**
 * Start a mux and return a handle to it.
 *
 * @example Two muxes in one process
 * ```ts
 * import { MuxConfig, spawnMuxServer } from "@rmcp-mux/mux";
 *
 * const dir = await Deno.makeTempDir();
 * await using one = await spawnMuxServer(new MuxConfig(`${dir}/one.sock`, "server-one").withLazyStart());
 * await using two = await spawnMuxServer(new MuxConfig(`${dir}/two.sock`, "server-two").withLazyStart());
 * console.log(one.running, two.status().service); // true two
 * ```
 */
export async function spawnMuxServer(config: MuxConfig | MuxOptions): Promise<MuxHandle> {
  return new MuxHandle(await MuxServer.start(optionsOf(config)));
}

/**
 * Run a mux until `signal` aborts; resolves once it has stopped.
 *
 * @example
 * ```ts
 * import { MuxConfig, runMuxServer } from "@rmcp-mux/mux";
 *
 * const dir = await Deno.makeTempDir();
 * const config = new MuxConfig(`${dir}/example.sock`, "my-mcp-server").withLazyStart();
 * await runMuxServer(config, { signal: AbortSignal.timeout(100) });
 * ```
 */
export async function runMuxServer(
  config: MuxConfig | MuxOptions,
  options: { signal?: AbortSignal } = {},
): Promise<void> {
  const server = await MuxServer.start(optionsOf(config));
  const stop = () => void server.close();
  if (options.signal?.aborted) stop();
  options.signal?.addEventListener("abort", stop, { once: true });
  try {
    await server.closed;
  } finally {
    options.signal?.removeEventListener("abort", stop);
  }
}

function optionsOf(config: MuxConfig | MuxOptions): MuxOptions {
  return config instanceof MuxConfig ? config.options : config;
}
