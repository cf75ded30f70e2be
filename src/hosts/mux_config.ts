/**
 * The daemon's config file as rewiring sees it: which services exist (their
 * command lines and sockets), whether the HTTP listener is on, and adding
 * services to it without disturbing what is there (comments included).
 *
 * The file is read as plain data rather than through the full validation:
 * rewiring must work on a file that is still being written, and on keys
 * (`daemon.http`) newer than this reader.
 *
 * @module
 */

import { Document, isMap, isSeq, parseDocument } from "yaml";
import { applyEdits, modify } from "jsonc-parser";
import { type ConfigFormat, formatOf, readSource } from "../config/formats.ts";
import { contextFrom, expandValue } from "../config/expand.ts";
import { splitCommandLine } from "../config/command_line.ts";
import { isObject } from "./adapters/common.ts";
import { secretsOf, unifiedDiff } from "./diff.ts";
import { secretArgs } from "./secret_args.ts";
import { formattingOf } from "./json_entry.ts";
import { tomlKey, tomlValue } from "./toml_scan.ts";
import type { ServiceDef } from "./translate.ts";

/** A service of the config, as written and with its socket resolved. */
export interface ConfiguredService {
  def: ServiceDef;
  /** The socket path, expanded (as the daemon will bind it). */
  socket: string;
}

/** What rewiring needs from the daemon's config. */
export interface MuxConfigView {
  path: string;
  exists: boolean;
  format: ConfigFormat;
  text: string;
  services: Map<string, ConfiguredService>;
  /**
   * `daemon.http.listen` (e.g. `127.0.0.1:7300`), when the HTTP listener is configured on a
   * fixed port (port 0 changes at every start, so hosts cannot be pointed at it).
   */
  httpListen?: string;
  /** True when `daemon.http.listen` asks for port 0. */
  httpPortZero?: boolean;
}

/** Read the daemon config at `path` (a missing file is an empty config). */
export async function readMuxConfig(
  path: string,
  env: Record<string, string | undefined>,
): Promise<MuxConfigView> {
  const format = formatOf(path);
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    return { path, exists: false, format, text: "", services: new Map() };
  }
  return viewOf(path, text, env);
}

/** The view of a config file's text. Throws the parser's error for a file that does not parse. */
export function viewOf(
  path: string,
  text: string,
  env: Record<string, string | undefined>,
): MuxConfigView {
  const format = formatOf(path);
  const value = text.trim() === "" ? {} : readSource(text, path).value;
  const ctx = contextFrom(env, env.HOME);
  const expand = (raw: string) => {
    try {
      return expandValue(raw, ctx);
    } catch {
      return raw;
    }
  };
  const services = new Map<string, ConfiguredService>();
  const servers = isObject(value) && isObject(value.servers) ? value.servers : {};
  for (const [name, entry] of Object.entries(servers)) {
    if (!isObject(entry) || typeof entry.cmd !== "string" || typeof entry.socket !== "string") {
      continue;
    }
    let cmd = entry.cmd;
    let args = Array.isArray(entry.args) ? entry.args.map(String) : [];
    if (entry.args === undefined && /\s/.test(cmd)) {
      try {
        [cmd, ...args] = splitCommandLine(cmd) as [string, ...string[]];
      } catch {
        // Left as written; the daemon will say what is wrong.
      }
    }
    const env: Record<string, string> = {};
    if (isObject(entry.env)) { for (const [k, v] of Object.entries(entry.env)) env[k] = String(v); }
    services.set(name, {
      def: { cmd, args, env, ...(typeof entry.cwd === "string" ? { cwd: entry.cwd } : {}) },
      socket: expand(entry.socket),
    });
  }
  const daemon = isObject(value) && isObject(value.daemon) ? value.daemon : undefined;
  const http = daemon && isObject(daemon.http) ? daemon.http : undefined;
  const configured = typeof http?.listen === "string" ? expand(http.listen) : undefined;
  // Port 0 is a new port at every start: a host file cannot follow it, so hosts get the proxy.
  const listen = configured !== undefined && !/:0$/.test(configured) ? configured : undefined;
  return {
    path,
    exists: true,
    format,
    text,
    services,
    ...(listen ? { httpListen: listen } : {}),
    ...(configured !== undefined && listen === undefined ? { httpPortZero: true } : {}),
  };
}

/** The URL of service `name` on the HTTP listener `listen`. */
export function httpUrlOf(listen: string, name: string): string {
  let hostPort = listen.replace(/^https?:\/\//, "").replace(/\/.*$/, "");
  // A wildcard address is reached on loopback.
  hostPort = hostPort.replace(/^0\.0\.0\.0:/, "127.0.0.1:").replace(/^\[::\]:/, "[::1]:");
  if (/^:?\d+$/.test(hostPort)) hostPort = `127.0.0.1:${hostPort.replace(":", "")}`;
  return `http://${hostPort}/mcp/${encodeURIComponent(name)}`;
}

/** A service to add: its name, definition and socket. */
export interface NewService {
  name: string;
  def: ServiceDef;
  socket: string;
}

const HEADER = "rmcp-mux configuration (see config.example.yaml for every key).\n" +
  "Services below were added by `rmcp-mux scan --write-config` / `rewire` from your MCP hosts.";

function entryOf(service: NewService): Record<string, unknown> {
  const { def } = service;
  return {
    socket: service.socket,
    cmd: def.cmd,
    // Written even when empty: without args, a cmd with spaces would be split.
    args: def.args,
    ...(def.cwd !== undefined ? { cwd: def.cwd } : {}),
    ...(Object.keys(def.env).length > 0 ? { env: def.env } : {}),
  };
}

/** `view`'s text with `services` added under `servers:`; everything else as it was. */
export function addServices(view: MuxConfigView, services: readonly NewService[]): string {
  if (services.length === 0) return view.text;
  switch (view.format) {
    case "yaml":
      return addYaml(view.text, services);
    case "json":
      return addJson(view.text, services);
    case "toml":
      return addToml(view.text, services);
  }
}

function addYaml(text: string, services: readonly NewService[]): string {
  const doc = text.trim() === "" ? new Document({}) : parseDocument(text);
  if (text.trim() === "") doc.commentBefore = " " + HEADER.replaceAll("\n", "\n ");
  for (const service of services) {
    const node = doc.createNode(entryOf(service));
    if (isMap(node)) {
      for (const pair of node.items) {
        if (isSeq(pair.value)) pair.value.flow = true;
      }
    }
    doc.setIn(["servers", service.name], node);
  }
  return doc.toString({ lineWidth: 0 });
}

function addJson(text: string, services: readonly NewService[]): string {
  if (text.trim() === "") {
    const servers = Object.fromEntries(services.map((s) => [s.name, entryOf(s)]));
    return JSON.stringify({ servers }, null, 2) + "\n";
  }
  const formattingOptions = formattingOf(text);
  let out = text;
  for (const service of services) {
    out = applyEdits(
      out,
      modify(out, ["servers", service.name], entryOf(service), { formattingOptions }),
    );
  }
  return out;
}

function addToml(text: string, services: readonly NewService[]): string {
  const eol = text.includes("\r\n") ? "\r\n" : "\n";
  let out = text === "" ? `# ${HEADER.replaceAll("\n", `${eol}# `)}${eol}` : text;
  if (!out.endsWith("\n")) out += eol;
  for (const service of services) {
    const { env, ...rest } = entryOf(service) as Record<string, unknown> & { env?: object };
    out += `${eol}[servers.${tomlKey(service.name)}]${eol}`;
    for (const [k, v] of Object.entries(rest)) out += `${k} = ${tomlValue(v)}${eol}`;
    if (env) {
      out += `${eol}[servers.${tomlKey(service.name)}.env]${eol}`;
      for (const [k, v] of Object.entries(env)) out += `${tomlKey(k)} = ${tomlValue(v)}${eol}`;
    }
  }
  return out;
}

/**
 * The dry-run diff of the daemon's config: the new services' env values and
 * every secret-looking value of the file before and after (a neighbour's env
 * in a context line, arguments such as `--api-key VALUE`) shown as `***`.
 */
export function configDiff(
  config: MuxConfigView,
  after: string,
  fresh: readonly { def: ServiceDef }[],
): string {
  const parsed = (text: string): unknown => {
    try {
      return text.trim() === "" ? {} : readSource(text, config.path).value;
    } catch {
      return {};
    }
  };
  const secrets = [
    ...fresh.flatMap((s) => [...Object.values(s.def.env), ...secretArgs(s.def.args)]),
    ...secretsOf(parsed(config.text)),
    ...secretsOf(parsed(after)),
  ];
  return unifiedDiff(config.path, config.text, after, secrets);
}
