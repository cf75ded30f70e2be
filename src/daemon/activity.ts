/**
 * What a daemon's viewers follow (the dashboard, `status --watch`): each
 * service's history, the commands under way, and a notice after every change.
 * Kept beside the daemon so the daemon itself stays about running services.
 *
 * @module
 */

import type { MuxServer } from "../server/mux_server.ts";
import type { ServiceStatus } from "./daemon_status.ts";
import { HistoryRecorder, type ServiceEvent, type ServiceHistory } from "./history.ts";

/** A command under way on a service. */
export type Busy = NonNullable<ServiceStatus["busy"]>;

/** History, commands under way and change notices of one daemon. */
export class DaemonActivity {
  readonly #now: () => number;
  readonly #history = new Map<string, HistoryRecorder>();
  readonly #busy = new Map<string, Busy>();
  readonly #listeners = new Set<() => void>();
  #sampler: ReturnType<typeof setInterval> | undefined;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** Call `listener` after every change; returns the function that unsubscribes. */
  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  /** Something changed: tell the listeners. */
  notify(): void {
    for (const listener of [...this.#listeners]) listener();
  }

  /** The command under way on `name`, if any. */
  busy(name: string): Busy | undefined {
    return this.#busy.get(name);
  }

  /** A command on `name` begins. */
  begin(name: string, busy: Busy): void {
    this.#busy.set(name, busy);
    this.notify();
  }

  /** The command on `name` (if any) is over. */
  end(name: string): void {
    this.#busy.delete(name);
    this.notify();
  }

  /** Note an event of `name` (a command). */
  note(name: string, level: ServiceEvent["level"], text: string): void {
    this.#recorder(name).note(this.#now(), level, text);
  }

  /** `name` looks like `status` now: remember a transition worth it, tell the listeners. */
  observe(name: string, status: ServiceStatus): void {
    this.#recorder(name).observe(this.#now(), status);
    this.notify();
  }

  /** `name` is gone (a reload removed it). */
  forget(name: string): void {
    this.#history.delete(name);
  }

  /** Each service's recent past, oldest first. */
  history(): Record<string, ServiceHistory> {
    return Object.fromEntries(
      [...this.#history].map(([name, recorder]) => [name, recorder.snapshot()]),
    );
  }

  /** Take a history point of every service every `stepMs` until {@link close}. */
  startSampling(stepMs: number, muxes: () => Iterable<[string, MuxServer | null]>): void {
    clearInterval(this.#sampler);
    this.#sampler = setInterval(() => {
      const now = this.#now();
      for (const [name, mux] of muxes()) {
        this.#recorder(name).sample(now, mux?.status(), mux?.latencyOver(stepMs));
      }
      this.notify();
    }, stepMs);
  }

  /** Stop sampling. Idempotent. */
  close(): void {
    clearInterval(this.#sampler);
    this.#sampler = undefined;
  }

  #recorder(name: string): HistoryRecorder {
    let recorder = this.#history.get(name);
    if (!recorder) this.#history.set(name, recorder = new HistoryRecorder());
    return recorder;
  }
}
