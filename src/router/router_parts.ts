/**
 * The router's units, built once and wired to each other: which unit is
 * told when a message arrives, a deadline passes, a client leaves or the
 * process comes and goes. `router.ts` is the face that drives them (its
 * module doc is the map); this file is only the wiring.
 *
 * @module
 */

import type { Logger } from "@logtape/logtape";
import { muxLogger } from "../log/logger.ts";
import { Admission } from "./admission.ts";
import { CancelledCalls } from "./cancelled_calls.ts";
import { ClientMessages, MAX_PENDING } from "./client_messages.ts";
import { ClientToServerTable } from "./client_to_server.ts";
import { CLIENT_REQUEST_TIMEOUT_MS, Clients } from "./clients.ts";
import { systemClock } from "./clock.ts";
import type { RouterContext } from "./context.ts";
import { Features } from "./features.ts";
import type { Liveness } from "./liveness.ts";
import { LatencyWindow } from "./metrics.ts";
import type { RouterOptions, RouterStats } from "./router_options.ts";
import { SerialTurns } from "./serial_gate.ts";
import { ServerMessages } from "./server_messages.ts";
import type { ClientSession } from "./session.ts";
import { Sweeper } from "./sweeper.ts";
import { Timeouts } from "./timeouts.ts";
import { UpstreamCancels } from "./upstream_cancels.ts";
import { UpstreamLink } from "./upstream_link.ts";

/** Every unit of one router, and the serialize gate (on or off, live). */
export class RouterParts {
  /**
   * A copy of the options: `configure` changes timeouts here, where the
   * link and the timeouts read them.
   */
  readonly settings: RouterOptions;
  readonly log: Logger;
  readonly now: () => number;
  readonly sweeper: Sweeper;
  readonly clients: Clients;
  readonly pending: ClientToServerTable<ClientSession>;
  readonly cancelled: CancelledCalls<ClientSession>;
  readonly cancels: UpstreamCancels;
  readonly latencies: LatencyWindow;
  readonly upstream: UpstreamLink;
  readonly timeouts: Timeouts;
  readonly liveness: Liveness | undefined;
  readonly ctx: RouterContext;
  readonly features: Features;
  readonly fromClients: ClientMessages;
  readonly fromServer: ServerMessages;
  readonly admission: Admission;
  #gate: SerialTurns | undefined;

  /** `stats`: the router's counters, for `rmcp-mux/status` when `options.status` is not given. */
  constructor(options: RouterOptions, stats: () => RouterStats) {
    const settings = this.settings = { ...options };
    const log = this.log = options.logger ?? muxLogger("router", options.service);
    const clock = options.clock ?? systemClock;
    const now = this.now = () => clock.now();
    const sweeper = this.sweeper = new Sweeper(clock, (at) => this.timeouts.sweep(at));
    const armSweep = (deadline: number) => sweeper.arm(deadline);
    const clients = this.clients = new Clients({
      now,
      nextSessionId: options.nextSessionId,
      armSweep,
      parked: (entry, message) => this.features.bridge.onParkedOutcome(entry, message),
      onIdle: options.onIdle,
      serverBusy: () => this.pending.anySent(),
    });
    this.latencies = options.latencies ?? new LatencyWindow();
    const pending = this.pending = new ClientToServerTable({
      onClientIdle: (s) => this.#gate?.release(s),
    });
    // While the server may still run a cancelled call, serialize mode's next turn waits.
    const cancelled = this.cancelled = new CancelledCalls({
      onEmpty: () => this.#gate?.resume(),
      graceMs: options.cancelGraceMs,
    });
    const upstream = this.upstream = new UpstreamLink(settings, {
      log,
      now,
      deadline: () => this.timeouts.deadline(),
      pending,
      reply: (target, message) => clients.reply(target, message),
      armSweep,
      onReady: (restarted) => {
        this.features.onUpstreamReady(restarted);
        options.onUpstreamReady?.();
      },
      onRestarted: () => this.features.onUpstreamRestarted(),
      onGone: (reason) => {
        cancelled.clear();
        this.features.onUpstreamGone(reason);
      },
      adaptHeld: (message) => this.features.translate.adaptHeld(message),
    });
    const cancels = this.cancels = new UpstreamCancels({
      calls: cancelled,
      pending,
      upstream,
      armSweep,
      now,
    });
    this.#gate = options.serialize ? this.#turns() : undefined;
    const timeouts = this.timeouts = new Timeouts(settings, {
      log,
      now,
      arm: armSweep,
      pending,
      cancelled,
      cancelUpstream: (entry, reason) => cancels.cancel(entry, reason),
      clients,
      upstream,
      bridge: () => this.features.bridge,
    });
    const liveness = this.liveness = timeouts.liveness;
    const ctx: RouterContext = this.ctx = {
      service: options.service,
      log,
      now,
      clock,
      sessions: clients.sessions,
      pending,
      cancelled,
      cancelUpstream: (entry, reason) => cancels.cancel(entry, reason),
      upstream,
      calls: clients.calls,
      latencies: this.latencies,
      reply: (target, message, text) => clients.reply(target, message, text),
      notify: (session, message) => clients.notify(session, message),
      requestClient: (session, method, params) =>
        clients.ask(session, method, params, CLIENT_REQUEST_TIMEOUT_MS).answer,
      askClient: (session, method, params, timeoutMs) =>
        clients.ask(session, method, params, timeoutMs),
      cancelAsk: (session, id, reason) => clients.cancelAsk(session, id, reason),
      modernClients: () => clients.modern,
      pinModern: (session) => clients.pinModern(session),
      deadline: () => timeouts.deadline(),
      armSweep,
      watchUpstream: () => liveness?.watch(),
      settled: (session) => clients.settled(session),
      status: () => options.status?.() ?? { ...stats() },
    };
    const features = this.features = new Features(ctx, {
      roots: options.roots,
      newId: options.newId ?? (() => crypto.randomUUID()),
    });
    const fromClients = this.fromClients = new ClientMessages(
      ctx,
      features,
      this.#gate,
      options.maxPending ?? MAX_PENDING,
    );
    this.fromServer = new ServerMessages(ctx, features);
    this.admission = new Admission(ctx, features, (s, text) => fromClients.line(s, text));
  }

  /** Serialize mode's gate; `undefined` while it is off. */
  get gate(): SerialTurns | undefined {
    return this.#gate;
  }

  /** Serialize mode on (for requests from now on) or off (what the gate held is sent at once). */
  serialize(on: boolean): void {
    if (on === (this.#gate !== undefined)) return;
    this.settings.serialize = on;
    const gate = this.#gate;
    this.#gate = on ? this.#turns() : undefined;
    this.fromClients.serialize(this.#gate);
    gate?.drain();
  }

  /** Serialize mode's turns: a request whose turn comes goes toward the server. */
  #turns(): SerialTurns {
    return new SerialTurns(
      this.pending,
      (line, entry) => this.upstream.traffic.send(line, entry, entry.client),
      () => this.cancelled.size > 0,
    );
  }
}
