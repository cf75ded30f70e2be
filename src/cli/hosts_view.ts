/**
 * What `scan`, `rewire`, `unwire` and `status --host` print. Pure: data in,
 * text out. Environment values are never printed, only their names.
 *
 * @module
 */

import { maskArgs } from "../hosts/secret_args.ts";
import { adapterOf } from "../hosts/adapters/mod.ts";
import { describeLocation, type Discovery, type FoundEntry } from "../hosts/discover.ts";
import type { ServicePlan } from "../hosts/services.ts";
import type { EntryOutcome } from "../hosts/rewire.ts";
import type { UnwireOutcome } from "../hosts/unwire.ts";
import type { ServiceDef } from "../hosts/translate.ts";

/** `~` for the home directory, for shorter lines. */
export function tilde(path: string, home: string): string {
  return path === home ? "~" : path.startsWith(`${home}/`) ? `~${path.slice(home.length)}` : path;
}

function quote(word: string): string {
  return /^[\w@%+=:,./~${}-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** A service's command line, with env names (never values) and secret-looking arguments masked. */
export function commandLine(def: ServiceDef): string {
  const line = [def.cmd, ...maskArgs(def.args)].map(quote).join(" ");
  const env = Object.keys(def.env);
  return env.length ? `${line}  (env: ${env.join(", ")})` : line;
}

function table(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => widths[i] = Math.max(widths[i] ?? 0, cell.length));
  }
  return rows.map((row) =>
    row.map((cell, i) => i === row.length - 1 ? cell : cell.padEnd(widths[i]!)).join("  ").trimEnd()
  );
}

/** The scan report. */
export function formatScan(discovery: Discovery, plan: ServicePlan, home: string): string {
  const lines: string[] = [];
  const count = (n: number, one: string) => `${n} ${one}${n === 1 ? "" : "s"}`;
  lines.push(
    discovery.files.length === 0
      ? "No MCP host config files found."
      : `Host files (${discovery.files.length}):`,
  );
  const rows: string[][] = [];
  for (const file of discovery.files) {
    const label = adapterOf(file.host)?.label ?? "custom file";
    if (file.status === "broken") {
      rows.push(["  " + label, tilde(file.file, home), "", `${file.error}; never written`]);
      continue;
    }
    for (const location of file.locations) {
      const n = discovery.entries.filter((e) => e.location === location).length;
      const scope = location.scope === "local"
        ? `local (${tilde(location.project!, home)})`
        : location.scope;
      rows.push(["  " + label, tilde(file.file, home), scope, count(n, "server")]);
    }
  }
  lines.push(...table(rows));
  if (plan.services.length > 0) {
    lines.push("", `Servers to share (${plan.services.length}):`);
    const srows = plan.services.map((s) => [
      "  " + s.name,
      commandLine(s.def),
      `${s.isolation.mode}${s.configured ? ", in the config" : ""}`,
    ]);
    const formatted = table(srows);
    plan.services.forEach((s, i) => {
      lines.push(formatted[i]!);
      lines.push(`      in: ${s.entries.map((e) => describeLocation(e.location)).join(", ")}`);
      if (s.isolation.mode !== "shared") {
        lines.push(`      isolation ${s.isolation.mode}: ${s.isolation.reason}`);
      }
      if (s.def.cwd) lines.push(`      cwd: ${s.def.cwd}`);
    });
  }
  for (const conflict of plan.conflicts) {
    lines.push(
      "",
      `Conflict: "${conflict.name}" is defined differently in different places; ` +
        `shared as ${conflict.services.map((s) => `"${s}"`).join(" and ")}.`,
    );
  }
  const shared = discovery.entries.filter((e) => e.mux);
  if (shared.length > 0) {
    lines.push("", `Already shared via rmcp-mux (${shared.length}):`);
    lines.push(...table(shared.map((e) => [
      "  " + e.name,
      describeLocation(e.location),
      e.mux!.via === "proxy" ? `proxy → ${e.mux!.socket}` : `http → ${e.mux!.url}`,
    ])));
  }
  const alone = discovery.entries.filter((e) => !e.mux && !e.def);
  if (alone.length > 0) {
    lines.push("", `Not shareable, left alone (${alone.length}):`);
    lines.push(
      ...table(alone.map((e) => ["  " + e.name, describeLocation(e.location), whyAlone(e)])),
    );
  }
  return lines.join("\n") + "\n";
}

/** Why an entry is not shared. */
export function whyAlone(entry: FoundEntry): string {
  if (entry.classified.kind === "remote") return `remote server (${entry.classified.url})`;
  if (entry.classified.kind === "unsupported") return entry.classified.reason;
  return entry.notShareable ?? "";
}

/** The scan as JSON (env names only, secret-looking arguments masked). */
export function scanJson(discovery: Discovery, plan: ServicePlan): unknown {
  return {
    files: discovery.files.map((f) => ({
      host: f.host,
      file: f.file,
      status: f.status,
      ...(f.error ? { error: f.error } : {}),
      maps: f.locations.map((l) => ({ scope: l.scope, project: l.project, path: l.container })),
    })),
    services: plan.services.map((s) => ({
      name: s.name,
      command: s.def.cmd,
      args: maskArgs(s.def.args),
      env: Object.keys(s.def.env),
      cwd: s.def.cwd,
      socket: s.socket,
      isolation: s.isolation,
      configured: s.configured,
      in: s.entries.map((e) => ({
        host: e.location.host,
        file: e.location.file,
        scope: e.location.scope,
        project: e.location.project,
        name: e.name,
      })),
    })),
    conflicts: plan.conflicts,
    shared: discovery.entries.filter((e) => e.mux).map((e) => ({
      name: e.name,
      host: e.location.host,
      file: e.location.file,
      ...e.mux,
    })),
    notShareable: discovery.entries.filter((e) => !e.mux && !e.def).map((e) => ({
      name: e.name,
      host: e.location.host,
      file: e.location.file,
      reason: whyAlone(e),
    })),
  };
}

/** One line per rewire outcome. */
export function formatRewire(outcomes: readonly EntryOutcome[], dryRun: boolean): string {
  const verb = dryRun ? "would rewire" : "rewired";
  return outcomes.map((o) => {
    const where = describeLocation(o.location);
    switch (o.action) {
      case "rewire":
        return `${verb} ${o.name} (${where}) → ${o.service} via ${o.via}` +
          (o.note ? `\n    note: ${o.note}` : "");
      case "unchanged":
        return `${o.name} (${where}): already shared via rmcp-mux (${o.via}), unchanged`;
      case "skip":
        return `${o.name} (${where}): ${o.note}`;
    }
  }).join("\n") + (outcomes.length ? "\n" : "");
}

/** One line per unwire outcome. */
export function formatUnwire(outcomes: readonly UnwireOutcome[], dryRun: boolean): string {
  return outcomes.map((o) => {
    const where = `${o.record.name} (${
      adapterOf(o.record.host)?.label ?? o.record.host
    }, ${o.record.file})`;
    if (o.action === "restore") return `${dryRun ? "would restore" : "restored"} ${where}`;
    return `${where}: ${o.note}`;
  }).join("\n") + (outcomes.length ? "\n" : "");
}
