/**
 * The feature units the router composes, one per rule that keeps state
 * across messages (subscriptions, log levels, roots, tasks, the server's
 * requests to clients, and the era features): built here, and told here of
 * what concerns them all — a client leaving, or moving to another process
 * with what it carries; a server process ready or gone; the router stopping.
 *
 * @module
 */

import { CallbacksFeature } from "./callbacks_feature.ts";
import { listChangedMethods } from "./capabilities.ts";
import type { RouterContext } from "./context.ts";
import { ListensFeature } from "./listens_feature.ts";
import type { McpLogLevel } from "./log_levels.ts";
import { LoggingFeature } from "./logging_feature.ts";
import { MrtrBridgeFeature } from "./mrtr_bridge_feature.ts";
import { LegacyShimFeature } from "./mrtr_shim_feature.ts";
import { ResourcesFeature } from "./resources_feature.ts";
import type { Root } from "./roots.ts";
import { RootsFeature, type RootsPolicy } from "./roots_feature.ts";
import type { ClientSession } from "./session.ts";
import { TasksFeature } from "./tasks_feature.ts";
import { TranslateFeature } from "./translate_feature.ts";
import { type CloseReason, stoppedMessage } from "./upstream_failures.ts";

/** What a client takes along when it moves from one process (router) to another. */
export interface Carried {
  /** Its roots, when already known (asked before it joined). */
  roots?: Root[];
  /** It was asked for its roots and answered with an error, or not at all: ask again later. */
  rootsUnknown?: "error" | "timeout";
  /** The log level it set. */
  level?: McpLogLevel;
  /** The resources it is subscribed to. */
  uris?: string[];
}

/** Settings of the features. */
export interface FeaturesOptions {
  /** What clients' roots mean: merged for the server (default), or handed to a pool. */
  roots?: RootsPolicy;
  /** Unguessable ids (URL elicitation ids, MRTR handles). */
  newId: () => string;
}

/** The router's feature units. */
export class Features {
  readonly resources: ResourcesFeature;
  readonly logging: LoggingFeature;
  readonly roots: RootsFeature;
  readonly tasks: TasksFeature;
  readonly callbacks: CallbacksFeature;
  /** Requests and results across eras. */
  readonly translate: TranslateFeature;
  /** The legacy shim: a modern server's `input_required` asked of legacy clients. */
  readonly shim: LegacyShimFeature;
  /** `subscriptions/listen` streams: the mux's own, modern clients' passed through or ended here. */
  readonly listens: ListensFeature;
  /** The bridge: a legacy server's questions asked of modern clients through `input_required`. */
  readonly bridge: MrtrBridgeFeature;
  readonly #ctx: RouterContext;

  constructor(ctx: RouterContext, options: FeaturesOptions) {
    this.#ctx = ctx;
    this.tasks = new TasksFeature(ctx);
    this.logging = new LoggingFeature(ctx);
    this.shim = new LegacyShimFeature(ctx, this.logging, options.newId);
    this.listens = new ListensFeature(ctx, () => this);
    this.bridge = new MrtrBridgeFeature(ctx, options.newId);
    this.resources = new ResourcesFeature(ctx, () => this.listens);
    this.roots = new RootsFeature(ctx, options.roots);
    this.callbacks = new CallbacksFeature(ctx, this.tasks, this.bridge);
    this.translate = new TranslateFeature(ctx, {
      logging: this.logging,
      shim: this.shim,
      listens: this.listens,
      bridge: this.bridge,
    });
  }

  /**
   * A client joined from another process with what it carries. Returns true
   * when its roots changed what the server is told (the server will ask again).
   */
  adopt(session: ClientSession, carried: Carried): boolean {
    if (carried.level !== undefined) this.logging.adopt(session, carried.level);
    if (carried.uris?.length) this.resources.adopt(session, carried.uris);
    if (carried.rootsUnknown) this.roots.unknown(session, carried.rootsUnknown === "timeout");
    return carried.roots !== undefined && this.roots.adopt(session, carried.roots);
  }

  /** What a client leaving for another process takes along (its roots travel with the pool). */
  carry(session: ClientSession): Carried {
    const carried: Carried = {};
    const level = this.logging.levelOf(session);
    if (level !== undefined) carried.level = level;
    const uris = this.resources.urisOf(session);
    if (uris.length > 0) carried.uris = uris;
    return carried;
  }

  /** A client left (or moved): release what it held; the last subscriber unsubscribes upstream. */
  release(session: ClientSession): void {
    this.callbacks.release(session);
    this.shim.release(session);
    this.bridge.release(session);
    this.listens.release(session);
    this.resources.release(session);
    this.logging.release(session);
    this.roots.release(session);
    this.tasks.release(session);
  }

  /** A server process finished its handshake (before held traffic is released). */
  onUpstreamReady(restarted: boolean): void {
    if (restarted) {
      // The new process knows nothing: tell it what the old one knew. The log
      // level first, so nothing below it is logged while the rest is restored.
      // (A modern server has neither: levels travel per request, streams are re-opened below.)
      this.logging.reapply();
      if (!this.#ctx.upstream.handshake.modern) this.resources.reapply();
      this.roots.reapply();
    }
    this.listens.onUpstreamReady(restarted);
  }

  /**
   * A restarted server serves again (what was held for it is sent). It may
   * list different things: initialized clients are told to refresh.
   */
  onUpstreamRestarted(): void {
    for (const method of listChangedMethods(this.#ctx.upstream.handshake.capabilities)) {
      const line = JSON.stringify({ jsonrpc: "2.0", method });
      for (const session of this.#ctx.sessions) {
        if (session.initialized && !session.closed) session.port.send(line);
      }
    }
  }

  /** The server process is gone: forget what only it knew. */
  onUpstreamGone(reason: string): void {
    this.callbacks.forget(reason);
    this.tasks.forget();
    this.listens.onUpstreamGone();
  }

  /** The router stops (for `reason`): streams get their closing result, no timer survives. */
  close(reason: CloseReason): void {
    this.listens.closeAll(
      stoppedMessage(this.#ctx.service, reason, "the subscription was not made"),
    );
    this.shim.close();
  }
}
