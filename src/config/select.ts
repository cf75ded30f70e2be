/**
 * Which services to run, with what settings: the config's services filtered
 * by `--service` / `--only` / `--except`, with command-line flags applied on
 * top and every default filled in.
 *
 * @module
 */

import { ConfigError, type ConfigIssue, keyPathOf } from "./errors.ts";
import {
  type MuxOptions,
  OptionError,
  type ResolvedMuxOptions,
  resolveOptions,
} from "./options.ts";
import type { LogLevel } from "./log_settings.ts";
import type { MuxFileConfig } from "./types.ts";

/** Settings from the command line; each one given wins over the file. */
export type CliOverrides = Partial<MuxOptions> & {
  /** `--log-level`: leave it out when the flag was not given, or it hides the file's `log_level`. */
  logLevel?: LogLevel;
};

/** Which services to run. Names are keys under `servers:`. */
export interface ServiceFilter {
  /** `--service NAME`: exactly this one. Cannot be combined with `only`/`except`. */
  service?: string;
  /** `--only a,b`: just these. */
  only?: readonly string[];
  /** `--except a,b`: all but these. */
  except?: readonly string[];
}

/** A service ready to start: every setting resolved. */
export interface SelectedService {
  /** The key under `servers:`. */
  name: string;
  /** Every setting, defaults filled in and checked ({@link resolveOptions}). */
  options: ResolvedMuxOptions;
  /** `--log-level`, else the entry's `log_level`, else `defaults:`, else `"info"`. */
  logLevel: LogLevel;
  /** `--status-file`, else the entry's `status_file` (the same as `options.statusFile`). */
  statusFile?: string;
}

/** CLI settings that name one service's socket, process or files, so apply to one service only. */
const ONE_SERVICE_ONLY: readonly [keyof CliOverrides, string][] = [
  ["socket", "--socket"],
  ["cmd", "--cmd"],
  ["args", "server arguments after --"],
  ["serviceName", "--service-name"],
  ["statusFile", "--status-file"],
];

/**
 * The services to start, sorted by name, each with fully merged options.
 *
 * Precedence, the same for every key: CLI flag (`cli`) > the server's entry
 * > `defaults:` > the built-in default ({@link resolveOptions}). `env` is
 * merged per variable in that order. A CLI `cmd` replaces the entry's
 * `cmd` and `args` together (its arguments are `cli.args`, or none).
 *
 * `socket`, `cmd`, `args`, `serviceName` and `statusFile` from the CLI
 * describe a single service: they are refused when more than one service
 * is selected. Unknown names in the filter, an empty selection, and
 * settings that fail {@link resolveOptions} throw {@link ConfigError}.
 *
 * @example
 * ```ts
 * import { parseConfig } from "./parse.ts";
 * import { selectServices } from "./select.ts";
 *
 * const config = parseConfig(
 *   "defaults: { max_restarts: 10 }\n" +
 *     "servers:\n" +
 *     "  a: { socket: /run/a.sock, cmd: server-a, max_restarts: 3 }\n" +
 *     "  b: { socket: /run/b.sock, cmd: server-b }\n",
 *   "config.yaml",
 *   { env: {} },
 * );
 * const [b] = selectServices(config, { maxActiveClients: 8 }, { except: ["a"] });
 * console.log(b?.options.maxRestarts, b?.options.maxActiveClients, b?.logLevel); // 10 8 info
 * ```
 */
export function selectServices(
  config: MuxFileConfig,
  cli: CliOverrides,
  filter: ServiceFilter,
): SelectedService[] {
  const known = config.services.map((s) => s.name);
  const fail = (message: string): never => {
    throw new ConfigError([{ message }]);
  };
  const knownList = `known services in ${config.path}: ${known.join(", ") || "none"}`;
  const unknown = [
    ...(filter.service === undefined ? [] : [["--service", filter.service] as const]),
    ...(filter.only ?? []).map((name) => ["--only", name] as const),
    ...(filter.except ?? []).map((name) => ["--except", name] as const),
  ].filter(([, name]) => !known.includes(name));
  if (unknown.length > 0) {
    const names = unknown.map(([flag, name]) => `"${name}" (${flag})`).join(", ");
    fail(`unknown service${unknown.length > 1 ? "s" : ""} ${names}; ${knownList}`);
  }
  if (filter.service !== undefined && (filter.only !== undefined || filter.except !== undefined)) {
    fail("--service picks one service; it cannot be combined with --only or --except");
  }
  const selected = config.services.filter((s) =>
    (filter.service === undefined || s.name === filter.service) &&
    (filter.only === undefined || filter.only.includes(s.name)) &&
    !(filter.except ?? []).includes(s.name)
  );
  if (selected.length === 0) fail(`no services to start (check --only/--except); ${knownList}`);

  const given = ONE_SERVICE_ONLY.filter(([key]) =>
    key === "args" ? (cli.args?.length ?? 0) > 0 : cli[key] !== undefined
  );
  if (selected.length > 1 && given.length > 0) {
    fail(
      `${given.map(([, flag]) => flag).join(", ")} ${given.length > 1 ? "apply" : "applies"} ` +
        `to one service, but ${selected.length} are selected ` +
        `(${selected.map((s) => s.name).join(", ")}): pick one with --service NAME`,
    );
  }

  const { logLevel, ...overrides } = cli;
  const issues: ConfigIssue[] = [];
  const out: SelectedService[] = [];
  for (const entry of [...selected].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const options: MuxOptions = { ...entry.options, ...definedOnly(overrides) };
    if (overrides.cmd !== undefined) options.args = overrides.args ?? [];
    if (overrides.env !== undefined) options.env = { ...entry.options.env, ...overrides.env };
    try {
      const resolved = resolveOptions(options);
      const service: SelectedService = {
        name: entry.name,
        options: resolved,
        logLevel: logLevel ?? entry.logLevel ?? "info",
      };
      if (resolved.statusFile !== undefined) service.statusFile = resolved.statusFile;
      out.push(service);
    } catch (error) {
      if (!(error instanceof OptionError)) throw error;
      issues.push({
        file: config.path,
        keyPath: keyPathOf(["servers", entry.name]),
        message: `${error.message} (after command-line flags)`,
      });
    }
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return out;
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(value).filter(([, v]) => v !== undefined),
  ) as Partial<T>;
}
