/**
 * A program running in a real terminal: a private tmux server (its own
 * socket, no user config), keys sent with send-keys, the screen read with
 * capture-pane.
 */

/** One tmux session running one command; disposing it kills the tmux server. */
export class TmuxSession implements AsyncDisposable {
  readonly #socket: string;
  readonly #dir: string;

  readonly #exitFile: string;

  private constructor(dir: string) {
    this.#dir = dir;
    this.#socket = `${dir}/tmux.sock`;
    this.#exitFile = `${dir}/exit-status`;
  }

  /** Start `command` (argv, no shell) in a `width`×`height` terminal. */
  static async start(
    command: string[],
    options: { width?: number; height?: number; cwd?: string } = {},
  ): Promise<TmuxSession> {
    const dir = await Deno.makeTempDir({ prefix: "rmcp-mux-tmux-" });
    const session = new TmuxSession(dir);
    // Keep the pane after the program exits, so its last screen can be read.
    await Deno.writeTextFile(`${dir}/tmux.conf`, "set -g remain-on-exit on\n");
    await session.#tmux(
      "-f",
      `${dir}/tmux.conf`,
      "new-session",
      "-d",
      "-x",
      String(options.width ?? 120),
      "-y",
      String(options.height ?? 30),
      ...(options.cwd ? ["-c", options.cwd] : []),
      // tmux does not always reap its pane's process (it can stay a zombie with no status), so a
      // small shell records the exit code. The command goes in as arguments: nothing is quoted.
      "sh",
      "-c",
      '"$@"; echo "$?" > "$0"',
      session.#exitFile,
      ...command,
    );
    return session;
  }

  /** Type keys (tmux key names: `Down`, `Escape`, or plain characters). */
  async sendKeys(...keys: string[]): Promise<void> {
    await this.#tmux("send-keys", "-t", "0", ...keys);
  }

  /** The screen as text. */
  async capture(): Promise<string> {
    return await this.#tmux("capture-pane", "-p", "-t", "0");
  }

  /**
   * Wait until the screen matches (checked every 50 ms; tmux has no event for
   * "the screen changed"). Throws with the last screen after `timeoutMs`.
   */
  async waitFor(pattern: RegExp, timeoutMs = 60_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let screen = "";
    while (Date.now() < deadline) {
      screen = await this.capture();
      if (pattern.test(screen)) return screen;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`the screen never matched ${pattern}; it shows:\n${screen}`);
  }

  /** Wait for the program to exit; its exit status. */
  async exitStatus(timeoutMs = 60_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const text = await Deno.readTextFile(this.#exitFile).catch(() => "");
      if (text.endsWith("\n")) return Number(text.trim());
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`the program did not exit; the screen shows:\n${await this.capture()}`);
  }

  async #tmux(...args: string[]): Promise<string> {
    const out = await new Deno.Command("tmux", {
      args: ["-S", this.#socket, ...args],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) {
      throw new Error(`tmux ${args[0]} failed: ${new TextDecoder().decode(out.stderr).trim()}`);
    }
    return new TextDecoder().decode(out.stdout);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.#tmux("kill-server").catch(() => "");
    await Deno.remove(this.#dir, { recursive: true }).catch(() => {});
  }
}
