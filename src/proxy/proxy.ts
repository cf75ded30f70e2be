/**
 * `rmcp-mux proxy`: a byte-transparent bridge between stdio and a mux socket,
 * for MCP hosts that can only launch stdio servers. It never parses, never
 * logs to stdout, and ends when either side closes.
 *
 * @module
 */

import { connectUnix } from "../transport/unix_client.ts";

export { ConnectError } from "../transport/unix_client.ts";

/** Streams to bridge; default to the process's stdin and stdout. */
export interface ProxyOptions {
  /** Where the host's messages come from (default: this process's stdin, read directly). */
  stdin?: ReadableStream<Uint8Array>;
  /** Where the mux's messages go (default: this process's stdout, written directly). */
  stdout?: WritableStream<Uint8Array>;
  /** Aborting ends the bridge. */
  signal?: AbortSignal;
}

/** Which side ended the bridge. */
export type ProxyEnd = "stdin-closed" | "mux-closed" | "aborted";

/**
 * Bridge stdio and the mux at `socketPath` until one side closes. When stdin
 * ends, the socket's write side is closed and the answers still owed are
 * relayed before returning. Throws `ConnectError` if the socket cannot be
 * reached.
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
  const conn = await connectUnix(socketPath);
  // The process's own stdio is read and written directly: no stream layer, no copies.
  const input = options.stdin ? streamInput(options.stdin) : rawInput();
  const output = options.stdout ? streamOutput(options.stdout) : rawOutput();
  let stdinDone = false;
  const onAbort = () => {
    try {
      conn.close();
    } catch {
      // Already closed.
    }
  };
  options.signal?.addEventListener("abort", onAbort, { once: true });

  const up = (async () => {
    try {
      while (true) {
        const chunk = await input.read();
        if (chunk === null) break;
        let offset = 0;
        while (offset < chunk.length) offset += await conn.write(chunk.subarray(offset));
      }
      stdinDone = true;
      await conn.closeWrite();
    } catch {
      // The socket closed under us: `down` reports it.
    }
  })();

  const down = (async () => {
    const buffer = new Uint8Array(64 * 1024);
    try {
      while (true) {
        const n = await conn.read(buffer);
        if (n === null) break;
        await output.write(buffer.subarray(0, n));
      }
    } catch {
      // Closed by abort or reset by the mux.
    }
  })();

  await down;
  options.signal?.removeEventListener("abort", onAbort);
  // The mux went first: a pending read of the process's own stdin cannot be
  // cancelled, so it is left behind (the CLI exits right after).
  if (!stdinDone && options.stdin) await input.cancel();
  if (stdinDone || options.stdin) await up;
  input.release();
  output.release();
  try {
    conn.close();
  } catch {
    // Already closed.
  }
  if (options.signal?.aborted) return "aborted";
  return stdinDone ? "stdin-closed" : "mux-closed";
}

interface Input {
  read(): Promise<Uint8Array | null>;
  cancel(): Promise<void>;
  release(): void;
}

interface Output {
  write(bytes: Uint8Array): Promise<void>;
  release(): void;
}

function rawInput(): Input {
  const buffer = new Uint8Array(64 * 1024);
  return {
    async read() {
      const n = await Deno.stdin.read(buffer);
      return n === null ? null : buffer.subarray(0, n);
    },
    cancel: () => Promise.resolve(),
    release: () => {},
  };
}

function rawOutput(): Output {
  return {
    async write(bytes) {
      let offset = 0;
      while (offset < bytes.length) offset += await Deno.stdout.write(bytes.subarray(offset));
    },
    release: () => {},
  };
}

function streamInput(stream: ReadableStream<Uint8Array>): Input {
  const reader = stream.getReader();
  return {
    async read() {
      const { value, done } = await reader.read();
      return done ? null : value;
    },
    cancel: () => reader.cancel().catch(() => {}),
    release: () => reader.releaseLock(),
  };
}

function streamOutput(stream: WritableStream<Uint8Array>): Output {
  const writer = stream.getWriter();
  return {
    // A stream may keep the chunk: hand it a copy, the buffer is reused.
    write: (bytes) => writer.write(bytes.slice()),
    release: () => writer.releaseLock(),
  };
}
