/**
 * Every host adapter, in the order scans list them.
 *
 * @module
 */

import { claudeCode } from "./claude_code.ts";
import { claudeDesktop } from "./claude_desktop.ts";
import { codex } from "./codex.ts";
import { cursor } from "./cursor.ts";
import { gemini } from "./gemini.ts";
import { junie } from "./junie.ts";
import { vscode } from "./vscode.ts";
import { windsurf } from "./windsurf.ts";
import { zed } from "./zed.ts";
import { customAdapter } from "./custom.ts";
import type { HostAdapter, HostId, Location } from "../types.ts";

/** The known hosts. */
export const ADAPTERS: readonly HostAdapter[] = [
  claudeCode,
  claudeDesktop,
  codex,
  cursor,
  vscode,
  windsurf,
  gemini,
  zed,
  junie,
];

/** The adapter for `--host NAME` (ids and aliases, case-insensitive), or `undefined`. */
export function adapterNamed(name: string): HostAdapter | undefined {
  const key = name.trim().toLowerCase();
  return ADAPTERS.find((a) => a.id === key || a.aliases.includes(key));
}

/** The adapter with this id. */
export function adapterOf(id: HostId): HostAdapter | undefined {
  return ADAPTERS.find((a) => a.id === id);
}

/** Every `--host` name, for error messages. */
export function hostNames(): string {
  return ADAPTERS.map((a) => a.id).join(", ");
}

/** The adapter that reads and writes `location`. */
export function adapterFor(location: Location): HostAdapter {
  if (location.host === "custom") return customAdapter(location.style ?? "json");
  const adapter = adapterOf(location.host);
  if (adapter === undefined) throw new Error(`unknown host ${location.host}`);
  return adapter;
}
