/**
 * Before a service command changes anything: would the service's daemon
 * start? The config file is loaded as the daemon would load it, with the
 * environment the service manager gives it (not the installing shell's).
 *
 * @module
 */

import { hintCommand, shellWord } from "../paths/self_command.ts";
import { ConfigError, formatIssue } from "../config/errors.ts";
import { loadConfig } from "../config/load.ts";
import { runCommand, type Runner } from "./manager.ts";
import type { ServiceContext, ServicePlan } from "./service.ts";
import { DEFAULT_PATH } from "./unit.ts";

/**
 * Why the service's daemon would not start, if it would not: the config file
 * is missing or invalid, or names a `${VAR}` the service's environment lacks
 * (a service does not see the variables of the shell that installed it).
 * Checked before anything is written, so a failure is one line now rather
 * than a crash loop in the service manager's log.
 */
export async function configProblem(
  plan: ServicePlan,
  context: ServiceContext = {},
): Promise<string | undefined> {
  const env = await serviceEnvironment(
    plan,
    context.env ?? Deno.env.toObject(),
    context.run ?? runCommand,
  );
  try {
    await loadConfig(plan.config, { env });
    return undefined;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    if (error.cause instanceof Deno.errors.NotFound) {
      return `${plan.config} does not exist; write it first ` +
        `("${hintCommand()} scan --write-config ${shellWord(plan.config)}", or see ` +
        "config.example.yaml)";
    }
    const [first, ...more] = error.issues;
    let line = first ? formatIssue(first) : error.message;
    if (more.length > 0) {
      line += ` (and ${more.length} more: ${hintCommand()} config check ${shellWord(plan.config)})`;
    }
    const unset = error.issues.map((i) => /environment variable (\S+) is not set/.exec(i.message))
      .find((m) => m !== null)?.[1];
    if (unset !== undefined) {
      line += `; the service does not see your shell's variables: write the value into ` +
        `${plan.config} (keep it private: chmod 600)` +
        (plan.manager === "systemd"
          ? `, or put ${unset}=… in ~/.config/environment.d/rmcp-mux.conf ` +
            "(read when your systemd user manager starts)"
          : "");
    }
    return line;
  }
}

/**
 * The environment the service's daemon will have: the user manager's
 * (`systemctl --user show-environment`; launchd gives agents little), the
 * account's HOME, USER, LOGNAME and SHELL, and the unit's PATH. When the
 * manager cannot be asked, the installing process's own.
 */
async function serviceEnvironment(
  plan: ServicePlan,
  env: Readonly<Record<string, string | undefined>>,
  run: Runner,
): Promise<Record<string, string | undefined>> {
  const out: Record<string, string | undefined> = {};
  if (plan.manager === "systemd") {
    const shown = await run("systemctl", ["--user", "show-environment"]);
    if (shown.code !== 0) return { ...env };
    for (const line of shown.stdout.split("\n")) {
      const eq = line.indexOf("=");
      if (eq > 0) out[line.slice(0, eq)] = line.slice(eq + 1);
    }
  } else if (env.TMPDIR !== undefined) {
    out.TMPDIR = env.TMPDIR;
  }
  for (const key of ["HOME", "USER", "LOGNAME", "SHELL"]) {
    if (env[key] !== undefined) out[key] = env[key];
  }
  out.PATH = env.PATH ?? DEFAULT_PATH;
  return out;
}
