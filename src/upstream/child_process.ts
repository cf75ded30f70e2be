/**
 * One server process: spawned in its own process group (so `npx`/`uvx`
 * grandchildren live and die with it), stdout framed into lines, stderr
 * captured line by line for the log, stdin written through a batching writer.
 *
 * @module
 */

import { LineDecoder, type LineEvent } from "../jsonrpc/framing.ts";
import { LineWriter, streamSink } from "../transport/line_writer.ts";
import { wait } from "../async/wait.ts";

/** What to run. */
export interface SpawnSpec {
  /** Program name (looked up in PATH) or path. */
  command: string;
  /** Arguments, passed as-is: no shell is involved. */
  args: readonly string[];
  /** Working directory; defaults to the mux's. */
  cwd?: string;
  /** Extra environment variables, merged over the mux's environment. */
  env?: Readonly<Record<string, string>>;
  /** Strings to mask wherever the command line is shown (secrets among the arguments). */
  redact?: readonly string[];
}

/** How a process ended. */
export interface ExitInfo {
  code: number | null;
  signal: string | null;
  /** `exit code 1`, `killed by SIGKILL`. */
  description: string;
}

/** Callbacks for the process's output. */
export interface ChildIo {
  /** Largest stdout line accepted, bytes. */
  maxLineBytes: number;
  /** Each framed stdout event. */
  onStdout: (event: LineEvent) => void;
  /** Each stderr line (truncated at {@link MAX_STDERR_LINE_BYTES}). */
  onStderr: (line: string) => void;
  /** After each write to stdin completes. */
  onWritten?: () => void;
}

/** Stop timing: close stdin, wait `graceMs`, SIGTERM the group, wait `termMs`, SIGKILL. */
export interface StopTiming {
  graceMs: number;
  termMs: number;
}

/** Default {@link StopTiming}: 2 s after stdin closes, 3 s after SIGTERM. */
export const DEFAULT_STOP_TIMING: StopTiming = { graceMs: 2_000, termMs: 3_000 };

/** Longest stderr line kept; the rest of a longer line is dropped. */
export const MAX_STDERR_LINE_BYTES = 16 * 1024;

/** How long output readers may linger after the process exits. */
const READER_LINGER_MS = 1_000;

/** Why a spawn failed: the command or working directory is missing, not executable, or other. */
export type SpawnFailure = "not_found" | "not_executable" | "other";

/** A spawn that failed, with a message that names the command. */
export class SpawnError extends Error {
  override name = "SpawnError";
  /** Why, as a category (a missing command is not worth retrying in a one-off mux). */
  readonly failure: SpawnFailure;

  constructor(message: string, failure: SpawnFailure) {
    super(message);
    this.failure = failure;
  }
}

/** A running server process. */
export class ChildProcess {
  readonly pid: number;
  /** Resolves once the process has exited and its output is drained. */
  readonly exited: Promise<ExitInfo>;
  readonly #child: Deno.ChildProcess;
  readonly #writer: LineWriter;
  #stopping: Promise<ExitInfo> | undefined;

  private constructor(child: Deno.ChildProcess, io: ChildIo) {
    this.#child = child;
    this.pid = child.pid;
    const writer = new LineWriter(streamSink(child.stdin), {
      // A failed write means the process is gone or closed stdin; its exit is reported anyway.
      onError: () => {},
      onProgress: io.onWritten,
    });
    this.#writer = writer;
    const stdout = readLines(child.stdout, io.maxLineBytes, io.onStdout);
    const stderr = readLines(child.stderr, MAX_STDERR_LINE_BYTES, (event) => {
      if (event.kind === "line") io.onStderr(event.text);
      else if (event.kind === "too_long") io.onStderr(`${event.head}… (${event.bytes} bytes)`);
    });
    this.exited = (async () => {
      const status = await child.status;
      // Grandchildren left behind by a crashed leader die with it.
      signalGroup(child.pid, "SIGKILL");
      await Promise.all([stdout.done(READER_LINGER_MS), stderr.done(READER_LINGER_MS)]);
      await writer.close(false);
      return describeStatus(status);
    })();
  }

  /** Start `spec`. Throws {@link SpawnError} with a clear message if it cannot start. */
  static spawn(spec: SpawnSpec, io: ChildIo): ChildProcess {
    let child: Deno.ChildProcess;
    try {
      child = new Deno.Command(spec.command, {
        args: [...spec.args],
        cwd: spec.cwd,
        env: spec.env ? { ...spec.env } : undefined,
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
        detached: true,
      }).spawn();
    } catch (error) {
      const failure = error instanceof Deno.errors.NotFound
        ? "not_found"
        : error instanceof Deno.errors.PermissionDenied
        ? "not_executable"
        : "other";
      throw new SpawnError(describeSpawnError(spec, error), failure);
    }
    return new ChildProcess(child, io);
  }

  /** Queue one message line to stdin. */
  send(line: string): void {
    this.#writer.write(line);
  }

  /** Messages queued to stdin and not yet written. */
  get pending(): number {
    return this.#writer.pending;
  }

  /** Stop the process politely, then firmly. Idempotent. */
  stop(timing: StopTiming = DEFAULT_STOP_TIMING): Promise<ExitInfo> {
    this.#stopping ??= this.#stop(timing);
    return this.#stopping;
  }

  async #stop(timing: StopTiming): Promise<ExitInfo> {
    // MCP's shutdown: close stdin, then SIGTERM, then SIGKILL, each to the whole group.
    void this.#writer.close(true);
    if (await wait(this.#child.status, timing.graceMs)) return this.exited;
    signalGroup(this.pid, "SIGTERM");
    if (await wait(this.#child.status, timing.termMs)) return this.exited;
    signalGroup(this.pid, "SIGKILL");
    return this.exited;
  }
}

/** Send a signal to a process group, ignoring "no such process". */
export function signalGroup(pid: number, signal: Deno.Signal): void {
  try {
    Deno.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}

function describeStatus(status: Deno.CommandStatus): ExitInfo {
  if (status.signal) {
    return { code: null, signal: status.signal, description: `killed by ${status.signal}` };
  }
  return { code: status.code, signal: null, description: `exit code ${status.code}` };
}

function describeSpawnError(spec: SpawnSpec, error: unknown): string {
  const reason = error instanceof Error ? error.message : String(error);
  if (error instanceof Deno.errors.NotFound) {
    if (spec.cwd !== undefined) {
      try {
        Deno.statSync(spec.cwd);
      } catch {
        return `working directory "${spec.cwd}" does not exist`;
      }
    }
    return `command "${spec.command}" not found` +
      (spec.command.includes("/") ? "" : " in PATH");
  }
  if (error instanceof Deno.errors.PermissionDenied) {
    return `command "${spec.command}" is not executable (permission denied)`;
  }
  return `command "${spec.command}" could not be started: ${reason}`;
}

interface LineReader {
  /** Resolves when the stream ended, or after `lingerMs` by cancelling it. */
  done(lingerMs: number): Promise<void>;
}

/**
 * Bytes read from a pipe at once. One buffer per stream, read into again and
 * again: the default reader would allocate a fresh 64 KiB `ArrayBuffer` for
 * every read, and that much outside V8's heap forced a full collection every
 * few thousand answers.
 */
const READ_BYTES = 64 * 1024;

function readLines(
  stream: ReadableStream<Uint8Array>,
  maxLineBytes: number,
  emit: (event: LineEvent) => void,
): LineReader {
  const reader = stream.getReader({ mode: "byob" });
  const decoder = new LineDecoder(maxLineBytes);
  const finished = (async () => {
    try {
      let buffer = new Uint8Array(READ_BYTES);
      while (true) {
        const { value, done } = await reader.read(buffer);
        if (done || value === undefined) break;
        // The read took the buffer over; the decoder copies what it keeps, so it is ours again.
        decoder.push(value, emit);
        buffer = new Uint8Array(value.buffer);
      }
      decoder.finish(emit);
    } catch {
      // Cancelled after the process exited, or the pipe broke: either way, done.
    } finally {
      reader.releaseLock();
    }
  })();
  return {
    async done(lingerMs) {
      // A grandchild that escaped the group may hold the pipe open: stop waiting.
      if (!(await wait(finished, lingerMs))) {
        await reader.cancel().catch(() => {});
        await finished;
      }
    },
  };
}
