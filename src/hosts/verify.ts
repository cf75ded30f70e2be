/**
 * Checking a rewired entry the way its host will use it: run the entry's
 * own command (the proxy) or call its own URL with the headers the host
 * would send, and complete a real MCP handshake through it.
 *
 * @module
 */

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { isObject } from "./adapters/common.ts";
import type { TokenRef } from "./types.ts";

/** What a check found. */
export interface VerifyResult {
  ok: boolean;
  /** The server's name and version on success, else what went wrong. */
  detail: string;
}

/** The headers an HTTP entry makes its host send (a headersHelper is run as the host runs it). */
export async function headersOf(
  entry: Record<string, unknown>,
  token: TokenRef,
  env: Record<string, string | undefined>,
): Promise<Record<string, string>> {
  const headers: Record<string, string> = {};
  if (isObject(entry.headers)) {
    for (const [k, v] of Object.entries(entry.headers)) {
      if (typeof v === "string") headers[k] = await resolveRefs(v, token, env);
    }
  }
  if (typeof entry.bearer_token_env_var === "string") {
    headers.Authorization = `Bearer ${await tokenValue(entry.bearer_token_env_var, token, env)}`;
  }
  if (typeof entry.headersHelper === "string") {
    const out = await new Deno.Command("sh", {
      args: ["-c", entry.headersHelper],
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).output();
    if (!out.success) throw new Error("its headersHelper failed (is the HTTP token file there?)");
    Object.assign(headers, JSON.parse(new TextDecoder().decode(out.stdout)));
  }
  return headers;
}

/** The token as the host would read it: its variable, else (here only) the token file. */
async function tokenValue(
  name: string,
  token: TokenRef,
  env: Record<string, string | undefined>,
): Promise<string> {
  const value = env[name];
  if (value) return value;
  return (await Deno.readTextFile(token.file)).trim();
}

async function resolveRefs(
  value: string,
  token: TokenRef,
  env: Record<string, string | undefined>,
): Promise<string> {
  const m = /\$\{(?:env:)?([A-Za-z_][A-Za-z0-9_]*)\}/.exec(value);
  if (!m) return value;
  return value.replace(m[0], await tokenValue(m[1]!, token, env));
}

/** The URL key of an HTTP entry, whatever the host calls it. */
export function urlOf(entry: Record<string, unknown>): string | undefined {
  for (const key of ["url", "httpUrl", "serverUrl"]) {
    if (typeof entry[key] === "string") return entry[key] as string;
  }
  return undefined;
}

/**
 * Handshake through the entry: `initialize`, `notifications/initialized`
 * and a `ping`, within `timeoutMs`.
 */
export async function verifyEntry(
  entry: Record<string, unknown>,
  token: TokenRef,
  env: Record<string, string | undefined>,
  timeoutMs = 60_000,
): Promise<VerifyResult> {
  const client = new Client({ name: "rmcp-mux-wizard", version: "1" });
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const url = urlOf(entry);
    const transport = url !== undefined
      ? new StreamableHTTPClientTransport(new URL(url), {
        requestInit: { headers: await headersOf(entry, token, env) },
      })
      : new StdioClientTransport({
        command: String(entry.command),
        args: (entry.args as string[] | undefined) ?? [],
        env: Object.fromEntries(
          Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined),
        ),
        stderr: "ignore",
      });
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no handshake within ${timeoutMs / 1000} s`)),
        timeoutMs,
      );
    });
    await Promise.race([client.connect(transport).then(() => client.ping()), timeout]);
    const info = client.getServerVersion();
    return { ok: true, detail: info ? `${info.name} ${info.version}` : "handshake OK" };
  } catch (error) {
    return { ok: false, detail: (error as Error).message.split("\n")[0]! };
  } finally {
    clearTimeout(timer);
    await client.close().catch(() => {});
  }
}
