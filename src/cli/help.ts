/**
 * Usage text for `rmcp-mux --help` and `rmcp-mux help <command>`.
 *
 * @module
 */

import { DEFAULTS } from "../config/options.ts";
import { NAME, VERSION } from "../version.ts";

const MAIN = `${NAME} ${VERSION} — one MCP server process shared by many clients over a Unix socket

Usage:
  ${NAME} --socket PATH --cmd PROGRAM [options] [-- ARG...]   run one mux
  ${NAME} proxy --socket PATH                                 stdio bridge for MCP hosts
  ${NAME} health --socket PATH [--timeout-ms N] [--json]      is the mux and its server up?
  ${NAME} demo [--socket PATH] [options]                      serve the MCP reference server
  ${NAME} help [proxy|health|demo]

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
                                client; others wait their turn
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
  -h, --help                    this help
  -V, --version                 print the version

Examples:
  ${NAME} --socket ~/.rmcp-mux/memory.sock --cmd npx -- -y @modelcontextprotocol/server-memory
  ${NAME} proxy --socket ~/.rmcp-mux/memory.sock
  ${NAME} health --socket ~/.rmcp-mux/memory.sock

Exit codes: 0 success, 1 failure (health: not healthy), 2 bad command line.
`;

const TOPICS: Record<string, string> = {
  proxy: `Usage: ${NAME} proxy --socket PATH

Bridges stdin/stdout to the mux socket byte for byte, for MCP hosts that launch
stdio servers. Put it in the host's config in place of the server command.
Exits when either side closes: 0 when stdin ends, 1 when the mux closes the
connection or cannot be reached (one line on stderr says why). Nothing but MCP
is ever written to stdout.
`,
  health: `Usage: ${NAME} health --socket PATH [--timeout-ms N] [--json]

Asks the mux for a real ping round trip to its server. Exits 0 only when the
mux answers and its server is up; otherwise 1, with one line saying why (no mux
on that path, server restarting, server failed: reason). --timeout-ms defaults
to 5000. --json prints the report as JSON on stdout.
`,
  demo: `Usage: ${NAME} demo [--socket PATH] [run options]

Runs the mux in front of the MCP reference server
(@modelcontextprotocol/server-everything) on ./.rmcp-mux/everything.sock
(or PATH), and prints how to connect a client to it.
`,
};

/** The help text for `topic` (or the main help). */
export function helpText(topic?: string): string {
  return (topic && TOPICS[topic]) || MAIN;
}
