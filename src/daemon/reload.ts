/**
 * A reload: from the services that run to the file's, in the least
 * disruptive way. Added ones start, removed ones stop, unchanged ones are not
 * touched, and a changed one takes its new settings live when it can
 * (`MuxServer.apply`): limits and timeouts in place, a new command by
 * restarting the process in place (clients stay connected), and only a new
 * socket by a new mux. A stopped service stays stopped with its new
 * settings. The report says what was done to each.
 *
 * @module
 */

import type { Logger } from "@logtape/logtape";
import type { MuxOptions } from "../config/options.ts";
import { stableJson } from "../server/live_settings.ts";
import { hintCommand } from "../paths/self_command.ts";
import type { DaemonActivity } from "./activity.ts";
import type { DaemonService, ServiceEntry } from "./daemon_status.ts";

/** What a reload did. */
export interface ReloadReport {
  /** Services that are new in the file: started. */
  added: string[];
  /** Services gone from the file: stopped. */
  removed: string[];
  /** Every service whose settings changed (the union of the next three, and errors). */
  changed: string[];
  /** Changed settings applied live (limits, timeouts…): nobody noticed. */
  applied: string[];
  /** Changed command, arguments, environment or cwd: the server process restarted in place, clients stayed connected. */
  restarted: string[];
  /** Changed socket or service name: a new mux (its clients reconnect). */
  recreated: string[];
  /** Services left untouched (their clients kept their connections). */
  unchanged: string[];
  /** The settings that changed, per changed service (option names). */
  settings: Record<string, string[]>;
  /** Daemon settings that changed in the file but apply only after a daemon restart. */
  needsRestart: string[];
  /** The command that restarts this daemon, when it is not "shutdown, then start it again" (a user service's). */
  restartWith?: string;
  /** Daemon settings that changed in the file and were applied at once (`daemon.log_level`…). */
  daemonApplied: string[];
  /** Services whose mux could not start or take the new settings, with the reason. */
  errors: Record<string, string>;
}

/** What a daemon's `reload` callback returns: the services, and what it could not apply. */
export interface ReloadPlan {
  /** Services to run from now on. */
  services: readonly DaemonService[];
  /** Daemon-level settings that changed but need a daemon restart, in words. */
  needsRestart?: readonly string[];
  /** The command that restarts this daemon (a user service's), for the report. */
  restartWith?: string;
  /** Daemon-level settings that changed and were applied, by their config names. */
  daemonApplied?: readonly string[];
}

/** What a reload acts on: the daemon's services, and how it starts one. */
export interface ReloadHost {
  entries: Map<string, ServiceEntry>;
  /** Start a service's mux (an entry in `error` when it cannot). */
  launch(spec: DaemonService): Promise<ServiceEntry>;
  /** Put a service's entry in place. */
  set(name: string, entry: ServiceEntry): void;
  activity: DaemonActivity;
  log: Logger;
}

/** Apply `plan` to the daemon's services; returns what was done. */
export async function applyReload(host: ReloadHost, plan: ReloadPlan): Promise<ReloadReport> {
  const next = new Map(sortByName(plan.services).map((s) => [s.name, s]));
  const report: ReloadReport = {
    added: [],
    removed: [],
    changed: [],
    applied: [],
    restarted: [],
    recreated: [],
    unchanged: [],
    settings: {},
    needsRestart: [...(plan.needsRestart ?? [])],
    ...(plan.restartWith !== undefined ? { restartWith: plan.restartWith } : {}),
    daemonApplied: [...(plan.daemonApplied ?? [])],
    errors: {},
  };
  for (const [name, entry] of host.entries) {
    if (next.has(name)) continue;
    await entry.mux?.close("removed");
    host.entries.delete(name);
    host.activity.forget(name);
    report.removed.push(name);
  }
  for (const [name, spec] of next) {
    const entry = host.entries.get(name);
    if (!entry) {
      report.added.push(name);
      const launched = await host.launch(spec);
      if (launched.error) report.errors[name] = launched.error;
      host.set(name, launched);
      continue;
    }
    await reloadOne(host, name, entry, spec, report);
  }
  host.log.info(
    "Reloaded: {added} added, {removed} removed, {changed} changed, {unchanged} unchanged",
    {
      added: report.added.length,
      removed: report.removed.length,
      changed: report.changed.length,
      unchanged: report.unchanged.length,
    },
  );
  for (const what of report.needsRestart) {
    host.log.warn("Reload: {what}: needs a daemon restart", { what });
  }
  return report;
}

async function reloadOne(
  host: ReloadHost,
  name: string,
  entry: ServiceEntry,
  spec: DaemonService,
  report: ReloadReport,
): Promise<void> {
  if (sameSpec(entry.spec, spec)) {
    report.unchanged.push(name);
    return;
  }
  report.changed.push(name);
  if (!entry.mux) {
    // Stopped by a command: keep it stopped, on the new settings. Failed to start: retry.
    if (entry.state === "stopped") {
      host.set(name, { ...entry, spec });
      report.applied.push(name);
      return;
    }
    const launched = await host.launch(spec);
    if (launched.error) report.errors[name] = launched.error;
    else report.recreated.push(name);
    host.set(name, launched);
    return;
  }
  let outcome;
  try {
    outcome = await entry.mux.apply(muxOptionsOf(spec));
  } catch (error) {
    report.errors[name] = `${error instanceof Error ? error.message : String(error)}; ` +
      "it keeps running on its previous settings";
    return;
  }
  report.settings[name] = outcome.changed;
  host.activity.note(
    name,
    "info",
    `settings changed by a reload: ${outcome.changed.join(", ")}`,
  );
  if (outcome.mode === "recreate") {
    await entry.mux.close("recreated");
    const launched = await host.launch(spec);
    if (launched.error) report.errors[name] = launched.error;
    else report.recreated.push(name);
    host.set(name, launched);
  } else {
    entry.spec = spec;
    (outcome.mode === "restart" ? report.restarted : report.applied).push(name);
  }
  host.log.info("Service {service}: {changed} changed; {how}", {
    service: name,
    changed: outcome.changed.join(", "),
    how: {
      unchanged: "nothing to do",
      live: "applied in place",
      restart: "server restarted in place, clients kept",
      recreate: "new socket, clients reconnect",
    }[outcome.mode],
  });
}

/** Services sorted by name. */
export function sortByName(services: readonly DaemonService[]): DaemonService[] {
  return [...services].sort((a, b) => a.name.localeCompare(b.name));
}

function sameSpec(a: DaemonService, b: DaemonService): boolean {
  return stableJson(a.options) === stableJson(b.options);
}

/** A service's mux settings (its name is the service's unless set). */
export function muxOptionsOf(spec: DaemonService): MuxOptions {
  return { ...spec.options, serviceName: spec.options.serviceName ?? spec.name };
}

/**
 * A reload report in words, as `rmcp-mux reload` prints it and the dashboard
 * shows it: one summary line, then one line per changed service's settings,
 * daemon setting applied or needing a restart, and service that failed.
 * `shutdown` is the command that stops this daemon, as the user types it
 * (with the `--config FILE` or `--control PATH` that names it).
 */
export function describeReload(
  r: ReloadReport,
  shutdown: string = `${hintCommand()} shutdown`,
): string {
  const part = (label: string, names: readonly string[] | undefined) =>
    `${label}: ${names?.length ? names.join(", ") : "none"}`;
  const lines = [
    `reloaded; ${part("added", r.added)}; ${part("removed", r.removed)}; ` +
    `${part("applied in place", r.applied)}; ${part("restarted in place", r.restarted)}; ` +
    `${part("new socket", r.recreated)}; ${part("unchanged", r.unchanged)}`,
  ];
  for (const [name, keys] of Object.entries(r.settings ?? {})) {
    lines.push(`  ${name}: ${keys.join(", ")} changed`);
  }
  if (r.daemonApplied?.length) {
    lines.push(`  daemon: ${r.daemonApplied.join(", ")} applied in place`);
  }
  for (const what of r.needsRestart ?? []) {
    const how = r.restartWith ?? `${shutdown}, then start it again`;
    lines.push(`  needs a daemon restart: ${what} (${how})`);
  }
  for (const [name, e] of Object.entries(r.errors)) lines.push(`  ${name} failed: ${e}`);
  return lines.join("\n");
}
