/**
 * Handing a config's daemon to its service (install, restart): hold the start
 * lock proxies take before they start a daemon, so none starts one in
 * between; stop a daemon that runs outside the service; wait for the
 * service's own to answer — or for its manager to say it exited, and why.
 *
 * @module
 */

import { delay } from "../async/wait.ts";
import { callControl } from "../control/client.ts";
import { type DaemonFiles, readDaemonRecord } from "../daemon/daemon_files.ts";
import { FileLock } from "../paths/file_lock.ts";
import { dirOf, ensurePrivateDir } from "../paths/private_dir.ts";
import { exitReason, managerState, type Runner, type ServiceUnit } from "./manager.ts";
import { STOP_TIMEOUT_S } from "./unit.ts";

/** How long the service's daemon has to answer after its manager started it. */
export const SERVICE_ANSWER_TIMEOUT_MS = 30_000;

/**
 * The start lock of `files`, waited for (bounded: a proxy holds it while the
 * daemon it started comes up); `undefined` if it stays taken. Go on without
 * it then: the daemon's own lock still keeps it to one daemon.
 */
export async function holdStartLock(
  files: DaemonFiles,
  timeoutMs = 5_000,
): Promise<FileLock | undefined> {
  await ensurePrivateDir(dirOf(files.startLock), "runtime");
  const deadline = Date.now() + timeoutMs;
  while (true) {
    const lock = await FileLock.tryAcquire(files.startLock);
    if (lock || Date.now() >= deadline) return lock;
    await delay(50);
  }
}

/**
 * A daemon of this config that its service did not start (by hand, or by a
 * proxy): ask it to shut down and wait until it is gone. Returns the pid of
 * the daemon that ran, if one did.
 */
export async function stopUnmanaged(
  files: DaemonFiles,
  unit: ServiceUnit,
  run: Runner,
): Promise<number | undefined> {
  const record = await readDaemonRecord(files.record);
  if (!record) return undefined;
  if (record.managedBy !== undefined) return record.pid; // the service's own
  if (unit.manager === "systemd") {
    // A daemon of a unit written before units said so: its manager knows its pid.
    const out = await run("systemctl", ["--user", "show", "-p", "MainPID", "--value", unit.unit]);
    if (out.code === 0 && Number(out.stdout.trim()) === record.pid) return record.pid;
  }
  await callControl(record.control, "shutdown", undefined, 5_000).catch(() => undefined);
  // Wait for it to be gone (its lock released) before the service starts its own.
  for (let i = 0; i < STOP_TIMEOUT_S * 10; i++) {
    const still = await FileLock.tryAcquire(files.lock);
    if (still) {
      still.release();
      break;
    }
    await delay(100);
  }
  return record.pid;
}

/** The service's new daemon answers (its pid), or it exited (why), or time ran out. */
export type ServiceAnswer =
  | { pid: number }
  | { exited: string }
  | { timedOut: true };

/**
 * Wait until a daemon other than `previous` answers on the recorded control
 * socket; ask the manager now and then whether it still runs, so a daemon
 * that exits at start is one line at once (its own last words) rather than
 * a 30 s wait.
 */
export async function waitForServiceDaemon(
  files: DaemonFiles,
  unit: ServiceUnit,
  previous: number | undefined,
  run: Runner,
  timeoutMs = SERVICE_ANSWER_TIMEOUT_MS,
): Promise<ServiceAnswer> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; Date.now() < deadline; i++) {
    const record = await readDaemonRecord(files.record);
    if (record && record.pid !== previous) {
      const status = await callControl(record.control, "status", undefined, 2_000).catch(() =>
        undefined
      );
      if (status) return { pid: record.pid };
    }
    if (i % 10 === 9 && ["stopped", "failed"].includes(await managerState(unit, run))) {
      return { exited: await exitReason(unit, files.log, run) };
    }
    await delay(100);
  }
  return { timedOut: true };
}
