/**
 * The vocabulary of host rewiring: hosts, the files and maps they keep
 * servers in, and what an entry turns out to be.
 *
 * @module
 */

/** The MCP hosts rmcp-mux knows, plus `custom` for `--path FILE`. */
export type HostId =
  | "claude-code"
  | "claude-desktop"
  | "codex"
  | "cursor"
  | "vscode"
  | "windsurf"
  | "gemini"
  | "zed"
  | "junie"
  | "custom";

/** Who a map of servers applies to. `local`: Claude Code's per-project entries in `~/.claude.json`. */
export type Scope = "user" | "project" | "local";

/** How a host's file is written. */
export type FileFormat = "json" | "toml";

/** One map of servers in one file. */
export interface Location {
  host: HostId;
  /** Absolute path of the file. */
  file: string;
  format: FileFormat;
  /** Key path of the map inside the file, e.g. `["projects", "/src/app", "mcpServers"]`. */
  container: string[];
  scope: Scope;
  /** The project directory, for project and local scope. */
  project?: string;
  /** For `--path FILE`: the entry shapes given by `--format`. */
  style?: "json" | "vscode" | "zed" | "codex";
}

/** How a host lets config values refer to environment variables. */
export type VarSyntax =
  /** `${VAR}` and `${VAR:-default}` (Claude Code). */
  | "claude"
  /** `$VAR` and `${VAR}` (Gemini CLI). */
  | "dollar"
  /** `${env:VAR}`, `${userHome}`, `${workspaceFolder}` (Cursor, VS Code, Windsurf). */
  | "env-colon"
  /** None: every `$` is literal. */
  | "none";

/** A stdio server as the host would start it (in the host's own syntax). */
export interface StdioLaunch {
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd?: string;
}

/** What an entry is. */
export type Classified =
  | { kind: "stdio"; launch: StdioLaunch }
  | { kind: "remote"; url: string }
  | { kind: "unsupported"; reason: string };

/** How a rewired HTTP entry gets the daemon's token without a copy of it. */
export interface TokenRef {
  /** The token file (`${stateDir}/http.token`). */
  file: string;
  /** The environment variable hosts that read one are told to use. */
  envVar: string;
}

/** What rmcp-mux knows about one host: where it keeps servers and how it writes them. */
export interface HostAdapter {
  id: HostId;
  label: string;
  /** The documentation the paths and shapes were checked against. */
  source: string;
  /** Other names accepted by `--host` (the Rust tool's among them). */
  aliases: readonly string[];
  /** User-level files (whether or not they exist). */
  userFiles(env: DiscoverEnv): Location[];
  /** Project-level files of `dir`. */
  projectFiles(dir: string): Location[];
  /** More maps and project directories named inside a file (Claude Code's projects). */
  expand?(location: Location, value: unknown): { locations: Location[]; projects: string[] };
  classify(value: unknown): Classified;
  variables: VarSyntax;
  /** Entry keys that say how the server is reached; rewiring replaces them, keeps the rest. */
  transportKeys: readonly string[];
  /** The entry's keys for a stdio bridge `command args…`. */
  proxyForm(command: string, args: readonly string[]): Record<string, unknown>;
  /** The entry's keys for Streamable HTTP, or `undefined` when the host's file cannot say it. */
  httpForm?(url: string, token: TokenRef): Record<string, unknown>;
  /**
   * Why there is no `httpForm`, in a sentence naming the host (what `rewire --via http` says
   * when it writes the proxy instead).
   */
  httpUnsupported?: string;
  /** HTTP works with nothing for the user to set up (the host fetches the token itself). */
  httpSelfServe: boolean;
  /** What a person must do to restart the host's use of its servers. */
  restart: string;
}

/** The environment discovery reads. */
export interface DiscoverEnv {
  HOME: string;
  XDG_CONFIG_HOME?: string | undefined;
  CODEX_HOME?: string | undefined;
  CLAUDE_CONFIG_DIR?: string | undefined;
  platform: "linux" | "darwin" | string;
}

/** The environment variable hosts read the daemon's HTTP token from. */
export const TOKEN_ENV = "RMCP_MUX_TOKEN";
