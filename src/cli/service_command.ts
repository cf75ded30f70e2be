/**
 * `rmcp-mux service install|uninstall|status|restart [--config FILE] [--dry-run]`:
 * the daemon as a user service (systemd / launchd). One line per outcome;
 * `--dry-run` prints the unit and the commands, and changes nothing.
 *
 * @module
 */

import {
  configProblem,
  installService,
  planService,
  restartService,
  serviceStatus,
  uninstallService,
} from "../service/service.ts";
import { NAME } from "../version.ts";
import type { ServiceCommand } from "./args.ts";
import { writeStderr } from "./stderr.ts";

/** Run a `service` subcommand; returns the exit code. */
export async function runServiceCommand(command: ServiceCommand): Promise<number> {
  const options = command.config !== undefined ? { config: command.config } : {};
  let plan;
  try {
    plan = planService(options);
  } catch (error) {
    writeStderr(`${NAME}: ${(error as Error).message}\n`);
    return 1;
  }
  if (command.dryRun) {
    const steps = command.action === "install" ? plan.enable : plan.disable;
    const lines = command.action === "install"
      ? [`# ${plan.file} (not written: --dry-run)`, plan.text.trimEnd()]
      : [`# would remove ${plan.file}`];
    lines.push(`# then: ${steps.map((c) => c.join(" ")).join(" && ")}`);
    if (plan.warning) lines.push(`# warning: ${plan.warning}`);
    const problem = command.action === "install" ? await configProblem(plan) : undefined;
    if (problem) lines.push(`# warning: the daemon would not start: ${problem}`);
    console.log(lines.join("\n"));
    return 0;
  }
  const result = command.action === "install"
    ? await installService(options)
    : command.action === "uninstall"
    ? await uninstallService(options)
    : command.action === "restart"
    ? await restartService(options)
    : await serviceStatus(options);
  if (result.ok) console.log(result.message);
  else writeStderr(`${NAME}: service ${command.action}: ${result.message}\n`);
  return result.ok ? 0 : 1;
}
