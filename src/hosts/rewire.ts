/**
 * Rewiring: plan which entries of which files change to the shared form
 * (pure, text in and text out, so `--dry-run` shows exactly what would be
 * written), then apply the plan (backup, atomic write, records).
 *
 * @module
 */

import { adapterFor } from "./adapters/mod.ts";
import { type Discovery, type FoundEntry, parseHostText } from "./discover.ts";
import { entryRegion, fileValue, rewriteEntry } from "./entry.ts";
import { backupFile, writeAtomic } from "./files.ts";
import { sameValue, valueAt } from "./json_entry.ts";
import { httpUrlOf, type MuxConfigView, type NewService } from "./mux_config.ts";
import { type Launcher, PROXY_AUTO_START, proxyArgs } from "./launcher.ts";
import { planServices, serviceOfEntry, type ServicePlan } from "./services.ts";
import { mergeRecords, recordKey, type RewireRecord } from "./state.ts";
import type { FileFormat, HostId, Location, TokenRef } from "./types.ts";

/** How entries reach the daemon: `auto` picks HTTP where the host needs no setup for it. */
export type Via = "auto" | "http" | "proxy";

/** What a rewire looks at. */
export interface RewireInput {
  discovery: Discovery;
  /** The hosts to rewire (entries of other hosts only inform service names). */
  hosts: readonly HostId[];
  /** Only entries with these names (default: every shareable one). */
  servers?: readonly string[];
  /** Only these files (`--path`). */
  files?: readonly string[];
  /** Only entries this accepts (the wizard's choice). */
  select?: (entry: FoundEntry) => boolean;
  via: Via;
  config: MuxConfigView;
  records: readonly RewireRecord[];
  launcher: Launcher;
  token: TokenRef;
  socketDir: string;
  now?: Date;
}

/** What happens to one entry. */
export interface EntryOutcome {
  location: Location;
  name: string;
  action: "rewire" | "unchanged" | "skip";
  /** For rewire/unchanged: the service and the form. */
  service?: string;
  via?: "proxy" | "http";
  /** Why skipped, or a note a person should read (e.g. the token variable to set). */
  note?: string;
}

/** One file's change. */
export interface FileChange {
  host: HostId;
  file: string;
  format: FileFormat;
  before: string;
  after: string;
  records: RewireRecord[];
  /** Values (env, headers) that must not be shown in a diff. */
  secrets: string[];
}

/** The whole plan. */
export interface RewirePlan {
  services: ServicePlan;
  outcomes: EntryOutcome[];
  files: FileChange[];
  /** Services to add to the daemon's config. */
  newServices: NewService[];
  /** Files that do not parse, never written. */
  broken: Array<{ file: string; error: string }>;
}

/** Plan a rewire. Throws an Error with a clear message for an impossible request. */
export function planRewire(input: RewireInput): RewirePlan {
  const { discovery, config } = input;
  const services = planServices(discovery.entries, config.services, input.socketDir);
  const recordByKey = new Map(input.records.map((r) => [recordKey(r), r]));
  const outcomes: EntryOutcome[] = [];
  const newServices = new Map<string, NewService>();
  const selected = discovery.entries.filter((e) =>
    input.hosts.includes(e.location.host) &&
    (!input.files || input.files.includes(e.location.file)) &&
    (!input.servers || input.servers.includes(e.name)) &&
    (!input.select || input.select(e))
  );
  for (const name of input.servers ?? []) {
    if (!selected.some((e) => e.name === name)) {
      throw new Error(`no server "${name}" in ${input.hosts.join(", ")}'s files`);
    }
  }
  if (input.via === "http" && config.httpPortZero) {
    throw new Error(
      `--via http: ${config.path} has daemon.http.listen on port 0 (a new port at every start), ` +
        "which a host file cannot follow; set a fixed port (e.g. 127.0.0.1:7300), or use --via proxy",
    );
  }
  if (input.via === "http" && !config.httpListen) {
    throw new Error(
      `--via http: ${config.path} does not turn the HTTP listener on ` +
        "(daemon.http.listen, e.g. 127.0.0.1:7300); use --via proxy, or add it",
    );
  }
  const byFile = new Map<string, { location: Location; entries: FoundEntry[] }>();
  const broken = discovery.files
    .filter((f) =>
      f.status === "broken" && input.hosts.includes(f.host) &&
      (!input.files || input.files.includes(f.file))
    )
    .map((f) => ({ file: f.file, error: f.error ?? "does not parse" }));
  for (const entry of selected) {
    const { location } = entry;
    const skip = (note: string) =>
      outcomes.push({ location, name: entry.name, action: "skip", note });
    if (entry.classified.kind === "remote" && !entry.mux) {
      skip("remote server: not shareable, left alone");
      continue;
    }
    if (entry.classified.kind === "unsupported") {
      skip(`left alone: ${entry.classified.reason}`);
      continue;
    }
    if (entry.notShareable) {
      skip(`not shareable: ${entry.notShareable}`);
      continue;
    }
    const group = byFile.get(location.file) ?? { location, entries: [] };
    group.entries.push(entry);
    byFile.set(location.file, group);
  }
  const files: FileChange[] = [];
  const now = (input.now ?? new Date()).toISOString();
  for (const [file, { location, entries }] of byFile) {
    const read = parseHostText(textOf(input.discovery, file), location.format);
    if (read.status !== "ok") continue;
    const before = read.text;
    let after = before;
    const records: RewireRecord[] = [];
    const secrets: string[] = [];
    for (const entry of entries) {
      const adapter = adapterFor(entry.location);
      const record = recordByKey.get(recordKey({
        file: entry.location.file,
        container: entry.location.container,
        name: entry.name,
      }));
      const planned = entry.mux ? undefined : serviceOfEntry(services, entry);
      const service = entry.mux ? serviceForLink(entry, input, services) : planned;
      if (!service) {
        outcomes.push({
          location,
          name: entry.name,
          action: "skip",
          note: "already points at rmcp-mux, at a socket or URL no configured service has",
        });
        continue;
      }
      if (planned && !planned.configured) {
        newServices.set(planned.name, {
          name: planned.name,
          def: planned.def,
          socket: planned.socket,
        });
      }
      const httpPossible = adapter.httpForm !== undefined && config.httpListen !== undefined;
      let via: "proxy" | "http" = "proxy";
      let note: string | undefined;
      if (input.via === "http") {
        if (httpPossible) via = "http";
        else {
          note = `${
            adapter.httpUnsupported ?? `${adapter.label} cannot take the daemon's token`
          }: proxy`;
        }
      } else if (input.via === "auto") {
        if (httpPossible && adapter.httpSelfServe) via = "http";
        else if (entry.mux?.via === "http" && httpPossible) via = "http";
      }
      if (via === "http" && !adapter.httpSelfServe) {
        note = `${adapter.label} reads the token from $${input.token.envVar}: set it where ` +
          `${adapter.label} starts (export ${input.token.envVar}="$(cat ${input.token.file})")`;
      }
      const set = via === "http"
        ? adapter.httpForm!(httpUrlOf(config.httpListen!, service.name), input.token)
        : adapter.proxyForm(
          input.launcher.command,
          proxyArgs(input.launcher, service.socket, {
            config: config.path,
            service: service.name,
            autoStart: PROXY_AUTO_START,
          }),
        );
      const path = entry.location.container;
      const current = entryRegion(after, location.format, path, entry.name);
      if (!current) continue;
      const next = rewriteEntry(
        after,
        location.format,
        path,
        entry.name,
        set,
        adapter.transportKeys,
      );
      const nextRegion = entryRegion(next, location.format, path, entry.name)!;
      if (sameValue(nextRegion.value, current.value)) {
        outcomes.push({
          location,
          name: entry.name,
          action: "unchanged",
          service: service.name,
          via,
        });
        continue;
      }
      collectSecrets(entry.value, secrets);
      const original = record?.original ??
        { text: after.slice(current.start, current.end), value: current.value };
      after = next;
      records.push({
        host: location.host,
        file: location.file,
        format: location.format,
        container: path,
        scope: entry.location.scope,
        ...(entry.location.project ? { project: entry.location.project } : {}),
        ...(entry.location.style ? { style: entry.location.style } : {}),
        name: entry.name,
        original,
        rewired: { text: "", value: nextRegion.value },
        via,
        service: service.name,
        at: now,
        ...(record?.backup ? { backup: record.backup } : {}),
      });
      outcomes.push({
        location,
        name: entry.name,
        action: "rewire",
        service: service.name,
        via,
        ...(note ? { note } : {}),
      });
    }
    if (after === before) continue;
    for (const r of records) {
      const region = entryRegion(after, r.format, r.container, r.name)!;
      r.rewired = { text: after.slice(region.start, region.end), value: region.value };
    }
    checkOnlyEntriesChanged(before, after, location.format, records);
    files.push({
      host: location.host,
      file,
      format: location.format,
      before,
      after,
      records,
      secrets,
    });
  }
  return { services, outcomes, files, newServices: [...newServices.values()], broken };
}

/** The service behind an entry that already points at rmcp-mux. */
function serviceForLink(
  entry: FoundEntry,
  input: RewireInput,
  plan: ServicePlan,
): { name: string; socket: string } | undefined {
  const link = entry.mux!;
  for (const [name, s] of input.config.services) {
    if (link.service === name || (link.socket !== undefined && link.socket === s.socket)) {
      return { name, socket: s.socket };
    }
  }
  const planned = plan.services.find((s) => s.name === link.service || s.socket === link.socket);
  return planned ? { name: planned.name, socket: planned.socket } : undefined;
}

function textOf(discovery: Discovery, file: string): string {
  const text = discovery.texts.get(file);
  if (text === undefined) throw new Error(`${file} was not read`);
  return text;
}

function collectSecrets(value: unknown, out: string[]): void {
  if (value === null || typeof value !== "object") return;
  for (const key of ["env", "headers", "http_headers"]) {
    const map = (value as Record<string, unknown>)[key];
    if (map && typeof map === "object") {
      for (const v of Object.values(map)) if (typeof v === "string" && v.length >= 4) out.push(v);
    }
  }
  const command = (value as Record<string, unknown>).command;
  if (command && typeof command === "object") collectSecrets(command, out);
}

/**
 * The safety net: apart from the rewired entries, the file must mean exactly
 * what it meant. A bug in an editor throws here instead of writing.
 */
function checkOnlyEntriesChanged(
  before: string,
  after: string,
  format: FileFormat,
  records: readonly RewireRecord[],
): void {
  const strip = (text: string) => {
    const value = structuredClone(fileValue(text, format)) as Record<string, unknown>;
    for (const r of records) {
      const map = valueAt(value, r.container) as Record<string, unknown> | undefined;
      if (map) delete map[r.name];
    }
    return value;
  };
  if (!sameValue(strip(before), strip(after))) {
    throw new Error(
      "internal error: rewiring would change more than the selected entries; nothing written",
    );
  }
}

/** A rewire applied: backups made and records to keep. */
export interface Applied {
  backups: Array<{ file: string; backup: string }>;
  records: RewireRecord[];
}

/** Write the plan's files: backup, then atomic replace (refused if a host changed the file meanwhile). */
export async function applyFiles(
  changes: readonly FileChange[],
  records: readonly RewireRecord[],
): Promise<Applied> {
  const backups: Applied["backups"] = [];
  let all = [...records];
  for (const change of changes) {
    const backup = await backupFile(change.file);
    backups.push({ file: change.file, backup });
    await writeAtomic(change.file, change.after, { expected: change.before });
    all = mergeRecords(all, change.records.map((r) => ({ ...r, backup: r.backup ?? backup })));
  }
  return { backups, records: all };
}
