/**
 * The `rmcp-mux` command line: parse, dispatch, exit code. Everything else
 * lives in `src/`.
 *
 * @module
 */

import { CliError, parseCommandLine } from "./src/cli/args.ts";
import { helpText } from "./src/cli/help.ts";
import { writeStderr } from "./src/cli/stderr.ts";
import { translateRustArgs } from "./src/cli/rust_compat.ts";
import { NAME, VERSION } from "./src/version.ts";

// Each command loads only what it needs: `proxy` and `health` start in a
// host's session path, so they must not pay for the config parser and the daemon.
async function main(given: string[]): Promise<number> {
  // The Rust tool's spellings (and its rmcp-mux-proxy program name) keep working.
  const program = Deno.execPath().split("/").pop() ?? NAME;
  const { args, notices } = translateRustArgs(given, program);
  for (const notice of notices) writeStderr(`${NAME}: ${notice}\n`);
  let command;
  try {
    command = parseCommandLine(args, { HOME: Deno.env.get("HOME") });
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    writeStderr(`${NAME}: ${error.message}\nRun "${NAME} --help" for usage.\n`);
    return 2;
  }
  switch (command.kind) {
    case "help":
      console.log(helpText(command.topic));
      return 0;
    case "version":
      console.log(`${NAME} ${VERSION}`);
      return 0;
    case "run":
      return await (await import("./src/cli/commands.ts")).runMuxCommand(
        command.options,
        command.log,
        command.http,
      );
    case "demo":
      return await (await import("./src/cli/commands.ts")).runDemoCommand(
        command.options,
        command.log,
        command.http,
      );
    case "http-token":
      return await (await import("./src/cli/http_command.ts")).runHttpTokenCommand(
        command.tokenFile,
      );
    case "proxy":
      return await (await import("./src/cli/proxy_command.ts")).runProxyCommand(command.socket);
    case "health":
      return await (await import("./src/cli/proxy_command.ts")).runHealthCommand(
        command.socket,
        command.timeoutMs,
        command.json,
      );
    case "daemon":
      return await (await import("./src/cli/daemon_command.ts")).runDaemonCommand(command);
    case "status":
      return await (await import("./src/cli/admin_commands.ts")).runStatusCommand(command);
    case "control":
      return await (await import("./src/cli/admin_commands.ts")).runControlCommand(command);
    case "config-check":
      return await (await import("./src/cli/admin_commands.ts")).runConfigCheck(command.file);
    case "dashboard":
      return await (await import("./src/cli/dashboard_command.ts")).runDashboardCommand(command);
    case "scan":
      return await (await import("./src/cli/hosts_commands.ts")).runScan(command);
    case "rewire":
      return await (await import("./src/cli/hosts_commands.ts")).runRewire(command);
    case "unwire":
      return await (await import("./src/cli/hosts_commands.ts")).runUnwire(command);
    case "host-status":
      return await (await import("./src/cli/hosts_commands.ts")).runHostStatus(command);
    case "wizard":
      return await (await import("./src/cli/wizard.ts")).runWizard(command);
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
