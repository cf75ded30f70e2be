/**
 * `rmcp-mux health`: is the mux there, and is its server up? The mux answers
 * its own `rmcp-mux/health` request with a real `ping` round trip to the
 * server, so "ok" means the whole path works. A server that is starting is
 * waited for (within the timeout); one that has not been started (lazy start,
 * or stopped while idle) is healthy: it starts on demand. A health check is a
 * probe, not a client: it starts nothing and is not counted.
 *
 * @module
 */

import { HEALTH_METHOD } from "../jsonrpc/mux_methods.ts";
import { requestOnce } from "../transport/request_once.ts";
import { ConnectError } from "../transport/unix_client.ts";

/** The outcome of a health check. */
export interface HealthReport {
  /** True when the mux answered and its server answered a ping, or is idle (starts on demand). */
  ok: boolean;
  /** One line saying why, e.g. `server "github" is restarting (restart 2, next try in 3 s)`. */
  message: string;
  /** Service name, when the mux answered. */
  service?: string;
  /** Server process id, when up. */
  pid?: number | null;
  /** Round trip of the ping through the mux to the server, ms. */
  latencyMs?: number;
  /** Server state reported by the mux (`running`, `idle`, `starting`, `restarting`, `unresponsive`, `failed`, …). */
  state?: string;
}

/** The share of the timeout the mux may spend waiting for a starting server. */
const HEALTH_WAIT_SHARE = 0.8;

/** Options of {@link checkHealth}. */
export interface HealthOptions {
  /** Give up after this long (a starting server is waited for within it). Default 5 s. */
  timeoutMs?: number;
}

/**
 * Check the mux at `socketPath`. Never throws: a failure is a report with
 * `ok: false` and a message that says why.
 *
 * @example
 * ```ts
 * import { checkHealth } from "@rmcp-mux/mux";
 * const report = await checkHealth("/tmp/nothing-here.sock", { timeoutMs: 2000 });
 * console.log(report.ok, report.message); // false "no mux at /tmp/nothing-here.sock: no such socket …"
 * ```
 */
export async function checkHealth(
  socketPath: string,
  options: HealthOptions = {},
): Promise<HealthReport> {
  const timeoutMs = options.timeoutMs ?? 5_000;
  let outcome;
  try {
    // The mux may wait for a starting server for most of the budget; the rest carries the answer.
    const params = { waitMs: Math.floor(timeoutMs * HEALTH_WAIT_SHARE) };
    outcome = await requestOnce(socketPath, HEALTH_METHOD, params, timeoutMs);
  } catch (error) {
    const reason = error instanceof ConnectError ? error.reason : String(error);
    return { ok: false, message: `no mux at ${socketPath}: ${reason}` };
  }
  if (outcome.kind === "timeout") {
    return { ok: false, message: `the mux at ${socketPath} did not answer within ${timeoutMs} ms` };
  }
  return toReport(outcome.kind === "answer" ? outcome.message : null, socketPath);
}

function toReport(answer: Record<string, unknown> | null, socketPath: string): HealthReport {
  if (answer === null) {
    return {
      ok: false,
      message: `the mux at ${socketPath} closed the connection without answering`,
    };
  }
  const error = answer.error as { message?: string; data?: { service?: string; state?: string } };
  if (error) {
    const report: HealthReport = { ok: false, message: error.message ?? "unknown error" };
    if (error.data?.service) report.service = error.data.service;
    if (error.data?.state) report.state = error.data.state;
    return report;
  }
  const result = answer.result as {
    status?: string;
    service?: string;
    pid?: number | null;
    latencyMs?: number;
    reason?: string;
    processes?: number;
  };
  if (result.status === "idle") {
    const why = result.reason && result.reason !== "lazy start" ? `${result.reason}; ` : "";
    return {
      ok: true,
      message: `OK: server "${result.service}" is idle (${why}starts on demand)`,
      ...(result.service !== undefined ? { service: result.service } : {}),
      pid: null,
      state: "idle",
    };
  }
  return {
    ok: true,
    message: `OK: server "${result.service}" is up (pid ${result.pid ?? "?"}, ping ${
      result.latencyMs ?? "?"
    } ms)`,
    ...(result.service !== undefined ? { service: result.service } : {}),
    pid: result.pid ?? null,
    ...(result.latencyMs !== undefined ? { latencyMs: result.latencyMs } : {}),
    state: "running",
  };
}
