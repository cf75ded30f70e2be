/**
 * Resource subscriptions across clients: reference-counted per URI, the
 * upstream told on 0→1 and 1→0 only, rolled back if it refuses, released when
 * a client leaves, re-applied after a restart; updates go to subscribers only.
 *
 * @module
 */

import { ErrorCode } from "../jsonrpc/codes.ts";
import {
  errorResponse,
  isErrorResponse,
  type JsonRpcId,
  type JsonRpcNotification,
  type JsonRpcRequest,
  resultResponse,
} from "../jsonrpc/message.ts";
import type { RouterContext, Target } from "./context.ts";
import type { ClientSession } from "./session.ts";
import { SubscriptionTable } from "./subscriptions.ts";

/** Handles `resources/subscribe`, `resources/unsubscribe` and `notifications/resources/updated`. */
export class ResourcesFeature {
  readonly #ctx: RouterContext;
  readonly #table = new SubscriptionTable<ClientSession>();
  readonly #waiting = new Map<string, { target: Target; id: JsonRpcId }[]>();

  constructor(ctx: RouterContext) {
    this.#ctx = ctx;
  }

  /** URIs with at least one subscriber. */
  get activeUris(): string[] {
    return this.#table.activeUris();
  }

  subscribe(session: ClientSession, request: JsonRpcRequest, target: Target): void {
    const uri = this.#uri(request, target);
    if (uri === undefined) return;
    const step = this.#table.subscribe(session, uri);
    if (step.action === "answer") return this.#ctx.reply(target, resultResponse(request.id, {}));
    const waiters = this.#waiting.get(uri) ?? [];
    waiters.push({ target, id: request.id });
    this.#waiting.set(uri, waiters);
    if (step.action === "wait") return;
    void this.#ctx.upstream.request("resources/subscribe", { uri }).then((response) => {
      const waiting = this.#waiting.get(uri) ?? [];
      this.#waiting.delete(uri);
      if (isErrorResponse(response)) {
        this.#table.rollback(uri);
        for (const w of waiting) {
          this.#ctx.reply(w.target, { ...response, id: w.id });
        }
        return;
      }
      const subscribed = this.#table.confirm(uri);
      for (const w of waiting) this.#ctx.reply(w.target, resultResponse(w.id, {}));
      // Everyone who asked left meanwhile: nobody wants these updates.
      if (subscribed.length === 0) this.#unsubscribeUpstream(uri);
    });
  }

  unsubscribe(session: ClientSession, request: JsonRpcRequest, target: Target): void {
    const uri = this.#uri(request, target);
    if (uri === undefined) return;
    if (this.#table.unsubscribe(session, uri).action === "answer") {
      return this.#ctx.reply(target, resultResponse(request.id, {}));
    }
    void this.#ctx.upstream.request("resources/unsubscribe", { uri }).then((response) => {
      this.#ctx.reply(target, { ...response, id: request.id });
    });
  }

  /** Deliver an update to the clients subscribed to its URI (or to a parent of it). */
  onUpdated(note: JsonRpcNotification, line: string): void {
    const uri = note.params?.uri;
    if (typeof uri !== "string") return;
    let delivered = 0;
    for (const subscribed of this.#table.activeUris()) {
      if (subscribed !== uri && !uri.startsWith(subscribed + "/")) continue;
      for (const session of this.#table.subscribersOf(subscribed)) {
        this.#ctx.notify(session, line);
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
      const step = this.#table.subscribe(session, uri);
      if (step.action !== "forward") continue;
      void this.#ctx.upstream.request("resources/subscribe", { uri }).then((response) => {
        const waiting = this.#waiting.get(uri) ?? [];
        this.#waiting.delete(uri);
        if (isErrorResponse(response)) {
          this.#table.rollback(uri);
          for (const w of waiting) this.#ctx.reply(w.target, { ...response, id: w.id });
          return;
        }
        this.#table.confirm(uri);
        for (const w of waiting) this.#ctx.reply(w.target, resultResponse(w.id, {}));
      });
    }
  }

  /** A client left: release its subscriptions. */
  release(session: ClientSession): void {
    for (const uri of this.#table.release(session)) this.#unsubscribeUpstream(uri);
  }

  /** A new server process: subscribe again to everything clients still watch. */
  reapply(): void {
    for (const uri of this.#table.activeUris()) {
      void this.#ctx.upstream.request("resources/subscribe", { uri }).then((response) => {
        if (isErrorResponse(response)) {
          this.#ctx.log.warn("Could not restore the subscription to {uri}: {reason}", {
            uri,
            reason: response.error.message,
          });
        }
      });
    }
  }

  #unsubscribeUpstream(uri: string): void {
    void this.#ctx.upstream.request("resources/unsubscribe", { uri }).then((response) => {
      if (isErrorResponse(response)) {
        this.#ctx.log.debug("Unsubscribing {uri} upstream failed: {reason}", {
          uri,
          reason: response.error.message,
        });
      }
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
