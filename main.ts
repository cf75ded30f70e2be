/**
 * The `rmcp-mux` command line: parse, dispatch, exit code. Everything else
 * lives in `src/`.
 *
 * @module
 */

import { CliError, parseCommandLine } from "./src/cli/args.ts";
import {
  runDemoCommand,
  runHealthCommand,
  runMuxCommand,
  runProxyCommand,
} from "./src/cli/commands.ts";
import { runConfigCheck, runControlCommand, runStatusCommand } from "./src/cli/admin_commands.ts";
import { runDaemonCommand } from "./src/cli/daemon_command.ts";
import { helpText } from "./src/cli/help.ts";
import { writeStderr } from "./src/cli/logging.ts";
import { NAME, VERSION } from "./src/version.ts";

async function main(args: string[]): Promise<number> {
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
      return await runMuxCommand(command.options, command.log);
    case "demo":
      return await runDemoCommand(command.options, command.log);
    case "proxy":
      return await runProxyCommand(command.socket);
    case "health":
      return await runHealthCommand(command.socket, command.timeoutMs, command.json);
    case "daemon":
      return await runDaemonCommand(command);
    case "status":
      return await runStatusCommand(command);
    case "control":
      return await runControlCommand(command);
    case "config-check":
      return await runConfigCheck(command.file);
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
