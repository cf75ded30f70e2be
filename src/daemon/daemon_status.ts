/**
 * What a daemon holds and reports about its services: the service it is
 * given ({@link DaemonService}), its record of each one ({@link ServiceEntry}),
 * and the `status` report ({@link ServiceStatus}, {@link DaemonStatus}) with
 * how a record reads in it ({@link describeService}). No I/O: the daemon, its
 * activity, a reload and the views share these shapes.
 *
 * @module
 */

import type { MuxOptions } from "../config/options.ts";
import type { ServerPhase } from "../router/server_state.ts";
import type { MuxServer } from "../server/mux_server.ts";
import type { MuxStatus } from "../server/mux_status.ts";

/** One service the daemon runs. */
export interface DaemonService {
  /** Service name (unique). */
  name: string;
  /** Settings of its mux (`serviceName` is set to `name`). */
  options: MuxOptions;
  /**
   * Where its socket path was set, named by an error about that path (e.g.
   * `socket: in /etc/mux.yaml (service github)`); default: `--socket`.
   */
  socketFrom?: string;
}

/**
 * One word for where a service is, the first word of its `status` row:
 * its server's phase (`running`, `starting`, `restarting`, `unresponsive`,
 * `failed`, `idle`) while its mux serves; `stopped` when stopped by a
 * command; `error` when its mux could not start.
 */
export type ServiceState = ServerPhase | "error";

/** A service as `status` reports it. */
export interface ServiceStatus {
  /** Service name. */
  name: string;
  /** Its socket. */
  socket: string;
  /** Where it is, in one word (see {@link ServiceState}); `failed`, `unresponsive` and `error` make `status` exit 1. */
  state: ServiceState;
  /** Why the mux could not start, for `error`. */
  error?: string;
  /** The mux's own status, while running. */
  mux?: MuxStatus;
  /** A command on this service still in progress. */
  busy?: "restarting" | "stopping" | "starting";
}

/** The whole daemon, as `status` reports it. */
export interface DaemonStatus {
  /** Daemon process id. */
  pid: number;
  /** When the daemon started (ms since epoch). */
  startedAt: number;
  /** The config file it runs, if any. */
  config: string | null;
  /** Its control socket, if any. */
  control: string | null;
  /** Every service, sorted by name. */
  services: ServiceStatus[];
  /** The HTTP listener, if any: its address and the sessions it holds. */
  http: { url: string; sessions: number } | null;
}

/** The daemon's record of one service. */
export interface ServiceEntry {
  /** Its settings (updated when a reload applies new ones in place). */
  spec: DaemonService;
  mux: MuxServer | null;
  /** `running`: its mux serves; `stopped`: stopped by a command; `error`: its mux could not start. */
  state: "running" | "stopped" | "error";
  error?: string;
}

/** A service's row of `status`: its record, and the command under way on it if any. */
export function describeService(
  entry: ServiceEntry,
  busy: ServiceStatus["busy"] | undefined,
): ServiceStatus {
  const mux = entry.mux?.status();
  return {
    name: entry.spec.name,
    socket: entry.spec.options.socket,
    // One word, the table's: the server's phase while the mux serves.
    state: mux ? mux.server.phase : entry.state === "running" ? "stopped" : entry.state,
    ...(entry.error ? { error: entry.error } : {}),
    ...(mux ? { mux } : {}),
    ...(busy ? { busy } : {}),
  };
}
