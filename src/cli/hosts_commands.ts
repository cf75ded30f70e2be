/**
 * `rmcp-mux scan`, `rewire`, `unwire` and `status --host`: the host
 * rewiring commands. Each prints what it did (or, with `--dry-run`, the
 * exact diff it would write) and returns 0 only when it did all it was asked.
 *
 * @module
 */

import { dirOf, ensurePrivateDir } from "../paths/private_dir.ts";
import { ConfigError } from "../config/errors.ts";
import { callControl, ControlError } from "../control/client.ts";
import { runtimeDir, stateDir } from "../paths/dirs.ts";
import { adapterNamed, adapterOf, ADAPTERS, hostNames } from "../hosts/adapters/mod.ts";
import { customLocation, guessFormat } from "../hosts/adapters/custom.ts";
import {
  describeLocation,
  discover,
  discoverEnv,
  type Discovery,
  readHostFile,
} from "../hosts/discover.ts";
import { unifiedDiff } from "../hosts/diff.ts";
import { backupFile, ChangedUnderneath, writeAtomic } from "../hosts/files.ts";
import { currentLauncher, NoLauncher } from "../hosts/launcher.ts";
import { canonicalConfigPath } from "../daemon/daemon_files.ts";
import { runningDaemon } from "./proxy_autostart.ts";
import { addServices, configDiff, type MuxConfigView, readMuxConfig } from "../hosts/mux_config.ts";
import { applyFiles, planRewire, type RewirePlan } from "../hosts/rewire.ts";
import { planServices } from "../hosts/services.ts";
import { loadRecords, recordKey, saveRecords } from "../hosts/state.ts";
import { planUnwire } from "../hosts/unwire.ts";
import {
  type HostAdapter,
  type HostId,
  type Location,
  TOKEN_ENV,
  type TokenRef,
} from "../hosts/types.ts";
import { typedCommand } from "../paths/self_command.ts";
import { NAME } from "../version.ts";
import type { HostsCommand } from "./hosts_args.ts";
import { configPathOf } from "./daemon_command.ts";
import { writeStdout } from "./stdout.ts";
import { formatRewire, formatScan, formatUnwire, scanJson, tilde } from "./hosts_view.ts";
import { writeStderr } from "./stderr.ts";

type Of<K extends HostsCommand["kind"]> = Extract<HostsCommand, { kind: K }>;

/** An error a person can act on: printed as one line, exit code 1. */
export class HostsError extends Error {
  override name = "HostsError";
}

/** Everything the commands share: the environment, the config, the directories. */
export interface HostsContext {
  env: Record<string, string | undefined>;
  home: string;
  config: MuxConfigView;
  stateDir: string;
  socketDir: string;
  token: TokenRef;
}

/** Build the context (reads the daemon's config as plain data). */
export async function hostsContext(
  command: { config?: string; socketDir?: string },
): Promise<HostsContext> {
  const env = Deno.env.toObject();
  const home = discoverEnv(env).HOME;
  const path = configPathOf(command.config);
  let config: MuxConfigView;
  try {
    config = await readMuxConfig(path, env);
  } catch (error) {
    if (error instanceof ConfigError) throw new HostsError(`the daemon config ${error.message}`);
    throw error;
  }
  const state = stateDir(env);
  return {
    env,
    home,
    config,
    stateDir: state,
    socketDir: command.socketDir ?? runtimeDir(env),
    token: { file: `${state}/http.token`, envVar: TOKEN_ENV },
  };
}

/** The adapters `--host` names (`all`: every host). */
export function hostsNamed(names: readonly string[]): HostAdapter[] {
  if (names.some((n) => n.toLowerCase() === "all")) return [...ADAPTERS];
  return names.map((name) => {
    const adapter = adapterNamed(name);
    if (!adapter) {
      throw new HostsError(`unknown host "${name}": expected one of ${hostNames()}, all`);
    }
    return adapter;
  });
}

/** The `--path FILE` location, its format guessed from the file when not given. */
async function pathLocation(path: { file: string; format?: Location["style"] }): Promise<Location> {
  if (path.format) return customLocation(path.file, path.format);
  const guess = guessFormat(path.file);
  const read = await readHostFile(path.file, guess === "codex" ? "toml" : "json");
  if (read.status === "missing") throw new HostsError(`${path.file}: no such file`);
  return customLocation(
    path.file,
    guessFormat(path.file, read.status === "ok" ? read.value : undefined),
  );
}

/** Discover every host (service names depend on all of them), plus a `--path` file. */
export async function discoverAll(
  ctx: HostsContext,
  command: { projects: string[]; path?: { file: string; format?: Location["style"] } },
): Promise<{ discovery: Discovery; custom?: Location }> {
  const options = { env: discoverEnv(ctx.env), projects: [Deno.cwd(), ...command.projects] };
  const discovery = await discover(options);
  if (!command.path) return { discovery };
  const custom = await pathLocation(command.path);
  const extra = await discover({ ...options, locations: [custom] });
  discovery.files.push(...extra.files);
  discovery.entries.push(...extra.entries);
  for (const [k, v] of extra.texts) discovery.texts.set(k, v);
  return { discovery, custom };
}

function fail(error: unknown): number {
  if (
    error instanceof HostsError || error instanceof NoLauncher ||
    error instanceof ChangedUnderneath ||
    error instanceof ControlError ||
    (error instanceof Error && /^(--via|no server)/.test(error.message))
  ) {
    writeStderr(`${NAME}: ${error.message}\n`);
    return 1;
  }
  throw error;
}

/** `rmcp-mux scan`. */
export async function runScan(command: Of<"scan">): Promise<number> {
  try {
    const ctx = await hostsContext({
      ...(command.writeConfig
        ? { config: command.writeConfig }
        : command.config
        ? { config: command.config }
        : {}),
      ...(command.socketDir ? { socketDir: command.socketDir } : {}),
    });
    const { discovery } = await discoverAll(ctx, command);
    if (command.hosts.length > 0) {
      const ids = new Set(hostsNamed(command.hosts).map((a) => a.id as HostId));
      discovery.files = discovery.files.filter((f) => ids.has(f.host));
      discovery.entries = discovery.entries.filter((e) => ids.has(e.location.host));
    }
    const plan = planServices(discovery.entries, ctx.config.services, ctx.socketDir);
    if (command.json) console.log(JSON.stringify(scanJson(discovery, plan), null, 2));
    else writeStdout(formatScan(discovery, plan, ctx.home));
    if (command.writeConfig) {
      // Servers that need a process per client (browsers, shells) are added too: the daemon gives
      // them that isolation from the same table scan shows.
      const fresh = plan.services.filter((s) => !s.configured)
        .map((s) => ({ name: s.name, def: s.def, socket: s.socket }));
      const text = addServices(ctx.config, fresh);
      const where = tilde(ctx.config.path, ctx.home);
      if (fresh.length === 0) {
        console.log(`\n${where}: every service is already there; not written`);
      } else if (command.dryRun) {
        console.log(`\nWould write ${where}:\n` + configDiff(ctx.config, text, fresh));
      } else {
        await writeMuxConfig(ctx, text);
        console.log(
          `\nWrote ${fresh.length} service${fresh.length === 1 ? "" : "s"} to ${where} (0600). ` +
            `Next: ${typedCommand()} --config ${where}, then ${typedCommand()} rewire --host all`,
        );
      }
    } else if (!command.json && plan.services.length > 0) {
      const typed = typedCommand();
      console.log(`\nNext: ${typed} rewire --host all --dry-run  (or ${typed} wizard)`);
    }
    return 0;
  } catch (error) {
    return fail(error);
  }
}

/** Plan a rewire for the command (shared with the wizard). */
export async function rewirePlanFor(
  ctx: HostsContext,
  command: Of<"rewire">,
): Promise<{ plan: RewirePlan; hosts: HostId[] }> {
  const { discovery, custom } = await discoverAll(ctx, command);
  const adapters = command.hosts.length > 0 ? hostsNamed(command.hosts) : [];
  const hosts: HostId[] = adapters.map((a) => a.id);
  if (custom) hosts.push("custom");
  const plan = planRewire({
    discovery,
    hosts,
    ...(command.servers ? { servers: command.servers } : {}),
    via: command.via,
    config: ctx.config,
    records: await loadRecords(ctx.stateDir),
    launcher: currentLauncher(),
    token: ctx.token,
    socketDir: ctx.socketDir,
  });
  return { plan, hosts };
}

/** Write what a rewire plan says: config first, then each host file, then the records. */
export async function applyRewire(ctx: HostsContext, plan: RewirePlan): Promise<string[]> {
  const lines: string[] = [];
  if (plan.newServices.length > 0) {
    await writeMuxConfig(ctx, addServices(ctx.config, plan.newServices));
    lines.push(
      `added ${plan.newServices.map((s) => s.name).join(", ")} to ${
        tilde(ctx.config.path, ctx.home)
      }`,
    );
    lines.push(await reloadDaemon(ctx));
  }
  // One file at a time, its records saved right after it: whatever happens
  // next, every entry written can be unwired.
  let records = await loadRecords(ctx.stateDir);
  for (const change of plan.files) {
    const applied = await applyFiles([change], records);
    records = applied.records;
    await saveRecords(ctx.stateDir, records);
    for (const b of applied.backups) lines.push(`backup: ${tilde(b.backup, ctx.home)}`);
  }
  return lines;
}

/**
 * Write the daemon's config (0600 in a 0700 directory): a backup of what was
 * there first, atomically, refused if the file changed since it was read.
 */
async function writeMuxConfig(ctx: HostsContext, text: string): Promise<void> {
  await ensurePrivateDir(dirOf(ctx.config.path), "config");
  if (ctx.config.exists) await backupFile(ctx.config.path);
  await writeAtomic(ctx.config.path, text, {
    mode: 0o600,
    ...(ctx.config.exists ? { expected: ctx.config.text } : {}),
  });
  await Deno.chmod(ctx.config.path, 0o600);
}

/** Ask a running daemon to reload its config; say what happened. */
export async function reloadDaemon(ctx: HostsContext): Promise<string> {
  const config = canonicalConfigPath(ctx.config.path);
  const control = await runningDaemon(config);
  if (control) {
    try {
      await callControl(control, "reload", undefined, 10_000);
      return "the running daemon reloaded its config";
    } catch (error) {
      return `the running daemon refused the new config: ${(error as Error).message}`;
    }
  }
  return "no daemon runs this config yet: the rewired entries start it when a host first " +
    `needs it (to run it from login: ${typedCommand()} service install --config ` +
    `${tilde(config, ctx.home)})`;
}

/** `rmcp-mux rewire`. A host that writes its file meanwhile (Claude Code does) makes it start over, at most 3 times. */
export async function runRewire(command: Of<"rewire">): Promise<number> {
  for (let attempt = 1;; attempt++) {
    try {
      return await rewireOnce(command);
    } catch (error) {
      if (!(error instanceof ChangedUnderneath) || attempt === 3 || command.dryRun) {
        return fail(error);
      }
    }
  }
}

async function rewireOnce(command: Of<"rewire">): Promise<number> {
  {
    const ctx = await hostsContext(command);
    const { plan } = await rewirePlanFor(ctx, command);
    for (const b of plan.broken) {
      writeStderr(`${NAME}: ${tilde(b.file, ctx.home)} ${b.error}; not touched\n`);
    }
    writeStdout(formatRewire(plan.outcomes, command.dryRun));
    if (plan.files.length === 0 && plan.newServices.length === 0) {
      console.log(plan.outcomes.length === 0 ? "nothing to rewire" : "nothing to change");
      return plan.broken.length > 0 ? 1 : 0;
    }
    if (command.dryRun) {
      if (plan.newServices.length > 0) {
        const text = addServices(ctx.config, plan.newServices);
        console.log(configDiff(ctx.config, text, plan.newServices));
      }
      for (const f of plan.files) {
        console.log(unifiedDiff(f.file, f.before, f.after, f.secrets, f.format));
      }
      console.log("dry run: nothing written");
      return plan.broken.length > 0 ? 1 : 0;
    }
    for (const line of await applyRewire(ctx, plan)) console.log(line);
    const restart = new Set(plan.files.map((f) => f.host));
    for (const host of restart) {
      const adapter = adapterOf(host);
      if (adapter) console.log(`${adapter.label}: ${adapter.restart}`);
    }
    return plan.broken.length > 0 ? 1 : 0;
  }
}

/** `rmcp-mux unwire`. */
export async function runUnwire(command: Of<"unwire">): Promise<number> {
  try {
    const env = Deno.env.toObject();
    const state = stateDir(env);
    const home = discoverEnv(env).HOME;
    const all = await loadRecords(state);
    const ids = command.hosts.length > 0
      ? new Set<string>(hostsNamed(command.hosts).map((a) => a.id))
      : undefined;
    const selected = all.filter((r) =>
      (ids === undefined || ids.has(r.host)) &&
      (!command.path || r.file === command.path.file) &&
      (!command.servers || command.servers.includes(r.name))
    );
    if (selected.length === 0) {
      console.log(
        "nothing to unwire: no entry of that host was rewired (or it was unwired already)",
      );
      return 0;
    }
    const texts = new Map<string, string | undefined>();
    for (const r of selected) {
      if (texts.has(r.file)) continue;
      try {
        texts.set(r.file, await Deno.readTextFile(r.file));
      } catch {
        texts.set(r.file, undefined);
      }
    }
    const { outcomes, files } = planUnwire(selected, texts);
    writeStdout(formatUnwire(outcomes, command.dryRun));
    if (command.dryRun) {
      for (const f of files) {
        console.log(unifiedDiff(f.file, f.before, f.after, [], f.restored[0]?.format));
      }
      console.log("dry run: nothing written");
    } else {
      const done = new Set<string>();
      for (const f of files) {
        const backup = await backupFile(f.file);
        await writeAtomic(f.file, f.after, { expected: f.before });
        console.log(`backup: ${tilde(backup, home)}`);
        for (const r of f.restored) done.add(recordKey(r));
      }
      await saveRecords(state, all.filter((r) => !done.has(recordKey(r))));
    }
    return outcomes.every((o) => o.action === "restore") ? 0 : 1;
  } catch (error) {
    return fail(error);
  }
}

/** `rmcp-mux status --host H`: per server, shared or not, and whether the daemon runs it. */
export async function runHostStatus(command: Of<"host-status">): Promise<number> {
  try {
    const ctx = await hostsContext(command);
    const { discovery, custom } = await discoverAll(ctx, command);
    const ids = new Set<string>(
      command.hosts.length > 0 ? hostsNamed(command.hosts).map((a) => a.id) : [],
    );
    if (custom) ids.add("custom");
    const entries = discovery.entries.filter((e) => ids.has(e.location.host));
    // The daemon's own list when it runs; else the config's.
    let running: Set<string> | undefined;
    try {
      const control = await runningDaemon(canonicalConfigPath(ctx.config.path));
      if (control) {
        const status = await callControl(control, "status", undefined, 5_000);
        running = new Set(((status.services ?? []) as Array<{ name: string }>).map((s) => s.name));
      }
    } catch {
      running = undefined;
    }
    const known = running ?? new Set(ctx.config.services.keys());
    const sockets = new Map([...ctx.config.services].map(([n, s]) => [s.socket, n]));
    const rows = entries.map((e) => {
      let state: string;
      if (e.mux) {
        const service = e.mux.service ?? (e.mux.socket ? sockets.get(e.mux.socket) : undefined);
        state = service !== undefined && known.has(service)
          ? `shared via rmcp-mux (${e.mux.via})`
          : "shared, but the daemon has no such service";
      } else if (e.classified.kind === "remote") state = "remote, not shareable";
      else if (e.def) state = "not shared";
      else {state = `not shareable: ${
          e.notShareable ?? (e.classified as { reason: string }).reason
        }`;}
      return { name: e.name, where: describeLocation(e.location), file: e.location.file, state };
    });
    if (command.json) {
      console.log(JSON.stringify({ daemonRunning: running !== undefined, servers: rows }, null, 2));
      return 0;
    }
    if (running === undefined) {
      console.log(`(daemon not running; compared with ${tilde(ctx.config.path, ctx.home)})`);
    }
    if (rows.length === 0) console.log("no servers found for that host");
    const width = Math.max(0, ...rows.map((r) => r.name.length));
    for (const r of rows) console.log(`${r.name.padEnd(width)}  ${r.state}  — ${r.where}`);
    return 0;
  } catch (error) {
    return fail(error);
  }
}
