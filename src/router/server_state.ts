/**
 * The supervisor's view of the server process, shared with the router so its
 * errors and health answers can say exactly what is going on.
 *
 * @module
 */

/** Lifecycle phase of the server process. */
export type ServerPhase =
  | "idle" // lazy start: not spawned yet
  | "starting" // spawned, not yet initialized
  | "running" // initialized and serving
  | "unresponsive" // running, but it stopped answering (the liveness probe's pings went unanswered)
  | "restarting" // exited; waiting out the backoff before the next spawn
  | "failed" // restart budget spent; stays down until restarted by hand
  | "stopped"; // shut down

/** Server process state as the supervisor reports it. */
export interface ServerState {
  /** Where the process is in its life. */
  phase: ServerPhase;
  /**
   * Process id while a process exists. In `idle`, `reason` says why nothing
   * runs: never started (lazy start), or stopped after a time without clients
   * (`idle` from the moment that stop begins: the process only finishes exiting).
   */
  pid?: number;
  /** Why the last process ended, or why the service failed. */
  reason?: string;
  /** When the next spawn happens (ms since epoch), while restarting. */
  nextAttemptAt?: number;
  /** Restarts within the current window. */
  attempt?: number;
}

/** One line saying what state the server is in, for errors and `health`. */
export function describeServerState(
  service: string,
  state: ServerState,
  now: number,
): string {
  switch (state.phase) {
    case "idle":
      return state.reason
        ? `server "${service}" is idle (${state.reason}); it starts when a client needs it`
        : `server "${service}" has not been started yet (lazy start: it starts when a ` +
          "client first needs it)";
    case "starting":
      return `server "${service}" is starting`;
    case "running":
      return `server "${service}" is running`;
    case "unresponsive":
      return `server "${service}" is unresponsive: ${state.reason ?? "it stopped answering"}`;
    case "restarting": {
      const seconds = state.nextAttemptAt === undefined
        ? undefined
        : Math.max(0, Math.ceil((state.nextAttemptAt - now) / 1000));
      const next = seconds === undefined ? "" : `, next try in ${seconds} s`;
      const why = state.reason ? `; last exit: ${state.reason}` : "";
      return `server "${service}" is restarting (restart ${state.attempt ?? 1}${next})${why}`;
    }
    case "failed":
      return `server "${service}" failed: ${state.reason ?? "unknown reason"}`;
    case "stopped":
      return `server "${service}" is stopped`;
  }
}
