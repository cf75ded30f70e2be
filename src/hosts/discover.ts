/**
 * Finding every host config file on the machine and every server entry in
 * them. Reads files; never writes.
 *
 * @module
 */

import { parse as parseToml } from "smol-toml";
import { adapterFor, adapterOf, ADAPTERS } from "./adapters/mod.ts";
import { isObject } from "./adapters/common.ts";
import { ParseFailure, parseJsonc, valueAt } from "./json_entry.ts";
import { NotShareable, type ServiceDef, serviceDefOf } from "./translate.ts";
import type {
  Classified,
  DiscoverEnv,
  FileFormat,
  HostAdapter,
  HostId,
  Location,
} from "./types.ts";

/** A file read for its servers. */
export type FileRead =
  | { status: "missing" }
  | { status: "broken"; error: string }
  | { status: "ok"; text: string; value: unknown };

/** Read and parse a host file. A file that does not parse is reported, never guessed at. */
export async function readHostFile(file: string, format: FileFormat): Promise<FileRead> {
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return { status: "missing" };
    if (error instanceof Deno.errors.IsADirectory) return { status: "missing" };
    return { status: "broken", error: `cannot read it: ${(error as Error).message}` };
  }
  return parseHostText(text, format);
}

/** Parse a host file's text. */
export function parseHostText(text: string, format: FileFormat): FileRead {
  try {
    if (format === "toml") return { status: "ok", text, value: parseToml(text) };
    return { status: "ok", text, value: parseJsonc(text).value ?? {} };
  } catch (error) {
    if (error instanceof ParseFailure) {
      return { status: "broken", error: `does not parse: ${error.message}` };
    }
    const e = error as { line?: number; column?: number; message: string };
    const where = typeof e.line === "number" ? `line ${e.line}, column ${e.column}: ` : "";
    const message = e.message.split("\n")[0]!.replace(/^Invalid TOML document: /, "");
    return { status: "broken", error: `does not parse: ${where}${message}` };
  }
}

/** How an entry already points at rmcp-mux. */
export interface MuxLink {
  via: "proxy" | "http";
  /** The socket a proxy entry names. */
  socket?: string;
  /** The URL an HTTP entry names. */
  url?: string;
  /** The service, when the entry names it (`--service`, or the URL's last part). */
  service?: string;
}

/** One server entry in one host file. */
export interface FoundEntry {
  location: Location;
  name: string;
  value: unknown;
  classified: Classified;
  /** For a shareable stdio entry: the service it becomes. */
  def?: ServiceDef;
  /** Why a stdio entry cannot be shared. */
  notShareable?: string;
  /** Set when the entry already goes through rmcp-mux. */
  mux?: MuxLink;
}

/** One host file found. */
export interface FoundFile {
  host: HostId;
  file: string;
  format: FileFormat;
  status: "ok" | "broken";
  error?: string;
  locations: Location[];
}

/** Everything found. */
export interface Discovery {
  files: FoundFile[];
  entries: FoundEntry[];
  projects: string[];
  /** The text each file had when read (what a rewire edits). */
  texts: Map<string, string>;
}

const MUX_PROGRAMS =
  /^(rmcp-mux|rmcp-mux-proxy|rmcp_mux|rmcp_mux_proxy|mcp_mux_proxy|rust-mux-proxy)$/;

/** Does this stdio launch or URL go through rmcp-mux? */
export function muxLinkOf(classified: Classified): MuxLink | undefined {
  if (classified.kind === "stdio") {
    const { command, args } = classified.launch;
    const program = command.split("/").pop() ?? "";
    const viaDeno = /^deno(\.exe)?$/.test(program) &&
      args.some((a, i) => /(^|\/)main\.ts$/.test(a) && args[i + 1] === "proxy");
    if (!MUX_PROGRAMS.test(program) && !viaDeno) return undefined;
    const flag = (name: string) => {
      const at = args.indexOf(name);
      return at === -1 ? undefined : args[at + 1];
    };
    const socket = flag("--socket");
    if (socket === undefined) return undefined;
    const service = flag("--service");
    return { via: "proxy", socket, ...(service ? { service } : {}) };
  }
  if (classified.kind === "remote") {
    const m = /^http:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\]):\d+\/mcp\/([^/?#]+)\/?$/.exec(
      classified.url,
    );
    if (m) return { via: "http", url: classified.url, service: decodeURIComponent(m[2]!) };
  }
  return undefined;
}

/** The entries of one map in one parsed file. */
export function entriesAt(location: Location, value: unknown): FoundEntry[] {
  const adapter = adapterFor(location);
  const map = valueAt(value, location.container);
  if (!isObject(map)) return [];
  const out: FoundEntry[] = [];
  for (const [name, entry] of Object.entries(map)) {
    const classified = adapter.classify(entry);
    const found: FoundEntry = { location, name, value: entry, classified };
    const mux = muxLinkOf(classified);
    if (mux) found.mux = mux;
    else if (classified.kind === "stdio") {
      try {
        found.def = serviceDefOf(classified.launch, adapter.variables, {
          ...(location.project ? { project: location.project } : {}),
        });
      } catch (error) {
        if (!(error instanceof NotShareable)) throw error;
        found.notShareable = error.message;
      }
    }
    out.push(found);
  }
  return out;
}

/** What discovery looks at. */
export interface DiscoverOptions {
  env: DiscoverEnv;
  /** Project directories to look in besides those the hosts name (e.g. the current one). */
  projects: string[];
  /** Only these hosts (default: all). */
  hosts?: readonly HostAdapter[];
  /** Exactly these locations, instead of the hosts' own (`--path`). */
  locations?: Location[];
}

/** Find every host file and every entry in them. */
export async function discover(options: DiscoverOptions): Promise<Discovery> {
  const adapters = options.hosts ?? ADAPTERS;
  const files = new Map<string, FoundFile>();
  const entries: FoundEntry[] = [];
  const texts = new Map<string, string>();
  const projects = new Set<string>(options.projects.map((p) => p.replace(/\/+$/, "") || "/"));
  const visit = async (locations: Location[]) => {
    for (const location of locations) {
      const key = `${location.host}\0${location.file}`;
      if (files.has(key)) continue;
      const read = await readHostFile(location.file, location.format);
      if (read.status === "missing") continue;
      const found: FoundFile = {
        host: location.host,
        file: location.file,
        format: location.format,
        status: read.status,
        locations: [location],
        ...(read.status === "broken" ? { error: read.error } : {}),
      };
      files.set(key, found);
      if (read.status !== "ok") continue;
      texts.set(location.file, read.text);
      const adapter = adapterOf(location.host);
      const expanded = adapter?.expand?.(location, read.value) ?? { locations: [], projects: [] };
      found.locations.push(...expanded.locations);
      for (const p of expanded.projects) projects.add(p);
      for (const loc of found.locations) entries.push(...entriesAt(loc, read.value));
    }
  };
  if (options.locations) {
    await visit(options.locations);
  } else {
    await visit(adapters.flatMap((a) => a.userFiles(options.env)));
    const dirs = [...projects].sort();
    await visit(dirs.flatMap((dir) => adapters.flatMap((a) => a.projectFiles(dir))));
  }
  return { files: [...files.values()], entries, projects: [...projects].sort(), texts };
}

/** The discovery environment of this process. */
export function discoverEnv(
  env: Record<string, string | undefined> = Deno.env.toObject(),
): DiscoverEnv {
  const home = env.HOME;
  if (!home || !home.startsWith("/")) {
    throw new Error("HOME is not set to an absolute path: set HOME to find the hosts' files");
  }
  return {
    HOME: home.replace(/\/+$/, ""),
    XDG_CONFIG_HOME: env.XDG_CONFIG_HOME,
    CODEX_HOME: env.CODEX_HOME,
    CLAUDE_CONFIG_DIR: env.CLAUDE_CONFIG_DIR,
    platform: Deno.build.os,
  };
}

/** A label for a location: `Claude Code (user)`, `Cursor (project /src/app)`. */
export function describeLocation(location: Location): string {
  const label = adapterOf(location.host)?.label ?? location.host;
  const scope = location.scope === "user" ? "user" : `${location.scope} ${location.project}`;
  return `${label} (${scope})`;
}
