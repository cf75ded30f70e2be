/**
 * Processes the benchmark starts: each in its own process group, tracked in
 * one registry so that every one of them (and anything it spawned) is
 * stopped on the way out, even on error or Ctrl+C. Also memory readings from
 * /proc.
 *
 * @module
 */

import { processAlive } from "../../tests/_helpers/process.ts";

/** What to do with a child's stdio. */
type Stdio = "piped" | "null";

/** Options of {@link spawn}. */
export interface SpawnOptions {
  cwd?: string;
  env?: Record<string, string>;
  stdin?: Stdio;
  stdout?: Stdio;
  /** Default "piped": kept as a tail for error messages. */
  stderr?: Stdio;
}

/** A process started by the benchmark. */
export class Managed {
  readonly name: string;
  readonly child: Deno.ChildProcess;
  readonly pid: number;
  /** The last stderr lines (for error messages). */
  readonly stderrTail: string[] = [];
  /** Stderr lines that look like warnings or errors (rmcp-mux's WARN/ERROR/FATAL lines). */
  readonly problems: string[] = [];
  /** Resolves with the exit status. */
  readonly status: Promise<Deno.CommandStatus>;
  #exited = false;
  #stopping: Promise<void> | undefined;

  constructor(name: string, child: Deno.ChildProcess, stderrPiped: boolean) {
    this.name = name;
    this.child = child;
    this.pid = child.pid;
    this.status = child.status.then((s) => {
      this.#exited = true;
      return s;
    });
    if (stderrPiped) void this.#drainStderr();
  }

  /** True once the process has exited. */
  get exited(): boolean {
    return this.#exited;
  }

  /** The stderr tail, for an error message. */
  describe(): string {
    const tail = this.stderrTail.slice(-15).join("\n");
    return `${this.name} (pid ${this.pid})${tail ? `; its last stderr lines:\n${tail}` : ""}`;
  }

  async #drainStderr(): Promise<void> {
    const decoder = new TextDecoder();
    let buffered = "";
    try {
      for await (const chunk of this.child.stderr) {
        buffered += decoder.decode(chunk, { stream: true });
        const lines = buffered.split("\n");
        buffered = lines.pop()!;
        for (const line of lines) {
          if (!line) continue;
          if (/ (WARN|ERROR|FATAL) /.test(line) && this.problems.length < 100) {
            this.problems.push(line.slice(0, 500));
          }
          this.stderrTail.push(line.length > 500 ? line.slice(0, 500) + "…" : line);
          if (this.stderrTail.length > 50) this.stderrTail.shift();
        }
      }
    } catch {
      // The process is gone.
    }
  }

  /**
   * Stop it and everything it started: SIGTERM to its group (a mux stops its
   * server on SIGTERM), then SIGKILL to the group and to any descendant left.
   * Idempotent.
   */
  stop(graceMs = 4_000): Promise<void> {
    this.#stopping ??= this.#stop(graceMs);
    return this.#stopping;
  }

  async #stop(graceMs: number): Promise<void> {
    const family = descendants(this.pid);
    if (!this.#exited) {
      signal(-this.pid, "SIGTERM");
      signal(this.pid, "SIGTERM");
      let timeout: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        this.status,
        new Promise((resolve) => timeout = setTimeout(resolve, graceMs)),
      ]);
      clearTimeout(timeout);
    }
    signal(-this.pid, "SIGKILL");
    if (!this.#exited) signal(this.pid, "SIGKILL");
    for (const pid of family) {
      if (processAlive(pid)) {
        signal(-pid, "SIGKILL");
        signal(pid, "SIGKILL");
      }
    }
    await this.status.catch(() => {});
    // Release pipes nobody holds (a client holding one closes it itself).
    try {
      if (!this.child.stdin.locked) await this.child.stdin.close().catch(() => {});
    } catch {
      // Not piped.
    }
    try {
      if (!this.child.stdout.locked) await this.child.stdout.cancel().catch(() => {});
    } catch {
      // Not piped.
    }
    registry.delete(this);
  }
}

const registry = new Set<Managed>();

/** Start a process in its own process group and register it for cleanup. */
export function spawn(
  name: string,
  command: string,
  args: string[],
  options: SpawnOptions = {},
): Managed {
  const stderr = options.stderr ?? "piped";
  const child = new Deno.Command(command, {
    args,
    cwd: options.cwd,
    env: options.env,
    stdin: options.stdin ?? "null",
    stdout: options.stdout ?? "null",
    stderr,
    detached: true,
  }).spawn();
  const managed = new Managed(name, child, stderr === "piped");
  registry.add(managed);
  return managed;
}

/** Stop every process still registered (at exit, on error, on a signal). */
export async function stopAll(): Promise<void> {
  await Promise.all([...registry].map((m) => m.stop(2_000)));
}

/** Processes still registered (for a leak check). */
export function running(): Managed[] {
  return [...registry];
}

function signal(pid: number, sig: Deno.Signal): void {
  try {
    Deno.kill(pid, sig);
  } catch {
    // Already gone.
  }
}

/** Every live descendant of `pid` (children, grandchildren, …), from /proc. */
export function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    let stat: string;
    try {
      stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
    } catch {
      continue;
    }
    // "pid (comm) state ppid …": comm may hold spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ppid = Number(fields[1]);
    const list = children.get(ppid) ?? [];
    list.push(Number(entry.name));
    children.set(ppid, list);
  }
  const out: number[] = [];
  const stack = [pid];
  while (stack.length > 0) {
    for (const child of children.get(stack.pop()!) ?? []) {
      out.push(child);
      stack.push(child);
    }
  }
  return out;
}

/** Resident set size of one process in bytes (VmRSS), or NaN if it is gone. */
export function rssBytes(pid: number): number {
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
    return match ? Number(match[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** Proportional set size (shared pages split among their users), bytes; NaN if unknown. */
export function pssBytes(pid: number): number {
  try {
    const rollup = Deno.readTextFileSync(`/proc/${pid}/smaps_rollup`);
    const match = /^Pss:\s+(\d+) kB/m.exec(rollup);
    return match ? Number(match[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** Resident set size of a process and all its descendants, in bytes. */
export function treeRssBytes(pid: number, read: (pid: number) => number = rssBytes): number {
  let total = read(pid);
  for (const child of descendants(pid)) {
    const value = read(child);
    if (Number.isFinite(value)) total += value;
  }
  return total;
}

/** Proportional set size of a process and all its descendants, in bytes. */
export function treePssBytes(pid: number): number {
  return treeRssBytes(pid, pssBytes);
}

/** CPU time (user + system) a process has used so far, in ms (from /proc/<pid>/stat). */
export function cpuMs(pid: number): number {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // utime and stime are fields 14 and 15 of stat (11 and 12 after the comm).
    return (Number(fields[11]) + Number(fields[12])) * 10; // USER_HZ is 100 on Linux
  } catch {
    return NaN;
  }
}

/** Wait `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Poll until a Unix socket accepts connections. */
export async function waitForSocket(path: string, owner: Managed, timeoutMs = 30_000) {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (owner.exited) throw new Error(`${owner.describe()}\nexited before listening on ${path}`);
    try {
      const conn = await Deno.connect({ transport: "unix", path });
      conn.close();
      return;
    } catch {
      await sleep(20);
    }
  }
  throw new Error(`${owner.describe()}\ndid not listen on ${path} within ${timeoutMs} ms`);
}

/** Poll until a TCP port on 127.0.0.1 accepts connections. */
export async function waitForPort(port: number, owner: Managed, timeoutMs = 30_000) {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (owner.exited) throw new Error(`${owner.describe()}\nexited before listening on ${port}`);
    try {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      conn.close();
      return;
    } catch {
      await sleep(25);
    }
  }
  throw new Error(`${owner.describe()}\ndid not listen on port ${port} within ${timeoutMs} ms`);
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}
