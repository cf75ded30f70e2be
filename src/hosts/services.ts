/**
 * From the entries found in every host to the daemon's services: identical
 * servers merged, same-name-different-definition conflicts named and given
 * distinct names, existing config services reused. Pure.
 *
 * @module
 */

import { type IsolationAdvice, isolationFor } from "../isolation/known_servers.ts";
import type { FoundEntry } from "./discover.ts";
import type { ConfiguredService } from "./mux_config.ts";
import { defKey, type ServiceDef, serviceName } from "./translate.ts";

/** One service the daemon runs (or will) for one or more host entries. */
export interface PlannedService {
  name: string;
  def: ServiceDef;
  socket: string;
  isolation: IsolationAdvice;
  entries: FoundEntry[];
  /** Already in the daemon's config. */
  configured: boolean;
}

/** A name two different servers use. */
export interface Conflict {
  name: string;
  /** The service name each definition got. */
  services: string[];
}

/** The services for `entries`, and the name conflicts met. */
export interface ServicePlan {
  services: PlannedService[];
  conflicts: Conflict[];
}

/**
 * Group shareable stdio entries by definition. The first entry of a group
 * names it; a name already taken by another definition (in the config or an
 * earlier group) becomes `<name>-<host>`, then `-2`, `-3`…
 */
export function planServices(
  entries: readonly FoundEntry[],
  configured: ReadonlyMap<string, ConfiguredService>,
  socketDir: string,
): ServicePlan {
  const byConfigDef = new Map<string, string>();
  for (const [name, service] of configured) byConfigDef.set(defKey(service.def), name);
  const groups = new Map<string, PlannedService>();
  const taken = new Map<string, string>(); // name → def key
  for (const [name, service] of configured) taken.set(name, defKey(service.def));
  const wanted = new Map<string, Set<string>>(); // entry name → service names
  for (const entry of entries) {
    if (!entry.def || entry.mux) continue;
    const key = defKey(entry.def);
    let group = groups.get(key);
    if (!group) {
      const existing = byConfigDef.get(key);
      let name = existing ?? serviceName(entry.name);
      if (existing === undefined && taken.has(name) && taken.get(name) !== key) {
        name = uniqueName(`${name}-${entry.location.host}`, taken);
      }
      taken.set(name, key);
      group = {
        name,
        def: entry.def,
        socket: configured.get(name)?.socket ?? `${socketDir}/${name}.sock`,
        isolation: isolationFor(commandWord(entry.def.cmd), entry.def.args),
        entries: [],
        configured: existing !== undefined,
      };
      groups.set(key, group);
    }
    group.entries.push(entry);
    const names = wanted.get(entry.name) ?? new Set();
    names.add(group.name);
    wanted.set(entry.name, names);
  }
  const conflicts: Conflict[] = [];
  for (const [name, services] of wanted) {
    if (services.size > 1) conflicts.push({ name, services: [...services].sort() });
  }
  return { services: [...groups.values()], conflicts };
}

function uniqueName(base: string, taken: ReadonlyMap<string, string>): string {
  if (!taken.has(base)) return base;
  for (let n = 2;; n++) {
    if (!taken.has(`${base}-${n}`)) return `${base}-${n}`;
  }
}

/** The program of a config `cmd` (variables left as they are). */
function commandWord(cmd: string): string {
  return cmd.replaceAll("$$", "$");
}

/** The planned service an entry belongs to. */
export function serviceOfEntry(
  plan: ServicePlan,
  entry: FoundEntry,
): PlannedService | undefined {
  return plan.services.find((s) => s.entries.includes(entry));
}
