/**
 * The HTTP bearer token: 256 random bits, generated on first use into a file
 * only its owner can read (`0600`, in a `0700` directory), read back on every
 * later start. `rmcp-mux http token` prints it for host configs.
 *
 * @module
 */

import { ensurePrivateDir } from "../paths/private_dir.ts";
import { type DirsEnv, stateDir } from "../paths/dirs.ts";

/** The token file's name in the state directory. */
export const TOKEN_FILE_NAME = "http.token";

/** The token file cannot be used; the message says why and what to do. */
export class TokenFileError extends Error {
  /** Always `"TokenFileError"`. */
  override name = "TokenFileError";
}

/** The token file nobody named: `<state dir>/http.token`. */
export function defaultTokenFile(env: DirsEnv): string {
  try {
    return `${stateDir(env)}/${TOKEN_FILE_NAME}`;
  } catch (error) {
    throw new TokenFileError(
      `cannot place the HTTP token file: ${(error as Error).message} (or name the file ` +
        "with daemon.http.token_file)",
    );
  }
}

/** A fresh token: 32 random bytes, base64url (43 characters). */
export function generateToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_")
    .replace(/=+$/, "");
}

/**
 * Read the token at `path`, creating it (and its directory, `0700`) when it
 * does not exist yet. A file others may read is refused, and so is an empty
 * one or one with characters a header cannot carry.
 */
export async function loadOrCreateToken(path: string): Promise<string> {
  const existing = await readToken(path);
  if (existing !== undefined) return existing;
  const dir = path.slice(0, path.lastIndexOf("/")) || "/";
  await ensurePrivateDir(dir, "state");
  const token = generateToken();
  try {
    await Deno.writeTextFile(path, token + "\n", { mode: 0o600, createNew: true });
    await Deno.chmod(path, 0o600);
    return token;
  } catch (error) {
    // Another process created it first: use theirs.
    if (error instanceof Deno.errors.AlreadyExists) {
      const theirs = await readToken(path);
      if (theirs !== undefined) return theirs;
    }
    throw new TokenFileError(
      `cannot create the HTTP token file ${path}: ${(error as Error).message}`,
    );
  }
}

/** The token at `path`, or `undefined` when the file does not exist. */
export async function readToken(path: string): Promise<string | undefined> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw new TokenFileError(
      `cannot read the HTTP token file ${path}: ${(error as Error).message}`,
    );
  }
  // Others may not read it, nor anyone but its owner write it. (Group read is allowed: a
  // Kubernetes Secret mounted for a non-root user with fsGroup is 0440.)
  if (info.mode !== null && (info.mode & 0o026) !== 0) {
    throw new TokenFileError(
      `the HTTP token file ${path} may be read or changed by others (mode ${
        (info.mode & 0o777).toString(8)
      }): run chmod 600 ${path}`,
    );
  }
  const token = (await Deno.readTextFile(path)).trim();
  if (!/^[\x21-\x7e]+$/.test(token)) {
    throw new TokenFileError(
      `the HTTP token file ${path} is empty or holds characters a header cannot carry; ` +
        "delete it to have a new token generated",
    );
  }
  return token;
}
