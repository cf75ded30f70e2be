/**
 * Temporary places for tests, removed with `await using`: a directory, and a
 * sandbox whose runtime and state directories (XDG) are its own, so a daemon
 * started in it never meets the user's.
 */

/** A temporary directory (its path), removed with everything in it. */
export async function tempDir(prefix: string): Promise<string & AsyncDisposable> {
  const dir = await Deno.makeTempDir({ prefix });
  return Object.assign(dir, {
    [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }).catch(() => {}),
  }) as string & AsyncDisposable;
}

/** A temporary directory with private `run/` and `state/` directories, and the env naming them. */
export interface Sandbox extends AsyncDisposable {
  dir: string;
  env: Record<string, string>;
}

/** A {@link Sandbox}: `XDG_RUNTIME_DIR=<dir>/run` (0700), `XDG_STATE_HOME=<dir>/state`. */
export async function sandbox(prefix: string): Promise<Sandbox> {
  const dir = await Deno.makeTempDir({ prefix });
  await Deno.mkdir(`${dir}/run`, { mode: 0o700 });
  return {
    dir,
    env: { XDG_RUNTIME_DIR: `${dir}/run`, XDG_STATE_HOME: `${dir}/state` },
    [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }).catch(() => {}),
  };
}
