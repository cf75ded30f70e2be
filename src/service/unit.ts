/**
 * The daemon as a user service: a systemd user unit (Linux) or a launchd
 * agent (macOS), rendered from what it runs. Pure: text out, no files, no
 * `systemctl`.
 *
 * @module
 */

/** What the service runs and where its pieces go. */
export interface UnitSpec {
  /** Unit name without suffix (`rmcp-mux`, `rmcp-mux-fleet-1a2b3c4d`). */
  name: string;
  /** The program and its arguments (absolute program path). */
  command: readonly string[];
  /** The config file it runs (for the description). */
  config: string;
  /** Working directory (the home directory). */
  workingDirectory: string;
  /** `PATH` for the servers it starts (`npx`, `uvx`… must be found). */
  path: string;
  /** Where launchd writes the daemon's output (systemd uses the journal). */
  logFile: string;
}

/**
 * Set by the unit for the daemon it runs, to the unit's name (systemd) or
 * label (launchd): the daemon records it, so commands know the service owns
 * it, and takes over from a daemon of its config started outside the service.
 */
export const SERVICE_ENV = "RMCP_MUX_SERVICE";

/** The unit's PATH when the installing process has none. */
export const DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin";

/** Seconds a stop may take before the service manager kills what is left. */
export const STOP_TIMEOUT_S = 15;

/**
 * A systemd user unit: restarts on failure, logs to the journal, SIGHUP for
 * `systemctl --user reload`, SIGTERM to the daemon only (it stops its own
 * servers), started with the user's session (`default.target`).
 *
 * @example
 * ```ts
 * import { renderSystemdUnit } from "./unit.ts";
 *
 * const unit = renderSystemdUnit({
 *   name: "rmcp-mux",
 *   command: ["/usr/local/bin/rmcp-mux", "--config", "/home/ada/.config/rmcp-mux/config.yaml"],
 *   config: "/home/ada/.config/rmcp-mux/config.yaml",
 *   workingDirectory: "/home/ada",
 *   path: "/usr/local/bin:/usr/bin:/bin",
 *   logFile: "/home/ada/.local/state/rmcp-mux/daemon.log",
 * });
 * console.log(unit.split("\n").find((l) => l.startsWith("ExecStart=")));
 * // ExecStart=/usr/local/bin/rmcp-mux --config /home/ada/.config/rmcp-mux/config.yaml
 * ```
 */
export function renderSystemdUnit(spec: UnitSpec): string {
  return `# ${spec.name}.service: written by rmcp-mux service install; remove with rmcp-mux service uninstall
[Unit]
Description=rmcp-mux daemon: shared MCP servers of ${systemdText(spec.config)}
Documentation=https://jsr.io/@rmcp-mux/mux

[Service]
Type=simple
ExecStart=${spec.command.map(systemdWord).join(" ")}
ExecReload=/bin/kill -HUP $MAINPID
Restart=on-failure
RestartSec=2
KillMode=mixed
TimeoutStopSec=${STOP_TIMEOUT_S}
WorkingDirectory=${systemdWord(spec.workingDirectory)}
Environment=${systemdWord(`PATH=${spec.path}`)}
Environment=${systemdWord(`${SERVICE_ENV}=${spec.name}.service`)}

[Install]
WantedBy=default.target
`;
}

/**
 * A launchd agent: started at login and kept alive after a crash, output
 * in a log file, SIGTERM then {@link STOP_TIMEOUT_S} before SIGKILL.
 *
 * @example
 * ```ts
 * import { renderLaunchdPlist } from "./unit.ts";
 *
 * const plist = renderLaunchdPlist({
 *   name: "rmcp-mux",
 *   command: ["/usr/local/bin/rmcp-mux", "--config", "/Users/ada/.config/rmcp-mux/config.yaml"],
 *   config: "/Users/ada/.config/rmcp-mux/config.yaml",
 *   workingDirectory: "/Users/ada",
 *   path: "/usr/local/bin:/usr/bin:/bin",
 *   logFile: "/Users/ada/.local/state/rmcp-mux/daemon.log",
 * });
 * console.log(plist.includes("<string>dev.rmcp-mux.daemon</string>")); // true
 * ```
 */
export function renderLaunchdPlist(spec: UnitSpec): string {
  const strings = (values: readonly string[]) =>
    values.map((v) => `\n    <string>${xml(v)}</string>`).join("");
  return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<!-- ${
    xml(launchdLabel(spec.name))
  }: written by rmcp-mux service install; remove with rmcp-mux service uninstall -->
<plist version="1.0">
<dict>
  <key>Label</key>
  <string>${xml(launchdLabel(spec.name))}</string>
  <key>ProgramArguments</key>
  <array>${strings(spec.command)}
  </array>
  <key>RunAtLoad</key>
  <true/>
  <key>KeepAlive</key>
  <dict>
    <key>SuccessfulExit</key>
    <false/>
  </dict>
  <key>ThrottleInterval</key>
  <integer>2</integer>
  <key>ExitTimeOut</key>
  <integer>${STOP_TIMEOUT_S}</integer>
  <key>ProcessType</key>
  <string>Background</string>
  <key>WorkingDirectory</key>
  <string>${xml(spec.workingDirectory)}</string>
  <key>EnvironmentVariables</key>
  <dict>
    <key>PATH</key>
    <string>${xml(spec.path)}</string>
    <key>${SERVICE_ENV}</key>
    <string>${xml(launchdLabel(spec.name))}</string>
  </dict>
  <key>StandardOutPath</key>
  <string>${xml(spec.logFile)}</string>
  <key>StandardErrorPath</key>
  <string>${xml(spec.logFile)}</string>
</dict>
</plist>
`;
}

/** The launchd label of a service name: `rmcp-mux` → `dev.rmcp-mux.daemon`. */
export function launchdLabel(name: string): string {
  return name === "rmcp-mux" ? "dev.rmcp-mux.daemon" : `dev.rmcp-mux.${name.slice(9)}`;
}

/**
 * One word of an `ExecStart=` line: quoted when it holds spaces or quotes,
 * and `%` / `$` doubled (systemd expands specifiers and variables there).
 */
export function systemdWord(word: string): string {
  const escaped = systemdText(word).replaceAll("$", "$$$$");
  if (escaped !== "" && /^[\w@%+=:,./$-]+$/.test(escaped)) return escaped;
  return `"${escaped.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
}

/** Text where systemd expands `%` specifiers (descriptions, paths). */
function systemdText(text: string): string {
  return text.replaceAll("%", "%%").replaceAll("\n", " ");
}

/** `text` escaped for a plist (XML) string. */
export function xml(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;");
}
