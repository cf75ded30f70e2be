/**
 * Where rmcp-mux keeps what the user did not name: runtime files (sockets)
 * and state (the HTTP token, the daemon's log). Pure: callers pass the
 * environment, so tests and every command agree on the same answer.
 *
 * @module
 */

/** The environment variables that decide the directories. */
export interface DirsEnv {
  /** Home directory: the fallback for both directories. */
  readonly HOME?: string;
  /** Per-user runtime directory (sockets); ignored unless absolute. */
  readonly XDG_RUNTIME_DIR?: string;
  /** Per-user state directory (logs, tokens); ignored unless absolute. */
  readonly XDG_STATE_HOME?: string;
}

/** The XDG spec ignores relative paths: only an absolute value counts. */
function absolute(value: string | undefined): string | undefined {
  return value !== undefined && value.startsWith("/")
    ? value.replace(/\/+$/, "") || "/"
    : undefined;
}

function home(env: DirsEnv): string {
  const value = absolute(env.HOME);
  if (value === undefined) {
    throw new Error(
      "HOME is not set to an absolute path: set HOME (or XDG_RUNTIME_DIR/XDG_STATE_HOME)",
    );
  }
  return value;
}

/**
 * Runtime directory for sockets nobody named: `$XDG_RUNTIME_DIR/rmcp-mux`, else
 * `~/.rmcp-mux/run`. Created `0700` by whoever first needs it.
 *
 * @example
 * ```ts
 * import { runtimeDir } from "./dirs.ts";
 *
 * runtimeDir({ XDG_RUNTIME_DIR: "/run/user/1000" }); // "/run/user/1000/rmcp-mux"
 * runtimeDir({ HOME: "/home/ada" }); // "/home/ada/.rmcp-mux/run"
 * ```
 */
export function runtimeDir(env: DirsEnv): string {
  const xdg = absolute(env.XDG_RUNTIME_DIR);
  return xdg !== undefined ? `${xdg}/rmcp-mux` : `${home(env)}/.rmcp-mux/run`;
}

/**
 * State directory (HTTP token, daemon log, records of rewired hosts):
 * `$XDG_STATE_HOME/rmcp-mux`, else `~/.local/state/rmcp-mux`. Created `0700`.
 *
 * @example
 * ```ts
 * import { stateDir } from "./dirs.ts";
 *
 * stateDir({ HOME: "/home/ada" }); // "/home/ada/.local/state/rmcp-mux"
 * stateDir({ XDG_STATE_HOME: "/st" }); // "/st/rmcp-mux"
 * ```
 */
export function stateDir(env: DirsEnv): string {
  const xdg = absolute(env.XDG_STATE_HOME);
  return xdg !== undefined ? `${xdg}/rmcp-mux` : `${home(env)}/.local/state/rmcp-mux`;
}
