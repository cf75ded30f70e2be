/**
 * The isolation mode a well-known MCP server needs when it is shared, from
 * its command line alone. Pure: `scan` shows it, the wizard pre-selects by
 * it, and the isolation work (per-roots and per-client processes) reuses it.
 *
 * - `roots`: the server serves files (or a repository) under the roots a
 *   client gives it, so clients with different roots need different processes.
 * - `client`: the server keeps state that belongs to one client — a browser
 *   session, a shell — so every client gets its own process.
 * - `shared`: one process serves everyone.
 *
 * @module
 */

/** How a shared server is split between clients. */
export type IsolationMode = "shared" | "roots" | "client";

/** The mode, and a sentence a person can read saying why. */
export interface IsolationAdvice {
  mode: IsolationMode;
  reason: string;
}

interface KnownServer {
  /** Matched against the package or program name, without a version. */
  readonly match: RegExp;
  readonly mode: Exclude<IsolationMode, "shared">;
  readonly reason: string;
}

const FILES = "serves files under each client's roots";
const GIT = "works on the repository under each client's roots";
const BROWSER = "drives a browser whose pages and logins belong to one client";
const SHELL = "runs commands in a shell session that belongs to one client";

// Package names as npm, PyPI and Docker Hub know them; checked against each
// project's README (the reference servers: github.com/modelcontextprotocol/servers).
const KNOWN: readonly KnownServer[] = [
  { match: /^@modelcontextprotocol\/server-filesystem$/, mode: "roots", reason: FILES },
  {
    match: /^(mcp-server-filesystem|mcp\/filesystem|filesystem-mcp)$/,
    mode: "roots",
    reason: FILES,
  },
  { match: /^@modelcontextprotocol\/server-git$/, mode: "roots", reason: GIT },
  {
    match: /^(mcp-server-git|mcp\/git|git-mcp-server|@cyanheads\/git-mcp-server)$/,
    mode: "roots",
    reason: GIT,
  },
  { match: /^@playwright\/mcp$/, mode: "client", reason: BROWSER },
  {
    match: /^(mcp\/playwright|playwright-mcp|@executeautomation\/playwright-mcp-server)$/,
    mode: "client",
    reason: BROWSER,
  },
  { match: /^@modelcontextprotocol\/server-puppeteer$/, mode: "client", reason: BROWSER },
  {
    match: /^(mcp\/puppeteer|puppeteer-mcp-server|@hisma\/server-puppeteer)$/,
    mode: "client",
    reason: BROWSER,
  },
  {
    match:
      /^(chrome-devtools-mcp|@browsermcp\/mcp|@browserbasehq\/mcp(-server-browserbase)?|mcp-server-browserbase)$/,
    mode: "client",
    reason: BROWSER,
  },
  {
    match: /^(browser-use-mcp|mcp-browser-use|@agent-infra\/mcp-server-browser)$/,
    mode: "client",
    reason: BROWSER,
  },
  {
    match:
      /^(mcp-server-shell|mcp-shell-server|mcp-shell|shell-mcp-server|iterm-mcp|@wonderwhy-er\/desktop-commander|desktop-commander)$/,
    mode: "client",
    reason: SHELL,
  },
];

/** Launchers whose first non-flag argument is the package they run. */
const RUNNERS: Readonly<Record<string, readonly string[]>> = {
  npx: [],
  bunx: [],
  uvx: [],
  pnpx: [],
  "pipx": ["run"],
  pnpm: ["dlx", "exec"],
  yarn: ["dlx"],
  bun: ["x"],
  uv: ["tool", "run"],
  deno: ["run"],
};

/** Flags of the launchers above that take a value (so the value is not the package). */
const FLAGS_WITH_VALUE = new Set([
  "-p",
  "--package",
  "--from",
  "--with",
  "--python",
  "-c",
  "--call",
  "--registry",
  "--cache",
  "--config",
  "--env-file",
  "--name",
  "-e",
  "--env",
  "-v",
  "--volume",
  "--network",
  "--entrypoint",
  "-w",
  "--workdir",
  "-u",
  "--user",
  "--mount",
]);

/**
 * The names a command line could be running: the package a launcher (npx,
 * uvx, `docker run`…) starts, and the program itself. Versions (`@1.2.3`,
 * `==1.0`, `:latest`) and `npm:`/`jsr:` prefixes are dropped.
 */
export function programNames(command: string, args: readonly string[]): string[] {
  const names = new Set<string>();
  const base = basename(command);
  names.add(base);
  if (base === "docker" || base === "podman") {
    const run = args.indexOf("run");
    if (run !== -1) {
      const image = firstPositional(args.slice(run + 1));
      if (image !== undefined) names.add(withoutVersion(image.replace(/^docker\.io\//, "")));
    }
  } else if (base in RUNNERS) {
    let rest = [...args];
    for (const sub of RUNNERS[base]!) {
      if (rest[0] === sub) rest = rest.slice(1);
    }
    const pkg = firstPositional(rest);
    if (pkg !== undefined) names.add(withoutVersion(pkg.replace(/^(npm|jsr):/, "")));
  } else if (base === "node" || base === "python" || base === "python3") {
    // node /…/node_modules/@scope/pkg/dist/index.js, python -m pkg
    const m = args.indexOf("-m");
    if (m !== -1 && args[m + 1]) names.add(args[m + 1]!.replaceAll("_", "-"));
    for (const arg of args) {
      const found = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(arg);
      if (found) names.add(found[1]!);
    }
  }
  return [...names];
}

/**
 * The isolation mode a server should run with, from its command line.
 *
 * @example
 * ```ts
 * import { isolationFor } from "./known_servers.ts";
 *
 * isolationFor("npx", ["-y", "@playwright/mcp@latest"]).mode; // "client"
 * isolationFor("npx", ["-y", "@modelcontextprotocol/server-filesystem", "/src"]).mode; // "roots"
 * isolationFor("npx", ["-y", "@modelcontextprotocol/server-memory"]).mode; // "shared"
 * ```
 */
export function isolationFor(command: string, args: readonly string[]): IsolationAdvice {
  const names = programNames(command, args);
  for (const known of KNOWN) {
    if (names.some((n) => known.match.test(n))) return { mode: known.mode, reason: known.reason };
  }
  return { mode: "shared", reason: "keeps no per-client state the mux cannot separate" };
}

function basename(path: string): string {
  const name = path.replace(/\\/g, "/").split("/").pop() ?? path;
  return name.replace(/\.(exe|cmd|bat)$/i, "");
}

function firstPositional(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") return args[i + 1];
    if (arg.startsWith("-")) {
      if (!arg.includes("=") && FLAGS_WITH_VALUE.has(arg)) i++;
      continue;
    }
    return arg;
  }
  return undefined;
}

function withoutVersion(name: string): string {
  // @scope/pkg@1.2.3, pkg@latest, pkg==1.0, image:tag, pkg[extra]
  const at = name.indexOf("@", name.startsWith("@") ? 1 : 0);
  let out = at === -1 ? name : name.slice(0, at);
  out = out.replace(/(==|>=|<=|~=).*$/, "").replace(/\[.*\]$/, "");
  const colon = out.lastIndexOf(":");
  if (colon > out.lastIndexOf("/")) out = out.slice(0, colon);
  return out;
}
