/**
 * `rmcp-mux wizard` (placeholder until the interactive flow lands).
 *
 * @module
 */

import type { HostsCommand } from "./hosts_args.ts";

/** Run the wizard. */
export function runWizard(_command: Extract<HostsCommand, { kind: "wizard" }>): Promise<number> {
  return Promise.resolve(2);
}
