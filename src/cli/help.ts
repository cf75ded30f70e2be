/**
 * Usage text for `rmcp-mux --help` and `rmcp-mux help <command>`.
 *
 * @module
 */

import { DEFAULTS } from "../config/options.ts";
import { MAX_CANCEL_GRACE_MS } from "../router/cancelled_calls.ts";
import { HTTP_DEFAULTS } from "../http/options.ts";
import { NAME, VERSION } from "../version.ts";

const MAIN =
  `${NAME} ${VERSION} — one MCP server process shared by many clients over a Unix socket or Streamable HTTP

Usage:
  ${NAME} --socket PATH --cmd PROGRAM [options] [-- ARG...]   run one mux
  ${NAME} [--config FILE] [--service NAME | --only A,B | --except C] [options]
                                                        run every server of a config file
  ${NAME} proxy --socket PATH | --service NAME [--config FILE] [--reconnect-timeout-ms N]
                                                        stdio bridge for MCP hosts
  ${NAME} health --socket PATH [--timeout-ms N] [--json]      is the mux and its server up?
  ${NAME} status [NAME...] [--config FILE | --control PATH | --socket PATH] [--json] [--watch] [-v]
  ${NAME} restart|stop|start NAME [--config FILE | --control PATH]
  ${NAME} reload|shutdown [--config FILE | --control PATH]
  ${NAME} dashboard [--open] [--config FILE | --control PATH] a login link to the live dashboard
  ${NAME} config check [FILE]                                 validate a config file
  ${NAME} demo [--socket PATH] [options]                      serve the MCP reference server
  ${NAME} http token                                          print the HTTP bearer token
  ${NAME} scan [--json] [--write-config FILE]                 find the servers your MCP hosts run
  ${NAME} rewire --host H|all [--server A,B] [--via auto|http|proxy] [--dry-run]
                                                        point hosts at the shared servers
  ${NAME} unwire --host H|all [--server A,B] [--dry-run]      put hosts' entries back exactly
  ${NAME} status --host H|all [--json]                        is each host's server shared?
  ${NAME} wizard                                              all of the above, interactively
  ${NAME} service install|uninstall|status|restart [--config FILE] [--dry-run]
                                                        the daemon as a user service
  ${NAME} help [proxy|health|status|control|config|demo|http|scan|rewire|unwire|wizard|dashboard|service]

Config file: --config FILE, else $XDG_CONFIG_HOME/rmcp-mux/config.yaml (or
~/.config/rmcp-mux/config.yaml). Every run option below also applies to each
service of the file and wins over it (CLI flag > server entry > defaults: >
built-in default). --control PATH sets the daemon's control socket (default:
in $XDG_RUNTIME_DIR/rmcp-mux, else ~/.rmcp-mux/run, named after the config
file); admin commands find a running daemon wherever it listens. One daemon
per config file. SIGHUP reloads the file; a single mux stops on SIGHUP.

Run options:
  --socket PATH                 Unix socket to listen on (~ is expanded; parent made 0700,
                                socket 0600)
  --cmd PROGRAM                 MCP server to run. Arguments go after "--". Without "--",
                                a --cmd with spaces is split like a shell would (quotes
                                honoured) but no shell is ever run
  --service-name NAME           name in logs, errors and status (default: socket file name)
  --max-active-clients N        clients served at once (default ${DEFAULTS.maxActiveClients}); others wait
  --client-wait-ms N            how long a client over the limit waits for a slot before it
                                gets an error (default ${DEFAULTS.clientWaitMs})
  --lazy-start                  start the server when a client first needs it (not at
                                startup; pings and health checks do not start it)
  --serialize                   one client's requests upstream at a time, so a server that
                                asks back (sampling, elicitation) always reaches the right
                                client, and a server that is not safe under concurrent
                                calls (one that loses writes) gets one at a time; after a
                                cancel the next turn waits until the server answers the
                                cancelled call, at most --cancel-grace-ms
  --cancel-grace-ms MS          how long a cancelled, timed-out or abandoned call still
                                counts as at the server: a question that may be its own
                                reaches no client, and with --serialize the next turn waits;
                                0 = no grace (such a question may reach another client);
                                at most ${MAX_CANCEL_GRACE_MS} (default ${DEFAULTS.cancelGraceMs})
  --isolation MODE              shared (one process for every client), roots (one per
                                distinct set of client roots), client (one per client).
                                Default: known servers' table, else the server's wish,
                                else shared
  --max-processes N             most processes per service in roots/client isolation
                                (default ${DEFAULTS.maxProcesses}); a client beyond it gets an error
  --idle-timeout-ms N           stop a process that has had no client this long; it starts
                                again when needed; 0 = never (default 600000 for roots and
                                client processes, 0 for shared)
  --heartbeat-timeout-ms N      liveness probe: ping a server that has requests in flight
                                and wrote nothing this long (default ${DEFAULTS.heartbeatTimeoutMs})
  --heartbeat-max-failures N    unanswered pings before it is "unresponsive" (default ${DEFAULTS.heartbeatMaxFailures})
  --heartbeat-restart           restart an unresponsive server (default: only report it)
  --heartbeat-enabled false     no liveness probe
  --upstream-era ERA            MCP era spoken to the server: auto (initialize, then
                                2026-07-28 on the same process if it refuses as
                                modern-only), legacy or modern (default ${DEFAULTS.upstreamEra});
                                clients of either era are served either way
  --max-request-bytes N         largest message from a client (default ${DEFAULTS.maxRequestBytes})
  --max-response-bytes N        largest message from the server (default ${DEFAULTS.maxResponseBytes})
  --request-timeout-ms N        fail a request the server has not answered, nor reported
                                progress on, for this long; 0 = never (default ${DEFAULTS.requestTimeoutMs})
  --restart-backoff-ms N        first restart delay (default ${DEFAULTS.restartBackoffMs}); doubles per crash
  --restart-backoff-max-ms N    largest restart delay (default ${DEFAULTS.restartBackoffMaxMs})
  --max-restarts N              restarts allowed within ${
    DEFAULTS.restartWindowMs / 60_000
  } minutes before the service is
                                marked failed; 0 = unlimited (default ${DEFAULTS.maxRestarts})
  --log-level LEVEL             trace, debug, info, warn or error (default info)
  --log-format FORMAT           text or json (default text); logs go to stderr only
  --status-file PATH            keep a JSON status snapshot at PATH (atomic, on change;
                                its directory is created 0700)
  --log-file PATH               write logs and errors to PATH instead of stderr (past
                                10 MiB it is moved to PATH.old and started afresh)
  --http ADDR                   also serve over Streamable HTTP, e.g. 127.0.0.1:7300 (port 0 =
                                any): service NAME at http://ADDR/mcp/NAME (one mux: /mcp too);
                                daemon.http.listen in a config file
  --http-auth token|none        token (default): requests need Authorization: Bearer TOKEN
                                (see "${NAME} http token"); none: no check, loopback only
  --http-allow-remote           allow a non-loopback --http address (then put TLS in front)
  --http-session-idle-ms N      end an HTTP session idle this long (default ${HTTP_DEFAULTS.sessionIdleMs})
  --http-max-sessions N         HTTP sessions held at once (default ${HTTP_DEFAULTS.maxSessions})
  --http-max-requests N         2026-07-28 HTTP requests held open at once (default ${HTTP_DEFAULTS.maxRequests})
  -h, --help                    this help
  -V, --version                 print the version
Switches (--lazy-start, --serialize, --heartbeat-restart, --heartbeat-enabled) also take
true|false, and --no-SWITCH turns one off (overriding a config file's true).

Examples:
  ${NAME} --socket ~/.rmcp-mux/memory.sock --cmd npx -- -y @modelcontextprotocol/server-memory
  ${NAME} proxy --socket ~/.rmcp-mux/memory.sock
  ${NAME} health --socket ~/.rmcp-mux/memory.sock

Exit codes: 0 success, 1 failure (health: not healthy; status: a selected
service is failed, unresponsive or could not start), 2 bad command line.
Every failure is one line on stderr; "internal error: …" is a bug to report
(RMCP_MUX_DEBUG=1 prints its stack trace too).
`;

const TOPICS: Record<string, string> = {
  proxy: `Usage: ${NAME} proxy --socket PATH [--config FILE] [--reconnect-timeout-ms N]
       ${NAME} proxy --service NAME [--config FILE] [--socket PATH] [--reconnect-timeout-ms N]

Bridges stdin/stdout to the mux, for MCP hosts that launch stdio servers: put
it in the host's config in place of the server command. Nothing but MCP is
ever written to stdout.

When the mux goes away (reload, restart, upgrade) it reconnects for up to
--reconnect-timeout-ms (default 30000; 0: never), replays the host's
initialize, log level and subscriptions (a 2026-07-28 host's open listens too),
answers requests that were in flight with an error, and holds new ones until
the mux answers on the new connection: the host keeps its session.

--service NAME [--config FILE] (default: the default config file) asks that
config's daemon for the service's socket, and starts the daemon when none
answers: through its user service when "${NAME} service install" installed
one (systemctl --user start / launchctl kickstart), else detached (logs in
$XDG_STATE_HOME/rmcp-mux); a service manager that cannot be reached means a
detached start and one line saying why. With --socket too, the
socket is tried first. A daemon it had to find (or start) is given time for the
service's server to come up before the host's first line is relayed, so a
host pinned to MCP 2026-07-28 finds it ready. --socket PATH --config FILE
(no service named) starts that daemon too when nobody answers on PATH; a PATH
none of its services listens on is one line at once.

Exits 0 when stdin ends; 1 when the mux cannot be reached at the start or does
not come back in time (one line on stderr says why); 2 for a bad command line.
`,
  health: `Usage: ${NAME} health --socket PATH [--timeout-ms N] [--json]

Asks the mux for a real ping round trip to its server. A server that is
starting is waited for, within the timeout. Exits 0 when the server is up, or
idle (lazy start, or stopped after a time without clients: it starts on
demand); otherwise 1, with one line saying why (no mux on that path, server
restarting, unresponsive, failed: reason). --timeout-ms defaults to 5000.
--json prints the report as JSON on stdout. A health check is not a client: it
starts nothing and is not counted.
`,
  status: `Usage: ${NAME} status [NAME...] [--config FILE | --control PATH | --socket PATH]
                       [--json] [--watch|-w] [-v|--verbose]

Shows every service of a running daemon (found from its config file or its
control socket; default: the default config file's daemon), the services
named, or one mux with --socket: state (running, starting, restarting with the
next try, unresponsive, failed: reason, idle, stopped), pid, uptime, clients,
requests in flight, restarts (recent/total), request rate of the last 10 s and
p50/p99 latency of the last minute. -v adds each server's last stderr lines;
--json prints the raw snapshot (each service's "state" is the first word of
its row). Exits 1 when a shown service is failed, unresponsive or could not
start (error), else 0.

--watch on a terminal: a live view redrawn every second. Keys: ↑/↓ or j/k
select a service, r restart, s stop, S start, l reload the config file (each
asks "y to confirm" first; the outcome shows on the bottom line), q or Esc
quits. The selected service's last exit and stderr lines show below the
table. With output piped (not a terminal) it prints one plain snapshot per
second, without escape codes, until Ctrl+C.

       ${NAME} status --host H[,H…]|all [--json]
Per server of a host's files: shared via rmcp-mux (http|proxy), not shared,
or shared but the daemon has no such service.
`,
  control: `Usage: ${NAME} restart|stop|start NAME [--config FILE | --control PATH]
       ${NAME} reload|shutdown [--config FILE | --control PATH]

restart  restart a service's server process; its clients stay connected (also
         brings back a failed service). Requests in flight get the shutdown
         grace to finish; new ones wait for the new process
stop     stop a service: clients disconnected, socket removed
start    start a stopped service
reload   re-read the config file: added services start, removed ones stop,
         unchanged ones are not touched; changed limits and timeouts apply in
         place, a changed command restarts the server in place (clients stay
         connected), only a changed socket recreates it. Daemon settings that
         need a restart are reported. An invalid file is refused and the
         running configuration stays (same as SIGHUP)
shutdown stop the daemon (run by the user service: it stays stopped until a
         proxy needs it; restart it with "${NAME} service restart")
Exit code 0 only on success; otherwise one line on stderr says why.
`,
  service: `Usage: ${NAME} service install|uninstall|status|restart [--config FILE] [--dry-run]

install    write a systemd user unit (Linux; logs: journalctl --user -u rmcp-mux)
           or a launchd agent (macOS; logs in $XDG_STATE_HOME/rmcp-mux) that
           runs the daemon of FILE (default: the default config file) and
           restarts it on failure; enable and start it. A daemon of FILE
           already running is replaced (proxies reconnect). FILE is checked
           first, with the service's environment (not your shell's): a
           missing file or \${VAR} is one line, nothing written.
uninstall  stop and disable it, and remove the unit
status     installed? enabled? running? (exit 0 only when it runs)
restart    restart its daemon through the service manager (after an upgrade,
           or for a daemon setting a reload cannot apply); proxies reconnect.
           FILE is checked first: a broken one leaves the daemon running.
           Same as systemctl --user restart rmcp-mux (launchctl kickstart -k
           gui/$UID/dev.rmcp-mux.daemon), but waits for the new daemon and
           says why if it does not start
--dry-run  print the unit and the commands; change nothing

Once installed, the service owns the daemon: proxies start it through
systemctl/launchctl (directly only where the service manager cannot be
reached, saying why), and the service's daemon takes over from one started
outside it. "${NAME} shutdown" stops it until a proxy needs it again; to
restart or upgrade it, use "${NAME} service restart".

For servers that must run without you logged in (Linux):
  loginctl enable-linger $USER
`,
  config: `Usage: ${NAME} config check [FILE]

Validates a config file (YAML, JSON or TOML; default: the default config
file) and prints each service as it would run, with its main settings resolved.
Errors name the file, line and column, the key and what was expected.
Environment values are shown as names only.
`,
  dashboard: `Usage: ${NAME} dashboard [--open] [--config FILE | --control PATH]

Prints a one-time login link to the running daemon's dashboard: a live page
with a card per service (state in words, pid, uptime, restarts, rate and
latency with a sparkline, requests in flight, clients, last stderr lines,
recent events) and buttons to restart, stop or start a service and reload the
config file, each behind a confirmation. --open also opens it in the browser
($BROWSER, else xdg-open or open).

The page is served by the daemon's HTTP listener, on loopback only. The link
works once, within two minutes: it signs the browser in with a cookie scripts
cannot read, and the address bar keeps no secret. A daemon without an HTTP
listener says how to turn one on.
`,
  http: `Usage: ${NAME} http token [--token-file PATH]

Prints the bearer token MCP hosts send to the HTTP listener
(Authorization: Bearer TOKEN), creating it on first use: 256 random bits in
$XDG_STATE_HOME/rmcp-mux/http.token (else ~/.local/state/rmcp-mux/http.token),
mode 0600. Delete the file and restart the mux for a new token. Only the token
is printed on stdout. See docs/http.md.
`,
  demo: `Usage: ${NAME} demo [--socket PATH] [run options]

Runs the mux in front of the MCP reference server
(@modelcontextprotocol/server-everything) on $XDG_RUNTIME_DIR/rmcp-mux/everything.sock
(else ~/.rmcp-mux/run/everything.sock)
(or PATH), and prints how to connect a client to it.
`,
};

Object.assign(TOPICS, {
  scan: `Usage: ${NAME} scan [--json] [--write-config FILE [--dry-run]] [--host H] [--project DIR]
                    [--config FILE] [--socket-dir DIR] [--path FILE [--format json|vscode|zed|codex]]

Finds every MCP host config file (Claude Code, Claude Desktop, Codex, Cursor,
VS Code, Windsurf, Gemini CLI, Zed, Junie; user and project level, and the
projects the hosts know) and lists each stdio server: identical ones merged
across hosts, same-name-different-definition conflicts named, the isolation
mode each needs, remote servers left alone. Environment values are never shown.
--write-config FILE adds one service per unique server to the daemon's config
(sockets under the runtime directory, env carried over; written 0600).
Rust: --manifest FILE is --write-config FILE.
`,
  rewire:
    `Usage: ${NAME} rewire --host H[,H…]|all [--server A,B] [--via auto|http|proxy] [--dry-run]
                      [--config FILE] [--project DIR] [--socket-dir DIR] [--path FILE [--format F]]

Replaces the selected entries of each host's file with the shared form and
nothing else: every other byte (comments, trailing commas, order, indentation,
unknown keys, other servers) stays. Missing services are added to the config
(default: the default config file). A backup beside each file (never
overwritten), an atomic write; --dry-run prints the diff (secrets masked).
A second run changes nothing. --via http uses the HTTP listener
(daemon.http.listen): Claude Code fetches the token with a headersHelper;
Codex, Cursor, VS Code, Windsurf and Gemini read it from $RMCP_MUX_TOKEN;
other hosts get the proxy. --via auto (default) uses HTTP only where the host
needs no setup for it. Servers that need a process per client (browsers,
shells) are rewired too: the daemon runs them in client isolation.
Hosts: claude-code, claude-desktop, codex, cursor, vscode, windsurf, gemini,
zed, junie (Rust names claude and jetbrains work too).
`,
  unwire: `Usage: ${NAME} unwire --host H[,H…]|all [--server A,B] [--dry-run] [--config FILE]
                      [--project DIR] [--path FILE [--format F]]

Puts each rewired entry back exactly as it was (the originals are kept in the
state directory, not in the host's file), editing only those entries: changes
made elsewhere in the file since are kept. An entry changed since it was
rewired is reported and left alone (exit 1).
`,
  wizard: `Usage: ${NAME} wizard [--config FILE] [--project DIR] [--dry-run]

For a person at a terminal: pick hosts and servers, HTTP or proxy, preview the
diffs, apply, write the config, start the daemon, then check each rewired
entry with a real MCP handshake and say what to restart. Without a terminal it
exits 2: use scan and rewire.
`,
});

/** The help text for `topic` (or the main help). */
export function helpText(topic?: string): string {
  return (topic && TOPICS[topic]) || MAIN;
}
