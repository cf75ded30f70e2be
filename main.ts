/**
 * The `rmcp-mux` command line: parse, dispatch, exit code. Everything else
 * lives in `src/`.
 *
 * @module
 */

// One generated module (see src/cli/lean_start.ts): all a host's `proxy` loads.
// @ts-types="./src/cli/lean_start.ts"
import { proxyMain, runProxyCommand, translateRustArgs } from "./src/cli/lean_start.bundle.js";

/**
 * Load a command's module only when it runs. Deno puts every *literal*
 * dynamic import into the start-up module graph (and would resolve the npm
 * packages behind it) even when it never runs; `proxy` starts once per host
 * session and must cost little more than Deno itself, so every other
 * command's module is reached through this non-literal import. The type
 * argument (`typeof import(...)`, type-only) keeps `deno check` exact, and
 * `deno task compile` embeds these modules with `--include` (a test keeps the
 * two lists equal). Add new commands the same way.
 */
const load = <T>(path: string): Promise<T> => import(path);

type Args = typeof import("./src/cli/args.ts");
type Stderr = typeof import("./src/cli/stderr.ts");
type Version = typeof import("./src/version.ts");
type Help = typeof import("./src/cli/help.ts");
type Commands = typeof import("./src/cli/commands.ts");
type Http = typeof import("./src/cli/http_command.ts");
type Health = typeof import("./src/cli/health_command.ts");
type DaemonCli = typeof import("./src/cli/daemon_command.ts");
type Admin = typeof import("./src/cli/admin_commands.ts");
type Dashboard = typeof import("./src/cli/dashboard_command.ts");
type Hosts = typeof import("./src/cli/hosts_commands.ts");
type Wizard = typeof import("./src/cli/wizard.ts");
type Service = typeof import("./src/cli/service_command.ts");
type Fatal = typeof import("./src/cli/fatal.ts");

/**
 * The name this program was started as. `Deno.execPath()` resolves symlinks,
 * so a `rmcp-mux-proxy` symlink to the binary (how the Rust tool's entries
 * name the proxy) would read as `rmcp-mux`; on Linux the command line's
 * first word keeps the link's name.
 */
function programName(): string {
  const resolved = Deno.execPath().split("/").pop() ?? "rmcp-mux";
  try {
    const argv0 = Deno.readTextFileSync("/proc/self/cmdline").split("\0")[0] ?? "";
    return argv0.split("/").pop() || resolved;
  } catch {
    return resolved; // No /proc (macOS): a copy named rmcp-mux-proxy works, a symlink does not.
  }
}

async function main(given: string[]): Promise<number> {
  // The Rust tool's spellings (and its rmcp-mux-proxy program name) keep working.
  // `proxy` needs no program name (read from /proc): the host-session start path stays short.
  const { args, notices } = translateRustArgs(
    given,
    given[0] === "proxy" ? "rmcp-mux" : programName(),
  );
  if (args[0] === "proxy" && notices.length === 0) {
    return await proxyMain(args.slice(1));
  }
  const { CliError, hintCommand, parseCommandLine } = await load<Args>("./src/cli/args.ts");
  const { writeStderr } = await load<Stderr>("./src/cli/stderr.ts");
  const { NAME, VERSION } = await load<Version>("./src/version.ts");
  for (const notice of notices) writeStderr(`${NAME}: ${notice}\n`);
  let command;
  try {
    command = parseCommandLine(args, { HOME: Deno.env.get("HOME") });
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    writeStderr(`${NAME}: ${error.message}\nRun "${hintCommand()} --help" for usage.\n`);
    return 2;
  }
  switch (command.kind) {
    case "help":
      console.log((await load<Help>("./src/cli/help.ts")).helpText(command.topic));
      return 0;
    case "version":
      console.log(`${NAME} ${VERSION}`);
      return 0;
    case "run":
      return await (await load<Commands>("./src/cli/commands.ts")).runMuxCommand(
        command.options,
        command.log,
        command.http,
      );
    case "demo":
      return await (await load<Commands>("./src/cli/commands.ts")).runDemoCommand(
        command.options,
        command.log,
        command.http,
      );
    case "http-token":
      return await (await load<Http>("./src/cli/http_command.ts")).runHttpTokenCommand(
        command.tokenFile,
      );
    case "proxy":
      return await runProxyCommand(command);
    case "health":
      return await (await load<Health>("./src/cli/health_command.ts")).runHealthCommand(
        command.socket,
        command.timeoutMs,
        command.json,
      );
    case "daemon":
      return await (await load<DaemonCli>("./src/cli/daemon_command.ts")).runDaemonCommand(
        command,
      );
    case "status":
      return await (await load<Admin>("./src/cli/admin_commands.ts")).runStatusCommand(command);
    case "control":
      return await (await load<Admin>("./src/cli/admin_commands.ts")).runControlCommand(command);
    case "config-check":
      return await (await load<Admin>("./src/cli/admin_commands.ts")).runConfigCheck(
        command.file,
      );
    case "dashboard":
      return await (await load<Dashboard>("./src/cli/dashboard_command.ts")).runDashboardCommand(
        command,
      );
    case "scan":
      return await (await load<Hosts>("./src/cli/hosts_commands.ts")).runScan(command);
    case "rewire":
      return await (await load<Hosts>("./src/cli/hosts_commands.ts")).runRewire(command);
    case "unwire":
      return await (await load<Hosts>("./src/cli/hosts_commands.ts")).runUnwire(command);
    case "host-status":
      return await (await load<Hosts>("./src/cli/hosts_commands.ts")).runHostStatus(command);
    case "wizard":
      return await (await load<Wizard>("./src/cli/wizard.ts")).runWizard(command);
    case "service":
      return await (await load<Service>("./src/cli/service_command.ts")).runServiceCommand(command);
  }
}

let dying: Promise<never> | undefined;

/**
 * An error nothing handled: one line (src/cli/fatal.ts, loaded only now),
 * never Deno's stack trace, and exit 1 — for a daemon too, whose service
 * manager then restarts it. Errors after the first wait for it.
 */
function die(error: unknown): Promise<never> {
  dying ??= (async () => {
    try {
      (await load<Fatal>("./src/cli/fatal.ts")).reportFatal(error);
    } catch {
      // Even that cannot load (Deno may not read this checkout): its own message says what to do.
      const text = (error instanceof Error ? error.message : String(error)).split("\n")[0] ?? "";
      const all = /--allow-/.test(text)
        ? "; rmcp-mux needs all of Deno's permissions: run it with -A"
        : "";
      try {
        Deno.stderr.writeSync(new TextEncoder().encode(`rmcp-mux: ${text}${all}\n`));
      } catch {
        // No stderr: the exit code is all that is left.
      }
    }
    Deno.exit(1);
  })();
  return dying;
}

if (import.meta.main) {
  // A timer's or a forgotten promise's error must not end in a stack trace either.
  globalThis.addEventListener("error", (event) => {
    event.preventDefault();
    void die(event.error);
  });
  globalThis.addEventListener("unhandledrejection", (event) => {
    event.preventDefault();
    void die(event.reason);
  });
  Deno.exit(await main(Deno.args).catch(die));
}
