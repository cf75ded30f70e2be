/**
 * Resource subscriptions across clients: reference-counted per URI, the
 * upstream told on 0→1 and 1→0 only, rolled back if it refuses, released when
 * a client leaves, re-applied after a restart; updates go to subscribers only.
 *
 * Subscribers are legacy clients (`resources/subscribe`) and modern clients'
 * `subscriptions/listen` streams the mux ends itself (a legacy server). A
 * modern server has no `resources/subscribe`: the mux holds one
 * `subscriptions/listen` stream per URI instead (`listens_feature.ts`).
 *
 * @module
 */

import { ErrorCode } from "../jsonrpc/codes.ts";
import {
  errorResponse,
  isErrorResponse,
  type JsonRpcNotification,
  type JsonRpcRequest,
  type JsonRpcResponse,
  resultResponse,
} from "../jsonrpc/message.ts";
import type { RouterContext, Target } from "./context.ts";
import { tagged, uriConcerns } from "./listens.ts";
import type { ListensFeature, TerminatedListen } from "./listens_feature.ts";
import { ClientSession } from "./session.ts";
import { SubscriptionTable } from "./subscriptions.ts";

/** A legacy client, or a modern client's stream ended in the mux. */
type Subscriber = ClientSession | TerminatedListen;

/** Handles `resources/subscribe`, `resources/unsubscribe` and `notifications/resources/updated`. */
export class ResourcesFeature {
  readonly #ctx: RouterContext;
  readonly #listens: () => ListensFeature;
  readonly #table = new SubscriptionTable<Subscriber>();
  readonly #waiting = new Map<string, ((response: JsonRpcResponse) => void)[]>();

  constructor(ctx: RouterContext, listens: () => ListensFeature) {
    this.#ctx = ctx;
    this.#listens = listens;
  }

  /** URIs with at least one subscriber. */
  get activeUris(): string[] {
    return this.#table.activeUris();
  }

  subscribe(session: ClientSession, request: JsonRpcRequest, target: Target): void {
    const uri = this.#uri(request, target);
    if (uri === undefined) return;
    this.#acquire(
      session,
      uri,
      (response) => this.#ctx.reply(target, { ...response, id: request.id }),
    );
  }

  unsubscribe(session: ClientSession, request: JsonRpcRequest, target: Target): void {
    const uri = this.#uri(request, target);
    if (uri === undefined) return;
    if (this.#table.unsubscribe(session, uri).action === "answer") {
      return this.#ctx.reply(target, resultResponse(request.id, {}));
    }
    void this.#upstream(false, uri).then((response) => {
      this.#ctx.reply(target, { ...response, id: request.id });
    });
  }

  /** A modern client's stream (ended in the mux) watches `uri`. */
  watch(listen: TerminatedListen, uri: string): void {
    this.#acquire(listen, uri, (response) => {
      if (isErrorResponse(response)) {
        this.#ctx.log.debug("The server refused a subscription to {uri}: {reason}", {
          uri,
          reason: response.error.message,
        });
      }
    });
  }

  /** A modern client's stream ended: its URIs are released. */
  unwatch(listen: TerminatedListen): void {
    for (const uri of this.#table.release(listen)) void this.#upstream(false, uri);
  }

  /** Deliver an update to the subscribers of its URI (or of a parent of it). */
  onUpdated(note: JsonRpcNotification, line: string): void {
    const uri = note.params?.uri;
    if (typeof uri !== "string") return;
    let delivered = 0;
    for (const subscribed of this.#table.activeUris()) {
      if (!uriConcerns(subscribed, uri)) continue;
      for (const subscriber of this.#table.subscribersOf(subscribed)) {
        if (subscriber instanceof ClientSession) this.#ctx.notify(subscriber, line);
        else this.#ctx.notify(subscriber.session, tagged(note, subscriber.id));
        delivered++;
      }
    }
    if (delivered === 0) {
      this.#ctx.log.debug("Update for {uri}, which no client is subscribed to; dropped", { uri });
    }
  }

  /** The URIs a client is subscribed to (carried when it moves to another process). */
  urisOf(session: ClientSession): string[] {
    return this.#table.activeUris().filter((uri) => this.#table.has(session, uri));
  }

  /** A client joins with subscriptions it made elsewhere: subscribe upstream where needed. */
  adopt(session: ClientSession, uris: readonly string[]): void {
    for (const uri of uris) {
      this.#acquire(session, uri, (response) => {
        if (isErrorResponse(response)) {
          this.#ctx.log.warn("Could not carry {client}'s subscription to {uri}: {reason}", {
            client: session.label,
            uri,
            reason: response.error.message,
          });
        }
      });
    }
  }

  /** A client left: release its subscriptions. */
  release(session: ClientSession): void {
    for (const uri of this.#table.release(session)) void this.#upstream(false, uri);
  }

  /** A new server process: subscribe again to everything clients still watch. */
  reapply(): void {
    for (const uri of this.#table.activeUris()) {
      void this.#upstream(true, uri).then((response) => {
        if (isErrorResponse(response)) {
          this.#ctx.log.warn("Could not restore the subscription to {uri}: {reason}", {
            uri,
            reason: response.error.message,
          });
        }
      });
    }
  }

  /** Count `subscriber` in for `uri`; `done` gets the outcome (an empty result or an error). */
  #acquire(subscriber: Subscriber, uri: string, done: (response: JsonRpcResponse) => void): void {
    const step = this.#table.subscribe(subscriber, uri);
    if (step.action === "answer") return done(resultResponse(0, {}));
    const waiters = this.#waiting.get(uri) ?? [];
    waiters.push(done);
    this.#waiting.set(uri, waiters);
    if (step.action === "wait") return;
    void this.#upstream(true, uri).then((response) => {
      const waiting = this.#waiting.get(uri) ?? [];
      this.#waiting.delete(uri);
      if (isErrorResponse(response)) {
        this.#table.rollback(uri);
        for (const w of waiting) w(response);
        return;
      }
      const subscribed = this.#table.confirm(uri);
      for (const w of waiting) w(resultResponse(0, {}));
      // Everyone who asked left meanwhile: nobody wants these updates.
      if (subscribed.length === 0) void this.#upstream(false, uri);
    });
  }

  /**
   * Tell the server: `resources/(un)subscribe`, or a stream of its own on a
   * modern server. An unsubscribe only tidies up: when the process that had
   * the subscription is gone, there is nothing to undo (and no process is
   * started for it).
   */
  #upstream(subscribe: boolean, uri: string): Promise<JsonRpcResponse> {
    const upstream = this.#ctx.upstream;
    if (upstream.handshake.modern) {
      if (subscribe) return this.#listens().openUri(uri);
      this.#listens().closeUri(uri);
      return Promise.resolve(resultResponse(0, {}));
    }
    if (subscribe) return upstream.request("resources/subscribe", { uri });
    const sent = upstream.tidy("resources/unsubscribe", { uri });
    if (!sent) return Promise.resolve(resultResponse(0, {}));
    return sent.then((response) => {
      if (isErrorResponse(response)) {
        this.#ctx.log.debug("Unsubscribing {uri} upstream failed: {reason}", {
          uri,
          reason: response.error.message,
        });
      }
      return response;
    });
  }

  #uri(request: JsonRpcRequest, target: Target): string | undefined {
    const uri = request.params?.uri;
    if (typeof uri === "string") return uri;
    this.#ctx.reply(
      target,
      errorResponse(
        request.id,
        ErrorCode.InvalidParams,
        `Invalid params: ${request.method} needs params.uri (a string)`,
      ),
    );
    return undefined;
  }
}
