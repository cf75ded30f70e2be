/**
 * The Rust rmcp-mux's command lines, as users have them in scripts and
 * launchd plists: each either works here or is turned into the new way with
 * a one-line notice. Pure: arguments in, arguments and notices out.
 *
 * @module
 */

/** Arguments to parse, and what to tell the user about them. */
export interface Translated {
  args: string[];
  notices: string[];
}

const PROXY_NAMES = /^(rmcp[-_]mux[-_]proxy|mcp[-_]mux[-_]proxy|rust[-_]mux[-_]proxy)(\.exe)?$/;

const HEARTBEAT = /^--heartbeat-interval-ms(=.*)?$/;

const NO_HEARTBEAT = "--heartbeat-interval-ms ignored: the liveness probe pings only a server " +
  "that has requests in flight and has been silent for --heartbeat-timeout-ms";

/** Take `--name VALUE` or `--name=VALUE` out of `args`; returns the value. */
function take(args: string[], name: string): string | undefined {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--") return undefined;
    if (args[i] === name) {
      const value = args[i + 1];
      args.splice(i, 2);
      return value;
    }
    if (args[i]!.startsWith(`${name}=`)) {
      const value = args[i]!.slice(name.length + 1);
      args.splice(i, 1);
      return value;
    }
  }
  return undefined;
}

/**
 * Translate `args` (without the program name). `program` is the name the
 * binary was started as: `rmcp-mux-proxy` (or an older proxy name) means
 * `rmcp-mux proxy`.
 *
 * @example
 * ```ts
 * import { translateRustArgs } from "./rust_compat.ts";
 *
 * translateRustArgs(["daemon-status", "--json"], "rmcp-mux").args; // ["status", "--json"]
 * translateRustArgs(["--socket", "/s"], "rmcp-mux-proxy").args; // ["proxy", "--socket", "/s"]
 * ```
 */
export function translateRustArgs(args: readonly string[], program: string): Translated {
  const notices: string[] = [];
  let out = [...args];
  if (PROXY_NAMES.test(program) && out[0] !== "proxy") out = ["proxy", ...out];
  const [first] = out;
  if (first === "daemon-status") {
    const rest = out.slice(1);
    const socket = take(rest, "--socket");
    notices.push("daemon-status is `rmcp-mux status` now");
    return {
      args: ["status", ...rest, ...(socket !== undefined ? ["--control", socket] : [])],
      notices,
    };
  }
  if (first === "dashboard") {
    // The tray dashboard's status socket is the daemon's control socket here; the
    // dashboard itself is a web page (`rmcp-mux dashboard` prints its login link).
    const rest = out.slice(1);
    const socket = take(rest, "--socket");
    if (socket === undefined) return { args: out, notices };
    notices.push("the tray dashboard is a web page now: `rmcp-mux dashboard` prints its link");
    return { args: ["dashboard", ...rest, "--control", socket], notices };
  }
  // Flags of the main (run) command line, before any "--".
  if (first !== undefined && !first.startsWith("-")) return { args: out, notices };
  const end = out.indexOf("--");
  const head = end === -1 ? out : out.slice(0, end);
  const tail = end === -1 ? [] : out.slice(end);
  const kept: string[] = [];
  let heartbeat = false;
  for (let i = 0; i < head.length; i++) {
    const arg = head[i]!;
    if (arg === "--tray" || arg === "--tray=true" || arg === "--tray=false") {
      notices.push(
        "--tray ignored: there is no tray icon; `rmcp-mux status --watch` shows the services",
      );
      continue;
    }
    const hb = HEARTBEAT.exec(arg);
    if (hb) {
      heartbeat = true;
      if (hb[1] === undefined && head[i + 1] !== undefined && !head[i + 1]!.startsWith("--")) i++;
      continue;
    }
    kept.push(arg);
  }
  if (heartbeat) notices.push(NO_HEARTBEAT);
  const config = [...kept];
  const configFile = take(config, "--config");
  const withConfig = configFile !== undefined ? ["--config", configFile] : [];
  if (kept.includes("--show-status")) {
    notices.push("--show-status is `rmcp-mux status` now");
    return { args: ["status", ...withConfig], notices };
  }
  const restartAt = kept.findIndex((a) =>
    a === "--restart-service" || a.startsWith("--restart-service=")
  );
  if (restartAt !== -1) {
    const name = take(config, "--restart-service");
    notices.push("--restart-service NAME is `rmcp-mux restart NAME` now");
    return { args: ["restart", ...(name !== undefined ? [name] : []), ...withConfig], notices };
  }
  return { args: [...kept, ...tail], notices };
}
