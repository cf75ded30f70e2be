/**
 * What each client may see, by its negotiated protocol version: the
 * upstream speaks the newest revision, an older client must never receive
 * what its revision does not have. Pure.
 *
 * @module
 */

import { versionAtLeast } from "./negotiate.ts";

/** The server capabilities a client of `version` is told about. */
export function serverCapabilitiesFor(
  version: string,
  capabilities: Record<string, unknown>,
): Record<string, unknown> {
  const out = { ...capabilities };
  // Tasks arrived in 2025-11-25, completions in 2025-03-26.
  if (!versionAtLeast(version, "2025-11-25")) delete out.tasks;
  if (!versionAtLeast(version, "2025-03-26")) delete out.completions;
  return out;
}

/** A `tools/list` result for a client of `version`: tools it cannot call are hidden. */
export function toolsListFor(
  version: string,
  result: Record<string, unknown>,
): Record<string, unknown> {
  if (versionAtLeast(version, "2025-11-25") || !Array.isArray(result.tools)) return result;
  // A tool whose task support is "required" can only be called as a task (2025-11-25).
  const tools = result.tools.filter((tool) =>
    (tool as { execution?: { taskSupport?: string } })?.execution?.taskSupport !== "required"
  );
  return { ...result, tools };
}

/** Server notifications that exist only from a given revision on. */
const NOTIFICATION_SINCE: Record<string, string> = {
  "notifications/elicitation/complete": "2025-11-25",
  "notifications/tasks/status": "2025-11-25",
};

/** May a client of `version` receive this server notification? */
export function notificationAllowed(version: string, method: string): boolean {
  const since = NOTIFICATION_SINCE[method];
  return since === undefined || versionAtLeast(version, since);
}

/** Does a server with these capabilities declare `listChanged` for this kind of list? */
export function declaresListChanged(capabilities: Record<string, unknown>, kind: string): boolean {
  return !!(capabilities[kind] as { listChanged?: boolean } | undefined)?.listChanged;
}

/** The `notifications/<kind>/list_changed` a server with these capabilities may send. */
export function listChangedMethods(capabilities: Record<string, unknown>): string[] {
  return (["tools", "prompts", "resources"] as const)
    .filter((kind) => declaresListChanged(capabilities, kind))
    .map((kind) => `notifications/${kind}/list_changed`);
}
