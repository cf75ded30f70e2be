/**
 * `rmcp-mux wizard`: scan → choose hosts and servers → HTTP or proxy →
 * preview → apply → daemon → a real MCP handshake through every rewired
 * entry → what to restart. For a person at a terminal; without one it says
 * to use `scan` and `rewire` and exits 2.
 *
 * @module
 */

import { callControl } from "../control/client.ts";
import { canonicalConfigPath, daemonFiles, dirsEnv } from "../daemon/daemon_files.ts";
import { installService, serviceManagerAvailable } from "../service/service.ts";
import { ensureDaemon, runningDaemon } from "./proxy_autostart.ts";
import { adapterOf, ADAPTERS } from "../hosts/adapters/mod.ts";
import { describeLocation, type FoundEntry } from "../hosts/discover.ts";
import { unifiedDiff } from "../hosts/diff.ts";
import { currentLauncher } from "../hosts/launcher.ts";
import { planRewire, type Via } from "../hosts/rewire.ts";
import { planServices } from "../hosts/services.ts";
import { loadRecords } from "../hosts/state.ts";
import { verifyEntry } from "../hosts/verify.ts";
import { entryRegion } from "../hosts/entry.ts";
import { typedCommand } from "../paths/self_command.ts";
import { NAME } from "../version.ts";
import type { HostsCommand } from "./hosts_args.ts";
import {
  applyRewire,
  discoverAll,
  type HostsContext,
  hostsContext,
  HostsError,
} from "./hosts_commands.ts";
import { commandLine, tilde } from "./hosts_view.ts";
import { writeStderr } from "./stderr.ts";

type WizardCommand = Extract<HostsCommand, { kind: "wizard" }>;

/** Run the wizard. */
export async function runWizard(command: WizardCommand): Promise<number> {
  if (!Deno.stdin.isTerminal() || !Deno.stdout.isTerminal()) {
    writeStderr(
      `${NAME}: the wizard needs a terminal; use \`${typedCommand()} scan\` then ` +
        `\`${typedCommand()} rewire --host H\` instead\n`,
    );
    return 2;
  }
  const { checkbox, confirm, select } = await import("@inquirer/prompts");
  try {
    const ctx = await hostsContext(command);
    const { discovery } = await discoverAll(ctx, { projects: command.projects });
    const plan = planServices(discovery.entries, ctx.config.services, ctx.socketDir);
    const shareable = (e: FoundEntry) => e.def !== undefined && !e.mux;
    for (const f of discovery.files.filter((f) => f.status === "broken")) {
      console.log(`! ${tilde(f.file, ctx.home)} ${f.error}: it will not be touched`);
    }
    const found = ADAPTERS.filter((a) =>
      discovery.files.some((f) => f.host === a.id && f.status === "ok")
    );
    if (found.length === 0) {
      console.log("No MCP host config files found: nothing to rewire.");
      return 0;
    }
    const hosts = await checkbox({
      message: "Which hosts should use the shared servers?",
      choices: found.map((a) => {
        const n = discovery.entries.filter((e) => e.location.host === a.id && shareable(e)).length;
        const shared = discovery.entries.filter((e) => e.location.host === a.id && e.mux).length;
        return {
          name: `${a.label}  (${n} to share${shared ? `, ${shared} already shared` : ""})`,
          value: a.id,
          checked: n > 0,
        };
      }),
    });
    const candidates = plan.services.filter((s) =>
      s.entries.some((e) => hosts.includes(e.location.host))
    );
    if (candidates.length === 0) {
      console.log("Nothing to share in those hosts.");
      return 0;
    }
    const chosen = await checkbox({
      message: "Which servers should be shared?",
      choices: candidates.map((s) => ({
        name: `${s.name}  ${commandLine(s.def)}  [${s.isolation.mode}]` +
          (s.isolation.mode === "client" ? " — one process per client" : ""),
        value: s.name,
        checked: true,
      })),
    });
    let via: Via = "proxy";
    if (ctx.config.httpListen) {
      via = await select({
        message: "How should hosts reach them?",
        choices: [
          {
            name: `HTTP on ${ctx.config.httpListen} (no process per session)`,
            value: "http" as Via,
          },
          { name: "stdio proxy (works in every host)", value: "proxy" as Via },
        ],
      });
    } else {
      console.log("The HTTP listener is off (daemon.http.listen): hosts will use the stdio proxy.");
    }
    const entries = new Set(
      candidates.filter((s) => chosen.includes(s.name)).flatMap((s) => s.entries),
    );
    const launcher = currentLauncher();
    const rewire = planRewire({
      discovery,
      hosts,
      select: (e) => entries.has(e) || (e.mux !== undefined && hosts.includes(e.location.host)),
      via,
      config: ctx.config,
      records: await loadRecords(ctx.stateDir),
      launcher,
      token: ctx.token,
      socketDir: ctx.socketDir,
    });
    for (const o of rewire.outcomes.filter((o) => o.action === "skip")) {
      console.log(`- ${o.name} (${describeLocation(o.location)}): ${o.note}`);
    }
    if (rewire.files.length === 0 && rewire.newServices.length === 0) {
      console.log("Everything chosen is already shared.");
    } else {
      for (const f of rewire.files) {
        console.log(unifiedDiff(tilde(f.file, ctx.home), f.before, f.after, f.secrets, f.format));
      }
      if (rewire.newServices.length > 0) {
        console.log(
          `The daemon's config ${tilde(ctx.config.path, ctx.home)} gets: ` +
            rewire.newServices.map((s) => s.name).join(", "),
        );
      }
      if (command.dryRun) {
        console.log("Dry run: nothing written.");
        return 0;
      }
      if (!await confirm({ message: "Apply these changes?", default: true })) {
        console.log("Nothing written.");
        return 0;
      }
      for (const line of await applyRewire(ctx, rewire)) console.log(line);
    }
    const askService = () =>
      confirm({
        message: "Run the daemon as a user service (started at login, restarted after a crash)?",
        default: true,
      });
    for (const line of await startDaemonService(ctx, askService)) console.log(line);
    // The handshake, through exactly what each host will run.
    let failures = 0;
    const done = new Map<string, string>();
    for (const o of rewire.outcomes.filter((o) => o.action !== "skip")) {
      const text = await Deno.readTextFile(o.location.file);
      const region = entryRegion(text, o.location.format, o.location.container, o.name);
      const value = (region?.value ?? {}) as Record<string, unknown>;
      const key = JSON.stringify(value);
      let line = done.get(key);
      if (line === undefined) {
        const result = await verifyEntry(value, ctx.token, ctx.env);
        if (!result.ok) failures++;
        line = result.ok ? `verified: ${result.detail}` : `FAILED: ${result.detail}`;
        done.set(key, line);
      }
      console.log(
        `${line.startsWith("verified") ? "✓" : "✗"} ${o.name} (${
          describeLocation(o.location)
        }) via ${o.via}: ${line}`,
      );
    }
    for (const o of rewire.outcomes.filter((o) => o.note && o.action === "rewire")) {
      console.log(`note: ${o.name}: ${o.note}`);
    }
    const touched = new Set(
      rewire.outcomes.filter((o) => o.action === "rewire").map((o) => o.location.host),
    );
    if (touched.size > 0) console.log("\nNow restart what uses them:");
    for (const host of touched) {
      const adapter = adapterOf(host);
      if (adapter) console.log(`  ${adapter.label}: ${adapter.restart}`);
    }
    console.log(`\nUndo any time: ${typedCommand()} unwire --host all`);
    return failures > 0 ? 1 : 0;
  } catch (error) {
    if (error instanceof Error && error.name === "ExitPromptError") return 130;
    if (error instanceof HostsError) {
      writeStderr(`${NAME}: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

/**
 * Make sure the daemon runs the config: a running daemon reloads it; else,
 * where a user service manager answers, the person is offered `service
 * install` (started at login, restarted after a crash); else — or if they
 * decline — the daemon is started the way proxies start it (detached, logging
 * to the state directory). Rewired entries start it again whenever it is not
 * running, so hosts work after a reboot either way.
 */
export async function startDaemonService(
  ctx: HostsContext,
  askService: () => Promise<boolean>,
): Promise<string[]> {
  const config = canonicalConfigPath(ctx.config.path);
  const running = await runningDaemon(config);
  if (running) {
    try {
      await callControl(running, "reload", undefined, 10_000);
      return ["The running daemon reloaded its config."];
    } catch (error) {
      throw new HostsError(
        `the running daemon refused the new config: ${(error as Error).message}`,
      );
    }
  }
  const lines: string[] = [];
  if (await serviceManagerAvailable() && await askService()) {
    const result = await installService({ config });
    if (result.ok) return [`Service: ${result.message}`];
    lines.push(`The service was not installed: ${result.message}`);
  }
  try {
    const { started } = await ensureDaemon(config);
    const log = tilde(daemonFiles(config, dirsEnv()).log, ctx.home);
    lines.push(
      started
        ? `Started the daemon in the background (log: ${log}). The rewired entries start it ` +
          `again whenever it is not running; to run it from login, use ` +
          `${typedCommand()} service install` +
          ` --config ${tilde(config, ctx.home)}.`
        : "The daemon is running.",
    );
  } catch (error) {
    throw new HostsError((error as Error).message);
  }
  return lines;
}
