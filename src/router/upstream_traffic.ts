/**
 * Traffic toward the server process: written at once while an initialized
 * process takes it, else held (in `outbox.ts`) and released in arrival
 * order once one does; held on purpose while a restart drains the old
 * process (`hold`, `resume`); and the room left in the queue toward the
 * server, below which clients are read and beyond which their readers
 * pause. The phase of the process is the upstream link's
 * (`upstream_link.ts`), read live through {@link TrafficParts}.
 *
 * @module
 */

import type { PendingEntry } from "./client_to_server.ts";
import type { Outbox } from "./outbox.ts";
import type { ClientSession } from "./session.ts";
import {
  MAX_QUEUE,
  type UpstreamLinkOptions,
  type UpstreamPort,
  type UpstreamSettings,
} from "./upstream_options.ts";

type Entry = PendingEntry<ClientSession>;

/** What {@link UpstreamTraffic} works with (the upstream link's state, read live). */
export interface TrafficParts {
  /** The link's settings (live: `maxQueue`). */
  settings: UpstreamSettings;
  outbox: Outbox<ClientSession, Entry>;
  /** The current process, initialized or not; `null` while none is attached. */
  port: () => UpstreamPort | null;
  /** True once the current process has answered the mux's handshake. */
  ready: () => boolean;
  /** True once nothing more will be sent: the mux stops, or the server failed for good. */
  ended: () => boolean;
  /** Something held needs a server: start one, or retry its handshake. */
  demand: () => void;
  /** True while some client's `initialize` waits for the server (it needs one too). */
  waiting: () => boolean;
  /** A held message's line as the server's era needs it (see {@link UpstreamLinkOptions}). */
  adaptHeld?: UpstreamLinkOptions["adaptHeld"];
}

/** Sends, holds and releases traffic toward the server; and the queue's room. */
export class UpstreamTraffic {
  readonly #p: TrafficParts;
  /** Traffic is held even while ready (a restart is draining the old process). */
  #holding = false;

  constructor(parts: TrafficParts) {
    this.#p = parts;
  }

  /** Send now if ready, else hold until the server is initialized. */
  send(line: string, entry?: Entry, session?: ClientSession): void {
    const port = this.direct;
    if (port) {
      port.send(line);
      if (entry) entry.sent = true;
      return;
    }
    this.#p.outbox.hold({ line, entry, session });
    this.#p.demand();
  }

  /** The process, when traffic goes straight to it (ready, and nothing is held); else `null`. */
  get direct(): UpstreamPort | null {
    return this.#p.ready() && !this.#holding ? this.#p.port() : null;
  }

  /** Queue traffic even while ready, until {@link resume} or the process goes away. */
  hold(): void {
    this.#holding = true;
  }

  /** True while traffic is held (see {@link hold}). */
  get holding(): boolean {
    return this.#holding;
  }

  /**
   * Stop holding: send what was queued if the server is ready. If the
   * process went away meanwhile (an idle stop) and something still waits for
   * a server, start the next one: nothing else would, the traffic having
   * asked while a process was attached.
   */
  resume(): void {
    this.#holding = false;
    if (this.#p.ended()) return;
    const port = this.#p.port();
    if (this.#p.ready() && port) this.#flush(port);
    else if (this.#p.outbox.wanted || this.#p.waiting()) this.#p.demand();
  }

  /** Messages held or queued toward the server. */
  get queueDepth(): number {
    return this.#p.outbox.size + (this.#p.port()?.pending ?? 0);
  }

  /** True while clients may be read (the queue toward the server is not full). */
  get hasRoom(): boolean {
    return this.queueDepth < (this.#p.settings.maxQueue ?? MAX_QUEUE) || this.#p.ended();
  }

  /** Resolves when {@link hasRoom} becomes true. */
  waitForRoom(): Promise<void> {
    return this.hasRoom ? Promise.resolve() : this.#p.outbox.waitForRoom();
  }

  /** Wake paused readers if there is room now. */
  notifyRoom(): void {
    if (this.hasRoom) this.#p.outbox.wakeReaders();
  }

  /** The link's news: `port` is initialized; what was held goes to it, unless held on purpose. */
  initialized(port: UpstreamPort): void {
    // Held traffic waits for the process after this one (it is being stopped).
    if (!this.#holding) this.#flush(port);
  }

  /** The link's news: the process is gone; what was held goes to the next one, once initialized. */
  detached(): void {
    this.#holding = false;
  }

  /** Send what was held, in order. */
  #flush(port: UpstreamPort): void {
    const adapt = this.#p.adaptHeld;
    this.#p.outbox.flush((message) => {
      const line = adapt ? adapt(message) : message.line;
      if (line !== undefined) port.send(line);
    });
    this.notifyRoom();
  }
}
